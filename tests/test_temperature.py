"""The temperature sweep: α = 1 is the model as trained, α scales the logits, and the crossing table's arithmetic."""
import json

import numpy as np
import pytest
import tensorflow as tf

from conftest import Smoke, fails, main, seed
from seqgan_tf.experiments import temperature_sweep as sweep
from seqgan_tf.metrics.nll import nll_test
from seqgan_tf.report import quality_diversity as report

RUNS = {"mle_pretrained": "pretrain", "mle_early": "mle", "mle": "mle", "seqgan": "seqgan"}


def test_alpha_one_reproduces_each_runs_own_evaluation_exactly(methods_sweep, tmp_path):
    """Every model of both seeds, at α = 1, gives bit for bit the NLL-oracle and NLL-test its run logged at that
    epoch; the script writes the table, the CSV and the figure."""
    main("reproduce/temperature.py", "--runs", methods_sweep, "--alphas", "0.5,2", "--out", tmp_path)
    result = json.loads((tmp_path / "temperature.json").read_text())
    assert result["alphas"] == [0.5, 1.0, 2.0]
    assert sorted({(r["seed"], r["model"]) for r in result["runs"]}) == sorted(
        (s, m) for s in (0, 1) for m in sweep.SYNTHETIC_MODELS)
    for r in result["runs"]:
        curve = json.loads((methods_sweep / f"seed{r['seed']}" / RUNS[r["model"]] / "metrics.json").read_text())["curve"]
        logged = next(c for c in curve if c["epoch"] == r["epoch"])
        at_one = next(p for p in r["points"] if p["alpha"] == 1.0)
        assert (at_one["nll_oracle"], at_one["nll_test"]) == (logged["nll_oracle"], logged["nll_test"]), r["model"]
    assert (tmp_path / "temperature.png").stat().st_size > 0 and "SeqGAN's NLL-test" in (
        tmp_path / "crossing.md").read_text()
    assert len((tmp_path / "temperature.csv").read_text().splitlines()) == 1 + 2 * 4 * 3


def test_a_control_run_in_the_seed_directory_joins_the_sweep(methods_sweep, tmp_path):
    """A control trained from the seed's shared pretraining is swept beside the Table-1 models, under its label, and
    at α = 1 reproduces its own logged evaluation: is it on MLE's temperature curve?"""
    import shutil
    shutil.copytree(methods_sweep / "seed0", tmp_path / "runs" / "seed0")
    main("reproduce/synthetic.py", "--preset", "smoke", "--adv_epochs", "2", "--checkpoint_every", "1000",
         "--methods", "constant_reward", "--seed", "0", "--out", tmp_path / "runs")
    assert sweep.model_names(tmp_path / "runs" / "seed0") == (*sweep.SYNTHETIC_MODELS, "constant_reward")
    main("reproduce/temperature.py", "--runs", tmp_path / "runs", "--alphas", "1", "--out", tmp_path / "t")
    result = json.loads((tmp_path / "t" / "temperature.json").read_text())
    control = next(r for r in result["runs"] if r["model"] == "constant_reward")
    logged = json.loads((tmp_path / "runs/seed0/constant_reward/metrics.json").read_text())["curve"][-1]
    assert control["label"] == "Control: constant reward Q = 2" and control["epoch"] == logged["epoch"]
    assert control["points"][0]["nll_oracle"] == logged["nll_oracle"]
    assert "Control: constant reward Q = 2" in (tmp_path / "t" / "crossing.md").read_text()


