"""The benchmark runs on the smoke preset and writes well-formed JSON + markdown (speed is not asserted)."""
import json

import numpy as np
import tensorflow as tf
from conftest import ROOT, Smoke, run_script, seed

from seqgan_tf.benchmark import naive_rollout_rewards
from seqgan_tf.rollout import rollout_rewards


def test_benchmark_smoke_writes_json_and_markdown(tmp_path):
    r = run_script(ROOT / "reproduce" / "benchmark.py", "--preset", "smoke", "--repeats", "1", "--variants",
                   "--rollout-ns", "0,2", "--out", tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    [js] = list(tmp_path.glob("*-smoke.json"))
    result = json.loads(js.read_text())
    phases = {"oracle_sample", "mle_epoch", "nll_oracle_eval", "d_block", "rollout_pg_step", "adversarial_round"}
    assert set(result["phases"]) == phases == set(result["profile"])
    for p in result["phases"].values():
        assert p["median_s"] > 0 and len(p["runs_s"]) == 1
    for p in result["profile"].values():
        assert 0 <= p["graph_frac"] <= 1 and 0 <= p["outside_graph_frac"] <= 1
    ro = result["rollout"]
    assert ro["naive_s"] > 0 and ro["speedup"] > 0 and ro["speedup_bound"] > 0
    assert ro["g_sampling_s"] > 0 and ro["d_scoring_s"] > 0 and ro["matmul_gflop_per_s"] > 0
    assert set(result["projected_s"]) == {"pretrain_g", "pretrain_d", "adversarial"}
    md = js.with_suffix(".md").read_text()
    assert "| d_block |" in md and "naive loop" in md
    v = result["variants"]
    assert {"float32", "float32 + XLA", "bfloat16"} <= set(v["precision"])
    assert all(r["train_samples_per_s"] > 0 and r["infer_seqs_per_s"] > 0
               for k, r in v["precision"].items() if k != "bfloat16_max_abs_dprob")
    assert 0 <= v["precision"]["bfloat16_max_abs_dprob"] < 0.1          # bf16 D(Y) close to float32's
    assert len(v["threads"]) == 5 and all(s > 0 for s in v["threads"].values())
    assert "| bfloat16 |" in md and "| 1/1 |" in md
    assert set(result["rollout_by_n"]) == {"0", "2"} and all(t > 0 for t in result["rollout_by_n"].values())


def test_d_forward_flops_counts_every_layer():
    """One filter of width 2 over T = 5, E = 3, F = 1: 4 windows x 2 x 3 multiply-adds, highway 1 x 2, output 1 x 2."""
    from seqgan_tf import config
    from seqgan_tf.benchmark import d_forward_flops
    cfg = config.make("smoke", seq_len=5, d_emb_dim=3, d_filter_sizes=(2,), d_num_filters=(1,))
    assert d_forward_flops(cfg) == 2 * (4 * 2 * 3) + 2 * 2 + 2 * 2
    paper = config.make("paper")                     # ≈ 27 MFLOP, as the brief's 81 MFLOP per training sample / 3
    assert 26e6 < d_forward_flops(paper) < 28e6


def test_naive_rollout_is_the_same_estimator():
    """With a deterministic G (always token 3) both rollouts give identical rewards."""
    s = Smoke()
    s.gen.b_out.assign(tf.one_hot(3, s.cfg.vocab_size) * 1e4)
    seqs = tf.constant(np.random.RandomState(0).randint(0, s.cfg.vocab_size, size=(6, s.cfg.seq_len)), tf.int32)
    fast = rollout_rewards(s.gen, s.disc, seqs, 2, seed(0, 0), 64).numpy()
    np.testing.assert_allclose(naive_rollout_rewards(s.gen, s.disc, seqs, 2, seed(1, 1)), fast, rtol=1e-5)
