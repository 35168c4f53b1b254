"""The studies of how SeqGAN behaves, summarised from their saved runs (never trains); what each runs is in
experiments/studies.py.

- strategies (Figure 3): SeqGAN under four (g-steps, d-steps, k) schedules after one shared pretraining.
- no_pretraining (appendix): SeqGAN from an untrained G against SeqGAN after MLE pretraining.
- rollout_ablation: the number N of Monte-Carlo rollouts (and none), and the two rollout policies at N = 16.
- precision: D in float32 (the paper) against bfloat16, from one shared MLE pretraining: does the faster D keep
  NLL-oracle?
- generators: the convolutional G against the LSTM G, each trained by MLE then SeqGAN, with their per-unit
  times measured side by side in one process (timing.json beside the runs).
Each run lives in <root>/seed<k>/<setting>/metrics.json (experiments.sweep.run_settings); `write(study, root)`
turns them into <root>/<study>.{json,csv,md} and the figure, so reproduce/figures.py can redraw them.
"""
import math
from pathlib import Path

import numpy as np

from .. import config
from ..experiments.studies import (GENERATORS, PRECISIONS, ROLLOUT_NS, STRATEGIES, ablation_name,
                                  d_passes_per_round)
from ..metrics import stats
from ..results import atomic_write, read_json, write_csv, write_json
from . import plots
from .fmt import num, p_value, pm

STUDIES = ("strategies", "no_pretraining", "rollout_ablation", "precision", "generators")
FIGURES = {"strategies": "figure3", "no_pretraining": "no_pretraining", "rollout_ablation": "rollout_ablation",
           "precision": "precision", "generators": "generators"}


# -- reading runs ------------------------------------------------------------------------------------------
def _finished(root, names):
    """{name: {seed: metrics.json path}} of the finished runs of each setting in `names` under root."""
    found = {}
    for name in names:
        ms = {int(p.parent.parent.name[4:]): p for p in Path(root).glob(f"seed*/{name}/metrics.json")
              if p.parent.parent.name[4:].isdigit()}
        if ms:
            found[name] = ms
    return found


def _common_seeds(found):
    return set.intersection(*(set(ms) for ms in found.values())) if found else set()


def collect(root, names):
    """{name: [metrics of each seed]} for the settings in `names` that have finished runs under root, over the seeds
    that have finished every one of those settings: a seed still running some setting is left out of all of them,
    so every comparison between settings is over the same seeds (`left_out` names them)."""
    found = _finished(root, names)
    common = _common_seeds(found)
    return {name: [read_json(ms[k]) for k in sorted(common)] for name, ms in found.items() if common}


def left_out(root, names):
    """Seeds with some finished run under root that `collect` leaves out (not finished in every setting)."""
    found = _finished(root, names)
    return sorted(set().union(*(set(ms) for ms in found.values())) - _common_seeds(found)) if found else []


def mean_curve(ms, phase=None, metric="nll_oracle"):
    """[[epoch, mean, std], ...] of `metric` (NLL-oracle by default) over seeds (ddof 0), at epochs every seed
    evaluated."""
    curves = [{c["epoch"]: c[metric] for c in m["curve"] if (phase is None or c["phase"] == phase) and metric in c}
              for m in ms]
    return [[int(e), float(v), float(s)] for e, v, s in zip(*stats.mean_curve(curves))]


def _stat(ms, key):
    return stats.mean_std([m["nll_oracle"][key] for m in ms])


def _noise(m, e1, e2):
    """Two standard errors of the difference of two NLL-oracle evaluations of one run (per-token, from the
    per-sequence NLL statistics): a change smaller than this is evaluation noise."""
    s = [m["per_sequence_nll"].get(str(e)) for e in (e1, e2)]
    if not all(s):
        return 0.0
    return 2 * math.sqrt(sum(x["var"] / x["n"] for x in s)) / m["config"]["seq_len"]


def _trend(delta, noise):
    if abs(delta) <= noise:
        return "stayed level"
    return "improved" if delta < 0 else "got worse"


# -- Figure 3 --------------------------------------------------------------------------------------------------
# What each panel of the paper's Figure 3 shows, as its text describes it (recalled, like PAPER.md's other
# recalled figures), and the test applied to ours to say whether it agrees.
PAPER_PANELS = {
    "a": "NLL-oracle falls fast, then rises: D, trained too little, misleads G",
    "b": "more D epochs than (a) temper its instability",
    "c": "training is stable",
    "d": "the best final NLL-oracle of the four, and stable",
}
AGREEMENT_TESTS = {
    "a": "a drop of more than the evaluation noise by the middle of the budget, and a final value above that lowest "
         "point by more than the noise",
    "b": "rise from its lowest point to the end smaller than (a)'s",
    "c": "final within noise of its lowest point and below the MLE start by more than the noise",
    "d": "lowest mean final of the four and final within noise of its lowest point",
}


