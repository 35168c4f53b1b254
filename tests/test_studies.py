"""Issue 5's studies: "no rollout" rewards, the reward variance's fall with N, the three scripts at smoke scale, and
settings sharing one pretraining checkpoint only where that is sound."""
import csv
import json

import numpy as np
import pytest
from conftest import ROOT, run_script, seed

from seqgan_tf.rollout import rollout_rewards
from seqgan_tf.train.reward_variance import reward_spread

PNG = b"\x89PNG\r\n\x1a\n"


def test_no_rollout_reward_is_the_terminal_score_at_every_step(smoke):
    seqs = smoke.gen.sample(8, seed(0, 1))
    d = smoke.disc.prob_real(seqs).numpy()
    q0 = rollout_rewards(smoke.gen, smoke.disc, seqs, 0, seed(0, 2)).numpy()
    np.testing.assert_allclose(q0, np.repeat(d[:, None], seqs.shape[1], axis=1), rtol=1e-6)
    q4 = rollout_rewards(smoke.gen, smoke.disc, seqs, 4, seed(0, 2)).numpy()
    assert np.abs(q4[:, :-1] - q0[:, :-1]).max() > 1e-3          # rollouts do score other sequences


def test_reward_variance_falls_as_one_over_n_on_a_fixed_batch(smoke):
    """Same G, D, batch and repeat seeds for every N: only N changes, so ignoring N would give equal variances."""
    seqs = smoke.gen.sample(8, seed(0, 1))
    spread = reward_spread(smoke.gen, smoke.disc, seqs, [0, 1, 4, 16], repeats=24, seed=[0, 3])
    var = {n: s["var"] for n, s in spread.items()}
    assert var[0] == 0 and var[1] > 0
    assert var[4] < var[1] / 2 and var[16] < var[4] / 2, var
    assert 0.5 < (16 * var[16]) / var[1] < 2, var                  # Monte-Carlo variance ∝ 1/N
    assert spread[16]["gap"] == 0 and spread[0]["gap"] > spread[4]["gap"]   # no rollout: zero variance, biased


def _run(script, out, *args):
    r = run_script(ROOT / "reproduce" / script, "--preset", "smoke", "--out", out, *args)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def _common_files(out, study, figure):
    summary = json.loads((out / f"{study}.json").read_text())
    assert (out / f"{figure}.png").read_bytes()[:8] == PNG
    assert (out / f"{study}.csv").read_text().count("\n") >= 2
    assert (out / f"{study}.md").read_text().startswith(f"### {study}, preset 'smoke'")
    return summary


def test_strategies_smoke(tmp_path):
    out = tmp_path / "fig3"
    _run("strategies.py", out)
    s = _common_files(out, "strategies", "figure3")
    assert [(p["g_steps"], p["d_steps"], p["k"]) for p in s["panels"]] == [(100, 1, 10), (30, 1, 30), (1, 1, 10),
                                                                           (1, 5, 3)]
    pre = s["panels"][0]["pretrain_end"]
    pretrain_curves = [[c for c in p["curve"] if c[0] <= pre] for p in s["panels"]]
    assert all(c == pretrain_curves[0] for c in pretrain_curves)     # one shared pretraining
    for p in s["panels"]:
        adv = [c for c in p["curve"] if c[0] > pre]
        assert len(adv) >= 1 and adv[-1][0] == pre + p["rounds"] and adv[-1][1] == pytest.approx(p["final"])
        assert p["sentence"].startswith(f"({p['panel']}) g-steps {p['g_steps']}") and f"{p['final']:.3f}" in p["sentence"]
    m = json.loads((out / "seed0" / "g30_d1_k30" / "metrics.json").read_text())
    assert m["config"]["d_epochs"] == 30 and m["config"]["g_steps"] == 30 and m["seconds_per_round"] > 0


def test_no_pretraining_smoke(tmp_path):
    out = tmp_path / "nopre"
    r = _run("no_pretraining.py", out)
    s = _common_files(out, "no_pretraining", "no_pretraining")
    runs = {x["name"]: x for x in s["runs"]}
    assert set(runs) == {"pretrained", "no_pretraining", "no_pretraining_brief_d"}
    assert len({x["rounds"] for x in runs.values()}) == 1 and len({x["random_init"] for x in runs.values()}) == 1
    assert runs["no_pretraining"]["start"] == runs["no_pretraining"]["random_init"]          # round 0 = random G
    assert runs["pretrained"]["start"] < runs["pretrained"]["random_init"]
    assert runs["no_pretraining"]["pretrain_d_steps"] == 0 < runs["no_pretraining_brief_d"]["pretrain_d_steps"]
    assert all("gap_closed" in runs[n] for n in ("no_pretraining", "no_pretraining_brief_d"))
    assert len(s["sentences"]) == 3 and "near random" in r.stdout


