"""The temperature sweep's tables and figure (experiments/temperature_sweep.py makes the sweep; no TensorFlow here).

Per seed, the reference is SeqGAN at α = 1. For every other model the crossing point is the α at which its quality
equals the reference's (linear interpolation between grid points); its diversity there, against SeqGAN's, says which
is better at equal quality. A model dominates the reference if one of its grid points is at least as good on both
axes. Seeds are the replicates: mean ± std over seeds, paired t-test over seeds (one pretraining per seed).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..metrics.stats import mean_std, paired  # noqa: E402
from ..results import atomic_write, read_json, save_figure, write_csv, write_json  # noqa: E402
from .fmt import num, pm, seed_count  # noqa: E402

# +1: higher is better, -1: lower is better
SENSE = {"nll_oracle": -1, "nll_test": -1, "distinct": +1, "bleu2": +1, "bleu3": +1, "bleu4": +1,
         "self_bleu2": -1, "lm_score": -1, "reverse_lm_score": -1}
NAMES = {"nll_oracle": "NLL-oracle", "nll_test": "NLL-test", "distinct": "distinct samples", "bleu2": "BLEU-2",
         "bleu3": "BLEU-3", "bleu4": "BLEU-4", "self_bleu2": "Self-BLEU-2", "lm_score": "LM score",
         "reverse_lm_score": "reverse-LM score"}
REFERENCE = "seqgan"


def _at_one(run):
    return next(p for p in run["points"] if p["alpha"] == 1.0)


def crossing(run, ref, quality, diversity):
    """Where `run`'s quality equals ref's at α = 1: {"alpha", diversity at it} (None outside the grid's range),
    and whether some grid point of run is at least as good as ref on both axes."""
    q = np.array([p[quality] for p in run["points"]])
    d = np.array([p[diversity] for p in run["points"]])
    a = np.array([p["alpha"] for p in run["points"]])
    target, ref_d = ref[quality], ref[diversity]
    out = {"alpha": None, "diversity": None}
    for i in range(len(q) - 1):                      # the first grid interval (in α) that brackets the target
        if (q[i] - target) * (q[i + 1] - target) <= 0 and q[i] != q[i + 1]:
            w = (target - q[i]) / (q[i + 1] - q[i])
            out = {"alpha": float(a[i] + w * (a[i + 1] - a[i])), "diversity": float(d[i] + w * (d[i + 1] - d[i]))}
            break
    s_q, s_d = SENSE[quality], SENSE[diversity]
    out["dominates"] = bool(np.any((s_q * (q - target) >= 0) & (s_d * (d - ref_d) >= 0)))
    return out


def crossings(sweep, diversity=None):
    """One row per model other than the reference: crossing α, diversity at the crossing vs the reference's, over
    seeds."""
    quality, diversity = sweep["quality"], diversity or sweep["diversity"]
    runs = {(r["seed"], r["model"]): r for r in sweep["runs"]}
    seeds = sorted({s for s, m in runs if m == REFERENCE})
    rows = []
    for model in dict.fromkeys(r["model"] for r in sweep["runs"] if r["model"] != REFERENCE):
        per_seed = [(s, crossing(runs[s, model], _at_one(runs[s, REFERENCE]), quality, diversity))
                    for s in seeds if (s, model) in runs]
        if not per_seed:                             # no SeqGAN run on this model's seeds: no crossing to take
            continue
        found = [(s, c) for s, c in per_seed if c["alpha"] is not None]
        ref_div = [_at_one(runs[s, REFERENCE])[diversity] for s, _ in found]
        at_cross = [c["diversity"] for _, c in found]
        alpha, alpha_sd = mean_std([c["alpha"] for _, c in found]) if found else (None, None)
        m_div, m_div_sd = mean_std(at_cross) if found else (None, None)
        r_div, r_div_sd = mean_std(ref_div) if found else (None, None)
        rows.append({"model": model, "label": runs[per_seed[0][0], model]["label"], "quality": quality,
                     "diversity": diversity, "seeds": [s for s, _ in per_seed], "crossed": len(found),
                     "alpha": alpha, "alpha_std": alpha_sd, "diversity_at_crossing": m_div,
                     "diversity_at_crossing_std": m_div_sd, "seqgan_diversity": r_div, "seqgan_diversity_std": r_div_sd,
                     "difference": None if m_div is None else m_div - r_div,
                     "p_paired": paired(at_cross, ref_div)["p"] if len(found) > 1 else None,
                     "dominates": sum(c["dominates"] for _, c in per_seed)})
    return rows


def _fmt(x, sd=None, digits=3):
    text = num(x, digits)
    return text if text == "—" else text + pm(sd, digits)


def markdown(sweep, rows, diversity=None) -> str:
    q, d = NAMES[sweep["quality"]], NAMES[rows[0]["diversity"] if rows else diversity or sweep["diversity"]]
    if not rows:
        return (f"### Temperature sweep ({sweep['dataset']}): {d} at equal {q}\n\nNo crossings: no model shares a "
                f"seed with a SeqGAN run, whose {q} at α = 1 each crossing is taken at.\n")
    lines = [f"### Temperature sweep ({sweep['dataset']}): {d} at equal {q}", "",
             f"| model | α where its {q} = SeqGAN's at α = 1 | its {d} there | SeqGAN's {d} (α = 1) | difference "
             f"| p, paired over seeds | seeds where some α is at least as good on both axes |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {_fmt(r['alpha'], r['alpha_std'], 2)} | "
                     f"{_fmt(r['diversity_at_crossing'], r['diversity_at_crossing_std'])} | "
                     f"{_fmt(r['seqgan_diversity'], r['seqgan_diversity_std'])} | {_fmt(r['difference'])} | "
                     f"{_fmt(r['p_paired'], digits=2 if (r['p_paired'] or 0) >= 0.01 else 5)} | "
                     f"{r['dominates']} of {len(r['seeds'])} |")
    better = "lower" if SENSE[sweep["quality"]] < 0 else "higher"
    lower = SENSE[rows[0]["diversity"]] < 0
    lines += ["", f"Mean ± std over seeds {', '.join(map(str, rows[0]['seeds']))}; each seed's "
              f"crossing by linear interpolation between the grid's α ({', '.join(map(str, sweep['alphas']))}), "
              f"logits × α. {q}: {better} is better; difference = model − SeqGAN in {d} "
              f"({'lower' if lower else 'higher'} is better) at equal {q}, so a "
              f"{'negative' if lower else 'positive'} difference favours the model."]
    return "\n".join(lines) + "\n"


def points_rows(sweep):
    return [{"seed": r["seed"], "model": r["model"], "alpha": p["alpha"], **{k: v for k, v in p.items() if k != "alpha"}}
            for r in sweep["runs"] for p in r["points"]]


def figure(sweep, png_path, diversity=None, quality=None):
    """Quality (y) against diversity (x), the mean over seeds at each α with ±std bars, α = 1 starred, the real
    data's point marked where it has both."""
    quality, diversity = quality or sweep["quality"], diversity or sweep["diversity"]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    models = list(dict.fromkeys(r["model"] for r in sweep["runs"]))
    for i, model in enumerate(models):
        runs = [r for r in sweep["runs"] if r["model"] == model]
        alphas = [p["alpha"] for p in runs[0]["points"]]
        grid = lambda key: np.array([[p[key] for p in r["points"]] for r in runs])  # noqa: E731  (seeds, α)
        q, d = grid(quality), grid(diversity)
        color = f"C{i}"
        ax.errorbar(d.mean(0), q.mean(0), xerr=d.std(0), yerr=q.std(0), color=color, marker=".", ms=4, lw=1.2,
                    elinewidth=0.6, label=f"{runs[0]['label']} ({seed_count(len(runs))})")
        j = alphas.index(1.0)
        ax.plot(d.mean(0)[j], q.mean(0)[j], "*", color=color, ms=13, mec="black", mew=0.6)
        for k in (0, len(alphas) - 1):
            ax.annotate(f"α={alphas[k]:g}", (d.mean(0)[k], q.mean(0)[k]), fontsize=7, color=color,
                        xytext=(3, 3), textcoords="offset points")
    real = [r for r in sweep.get("real", []) if quality in r and diversity in r]
    if real:
        ax.plot(np.mean([r[diversity] for r in real]), np.mean([r[quality] for r in real]), "kX", ms=9,
                label="real data")
    ax.set_xlabel(f"{NAMES[diversity]} ({'lower' if SENSE[diversity] < 0 else 'higher'} = more diverse/covering)")
    ax.set_ylabel(f"{NAMES[quality]} ({'lower' if SENSE[quality] < 0 else 'higher'} = better quality)")
    ax.set_title(f"Quality vs diversity over temperatures ({sweep['dataset']}); ★ = α 1")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, png_path)
    plt.close(fig)


