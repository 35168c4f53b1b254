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
           "results/precision/quick/precision.json", "results/precision/quick/seed8[89]/[bf]*/metrics.json",
           "results/synthetic/paper/seed88/*/metrics.json*"]

NO_TENSORFLOW = """
import runpy, sys
sys.modules["tensorflow"] = None      # any import of it raises ImportError
sys.modules["keras"] = None
sys.argv = ["figures.py", "--results", sys.argv[1]]
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


def test_paper_schedule_table_and_figure_from_a_run_in_progress(redrawn):
    """At the paper preset a SeqGAN run in progress (metrics.jsonl, no metrics.json) counts up to its last
    evaluation, a stopped earlier run of the seed is reported beside it from its own pretraining on, never joined to
    it, each shared round is set against the released log's line, and Figure 2 is drawn."""
    from seqgan_tf.report.paper_schedule import RUN_NAMES, STOPPED
    from seqgan_tf.report.released_log import RELEASED_ADVERSARIAL
    d = redrawn[0] / "synthetic" / "paper"
    report = json.loads((d / "table1.json").read_text())
    rows = {r["key"]: r for r in report["rows"]}
    runs = [key for key in RUN_NAMES if (d / "seed88" / key / "metrics.jsonl").is_file()]
    assert STOPPED in runs
    gaps = []
    for key in runs:
        lines = [json.loads(line) for line in (d / "seed88" / key / "metrics.jsonl").read_text().splitlines()]
        evals = [r for r in lines if r["phase"] == "adversarial" and "eval/nll_oracle" in r]
        start = [r for r in lines if r["phase"] == "pretrain_g" and "eval/nll_oracle" in r][-1]["eval/nll_oracle"]
        if key != STOPPED:
            assert start == rows["mle_pretrained"]["nll_oracle_mean"]      # from the shared pretraining
        if not evals:
            assert key != STOPPED and key not in rows                      # no round evaluated yet: no row
            continue
        state = "stopped" if key == STOPPED else "in progress"
        assert rows[key]["at"] == f"round {evals[-1]['step']} ({state})"
        assert rows[key]["nll_oracle_mean"] == evals[-1]["eval/nll_oracle"]
        gaps += [(key, r["step"], r["eval/nll_oracle"] - RELEASED_ADVERSARIAL[r["step"]],
                  r["eval/nll_oracle"] - start) for r in evals]
    assert [(g["run"], g["round"], g["gap"], g["change"]) for g in report["gaps"]] == gaps
    assert report["quick"]["seeds"] == [88, 89] and report["quick"]["run_noise"] > 0
    assert "| SeqGAN, stopped earlier run |" in (d / "table1.md").read_text()
    assert (d / "figure2.png").read_bytes()[:8] == PNG


