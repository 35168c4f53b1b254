"""Figures as functions of saved result files: redrawing never retrains."""
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.patches

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import numpy as np  # noqa: E402

from ..metrics.stats import mean_curve  # noqa: E402
from ..results import read_json, save_figure  # noqa: E402
from ..methods import METHODS  # noqa: E402
from .table1 import LABELS, collect, preset_of  # noqa: E402


def nll_curve(metrics_path, png_path):
    """The run's quality curve vs epoch — NLL-oracle (synthetic) or NLL-test (corpora) — for MLE pretraining, a
    vertical line where it ends, then the adversarial (or baseline) rounds. Synthetic runs also show NLL-test dotted
    on a second axis."""
    m = read_json(metrics_path)
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


def figure2(root, out_stem):
    """Figure 2: NLL-oracle (left) and NLL-test (right) vs epoch, mean over seeds with a ±1 std band: the shared
    MLE pretraining, a dashed line where it ends, then each row of Table 1. Writes out_stem.png and out_stem.pdf."""
    runs = collect(root)
    fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.6))
    for ax, key, name in zip(axes, ("nll_oracle", "nll_test"), ("NLL-oracle (quality)", "NLL-test (coverage)")):
        pretrain_end, pre_drawn = None, False
        for row in (r for r in METHODS if r in runs):
            ms = list(runs[row].values())
            pretrain_end = ms[0]["config"]["pretrain_g_epochs"]
            epochs, mean, std = mean_curve([{c["epoch"]: c[key] for c in m["curve"]} for m in ms])
            if not pre_drawn:
                pre = epochs <= pretrain_end
                ax.plot(epochs[pre], mean[pre], "-", color="black", lw=1.5, label="MLE pretraining (shared)")
                ax.fill_between(epochs[pre], mean[pre] - std[pre], mean[pre] + std[pre], color="black", alpha=0.15)
                pre_drawn = True
            after = epochs >= pretrain_end
            color = METHODS[row].color
            ax.plot(epochs[after], mean[after], "-", lw=1.5, color=color, label=f"{LABELS[row]} ({len(ms)} seeds)")
            ax.fill_between(epochs[after], mean[after] - std[after], mean[after] + std[after], color=color, alpha=0.2)
        if pretrain_end is not None:
            ax.axvline(pretrain_end, color="gray", ls="--", lw=1)
        ax.set_xlabel("epoch (MLE epochs, then rounds of each row)")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Figure 2, '{preset_of(runs)}' preset (mean ± 1 std over seeds)")
    fig.tight_layout()
    for suffix in (".png", ".pdf"):
        save_figure(fig, Path(str(out_stem) + suffix), dpi=120)
    plt.close(fig)


# -- the studies (seqgan_tf/studies.py): each figure is drawn from its summary dict ---------------------------
def _caption(ax, text):
    ax.text(0.0, -0.2, textwrap.fill(text, 75), transform=ax.transAxes, va="top", fontsize=7.5)


def figure3(summary, png_path):
    """Figure 3: one panel per (g-steps, d-steps, k), all on one x-axis: the D passes spent since pretraining (the
    panels run to one budget), NLL-oracle mean ± std over seeds; the shared MLE pretraining as a short lead-in left
    of 0 (its epochs squeezed into a tenth of the axis); the panel's sentence below it."""
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
        _caption(ax, p["sentence"])
    axes[0, 0].set_ylim(top=top)       # shared y: the adversarial parts' scale, cutting the early MLE epochs
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"Figure 3: SeqGAN under different D-training strategies at one compute budget, preset "
                 f"'{summary['preset']}'")
    fig.tight_layout(h_pad=7.0)
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)


def _mean_band(ax, curve, label):
    """One run's [[x, mean, std], ...] as a line with a ± std band."""
    x, mean, std = (np.array(v) for v in zip(*curve))
    line, = ax.plot(x, mean, "o-", ms=3, label=label)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2)


def _round_curves(summary, png_path, title, hlines=()):
    """NLL-oracle vs adversarial round, one line (mean ± std over seeds) per run of the summary, the summary's
    sentences below; hlines: (y, label, colour, style) reference lines."""
    fig, ax = plt.subplots(figsize=(7.0, 5.6))
    for r in summary["runs"]:
        _mean_band(ax, r["curve"], f"{r['label']} ({len(r['seeds'])} seed(s))")
    for y, label, color, ls in hlines:
        ax.axhline(y, color=color, ls=ls, lw=1, label=label)
    ax.set_xlabel("adversarial round (0 = start of adversarial training)")
    ax.set_ylabel("NLL-oracle")
    ax.set_title(f"{title}, preset '{summary['preset']}'")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _caption(ax, " ".join(summary["sentences"]))
    fig.tight_layout()
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)


def no_pretraining(summary, png_path):
    """SeqGAN with and without pretraining on one plot, with the random-G and real-data levels."""
    r0 = summary["runs"][0]
    _round_curves(summary, png_path, "SeqGAN with and without pretraining",
                  [(r0["random_init"], f"random G ({r0['random_init']:.2f})", "gray", "--"),
                   (r0["real_data"], f"real data ({r0['real_data']:.2f})", "green", ":")])


def precision(summary, png_path):
    """SeqGAN with D in float32 and in bfloat16, from one MLE start per seed."""
    _round_curves(summary, png_path, "SeqGAN with D in float32 and bfloat16")


def generators(summary, png_path):
    """NLL-oracle (how good G's samples are) and NLL-test (how well G covers held-out oracle data) against epoch (MLE,
    then adversarial rounds), one line per generator, mean ± std over seeds; the summary's sentences below."""
    pre = summary.get("pretrain_g_epochs")
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6))
    for ax, key, ylabel in ((axes[0], "curve", "NLL-oracle"), (axes[1], "curve_nll_test", "NLL-test")):
        for r in summary["runs"]:
            if not r.get(key):
                continue
            _mean_band(ax, r[key], f"{r['label']} ({len(r['seeds'])} seed(s))")
        if pre:
            ax.axvline(pre, color="gray", ls=":", lw=1, label="end of MLE pretraining")
        ax.set_xlabel("epoch (MLE epochs, then adversarial rounds)")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"LSTM G vs CNN G, preset '{summary['preset']}'")
    fig.text(0.02, 0.01, textwrap.fill(" ".join(summary["sentences"]), 150), va="bottom", fontsize=7.5)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)


def rollout_ablation(summary, png_path):
    """Three panels over N (0 = no rollout): final NLL-oracle (mean ± std over seeds, the delayed policy at
    N = 16 beside the current one), per-token reward variance on a fixed batch (log-log, with a 1/N guide), and
    seconds per adversarial round."""
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
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)


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
