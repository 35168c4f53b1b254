"""Train SeqGAN on your own text and sample from the saved model (docs/own_data.md).

    python -m seqgan_tf train --corpus FILE [--tokenize word|char] [--max_len N] [--truncate] [--max_vocab N]
                              [--preset small|quick|paper|smoke] [--<config field> VALUE ...] [--out DIR]
    python -m seqgan_tf sample DIR [-n 20] [--temperature T] [--seed S] [--model seqgan|mle] [--ids]
    python -m seqgan_tf sweep DIR [--alphas 0.5,0.8,1,1.25,2]   # quality vs diversity over temperatures
    python -m seqgan_tf data [--fetch NAME|all]     # where each dataset is found (or would be fetched from)

`train` reads one sequence per line, pads each with <eos> to the longest line (or --max_len) plus one, splits off a
test set, runs MLE then SeqGAN in DIR (default runs/train/<corpus file name>; resuming if DIR holds a checkpoint of
the same config) and saves the generators,
vocabulary and config in DIR with BLEU-2..4, Self-BLEU-2 and NLL-test in DIR/metrics.json.
`sample` prints one generated line each, cut at its end token (with --ids: the ids up to and including it).
`sweep` samples both generators at each inverse temperature α (logits × α; --temperature of `sample` is 1 / α) and
writes DIR/temperature/: BLEU-2 against the test lines (quality) with NLL-test and Self-BLEU-2 (diversity) per α,
the figure, and the α at which MLE matches SeqGAN's BLEU-2.
"""
import sys
from pathlib import Path

from . import cli, config, runtime  # (no TensorFlow yet: bad input fails in a second, --help is instant)
from .data import corpus, sources, text

SHOWN = [("bleu2", "BLEU-2"), ("bleu3", "BLEU-3"), ("bleu4", "BLEU-4"), ("bleu4_m1", "BLEU-4 m1"),
         ("self_bleu2", "Self-BLEU-2"), ("nll_test", "NLL-test")]


def train(args):
    cfg = config.from_args(args)
    if not cfg.corpus:
        raise ValueError("--corpus FILE is required (one sequence per line)")
    out = cli.output_dir(args.out or cli.RUNS / "train" / Path(cfg.corpus).stem)
    data = text.prepare(cfg.corpus, args.tokenize, args.max_len, args.truncate, args.max_vocab, out,
                        cfg.test_fraction, cfg.split_seed)
    s = data.stats
    print(f"{s['lines']} lines -> {s['train']} train / {s['test']} test; vocabulary {len(data.vocab)} "
          f"({s['tokenize']} tokens, {s['distinct_tokens'] - 1} distinct); {s['max_len']} tokens + <eos> a line, "
          f"{s['truncated_lines']} truncated; prepared in {data.path}")
    runtime.configure()
    from .saved_model import save_model
    from .experiments.corpus_experiments import CorpusTask, configure
    from .train.run import run
    from .metrics.corpus_metrics import real_data_metrics
    cfg = configure(cfg, data)
    metrics = run(cfg, CorpusTask(cfg, data, lambda toks: corpus.detokenize(toks, args.tokenize), kind="text"), out)
    save_model(out, cfg, data, metrics)
    rows = {**metrics["models"], "real (test vs train)": real_data_metrics(data)}
    print("\n| model | " + " | ".join(h for _, h in SHOWN) + " |\n" + "|---" * (len(SHOWN) + 1) + "|")
    for name, m in rows.items():
        print(f"| {name} | " + " | ".join("—" if m.get(k) is None else f"{m[k]:.4f}" for k, _ in SHOWN) + " |")
    print(f"\nSaved to {out}/ (model.json, vocab.txt, {{mle,seqgan}}_generator.weights.h5, metrics.json); "
          f"generate with: python -m seqgan_tf sample {out} -n 20")


def sample(args):
    if args.n < 1:
        raise ValueError(f"-n must be at least 1, got {args.n}")
    if not args.temperature > 0:
        raise ValueError(f"--temperature must be positive, got {args.temperature}")
    from .saved_model import load_model
    saved = load_model(args.dir)                 # checks the directory before TensorFlow starts
    runtime.configure()
    import tensorflow as tf
    from .metrics.nll import sample_many
    gen = saved.generator(args.model)
    ids = sample_many(gen, args.n, tf.constant([args.seed, 0], tf.int64), temperature=args.temperature)
    end = saved.cfg.end_token
    for row in ids:
        row = list(row)
        if args.ids:
            print(" ".join(map(str, row[:row.index(end) + 1] if end in row else row)))
        else:
            print(saved.decode(row))


def sweep(args):
    from .saved_model import load_model
    saved = load_model(args.dir)
    from .experiments.temperature_sweep import ALPHAS, parse_alphas
    alphas = parse_alphas(args.alphas) if args.alphas else ALPHAS
    prepared = saved.prepared_corpus()
    runtime.configure()
    from .experiments.temperature_sweep import corpus_sweep
    from .metrics.bleu import ReferenceBLEU
    from .metrics.corpus_metrics import text_metrics
    from .report import quality_diversity
    references = ReferenceBLEU(prepared.unpadded("test"), max_n=4)
    result = corpus_sweep([saved.path], prepared, lambda hyps: text_metrics(hyps, references), [saved.cfg], alphas)
    out = saved.path / "temperature"
    print(quality_diversity.write(out, result) + f"\nWritten to {out}/ (temperature.png, temperature.csv, crossing.md)")


def data(args):
    names = [] if args.fetch is None else list(sources.DATASETS) if args.fetch == "all" else [args.fetch]
    for name in names:
        print(f"{name}: {sources.locate(name)}")
    if not names:
        print("\n".join(sources.describe()))


def build_parser():
    parser = cli.Parser(prog="python -m seqgan_tf", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train MLE then SeqGAN on a text file; save the model in --out")
    config.add_arguments(t, preset="small", from_data=cli.CORPUS_FIELDS)
    t.add_argument("--tokenize", choices=corpus.TOKENIZERS, default="word", help="word or char tokens")
    t.add_argument("--max_len", type=int, default=0,
                   help="tokens per line, <eos> excluded (default: 0, the longest line)")
    t.add_argument("--truncate", action="store_true", help="cut lines longer than --max_len (default: error)")
    t.add_argument("--max_vocab", type=int, default=0,
                   help="vocabulary cap, <unk> and <eos> included; rarer tokens become <unk> (default: 0, none)")
    cli.out_argument(t, f"{cli.RUNS}/train/<corpus file name>")
    s = commands.add_parser("sample", help="print lines generated by a model saved by `train`")
    s.add_argument("dir", help="the output directory of a finished `train`")
    s.add_argument("-n", type=int, default=20, help="how many lines")
    s.add_argument("--temperature", type=float, default=1.0, help="< 1 sharper, > 1 more varied")
    s.add_argument("--seed", type=int, default=0, help="same seed, same lines")
    s.add_argument("--model", choices=("seqgan", "mle"), default="seqgan", help="which generator")
    s.add_argument("--ids", action="store_true", help="print token ids instead of text")
    w = commands.add_parser("sweep", help="quality vs diversity of a saved model over sampling temperatures")
    w.add_argument("dir", help="the output directory of a finished `train`")
    w.add_argument("--alphas", help="inverse temperatures, comma-separated (default: 0.5 .. 2, fine near 1)")
    d = commands.add_parser("data", help="where each dataset is found, or fetch it (checked by sha256)")
    d.add_argument("--fetch", choices=[*sources.DATASETS, "all"], help="find or download this dataset")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        {"train": train, "sample": sample, "sweep": sweep, "data": data}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
