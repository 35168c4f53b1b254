"""Figures shared by every result: each run's own NLL curve (nll_curve.png beside its metrics.json), the drawing
helpers the studies' figures use, and the piano roll of Table 4's tunes. Redrawing never retrains."""
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.patches

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import numpy as np  # noqa: E402

from ..results import read_json, save_figure  # noqa: E402
from .table1 import LABELS  # noqa: E402


def draw_nll_curve(m):
    """The run's quality curve vs epoch — NLL-oracle (synthetic) or NLL-test (corpora) — for MLE pretraining, a
    vertical line where it ends, then the adversarial (or baseline) rounds. Synthetic runs also show NLL-test dotted
    on a second axis. `m`: the run's metrics.json as a dict; returns the Figure."""
    curve, cfg = m["curve"], m["config"]
    key = "nll_oracle" if "nll_oracle" in curve[0] else "nll_test"
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    pre = [c for c in curve if c["phase"] == "pretrain_g"]
    adv = [c for c in curve if c["phase"] == "adversarial"]
    ax.plot([c["epoch"] for c in pre], [c[key] for c in pre], "o-", ms=3, label="MLE pretraining")
    method = cfg.get("method", "seqgan")
    if adv:
        start = pre[-1:] if pre and pre[-1]["epoch"] == cfg["pretrain_g_epochs"] else []
        ax.plot([c["epoch"] for c in start + adv], [c[key] for c in start + adv], "o-", ms=3,
                label=LABELS[method] + (" (adversarial)" if method == "seqgan" else " (after pretraining)"))
    ax.axvline(cfg["pretrain_g_epochs"], color="gray", ls="--", lw=1)
    real = m.get("nll_oracle", {}).get("real_data") if key == "nll_oracle" else None
    if real:
        ax.axhline(real, color="green", ls=":", lw=1, label=f"real data ({real:.2f})")
    if key == "nll_oracle" and all("nll_test" in c for c in curve):
        ax2 = ax.twinx()
        ax2.plot([c["epoch"] for c in curve], [c["nll_test"] for c in curve], ":", color="gray", lw=1)
        ax2.set_ylabel("NLL-test (dotted): G's NLL of held-out real data", color="gray", fontsize=8)
        ax2.tick_params(axis="y", colors="gray", labelsize=8)
    ax.set_xlabel("epoch (MLE epochs, then adversarial rounds)")
    ax.set_ylabel({"nll_oracle": "NLL-oracle", "nll_test": "NLL-test (held-out real data)"}[key])
    ax.set_title(f"{LABELS[method]} {m.get('experiment', '')}, preset '{m['preset']}', seed {m['seed']}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def nll_curve(metrics_path, png_path):
    """draw_nll_curve of the run's metrics.json, written to png_path."""
    fig = draw_nll_curve(read_json(metrics_path))
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)


def run_curves(root):
    """nll_curve.png beside every run's metrics.json under root (drawn after training, from the files)."""
    written = []
    for path in sorted(Path(root).rglob("metrics.json")):
        if "curve" in read_json(path):
            nll_curve(path, path.parent / "nll_curve.png")
            written.append(path.parent / "nll_curve.png")
    return written


# -- helpers of the studies' figures (report/figure3.py, report/*_study.py) ------------------------------------
def caption(ax, text):
    """`text` wrapped below the axes."""
    ax.text(0.0, -0.2, textwrap.fill(text, 75), transform=ax.transAxes, va="top", fontsize=7.5)


def mean_band(ax, curve, label):
    """One run's [[x, mean, std], ...] as a line with a ± std band."""
    x, mean, std = (np.array(v) for v in zip(*curve))
    line, = ax.plot(x, mean, "o-", ms=3, label=label)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2)


def draw_round_curves(summary, title, hlines=()):
    """NLL-oracle vs adversarial round, one line (mean ± std over seeds) per run of the summary, the summary's
    sentences below; hlines: (y, label, colour, style) reference lines."""
    fig, ax = plt.subplots(figsize=(7.0, 5.6))
    for r in summary["runs"]:
        mean_band(ax, r["curve"], f"{r['label']} ({len(r['seeds'])} seed(s))")
    for y, label, color, ls in hlines:
        ax.axhline(y, color=color, ls=ls, lw=1, label=label)
    ax.set_xlabel("adversarial round (0 = start of adversarial training)")
    ax.set_ylabel("NLL-oracle")
    ax.set_title(f"{title}, preset '{summary['preset']}'")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    caption(ax, " ".join(summary["sentences"]))
    fig.tight_layout()
    return fig


def piano_roll(tunes, png_path, step=0.4, title="Piano roll"):
    """One panel per source ({"real": [pitch lists], "mle": ..., "seqgan": ...}), tunes side by side, each step a
    bar at its MIDI pitch; a vertical line separates tunes. Redrawn from the saved tune files."""
    fig, axes = plt.subplots(len(tunes), 1, figsize=(10, 2.2 * len(tunes)), sharex=True, sharey=True, squeeze=False)
    for ax, (name, seqs) in zip(axes[:, 0], tunes.items()):
        for j, pitches in enumerate(seqs):
            t0 = j * len(pitches) * step
            for i, p in enumerate(pitches):
                ax.add_patch(matplotlib.patches.Rectangle((t0 + i * step, p - 0.4), step, 0.8, color=f"C{j % 10}"))
            if j:
                ax.axvline(t0, color="gray", lw=0.8, ls="--")
        ax.set_ylabel(f"{name}\nMIDI pitch")
        ax.grid(alpha=0.3)
    pitches = [p for seqs in tunes.values() for s in seqs for p in s]
    axes[0, 0].set_ylim(min(pitches) - 2, max(pitches) + 2)
    axes[0, 0].set_xlim(0, max(sum(len(s) for s in seqs) for seqs in tunes.values()) * step)
    axes[0, 0].set_title(title)
    axes[-1, 0].set_xlabel("seconds (tunes one after another)")
    fig.tight_layout()
    save_figure(fig, png_path, dpi=110)
    plt.close(fig)
