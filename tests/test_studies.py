"""The studies of docs/experiments.md: "no rollout" rewards, the reward variance's fall with N, the three scripts at
smoke scale, and settings sharing one pretraining checkpoint only where that is sound."""
import csv
import json

import numpy as np
import pytest
from conftest import PNG, ROOT, ahead, fails, main, run_script, seed

from seqgan_tf.train.rollout import rollout_rewards
from seqgan_tf.experiments.reward_variance import reward_spread



def test_no_rollout_reward_is_the_terminal_score_at_every_step(smoke):
    """rollout_num = 0: every step's reward is D(Y_1:T); with rollouts the prefixes score other sequences."""
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


# Cheap smoke runs: checkpoints only at phase ends (a RUN field: the numbers are the same).
FAST = ["--preset", "smoke", "--checkpoint_every", "1000"]


def _run(script, out, *args):
    """A study script's main in this process."""
    main(f"reproduce/{script}", *FAST, "--out", out, *args)


def _common_files(out, study, figure):
    summary = json.loads((out / f"{study}.json").read_text())
    assert (out / f"{figure}.png").read_bytes()[:8] == PNG
    assert (out / f"{study}.csv").read_text().count("\n") >= 2
    assert (out / f"{study}.md").read_text().startswith(f"### {study}, preset 'smoke'")
    return summary


def test_strategy_settings_are_figure_3s_panels_at_one_budget():
    """Figure 3's panels (g-steps, d-steps, k), each run for as many rounds as spend the D passes of panel (d) over
    half the preset's rounds (within half a round), all after one D pretraining of the preset's epochs."""
    from seqgan_tf import config
    from seqgan_tf.studies import d_passes_per_round, strategy_settings
    cfg = config.make("quick")
    # by hand: a g-step scores 19 prefixes x 16 completions x 64 sequences + the 64 sequences; a d-step trains on
    # 5,000 negatives + 5,000 positives, a training pass counted as 3 forward passes
    assert d_passes_per_round(cfg, 1, 5, 3) == (19 * 16 * 64 + 64) + 5 * 3 * 3 * 10_000
    panels = strategy_settings(cfg)
    shape = {n: (p["g_steps"], p["d_steps"], p["d_epochs"]) for n, p in panels.items()}
    assert shape == {"g100_d1_k10": (100, 1, 10), "g30_d1_k30": (30, 1, 30), "g1_d1_k10": (1, 1, 10),
                     "g1_d5_k3": (1, 5, 3)}
    assert panels["g1_d5_k3"]["adv_epochs"] == cfg.adv_epochs // 2
    budget = d_passes_per_round(cfg, 1, 5, 3) * cfg.adv_epochs // 2
    for p in panels.values():
        per_round = d_passes_per_round(cfg, p["g_steps"], p["d_steps"], p["d_epochs"])
        assert abs(p["adv_epochs"] * per_round - budget) <= per_round / 2
        assert p["eval_every"] == 1 or p["adv_epochs"] >= 10
    assert panels["g100_d1_k10"]["adv_epochs"] < panels["g30_d1_k30"]["adv_epochs"] < panels["g1_d1_k10"]["adv_epochs"]
    assert {p["pretrain_d_epochs"] for p in panels.values()} == {cfg.d_pretrain_epochs}


def test_figure_3_agreement_tests():
    """Each panel's verdict against the paper's reading: (a) must fall and then rise (a curve that only rises, or
    only falls, does not agree), (d) must end lowest of the four without a late rise."""
    from seqgan_tf.report.figure3 import _agrees
    panel = lambda best, final, best_at=1.0: {"after_mle": 9.0, "best": best, "final": final, "best_at": best_at,
                                              "budget": 4.0, "noise_2se": 0.02}
    by = {"a": panel(8.3, 8.9), "b": panel(8.7, 8.8), "c": panel(8.80, 8.81), "d": panel(8.75, 8.76)}
    assert all(_agrees(k, p, by) for k, p in by.items())
    assert not _agrees("a", panel(9.0, 9.3, 0.0), by)             # never fell below the MLE start
    assert not _agrees("a", panel(8.3, 8.3, 4.0), by)             # fell and stayed
    assert not _agrees("b", panel(8.3, 8.95), by)                 # rose more than (a)
    assert not _agrees("c", panel(8.98, 8.99), by)                # no drop beyond the noise
    assert not _agrees("d", panel(8.78, 8.85), {**by, "d": panel(8.78, 8.85)})   # not lowest, and rose


