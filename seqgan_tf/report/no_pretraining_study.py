"""The appendix's "no_pretraining" study: SeqGAN from an untrained G (and D) against SeqGAN after MLE pretraining
(what each runs: seqgan_tf/studies.py:no_pretraining_settings), summarised from the saved runs and drawn. Never
trains."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..metrics import stats  # noqa: E402
from ..results import save_figure  # noqa: E402
from .common import collect, preset, round_curve, stat  # noqa: E402
from .fmt import num, pm  # noqa: E402
from .plots import draw_round_curves  # noqa: E402

STUDY, FIGURE = "no_pretraining", "no_pretraining"

NO_PRETRAINING_LABELS = {"pretrained": "SeqGAN after MLE + D pretraining",
                         "no_pretraining": "no pretraining (untrained G and D)",
                         "no_pretraining_brief_d": "no pretraining of G, D briefly trained"}


def summarise(root):
    """The appendix: each run's NLL-oracle over rounds (mean ± std over seeds) and, per seed, the share of the
    gap MLE pretraining closes (random G -> after MLE) that the unpretrained runs close in the same rounds."""
    runs = collect(root, NO_PRETRAINING_LABELS)
    rows = []
    for name, ms in runs.items():
        curve = round_curve(ms)
        finals = [m["nll_oracle"]["final"] for m in ms]
        lo, hi = stats.ci95(finals)
        rows.append({"name": name, "label": NO_PRETRAINING_LABELS[name], "seeds": [m["seed"] for m in ms],
                     "pretrain_g_epochs": ms[0]["config"]["pretrain_g_epochs"],
                     "pretrain_d_steps": ms[0]["config"]["pretrain_d_steps"],
                     "rounds": ms[0]["config"]["adv_epochs"], "random_init": stat(ms, "random_init")[0],
                     "start": curve[0][1], "final": stat(ms, "final")[0], "final_std": stat(ms, "final")[1],
                     "final_ci95": [lo, hi], "finals": finals, "best": min(c[1] for c in curve),
                     "real_data": ms[0]["nll_oracle"]["real_data"], "curve": curve})
    out = {"study": "no_pretraining", "preset": preset(runs), "runs": rows, "sentences": []}
    by = {r["name"]: r for r in rows}
    if "pretrained" in by:
        ref = by["pretrained"]
        # what MLE (+ D) pretraining bought, per seed: the random G and the MLE start are the seed's own
        gain = {m["seed"]: m["nll_oracle"]["random_init"] - m["nll_oracle"]["after_mle"] for m in runs["pretrained"]}
        n = len(ref["seeds"])
        seeds = f"{n} seeds, mean ± std" if n > 1 else "1 seed"
        out["sentences"].append(
            f"After MLE pretraining SeqGAN went {ref['start']:.3f} -> {ref['final']:.3f}{pm(ref['final_std'])} in "
            f"{ref['rounds']} rounds ({seeds}; random G: {ref['random_init']:.3f}, real data {ref['real_data']:.3f}).")
        for r in rows:
            if r["name"] == "pretrained":
                continue
            ms = runs[r["name"]]
            closed = [(m["nll_oracle"]["random_init"] - m["nll_oracle"]["final"]) / gain[m["seed"]]
                      for m in ms if gain.get(m["seed"], 0) > 0]
            if not closed:
                continue
            r["gap_closed_per_seed"] = closed
            r["gap_closed"] = sum(closed) / len(closed)
            near = max(closed) < 0.1
            interval = (f", 95% interval of the mean {num(r['final_ci95'][0])}-{num(r['final_ci95'][1])}"
                        if r["final_ci95"][0] is not None else "")
            worst = f" (at most {100 * max(closed):.1f}% in any of {len(closed)} seeds)" if len(closed) > 1 else ""
            out["sentences"].append(
                f"{r['label']}: {r['random_init']:.3f} -> {r['final']:.3f}{pm(r['final_std'])}{interval} after the "
                f"same {r['rounds']} rounds, closing {100 * r['gap_closed']:.1f}% of the gap MLE pretraining closes"
                f"{worst}: " + ("it stays near random, as the paper says." if near else
                                "it does not stay near random in every seed (criterion: < 10% of the gap)."))
    return out


def draw(summary):
    """SeqGAN with and without pretraining on one plot, with the random-G and real-data levels."""
    r0 = summary["runs"][0]
    return draw_round_curves(summary, "SeqGAN with and without pretraining",
                             [(r0["random_init"], f"random G ({r0['random_init']:.2f})", "gray", "--"),
                              (r0["real_data"], f"real data ({r0['real_data']:.2f})", "green", ":")])


def plot(summary, png_path):
    """Draw the figure and write it to png_path (no_pretraining.png beside the runs)."""
    fig = draw(summary)
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)
