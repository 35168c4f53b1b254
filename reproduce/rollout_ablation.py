"""What does the number N of Monte-Carlo rollouts do? N in {1, 4, 16, 64}, no rollout, and at N = 16 the two
rollout policies (current G, as the released code computes; delayed copy 0.8, as it intended).

    python reproduce/rollout_ablation.py                 # quick preset; prints its projected time first (docs/experiments.md)
    python reproduce/rollout_ablation.py --preset smoke --out /tmp/ablation

Each seed's MLE + D pretraining runs once into <out>/seed<k>/pretrain/; every setting starts from it (half the
preset's rounds) into <out>/seed<k>/<setting>/. On that pretrained G and D, the reward of one fixed batch is
computed --repeats times per N (<out>/seed<k>/reward_variance.json). Writes rollout_ablation.{json,csv,md} and
rollout_ablation.png (final NLL-oracle, reward variance, seconds per round) to <out>
(default runs/rollout_ablation/<preset>). The same command again resumes.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf import studies  # noqa: E402
from seqgan_tf.experiments import reward_variance  # noqa: E402
from seqgan_tf.experiments.sweep import run_settings  # noqa: E402
from seqgan_tf.report import plots, summaries  # noqa: E402


def build_parser():
    parser = cli.study_parser(__doc__, "rollout_ablation", seeds=3)
    parser.add_argument("--reward_repeats", type=int, default=16, help="reward repeats per N on the fixed batch")
    parser.add_argument("--batch", type=int, default=8, help="sequences in the fixed batch")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, seeds, out = cli.study_setup(args, "rollout_ablation")
        if args.reward_repeats < 2 or args.batch < 1:
            raise ValueError("--reward_repeats must be >= 2 and --batch >= 1")
        run_settings(cfg, studies.ablation_settings(cfg), seeds, out, shared="mle+d", executor=cli.executor(args))
        for seed in seeds:
            reward_variance.write(config.replace(cfg, seed=seed), out / f"seed{seed}", studies.ROLLOUT_NS,
                                  args.reward_repeats, args.batch)
        plots.run_curves(out)
        summary = summaries.write("rollout_ablation", out)
        print("\n".join(summary["sentences"]) + f"\nResults in {out}/ (rollout_ablation.png)")


if __name__ == "__main__":
    main()
