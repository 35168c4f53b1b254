"""Per-phase throughput, vectorised-vs-naive rollout ratio and a graph/Python time profile for a preset.

    python -m bench                     # quick preset (the paper's model sizes), 3 repeats
    python -m bench --preset smoke --repeats 1 --out /tmp/bench
    python -m bench --variants          # + D in float32 / XLA / bfloat16, and thread settings
    python -m bench --rollout-ns 0,1,4,16,64   # + rollout cost by N (the ablation's panel c)
    python -m bench --ops               # + MLE and D training op by op, and their products alone
    python -m bench --released          # + the released code's graphs on the same phases: ratios
    python -m bench --released mle_epoch,rollout_pg_step   # ... on these of them only

Run from the repository root. Writes results/benchmark/<machine-tag>-<preset>.json and .md, and prints the
projected `paper` schedule.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.results import atomic_write, write_json  # noqa: E402
from seqgan_tf.train.projection import project  # noqa: E402

from . import flops, ops, released_graph, report, timing, variants  # noqa: E402

MODEL_FIELDS = ("vocab_size", "seq_len", "emb_dim", "hidden_dim", "d_emb_dim", "d_filter_sizes", "d_num_filters",
                "batch_size", "rollout_num")


def build_parser():
    parser = cli.Parser(prog="python -m bench", description=__doc__)
    config.add_arguments(parser)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per phase (median reported)")
    parser.add_argument("--no_naive", action="store_true", help="skip the slow naive rollout loop")
    parser.add_argument("--variants", action="store_true",
                        help="also time D in float32 / XLA / bfloat16 and under several thread settings")
    parser.add_argument("--ops", action="store_true",
                        help="also break an MLE epoch and D training down op by op (TensorFlow's profiler) and time "
                             "their largest products alone")
    parser.add_argument("--rollout_ns", default="", help="also time the rollout + PG step for these N, e.g. 0,1,4,16,64")
    parser.add_argument("--released", nargs="?", const="all", default=None, metavar="PHASES",
                        help="also time the released code's graphs (TF1 graph mode) on the same phases, for ratios; "
                             "with a comma list, on those of the timed phases only (its d-step can take minutes)")
    parser.add_argument("--phases", default=",".join(timing.PHASES),
                        help="time only these phases (comma list; the projections need all)")
    parser.add_argument("--out", default=str(cli.RUNS / "benchmark"), help="output directory (the committed "
                        "measurements are under results/benchmark, written only when --out names it)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        if args.repeats <= 0:
            raise ValueError(f"--repeats must be positive, got {args.repeats}")
        cfg = config.from_args(args)
        phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
        released = (phases if args.released == "all"
                    else tuple(p.strip() for p in (args.released or "").split(",") if p.strip()))
        untimed = [p for p in released if p not in phases]
        if untimed:
            raise ValueError(f"--released phase {', '.join(untimed)} is not among the timed phases: {', '.join(phases)}")
        if args.released != "all" and set(released) - set(released_graph.PHASES):
            raise ValueError(f"the released code has no {', '.join(sorted(set(released) - set(released_graph.PHASES)))}"
                             f" phase; it has {', '.join(released_graph.PHASES)}")
        out = cli.output_dir(args.out)
        result = timing.run(cfg, args.repeats, naive=not args.no_naive, phases=phases, released=released)
        if args.ops:
            result["ops"] = ops.ops(cfg, result.get("rollout", {}).get("matmul_gflop_per_s"))
        for phase, r in result.get("released", {}).items():
            print(f"{phase:>20}: released graph / this library (timed alternately) = "
                  f"{r['median_s'] / r['ours_median_s']:.2f}x")
        if set(phases) != set(timing.PHASES):
            name = f"{result['machine']}-{cfg.preset}-phases"
            write_json(out / f"{name}.json", result)
            if released or args.ops:
                atomic_write(out / f"{name}.md", (report.released_markdown(result) if released else "")
                             + (report.ops_markdown(result["ops"]) if args.ops else ""))
            print(f"wrote {out / name}.json (named phases only: no rollout breakdown or projection)")
            return
        paper = config.make("paper")
        same_models = all(getattr(cfg, f) == getattr(paper, f) for f in MODEL_FIELDS)
        paper_proj = project(paper, result["rates"], paper.num_samples) if same_models else None
        result["paper_projected_s"] = paper_proj
        result["paper_flop_floor_s"] = (flops.flop_floor_s(paper, result["rollout"]["matmul_gflop_per_s"])
                                        if same_models else None)
        md = report.markdown(result, paper_proj)
        if released:
            md += report.released_markdown(result)
        if args.ops:
            md += report.ops_markdown(result["ops"], result["d_training"])
        if args.variants:
            result["variants"] = {"precision": variants.d_variants(cfg, args.repeats),
                                  "threads": variants.thread_variants(cfg, args.repeats)}
            md += report.variants_markdown(result["variants"])
        if args.rollout_ns:
            ns = [int(n) for n in args.rollout_ns.split(",")]
            if min(ns) < 0:
                raise ValueError(f"--rollout_ns must be N >= 0, got {args.rollout_ns}")
            result["rollout_by_n"] = timing.rollout_by_n(cfg, ns, args.repeats)
            md += ("\nRollout + PG step by N, side by side (0 = no rollout):\n\n| N | median s |\n|---|---|\n"
                   + "".join(f"| {n} | {t:.3f} |\n" for n, t in result["rollout_by_n"].items()))
        name = f"{result['machine']}-{cfg.preset}"
        write_json(out / f"{name}.json", result)
        atomic_write(out / f"{name}.md", md)
        if paper_proj:
            floor = result["paper_flop_floor_s"]
            print(f"projected paper schedule here: {sum(paper_proj.values()) / 3600:.2f} h; its D work at this "
                  f"machine's matmul rate (the FLOP floor): {floor / 3600:.2f} h")
        print(f"wrote {out / name}.json and .md")


if __name__ == "__main__":
    main()
