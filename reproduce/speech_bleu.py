"""Obama speeches (paper §5, Table 3): BLEU-3 and BLEU-4 of MLE vs SeqGAN vs real sentences, over seeds, under the
two reference protocols of Table 2 (metrics/corpus_metrics.py:ProtocolMetrics).

    python reproduce/speech_bleu.py                     # "speech" preset, 3 seeds (docs/report.md: measured time)
    python reproduce/speech_bleu.py --preset paper      # the released schedule; prints its projected time first
    python reproduce/speech_bleu.py --corpus DIR_OR_FILE   # other speeches: one paragraph a line
    python reproduce/speech_bleu.py --preset smoke --corpus tests/fixtures/speeches.txt --batch_size 8 --seeds 2
    python reproduce/speech_bleu.py --rescore --out results/speeches/speech   # no training: score kept text again
    python reproduce/speech_bleu.py --methods controls --out runs/speeches/controls   # SeqGAN beside the controls

Data (seqgan_tf/data/speeches.py, data/README.md): the paragraphs of the Obama speeches corpus (found or fetched
by seqgan_tf/data/sources.py), case-folded word and punctuation tokens, cut into sentences of 8-20 tokens padded with <eos> to
21, a 5,000-token vocabulary with <unk>, a fixed 90/10 split by paragraph (--test_fraction, --split_seed).
Prepared data is cached under --cache (default cache/, git-ignored). Writes runs/speeches/<preset>/ (or --out)
table3.{md,csv,json} and, per seed, seed<k>/ with metrics.json, curve.csv (NLL-test), {mle,seqgan}_speeches.txt
(one sentence a line), the generated ids and G's weights. Re-running resumes every seed.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.data import speeches  # noqa: E402
from seqgan_tf.experiments.corpus_experiments import configure, run_methods, scoring, seed_runs  # noqa: E402
from seqgan_tf.report.corpus_tables import (PAPER, SPEECH_COLUMNS, SPEECH_NOTE, table, write_methods,  # noqa: E402
                                            write_table)


def build_parser():
    return cli.seeds_parser(__doc__, "speech", "speeches", kept="sentences")


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, methods = config.from_args(args), cli.corpus_methods(args)
        seeds = cli.seed_range(cfg, args.seeds)
        data = speeches.prepare(cfg.corpus, args.cache, cfg.test_fraction, cfg.split_seed)
        cfg = configure(cfg, data)
        out = cli.study_output_dir(args, "speeches", cfg)
        metrics, _ = scoring("speeches", data, cfg)
        s = data.stats
        title = (f"Obama speeches, preset {cfg.preset} ({s['train']} train / {s['test']} test sentences of "
                 f"{speeches.MIN_TOKENS}-{speeches.MAX_TOKENS} tokens from {s['paragraphs']} paragraphs, "
                 f"vocabulary {len(data.vocab)})")
        if methods:
            run_methods(cfg, methods, seeds, out, "speeches", data, cli.executor(args))
            print(write_methods(out, "speeches", metrics.real(), title) + f"Results in {out}/")
            return
        runs, real_lm = seed_runs(cfg, seeds, out, "speeches", data, metrics, speeches.unrender, cli.executor(args),
                                  args.rescore, args.lm_scores)
        rows = table(runs, {**metrics.real(), **real_lm}, SPEECH_COLUMNS, PAPER["speeches"], "speeches")
        write_table(out, rows, title, "table3", SPEECH_NOTE, "speeches", examples=10, text_sep="\n")
        print((out / "table3.md").read_text() + f"Results in {out}/")


if __name__ == "__main__":
    main()
