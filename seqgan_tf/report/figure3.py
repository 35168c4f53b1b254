"""Figure 3 (the "strategies" study): SeqGAN under four (g-steps, d-steps, k) schedules after one shared
pretraining, at one compute budget (what each runs: seqgan_tf/studies.py:strategy_settings). Summarised from the saved
runs, with what the paper's panel shows and whether ours agrees, and drawn from that summary. Never trains."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .. import config  # noqa: E402
from ..metrics import stats  # noqa: E402
from ..results import save_figure  # noqa: E402
from ..studies import STRATEGIES, d_passes_per_round  # noqa: E402
from .common import collect, left_out, mean_curve, noise, preset, stat, trend  # noqa: E402
from .fmt import pm, seed_count  # noqa: E402
from .plots import caption  # noqa: E402

STUDY, FIGURE = "strategies", "figure3"

# What each panel of the paper's Figure 3 shows, as its text describes it (recalled, like PAPER.md's other
# recalled figures), and the test applied to ours to say whether it agrees.
PAPER_PANELS = {
    "a": "NLL-oracle falls fast, then rises: D, trained too little, misleads G",
    "b": "more D epochs than (a) temper its instability",
    "c": "training is stable",
    "d": "the best final NLL-oracle of the four, and stable",
}
AGREEMENT_TESTS = {
    "a": "a drop of more than the evaluation noise by the middle of the budget, and a final value above that lowest "
         "point by more than the noise",
    "b": "rise from its lowest point to the end smaller than (a)'s",
    "c": "final within noise of its lowest point and below the MLE start by more than the noise",
    "d": "lowest mean final of the four and final within noise of its lowest point",
}


def _agrees(letter, p, by):
    """Whether panel p (a dict of strategies()) shows what the paper's panel `letter` shows (AGREEMENT_TESTS)."""
    settled = p["final"] - p["best"] <= p["noise_2se"]
    if letter == "a":
        fell = p["best"] < p["after_mle"] - p["noise_2se"]
        return fell and p["best_at"] <= p["budget"] / 2 and not settled
    if letter == "b":
        return "a" in by and p["final"] - p["best"] < by["a"]["final"] - by["a"]["best"]
    if letter == "c":
        return settled and p["final"] < p["after_mle"] - p["noise_2se"]
    return settled and p["final"] <= min(q["final"] for q in by.values())


def summarise(root):
    """Figure 3: each panel's NLL-oracle (mean ± std over seeds) against the D passes spent since pretraining
    (seqgan_tf/studies.py:d_passes_per_round; the panels run to one budget), what the paper's panel shows and
    whether ours agrees, and Welch's test over seeds of each panel's final value against (d)'s."""
    runs = collect(root, STRATEGIES)
    panels = []
    for letter, (name, ms) in zip("abcd", runs.items()):
        cfg, pre = config.from_dict(ms[0]["config"]), ms[0]["config"]["pretrain_g_epochs"]
        per_round = d_passes_per_round(cfg, cfg.g_steps, cfg.d_steps, cfg.d_epochs)
        curve = mean_curve(ms)
        adv = [c for c in curve if c[0] >= pre]
        finals = [m["nll_oracle"]["final"] for m in ms]
        start, (final, final_std) = stat(ms, "after_mle")[0], stats.mean_std(finals)
        best = min(adv, key=lambda c: c[1])
        panels.append({"panel": letter, "name": name, "g_steps": cfg.g_steps, "d_steps": cfg.d_steps,
                       "k": cfg.d_epochs, "rounds": cfg.adv_epochs, "seeds": [m["seed"] for m in ms],
                       "d_passes_per_round": per_round, "budget": per_round * cfg.adv_epochs,
                       "generator_updates": cfg.g_steps * cfg.adv_epochs, "after_mle": start, "final": final,
                       "final_std": final_std, "finals": finals, "best": best[1], "best_round": best[0] - pre,
                       "best_at": (best[0] - pre) * per_round, "noise_2se": noise(ms[0], pre, curve[-1][0]),
                       "pretrain_end": pre, "curve": curve,           # [epoch, mean, std]: MLE epochs, then rounds
                       # [D passes since pretraining, mean, std] of the adversarial part (round 0 = after MLE)
                       "by_passes": [[(c[0] - pre) * per_round, c[1], c[2]] for c in adv]})
    by = {p["panel"]: p for p in panels}
    for p in panels:
        if "d" in by and p is not by["d"]:
            p["p_vs_d"] = stats.welch(p["finals"], by["d"]["finals"])["p"]
        p["paper"] = PAPER_PANELS[p["panel"]]
        p["agrees"] = bool(_agrees(p["panel"], p, by))
        n = len(p["seeds"])
        versus = f", Welch p = {p['p_vs_d']:.2g} vs (d) over seeds" if not math.isnan(p.get("p_vs_d", math.nan)) else ""
        p["sentence"] = (
            f"({p['panel']}) g-steps {p['g_steps']}, d-steps {p['d_steps']}, k {p['k']}: {p['rounds']} "
            f"round{'s' * (p['rounds'] != 1)} ({p['generator_updates']} generator updates, "
            f"{p['budget'] / 1e6:.2f} M D passes), {seed_count(n)}: NLL-oracle "
            f"{trend(p['final'] - p['after_mle'], p['noise_2se'])}, {p['after_mle']:.3f} after MLE to "
            f"{p['final']:.3f}{pm(p['final_std'])}{versus}; lowest {p['best']:.3f} at round {p['best_round']} "
            f"(evaluation noise ±{p['noise_2se']:.3f}). The paper: {p['paper']}. Ours "
            f"{'agrees' if p['agrees'] else 'does not agree'} (the test: {AGREEMENT_TESTS[p['panel']]}).")
    return {"study": "strategies", "preset": preset(runs), "panels": panels, "left_out": left_out(root, STRATEGIES),
            "budget": "equal D forward-pass equivalents (a training pass counted as 3), the amount panel (d) spends "
                      "in half the preset's rounds"}