def test_paper_schedule_sets_the_summed_pg_loss_beside_the_mean_round_by_round(tmp_path):
    """A SeqGAN run with the batch-summed PG loss from the same pretraining is a row of its own, compared with the
    released log like the others and with the current run at every round both have evaluated."""
    from seqgan_tf.report import paper_schedule
    from seqgan_tf.report.released_log import RELEASED_ADVERSARIAL
    src = ROOT / "results" / "synthetic" / "paper" / "seed88"
    for row in ("pretrain", "seqgan"):
        (tmp_path / "seed88" / row).mkdir(parents=True)
        for f in (src / row).glob("metrics.json*"):
            shutil.copy(f, tmp_path / "seed88" / row)
    lines = [json.loads(line) for line in (src / "seqgan" / "metrics.jsonl").read_text().splitlines()]
    summed = [{**r, "eval/nll_oracle": r["eval/nll_oracle"] - 0.05}
              if r["phase"] == "adversarial" and "eval/nll_oracle" in r and r["step"] <= 20 else r
              for r in lines if r["phase"] != "adversarial" or r["step"] <= 22]
    (tmp_path / "seed88" / paper_schedule.SUMMED).mkdir()
    (tmp_path / "seed88" / paper_schedule.SUMMED / "metrics.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in summed))
    report = paper_schedule.write(tmp_path)
    assert [(p["round"], round(p["difference"], 6)) for p in report["pairs"]] == [(r, -0.05) for r in (5, 10, 15, 20)]
    row = next(r for r in report["rows"] if r["key"] == paper_schedule.SUMMED)
    assert row["at"] == "round 20 (in progress)" and row["released_log"] == RELEASED_ADVERSARIAL[20]
    assert sum(g["run"] == paper_schedule.SUMMED for g in report["gaps"]) == 4
    text = (tmp_path / "table1.md").read_text()
    assert "| 88 | 20 | 8.949 | 8.899 | -0.050 |" in text and "| 88 | summed PG loss | 20 | 8.899 |" in text


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


# -- what the figures draw (the drawing functions return the Figure; the files are thin wrappers) ---------------
def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _line(ax, label):
    """The one line of ax drawn with `label`: (x, y) arrays."""
    lines = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(lines) == 1, (label, [line.get_label() for line in ax.get_lines()])
    return np.asarray(lines[0].get_xdata(), float), np.asarray(lines[0].get_ydata(), float)


def _seed_mean(metrics, key, phase=None):
    """Independently of the report code: (epochs, mean over seeds) of `key` at the epochs every seed evaluated."""
    curves = [{c["epoch"]: c[key] for c in m["curve"] if phase is None or c["phase"] == phase} for m in metrics]
    epochs = sorted(set.intersection(*(set(c) for c in curves)))
    return np.array(epochs, float), np.array([np.mean([c[e] for c in curves]) for e in epochs])


def test_nll_curve_draws_the_runs_own_curve():
    """A run's nll_curve: the MLE epochs and the adversarial rounds of its metrics.json, NLL-test on a second axis."""
    from seqgan_tf.report import plots
    from seqgan_tf.report.table1 import LABELS
    m = json.loads((ROOT / "results/synthetic/quick/seed88/seqgan/metrics.json").read_text())
    fig = plots.draw_nll_curve(m)
    ax, ax2 = fig.axes
    pre = [c for c in m["curve"] if c["phase"] == "pretrain_g"]
    adv = [c for c in m["curve"] if c["phase"] == "adversarial"]
    assert _legend(ax) == ["MLE pretraining", f"{LABELS['seqgan']} (adversarial)",
                           f"real data ({m['nll_oracle']['real_data']:.2f})"]
    x, y = _line(ax, "MLE pretraining")
    assert x.tolist() == [c["epoch"] for c in pre] and y.tolist() == [c["nll_oracle"] for c in pre]
    x, y = _line(ax, f"{LABELS['seqgan']} (adversarial)")
    assert x.tolist() == [c["epoch"] for c in pre[-1:] + adv] and y.tolist() == [c["nll_oracle"] for c in pre[-1:] + adv]
    assert ax.get_ylabel() == "NLL-oracle" and ax.get_title().endswith(f"preset 'quick', seed 88")
    assert ax2.get_lines()[0].get_ydata().tolist() == [c["nll_test"] for c in m["curve"]]


def test_figure2_draws_the_mean_over_seeds_of_each_row(tmp_path):
    """Figure 2 of two rows over two seeds: one line per row (and the shared pretraining), each the mean over seeds."""
    from seqgan_tf.report import figure2
    from seqgan_tf.report.table1 import LABELS
    runs = {}
    for method in ("mle", "seqgan"):
        for seed in (88, 89):
            src = ROOT / f"results/synthetic/quick/seed{seed}/{method}/metrics.json"
            (tmp_path / f"seed{seed}" / method).mkdir(parents=True)
            shutil.copy(src, tmp_path / f"seed{seed}" / method / "metrics.json")
            runs.setdefault(method, []).append(json.loads(src.read_text()))
    fig = figure2.draw(tmp_path)
    pre = runs["seqgan"][0]["config"]["pretrain_g_epochs"]
    for ax, key, ylabel in zip(fig.axes, ("nll_oracle", "nll_test"), ("NLL-oracle (quality)", "NLL-test (coverage)")):
        assert ax.get_ylabel() == ylabel
        for method in ("mle", "seqgan"):
            x, y = _line(ax, f"{LABELS[method]} (2 seeds)")
            epochs, mean = _seed_mean(runs[method], key)
            assert x.tolist() == epochs[epochs >= pre].tolist() and np.allclose(y, mean[epochs >= pre])
        x, y = _line(ax, "MLE pretraining (shared)")
        epochs, mean = _seed_mean(runs["mle"], key)
        assert x.tolist() == epochs[epochs <= pre].tolist() and np.allclose(y, mean[epochs <= pre])
    assert _legend(fig.axes[0]) == ["MLE pretraining (shared)", f"{LABELS['mle']} (2 seeds)",
                                    f"{LABELS['seqgan']} (2 seeds)"]
    assert fig._suptitle.get_text() == "Figure 2, 'quick' preset (mean ± 1 std over seeds)"


def test_figure3_draws_each_panels_mean_curve_against_d_passes():
    """Figure 3 from the committed strategies runs: one panel per schedule, its SeqGAN line the mean over seeds of
    NLL-oracle per round, at the D passes spent since pretraining."""
    from seqgan_tf.report import figure3
    root = ROOT / "results/strategies/quick"
    summary = figure3.summarise(root)
    fig = figure3.draw(summary)
    assert [ax.get_title() for ax in fig.axes] == [
        "(a) g-steps 100, d-steps 1, k 10", "(b) g-steps 30, d-steps 1, k 30", "(c) g-steps 1, d-steps 1, k 10",
        "(d) g-steps 1, d-steps 5, k 3"]
    for ax, p in zip(fig.axes, summary["panels"]):
        runs = [json.loads((root / f"seed{s}" / p["name"] / "metrics.json").read_text()) for s in p["seeds"]]
        label = f"SeqGAN, {p['rounds']} rounds ({len(runs)} seed(s))"
        assert _legend(ax) == [f"MLE pretraining ({p['pretrain_end']} epochs, squeezed)", label]
        x, y = _line(ax, label)
        epochs, mean = _seed_mean(runs, "nll_oracle")
        after = epochs >= p["pretrain_end"]
        assert np.allclose(y, mean[after]) and np.allclose(x, (epochs[after] - p["pretrain_end"])
                                                           * p["d_passes_per_round"] / 1e6)
        assert ax.get_ylabel() == "NLL-oracle"


def test_rollout_ablation_draws_final_nll_variance_and_cost():
    """The rollout ablation from the committed runs: (a) final NLL-oracle per N, the mean over seeds of each run's
    final value; (b) the measured reward variance; (c) seconds per round as bars."""
    from seqgan_tf.report import rollout_study
    root = ROOT / "results/rollout_ablation/quick"
    summary = rollout_study.summarise(root)
    fig = rollout_study.draw(summary)
    a, b, c = fig.axes
    names = ["no_rollout", "n1", "n4", "n16", "n64"]
    labels = ["no rollout", "N=1", "N=4", "N=16", "N=64"]
    assert [t.get_text() for t in a.get_xticklabels()] == labels == [t.get_text() for t in c.get_xticklabels()]
    finals = [np.mean([json.loads(p.read_text())["nll_oracle"]["final"]
                       for p in sorted(root.glob(f"seed*/{name}/metrics.json"))]) for name in names]
    current = a.containers[0]                      # errorbar container of "rollout = current G"
    assert current.get_label() == "rollout = current G"
    assert np.allclose(current.lines[0].get_ydata(), finals) and current.lines[0].get_xdata().tolist() == [0, 1, 2, 3, 4]
    delayed = a.containers[1]
    assert delayed.get_label() == "rollout = delayed copy"
    assert np.allclose(delayed.lines[0].get_ydata(), [np.mean([json.loads(p.read_text())["nll_oracle"]["final"]
                       for p in sorted(root.glob("seed*/n16_delayed/metrics.json"))])])
    assert a.get_title() == "(a) NLL-oracle after adversarial training"
    assert sorted(_legend(b)) == ["measured", "∝ 1/N"] and b.get_xscale() == "log" and b.get_yscale() == "log"
    spreads = [json.loads(p.read_text())["spread"] for p in sorted(root.glob("seed*/reward_variance.json"))]
    measured = b.containers[0].lines[0]
    assert measured.get_xdata().tolist() == [1, 4, 16, 64]
    assert np.allclose(measured.get_ydata(), [np.mean([s[str(n)]["var"] for s in spreads]) for n in (1, 4, 16, 64)])
    seconds = [np.mean([json.loads(p.read_text())["seconds_per_round"]
                        for p in sorted(root.glob(f"seed*/{name}/metrics.json"))]) for name in names]
    assert np.allclose([bar.get_height() for bar in c.patches], seconds)
    assert c.get_ylabel() == "seconds per adversarial round (median)"


# -- the layers -------------------------------------------------------------------------------------------------
def _imports(path, package):
    """Absolute names of the seqgan_tf modules a module imports (relative imports resolved; `package` is its own)."""
    import ast
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            names |= {base} | {f"{base}.{a.name}" for a in node.names}
    return names


def test_report_and_experiments_do_not_import_each_other():
    """The report layer reads result files and the shared settings (seqgan_tf/studies.py, methods.py, results.py):
    nothing under report/ imports experiments/ or train/, and nothing under experiments/ imports report/."""
    rules = {"report": ("seqgan_tf.experiments", "seqgan_tf.train"), "experiments": ("seqgan_tf.report",)}
    for layer, forbidden in rules.items():
        modules = sorted((ROOT / "seqgan_tf" / layer).glob("*.py"))
        assert modules
        for path in modules:
            bad = sorted(n for n in _imports(path, f"seqgan_tf.{layer}")
                         if any(n == f or n.startswith(f + ".") for f in forbidden))
            assert not bad, f"seqgan_tf/{layer}/{path.name} imports {bad}"
