"""The "precision" study: D in float32 (the paper) against bfloat16, from one shared MLE pretraining (what each runs:
seqgan_tf/studies.py:precision_settings): does the faster D keep NLL-oracle? Summarised from the saved runs and
drawn. Never trains."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..metrics import stats  # noqa: E402
from ..results import save_figure  # noqa: E402
from ..studies import PRECISIONS  # noqa: E402
from .common import collect, preset, round_curve, stat  # noqa: E402
from .fmt import num, p_value  # noqa: E402
from .plots import draw_round_curves  # noqa: E402

STUDY, FIGURE = "precision", "precision"


def summarise(root):
    runs = collect(root, PRECISIONS)
    rows = []
    for name, ms in runs.items():
        final, final_std = stat(ms, "final")
        rows.append({"name": name, "label": f"D in {name}", "seeds": [m["seed"] for m in ms],
                     "rounds": ms[0]["config"]["adv_epochs"], "after_mle": stat(ms, "after_mle")[0],
                     "final": final, "final_std": final_std, "finals": [m["nll_oracle"]["final"] for m in ms],
                     "best_adversarial": stat(ms, "best_adversarial")[0],
                     "last_d_acc": float(np.mean([m["last_d_acc"] for m in ms])),
                     "pretrain_d_s": float(np.mean([m["seconds"]["pretrain_d"] for m in ms])),
                     "seconds_per_round": float(np.mean([m["seconds_per_round"] for m in ms])),
                     "curve": round_curve(ms)})
    out = {"study": "precision", "preset": preset(runs), "runs": rows, "sentences": []}
    by = {r["name"]: r for r in rows}
    if set(by) == set(PRECISIONS):
        f32, bf16 = by["float32"], by["bfloat16"]
        seeds = sorted(set(f32["seeds"]) & set(bf16["seeds"]))
        diff = [bf16["finals"][bf16["seeds"].index(k)] - f32["finals"][f32["seeds"].index(k)] for k in seeds]
        d_mean, d_std = stats.mean_std(diff)
        p = stats.welch(f32["finals"], bf16["finals"])["p"]      # NaN with one seed
        out["paired_difference"] = {"seeds": seeds, "mean": d_mean, "std": d_std,
                                     "welch_p": None if math.isnan(p) else p}
        out["sentences"] += [
            f"Final NLL-oracle after {f32['rounds']} rounds (mean ± std over seeds {', '.join(map(str, seeds))}; after "
            f"MLE {f32['after_mle']:.3f}): D in float32 {f32['final']:.3f} ± {num(f32['final_std'])}, in bfloat16 "
            f"{bf16['final']:.3f} ± {num(bf16['final_std'])}; bfloat16 - float32 per seed {d_mean:+.3f} ± "
            f"{num(d_std)} (Welch p {p_value(p)}).",
            f"Last D accuracy {f32['last_d_acc']:.3f} (float32) vs {bf16['last_d_acc']:.3f} (bfloat16). Seconds per "
            f"adversarial round {f32['seconds_per_round']:.1f} vs {bf16['seconds_per_round']:.1f} "
            f"({f32['seconds_per_round'] / bf16['seconds_per_round']:.2f}x); D pretraining {f32['pretrain_d_s']:.0f} s "
            f"vs {bf16['pretrain_d_s']:.0f} s ({f32['pretrain_d_s'] / bf16['pretrain_d_s']:.2f}x)."]
    return out


def draw(summary):
    """SeqGAN with D in float32 and in bfloat16, from one MLE start per seed."""
    return draw_round_curves(summary, "SeqGAN with D in float32 and bfloat16")


def plot(summary, png_path):
    """Draw the figure and write it to png_path (precision.png beside the runs)."""
    fig = draw(summary)
    save_figure(fig, png_path, dpi=120)
    plt.close(fig)
