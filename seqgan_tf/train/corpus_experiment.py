"""Experiments on a real corpus (paper §5: poems, Table 2; music, Table 4): NLL-test curve, BLEU-type metrics of
MLE and SeqGAN.

`CorpusExperiment` runs the same resumable MLE -> D -> adversarial schedule as the synthetic one on a
`PreparedCorpus`. The curve metric is NLL-test (cheap, every eval_every). At the two points Table 2 compares, the
end of MLE pretraining ("mle") and the end of adversarial training ("seqgan"), it also generates poems and scores
them, and keeps those poems and G's weights. `table` aggregates seeds into mean ± std and Welch p-values. The
metric set is a parameter: `text_metrics` (poems, the default) or `MusicMetrics` (BLEU-4 and pitch MSE).

BLEU variants (every one is nltk `sentence_bleu` averaged over hypotheses, with the whole reference set for every
hypothesis, the paper's protocol): `bleuN` unsmoothed (nltk method0), `bleuN_m1` with nltk method1 smoothing.
Scored on tokens (characters), not ids, so a test token unseen in training can never be matched by accident.
A variable-length corpus (an end token pads every line) is scored on the text only: generated and reference
sequences are cut at their first end token, so runs of padding never count as matching n-grams. MLE and NLL-test
do see the padding (every position of the fixed-length sequence, as the released code trains): G must learn
where a line ends and that nothing follows, and the near-certain end -> end steps make the per-token NLL lower
than a per-word one would be.
"""
from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from .. import config as config_lib
from ..data import music
from ..metrics.bleu import ReferenceBLEU, bleu_weights, self_bleu
from ..metrics.mse import closest_mse
from ..metrics.nll import nll_test, sample_many
from ..metrics.stats import mean_std, welch
from ..results import atomic_write, write_csv, write_json, write_samples
from .experiment import Experiment

MODELS = ("mle", "seqgan")
# (key, header) of each Table 2 column; every key is also in the CSV / JSON, with the rest of the metrics.
COLUMNS = [("bleu2", "BLEU-2"), ("bleu2_m1", "BLEU-2 m1"), ("bleu3_m1", "BLEU-3 m1"), ("bleu4_m1", "BLEU-4 m1"),
           ("self_bleu2", "Self-BLEU-2"), ("nll_test", "NLL-test")]
MUSIC_COLUMNS = [("bleu4", "BLEU-4"), ("bleu4_m1", "BLEU-4 m1"), ("mse", "MSE"), ("self_bleu4", "Self-BLEU-4"),
                 ("nll_test", "NLL-test")]
PAPER = {"poetry": {"mle": {"bleu2": 0.667}, "seqgan": {"bleu2": 0.7389}, "real": {"bleu2": 0.746}},
         "music": {"mle": {"bleu4": 0.9210, "mse": 22.38}, "seqgan": {"bleu4": 0.9406, "mse": 20.62}}}
POEM_NOTE = ("BLEU-n: nltk sentence BLEU with every test poem as a reference, averaged (real: test poems against "
             "the training set); m1 = nltk method1 smoothing; Self-BLEU-2 unsmoothed, leave-one-out; NLL-test: "
             "per-token NLL of the test set.")


def configure(cfg, data):
    """cfg with the sizes the corpus dictates: vocabulary, sequence length, the end token's id (variable-length
    corpora), and as many negatives per d-step as there are training sequences (the official rule). D windows
    longer than the sequences are dropped: a convolution cannot be wider than its input."""
    if len(data.train) < cfg.batch_size:
        raise ValueError(f"only {len(data.train)} training sequences, fewer than batch_size {cfg.batch_size}")
    windows = [(w, n) for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters) if w <= data.seq_len]
    if not windows:
        raise ValueError(f"every D window {cfg.d_filter_sizes} is longer than the sequences ({data.seq_len} tokens)")
    return config_lib.replace(cfg, vocab_size=len(data.vocab), seq_len=data.seq_len, num_samples=len(data.train),
                              end_token=-1 if data.end is None else int(data.vocab.index[data.end]),
                              d_filter_sizes=tuple(w for w, _ in windows), d_num_filters=tuple(n for _, n in windows))


def text_metrics(hyps, references: ReferenceBLEU) -> dict:
    """BLEU-2..4 (unsmoothed and method1) of hyps against every reference, and Self-BLEU-2 (unsmoothed)."""
    out = {}
    for n in (2, 3, 4):
        out[f"bleu{n}"] = references.mean(hyps, bleu_weights(n))
        out[f"bleu{n}_m1"] = references.mean(hyps, bleu_weights(n), "method1")
    out["self_bleu2"] = self_bleu(hyps, 2) if len(hyps) > 1 else None     # leave-one-out needs two
    return out


