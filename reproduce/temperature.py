"""Quality against diversity over softmax temperatures (Caccia et al. 2020): does SeqGAN beat a temperature-tuned MLE?

    python reproduce/temperature.py                                  # the Table-1 runs in runs/synthetic/quick
    python reproduce/temperature.py --runs runs/synthetic/quick --alphas 0.5,1,2 --out /tmp/t
    python reproduce/temperature.py --poems runs/poetry/poetry       # the poetry runs (BLEU-2, protocol (a))
    python reproduce/temperature.py --speeches runs/speeches/speech  # the speech runs (BLEU-3, protocol (a))
    python reproduce/temperature.py --poems runs/poetry/controls     # a --methods sweep: MLE and every method
    python reproduce/temperature.py --poems runs/poetry/poetry --lm_scores   # + LM and reverse-LM score per α

Reads the generators the runs kept (their checkpoints and best-NLL-valid weights, which results/ does not hold:
make the runs first, e.g. `python reproduce/synthetic.py --methods mle,seqgan --seeds 5`), samples each at every
inverse temperature α and writes temperature.{json,csv,png} and crossing.{md,csv} under
runs/temperature/<runs' name>/ (or --out). Seeds swept before (in that temperature.json, on the same grid, with
the same scores) and not present now are kept, so seeds can be added one at a time. No generator is trained;
--lm_scores trains one small language model per point. Each point is written to temperature.partial.json there as
it is scored, so a stopped sweep resumes where it stopped when the same command is run again (a retrained model's
points are scored anew); the file goes once the sweep is written.
"""
from pathlib import Path

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli  # noqa: E402
from seqgan_tf.experiments import temperature_sweep as sweep  # noqa: E402
from seqgan_tf.report import quality_diversity  # noqa: E402


POINTS = "temperature.partial.json"      # the points scored so far (experiments/temperature_sweep.py: Points)
# The command that makes the runs each kind of sweep reads (their generators live in checkpoints, never committed).
MAKE = {None: "python reproduce/synthetic.py --methods mle,seqgan --seeds 5` (into runs/synthetic/quick/)",
        "poems": "python reproduce/poetry_bleu.py` (into runs/poetry/poetry/)",
        "speeches": "python reproduce/speech_bleu.py` (into runs/speeches/speech/)"}


def seed_dirs(root, seeds=None, kind=None):
    """root/seed<k>/ for every k (or the comma list `seeds`), each with its kept generators."""
    dirs = sorted(p for p in Path(root).glob("seed*") if p.is_dir() and p.name[4:].isdigit())
    if seeds:
        wanted = {f"seed{int(k)}" for k in seeds.split(",")}
        missing = wanted - {d.name for d in dirs}
        if missing:
            raise FileNotFoundError(f"no {', '.join(sorted(missing))} under {root}")
        dirs = [d for d in dirs if d.name in wanted]
    if not dirs:
        raise FileNotFoundError(f"no seed<k>/ run directories under {root}; make them first: `{MAKE[kind]}")
    kept = [d for d in dirs if any(d.glob("*/checkpoints/config.json")) or (d / "checkpoints/config.json").is_file()]
    if len(kept) < len(dirs):
        raise FileNotFoundError(f"{root}: the runs keep no generators (checkpoints are not committed); make them "
                                f"first: `{MAKE[kind]}")
    return dirs


def corpus(kind, root, alphas, cache, seeds=None, lm_scores=False, points=None):
    """The sweep of a poetry or speeches directory: BLEU against the held-out test set (protocol (a)), quality =
    BLEU-2 for poems (Table 2's), BLEU-3 for speeches (Table 3's first column); with `lm_scores` also the LM and
    reverse-LM score of every point."""
    from seqgan_tf.data import poetry, speeches
    from seqgan_tf.experiments.corpus_experiments import lm_scorer
    from seqgan_tf.metrics.bleu import ReferenceBLEU
    from seqgan_tf.metrics.corpus_metrics import text_metrics
    dirs = seed_dirs(root, seeds, kind)
    cfgs = [sweep.corpus_run_config(d) for d in dirs]
    c = cfgs[0]
    if kind == "poems":
        data = poetry.prepare(c.corpus_source, c.corpus, cache, c.test_fraction, c.split_seed)
    else:
        data = speeches.prepare(c.corpus, cache, c.test_fraction, c.split_seed)
    references = ReferenceBLEU(data.unpadded("test"), max_n=4)          # protocol (a): the held-out sequences
    return sweep.corpus_sweep(dirs, data, lambda hyps: text_metrics(hyps, references), cfgs, alphas,
                              dataset=kind, quality="bleu2" if kind == "poems" else "bleu3",
                              lm=lm_scorer(data) if lm_scores else None, points=points)


def build_parser():
    parser = cli.Parser(description=__doc__)
    parser.add_argument("--runs", default="runs/synthetic/quick", help="a Table-1 directory of seed<k>/ runs")
    corpora = parser.add_mutually_exclusive_group()
    corpora.add_argument("--poems", help="a poetry directory of seed<k>/ runs instead (BLEU-2, protocol (a))")
    corpora.add_argument("--speeches", help="a speeches directory of seed<k>/ runs instead (BLEU-3, protocol (a))")
    parser.add_argument("--only_seeds", help="only these seeds, e.g. 88,89 (default: every seed<k>/ there)")
    parser.add_argument("--alphas", help="inverse temperatures, comma-separated (default: 0.5 .. 2, fine near 1)")
    parser.add_argument("--cache", default="cache", help="prepared-data directory, as poetry_bleu.py's")
    parser.add_argument("--lm_scores", action="store_true", help="with --poems or --speeches: also the LM score "
                        "(quality) and reverse-LM score (coverage) at every α, an LM trained on each α's samples "
                        "(seqgan_tf/metrics/lm_score.py; ~10-30 s each)")
    cli.out_argument(parser, f"{cli.RUNS}/temperature/<runs' name>")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        alphas = sweep.parse_alphas(args.alphas) if args.alphas else sweep.ALPHAS
        kind = "poems" if args.poems else "speeches" if args.speeches else None
        root = Path(args.poems or args.speeches or args.runs)
        if args.lm_scores and not kind:
            raise ValueError("--lm_scores scores text: use it with --poems or --speeches (the oracle task's quality "
                             "and coverage are NLL-oracle and NLL-test)")
        out = Path(args.out or cli.RUNS / "temperature" / ((f"{kind}_" if kind else "") + root.name))
        points = sweep.Points(out / POINTS)          # written from the first scored point on, after every check
        if points.done:
            print(f"resuming: {len(points.done)} points already scored, kept in {out / POINTS}")
        if kind:
            result = corpus(kind, root, alphas, args.cache, args.only_seeds, args.lm_scores, points)
        else:
            result = sweep.synthetic_sweep(seed_dirs(root, args.only_seeds), alphas, points=points)
        out = cli.output_dir(out)
        table = quality_diversity.write(out, quality_diversity.merge(out / "temperature.json", result))
        points.finish()
        print(table + f"Results in {out}/")


if __name__ == "__main__":
    main()
