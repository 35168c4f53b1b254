"""The studies of how SeqGAN behaves, one module per study (what each runs: seqgan_tf/studies.py):

- strategies (Figure 3, report/figure3.py): SeqGAN under four (g-steps, d-steps, k) schedules after one shared
  pretraining.
- no_pretraining (appendix, report/no_pretraining_study.py): SeqGAN from an untrained G against SeqGAN after MLE
  pretraining.
- rollout_ablation (report/rollout_study.py): the number N of Monte-Carlo rollouts (and none), and the two rollout
  policies at N = 16.
- precision (report/precision_study.py): D in float32 (the paper) against bfloat16, from one shared MLE pretraining.
- generators (report/generator_study.py): the convolutional G against the LSTM G, with their per-unit times.
Each run lives in <root>/seed<k>/<setting>/metrics.json (experiments.sweep.run_settings); `write(study, root)`
turns them into <root>/<study>.{json,csv,md} and the figure, so reproduce/figures.py can redraw them.
"""
from pathlib import Path

from ..results import atomic_write, write_csv, write_json
from . import figure3, generator_study, no_pretraining_study, precision_study, rollout_study

MODULES = {m.STUDY: m for m in (figure3, no_pretraining_study, rollout_study, precision_study, generator_study)}
STUDIES = tuple(MODULES)
FIGURES = {name: m.FIGURE for name, m in MODULES.items()}


def write(study, root):
    """<root>/<study>.json (everything), .csv (one row per panel / run / setting, no curves), .md (the sentences)
    and the figure <root>/<FIGURES[study]>.png, from the saved runs. Returns the summary."""
    root = Path(root)
    summary = MODULES[study].summarise(root)
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
    MODULES[study].plot(summary, root / f"{FIGURES[study]}.png")
    return summary
