"""Generators compared on one corpus under Table 2's protocols (reproduce/cnn_generator.py --poems: the CNN G
against the LSTM G on the poems), from their saved runs: `rewrite_generator_pair` rebuilds the table from its files
alone."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..metrics.stats import mean_std, welch
from ..results import MODELS, atomic_write, read_json, seed_metrics, write_csv, write_json
from .fmt import cell, p_value, pm


PAIR_NOTE = ("Table 2's protocols, identical for every row: as many hypotheses as there are test poems, nltk sentence "
             "BLEU-2 of each against the whole reference set, averaged; (a) references = the test poems, (b) "
             "references = the training poems. Self-BLEU-2 unsmoothed, leave-one-out; NLL-test: per-token NLL of the "
             "test set. Each generator's runs use the same seeds, data, split and schedule.")
PAIR_COLUMNS = [("bleu2", "BLEU-2 (a)"), ("bleu2_train", "BLEU-2 (b)"), ("self_bleu2", "Self-BLEU-2"),
                ("nll_test", "NLL-test")]


def generator_pair(runs, labels, columns=PAIR_COLUMNS):
    """Generators compared on one corpus under Table 2's protocols: `runs` {generator: per-seed metrics.json dicts,
    the reference arm "lstm" first}; one row per (stage, generator) with mean ± std over seeds, and per stage the
    Welch p of each other generator vs "lstm" (over seeds). Only the seeds every generator has finished are compared;
    the others are named in "left_out" ({generator: seeds})."""
    common = sorted(set.intersection(*({r["seed"] for r in rs} for rs in runs.values())))
    if not common:
        raise ValueError("no seed finished by every generator: " + "; ".join(
            f"{name}: {sorted(r['seed'] for r in rs)}" for name, rs in runs.items()))
    left_out = {name: sorted(r["seed"] for r in rs if r["seed"] not in common) for name, rs in runs.items()}
    runs = {name: sorted((r for r in rs if r["seed"] in common), key=lambda r: r["seed"]) for name, rs in runs.items()}
    rows, sentences = [], []
    for model in MODELS:
        by = {}
        for name, rs in runs.items():
            row = {"stage": model, "generator": name, "label": labels.get(name, name), "seeds": len(rs)}
            for k, _ in columns:
                values = [r["models"][model][k] for r in rs]
                row[k], row[f"{k}_std"] = mean_std(values)
                row[f"{k}_seeds"] = values
            rows.append(by.setdefault(name, row))
        for name in (n for n in by if n != "lstm"):
            a, b = by["lstm"], by[name]
            p = {"stage": model, "generator": f"p ({name} vs lstm)", "label": "", "seeds": len(runs[name])}
            parts = []
            for k, header in columns:
                p[k] = welch(a[f"{k}_seeds"], b[f"{k}_seeds"])["p"]
                p[k] = None if np.isnan(p[k]) else p[k]
                parts.append(f"{header} {b[k]:.3f}{pm(b[f'{k}_std'])} vs {a[k]:.3f}{pm(a[f'{k}_std'])} "
                             f"(p {p_value(p[k])})")
            rows.append(p)
            sentences.append(f"After {'MLE' if model == 'mle' else 'SeqGAN'}, {b['label']} vs {a['label']}: "
                             + "; ".join(parts) + ".")
    return {"rows": rows, "columns": dict(columns), "seeds": common, "sentences": sentences,
            "left_out": {n: s for n, s in left_out.items() if s},
            "generators": list(runs), "labels": {n: labels.get(n, n) for n in runs}}


def write_generator_pair(out_dir, pair, title, lstm_from, name="poems"):
    """<name>.json (everything, and where the LSTM arm's runs are), .csv (one row per stage and generator, and the
    p rows) and .md (table + sentences)."""
    columns = list(pair["columns"].items())
    write_json(out_dir / f"{name}.json", {**pair, "title": title, "lstm_from": str(lstm_from)})
    write_csv(out_dir / f"{name}.csv", pair["rows"],
              ["stage", "generator", "seeds", *(c for k, _ in columns for c in (k, f"{k}_std"))])
    lines = [f"# {title}", "", "| stage | generator | " + " | ".join(h for _, h in columns) + " |",
             "|---" * (len(columns) + 2) + "|"]
    for row in pair["rows"]:
        cells = [cell({**row, "model": row["generator"]}, k) for k, _ in columns]
        lines.append(f"| {row['stage']} | {row['label'] or row['generator']} | " + " | ".join(cells) + " |")
    lines += ["", f"Mean ± std over seeds {', '.join(map(str, pair['seeds']))}; p: two-sided Welch t-test over "
              "seeds. " + PAIR_NOTE, ""]
    lines += [f"- {s}" for s in pair["sentences"]]
    if pair.get("left_out"):
        lines.append("- Left out (not finished by every generator, so in no row): " + "; ".join(
            f"{g} seed{'s' * (len(s) > 1)} {', '.join(map(str, s))}" for g, s in pair["left_out"].items()) + ".")
    atomic_write(out_dir / f"{name}.md", "\n".join(lines) + "\n")


def rewrite_generator_pair(out_dir, name="poems"):
    """Rebuild <name>.{md,csv,json} from the runs: the other generators' under out_dir/<generator>/, the LSTM arm's
    where <name>.json says (relative to the working directory, as it was given)."""
    old = read_json(Path(out_dir) / f"{name}.json")
    dirs = {"lstm": Path(old["lstm_from"]), **{g: Path(out_dir) / g for g in old["generators"] if g != "lstm"}}
    runs = {g: [read_json(p) for p in seed_metrics(d)] for g, d in dirs.items()}
    missing = [str(d) for g, d in dirs.items() if not runs[g]]
    if missing:
        raise FileNotFoundError(f"{out_dir}/{name}.json: no seed<k>/metrics.json under {', '.join(missing)}")
    write_generator_pair(out_dir, generator_pair(runs, old["labels"], list(old["columns"].items())), old["title"],
                         old["lstm_from"], name)
