"""Does a bfloat16 discriminator keep SeqGAN's result? D in float32 (the paper) against D in bfloat16.

    python reproduce/precision.py                        # quick preset, 3 seeds, ~1 h on 2 idle CPU cores
    python reproduce/precision.py --preset smoke --out /tmp/precision

Each seed's MLE pretraining runs once into <out>/seed<k>/pretrain/; from it each precision pretrains its own D and
runs the preset's adversarial rounds into <out>/seed<k>/{float32,bfloat16}/ (the weights stay float32; bfloat16 is
the convolutions' and highway's arithmetic, `--d_precision`). Writes precision.{json,csv,md} and precision.png
(NLL-oracle by round, final difference, seconds per round) to <out> (default results/precision/<preset>).
The same command again resumes.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqgan_tf import cli, studies  # noqa: E402
from seqgan_tf.train.experiment import run_settings  # noqa: E402


def main(argv=None):
    parser = cli.study_parser(__doc__, "precision", seeds=3)
    args = parser.parse_args(argv)
    with cli.one_line_errors():
        cfg, seeds, out = cli.study_setup(args, "precision")
        run_settings(cfg, studies.precision_settings(cfg), seeds, out, shared="mle")
        summary = studies.write("precision", out)
        print("\n".join(summary["sentences"]) + f"\nResults in {out}/ (precision.png)")


if __name__ == "__main__":
    main()