class MusicMetrics:
    """Table 4's metrics of token sequences (MIDI numbers as strings): BLEU-4 (unsmoothed and method1) against the
    whole test set, `closest_mse` to the test set in semitones², Self-BLEU-4 (unsmoothed, leave-one-out)."""

    def __init__(self, test):
        self.references = ReferenceBLEU(test, max_n=4)
        self.test = np.array([music.pitches(s) for s in test])

    def __call__(self, hyps) -> dict:
        w = bleu_weights(4)
        return {"bleu4": self.references.mean(hyps, w), "bleu4_m1": self.references.mean(hyps, w, "method1"),
                "mse": closest_mse([music.pitches(h) for h in hyps], self.test),
                "self_bleu4": self_bleu(hyps, 4) if len(hyps) > 1 else None}


MUSIC_NOTE = ("BLEU-4: nltk sentence BLEU-4 of each generated 32-step tune against every test tune, averaged; m1 = "
              "nltk method1 smoothing. MSE: for each generated tune, the mean over its 32 steps of the squared "
              "pitch difference (semitones²) to the closest test tune, averaged. Real: as many training tunes "
              "(never in the test set: the split is by tune) scored the same way, i.e. what a G sampling the "
              "true distribution would get. Self-BLEU-4: leave-one-out, unsmoothed; NLL-test: per-token NLL of "
              "the test set.")


def held_out_metrics(data, metrics, n, seed) -> dict:
    """`metrics` of n training sequences (a fixed-seed choice): real data outside the test set, scored exactly as
    n generated ones are (Table 4's calibration row)."""
    pick = np.random.default_rng(seed).choice(len(data.train), min(n, len(data.train)), replace=False)
    return metrics([data.train[i] for i in np.sort(pick)])


def real_data_metrics(data) -> dict:
    """The "real data" row: test sequences scored against the training set, as generated ones are against test."""
    return text_metrics(data.unpadded("test"), ReferenceBLEU(data.unpadded("train"), max_n=4))


class CorpusExperiment(Experiment):
    """MLE then SeqGAN on `data` (a corpus.PreparedCorpus); `render(tokens)` formats one sample for reading, and
    the samples go to `<model>_<text_name>.txt`, separated by `text_sep`; `metrics(list of token lists) -> dict`
    scores them (default: `text_metrics` against the test set)."""
    experiment = "corpus"
    text_name, text_sep = "poems", "\n\n"

    def __init__(self, cfg, out_dir, data, render=" ".join, progress=True, log=None, metrics=None):
        if (cfg.vocab_size, cfg.seq_len) != (len(data.vocab), data.seq_len):
            raise ValueError("cfg does not match the corpus: build it with corpus_experiment.configure(cfg, data)")
        self.data, self.render = data, render
        self.test = data.encoded("test")
        if metrics is None:
            self.references = ReferenceBLEU(data.unpadded("test"), max_n=4)
            metrics = lambda hyps: text_metrics(hyps, self.references)   # noqa: E731
        self.metrics = metrics
        super().__init__(cfg, out_dir, progress, log)

    def load_real(self):
        return tf.constant(self.data.encoded("train"))

    def score_generator(self, gen, epoch):
        return {"nll_test": nll_test(gen, self.test)}

    def score(self, epoch):
        metrics = super().score(epoch)
        ends = {"mle": self.cfg.pretrain_g_epochs, "seqgan": self.cfg.pretrain_g_epochs + self.cfg.adv_epochs}
        for model in (m for m in MODELS if ends[m] == epoch):
            self.hist.setdefault("models", {})[model] = {**metrics, **self.keep_model(model, epoch)}
        return metrics

    def keep_model(self, model, epoch):
        """Generate, score and save `model`'s poems and weights (seeded by (seed, epoch): a resumed run rewrites
        the same files). The metrics go into the checkpointed history, so they survive a resume."""
        gen = self.state.gen
        n = self.cfg.bleu_samples or len(self.data.test)
        ids = sample_many(gen, n, self.eval_seed(epoch))
        hyps = [self.data.decode(row) for row in ids]
        write_samples(self.out / f"{model}_samples.txt", ids)
        atomic_write(self.out / f"{model}_{self.text_name}.txt", self.text_sep.join(map(self.render, hyps)) + "\n")
        tmp = self.out / f".{model}_generator.tmp{os.getpid()}.weights.h5"   # Keras insists on this suffix
        gen.save_weights(tmp)
        os.replace(tmp, self.out / f"{model}_generator.weights.h5")
        return {"epoch": epoch, "n_generated": n, **self.metrics(hyps)}

    def summary(self, curve):
        best = min(curve, key=lambda c: c["nll_test"])
        return {
            "data": self.data.stats,
            "models": self.hist["models"],
            "nll_test": {"random_init": curve[0]["nll_test"], "final": curve[-1]["nll_test"],
                         "best": best["nll_test"], "best_epoch": best["epoch"]},
        }


class MusicExperiment(CorpusExperiment):
    """Nottingham tunes (Table 4): samples in {mle,seqgan}_tunes.txt; pass metrics=MusicMetrics(test)."""
    experiment = "music"
    text_name = "tunes"


