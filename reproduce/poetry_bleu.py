"""Chinese quatrains (paper §5, Table 2's poem column): BLEU-2 of MLE vs SeqGAN vs real poems, over seeds, under two
reference protocols (metrics/corpus_metrics.py:PoemMetrics), each with and without the punctuation.

    python reproduce/poetry_bleu.py                     # "poetry" preset, 3 seeds (docs/report.md: measured time)
    python reproduce/poetry_bleu.py --preset paper      # the released schedule; prints its projected time first
    python reproduce/poetry_bleu.py --corpus my.txt     # your poems: shi.txt layout, or 20 characters a line
    python reproduce/poetry_bleu.py --source chinese-poetry [--corpus PKG.tgz|DIR]   # ~17,000 npm quatrains
    python reproduce/poetry_bleu.py --preset smoke --corpus tests/fixtures/quatrains.txt --batch_size 8 --seeds 2
    python reproduce/poetry_bleu.py --rescore           # no training: score the kept poems again, rewrite the table
    python reproduce/poetry_bleu.py --methods controls --out runs/poetry/controls   # SeqGAN beside the controls

Data (see data/README.md): a poem is its 20 characters, punctuation dropped (shi.txt punctuates every poem
，。，。 at the same places, so keeping it would add no information and inflate BLEU); a fixed 90/10 train/test split
(--test_fraction, --split_seed); vocabulary = training characters + <unk>; vocabulary size and length come from
the data. Prepared data is cached under --cache (default cache/, git-ignored). Protocols: (a) references = the test
poems, real row = as many training poems; (b) references = the training poems, real row = the test poems.
Writes runs/poetry/<preset>/ (or --out): table2.{md,csv,json} and, per seed, seed<k>/ with metrics.json, curve.csv
(NLL-test), {mle,seqgan}_poems.txt (4 lines a poem), the generated ids and G's weights. Re-running resumes every seed.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.data import poetry  # noqa: E402
from seqgan_tf.experiments.corpus_experiments import configure, run_methods, scoring, seed_runs  # noqa: E402
from seqgan_tf.report.corpus_tables import table2, write_methods, write_table  # noqa: E402


def build_parser():
    return cli.seeds_parser(__doc__, "poetry", "poetry", kept="poems")


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, methods = config.from_args(args), cli.corpus_methods(args)
        seeds = cli.seed_range(cfg, args.seeds)
        data = poetry.prepare(cfg.corpus_source, cfg.corpus, args.cache, cfg.test_fraction, cfg.split_seed)
        cfg = configure(cfg, data)
        out = cli.study_output_dir(args, "poetry", cfg)
        metrics, _ = scoring("poems", data, cfg)
        title = (f"Chinese quatrains, preset {cfg.preset} ({data.stats['train']} train / {data.stats['test']} test "
                 f"poems, vocabulary {len(data.vocab)})")
        if methods:
            run_methods(cfg, methods, seeds, out, "poems", data, cli.executor(args))
            print(write_methods(out, "poems", metrics.real(), title) + f"Results in {out}/")
            return
        runs, real_lm = seed_runs(cfg, seeds, out, "poems", data, metrics, poetry.unrender, cli.executor(args),
                                  args.rescore, args.lm_scores)
        write_table(out, table2(runs, {**metrics.real(), **real_lm}), title)
        print((out / "table2.md").read_text() + f"Results in {out}/")


if __name__ == "__main__":
    main()