def draw(summary):
    """Figure 3: one panel per (g-steps, d-steps, k), all on one x-axis: the D passes spent since pretraining (the
    panels run to one budget), NLL-oracle mean ± std over seeds; the shared MLE pretraining as a short lead-in left
    of 0 (its epochs squeezed into a tenth of the axis); the panel's sentence below it. Returns the Figure."""
    panels = summary["panels"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 10.5), squeeze=False, sharey=True)
    width = max(p["budget"] for p in panels) / 1e6
    top = max(max(p["after_mle"] + 0.5, max(c[1] + c[2] for c in p["by_passes"]) + 0.05) for p in panels)
    for ax, p in zip(axes.flat, panels):
        e, mean, std = (np.array(x) for x in zip(*(c for c in p["curve"] if c[0] <= p["pretrain_end"])))
        lead = (e / p["pretrain_end"] - 1.0) * 0.1 * width if p["pretrain_end"] else e * 0.0
        ax.plot(lead, mean, "-", color="black", lw=1.2, label=f"MLE pretraining ({p['pretrain_end']} epochs, squeezed)")
        ax.fill_between(lead, mean - std, mean + std, color="gray", alpha=0.2)
        x, mean, std = (np.array(v) for v in zip(*p["by_passes"]))
        x = x / 1e6
        ax.plot(x, mean, "o-", ms=3, color="C3", label=f"SeqGAN, {p['rounds']} rounds ({len(p['seeds'])} seed(s))")
        ax.fill_between(x, mean - std, mean + std, color="C3", alpha=0.2)
        ax.axvline(0, color="gray", ls="--", lw=1)
        ax.set_xlim(-0.12 * width, 1.05 * width)
        ax.set_title(f"({p['panel']}) g-steps {p['g_steps']}, d-steps {p['d_steps']}, k {p['k']}", fontsize=10)
        ax.set_xlabel("D passes since pretraining (millions; a training pass counts 3)", fontsize=8)
        ax.set_ylabel("NLL-oracle", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        caption(ax, p["sentence"])
    axes[0, 0].set_ylim(top=top)       # shared y: the adversarial parts' scale, cutting the early MLE epochs
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"Figure 3: SeqGAN under different D-training strategies at one compute budget, preset "
                 f"'{summary['preset']}'")
    fig.tight_layout(h_pad=7.0)
    return fig

def plot(summary, png_path):
    """Draw the figure and write it to png_path (figure3.png beside the runs)."""
    fig = draw(summary)
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)
