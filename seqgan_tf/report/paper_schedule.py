"""Table 1 and Figure 2 at the released schedule (`paper` preset), beside the released code's own log, from the runs
under one directory (results/synthetic/paper/): seed<k>/pretrain (the shared MLE pretraining), seed<k>/seqgan and
the rows that train no D (MLE continued, SS as run, PG-BLEU as run), and SeqGAN with the released batch-summed
policy-gradient loss beside SeqGAN, round by round. A run still in progress counts up to its last
evaluation: every curve is read from its metrics.jsonl, which grows as the run goes, so the report can be redrawn
whenever the run is stopped. The quick preset's SeqGAN (results/synthetic/quick, quick_long) is drawn for contrast.
Never trains; no TensorFlow.
"""
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..methods import METHODS  # noqa: E402
from ..metrics.stats import mean_curve, mean_std  # noqa: E402
from ..results import atomic_write, read_json, save_figure, write_csv, write_json  # noqa: E402
from .fmt import num, seed_count  # noqa: E402
from .released_log import RELEASED_ADVERSARIAL, RELEASED_PRETRAIN, RELEASED_SOURCE  # noqa: E402

ROWS = ("mle", "ss_as_run", "pg_bleu_as_run", "seqgan", "seqgan_summed")    # the rows run at this schedule
# A SeqGAN run of the seed that was stopped for good (its checkpoint is gone) and made again from scratch: its curve,
# from its own pretraining on, is kept, drawn and compared with the released log beside the run that replaced it,
# never joined to it.
STOPPED = "seqgan_stopped"
SUMMED = "seqgan_summed"
LABELS = {**{k: METHODS[k].label for k in ROWS}, STOPPED: "SeqGAN, stopped earlier run"}
RUN_NAMES = {"seqgan": "current", SUMMED: "summed PG loss", STOPPED: "stopped"}     # the runs of SeqGAN


def is_paper_schedule(root):
    """Whether root holds synthetic runs of the `paper` preset (a finished shared pretraining of some seed)."""
    return any((m := read_json(p)).get("experiment", "synthetic") == "synthetic" and m["preset"] == "paper"
               for p in Path(root).glob("seed*/pretrain/metrics.json"))


def curve(run_dir, pretrain_epochs):
    """[{"epoch", "round", "nll_oracle", "nll_test", ...}] of every evaluation in run_dir/metrics.jsonl (round:
    adversarial rounds done, 0 for the pretraining's evaluations), and the last round done."""
    points, rounds = [], 0
    for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines():
        r = json.loads(line)
        adv = r["phase"] == "adversarial"
        rounds = r["step"] if adv else rounds
        if "eval/nll_oracle" in r:
            points.append({"epoch": pretrain_epochs + r["step"] if adv else r["step"], "round": r["step"] if adv else 0,
                           "phase": r["phase"], **{k[5:]: v for k, v in r.items() if k.startswith("eval/")}})
    return points, rounds


def _runs(root):
    """{seed: {"pretrain": {...}, row: {"curve", "rounds", "finished"}}} of the runs under root."""
    out = {}
    for pre in sorted(Path(root).glob("seed*/pretrain/metrics.json")):
        m = read_json(pre)
        epochs, seed = m["config"]["pretrain_g_epochs"], m["seed"]
        points, _ = curve(pre.parent, epochs)
        runs = {"pretrain": {"curve": points, "machine": m.get("machine"), "epochs": epochs}}
        for row in ROWS + (STOPPED,):
            d = pre.parent.parent / row
            if (d / "metrics.jsonl").is_file():
                points, rounds = curve(d, epochs)
                done = d / "metrics.json"          # written when the run finished
                total = read_json(done)["config"]["adv_epochs"] if done.is_file() else None
                own_start = [c for c in points if c["phase"] == "pretrain_g"]   # its own pretraining's lines
                runs[row] = {"curve": [c for c in points if c["phase"] == "adversarial"], "rounds": rounds,
                             "finished": total is not None and rounds == total,
                             "start": own_start[-1] if row == STOPPED else runs["pretrain"]["curve"][-1]}
        out[seed] = runs
    return out


