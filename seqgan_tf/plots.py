"""Figures as functions of saved result files: redrawing never retrains."""
import matplotlib
import matplotlib.patches

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
