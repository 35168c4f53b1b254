"""Table 1 of the paper from saved runs: NLL-oracle per row over seeds, with 95% intervals and Welch's test over
seeds of SeqGAN against each other row.

Reads `<root>/seed<k>/<row>/metrics.json` as written by `experiments.sweep.run_methods` (rows: seqgan_tf/methods.py), so runs made by separate invocations (one row, one seed at a time) merge into one table. Two rows come from
those runs' own curves: Random (the untrained G, and after one MLE epoch, where the released code logs its first
evaluation) and MLE early-stopped (the evaluation of the MLE run with the lowest NLL-valid). Never trains.
"""
import math
from pathlib import Path

import numpy as np

from .. import config
from ..methods import METHODS
from ..metrics.stats import ci95, mean_std, pool, welch, welch_from_stats
from ..results import atomic_write, read_json, write_csv, write_json
from ..runtime import cpu_label
from .fmt import num, p_value
from .released_log import RELEASED_ADVERSARIAL

# Rows read from other rows' curves (the MLE run's), then every method in the methods table.
DERIVED = {"random": "Random (untrained G)", "random_1": "Random (after 1 MLE epoch)",
           "mle_early": "MLE, early-stopped on NLL-valid"}
ROWS = ("random", "random_1", "mle", "mle_early", *(m for m in METHODS if m != "mle"))
LABELS = {**DERIVED, **{name: m.label for name, m in METHODS.items()}}
# The paper's numbers, beside every row whose protocol could be the paper's (which one is unknown).
PAPER = {"random": 10.310, "random_1": 10.310, **{name: m.paper for name, m in METHODS.items() if m.paper}}


def collect(root):
    """{row: {seed: metrics}} of every finished synthetic run of a methods-table row under root (no entry for rows
    never run; a corpus's methods sweep has the same layout and is not Table 1)."""
    runs = {}
    for path in sorted(Path(root).glob("seed*/*/metrics.json")):
        if path.parent.name in METHODS:
            m = read_json(path)
            if m.get("experiment", "synthetic") == "synthetic":
                runs.setdefault(path.parent.name, {})[m["seed"]] = m
    return runs


def has_runs(root):
    return bool(collect(root))


def preset_of(runs):
    return next(iter(next(iter(runs.values())).values()))["preset"]


def _at(m, epoch):
    return next(c for c in m["curve"] if c["epoch"] == epoch)


def evaluations(runs):
    """Per row: {seed: {"final", "best", "nll_test", "stats"}} — final and best NLL-oracle (best: the lowest of the
    row's own rounds, so selected on the reported metric), the final NLL-test and the per-sequence statistics of
    the final evaluation (for the pooled test)."""
    rows = {}
    for name, by_seed in runs.items():
        for s, m in by_seed.items():
            n, last = m["nll_oracle"], m["curve"][-1]
            rows.setdefault(name, {})[s] = {"final": n["final"], "best": n.get("best_adversarial") or n["best"],
                                            "nll_test": m["nll_test"]["final"],
                                            "stats": m["per_sequence_nll"].get(str(last["epoch"]))}
            first = _at(m, 0)
            rows.setdefault("random", {})[s] = {"final": first["nll_oracle"], "best": None,
                                                "nll_test": first["nll_test"], "stats": m["per_sequence_nll"].get("0")}
            if n.get("after_1_epoch") is not None:
                one = _at(m, 1)
                rows.setdefault("random_1", {})[s] = {"final": one["nll_oracle"], "best": None,
                                                      "nll_test": one["nll_test"],
                                                      "stats": m["per_sequence_nll"].get("1")}
            early = m.get("early_stopped")
            if name == "mle" and early:
                rows.setdefault("mle_early", {})[s] = {"final": early["nll_oracle"], "best": None,
                                                       "nll_test": early["nll_test"], "epoch": early["epoch"],
                                                       "stats": m["per_sequence_nll"].get(str(early["epoch"]))}
    return rows


def _number(x):
    """NaN (undefined: a single seed) becomes None, which JSON can hold."""
    return None if x is None or math.isnan(x) else float(x)


def build(root):
    """The table as a list of row dicts, in ROWS order (those with runs)."""
    runs = collect(root)
    rows = evaluations(runs)
    seqgan = rows.get("seqgan")
    rounds = next(iter(runs.get("seqgan", {}).values()), {}).get("config", {}).get("adv_epochs")
    table = []
    for key in (k for k in ROWS if k in rows):
        seeds = sorted(rows[key])
        final = [rows[key][s]["final"] for s in seeds]
        best = [rows[key][s]["best"] for s in seeds]
        row = {"method": LABELS[key], "key": key, "seeds": " ".join(map(str, seeds)), "n_seeds": len(seeds)}
        row["final_mean"], row["final_std"] = mean_std(final)
        row["final_ci95_lo"], row["final_ci95_hi"] = ci95(final)
        row["best_mean"], row["best_std"] = mean_std(best) if None not in best else (None, None)
        row["nll_test_mean"], row["nll_test_std"] = mean_std([rows[key][s]["nll_test"] for s in seeds])
        row["paper"] = PAPER.get(key)
        row["released_log_same_rounds"] = RELEASED_ADVERSARIAL.get(rounds) if key == "seqgan" else None
        if key == "mle_early":
            row["epochs"] = " ".join(str(rows[key][s]["epoch"]) for s in seeds)
        row.update(p_seeds=None, diff_vs_seqgan=None, p_pooled_pseudoreplicated=None)
        if seqgan and key != "seqgan":
            ours = [seqgan[s]["final"] for s in sorted(seqgan)]
            row["diff_vs_seqgan"] = row["final_mean"] - float(np.mean(ours))
            row["p_seeds"] = _number(welch(ours, final)["p"])
            mine, theirs = [rows[key][s]["stats"] for s in seeds], [seqgan[s]["stats"] for s in sorted(seqgan)]
            if all(mine) and all(theirs):
                a, b = pool(theirs), pool(mine)
                row["p_pooled_pseudoreplicated"] = _number(
                    welch_from_stats(a["n"], a["mean"], a["var"], b["n"], b["mean"], b["var"])["p"])
        table.append(row)
    return table


