"""Figures as functions of saved result files: redrawing never retrains."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import numpy as np  # noqa: E402

from .results import read_json, save_figure  # noqa: E402
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


FIGURE2_METHODS = ("mle", "ss", "pg_bleu", "seqgan")


def _mean_curve(curves):
    """Mean and std (ddof 0; 0 for one seed) over seeds at each epoch every seed evaluated."""
    epochs = sorted(set.intersection(*(set(c) for c in curves)))
    values = np.array([[c[e] for e in epochs] for c in curves])
    return np.array(epochs), values.mean(axis=0), values.std(axis=0)


def figure2(root, out_stem):
    """Figure 2: NLL-oracle vs epoch, mean over seeds with a ±1 std band: the shared MLE pretraining, a dashed
    line where it ends, then each method. Writes out_stem.png and out_stem.pdf."""
    runs = collect(root)
    fig, ax = plt.subplots(figsize=(7.0, 4.4))
    pretrain_end, pre_drawn = None, False
    for method in FIGURE2_METHODS:
        if method not in runs:
            continue
        ms = list(runs[method].values())
        pretrain_end = ms[0]["config"]["pretrain_g_epochs"]
        curves = [{c["epoch"]: c["nll_oracle"] for c in m["curve"]} for m in ms]
        epochs, mean, std = _mean_curve(curves)
        if not pre_drawn:
            pre = epochs <= pretrain_end
            ax.plot(epochs[pre], mean[pre], "-", color="black", lw=1.5, label="MLE pretraining (shared)")
            ax.fill_between(epochs[pre], mean[pre] - std[pre], mean[pre] + std[pre], color="black", alpha=0.15)
            pre_drawn = True
        after = epochs >= pretrain_end
        line, = ax.plot(epochs[after], mean[after], "-", lw=1.5, label=f"{LABELS[method]} ({len(ms)} seeds)")
        ax.fill_between(epochs[after], mean[after] - std[after], mean[after] + std[after], color=line.get_color(),
                        alpha=0.2)
    if pretrain_end is not None:
        ax.axvline(pretrain_end, color="gray", ls="--", lw=1)
    ax.set_xlabel("epoch (MLE epochs, then rounds of each method)")
    ax.set_ylabel("NLL-oracle")
    ax.set_title(f"Figure 2: NLL-oracle, '{preset_of(runs)}' preset (mean ± 1 std over seeds)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    for suffix in (".png", ".pdf"):
        save_figure(fig, Path(str(out_stem) + suffix), dpi=120)
    plt.close(fig)
