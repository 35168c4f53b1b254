"""Synthetic-oracle experiment (paper §4): Table 1 and Figure 2.

    python reproduce/synthetic.py                       # quick preset, SeqGAN only (minutes on a CPU)
    python reproduce/synthetic.py --preset paper        # the released schedule; resumable, hours on a CPU
    python reproduce/synthetic.py --preset smoke --out /tmp/smoke
    python reproduce/synthetic.py --methods all --seeds 3            # Table 1 + Figure 2, seeds 88, 89, 90
    python reproduce/synthetic.py --methods ss --seeds 1 --seed 89   # one method, one seed (merges into the table)

Without --methods: one SeqGAN run into results/synthetic/<preset>/ (or --out). With --methods: each seed's MLE
pretraining once into <out>/seed<k>/pretrain/, each method from that checkpoint into <out>/seed<k>/<method>/, then
table1.{md,csv,json} and figure2.{png,pdf} in <out> from every run there, and a gzipped copy of the lowest seed's
final samples of each row (samples.txt.gz; the early-stopped MLE row's in mle/early_stopped_samples.txt.gz, drawn again
from its kept weights with its evaluation's seed). Running the same command again resumes.
"""
import argparse
import sys
from pathlib import Path

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.methods import METHODS, parse as parse_methods  # noqa: E402
from seqgan_tf.experiments.sweep import run_methods  # noqa: E402
from seqgan_tf.experiments.oracle_task import OracleTask  # noqa: E402
from seqgan_tf.train.run import run  # noqa: E402
from seqgan_tf.report import figure2, plots, table1  # noqa: E402
from seqgan_tf.experiments.temperature_sweep import write_early_stopped_samples  # noqa: E402
from seqgan_tf.results import gzip_first_seed_samples  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    config.add_arguments(parser)
    parser.add_argument("--out", help="output directory (default results/synthetic/<preset>)")
    parser.add_argument("--methods", help="Table 1's rows: 'all' or a comma list of " + ", ".join(METHODS))
    parser.add_argument("--seeds", type=int, default=1, help="with --methods: seeds --seed, --seed+1, ... (default 1)")
    args = parser.parse_args(argv)
    with cli.one_line_errors():
        cfg = config.from_args(args)
        methods = parse_methods(args.methods) if args.methods else None
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
        out = cli.output_dir(args.out or Path("results/synthetic") / cfg.preset)
        if methods is None:
            n = run(cfg, OracleTask(cfg), out)["nll_oracle"]
            plots.nll_curve(out / "metrics.json", out / "nll_curve.png")
            print(f"NLL-oracle: random init {n['random_init']:.3f}, after MLE {n['after_mle']:.3f}, "
                  f"final {n['final']:.3f} (best {n['best']:.3f} at epoch {n['best_epoch']}); "
                  f"real data {n['real_data']:.3f}.  Results in {out}/")
            return
        run_methods(cfg, methods, range(cfg.seed, cfg.seed + args.seeds), out)
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
