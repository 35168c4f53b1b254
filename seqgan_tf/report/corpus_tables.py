"""Tables 2, 3 and 4 (and any corpus table) from per-seed metrics.json files: mean ± std over seeds, Welch p-values
of SeqGAN vs MLE, the real-data row, sample texts. `rewrite_table` rebuilds a table from its files alone. The CNN vs
LSTM pair on the poems is in report/poem_pair.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..methods import METHODS
from ..metrics.stats import mean_std, welch
from ..results import MODELS, atomic_write, read_json, read_samples, seed_metrics, write_csv, write_json
from .fmt import cell

# (key, header) of each Table 2 column; every key is also in the CSV / JSON, with the rest of the metrics.
COLUMNS = [("bleu2", "BLEU-2 (a)"), ("bleu2_m1", "BLEU-2 m1 (a)"), ("bleu2_train", "BLEU-2 (b)"),
           ("bleu2_m1_train", "BLEU-2 m1 (b)"), ("bleu2_punct", "BLEU-2 (a) + punct."),
           ("bleu2_train_punct", "BLEU-2 (b) + punct."), ("self_bleu2", "Self-BLEU-2"), ("nll_test", "NLL-test")]
LM_COLUMNS = [("lm_score", "LM score"), ("reverse_lm_score", "reverse-LM score")]     # shown where measured
COLUMNS += LM_COLUMNS
LM_NOTE = (" LM score: per-token NLL of the samples under an LSTM trained on the training data (quality); reverse-LM "
           "score: per-token NLL of the test data under an LSTM trained on the samples (coverage); real row: the "
           "test data, and an LSTM trained on as many training sequences; lower is better for both "
           "(seqgan_tf/metrics/lm_score.py).")
MUSIC_COLUMNS = [("bleu4", "BLEU-4"), ("bleu4_m1", "BLEU-4 m1"), ("mse", "MSE"), ("self_bleu4", "Self-BLEU-4"),
                 ("nll_test", "NLL-test"), *LM_COLUMNS]
SPEECH_COLUMNS = [("bleu3", "BLEU-3 (a)"), ("bleu4", "BLEU-4 (a)"), ("bleu3_m1", "BLEU-3 m1 (a)"),
                  ("bleu4_m1", "BLEU-4 m1 (a)"), ("bleu3_train", "BLEU-3 (b)"), ("bleu4_train", "BLEU-4 (b)"),
                  ("bleu3_m1_train", "BLEU-3 m1 (b)"), ("bleu4_m1_train", "BLEU-4 m1 (b)"),
                  ("self_bleu2", "Self-BLEU-2"), ("nll_test", "NLL-test"), *LM_COLUMNS]
PAPER = {"poetry": {"mle": {"BLEU-2": 0.667}, "seqgan": {"BLEU-2": 0.7389}, "real": {"BLEU-2": 0.746}},
         "music": {"mle": {"bleu4": 0.9210, "mse": 22.38}, "seqgan": {"bleu4": 0.9406, "mse": 20.62}},
         "speeches": {"mle": {"BLEU-3": 0.519, "BLEU-4": 0.416}, "seqgan": {"BLEU-3": 0.556, "BLEU-4": 0.427}}}
POEM_NOTE = ("Every row is scored the same way within a protocol: as many hypotheses as there are test poems, "
             "nltk sentence BLEU of each against the whole reference set, averaged. (a) references = the test "
             "poems (the paper's stated protocol); its real row = as many training poems (fixed-seed choice). "
             "(b) references = the training poems; its real row = the test poems, which are not among them. "
             "+ punct.: the marks ，。，。 put back at their fixed places in hypotheses and references alike (every "
             "poem has them, so they are free matches). m1 = nltk method1 smoothing; Self-BLEU-2 unsmoothed, "
             "leave-one-out, without punctuation; NLL-test: per-token NLL of the test set. The paper's real-data "
             "level is reached only with the large reference set of (b); under (a) real poems score far lower, so "
             "(b) is most likely what the paper's numbers measure.")
SPEECH_NOTE = ("Every row is scored the same way within a protocol: as many hypotheses as there are test "
               "sentences, each cut at its end token, nltk sentence BLEU of each against the whole reference set, "
               "averaged. (a) references = the test sentences (the paper's stated protocol); its real row = as "
               "many training sentences (fixed-seed choice). (b) references = the training sentences; its real row "
               "= the test sentences, which share no paragraph with them. Tokens: case-folded words and "
               "punctuation marks (seqgan_tf/data/speeches.py). m1 = nltk method1 smoothing; Self-BLEU-2 unsmoothed, "
               "leave-one-out; NLL-test: per-token NLL of the test set, padding included.")
MUSIC_NOTE = ("Every row is scored identically: the same references (every test tune), as many hypotheses as test "
              "tunes, the same tokens. "
              "BLEU-4: nltk sentence BLEU-4 of each generated 32-step tune against every test tune, averaged; m1 = "
              "nltk method1 smoothing. MSE: for each generated tune, the mean over its 32 steps of the squared "
              "pitch difference (semitones²) to the closest test tune, averaged. Real: as many training tunes "
              "(never in the test set: the split is by tune) scored the same way, i.e. what a G sampling the "
              "true distribution would get. Self-BLEU-4: leave-one-out, unsmoothed; NLL-test: per-token NLL of "
              "the test set.")


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


def write_table(out_dir, table, title, name="table2", note=POEM_NOTE, text_name="poems", examples=3,
                text_sep="\n\n"):
    """<name>.json (everything, and what `rewrite_table` needs), <name>.csv (one row per model, every metric),
    <name>.md (the main columns, the paper's numbers, `note`, and the first `examples` samples of each model from
    the first seed's directory)."""
    measured_lm = any(k in table["keys"] for k, _ in LM_COLUMNS)
    note = note.replace(LM_NOTE, "")            # a rewritten table's note carries it already: said once, if measured
    table = {**table, "title": title, "note": note + (LM_NOTE if measured_lm else ""), "text_name": text_name,
             "examples": examples, "text_sep": text_sep}
    columns = [(k, h) for k, h in table["columns"].items() if k in table["keys"] or k not in dict(LM_COLUMNS)]
    write_json(out_dir / f"{name}.json", table)
    write_csv(out_dir / f"{name}.csv", table["rows"],
              ["model", "seeds", *(c for k in table["keys"] for c in (k, f"{k}_std"))])
    lines = [f"# {title}", "", "| model | " + " | ".join(h for _, h in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    lines += ["| " + row["model"] + " | " + " | ".join(cell(row, k) for k, _ in columns) + " |"
              for row in table["rows"]]
    if table.get("paper"):
        paper = "; ".join(f"{m} " + ", ".join(f"{table['columns'].get(k, k)} {v}" for k, v in values.items())
                          for m, values in table["paper"].items())
        lines += ["", f"Paper (smoothing not stated): {paper}."]
    lines += ["", f"Mean ± std over seeds {table['seeds']}; p: two-sided Welch t-test over seeds. {table['note']} "
              f"All variants in {name}.csv / {name}.json."]
    first = out_dir / f"seed{table['seeds'][0]}"
    for model in MODELS:
        samples = read_samples(first, model, text_name, text_sep)[:examples]
        lines += ["", f"{model} samples (seed {table['seeds'][0]}):", "", "```", *text_sep.join(samples).split("\n"),
                  "```"]
    atomic_write(out_dir / f"{name}.md", "\n".join(lines) + "\n")


def rewrite_table(out_dir, name="table2"):
    """Rebuild <name>.{md,csv,json} from the seed<k>/metrics.json under out_dir and what the existing <name>.json
    keeps (the real-data row, which depends only on the data; columns, paper numbers, title, note): no training,
    no data needed."""
    old = read_json(out_dir / f"{name}.json")
    runs = [read_json(p) for p in seed_metrics(out_dir)]
    real = next(r for r in old["rows"] if r["model"] == "real")
    title = old.get("title") or (out_dir / f"{name}.md").read_text(encoding="utf-8").split("\n", 1)[0].lstrip("# ")
    write_table(out_dir, table(runs, real, list(old["columns"].items()), old.get("paper"), old.get("experiment")),
                title, name, old.get("note", POEM_NOTE), old.get("text_name", "poems"), old.get("examples", 3),
                old.get("text_sep", "\n\n"))


# -- a corpus sweep of several methods (poetry_bleu.py / speech_bleu.py --methods) --------------------------------
METHODS_TABLE = "methods"        # <out>/methods.{md,csv,json}
PRETRAINED = "pretrain"          # the row of each seed's shared pretraining: MLE at the end of pretraining
# Per corpus kind: (columns, note, experiment, samples shown per row, how kept samples are separated)
METHODS_LAYOUT = {"poems": (COLUMNS, POEM_NOTE, "poetry", 2, "\n\n"),
                  "speeches": (SPEECH_COLUMNS, SPEECH_NOTE, "speeches", 3, "\n")}


def methods_runs(out_dir) -> dict:
    """{"pretrain" or method: {seed: metrics.json}} of the finished runs of a corpus methods sweep under out_dir."""
    runs = {}
    for path in sorted(Path(out_dir).glob("seed*/*/metrics.json")):
        if path.parent.name == PRETRAINED or path.parent.name in METHODS:
            m = read_json(path)
            runs.setdefault(path.parent.name, {})[m["seed"]] = m
    return runs


def _kept(name):
    """The model a run of the sweep keeps for its row: the pretraining's MLE G, a method's G after its rounds."""
    return "mle" if name == PRETRAINED else "seqgan"


def _label(name):
    if name == PRETRAINED:
        return "MLE (end of pretraining)"
    return "MLE continued through the rounds" if name == "mle" else METHODS[name].label


def methods_table(runs, real, columns, experiment=None):
    """Rows: the real data, MLE at the end of pretraining, then each method's G after its rounds (methods.py order):
    mean ± std over seeds. p rows: for each row but SeqGAN's, the two-sided Welch p over seeds against SeqGAN, per
    metric (seeds are the replicates)."""
    if PRETRAINED not in runs:
        raise FileNotFoundError("no finished shared pretraining (seed<k>/pretrain/metrics.json) to build the table on")
    names = [PRETRAINED, *(n for n in METHODS if n in runs)]
    values = {n: {s: m["models"][_kept(n)] for s, m in sorted(runs[n].items())}
              for n in names}
    first = next(iter(values[PRETRAINED].values()))
    measured = [k for k in first if k not in ("epoch", "n_generated")]
    keys = [k for k, _ in columns if k in measured] + [k for k in measured if k not in dict(columns)]
    rows = [{"model": "real", "label": "real data", "seeds": "", **{k: real.get(k) for k in keys}}]
    for n in names:
        row = {"model": n, "label": _label(n), "seeds": " ".join(map(str, values[n]))}
        for k in keys:
            row[k], row[f"{k}_std"] = mean_std([v[k] for v in values[n].values()])
        rows.append(row)
    p_rows = []
    for n in (n for n in names if n != "seqgan" and "seqgan" in values):
        row = {"model": f"p ({n} vs seqgan)", "label": f"p: {_label(n)} vs SeqGAN", "seeds": ""}
        for k in keys:
            a, b = [v[k] for v in values["seqgan"].values()], [v[k] for v in values[n].values()]
            p = None if None in a + b else welch(a, b)["p"]
            row[k] = None if p is None or np.isnan(p) else p
        p_rows.append(row)
    return {"rows": rows, "p_rows": p_rows, "keys": keys, "columns": dict(columns), "experiment": experiment,
            "data": next(iter(runs[PRETRAINED].values()))["data"]}


def write_methods_table(out_dir, table, title, note, text_name="poems", examples=2, text_sep="\n\n"):
    """methods.json (everything, and what rewrite_methods_table needs), methods.csv (every row and metric),
    methods.md (the main columns, the p rows, `note`, and `examples` samples of each row from the first seed)."""
    out_dir = Path(out_dir)
    table = {**table, "title": title, "note": note, "text_name": text_name, "examples": examples,
             "text_sep": text_sep}
    columns = [(k, h) for k, h in table["columns"].items() if k in table["keys"]]
    write_json(out_dir / f"{METHODS_TABLE}.json", table)
    write_csv(out_dir / f"{METHODS_TABLE}.csv", table["rows"] + table["p_rows"],
              ["model", "label", "seeds", *(c for k in table["keys"] for c in (k, f"{k}_std"))])
    head = ["| row | seeds | " + " | ".join(h for _, h in columns) + " |", "|---" * (len(columns) + 2) + "|"]
    lines = [f"# {title}", "", *head]
    lines += [f"| {r['label']} | {r['seeds'] or '—'} | " + " | ".join(cell(r, k) for k, _ in columns) + " |"
              for r in table["rows"]]
    if table["p_rows"]:
        lines += ["", "Two-sided Welch p over seeds against SeqGAN:", "", *head]
        lines += [f"| {r['label'].removeprefix('p: ')} | | " + " | ".join(cell(r, k) for k, _ in columns) + " |"
                  for r in table["p_rows"]]
    lines += ["", f"Mean ± std over seeds. Each seed's MLE pretraining is shared: every method starts from the G "
              f"of the row 'MLE (end of pretraining)' (seed<k>/pretrain) and runs its rounds into seed<k>/<method>; "
              f"its G after the rounds is scored here (kept as seqgan_{text_name}.txt there). {note} "
              f"Every metric in {METHODS_TABLE}.csv / {METHODS_TABLE}.json."]
    for r in table["rows"][1:]:             # the first seed of each row (its seeds, in order)
        seed = r["seeds"].split()[0]
        samples = read_samples(out_dir / f"seed{seed}" / r["model"], _kept(r["model"]), text_name, text_sep)[:examples]
        lines += ["", f"{r['label']} (seed {seed}):", "", "```", *text_sep.join(samples).split("\n"), "```"]
    atomic_write(out_dir / f"{METHODS_TABLE}.md", "\n".join(lines) + "\n")


def write_methods(out_dir, kind, real, title) -> str:
    """methods.{md,csv,json} of the corpus methods sweep in out_dir (experiments/corpus_experiments.py:run_methods)
    on corpus `kind` ("poems", "speeches"), `real` the real row; returns the markdown."""
    columns, note, experiment, examples, sep = METHODS_LAYOUT[kind]
    write_methods_table(out_dir, methods_table(methods_runs(out_dir), real, columns, experiment),
                        f"{title}: methods from a shared pretraining", note, kind, examples, sep)
    return (Path(out_dir) / f"{METHODS_TABLE}.md").read_text(encoding="utf-8")


def rewrite_methods_table(out_dir):
    """Rebuild methods.{md,csv,json} from the runs under out_dir and what the existing methods.json keeps (the
    real row, columns, title, note): no training, no data."""
    old = read_json(Path(out_dir) / f"{METHODS_TABLE}.json")
    real = next(r for r in old["rows"] if r["model"] == "real")
    write_methods_table(out_dir, methods_table(methods_runs(out_dir), real, list(old["columns"].items()),
                                               old.get("experiment")),
                        old["title"], old["note"], old["text_name"], old["examples"], old["text_sep"])
