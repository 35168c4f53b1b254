"""Write the synthetic experiment's "real" corpus to a file in the official format (one sequence a line, 20
space-separated token ids), e.g. to train another implementation on exactly the data ours sees.

    python data/oracle_corpus.py --out cache/real_data.txt                  # official oracle, seed 88, 10,000
    python data/oracle_corpus.py --out /tmp/r.txt --seed 1 --num_samples 2000 --oracle PATH

The experiment itself never reads such a file: it draws the corpus from the oracle with a seed fixed by
`seed`, so the same seed gives the same corpus (this script writes exactly that corpus).
"""
from pathlib import Path

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.results import write_samples  # noqa: E402
from seqgan_tf.experiments.oracle_task import load_oracle, real_data_seed  # noqa: E402


def build_parser():
    parser = cli.Parser(description=__doc__)
    config.add_arguments(parser, preset="paper")
    parser.add_argument("--out", required=True, help="file to write")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        cfg = config.from_args(args)
        oracle = load_oracle(cfg)
        cli.output_dir(Path(args.out).parent)
        real = oracle.sample(cfg.num_samples, real_data_seed(cfg)).numpy()
        write_samples(args.out, real)
        print(f"wrote {len(real)} sequences to {args.out}; NLL-oracle of this corpus {float(oracle.nll(real)):.4f}")


if __name__ == "__main__":
    main()