def quick_reference(root):
    """The quick preset's SeqGAN for contrast, if its results sit beside root: ([[round, mean, std], ...] over its
    seeds, the seeds, the 130-round run's [[round, value]], and the noise figures)."""
    quick = Path(root).parent / "quick"
    ms = [read_json(p) for p in sorted(quick.glob("seed*/seqgan/metrics.json"))]
    if not ms:
        return None
    pre = ms[0]["config"]["pretrain_g_epochs"]

    def per_round(key):
        epochs, mean, std = mean_curve([{c["epoch"]: c[key] for c in m["curve"]} for m in ms])
        return [[int(e) - pre, float(v), float(s)] for e, v, s in zip(epochs, mean, std) if e >= pre]

    rounds, tests = per_round("nll_oracle"), [r[:2] for r in per_round("nll_test")]
    long = Path(root).parent / "quick_long" / "metrics.json"
    long_curve = []
    if long.is_file():
        m = read_json(long)
        long_curve = [[c["epoch"] - m["config"]["pretrain_g_epochs"], c["nll_oracle"]] for c in m["curve"]
                      if c["phase"] == "adversarial"]
    # One evaluation's noise: 2 standard errors of the difference of two evaluations of one G (per-token, from the
    # per-sequence statistics of each quick seed's final evaluation); a run's: the spread of final NLL-oracle over
    # seeds, so two single runs differ by up to 2·√2·std without meaning anything.
    evals = [m["per_sequence_nll"][str(m["curve"][-1]["epoch"])] for m in ms]
    eval_noise = float(np.mean([2 * math.sqrt(2 * s["var"] / s["n"]) / m["config"]["seq_len"]
                                for s, m in zip(evals, ms)]))
    _, seed_std = mean_std([m["nll_oracle"]["final"] for m in ms])
    return {"seeds": sorted(m["seed"] for m in ms), "rounds": rounds, "nll_test": tests, "long": long_curve,
            "eval_noise": eval_noise, "seed_std": seed_std, "run_noise": 2 * math.sqrt(2) * seed_std}


def _at(points, rnd):
    return next((c for c in points if c["round"] == rnd), None)


def build(root):
    """{"rows": Table 1 at this schedule, "gaps": SeqGAN against the released log at every shared round, ...}."""
    runs, quick = _runs(root), quick_reference(root)
    seeds = sorted(runs)
    rows = []

    def row(key, label, values, at, paper=None, released=None, note=""):
        finals = [v["nll_oracle"] for v in values]
        mean, std = mean_std(finals)
        rows.append({"key": key, "method": label, "n_seeds": len(values), "nll_oracle_mean": mean,
                     "nll_oracle_std": std,
                     "nll_test_mean": float(np.mean([v["nll_test"] for v in values])), "at": at, "paper": paper,
                     "released_log": released, "note": note})

    pre = [runs[s]["pretrain"] for s in seeds]
    if pre:
        epochs = pre[0]["epochs"]
        row("random", "Random (untrained G)", [p["curve"][0] for p in pre], "epoch 0", paper=10.310)
        row("mle_pretrained", "MLE (the shared pretraining)", [p["curve"][-1] for p in pre], f"{epochs} MLE epochs",
            paper=METHODS["mle"].paper, released=RELEASED_PRETRAIN[max(RELEASED_PRETRAIN)],
            note=f"released: its last pretraining log line, after {max(RELEASED_PRETRAIN) + 1} MLE epochs")
    for key in ROWS + (STOPPED,):
        done = [runs[s][key] for s in seeds if key in runs[s] and runs[s][key]["curve"]]
        if not done:
            continue
        last = min(r["curve"][-1]["round"] for r in done)           # the last round every seed has evaluated
        state = ("stopped" if key == STOPPED else "finished" if all(r["finished"] for r in done)
                 else "in progress")
        seqgan = key in RUN_NAMES
        row(key, LABELS[key], [_at(r["curve"], last) for r in done], f"round {last} ({state})",
            paper=METHODS["seqgan" if key == STOPPED else key].paper,
            released=RELEASED_ADVERSARIAL.get(last) if seqgan else None,
            note="released: its log line 'epoch {0}', after {1} g-steps".format(last, last + 1) if seqgan else "")
    gaps = []
    for s in seeds:
        for key in RUN_NAMES:
            start = runs[s][key]["start"]["nll_oracle"] if key in runs[s] else None
            for c in runs[s].get(key, {}).get("curve", []):
                released = RELEASED_ADVERSARIAL.get(c["round"])
                if released is not None:
                    # the change since pretraining: the released run starts from its first adversarial line
                    gaps.append({"seed": s, "run": key, "round": c["round"], "nll_oracle": c["nll_oracle"],
                                 "nll_test": c["nll_test"], "released_log": released, "gap": c["nll_oracle"] - released,
                                 "change": c["nll_oracle"] - start,
                                 "released_change": released - RELEASED_ADVERSARIAL[0]})
    # the summed PG loss against the mean, from one pretraining: every round both have evaluated
    pairs = [{"seed": s, "round": c["round"], "mean": c["nll_oracle"], "summed": other["nll_oracle"],
              "difference": other["nll_oracle"] - c["nll_oracle"], "mean_nll_test": c["nll_test"],
              "summed_nll_test": other["nll_test"]}
             for s in seeds if "seqgan" in runs[s] and SUMMED in runs[s] for c in runs[s]["seqgan"]["curve"]
             if (other := _at(runs[s][SUMMED]["curve"], c["round"]))]
    # each row's curve from round 0 (the pretraining's last evaluation) on, for the figure
    curves = {s: {key: [{**r[key]["start"], "round": 0}] + r[key]["curve"] for key in ROWS + (STOPPED,) if key in r}
              for s, r in runs.items()}
    return {"rows": rows, "gaps": gaps, "pairs": pairs, "seeds": seeds, "quick": quick,
            "released_source": RELEASED_SOURCE, "curves": curves,
            "machines": {s: runs[s]["pretrain"]["machine"] for s in seeds},
            "rounds_done": {s: {k: v["rounds"] for k, v in runs[s].items() if k != "pretrain"} for s in seeds}}


