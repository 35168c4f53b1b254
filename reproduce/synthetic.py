"""Synthetic-oracle experiment (paper §4): Table 1 and Figure 2.

    python reproduce/synthetic.py                       # quick preset, SeqGAN only (minutes on a CPU)
    python reproduce/synthetic.py --preset paper        # the released schedule; resumable, days on a CPU
    python reproduce/synthetic.py --preset smoke --out /tmp/smoke
    python reproduce/synthetic.py --methods all --seeds 3            # Table 1 + Figure 2, seeds 88, 89, 90
    python reproduce/synthetic.py --methods ss --seeds 1 --seed 89   # one method, one seed (merges into the table)
    python reproduce/synthetic.py --methods all --seeds 5 --workers 2  # two runs at once; --ray: docs/cluster.md

Without --methods: one SeqGAN run into runs/synthetic/<preset>/ (or --out), ending with its NLL-oracle line and,
for the same config, the committed reference's (results/synthetic/<preset>/metrics.json). With --methods (the paper's
rows, 'controls' or a list; seqgan_tf/methods.py): each seed's MLE
pretraining once into <out>/seed<k>/pretrain/, each method from that checkpoint into <out>/seed<k>/<method>/, then
table1.{md,csv,json} and figure2.{png,pdf} in <out> from every run there, and a gzipped copy of the lowest seed's
final samples of each row (samples.txt.gz; the early-stopped MLE row's in mle/early_stopped_samples.txt.gz, drawn again
from its kept weights with its evaluation's seed). Running the same command again resumes.
"""
import os
import sys
from pathlib import Path

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli  # noqa: E402
from seqgan_tf.methods import METHODS, parse as parse_methods  # noqa: E402
from seqgan_tf.experiments.executors import Run  # noqa: E402
from seqgan_tf.experiments.sweep import run_methods  # noqa: E402
from seqgan_tf.report import figure2, plots, table1  # noqa: E402
from seqgan_tf.experiments.temperature_sweep import write_early_stopped_samples  # noqa: E402
from seqgan_tf.results import gzip_first_seed_samples  # noqa: E402


ROOT = Path(__file__).resolve().parents[1]


def build_parser():
    parser = cli.study_parser(__doc__, "synthetic")
    parser.add_argument("--methods", help="Table 1's rows: 'all' or a comma list of " + ", ".join(METHODS))
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, seeds, out = cli.study_setup(args, "synthetic")
        methods = parse_methods(args.methods) if args.methods else None
        if methods is None:
            if args.seeds != 1:
                raise ValueError("--seeds N runs Table 1's rows for N seeds: give --methods too (e.g. seqgan)")
            [metrics] = cli.executor(args)([Run("", cfg, str(out))]).values()
            plots.nll_curve(out / "metrics.json", out / "nll_curve.png")
            print(f"{table1.run_line(metrics)}.  Results in {out}/")
            committed = ROOT / "results" / "synthetic" / cfg.preset
            if committed.resolve() != out.resolve():
                reference = table1.reference_line(metrics, Path(os.path.relpath(committed / "metrics.json")))
                print(reference or f"(no committed reference run with this config in {committed})")
            return
        run_methods(cfg, methods, seeds, out, executor=cli.executor(args))
        mle = gzip_first_seed_samples(out) / "mle"     # and the early-stopped row's samples, once
        if (mle / "metrics.json").is_file() and not (mle / "early_stopped_samples.txt.gz").is_file():
            try:
                write_early_stopped_samples(mle.parent)
            except ValueError as e:          # e.g. another thread count than the run's: the table is still written
                print(f"warning: {e}; {mle}/early_stopped_samples.txt not written", file=sys.stderr)
        plots.run_curves(out)
        table1.write(out)
        figure2.figure2(out, out / "figure2")
        print((out / "table1.md").read_text() + f"Results in {out}/ (table1.*, figure2.png/.pdf)")


if __name__ == "__main__":
    main()