def test_strategies_smoke(tmp_path, monkeypatch, capsys):
    """The strategies script (two of Figure 3's panels, (a) and (d), to keep it short: every panel is one more run
    of the same code) from one shared MLE + D pretraining, each with its own rounds, D epochs and sentence; with
    --mle_from, and split by --panels, the same runs."""
    from seqgan_tf.studies import STRATEGIES
    for name in ("g30_d1_k30", "g1_d1_k10"):
        monkeypatch.delitem(STRATEGIES, name)
    out = tmp_path / "fig3"
    _run("strategies.py", out, "--num_samples", "128", "--eval_samples", "128")
    s = _common_files(out, "strategies", "figure3")
    assert [(p["panel"], p["g_steps"], p["d_steps"], p["k"]) for p in s["panels"]] == [("a", 100, 1, 10),
                                                                                       ("b", 1, 5, 3)]
    pre = s["panels"][0]["pretrain_end"]
    pretrain_curves = [[c for c in p["curve"] if c[0] <= pre] for p in s["panels"]]
    assert all(c == pretrain_curves[0] for c in pretrain_curves)     # one shared pretraining
    for p in s["panels"]:
        adv = [c for c in p["curve"] if c[0] > pre]
        assert len(adv) >= 1 and adv[-1][0] == pre + p["rounds"] and adv[-1][1] == pytest.approx(p["final"])
        assert p["sentence"].startswith(f"({p['panel']}) g-steps {p['g_steps']}") and f"{p['final']:.3f}" in p["sentence"]
        assert p["by_passes"][0][0] == 0 and p["by_passes"][-1][0] == p["budget"] == p["rounds"] * p["d_passes_per_round"]
        assert ("Ours agrees" in p["sentence"]) == p["agrees"] and p["paper"] in p["sentence"]
    m = json.loads((out / "seed0" / "g100_d1_k10" / "metrics.json").read_text())
    assert m["config"]["d_epochs"] == 10 and m["config"]["g_steps"] == 100 and m["seconds_per_round"] > 0
    assert m["config"]["pretrain_d_epochs"] == 1                   # pinned: the shared D pretraining's epochs

    # --mle_from: the pretraining continues from Table 1's MLE pretraining of the seed instead of repeating it, and
    # every panel is the same run as above -- here run as two --panels calls, as two processes sharing a seed would
    table1, again = tmp_path / "table1", tmp_path / "fig3_from_table1"
    main("reproduce/synthetic.py", "--preset", "smoke", "--num_samples", "128", "--eval_samples", "128",
         "--methods", "mle", "--seed", "0", "--out", table1)
    for panel in ("g1_d5_k3", "g100_d1_k10"):
        _run("strategies.py", again, "--num_samples", "128", "--eval_samples", "128", "--mle_from", table1,
             "--panels", panel)
    assert sorted(d.name for d in (again / "seed0").iterdir()) == ["g100_d1_k10", "g1_d5_k3", "pretrain"]
    pre = [json.loads((d / "seed0" / "pretrain" / "metrics.json").read_text()) for d in (out, again)]
    assert pre[0]["resumed_from"] is None and pre[1]["resumed_from"][0] == pre[1]["config"]["pretrain_g_epochs"] > 0
    for name in ("g100_d1_k10", "g1_d5_k3"):
        a, b = (json.loads((d / "seed0" / name / "metrics.json").read_text()) for d in (out, again))
        assert a["curve"] == b["curve"] and a["nll_test"] == b["nll_test"], name
    fails(capsys, "reproduce/strategies.py", *FAST, "--out", tmp_path / "x", "--panels", "g1_d5_k3,warp",
          message="unknown panel 'warp'")