def markdown(table, title):
    lines = [f"### {title}", "",
             "| row | final NLL-oracle (mean ± std) | 95% interval | best, selected on NLL-oracle itself "
             "| final NLL-test | paper | seeds | Δ vs SeqGAN | p, Welch over seeds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in table:
        diff = "—" if r["diff_vs_seqgan"] is None else f"{r['diff_vs_seqgan']:+.3f}"
        best = "—" if r["best_mean"] is None else f"{num(r['best_mean'])} ± {num(r['best_std'])}"
        lines.append(f"| {r['method']} | {num(r['final_mean'])} ± {num(r['final_std'])} "
                     f"| {num(r['final_ci95_lo'])} – {num(r['final_ci95_hi'])} | {best} "
                     f"| {num(r['nll_test_mean'])} | {num(r['paper'])} | {r['seeds']} | {diff} "
                     f"| {p_value(r['p_seeds'])} |")
    seqgan = next((r for r in table if r["key"] == "seqgan"), None)
    released = seqgan and seqgan["released_log_same_rounds"]
    lines += ["", "final = the last evaluation of each run; best = its lowest evaluation after pretraining, chosen by "
              "looking at NLL-oracle itself (for a collapsing G that is the collapse), so only final is a fair "
              "number. std over seeds (ddof 1); 95% interval = mean ± t(0.975, seeds − 1) · std / √seeds. "
              "Δ = row − SeqGAN (positive: SeqGAN lower); p = Welch's two-sided t-test over the per-seed final "
              "values (seeds are the replicates). NLL-test = G's per-token NLL of 2,000 held-out oracle sequences "
              "(it rises when G drops modes). The paper's number stands beside every row whose protocol could be "
              "the paper's (which one is unknown)."
              + (f" The released code's own log reads {released:.3f} after the same number of rounds; the paper's "
                 "8.736 comes from 200 (or, in the earlier code, 800) rounds." if released else ""),
              "A per-sequence Welch test over the pooled samples of all seeds is in table1.json "
              "(`p_pooled_pseudoreplicated`): it treats the samples of one run as independent replicates, which "
              "they are not, so it is not used here.", ""]
    return "\n".join(lines)


def write(root):
    """Write table1.{md,csv,json} into root; returns the table."""
    root = Path(root)
    table = build(root)
    write_json(root / "table1.json", {"rows": table, "root": str(root)})
    write_csv(root / "table1.csv", table)
    atomic_write(root / "table1.md", markdown(table, f"Table 1 (NLL-oracle), '{preset_of(collect(root))}' preset"))
    return table


def run_line(metrics) -> str:
    """The line one synthetic run ends with: NLL-oracle untrained, after MLE, after the rounds and the lowest."""
    n, cfg = metrics["nll_oracle"], metrics["config"]
    rounds = n["best_epoch"] - cfg["pretrain_g_epochs"]
    where = f"round {rounds}" if rounds > 0 else f"MLE epoch {n['best_epoch']}"
    return (f"NLL-oracle: random init {n['random_init']:.3f}, after MLE {n['after_mle']:.3f}, after "
            f"{cfg['adv_epochs']} rounds {n['final']:.3f} (best {n['best']:.3f} at {where}); "
            f"real data {n['real_data']:.3f}")


def reference_line(metrics, reference: Path):
    """The committed run `reference` (a metrics.json) as run_line, naming its CPU and threads, when it was made
    with the same config as `metrics` (settings that never change the numbers aside); else None."""
    if not reference.is_file():
        return None
    ref = read_json(reference)
    run_only = config.fields_in(config.RUN)
    same = lambda saved: {k: v for k, v in config.from_dict(saved).to_dict().items() if k not in run_only}  # noqa: E731
    if same(ref["config"]) != same(metrics["config"]):
        return None
    m = ref.get("machine", {})
    cpu = (cpu_label(m["cpu"], m["cpu_family"], m["cpu_model"], m["avx512"]) if "cpu_family" in m
           else m.get("cpu", "an unrecorded CPU"))
    on = f"{cpu}, {m.get('intra_op_threads', '?')} thread(s)"
    return (f"committed reference ({reference}, {on}):\n{run_line(ref)}\n(the last digits differ between CPUs and "
            f"thread counts)")
