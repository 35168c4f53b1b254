"""Redraw every figure and table from saved results, in seconds, without training.

    python reproduce/figures.py                             # everything under results/
    python reproduce/figures.py --results runs/synthetic    # your own runs

Finds each run's metrics.json (redraws its nll_curve.png), each directory of seed<k>/<method>/ runs (rewrites
its table1.{md,csv,json} and figure2.{png,pdf}; at the `paper` preset also from runs still in progress, beside the
released code's log) and each study's <study>.json (strategies, no_pretraining,
rollout_ablation, precision: rewrites its .json/.csv/.md and figure from the runs beside it), each table2.json /
table3.json / table4.json (rebuilds Table 2 / 3 / 4 from its seeds), each methods.json (a corpus's methods
sweep), each poems.json (the CNN-vs-LSTM poem pair,
from its runs and Table 2's) and each temperature.json (the temperature sweep's
crossing table and quality-diversity figure).
"""
from pathlib import Path

from seqgan_tf import cli  # (no TensorFlow anywhere below: tests/test_figures.py checks it)
from seqgan_tf.report import (corpus_tables, figure2, paper_schedule, plots, poem_pair, quality_diversity, summaries,
                              table1)


def build_parser():
    parser = cli.Parser(description=__doc__)
    parser.add_argument("--results", default="results", help="directory of result files to redraw, searched "
                        "recursively (e.g. runs/synthetic/quick)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        root = Path(args.results)
        if not root.is_dir():
            raise FileNotFoundError(f"no results directory {root}")
        written = plots.run_curves(root)
        for d in sorted({p.parent for p in root.rglob("seed*") if p.is_dir()}):
            if paper_schedule.is_paper_schedule(d):       # runs in progress count up to their last evaluation
                paper_schedule.write(d)
                written += [d / "table1.md", d / "figure2.png"]
            elif table1.has_runs(d):
                table1.write(d)
                figure2.figure2(d, d / "figure2")
                written += [d / "table1.md", d / "figure2.png"]
        for name in ("table2", "table3", "table4"):            # poems, speeches, music
            for path in sorted(root.rglob(f"{name}.json")):
                corpus_tables.rewrite_table(path.parent, name)
                written.append(path.parent / f"{name}.md")
        for path in sorted(root.rglob(f"{corpus_tables.METHODS_TABLE}.json")):   # a corpus's methods sweep
            corpus_tables.rewrite_methods_table(path.parent)
            written.append(path.parent / f"{corpus_tables.METHODS_TABLE}.md")
        for path in sorted(root.rglob("poems.json")):         # the CNN-vs-LSTM poem pair
            poem_pair.rewrite_generator_pair(path.parent)
            written.append(path.parent / "poems.md")
        for study in summaries.STUDIES:
            for path in sorted(root.rglob(f"{study}.json")):
                summaries.write(study, path.parent)
                written.append(path.parent / f"{summaries.FIGURES[study]}.png")
        for path in sorted(root.rglob("temperature.json")):
            quality_diversity.write(path.parent)
            written.append(path.parent / "temperature.png")
        print("\n".join(map(str, written)) or f"no results found under {root}")


if __name__ == "__main__":
    main()