def test_early_stopped_rows_samples_are_the_evaluated_ones(methods_sweep, tmp_path):
    """The early-stopped MLE row's committed samples (first seed) are the ones its evaluation scored: drawn again
    from the kept weights, their NLL-oracle is the logged one bit for bit; against a logged value off by as little as
    samples drawn under another thread count are (~5e-4), nothing is written."""
    import shutil
    path = methods_sweep / "seed0" / "mle" / "early_stopped_samples.txt"
    assert path.with_name(path.name + ".gz").is_file()
    samples, nll, logged = sweep.early_stopped_samples(methods_sweep / "seed0")
    assert nll == logged and np.array_equal(np.loadtxt(path, dtype=np.int32, ndmin=2), samples)
    copy = tmp_path / "seed0"
    shutil.copytree(methods_sweep / "seed0", copy)
    (copy / "mle" / "early_stopped_samples.txt").unlink()
    metrics = json.loads((copy / "mle" / "metrics.json").read_text())
    metrics["early_stopped"]["nll_oracle"] += 5e-4
    (copy / "mle" / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(ValueError, match="not the evaluated samples"):
        sweep.write_early_stopped_samples(copy)
    assert not (copy / "mle" / "early_stopped_samples.txt").exists()


def test_a_later_sweep_of_other_seeds_is_merged_in(tmp_path):
    """Seeds swept before on the same grid stay; a re-swept seed is replaced; another grid replaces everything."""
    def sweep_of(seeds, alphas=(1.0,), value=1.0):
        return {"dataset": "synthetic", "alphas": list(alphas), "quality": "nll_oracle", "diversity": "nll_test",
                "runs": [{"seed": s, "model": "seqgan", "points": [{"alpha": 1.0, "nll_oracle": value}]}
                         for s in seeds], "real": [{"seed": s} for s in seeds]}
    path = tmp_path / "temperature.json"
    path.write_text(json.dumps(sweep_of([88, 89])))
    merged = report.merge(path, sweep_of([89, 90], value=2.0))
    assert [(r["seed"], r["points"][0]["nll_oracle"]) for r in merged["runs"]] == [
        (88, 1.0), (89, 2.0), (90, 2.0)]
    assert [r["seed"] for r in merged["real"]] == [88, 89, 90]
    assert [r["seed"] for r in report.merge(path, sweep_of([90], alphas=(0.5, 1.0)))["runs"]] == [90]
    with_lm = {**sweep_of([90]), "extra_diversity": ["self_bleu2", "reverse_lm_score"]}
    assert [r["seed"] for r in report.merge(path, with_lm)["runs"]] == [90]      # other scores: never mixed


def test_a_stopped_sweep_resumes_where_it_stopped(methods_sweep, tmp_path, monkeypatch, capsys):
    """Each point is kept as it is scored: a sweep stopped part-way, run again, scores only the points it lacks and
    gives what an uninterrupted sweep gives; the record goes once the sweep is written; a retrained model's points
    are scored anew; a damaged record is a one-line error."""
    args = ("--runs", methods_sweep, "--only_seeds", "0", "--alphas", "0.8,1")
    main("reproduce/temperature.py", *args, "--out", tmp_path / "whole")
    whole = json.loads((tmp_path / "whole" / "temperature.json").read_text())
    assert not (tmp_path / "whole" / "temperature.partial.json").exists()
    scorer, calls = sweep.synthetic_scorer, []

    def stops_at_the_fifth_point(*a):
        score = scorer(*a)

        def counted(gen, temperature):
            calls.append(temperature)
            if len(calls) == 5:
                raise KeyboardInterrupt
            return score(gen, temperature)
        return counted
    monkeypatch.setattr(sweep, "synthetic_scorer", stops_at_the_fifth_point)
    fails(capsys, "reproduce/temperature.py", *args, "--out", tmp_path / "stopped", message="run the same command "
          "again to resume", code=130)
    kept = json.loads((tmp_path / "stopped" / "temperature.partial.json").read_text())
    assert len(kept) == 4 and not (tmp_path / "stopped" / "temperature.json").exists()
    calls.clear()
    main("reproduce/temperature.py", *args, "--out", tmp_path / "stopped")
    assert len(calls) == 2 * len(sweep.SYNTHETIC_MODELS) - 4          # only the points it lacked
    assert json.loads((tmp_path / "stopped" / "temperature.json").read_text()) == whole
    assert not (tmp_path / "stopped" / "temperature.partial.json").exists()

    s, points, n = Smoke(), sweep.Points(tmp_path / "p.json"), []
    score = lambda gen, temperature: n.append(temperature) or {"x": 1.0}  # noqa: E731
    for _ in range(2):
        sweep.sweep(s.gen, score, (1.0, 2.0), progress=False, points=points, key="k")
    assert len(n) == 2
    s.gen.weights[0].assign_add(tf.ones_like(s.gen.weights[0]))
    sweep.sweep(s.gen, score, (1.0, 2.0), progress=False, points=points, key="k")
    assert len(n) == 4
    (tmp_path / "stopped" / "temperature.partial.json").write_text('{"k": ')
    fails(capsys, "reproduce/temperature.py", *args, "--out", tmp_path / "stopped",
          message="unreadable record of an interrupted sweep")


def test_tempered_nll_test_is_the_tempered_softmax():
    """NLL-test at temperature τ is the mean of -log softmax(logits / τ)[y], computed here in numpy."""
    s = Smoke()
    seqs = s.oracle.sample(64, seed(3, 4))
    logits = s.gen(seqs).numpy().astype(np.float64)
    for tau in (0.5, 1.0, 1.7):
        z = logits / tau
        logp = z - z.max(-1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
        expected = -np.take_along_axis(logp, seqs.numpy()[..., None], -1).mean()
        assert nll_test(s.gen, seqs, temperature=tau) == pytest.approx(expected, rel=1e-5)


def test_large_alpha_makes_samples_deterministic():
    """Sharper sampling repeats itself: the oracle LSTM (peaked N(0, 1) weights) sampled at α = 20 gives far fewer
    distinct sequences than at α = 0.5, scores better on its own NLL (quality) and worse on held-out data."""
    s = Smoke()
    score = sweep.synthetic_scorer(s.oracle, s.oracle.sample(256, seed(1, 2)), 512, seed(5, 6))
    flat, sharp = (score(s.oracle, 1 / a) for a in (0.5, 20.0))
    assert sharp["distinct"] < 0.5 * flat["distinct"]
    assert sharp["nll_oracle"] < flat["nll_oracle"] and sharp["nll_test"] > flat["nll_test"]


def test_crossing_interpolates_and_dominance_needs_both_axes():
    """Quality (NLL-oracle) 10, 8, 6 at α 0.5, 1, 2 crosses SeqGAN's 7 at α 1.5, where diversity is interpolated;
    a point at least as good on both axes counts as dominating."""
    run = {"points": [{"alpha": 0.5, "nll_oracle": 10.0, "nll_test": 6.0},
                      {"alpha": 1.0, "nll_oracle": 8.0, "nll_test": 7.0},
                      {"alpha": 2.0, "nll_oracle": 6.0, "nll_test": 9.0}]}
    c = report.crossing(run, {"nll_oracle": 7.0, "nll_test": 7.5}, "nll_oracle", "nll_test")
    assert c == {"alpha": 1.5, "diversity": 8.0, "dominates": False}
    assert report.crossing(run, {"nll_oracle": 8.5, "nll_test": 7.0}, "nll_oracle", "nll_test")["dominates"]
    assert report.crossing(run, {"nll_oracle": 5.0, "nll_test": 9.0}, "nll_oracle", "nll_test")["alpha"] is None


def test_a_sweep_without_seqgan_is_written_and_says_there_is_nothing_to_cross(tmp_path):
    """Crossings are taken at SeqGAN's quality: a sweep of other models only (a seed's MLE and one control) still
    writes its points and figure, and its crossing table says why it is empty."""
    points = [{"alpha": a, "nll_oracle": 9.0 / a, "nll_test": 8.0 + a} for a in (0.5, 1.0, 2.0)]
    result = {"dataset": "oracle", "alphas": [0.5, 1.0, 2.0], "quality": "nll_oracle", "diversity": "nll_test",
              "runs": [{"seed": 0, "model": m, "label": m, "epoch": 5, "points": points}
                       for m in ("mle", "random_reward")], "real": []}
    report.write(tmp_path, result)
    assert report.crossings(result) == []
    assert "No crossings: no model shares a seed with a SeqGAN run" in (tmp_path / "crossing.md").read_text()
    assert len((tmp_path / "temperature.csv").read_text().splitlines()) == 1 + 2 * 3
    assert (tmp_path / "temperature.png").stat().st_size > 0


@pytest.mark.parametrize("alphas", ["0,1", "-1", "x", "nan"])
def test_bad_alphas_are_one_line(capsys, alphas, tmp_path):
    fails(capsys, "reproduce/temperature.py", "--runs", tmp_path, "--alphas", alphas, message="inverse temperature"
          if alphas != "x" else "comma-separated")


def test_lm_scores_are_for_text_sweeps(capsys, tmp_path):
    fails(capsys, "reproduce/temperature.py", "--runs", tmp_path, "--lm_scores", message="--lm_scores scores text")


def test_runs_without_kept_generators_name_the_command_that_makes_them(capsys, tmp_path):
    """The committed results keep no generators: the error says which command makes runs that do."""
    (tmp_path / "seed0" / "pretrain").mkdir(parents=True)
    fails(capsys, "reproduce/temperature.py", "--runs", tmp_path, "--out", tmp_path / "o",
          message="keep no generators (checkpoints are not committed); make them first: `python reproduce/")
    fails(capsys, "reproduce/temperature.py", "--runs", tmp_path / "none", "--out", tmp_path / "o",
          message="make them first: `python reproduce/synthetic.py --methods mle,seqgan")
