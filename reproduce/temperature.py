"""Quality against diversity over softmax temperatures (Caccia et al. 2020): does SeqGAN beat a temperature-tuned MLE?

    python reproduce/temperature.py                                  # the Table-1 runs of results/synthetic/quick
    python reproduce/temperature.py --runs results/synthetic/quick --alphas 0.5,1,2 --out /tmp/t
    python reproduce/temperature.py --poems results/poetry/poetry    # the poetry runs (BLEU-2, protocol (a))
    python reproduce/temperature.py --speeches results/speeches/speech   # the speech runs (BLEU-3, protocol (a))

Reads the generators the runs kept (their checkpoints and best-NLL-valid weights: re-run the Table-1 command first
if they are gone), samples each at every inverse temperature α and writes temperature.{json,csv,png} and
crossing.{md,csv} under results/temperature/<preset>/ (or --out). Seeds swept before (in that temperature.json, on
the same grid) and not present now are kept, so seeds can be added one session at a time. No training.
"""
import argparse
from pathlib import Path

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli  # noqa: E402
from seqgan_tf.experiments import temperature_sweep as sweep  # noqa: E402
from seqgan_tf.report import quality_diversity  # noqa: E402


def seed_dirs(root, seeds=None):
    """root/seed<k>/ for every k (or the comma list `seeds`)."""
    dirs = sorted(p for p in Path(root).glob("seed*") if p.is_dir() and p.name[4:].isdigit())
    if seeds:
        wanted = {f"seed{int(k)}" for k in seeds.split(",")}
        missing = wanted - {d.name for d in dirs}
        if missing:
            raise FileNotFoundError(f"no {', '.join(sorted(missing))} under {root}")
        dirs = [d for d in dirs if d.name in wanted]
    if not dirs:
        raise FileNotFoundError(f"no seed<k>/ run directories under {root}")
    return dirs


def corpus(kind, root, alphas, cache, seeds=None):
    """The sweep of a poetry or speeches directory: BLEU against the held-out test set (protocol (a)), quality =
    BLEU-2 for poems (Table 2's), BLEU-3 for speeches (Table 3's first column)."""
    from seqgan_tf.data import poetry, speeches
    from seqgan_tf.metrics.bleu import ReferenceBLEU
    from seqgan_tf.metrics.corpus_metrics import text_metrics
    dirs = seed_dirs(root, seeds)
    cfgs = [sweep.run_config(d) for d in dirs]
    c = cfgs[0]
    if kind == "poems":
        data = poetry.prepare(c.corpus_source, c.corpus, cache, c.test_fraction, c.split_seed)
    else:
        data = speeches.prepare(c.corpus, cache, c.test_fraction, c.split_seed)
    references = ReferenceBLEU(data.unpadded("test"), max_n=4)          # protocol (a): the held-out sequences
    return sweep.corpus_sweep(dirs, data, lambda hyps: text_metrics(hyps, references), cfgs, alphas,
                              dataset=kind, quality="bleu2" if kind == "poems" else "bleu3")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="results/synthetic/quick", help="a Table-1 directory of seed<k>/ runs")
    corpora = parser.add_mutually_exclusive_group()
    corpora.add_argument("--poems", help="a poetry directory of seed<k>/ runs instead (BLEU-2, protocol (a))")
    corpora.add_argument("--speeches", help="a speeches directory of seed<k>/ runs instead (BLEU-3, protocol (a))")
    parser.add_argument("--seeds", help="only these seeds, e.g. 88,89 (default: every seed<k>/ there)")
    parser.add_argument("--alphas", help="inverse temperatures, comma-separated (default: 0.5 .. 2, fine near 1)")
    parser.add_argument("--cache", default="cache", help="prepared-data directory (default cache/, as poetry_bleu.py)")
    parser.add_argument("--out", help="output directory (default results/temperature/<runs' name>)")
    args = parser.parse_args(argv)
    with cli.one_line_errors():
        alphas = sweep.parse_alphas(args.alphas) if args.alphas else sweep.ALPHAS
        kind = "poems" if args.poems else "speeches" if args.speeches else None
        root = Path(args.poems or args.speeches or args.runs)
        if kind:
            result = corpus(kind, root, alphas, args.cache, args.seeds)
        else:
            result = sweep.synthetic_sweep(seed_dirs(root, args.seeds), alphas)
        out = cli.output_dir(args.out or Path("results/temperature") / ((f"{kind}_" if kind else "") + root.name))
        print(quality_diversity.write(out, quality_diversity.merge(out / "temperature.json", result)) + f"Results in {out}/")


if __name__ == "__main__":
    main()
