"""The "generators" study: the convolutional G against the LSTM G on the oracle, each trained by MLE then SeqGAN
(what each runs: seqgan_tf/studies.py:GENERATORS), with their per-unit times measured side by side in one process
(timing.json beside the runs). Summarised from the saved runs and drawn. Never trains."""
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..metrics import stats  # noqa: E402
from ..results import read_json, save_figure  # noqa: E402
from ..studies import GENERATORS  # noqa: E402
from .common import collect, left_out, mean_curve, preset  # noqa: E402
from .fmt import num, p_value  # noqa: E402
from .plots import mean_band  # noqa: E402

STUDY, FIGURE = "generators", "generators"
GENERATOR_LABELS = {"lstm": "LSTM G (the paper's)", "cnn": "CNN G, emb 32 (LSTM's size)", "cnn_large": "CNN G, emb 64"}


def summarise(root):
    runs = collect(root, GENERATORS)
    timing = read_json(Path(root) / "timing.json") if (Path(root) / "timing.json").is_file() else {}
    rows = []
    for name, ms in runs.items():
        row = {"name": name, "label": GENERATOR_LABELS[name], "seeds": [m["seed"] for m in ms],
               "rounds": ms[0]["config"]["adv_epochs"], "curve": mean_curve(ms),
               "curve_nll_test": mean_curve(ms, metric="nll_test")}
        for metric in ("nll_oracle", "nll_test"):
            for when in ("after_mle", "final"):
                row[f"{metric}_{when}"], row[f"{metric}_{when}_std"] = stats.mean_std([m[metric][when] for m in ms])
                row[f"{metric}_{when}_seeds"] = [m[metric][when] for m in ms]
        rates = timing.get("rates", {}).get(name, {})
        row["mle_epoch_s"] = rates.get("mle_epoch_s")
        row["g_step_s"] = rates.get("g_step_s")
        rows.append(row)
    out = {"study": "generators", "preset": preset(runs), "runs": rows, "sentences": [], "timing": timing,
           "left_out": left_out(root, GENERATORS),
           "pretrain_g_epochs": next((ms[0]["config"]["pretrain_g_epochs"] for ms in runs.values()), None)}
    by = {r["name"]: r for r in rows}
    for name in (n for n in GENERATORS if n != "lstm" and n in by and "lstm" in by):
        a, b = by["lstm"], by[name]
        parts = []
        for metric, label in (("nll_oracle", "NLL-oracle"), ("nll_test", "NLL-test")):
            for when, said in (("after_mle", "after MLE"), ("final", f"after {a['rounds']} SeqGAN rounds")):
                p = stats.welch(a[f"{metric}_{when}_seeds"], b[f"{metric}_{when}_seeds"])["p"]
                parts.append(f"{label} {said} {b[f'{metric}_{when}']:.3f} ± {num(b[f'{metric}_{when}_std'])} vs "
                             f"{a[f'{metric}_{when}']:.3f} ± {num(a[f'{metric}_{when}_std'])} (Welch p {p_value(p)})")
        speed = ""
        if a["mle_epoch_s"] and b["mle_epoch_s"]:
            speed = (f" Measured side by side in one process ({timing.get('machine', 'this machine')}): an MLE epoch "
                     f"{b['mle_epoch_s']:.2f} s vs {a['mle_epoch_s']:.2f} s ({a['mle_epoch_s'] / b['mle_epoch_s']:.2f}x "
                     f"the LSTM's speed), a g-step (rollout + policy gradient) {b['g_step_s']:.2f} s vs "
                     f"{a['g_step_s']:.2f} s ({a['g_step_s'] / b['g_step_s']:.2f}x).")
        cached = timing.get("cached_sampling", {}).get(name)
        if cached:
            speed += (f" Sampling {cached['sequences']:,} sequences: {cached['cached_s']:.2f} s carrying each layer's "
                      f"state vs {cached['uncached_s']:.2f} s recomputing the prefix at every step "
                      f"({cached['uncached_over_cached']:.1f}x).")
        out["sentences"].append(f"{b['label']} vs {a['label']} (mean ± std over seeds "
                                f"{', '.join(map(str, b['seeds']))}): " + "; ".join(parts) + "." + speed)
    return out


def draw(summary):
    """NLL-oracle (how good G's samples are) and NLL-test (how well G covers held-out oracle data) against epoch (MLE,
    then adversarial rounds), one line per generator, mean ± std over seeds; the summary's sentences below.
    Returns the Figure."""
    pre = summary.get("pretrain_g_epochs")
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.6))
    for ax, key, ylabel in ((axes[0], "curve", "NLL-oracle"), (axes[1], "curve_nll_test", "NLL-test")):
        for r in summary["runs"]:
            if not r.get(key):
                continue
            mean_band(ax, r[key], f"{r['label']} ({len(r['seeds'])} seed(s))")
        if pre:
            ax.axvline(pre, color="gray", ls=":", lw=1, label="end of MLE pretraining")
        ax.set_xlabel("epoch (MLE epochs, then adversarial rounds)")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"LSTM G vs CNN G, preset '{summary['preset']}'")
    fig.text(0.02, 0.01, textwrap.fill(" ".join(summary["sentences"]), 150), va="bottom", fontsize=7.5)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig

def plot(summary, png_path):
    """Draw the figure and write it to png_path (generators.png beside the runs)."""
    fig = draw(summary)
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)
