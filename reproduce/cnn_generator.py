"""Could a CNN be the generator? The convolutional G (models/cnn.py) against the paper's LSTM G, each
trained by MLE then SeqGAN on the oracle, and their speed measured side by side in one process.

    python reproduce/cnn_generator.py                          # quick preset, seeds 88-90, LSTM and CNN (emb 32)
    python reproduce/cnn_generator.py --generators lstm,cnn,cnn_large --seeds 3
    python reproduce/cnn_generator.py --preset smoke --out /tmp/cnn
    python reproduce/cnn_generator.py --lstm_from results/synthetic/quick   # the LSTM arm is Table 1's SeqGAN rows
    python reproduce/cnn_generator.py --poems results/poetry/poetry         # the pair on the poems (Table 2's runs)

First times an MLE epoch and a g-step (rollout + policy gradient) of each generator alternately in this process
(timing.json), then runs each generator's MLE pretraining, D pretraining and rounds into <out>/seed<k>/<generator>/
(nothing is shared: the models differ), and writes generators.{json,csv,md}, generators.png (NLL-oracle by
epoch) and gzipped copies of the lowest seed's samples (seed<k>/<generator>/samples.txt.gz) to <out> (default
runs/cnn_generator/<preset>). The same command again resumes the runs. The LSTM arm is the quick preset's
SeqGAN run, so --lstm_from takes each seed's finished Table-1 run (<dir>/seed<k>/seqgan) instead of training it
again, refusing one whose config differs in any field.

--poems DIR trains only the pair on the poems instead: each CNN setting with every seed's recorded config of the
Table-2 runs in DIR (only the generator changed; same data, split, schedule and protocols), into <out>/<generator>/
seed<k> (default out: runs/cnn_generator/poems); the LSTM arm is DIR's runs, whose seeds and config
are used (--preset, --seed(s) and the config flags are not). Writes <out>/poems.{md,csv,json}:
BLEU-2 under protocols (a) and (b), Self-BLEU-2 and NLL-test after MLE and after SeqGAN, CNN vs LSTM over seeds.
"""
from pathlib import Path

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf.experiments.generator_speed import generator_rates  # noqa: E402
from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.experiments import corpus_experiments  # noqa: E402
from seqgan_tf.studies import GENERATORS  # noqa: E402
from seqgan_tf.experiments.sweep import reuse_run, run_settings  # noqa: E402
from seqgan_tf.report import generator_study, plots, poem_pair, summaries  # noqa: E402
from seqgan_tf.results import gzip_first_seed_samples, write_json  # noqa: E402


def build_parser():
    parser = cli.study_parser(__doc__, "cnn_generator", seeds=3)
    parser.add_argument("--generators", default="lstm,cnn", help=f"comma list of {', '.join(GENERATORS)}")
    parser.add_argument("--poems", default="", help="a Table-2 directory (e.g. results/poetry/poetry): run the pair "
                        "on the poems, its runs as the LSTM arm")
    parser.add_argument("--cache", default="cache", help="prepared-data cache for --poems")
    parser.add_argument("--lstm_from", default="", help="a Table-1 directory (e.g. results/synthetic/quick) whose "
                        "seed<k>/seqgan runs are taken as the LSTM arm (same config required)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        settings = cli.pick(args.generators, GENERATORS, "generator")
        if args.poems:
            if list(settings) == ["lstm"]:
                raise ValueError("--poems compares CNN generators with Table 2's LSTM runs: name one in --generators")
            out = cli.output_dir(args.out or cli.RUNS / "cnn_generator" / "poems")
            runs = corpus_experiments.poem_generators(Path(args.poems), out, {g: o for g, o in settings.items() if g != "lstm"},
                                          args.cache)
            poem_pair.write_generator_pair(out, poem_pair.generator_pair(runs, generator_study.GENERATOR_LABELS),
                                        f"CNN G vs LSTM G on the Chinese quatrains (LSTM arm: {args.poems})",
                                        args.poems)
            print((out / "poems.md").read_text() + f"Results in {out}/")
            return
        cfg, seeds, out = cli.study_setup(args, "cnn_generator")
        if args.lstm_from and "lstm" in settings:
            for seed in seeds:
                reuse_run(config.replace(cfg, seed=seed), Path(args.lstm_from) / f"seed{seed}" / "seqgan",
                          out / f"seed{seed}" / "lstm")
        if not (out / "timing.json").is_file():
            print("timing each generator side by side (MLE epoch, g-step)...")
            write_json(out / "timing.json", generator_rates(
                {g: config.replace(cfg, **o) for g, o in settings.items()}))
        run_settings(cfg, {g: o for g, o in settings.items() if not (g == "lstm" and args.lstm_from)}, seeds, out,
                     shared=None, executor=cli.executor(args))
        gzip_first_seed_samples(out)
        plots.run_curves(out)
        summary = summaries.write("generators", out)
        print("\n".join(summary["sentences"]) + f"\nResults in {out}/ (generators.png)")


if __name__ == "__main__":
    main()