def _agrees(letter, p, by):
    """Whether panel p (a dict of strategies()) shows what the paper's panel `letter` shows (AGREEMENT_TESTS)."""
    settled = p["final"] - p["best"] <= p["noise_2se"]
    if letter == "a":
        fell = p["best"] < p["after_mle"] - p["noise_2se"]
        return fell and p["best_at"] <= p["budget"] / 2 and not settled
    if letter == "b":
        return "a" in by and p["final"] - p["best"] < by["a"]["final"] - by["a"]["best"]
    if letter == "c":
        return settled and p["final"] < p["after_mle"] - p["noise_2se"]
    return settled and p["final"] <= min(q["final"] for q in by.values())


def strategies(root):
    """Figure 3: each panel's NLL-oracle (mean ± std over seeds) against the D passes spent since pretraining
    (experiments/studies.py:d_passes_per_round; the panels run to one budget), what the paper's panel shows and
    whether ours agrees, and Welch's test over seeds of each panel's final value against (d)'s."""
    runs = collect(root, STRATEGIES)
    panels = []
    for letter, (name, ms) in zip("abcd", runs.items()):
        cfg, pre = config.from_dict(ms[0]["config"]), ms[0]["config"]["pretrain_g_epochs"]
        per_round = d_passes_per_round(cfg, cfg.g_steps, cfg.d_steps, cfg.d_epochs)
        curve = mean_curve(ms)
        adv = [c for c in curve if c[0] >= pre]
        finals = [m["nll_oracle"]["final"] for m in ms]
        start, (final, final_std) = _stat(ms, "after_mle")[0], stats.mean_std(finals)
        best = min(adv, key=lambda c: c[1])
        panels.append({"panel": letter, "name": name, "g_steps": cfg.g_steps, "d_steps": cfg.d_steps,
                       "k": cfg.d_epochs, "rounds": cfg.adv_epochs, "seeds": [m["seed"] for m in ms],
                       "d_passes_per_round": per_round, "budget": per_round * cfg.adv_epochs,
                       "generator_updates": cfg.g_steps * cfg.adv_epochs, "after_mle": start, "final": final,
                       "final_std": final_std, "finals": finals, "best": best[1], "best_round": best[0] - pre,
                       "best_at": (best[0] - pre) * per_round, "noise_2se": _noise(ms[0], pre, curve[-1][0]),
                       "pretrain_end": pre, "curve": curve,           # [epoch, mean, std]: MLE epochs, then rounds
                       # [D passes since pretraining, mean, std] of the adversarial part (round 0 = after MLE)
                       "by_passes": [[(c[0] - pre) * per_round, c[1], c[2]] for c in adv]})
    by = {p["panel"]: p for p in panels}
    for p in panels:
        if "d" in by and p is not by["d"]:
            p["p_vs_d"] = stats.welch(p["finals"], by["d"]["finals"])["p"]
        p["paper"] = PAPER_PANELS[p["panel"]]
        p["agrees"] = bool(_agrees(p["panel"], p, by))
        n = len(p["seeds"])
        versus = f", Welch p = {p['p_vs_d']:.2g} vs (d) over seeds" if not math.isnan(p.get("p_vs_d", math.nan)) else ""
        p["sentence"] = (
            f"({p['panel']}) g-steps {p['g_steps']}, d-steps {p['d_steps']}, k {p['k']}: {p['rounds']} "
            f"round{'s' * (p['rounds'] != 1)} ({p['generator_updates']} generator updates, "
            f"{p['budget'] / 1e6:.2f} M D passes), {n} seed{'s' * (n != 1)}: NLL-oracle "
            f"{_trend(p['final'] - p['after_mle'], p['noise_2se'])}, {p['after_mle']:.3f} after MLE to "
            f"{p['final']:.3f}{pm(p['final_std'])}{versus}; lowest {p['best']:.3f} at round {p['best_round']} "
            f"(evaluation noise ±{p['noise_2se']:.3f}). The paper: {p['paper']}. Ours "
            f"{'agrees' if p['agrees'] else 'does not agree'} (the test: {AGREEMENT_TESTS[p['panel']]}).")
    return {"study": "strategies", "preset": _preset(runs), "panels": panels, "left_out": left_out(root, STRATEGIES),
            "budget": "equal D forward-pass equivalents (a training pass counted as 3), the amount panel (d) spends "
                      "in half the preset's rounds"}


