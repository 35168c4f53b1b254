"""Figure 3 of the paper: SeqGAN's NLL-oracle under four D-training strategies (g-steps, d-steps, k).

    python reproduce/strategies.py                   # quick preset; prints its projected time first (docs/experiments.md)
    python reproduce/strategies.py --preset smoke --out /tmp/fig3
    python reproduce/strategies.py --preset paper    # paper schedule; resumable, many hours on a CPU
    python reproduce/strategies.py --seeds 3 --mle_from results/synthetic/quick   # MLE from Table 1's pretrainings
    python reproduce/strategies.py --seed 89 --panels g30_d1_k30,g1_d5_k3          # some panels (another process: the rest)

Each seed's MLE + D pretraining runs once into <out>/seed<k>/pretrain/; panels (100,1,10), (30,1,30), (1,1,10),
(1,5,3) start from it into <out>/seed<k>/<panel>/, each for as many rounds as spend one compute budget (the D passes
of panel (d) over half the preset's rounds; seqgan_tf/studies.py:strategy_settings; quick: 2, 4, 29, 20 rounds).
Writes strategies.{json,csv,md} and figure3.png to <out> (default runs/strategies/<preset>). The same command
again resumes. --mle_from DIR continues each seed's pretraining from DIR/seed<k>/pretrain (Table 1's MLE
pretraining of the same seed: the same run) instead of repeating the MLE epochs; D pretraining is still this study's.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli  # noqa: E402
from seqgan_tf import studies  # noqa: E402
from seqgan_tf.experiments.sweep import run_settings  # noqa: E402
from seqgan_tf.report import plots, summaries  # noqa: E402

# Quick: k = 10 and 30 epochs per d-step over the preset's 10,000 sequences would take most of the budget, so D
# trains on 1,000 negatives (+ as many positives) per d-step, pretrained 50 times as the paper; N = 8 halves the
# cost of (a)'s 100 g-steps a round.
DEFAULTS = {"quick": dict(d_negatives=1000, pretrain_d_steps=50, rollout_num=8)}


def build_parser():
    parser = cli.study_parser(__doc__, "strategies", defaults=DEFAULTS)
    parser.add_argument("--panels", default="", help="run only these panels (comma list of g100_d1_k10, "
                        "g30_d1_k30, g1_d1_k10, g1_d5_k3; default all), e.g. to share a seed between two processes")
    parser.add_argument("--mle_from", default="", help="a Table-1 directory (e.g. results/synthetic/quick) whose "
                        "seed<k>/pretrain MLE runs each seed's pretraining continues from")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg, seeds, out = cli.study_setup(args, "strategies")
        settings = studies.strategy_settings(cfg)
        if args.panels:
            settings = cli.pick(args.panels, settings, "panel")
        run_settings(cfg, settings, seeds, out, shared="mle+d", mle_from=args.mle_from or None,
                     executor=cli.executor(args))
        plots.run_curves(out)
        summary = summaries.write("strategies", out)
        print("\n".join(p["sentence"] for p in summary["panels"]) + f"\nResults in {out}/ (figure3.png)")


if __name__ == "__main__":
    main()
