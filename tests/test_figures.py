"""reproduce/figures.py redraws every kind of table and figure from saved results alone, in a process where
TensorFlow and Keras cannot even be imported (the report layer must never need them)."""
import fnmatch
import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import PNG, ROOT, ahead, run_script

# A few committed runs of every kind (two seeds where the table compares seeds); their figures are redrawn.
SUBSET = [f"results/synthetic/quick/seed8[89]/{method}/metrics.json" for method in ("mle", "ss", "pg_bleu", "seqgan")]
SUBSET += ["results/poetry/poetry/table2.*", "results/poetry/poetry/seed8[89]/*",
           "results/music/music/table4.*", "results/music/music/seed8[89]/*",
           "results/speeches/speech/table3.*", "results/speeches/speech/seed8[89]/*",
           "results/strategies/quick/strategies.json", "results/strategies/quick/seed88/g*/metrics.json",
           "results/no_pretraining/quick/no_pretraining.json", "results/no_pretraining/quick/seed88/*/metrics.json",
           "results/rollout_ablation/quick/rollout_ablation.json",
           "results/rollout_ablation/quick/seed88/n*/metrics.json",
           "results/rollout_ablation/quick/seed88/reward_variance.json",
           "results/precision/quick/precision.json", "results/precision/quick/seed8[89]/[bf]*/metrics.json"]

NO_TENSORFLOW = """
import runpy, sys
sys.modules["tensorflow"] = None      # any import of it raises ImportError
sys.modules["keras"] = None
sys.argv = ["figures.py", "--root", sys.argv[1]]
runpy.run_path({figures!r}, run_name="__main__")
"""


@ahead.job()
def figures_without_tensorflow(root):
    """A copy of SUBSET without its figures, then figures.py on it in a process that cannot import TensorFlow."""
    tracked = subprocess.run(["git", "ls-files", "results"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    for path in (p for p in tracked if any(fnmatch.fnmatch(p, pattern) for pattern in SUBSET)):
        if not path.endswith((".png", ".pdf")) and (ROOT / path).exists():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / path, root / path)
    return root / "results", run_script("-c", NO_TENSORFLOW.format(figures=str(ROOT / "reproduce" / "figures.py")),
                                        root / "results")


@pytest.fixture(scope="module")
def redrawn():
    """The redrawn copy: (results root, what figures.py printed)."""
    root, r = ahead.result(figures_without_tensorflow)
    assert r.returncode == 0, r.stderr[-3000:]
    return root, r.stdout


def test_every_run_gets_its_nll_curve(redrawn):
    """Each run's nll_curve.png beside its metrics.json, and the list of what was written on stdout."""
    root, stdout = redrawn
    runs = sorted(p.parent for p in root.rglob("metrics.json"))
    assert {r.relative_to(root).parts[0] for r in runs} == {"synthetic", "poetry", "music", "speeches", "strategies",
                                                           "no_pretraining", "rollout_ablation", "precision"}
    for run in runs:
        assert (run / "nll_curve.png").read_bytes()[:8] == PNG, run
        assert str(run / "nll_curve.png") in stdout


def test_table1_and_figure2(redrawn):
    """Table 1 over the two seeds of every method, with Figure 2 as PNG and PDF."""
    d = redrawn[0] / "synthetic" / "quick"
    rows = {r["key"]: r for r in json.loads((d / "table1.json").read_text())["rows"]}
    assert {"random", "mle", "ss", "pg_bleu", "seqgan"} <= set(rows)
    assert all(rows[k]["seeds"] == "88 89" for k in ("random", "mle", "ss", "pg_bleu", "seqgan"))
    assert 0 <= rows["mle"]["p_seeds"] <= 1 and (d / "table1.md").read_text().startswith("### Table 1")
    assert len((d / "table1.csv").read_text().splitlines()) == len(rows) + 1
    assert (d / "figure2.png").read_bytes()[:8] == PNG and (d / "figure2.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("experiment, name", [("poetry/poetry", "table2"), ("speeches/speech", "table3"),
                                              ("music/music", "table4")])
def test_tables_2_3_and_4_from_their_seeds(redrawn, experiment, name):
    """Tables 2 (poems), 3 (speeches) and 4 (music) rebuilt from the seeds present, with their real-data row kept."""
    d = redrawn[0] / experiment
    table = json.loads((d / f"{name}.json").read_text())
    assert table["seeds"] == [88, 89]
    models = [row["model"] for row in table["rows"]]
    assert models[:3] == ["real", "mle", "seqgan"] and all(row["seeds"] == 2 for row in table["rows"][1:3])
    assert (d / f"{name}.md").read_text(encoding="utf-8").count("\n| ") >= len(models)
    assert len((d / f"{name}.csv").read_text().splitlines()) == len(models) + 1


@pytest.mark.parametrize("study, figure, items, n", [("strategies", "figure3", "panels", 4),
                                                      ("no_pretraining", "no_pretraining", "runs", 3),
                                                      ("rollout_ablation", "rollout_ablation", "rows", 6),
                                                      ("precision", "precision", "runs", 2)])
def test_the_four_studies(redrawn, study, figure, items, n):
    """Each study's summary (.json, .csv, .md) and figure rewritten from the runs beside it."""
    d = next(redrawn[0].glob(f"{study}/*"))
    summary = json.loads((d / f"{study}.json").read_text())
    assert summary["study"] == study and len(summary[items]) == n
    assert (d / f"{figure}.png").read_bytes()[:8] == PNG
    assert len((d / f"{study}.csv").read_text().splitlines()) == n + 1
    assert (d / f"{study}.md").read_text().startswith(f"### {study}, preset 'quick'")


def test_precision_pairs_the_seeds(redrawn):
    """The precision study's paired difference is the mean over seeds of bfloat16 - float32 final NLL-oracle."""
    summary = json.loads((redrawn[0] / "precision" / "quick" / "precision.json").read_text())
    runs = {r["name"]: r for r in summary["runs"]}
    assert runs["float32"]["seeds"] == runs["bfloat16"]["seeds"] == [88, 89]
    d = summary["paired_difference"]
    assert d["seeds"] == [88, 89]
    assert d["mean"] == pytest.approx(np.mean(np.subtract(runs["bfloat16"]["finals"], runs["float32"]["finals"])))
    assert d["std"] == pytest.approx(np.std(np.subtract(runs["bfloat16"]["finals"], runs["float32"]["finals"]), ddof=1))