def _round_curve(ms):
    """[[adversarial round, mean, std], ...] from the end of MLE pretraining (round 0) on."""
    pre = ms[0]["config"]["pretrain_g_epochs"]
    return [[e - pre, v, s] for e, v, s in mean_curve(ms) if e >= pre]


# -- no pretraining --------------------------------------------------------------------------------------------
NO_PRETRAINING_LABELS = {"pretrained": "SeqGAN after MLE + D pretraining",
                         "no_pretraining": "no pretraining (untrained G and D)",
                         "no_pretraining_brief_d": "no pretraining of G, D briefly trained"}


def no_pretraining(root):
    """The appendix: each run's NLL-oracle over rounds (mean ± std over seeds) and, per seed, the share of the
    gap MLE pretraining closes (random G -> after MLE) that the unpretrained runs close in the same rounds."""
    runs = collect(root, NO_PRETRAINING_LABELS)
    rows = []
    for name, ms in runs.items():
        curve = _round_curve(ms)
        finals = [m["nll_oracle"]["final"] for m in ms]
        lo, hi = stats.ci95(finals)
        rows.append({"name": name, "label": NO_PRETRAINING_LABELS[name], "seeds": [m["seed"] for m in ms],
                     "pretrain_g_epochs": ms[0]["config"]["pretrain_g_epochs"],
                     "pretrain_d_steps": ms[0]["config"]["pretrain_d_steps"],
                     "rounds": ms[0]["config"]["adv_epochs"], "random_init": _stat(ms, "random_init")[0],
                     "start": curve[0][1], "final": _stat(ms, "final")[0], "final_std": _stat(ms, "final")[1],
                     "final_ci95": [lo, hi], "finals": finals, "best": min(c[1] for c in curve),
                     "real_data": ms[0]["nll_oracle"]["real_data"], "curve": curve})
    out = {"study": "no_pretraining", "preset": _preset(runs), "runs": rows, "sentences": []}
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


# -- rollout ablation ------------------------------------------------------------------------------------------
def _ablation_label(name):
    return {"no_rollout": "no rollout", "n16_delayed": "N=16, delayed 0.8"}.get(name, f"N={name[1:]}")


def rollout_ablation(root):
    settings = [ablation_name(n) for n in ROLLOUT_NS] + ["n16_delayed"]
    runs = collect(root, settings)
    spreads = [read_json(p) for p in sorted(Path(root).glob("seed*/reward_variance.json"))]
    rows = []
    for name, ms in runs.items():
        cfg = ms[0]["config"]
        final, final_std = _stat(ms, "final")
        row = {"name": name, "label": _ablation_label(name), "rollout_num": cfg["rollout_num"],
               "rollout_policy": cfg["rollout_policy"], "seeds": [m["seed"] for m in ms], "n_seeds": len(ms),
               "rounds": cfg["adv_epochs"], "after_mle": _stat(ms, "after_mle")[0],
               "final_mean": final, "final_std": final_std, "best_mean": _stat(ms, "best_adversarial")[0],
               "finals": [m["nll_oracle"]["final"] for m in ms],
               "seconds_per_round": float(np.mean([m["seconds_per_round"] for m in ms])),
               "reward_var": None, "reward_var_std": None, "reward_gap": None}
        key = str(cfg["rollout_num"])
        if cfg["rollout_policy"] == "current" and spreads and all(key in s["spread"] for s in spreads):
            v = [s["spread"][key]["var"] for s in spreads]
            row.update(reward_var=float(np.mean(v)), reward_var_std=float(np.std(v, ddof=1)) if len(v) > 1 else None,
                       reward_gap=float(np.mean([s["spread"][key]["gap"] for s in spreads])))
        rows.append(row)
    by = {r["name"]: r for r in rows}
    sentences = []
    mc = [r for r in rows if r["rollout_policy"] == "current"]
    if mc:
        best = min(mc, key=lambda r: r["final_mean"])
        sentences.append("Final NLL-oracle (mean ± std over seeds): " + "; ".join(
            f"{r['label']} {r['final_mean']:.3f} ± {num(r['final_std'])}" for r in mc)
            + f"; lowest: {best['label']} (after MLE: {best['after_mle']:.3f}).")
        sentences.append("Seconds per adversarial round (median round, mean over seeds): " + "; ".join(
            f"{r['label']} {r['seconds_per_round']:.2f}" for r in mc) + ".")
    measured = [r for r in mc if r["reward_var"] is not None and r["rollout_num"] > 0]
    if len(measured) > 1:
        sentences.append("Per-token reward variance on a fixed batch (fixed G, D): " + "; ".join(
            f"{r['label']} {r['reward_var']:.2e} (N·var {r['rollout_num'] * r['reward_var']:.2e})" for r in measured)
            + ": it falls as 1/N when N·var stays level." + (
            f" No rollout has none but is biased: its mean |Q - Q_N=max| is {by['no_rollout']['reward_gap']:.3f}."
            if "no_rollout" in by and by["no_rollout"]["reward_gap"] is not None else ""))
    if "n16" in by and "n16_delayed" in by:
        a, b = by["n16"], by["n16_delayed"]
        p = stats.welch(a["finals"], b["finals"])["p"] if min(len(a["finals"]), len(b["finals"])) > 1 else math.nan
        sentences.append(f"Rollout policy at N = 16: current G {a['final_mean']:.3f} ± {num(a['final_std'])} vs "
                         f"delayed copy (0.8) {b['final_mean']:.3f} ± {num(b['final_std'])} "
                         f"(Welch p over seeds {p_value(p)}).")
    return {"study": "rollout_ablation", "preset": _preset(runs), "rows": rows, "sentences": sentences,
            "reward_spread": spreads}