def test_no_pretraining_verdict_is_per_seed(tmp_path):
    """The appendix's verdict over seeds: each seed's gap is its own (random G -> after MLE), and one seed that
    leaves random is enough to withhold "stays near random" from a run whose mean would pass."""
    from seqgan_tf.report.no_pretraining_study import summarise as no_pretraining

    def write(seed, name, random_init, after_mle, final):
        d = tmp_path / f"seed{seed}" / name
        d.mkdir(parents=True)
        curve = [{"epoch": e, "phase": "adversarial", "nll_oracle": v} for e, v in ((0, after_mle), (20, final))]
        (d / "metrics.json").write_text(json.dumps({
            "seed": seed, "preset": "smoke", "curve": curve, "config": {"pretrain_g_epochs": 0,
                                                                        "pretrain_d_steps": 0, "adv_epochs": 20},
            "nll_oracle": {"random_init": random_init, "after_mle": after_mle, "final": final, "real_data": 5.7}}))

    for seed, gain in ((1, 2.0), (2, 4.0)):
        write(seed, "pretrained", 11.0, 11.0 - gain, 10.9 - gain)
    write(1, "no_pretraining", 11.0, 11.0, 10.95)          # closes 2.5% of seed 1's gap of 2.0
    write(2, "no_pretraining", 11.0, 11.0, 10.99)          # 0.25% of seed 2's 4.0
    write(1, "no_pretraining_brief_d", 11.0, 11.0, 10.7)   # 15% in seed 1: the mean of 7.6% would pass
    write(2, "no_pretraining_brief_d", 11.0, 11.0, 11.0)
    s = no_pretraining(tmp_path)
    runs = {r["name"]: r for r in s["runs"]}
    assert runs["no_pretraining"]["gap_closed_per_seed"] == pytest.approx([0.025, 0.0025])
    assert runs["no_pretraining_brief_d"]["gap_closed"] == pytest.approx(0.075)
    assert runs["no_pretraining"]["final_std"] == pytest.approx(np.std([10.95, 10.99], ddof=1))
    lo, hi = runs["no_pretraining"]["final_ci95"]
    assert lo < 10.97 < hi
    assert "stays near random" in s["sentences"][1] and "2 seeds" in s["sentences"][0]
    assert "does not stay near random in every seed" in s["sentences"][2]


@ahead.job("test_no_pretraining_smoke")
def no_pretraining_script(tmp):
    return tmp, run_script(ROOT / "reproduce" / "no_pretraining.py", *FAST, "--out", tmp)


def test_no_pretraining_smoke():
    """The no-pretraining study, as a fresh process runs it: three runs from one random G, the gap MLE closed."""
    out, r = ahead.result(no_pretraining_script)
    assert r.returncode == 0, r.stderr[-2000:]
    s = _common_files(out, "no_pretraining", "no_pretraining")
    runs = {x["name"]: x for x in s["runs"]}
    assert set(runs) == {"pretrained", "no_pretraining", "no_pretraining_brief_d"}
    assert len({x["rounds"] for x in runs.values()}) == 1 and len({x["random_init"] for x in runs.values()}) == 1
    assert runs["no_pretraining"]["start"] == runs["no_pretraining"]["random_init"]          # round 0 = random G
    assert runs["pretrained"]["start"] < runs["pretrained"]["random_init"]
    assert runs["no_pretraining"]["pretrain_d_steps"] == 0 < runs["no_pretraining_brief_d"]["pretrain_d_steps"]
    assert all("gap_closed" in runs[n] for n in ("no_pretraining", "no_pretraining_brief_d"))
    assert len(s["sentences"]) == 3 and "near random" in r.stdout


def test_precision_smoke(tmp_path, capsys):
    """float32 and bfloat16 D from one MLE start: same G after MLE, different D arithmetic, both trained. (Several
    seeds: test_figures.py checks the paired difference over the committed runs' six.)"""
    out = tmp_path / "precision"
    _run("precision.py", out, "--seeds", "1")
    s = _common_files(out, "precision", "precision")
    runs = {x["name"]: x for x in s["runs"]}
    assert list(runs) == ["float32", "bfloat16"] and runs["float32"]["seeds"] == [0]
    assert runs["float32"]["after_mle"] == runs["bfloat16"]["after_mle"]                  # one shared MLE start
    assert runs["float32"]["curve"][0] == runs["bfloat16"]["curve"][0]
    m = {p: json.loads((out / "seed0" / p / "metrics.json").read_text()) for p in ("float32", "bfloat16")}
    assert {k for k in m["float32"]["config"] if m["float32"]["config"][k] != m["bfloat16"]["config"][k]} \
        == {"d_precision"}
    rewards = {p: [r["adv/reward_mean"] for r in csv.DictReader(open(out / "seed0" / p / "logs.csv"))
                   if r["adv/reward_mean"]] for p in m}
    assert len(rewards["float32"]) == 4 and rewards["float32"] != rewards["bfloat16"]      # D's arithmetic mattered
    d = s["paired_difference"]
    assert d["seeds"] == [0]
    assert d["mean"] == pytest.approx(runs["bfloat16"]["finals"][0] - runs["float32"]["finals"][0])
    assert len(s["sentences"]) == 2 and "bfloat16 - float32 per seed" in capsys.readouterr().out


