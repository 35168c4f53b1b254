"""Figure 2 of the paper from the saved runs of Table 1's rows (report/table1.py reads the same runs): NLL-oracle
and NLL-test against epoch, mean ± 1 std over seeds. Redrawing never retrains."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..methods import METHODS  # noqa: E402
from ..metrics.stats import mean_curve  # noqa: E402
from ..results import save_figure  # noqa: E402
from .fmt import seed_count  # noqa: E402
from .table1 import LABELS, collect, preset_of  # noqa: E402


def draw(root):
    """Figure 2: NLL-oracle (left) and NLL-test (right) vs epoch, mean over seeds with a ±1 std band: the shared
    MLE pretraining, a dashed line where it ends, then each row of Table 1. Returns the Figure."""
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
            ax.plot(epochs[after], mean[after], "-", lw=1.5, color=color,
                    label=f"{LABELS[row]} ({seed_count(len(ms))})")
            ax.fill_between(epochs[after], mean[after] - std[after], mean[after] + std[after], color=color, alpha=0.2)
        if pretrain_end is not None:
            ax.axvline(pretrain_end, color="gray", ls="--", lw=1)
        ax.set_xlabel("epoch (MLE epochs, then rounds of each row)")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Figure 2, '{preset_of(runs)}' preset (mean ± 1 std over seeds)")
    fig.tight_layout()
    return fig


def figure2(root, out_stem):
    """Figure 2 of the runs under root, written to out_stem.png and out_stem.pdf."""
    fig = draw(root)
    for suffix in (".png", ".pdf"):
        save_figure(fig, Path(str(out_stem) + suffix), dpi=120)
    plt.close(fig)
