"""Figures as functions of saved result files: redrawing never retrains."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .results import read_json, save_figure  # noqa: E402


def nll_curve(metrics_path, png_path):
    """NLL-oracle vs epoch: MLE pretraining, a vertical line where it ends, then adversarial training."""
    m = read_json(metrics_path)
    curve, cfg = m["curve"], m["config"]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    pre = [c for c in curve if c["phase"] == "pretrain_g"]
    adv = [c for c in curve if c["phase"] == "adversarial"]
    ax.plot([c["epoch"] for c in pre], [c["nll_oracle"] for c in pre], "o-", ms=3, label="MLE pretraining")
    if adv:
        start = pre[-1:] if pre and pre[-1]["epoch"] == cfg["pretrain_g_epochs"] else []
        ax.plot([c["epoch"] for c in start + adv], [c["nll_oracle"] for c in start + adv], "o-", ms=3,
                label="SeqGAN (adversarial)")
    ax.axvline(cfg["pretrain_g_epochs"], color="gray", ls="--", lw=1)
    real = m["nll_oracle"].get("real_data")
    if real:
        ax.axhline(real, color="green", ls=":", lw=1, label=f"real data ({real:.2f})")
    if all("nll_test" in c for c in curve):
        ax2 = ax.twinx()
        ax2.plot([c["epoch"] for c in curve], [c["nll_test"] for c in curve], ":", color="gray", lw=1)
        ax2.set_ylabel("NLL-test (dotted): G's NLL of held-out real data", color="gray", fontsize=8)
        ax2.tick_params(axis="y", colors="gray", labelsize=8)
    ax.set_xlabel("epoch (MLE epochs, then adversarial rounds)")
    ax.set_ylabel("NLL-oracle")
    ax.set_title(f"SeqGAN synthetic, preset '{m['preset']}', seed {m['seed']}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)