def test_precision_smoke(tmp_path):
    """float32 and bfloat16 D from one MLE start: same G after MLE, different D arithmetic, both trained."""
    out = tmp_path / "precision"
    r = _run("precision.py", out, "--seeds", "2")
    s = _common_files(out, "precision", "precision")
    runs = {x["name"]: x for x in s["runs"]}
    assert list(runs) == ["float32", "bfloat16"] and runs["float32"]["seeds"] == [0, 1]
    assert runs["float32"]["after_mle"] == runs["bfloat16"]["after_mle"]                  # one shared MLE start
    assert runs["float32"]["curve"][0] == runs["bfloat16"]["curve"][0]
    m = {p: json.loads((out / "seed1" / p / "metrics.json").read_text()) for p in ("float32", "bfloat16")}
    assert {k for k in m["float32"]["config"] if m["float32"]["config"][k] != m["bfloat16"]["config"][k]} \
        == {"d_precision"}
    rewards = {p: [r["adv/reward_mean"] for r in csv.DictReader(open(out / "seed1" / p / "logs.csv"))
                   if r["adv/reward_mean"]] for p in m}
    assert len(rewards["float32"]) == 4 and rewards["float32"] != rewards["bfloat16"]      # D's arithmetic mattered
    d = s["paired_difference"]
    finals = {p: runs[p]["finals"] for p in runs}
    assert d["seeds"] == [0, 1] and d["mean"] == pytest.approx(np.mean(np.subtract(finals["bfloat16"], finals["float32"])))
    assert len(s["sentences"]) == 2 and "bfloat16 - float32 per seed" in r.stdout


@pytest.fixture(scope="module")
def ablation(tmp_path_factory):
    out = tmp_path_factory.mktemp("ablation")
    _run("rollout_ablation.py", out, "--seeds", "1", "--repeats", "12")
    return out


def test_rollout_ablation_smoke(ablation):
    s = _common_files(ablation, "rollout_ablation", "rollout_ablation")
    rows = {r["name"]: r for r in s["rows"]}
    assert list(rows) == ["no_rollout", "n1", "n4", "n16", "n64", "n16_delayed"]
    assert rows["n16_delayed"]["rollout_policy"] == "delayed" and rows["n16"]["rollout_policy"] == "current"
    assert all(r["seconds_per_round"] > 0 and np.isfinite(r["final_mean"]) for r in rows.values())
    assert rows["no_rollout"]["reward_var"] == 0 and rows["n16_delayed"]["reward_var"] is None
    var = [rows[n]["reward_var"] for n in ("n1", "n4", "n16", "n64")]
    assert all(a > b for a, b in zip(var, var[1:])) and var[-1] < var[0] / 8, var
    assert any(line.startswith("Rollout policy at N = 16") for line in s["sentences"])


def test_figures_redraws_the_studies_from_saved_files(ablation):
    before = (ablation / "rollout_ablation.json").read_text()
    (ablation / "rollout_ablation.png").unlink()
    r = run_script(ROOT / "reproduce" / "figures.py", "--root", ablation, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (ablation / "rollout_ablation.png").read_bytes()[:8] == PNG
    assert (ablation / "rollout_ablation.json").read_text() == before


def test_shared_pretraining_refuses_settings_that_change_it(tmp_path):
    """A setting may change adversarial fields after a shared MLE + D pretraining, but not a field that pretraining
    used (here d_negatives): that run would claim a D pretraining it did not have."""
    from seqgan_tf import config
    from seqgan_tf.train.experiment import ConfigMismatch, SyntheticExperiment, run_settings
    cfg = config.make("smoke", pretrain_g_epochs=1, pretrain_d_steps=1, adv_epochs=1, eval_every=1, eval_samples=64)
    run_settings(cfg, {"g2": dict(g_steps=2, d_epochs=2, pretrain_d_epochs=1)}, [0], tmp_path, shared="mle+d",
                 progress=False)
    with pytest.raises(ConfigMismatch, match="d_negatives"):
        SyntheticExperiment(config.replace(cfg, d_negatives=100), tmp_path / "bad", progress=False,
                            init_from=tmp_path / "seed0" / "pretrain").run()
    with pytest.raises(ConfigMismatch, match="pretrain_d_epochs"):        # k changed, D pretraining epochs with it
        SyntheticExperiment(config.replace(cfg, d_epochs=3), tmp_path / "bad2", progress=False,
                            init_from=tmp_path / "seed0" / "pretrain").run()
