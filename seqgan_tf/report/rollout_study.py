"""The "rollout_ablation" study: the number N of Monte-Carlo rollouts (and none), and the two rollout policies at
N = 16 (what each runs: seqgan_tf/studies.py:ablation_settings), with the reward variance measured on a fixed batch
(reward_variance.json beside the runs); summarised from the saved runs and drawn. Never trains."""
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..metrics import stats  # noqa: E402
from ..results import read_json, save_figure  # noqa: E402
from ..studies import ROLLOUT_NS, ablation_name  # noqa: E402
from .common import collect, preset, stat  # noqa: E402
from .fmt import num, p_value  # noqa: E402

STUDY, FIGURE = "rollout_ablation", "rollout_ablation"


def _ablation_label(name):
    return {"no_rollout": "no rollout", "n16_delayed": "N=16, delayed 0.8"}.get(name, f"N={name[1:]}")


def summarise(root):
    settings = [ablation_name(n) for n in ROLLOUT_NS] + ["n16_delayed"]
    runs = collect(root, settings)
    spreads = [read_json(p) for p in sorted(Path(root).glob("seed*/reward_variance.json"))]
    rows = []
    for name, ms in runs.items():
        cfg = ms[0]["config"]
        final, final_std = stat(ms, "final")
        row = {"name": name, "label": _ablation_label(name), "rollout_num": cfg["rollout_num"],
               "rollout_policy": cfg["rollout_policy"], "seeds": [m["seed"] for m in ms], "n_seeds": len(ms),
               "rounds": cfg["adv_epochs"], "after_mle": stat(ms, "after_mle")[0],
               "final_mean": final, "final_std": final_std, "best_mean": stat(ms, "best_adversarial")[0],
               "finals": [m["nll_oracle"]["final"] for m in ms],
               "seconds_per_round": float(np.mean([m["seconds_per_round"] for m in ms])),
               "reward_var": None, "reward_var_std": None, "reward_gap": None}
        key = str(cfg["rollout_num"])
        if cfg["rollout_policy"] == "current" and spreads and all(key in s["spread"] for s in spreads):
            v = [s["spread"][key]["var"] for s in spreads]
            row.update(reward_var=float(np.mean(v)), reward_var_std=float(np.std(v, ddof=1)) if len(v) > 1 else None,
                       reward_gap=float(np.mean([s["spread"][key]["gap"] for s in spreads])))
        rows.append(row)
    by = {r["name"]: r for r in rows}
    sentences = []
    mc = [r for r in rows if r["rollout_policy"] == "current"]
    if mc:
        best = min(mc, key=lambda r: r["final_mean"])
        sentences.append("Final NLL-oracle (mean ± std over seeds): " + "; ".join(
            f"{r['label']} {r['final_mean']:.3f} ± {num(r['final_std'])}" for r in mc)
            + f"; lowest: {best['label']} (after MLE: {best['after_mle']:.3f}).")
        sentences.append("Seconds per adversarial round (median round, mean over seeds): " + "; ".join(
            f"{r['label']} {r['seconds_per_round']:.2f}" for r in mc) + ".")
    measured = [r for r in mc if r["reward_var"] is not None and r["rollout_num"] > 0]
    if len(measured) > 1:
        sentences.append("Per-token reward variance on a fixed batch (fixed G, D): " + "; ".join(
            f"{r['label']} {r['reward_var']:.2e} (N·var {r['rollout_num'] * r['reward_var']:.2e})" for r in measured)
            + ": it falls as 1/N when N·var stays level." + (
            f" No rollout has none but is biased: its mean |Q - Q_N=max| is {by['no_rollout']['reward_gap']:.3f}."
            if "no_rollout" in by and by["no_rollout"]["reward_gap"] is not None else ""))
    if "n16" in by and "n16_delayed" in by:
        a, b = by["n16"], by["n16_delayed"]
        p = stats.welch(a["finals"], b["finals"])["p"] if min(len(a["finals"]), len(b["finals"])) > 1 else math.nan
        sentences.append(f"Rollout policy at N = 16: current G {a['final_mean']:.3f} ± {num(a['final_std'])} vs "
                         f"delayed copy (0.8) {b['final_mean']:.3f} ± {num(b['final_std'])} "
                         f"(Welch p over seeds {p_value(p)}).")
    return {"study": "rollout_ablation", "preset": preset(runs), "rows": rows, "sentences": sentences,
            "reward_spread": spreads}


def draw(summary):
    """Three panels over N (0 = no rollout): final NLL-oracle (mean ± std over seeds, the delayed policy at
    N = 16 beside the current one), per-token reward variance on a fixed batch (log-log, with a 1/N guide), and
    seconds per adversarial round. Returns the Figure."""
    rows = summary["rows"]
    cur = [r for r in rows if r["rollout_policy"] == "current"]
    pos = {r["name"]: i for i, r in enumerate(cur)}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6))
    ax = axes[0]
    ax.errorbar(range(len(cur)), [r["final_mean"] for r in cur], [r["final_std"] or 0 for r in cur], fmt="o",
                capsize=4, label="rollout = current G")
    for r in rows:
        if r["rollout_policy"] == "delayed" and f"n{r['rollout_num']}" in pos:
            ax.errorbar(pos[f"n{r['rollout_num']}"] + 0.15, r["final_mean"], r["final_std"] or 0, fmt="s",
                        capsize=4, color="C1", label="rollout = delayed copy")
    if cur:
        ax.axhline(cur[0]["after_mle"], color="gray", ls="--", lw=1, label=f"after MLE ({cur[0]['after_mle']:.3f})")
    ax.set_xticks(range(len(cur)), [r["label"] for r in cur])
    ax.set_ylabel(f"final NLL-oracle ({cur[0]['rounds'] if cur else '?'} rounds; mean ± std over seeds)")
    ax.set_title("(a) NLL-oracle after adversarial training", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[1]
    var = [r for r in cur if r["reward_var"] is not None and r["rollout_num"] > 0]
    if var:
        n = np.array([r["rollout_num"] for r in var], float)
        v = np.array([r["reward_var"] for r in var])
        ax.errorbar(n, v, [r["reward_var_std"] or 0 for r in var], fmt="o-", capsize=4, label="measured")
        ax.plot(n, v[0] * n[0] / n, ":", color="gray", label="∝ 1/N")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        no = next((r for r in cur if r["rollout_num"] == 0 and r["reward_gap"] is not None), None)
        if no:
            ax.text(0.03, 0.04, f"no rollout: variance 0, but mean |Q − Q(N={int(n.max())})| = {no['reward_gap']:.3f}",
                    transform=ax.transAxes, fontsize=7.5)
        ax.legend(fontsize=7)
    ax.set_xlabel("N (rollouts per prefix)")
    ax.set_ylabel("variance of Q across repeats (mean over tokens t < T)")
    ax.set_title("(b) reward variance, fixed batch, fixed G and D", fontsize=10)
    ax = axes[2]
    ax.bar(range(len(cur)), [r["seconds_per_round"] for r in cur])
    ax.set_xticks(range(len(cur)), [r["label"] for r in cur])
    ax.set_ylabel("seconds per adversarial round (median)")
    ax.set_title("(c) cost", fontsize=10)
    for a in axes:
        a.grid(alpha=0.3)
    fig.suptitle(f"Rollout ablation, preset '{summary['preset']}'")
    fig.tight_layout()
    return fig

def plot(summary, png_path):
    """Draw the figure and write it to png_path (rollout_ablation.png beside the runs)."""
    fig = draw(summary)
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)
