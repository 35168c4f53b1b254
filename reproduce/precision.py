"""Does a bfloat16 discriminator keep SeqGAN's result? D in float32 (the paper) against D in bfloat16.

    python reproduce/precision.py                        # quick preset; prints its projected time first (docs/experiments.md)
    python reproduce/precision.py --preset smoke --out /tmp/precision

Each seed's MLE pretraining runs once into <out>/seed<k>/pretrain/; from it each precision pretrains its own D and
runs the preset's adversarial rounds into <out>/seed<k>/{float32,bfloat16}/ (the weights stay float32; bfloat16 is
the convolutions' and highway's arithmetic, `--d_precision`). Writes precision.{json,csv,md} and precision.png
(NLL-oracle by round, final difference, seconds per round) to <out> (default runs/precision/<preset>).
The same command again resumes.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli  # noqa: E402
from seqgan_tf import studies  # noqa: E402
from seqgan_tf.experiments.sweep import run_settings  # noqa: E402
from seqgan_tf.report import plots, summaries  # noqa: E402


def build_parser():
    return cli.study_parser(__doc__, "precision", seeds=3)


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, seeds, out = cli.study_setup(args, "precision")
        run_settings(cfg, studies.precision_settings(cfg), seeds, out, shared="mle", executor=cli.executor(args))
        plots.run_curves(out)
        summary = summaries.write("precision", out)
        print("\n".join(summary["sentences"]) + f"\nResults in {out}/ (precision.png)")


if __name__ == "__main__":
    main()
