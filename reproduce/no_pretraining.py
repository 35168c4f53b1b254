"""The paper's appendix: SeqGAN without supervised pretraining, against SeqGAN after MLE pretraining.

    python reproduce/no_pretraining.py                   # quick preset; prints its projected time first (docs/experiments.md)
    python reproduce/no_pretraining.py --preset smoke --out /tmp/nopre

Three runs with the same adversarial rounds, from the same random G: after MLE + D pretraining (the preset), from
an untrained G and untrained D, and from an untrained G with D briefly trained (a fifth of the preset's D
pretraining) into <out>/seed<k>/<run>/. Writes no_pretraining.{json,csv,md} and no_pretraining.png to <out>
(default runs/no_pretraining/<preset>), with whether NLL-oracle stays near random without pretraining.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli  # noqa: E402
from seqgan_tf import studies  # noqa: E402
from seqgan_tf.experiments.sweep import run_settings  # noqa: E402
from seqgan_tf.report import plots, summaries  # noqa: E402


def build_parser():
    return cli.study_parser(__doc__, "no_pretraining")


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, seeds, out = cli.study_setup(args, "no_pretraining")
        run_settings(cfg, studies.no_pretraining_settings(cfg), seeds, out, shared=None, executor=cli.executor(args))
        plots.run_curves(out)
        summary = summaries.write("no_pretraining", out)
        print("\n".join(summary["sentences"]) + f"\nResults in {out}/ (no_pretraining.png)")


if __name__ == "__main__":
    main()