def markdown(report):
    q = report["quick"]
    lines = ["### Table 1 at the released schedule ('paper' preset)", "",
             f"Seeds: {', '.join(map(str, report['seeds']))}. Rows that have not reached the end report their last "
             "evaluation (the round is in the 'at' column). The released log's values come from "
             f"{report['released_source']}.", "",
             "| row | NLL-oracle | at | NLL-test | paper | released log | seeds |", "|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        spread = f" ± {num(r['nll_oracle_std'])}" if r["nll_oracle_std"] is not None else ""
        lines.append(f"| {r['method']} | {num(r['nll_oracle_mean'])}{spread} | {r['at']} | {num(r['nll_test_mean'])} "
                     f"| {num(r['paper'])} | {num(r['released_log'])} | {r['n_seeds']} |")
    lines += ["", "released log: for MLE its last pretraining line (after 116 MLE epochs); for SeqGAN the line one "
              "generator step ahead of the round named (its "
              "'epoch r' follows r + 1 g-steps); at the steepest part of its curve that step is worth about 0.005.",
              "", "### SeqGAN against the released log, round by round", "",
              "| seed | run | round | NLL-oracle | released log | gap | change since pretraining | released log's "
              "change | NLL-test |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {g['seed']} | {RUN_NAMES[g['run']]} | {g['round']} "
              f"| {num(g['nll_oracle'])} | {num(g['released_log'])} | {g['gap']:+.3f} | {g['change']:+.3f} "
              f"| {g['released_change']:+.3f} | {num(g['nll_test'])} |" for g in report["gaps"]]
    if any(g["run"] == STOPPED for g in report["gaps"]):
        lines += ["", "stopped: an earlier SeqGAN run of the seed, stopped for good (its checkpoint is gone) and made "
                  "again from scratch by the current run; the two curves are never joined. Its own pretraining and "
                  "its round 0 are in its metrics.jsonl (results/synthetic/paper/README.md says how it differs)."]
    if any(g["run"] == SUMMED for g in report["gaps"]):
        lines += ["", "summed PG loss: SeqGAN from the same pretraining with the policy-gradient loss summed over the "
                  "batch, as the released code sums it (--methods seqgan_summed); everything else as the current run."]
    if report["gaps"]:
        starts = {(g["seed"], g["run"]): g["nll_oracle"] - g["change"] for g in report["gaps"]
                  if g["run"] != SUMMED}
        lines += ["", "change since pretraining: from the MLE pretraining's last evaluation (ours) and from the "
                  f"released log's first adversarial line, {RELEASED_ADVERSARIAL[0]:.3f}: the released run started "
                  + ", ".join(f"{RELEASED_ADVERSARIAL[0] - v:+.3f} from seed {s}'s"
                              + (" stopped run's" if run == STOPPED else "") for (s, run), v in starts.items())
                  + ", and the gap carries that."]
    if report["pairs"]:
        lines += ["", "### SeqGAN's policy-gradient loss: summed over the batch (as released) against the mean", "",
                  "From one pretraining and seed; only the loss differs.", "",
                  "| seed | round | NLL-oracle, mean loss | NLL-oracle, summed loss | summed − mean | NLL-test, mean "
                  "| NLL-test, summed |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {p['seed']} | {p['round']} | {num(p['mean'])} | {num(p['summed'])} | {p['difference']:+.3f} "
                  f"| {num(p['mean_nll_test'])} | {num(p['summed_nll_test'])} |" for p in report["pairs"]]
    if q:
        lines += ["", f"Noise, measured on the quick preset's SeqGAN (seeds {', '.join(map(str, q['seeds']))}): one "
                  f"evaluation ±{q['eval_noise']:.3f} (two standard errors of the difference of two evaluations of "
                  f"one G); one run, std over seeds {q['seed_std']:.3f}, so two single runs differ by up to "
                  f"±{q['run_noise']:.3f} (2·√2·std) by chance. A gap beyond that is a difference of the runs."]
    return "\n".join(lines) + "\n"


def figure(report):
    """Figure 2 at the released schedule: NLL-oracle (left) and NLL-test (right) per adversarial round, round 0 =
    the end of MLE pretraining; the released log's points on the left; the quick preset's SeqGAN for contrast."""
    fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.6))
    q = report["quick"]
    for ax, key in zip(axes, ("nll_oracle", "nll_test")):
        for s, rows in report["curves"].items():
            for row, points in rows.items():
                stopped = row == STOPPED
                ax.plot([c["round"] for c in points], [c[key] for c in points], "o-",
                        ms=2 if stopped else 3, lw=1 if stopped else 1.5, alpha=0.5 if stopped else 1,
                        color=METHODS["seqgan" if stopped else row].color,
                        label=f"{LABELS[row]}, paper schedule, seed {s}")
        if q:
            xs = [r[0] for r in (q["rounds"] if key == "nll_oracle" else q["nll_test"])]
            ys = [r[1] for r in (q["rounds"] if key == "nll_oracle" else q["nll_test"])]
            ax.plot(xs, ys, "--", color="gray", lw=1.2,
                    label=f"SeqGAN, quick preset (mean of {seed_count(len(q['seeds']))})")
        if key == "nll_oracle":
            ax.plot([e + 1 for e in RELEASED_ADVERSARIAL], list(RELEASED_ADVERSARIAL.values()), "s", ms=4,
                    color="black", mfc="none", label="released code's log (after epoch + 1 g-steps)")
            if q and q["long"]:
                ax.plot(*zip(*q["long"]), ":", color="gray", lw=1, label="SeqGAN, quick preset, 130 rounds (seed 88)")
            ax.axhline(METHODS["seqgan"].paper, color="C5", ls=":", lw=1, label="paper: SeqGAN 8.736")
            ax.axhline(METHODS["mle"].paper, color="C0", ls=":", lw=1, label="paper: MLE 9.038")
        ax.set_xlabel("adversarial round (0 = end of MLE pretraining)")
        ax.set_ylabel({"nll_oracle": "NLL-oracle (quality)", "nll_test": "NLL-test (coverage)"}[key])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Figure 2 at the released schedule ('paper' preset)")
    fig.tight_layout()
    return fig


def write(root):
    """table1.{md,csv,json} and figure2.{png,pdf} of the paper-schedule runs under root; returns the report."""
    root = Path(root)
    report = build(root)
    write_json(root / "table1.json", report)
    write_csv(root / "table1.csv", report["rows"])
    atomic_write(root / "table1.md", markdown(report))
    fig = figure(report)
    for suffix in (".png", ".pdf"):
        save_figure(fig, root / f"figure2{suffix}", dpi=120)
    plt.close(fig)
    return report