# -- D precision -----------------------------------------------------------------------------------------------
def precision(root):
    runs = collect(root, PRECISIONS)
    rows = []
    for name, ms in runs.items():
        final, final_std = _stat(ms, "final")
        rows.append({"name": name, "label": f"D in {name}", "seeds": [m["seed"] for m in ms],
                     "rounds": ms[0]["config"]["adv_epochs"], "after_mle": _stat(ms, "after_mle")[0],
                     "final": final, "final_std": final_std, "finals": [m["nll_oracle"]["final"] for m in ms],
                     "best_adversarial": _stat(ms, "best_adversarial")[0],
                     "last_d_acc": float(np.mean([m["last_d_acc"] for m in ms])),
                     "pretrain_d_s": float(np.mean([m["seconds"]["pretrain_d"] for m in ms])),
                     "seconds_per_round": float(np.mean([m["seconds_per_round"] for m in ms])),
                     "curve": _round_curve(ms)})
    out = {"study": "precision", "preset": _preset(runs), "runs": rows, "sentences": []}
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


# -- CNN G vs LSTM G --------------------------------------------------------------------------------------------
GENERATOR_LABELS = {"lstm": "LSTM G (the paper's)", "cnn": "CNN G, emb 32 (LSTM's size)", "cnn_large": "CNN G, emb 64"}


def generators(root):
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
    out = {"study": "generators", "preset": _preset(runs), "runs": rows, "sentences": [], "timing": timing,
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


def _preset(runs):
    return next((ms[0]["preset"] for ms in runs.values()), None)


# -- files -----------------------------------------------------------------------------------------------------
SUMMARIES = {"strategies": strategies, "no_pretraining": no_pretraining, "rollout_ablation": rollout_ablation,
             "precision": precision, "generators": generators}


def write(study, root):
    """<root>/<study>.json (everything), .csv (one row per panel / run / setting, no curves), .md (the sentences)
    and the figure <root>/<FIGURES[study]>.png, from the saved runs. Returns the summary."""
    root = Path(root)
    summary = SUMMARIES[study](root)
    rows = summary.get("panels") or summary.get("rows") or summary.get("runs") or []
    if not rows:
        raise FileNotFoundError(f"no finished {study} runs under {root}")
    write_json(root / f"{study}.json", summary)
    write_csv(root / f"{study}.csv", [{k: v for k, v in r.items() if not isinstance(v, (list, dict))} for r in rows])
    lines = [r["sentence"] for r in summary.get("panels", [])] + summary.get("sentences", [])
    if summary.get("left_out"):
        lines.append(f"Left out (not yet finished in every setting, so in none): seed "
                     f"{', '.join(map(str, summary['left_out']))}.")
    atomic_write(root / f"{study}.md", f"### {study}, preset '{summary['preset']}'\n\n"
                 + "".join(f"- {line}\n" for line in lines))
    getattr(plots, FIGURES[study])(summary, root / f"{FIGURES[study]}.png")
    return summary