def merge(path, sweep):
    """`sweep` with the runs of an earlier sweep at `path` (same dataset, grid and scores) whose seeds it lacks."""
    path = Path(path)
    if not path.is_file():
        return sweep
    old = read_json(path)
    same = ("dataset", "alphas", "extra_diversity")
    if [old.get(k) for k in same] != [sweep.get(k) for k in same]:
        return sweep                          # another grid or other scores: the new sweep replaces it
    seeds = {r["seed"] for r in sweep["runs"]}
    kept = [r for r in old["runs"] if r["seed"] not in seeds]
    real = [r for r in old.get("real", []) if r["seed"] not in seeds]
    return {**sweep, "runs": sorted(kept + sweep["runs"], key=lambda r: r["seed"]),
            "real": sorted(real + sweep["real"], key=lambda r: r["seed"])}


def write(out, sweep=None):
    """temperature.{json,csv}, crossing.{md,csv}, temperature.png, one figure per extra diversity measure and, with
    LM scores, LM score against reverse-LM score (Caccia et al.'s plane) in `out` (sweep None: re-read the JSON)."""
    out = Path(out)
    if sweep is None:
        sweep = read_json(out / "temperature.json")
    else:
        write_json(out / "temperature.json", sweep)
    rows = crossings(sweep)
    sweep_rows = points_rows(sweep)
    write_csv(out / "temperature.csv", sweep_rows)
    write_csv(out / "crossing.csv", rows)
    text = markdown(sweep, rows)
    for extra in sweep.get("extra_diversity", []):
        text += "\n" + markdown(sweep, crossings(sweep, extra), extra)
        figure(sweep, out / f"temperature_{extra}.png", extra)
    real = [r for r in sweep.get("real", []) if "reverse_lm_score" in r]
    if real:
        text += (f"\nReal data: LM score {num(np.mean([r['lm_score'] for r in real]))} (the test data), reverse-LM "
                 f"score {num(np.mean([r['reverse_lm_score'] for r in real]))} (an LM trained on as many real training "
                 f"sequences as a model generates). LM recipe: seqgan_tf/metrics/lm_score.py.\n")
    atomic_write(out / "crossing.md", text)
    figure(sweep, out / "temperature.png")
    if "reverse_lm_score" in sweep.get("extra_diversity", []):
        figure(sweep, out / "temperature_lm.png", "reverse_lm_score", "lm_score")
    return text
