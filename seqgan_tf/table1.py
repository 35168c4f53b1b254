"""Table 1 of the paper from saved runs: NLL-oracle per method over seeds, and p-values of SeqGAN vs each baseline.

Reads `<root>/seed<k>/<method>/metrics.json` as written by `train.experiment.run_methods`, so runs made by
separate invocations (one method, one seed at a time) merge into one table. Never trains.
"""
import math
from pathlib import Path

import numpy as np

from .config import METHODS
from .metrics.stats import mean_std, pool, welch, welch_from_stats
from .results import read_json, write_csv, write_json, atomic_write

ROWS = ("random", "mle", "ss", "pg_bleu", "seqgan")
LABELS = {"random": "Random", "mle": "MLE", "ss": "SS", "pg_bleu": "PG-BLEU", "seqgan": "SeqGAN"}
PAPER = {"random": 10.310, "mle": 9.038, "ss": 8.985, "pg_bleu": 8.946, "seqgan": 8.736}   # paper's Table 1


def collect(root):
    """{method: {seed: metrics}} of every finished method run under root (no entry for methods never run)."""
    runs = {}
    for path in sorted(Path(root).glob("seed*/*/metrics.json")):
        method = path.parent.name
        if method in METHODS:
            m = read_json(path)
            runs.setdefault(method, {})[m["seed"]] = m
    return runs


def has_runs(root):
    return bool(collect(root))


def preset_of(runs):
    return next(iter(next(iter(runs.values())).values()))["preset"]


def _final_epoch(m):
    return m["curve"][-1]["epoch"]


def evaluations(runs):
    """Per row of Table 1: {seed: (final NLL-oracle, best NLL-oracle, per-sequence stats of the final one)}.
    best = the lowest evaluation of the method's own rounds (after the shared pretraining, which would otherwise
    give every method the same best). Random is each seed's untrained G, the epoch-0 evaluation."""
    rows = {}
    for method, by_seed in runs.items():
        rows[method] = {s: (m["nll_oracle"]["final"],
                            m["nll_oracle"].get("best_adversarial") or m["nll_oracle"]["best"],
                            m["per_sequence_nll"].get(str(_final_epoch(m)))) for s, m in by_seed.items()}
        for s, m in by_seed.items():
            rows.setdefault("random", {})[s] = (m["nll_oracle"]["random_init"],) * 2 + (m["per_sequence_nll"].get("0"),)
    return rows


def _number(x):
    """NaN (undefined: a single seed) becomes None, which JSON can hold."""
    return None if x is None or math.isnan(x) else float(x)


def build(root):
    """The table as a list of row dicts (Random, MLE, SS, PG-BLEU, SeqGAN: those with runs)."""
    rows = evaluations(collect(root))
    seqgan = rows.get("seqgan")
    table = []
    for key in ROWS:
        if key not in rows:
            continue
        seeds = sorted(rows[key])
        final = [rows[key][s][0] for s in seeds]
        best = [rows[key][s][1] for s in seeds]
        row = {"method": LABELS[key], "key": key, "seeds": " ".join(map(str, seeds)), "n_seeds": len(seeds)}
        row["final_mean"], row["final_std"] = mean_std(final)
        row["best_mean"], row["best_std"] = mean_std(best)
        row["paper"] = PAPER[key]
        row.update(p_seeds=None, p_pooled=None, diff_vs_seqgan=None, pooled_n=None)
        if seqgan and key != "seqgan":
            ours = [seqgan[s][0] for s in sorted(seqgan)]
            row["diff_vs_seqgan"] = row["final_mean"] - float(np.mean(ours))
            row["p_seeds"] = _number(welch(ours, final)["p"])
            mine = [rows[key][s][2] for s in seeds]
            theirs = [seqgan[s][2] for s in sorted(seqgan)]
            if all(mine) and all(theirs):
                a, b = pool(theirs), pool(mine)
                row["p_pooled"] = _number(welch_from_stats(a["n"], a["mean"], a["var"],
                                                           b["n"], b["mean"], b["var"])["p"])
                row["pooled_n"] = f"{a['n']} vs {b['n']}"
        table.append(row)
    return table


def _fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}f}"


def _fmt_p(p):
    if p is None:
        return "—"
    return "< 1e-300" if p == 0 else f"{p:.2g}"


def markdown(table, title):
    lines = [f"### {title}", "",
             "| method | final NLL-oracle (mean ± std) | best NLL-oracle (mean ± std) | paper | seeds "
             "| Δ vs SeqGAN | p, Welch over seeds | p, Welch over pooled per-sequence NLLs |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table:
        diff = "—" if r["diff_vs_seqgan"] is None else f"{r['diff_vs_seqgan']:+.3f}"
        lines.append(f"| {r['method']} | {_fmt(r['final_mean'])} ± {_fmt(r['final_std'])} "
                     f"| {_fmt(r['best_mean'])} ± {_fmt(r['best_std'])} | {r['paper']:.3f} | {r['seeds']} "
                     f"| {diff} | {_fmt_p(r['p_seeds'])} | {_fmt_p(r['p_pooled'])} |")
    lines += ["", "final = the last evaluation of each run; best = its lowest evaluation after pretraining (the "
              "paper's figure may be a best). std over seeds (ddof 1). Random = the untrained generator (epoch 0). Δ = method − SeqGAN "
              "(positive: SeqGAN lower). p-values two-sided: Welch's t over the per-seed final values, and Welch's t "
              "over the per-sequence oracle NLLs (summed over T) of every seed's final samples pooled "
              "(the paper-style test).", ""]
    return "\n".join(lines)


def write(root):
    """Write table1.{md,csv,json} into root; returns the table."""
    root = Path(root)
    table = build(root)
    write_json(root / "table1.json", {"rows": table, "root": str(root)})
    write_csv(root / "table1.csv", table)
    atomic_write(root / "table1.md", markdown(table, f"Table 1 (NLL-oracle), '{preset_of(collect(root))}' preset"))
    return table