def test_ablation_settings_are_every_n_and_both_policies():
    """The ablation: no rollout, N = 1, 4, 16, 64 with the current G, and N = 16 with the delayed copy (beta 0.8),
    each for half the preset's rounds."""
    from seqgan_tf import config
    from seqgan_tf.studies import ablation_settings
    settings = ablation_settings(config.make("quick"))
    assert {n: (s["rollout_num"], s.get("rollout_policy", "current"), s["adv_epochs"]) for n, s in settings.items()} \
        == {"no_rollout": (0, "current", 20), "n1": (1, "current", 20), "n4": (4, "current", 20),
            "n16": (16, "current", 20), "n64": (64, "current", 20), "n16_delayed": (16, "delayed", 20)}
    assert settings["n16_delayed"]["rollout_beta"] == 0.8


@pytest.fixture(scope="module")
def ablation(tmp_path_factory):
    """The rollout ablation at smoke scale for N in (0, 1, 16) and the delayed copy (one round each), in this
    process: its output directory."""
    from seqgan_tf import studies
    out = tmp_path_factory.mktemp("ablation")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(studies, "ROLLOUT_NS", (0, 1, 16))
        _run("rollout_ablation.py", out, "--seeds", "1", "--reward_repeats", "12", "--adv_epochs", "2")
    return out


def test_rollout_ablation_smoke(ablation):
    """Each N and both policies from one shared start; the reward variance falls with N, zero without rollouts."""
    s = _common_files(ablation, "rollout_ablation", "rollout_ablation")
    rows = {r["name"]: r for r in s["rows"]}
    assert list(rows) == ["no_rollout", "n1", "n16", "n16_delayed"]
    assert rows["n16_delayed"]["rollout_policy"] == "delayed" and rows["n16"]["rollout_policy"] == "current"
    assert all(r["seconds_per_round"] > 0 and np.isfinite(r["final_mean"]) for r in rows.values())
    assert rows["no_rollout"]["reward_var"] == 0 and rows["n16_delayed"]["reward_var"] is None
    var = [rows[n]["reward_var"] for n in ("n1", "n16")]
    assert var[1] < var[0] / 8, var                                       # ~1/16 expected
    assert any(line.startswith("Rollout policy at N = 16") for line in s["sentences"])


def test_figures_redraws_the_studies_from_saved_files(ablation):
    """figures.py redraws a study's figure from its runs and rewrites the same summary."""
    before = (ablation / "rollout_ablation.json").read_text()
    (ablation / "rollout_ablation.png").unlink()
    main("reproduce/figures.py", "--results", ablation)
    assert (ablation / "rollout_ablation.png").read_bytes()[:8] == PNG
    assert (ablation / "rollout_ablation.json").read_text() == before


def test_shared_pretraining_refuses_settings_that_change_it(ablation):
    """A setting may change adversarial fields after a shared MLE + D pretraining (the ablation's did), but not a
    field that pretraining used (here d_negatives, or k without pinning pretrain_d_epochs): that run would claim a D
    pretraining it did not have."""
    from seqgan_tf import config
    from seqgan_tf.errors import ConfigMismatch
    from conftest import run_oracle
    cfg = config.make("smoke", adv_epochs=2, checkpoint_every=1000)
    pre = ablation / "seed0" / "pretrain"
    with pytest.raises(ConfigMismatch, match="d_negatives: 0 there, 100 now"):
        run_oracle(config.replace(cfg, d_negatives=100), ablation / "bad", init_from=pre)
    with pytest.raises(ConfigMismatch, match="pretrain_d_epochs"):        # k changed, D pretraining epochs with it
        run_oracle(config.replace(cfg, d_epochs=3), ablation / "bad2", init_from=pre)
    assert not (ablation / "bad" / "metrics.json").exists()


def test_a_seed_unfinished_in_some_setting_is_left_out_of_every_setting(tmp_path):
    """collect: comparisons between settings are over the same seeds, so a seed that has not finished every setting
    (seed 2 here, still running setting b) counts in none; seeds sort as numbers (88 before 100)."""
    from seqgan_tf.report.common import collect, left_out
    for seed, names in ((88, "ab"), (100, "ab"), (2, "a")):
        for name in names:
            (tmp_path / f"seed{seed}" / name).mkdir(parents=True)
            (tmp_path / f"seed{seed}" / name / "metrics.json").write_text(json.dumps({"seed": seed}))
    runs = collect(tmp_path, ("a", "b", "c"))
    assert {k: [m["seed"] for m in ms] for k, ms in runs.items()} == {"a": [88, 100], "b": [88, 100]}
    assert left_out(tmp_path, ("a", "b", "c")) == [2] and left_out(tmp_path, ("a",)) == []
    assert collect(tmp_path / "none", ("a",)) == {} and left_out(tmp_path / "none", ("a",)) == []
