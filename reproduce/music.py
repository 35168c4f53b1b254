"""Nottingham folk tunes (paper §5, Table 4): BLEU-4 and pitch MSE of MLE vs SeqGAN vs real tunes, over seeds.

    python reproduce/music.py                        # "music" preset, 3 seeds (docs/report.md: measured time)
    python reproduce/music.py --preset paper         # the released schedule (its projected time is printed first)
    python reproduce/music.py --source DIR           # another directory of MIDI files (*.mid, not recursive)
    python reproduce/music.py --rescore --lm_scores  # no training: score the kept tunes again, with the LM columns
    python reproduce/music.py --preset smoke --seeds 2 --batch_size 8 --source DIR     # seconds, for tests

Data (see data/README.md, "Nottingham folk tunes"): the melody's pitch every 0.4 s (--midi_step) as one of 88
piano-key tokens, tunes cut into windows of 32 (--midi_len), split 90/10 by tune with a fixed seed; unreadable
MIDI files are skipped with a warning and counted. Prepared data is cached under --cache (default cache/).
Writes runs/music/<preset>/ (or --out): table4.{md,csv,json}, midi/{real,mle,seqgan}_<i>.mid (playable samples),
piano_roll.png, and per seed seed<k>/ with metrics.json, curve.csv, {mle,seqgan}_tunes.txt and G's weights.
Re-running resumes every seed.
"""

from seqgan_tf import runtime

runtime.configure()    # before TensorFlow starts: see seqgan_tf/runtime.py

from seqgan_tf import cli, config  # noqa: E402
from seqgan_tf.data import midi  # noqa: E402
from seqgan_tf.experiments.corpus_experiments import configure, scoring, seed_runs  # noqa: E402
from seqgan_tf.metrics.corpus_metrics import held_out_metrics  # noqa: E402
from seqgan_tf.report import corpus_tables, plots  # noqa: E402
from seqgan_tf.results import MODELS, read_samples  # noqa: E402


def build_parser():
    parser = cli.seeds_parser(__doc__, "music", "music", kept="tunes", methods=False)
    parser.add_argument("--examples", type=int, default=3, help="tunes per model written as MIDI")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with cli.one_line_errors():
        if args.examples < 1:
            raise ValueError(f"--examples must be at least 1, got {args.examples}")
        cfg = config.from_args(args)
        seeds = cli.seed_range(cfg, args.seeds)
        data = midi.prepare(cfg.corpus, args.cache, cfg.test_fraction, cfg.split_seed, cfg.midi_step, cfg.midi_len)
        cfg = configure(cfg, data)
        out = cli.study_output_dir(args, "music", cfg)
        metrics, _ = scoring("tunes", data, cfg)
        runs, real_lm = seed_runs(cfg, seeds, out, "tunes", data, metrics, str.split, cli.executor(args),
                                  args.rescore, args.lm_scores)
        real = {**held_out_metrics(data, metrics, cfg.bleu_samples or len(data.test), cfg.split_seed), **real_lm}
        table = corpus_tables.table(runs, real, corpus_tables.MUSIC_COLUMNS, corpus_tables.PAPER["music"], "music")
        corpus_tables.write_table(out, table,
                                  f"Nottingham folk tunes, preset {cfg.preset} ({data.stats['train']} train / "
                                  f"{data.stats['test']} test sequences of {data.seq_len}, {data.stats['tunes']} tunes)",
                                  name="table4", note=corpus_tables.MUSIC_NOTE, text_name="tunes")
        first, k = out / f"seed{cfg.seed}", args.examples
        tunes = {"real": data.test[::max(1, len(data.test) // k)][:k],      # spread over the test tunes
                 **{m: [t.split() for t in read_samples(first, m, "tunes")[:k]] for m in MODELS}}
        midi.write_examples(tunes, out / "midi", cfg.midi_step)
        plots.piano_roll({m: [midi.pitches(t) for t in ts] for m, ts in tunes.items()}, out / "piano_roll.png",
                         cfg.midi_step, f"Nottingham, preset {cfg.preset}: real test tunes, MLE and SeqGAN samples")
        print((out / "table4.md").read_text() + f"Results in {out}/ (MIDI in {out / 'midi'}/)")


if __name__ == "__main__":
    main()
