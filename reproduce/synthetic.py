"""Synthetic-oracle experiment (paper §4, Table 1's SeqGAN row, Figure 2's SeqGAN curve).

    python reproduce/synthetic.py                       # quick preset, official oracle, ~15 min on 2 CPU cores
    python reproduce/synthetic.py --preset paper        # the released schedule; resumable, hours on a CPU
    python reproduce/synthetic.py --preset smoke --out /tmp/smoke

Writes metrics.json, curve.csv, nll_curve.png, samples.txt under results/synthetic/<preset>/ (or --out).
Running the same command again resumes from the last checkpoint in that directory.
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.train.experiment import SyntheticExperiment  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    config.add_arguments(parser)
    parser.add_argument("--out", help="output directory (default results/synthetic/<preset>)")
    args = parser.parse_args(argv)
    with cli.one_line_errors():
        cfg = config.from_args(args)
        out = cli.output_dir(args.out or Path("results/synthetic") / cfg.preset)
        metrics = SyntheticExperiment(cfg, out).run()
        n = metrics["nll_oracle"]
        print(f"NLL-oracle: random init {n['random_init']:.3f}, after MLE {n['after_mle']:.3f}, "
              f"final {n['final']:.3f} (best {n['best']:.3f} at epoch {n['best_epoch']}); "
              f"real data {n['real_data']:.3f}.  Results in {out}/")


if __name__ == "__main__":
    main()