class TextExperiment(CorpusExperiment):
    """Your own text (`python -m seqgan_tf train`): one line of text per sample, in {mle,seqgan}_text.txt."""
    experiment = "text"
    text_name, text_sep = "text", "\n"


def table2(runs, real, experiment="poetry"):
    return table(runs, real, COLUMNS, PAPER.get(experiment), experiment)


def table(runs, real, columns=COLUMNS, paper=None, experiment=None):
    """Rows of a metrics table from per-seed metrics.json dicts (`runs`) and the real-data metrics: mean, std over
    seeds, and the two-sided Welch p-value of SeqGAN vs MLE per metric. `columns`: (key, header) of the main ones."""
    measured = [k for k in runs[0]["models"]["mle"] if k not in ("epoch", "n_generated")]
    keys = [k for k, _ in columns if k in measured] + [k for k in measured if k not in dict(columns)]
    rows = [{"model": "real", "seeds": 0, **{k: real.get(k) for k in keys}}]
    for model in MODELS:
        row = {"model": model, "seeds": len(runs)}
        for k in keys:
            row[k], row[f"{k}_std"] = mean_std([r["models"][model][k] for r in runs])
        rows.append(row)
    p = {"model": "p (seqgan vs mle)", "seeds": len(runs)}
    for k in keys:
        if rows[1][k] is not None and rows[2][k] is not None:
            p[k] = welch([r["models"]["mle"][k] for r in runs], [r["models"]["seqgan"][k] for r in runs])["p"]
            p[k] = None if np.isnan(p[k]) else p[k]                     # undefined (no variance): JSON null
    return {"rows": rows + [p], "keys": keys, "seeds": [r["seed"] for r in runs], "paper": paper,
            "experiment": experiment, "columns": dict(columns), "data": runs[0]["data"]}


def _cell(row, key):
    value = row.get(key)
    if value is None:
        return "—"
    if row["model"].startswith("p "):
        return f"{value:.2g}"
    std = row.get(f"{key}_std")
    return f"{value:.4f}" if std is None else f"{value:.4f} ± {std:.4f}"


def read_samples(run_dir, model, text_name="poems") -> list[str]:
    """The rendered samples CorpusExperiment kept for `model` in one seed's directory (separated by blank lines)."""
    return (run_dir / f"{model}_{text_name}.txt").read_text(encoding="utf-8").strip().split("\n\n")


def write_table(out_dir, table, title, name="table2", note=POEM_NOTE, text_name="poems", examples=3):
    """<name>.json (everything, and what `rewrite_table` needs), <name>.csv (one row per model, every metric),
    <name>.md (the main columns, the paper's numbers, `note`, and the first `examples` samples of each model from
    the first seed's directory)."""
    table = {**table, "title": title, "note": note, "text_name": text_name}
    columns = list(table["columns"].items())
    write_json(out_dir / f"{name}.json", table)
    write_csv(out_dir / f"{name}.csv", table["rows"],
              ["model", "seeds", *(c for k in table["keys"] for c in (k, f"{k}_std"))])
    lines = [f"# {title}", "", "| model | " + " | ".join(h for _, h in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    lines += ["| " + row["model"] + " | " + " | ".join(_cell(row, k) for k, _ in columns) + " |"
              for row in table["rows"]]
    if table.get("paper"):
        paper = "; ".join(f"{m} " + ", ".join(f"{table['columns'][k]} {v}" for k, v in values.items())
                          for m, values in table["paper"].items())
        lines += ["", f"Paper (smoothing not stated): {paper}."]
    lines += ["", f"Mean ± std over seeds {table['seeds']}; p: two-sided Welch t-test over seeds. {note} "
              f"All variants in {name}.csv / {name}.json."]
    first = out_dir / f"seed{table['seeds'][0]}"
    for model in MODELS:
        samples = read_samples(first, model, text_name)[:examples]
        lines += ["", f"{model} samples (seed {table['seeds'][0]}):", "", "```", *"\n\n".join(samples).split("\n"),
                  "```"]
    atomic_write(out_dir / f"{name}.md", "\n".join(lines) + "\n")


def rewrite_table(out_dir, name="table2"):
    """Rebuild <name>.{md,csv,json} from the seed<k>/metrics.json under out_dir and what the existing <name>.json
    keeps (the real-data row, which depends only on the data; columns, paper numbers, title, note): no training,
    no data needed."""
    from ..results import read_json
    old = read_json(out_dir / f"{name}.json")
    runs = [read_json(p) for p in sorted(out_dir.glob("seed*/metrics.json"), key=lambda p: int(p.parent.name[4:]))]
    real = next(r for r in old["rows"] if r["model"] == "real")
    title = old.get("title") or (out_dir / f"{name}.md").read_text(encoding="utf-8").split("\n", 1)[0].lstrip("# ")
    write_table(out_dir, table(runs, real, list(old["columns"].items()), old.get("paper"), old.get("experiment")),
                title, name, old.get("note", POEM_NOTE), old.get("text_name", "poems"))
