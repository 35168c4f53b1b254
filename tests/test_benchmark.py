"""The benchmark runs on the smoke preset and writes well-formed JSON + markdown (speed is not asserted)."""
import json

import numpy as np
import pytest
import tensorflow as tf
from conftest import ROOT, Smoke, ahead, fails, run_script, script, seed

from bench.timing import naive_rollout_rewards
from seqgan_tf.train.rollout import rollout_rewards


@ahead.job("test_benchmark_smoke_writes_json_and_markdown")
def benchmark_run(tmp):
    return tmp, run_script("-m", "bench", "--preset", "smoke", "--repeats", "1", "--rollout_ns", "0,2", "--out", tmp,
                           cwd=ROOT)


def test_a_resumed_run_is_told_the_time_left():
    """A resumed run re-prints the projection made when it started; beside it, the time its remaining units take."""
    from seqgan_tf.train.projection import describe
    projected = {"pretrain_g": 600.0, "pretrain_d": 1200.0, "adversarial": 3600.0}
    assert describe(projected) == ("projected time on this machine: 1h30m "
                                   "(pretrain_g 10m00s, pretrain_d 20m00s, adversarial 1h00m)")
    assert describe(projected, (0, 0, 0), (10, 5, 40)) == describe(projected)
    resumed = describe(projected, (10, 5, 10), (10, 5, 40))        # a quarter of the rounds done
    assert resumed.startswith("projected time when the run started: 1h30m (") and resumed.endswith("; left: 45m00s")
    assert describe(projected, (6, 0, 0), (10, 0, 40)).endswith("; left: 1h04m")   # no D phase in this method


@pytest.mark.slow
def test_benchmark_smoke_writes_json_and_markdown():
    """`python -m bench` in a fresh process: every phase timed, the rollout comparison and its bound, the
    evaluation's parts, the projection, rollout cost by N, as JSON and markdown."""
    out, r = ahead.result(benchmark_run)
    assert r.returncode == 0, r.stderr[-2000:]
    [js] = list(out.glob("*-smoke.json"))
    result = json.loads(js.read_text())
    phases = {"oracle_sample", "mle_epoch", "nll_oracle_eval", "d_step", "rollout_pg_step", "adversarial_round"}
    assert set(result["phases"]) == phases == set(result["profile"])
    for p in result["phases"].values():
        assert p["median_s"] > 0 and len(p["runs_s"]) == 1 and p["peak_rss_mb"] > 50
    for p in result["profile"].values():
        assert 0 <= p["graph_frac"] <= 1 and 0 <= p["outside_graph_frac"] <= 1
    ro = result["rollout"]
    assert ro["naive_s"] > 0 and ro["speedup"] > 0 and ro["speedup_bound"] > 0
    assert ro["g_sampling_s"] > 0 and ro["d_scoring_s"] > 0 and ro["matmul_gflop_per_s"] > 0
    assert ro["d_scoring_whole_s"] > 0 and 0 < ro["d_gflop"] < ro["d_gflop_whole"]
    ev = result["evaluation"]
    assert ev["g_sampling_s"] > 0 and ev["scoring_s"] > 0 and ev["scoring_log_softmax_s"] > 0
    assert set(result["projected_s"]) == {"pretrain_g", "pretrain_d", "adversarial"}
    md = js.with_suffix(".md").read_text()
    assert "| d_step |" in md and "naive loop" in md and "Scored whole" in md and "| 2 |" in md and "peak RSS MB" in md
    assert "evaluation's parts" in md
    assert set(result["rollout_by_n"]) == {"0", "2"} and all(t > 0 for t in result["rollout_by_n"].values())
    assert "variants" not in result
    d = result["d_training"]
    assert d["samples_per_s"] > 0
    assert d["fraction_of_matmul"] == pytest.approx(d["gflop_per_s"] / d["matmul_gflop_per_s"])
    assert "D training:" in md and result["paper_flop_floor_s"] is None      # smoke's models are not the paper's


def test_paper_d_work_and_its_flop_floor():
    """The paper schedule's D work (the brief's ~63 M training samples, ~5 PFLOP at 81 MFLOP a sample) and the floor
    it gives at a matmul rate."""
    from seqgan_tf import config
    from bench.flops import d_forward_flops, flop_floor_s, rollout_d_flops
    from seqgan_tf.train.projection import d_work
    paper = config.make("paper")
    trained, scored = d_work(paper, paper.num_samples)
    assert trained == (50 * 3 + 200 * 5 * 3) * (20_000 // 64 * 64) and scored == 200 * 64 * (16 * 19 + 1)
    assert 3 * trained * d_forward_flops(paper) == pytest.approx(5.1e15, rel=0.02)
    rollouts = 200 * (rollout_d_flops(paper) + 64 * d_forward_flops(paper))       # 200 rounds x 1 g-step
    assert flop_floor_s(paper, 100.0) == pytest.approx((3 * trained * d_forward_flops(paper) + rollouts) / 1e11)
    assert 0.75 < rollout_d_flops(paper) / (64 * 16 * 19 * d_forward_flops(paper)) < 0.85   # shared prefixes save


@pytest.mark.slow
def test_benchmark_variants_time_d_precisions_and_thread_settings(monkeypatch):
    """--variants' parts: D in float32 / XLA / bfloat16 (bfloat16's D(Y) close to float32's), and D training under a
    thread setting measured in a child process (one setting here; the script runs each of THREADINGS), as markdown."""
    from seqgan_tf import config
    from bench import variants
    from bench.report import variants_markdown
    monkeypatch.setattr(variants, "THREADINGS", ((1, 1),))
    cfg = config.make("smoke")
    v = {"precision": variants.d_variants(cfg, 1, n_batches=4), "threads": variants.thread_variants(cfg, 1)}
    assert {"float32", "float32 + XLA", "bfloat16"} <= set(v["precision"])
    assert all(r["train_samples_per_s"] > 0 and r["infer_seqs_per_s"] > 0
               for k, r in v["precision"].items() if k not in ("bfloat16_max_abs_dprob", "matmul_gflop_per_s"))
    assert sorted(v["precision"]["matmul_gflop_per_s"]) == sorted(
        f"{p}, {n} rows" for p in ("float32", "bfloat16") for n in (cfg.batch_size, cfg.rollout_chunk))
    assert all(r > 0 for r in v["precision"]["matmul_gflop_per_s"].values())
    assert 0 <= v["precision"]["bfloat16_max_abs_dprob"] < 0.1          # bf16 D(Y) close to float32's
    assert list(v["threads"]) == ["1/1"] and v["threads"]["1/1"] > 0
    md = variants_markdown(v)
    assert "| bfloat16 |" in md and "| float32 + XLA |" in md and "| 1/1 |" in md and f"bfloat16, {cfg.batch_size} rows:" in md


def test_d_forward_flops_counts_every_layer():
    """d_forward_flops counts every layer: one filter of width 2 over T = 5, E = 3, F = 1 is 4 windows x 2 x 3
    multiply-adds, highway 1 x 2, output 1 x 2."""
    from seqgan_tf import config
    from bench.flops import d_forward_flops
    cfg = config.make("smoke", seq_len=5, d_emb_dim=3, d_filter_sizes=(2,), d_num_filters=(1,))
    assert d_forward_flops(cfg) == 2 * (4 * 2 * 3) + 2 * 2 + 2 * 2
    paper = config.make("paper")                     # ≈ 27 MFLOP, as the brief's 81 MFLOP per training sample / 3
    assert 26e6 < d_forward_flops(paper) < 28e6


def test_rollout_d_flops_counts_only_windows_reaching_a_sampled_token():
    """Same D, B = 2, N = 3: each sequence's own 4 windows (2 x 12 FLOPs each), then per completion of block g
    (g + 1 tokens kept) the 4 - g windows that reach a sampled token, and the highway and output layers (8)."""
    from seqgan_tf import config
    from bench.flops import rollout_d_flops
    cfg = config.make("smoke", seq_len=5, d_emb_dim=3, d_filter_sizes=(2,), d_num_filters=(1,), batch_size=2,
                      rollout_num=3)
    assert rollout_d_flops(cfg) == 2 * 4 * 12 + 3 * 2 * ((4 + 3 + 2 + 1) * 12 + 4 * 8)


def test_naive_rollout_is_the_same_estimator():
    """With a deterministic G (always token 3) both rollouts give identical rewards."""
    s = Smoke()
    s.gen.b_out.assign(tf.one_hot(3, s.cfg.vocab_size) * 1e4)
    seqs = tf.constant(np.random.RandomState(0).randint(0, s.cfg.vocab_size, size=(6, s.cfg.seq_len)), tf.int32)
    fast = rollout_rewards(s.gen, s.disc, seqs, 2, seed(0, 0), 64).numpy()
    np.testing.assert_allclose(naive_rollout_rewards(s.gen, s.disc, seqs, 2, seed(1, 1)), fast, rtol=1e-5)


def test_named_phases_only(tmp_path, capsys):
    """--phases times just those (each with its own peak RSS), without the rollout breakdown or projection, and with
    --released the released graph's same phases beside them (or the named ones); an unknown phase is a one-line
    error."""
    script("-m bench").main(["--preset", "smoke", "--repeats", "1", "--phases", "mle_epoch,d_step",
                              "--released", "--ops", "--out", str(tmp_path)])
    [js] = list(tmp_path.glob("*-smoke-phases.json"))
    result = json.loads(js.read_text())
    assert list(result["phases"]) == ["mle_epoch", "d_step"] and "rollout" not in result
    assert list(result["released"]) == ["mle_epoch", "d_step"]
    assert all(len(r["runs_s"]) == len(r["ours_runs_s"]) == 1 and r["median_s"] > 0 and r["ours_median_s"] > 0
               for r in result["released"].values())         # timed alternately, one pair each
    md = js.with_suffix(".md").read_text()
    assert "| mle_epoch | " in md
    # --ops: both breakdowns (D's convolutions and their gradients among D's kinds), the products, the bound
    ops = result["ops"]
    assert {"Conv2D", "Conv2DBackpropFilter (grad)"} <= set(ops["d_training"]["by_kind"])
    assert ops["mle_epoch"]["batches"] == 512 // 32 and ops["mle_epoch"]["op_s"] > 0
    assert list(ops["products"]) == ["G output layer", "D highway", "D convolutions"]
    assert all(sorted(r["gflop_per_s"]) == ["forward", "input gradient", "weight gradient"] and
               min(r["gflop_per_s"].values()) > 0 for r in ops["products"].values())
    assert 0 < ops["d_training_bound_gflop_per_s"] and ops["matmul_gflop_per_s"] > 0
    assert "Where D training's time goes" in md and "| D convolutions | 32 x 8 x 8 |" in md
    assert all(p["peak_rss_mb"] > 50 for p in result["phases"].values())
    fails(capsys, "-m bench", "--preset", "smoke", "--phases", "mle_epoch,warp", "--out", tmp_path,
          message="unknown phase warp")
    fails(capsys, "-m bench", "--preset", "smoke", "--phases", "mle_epoch", "--released", "d_step",
          "--out", tmp_path, message="--released phase d_step is not among the timed phases")
    fails(capsys, "-m bench", "--preset", "smoke", "--phases", "adversarial_round", "--released",
          "adversarial_round", "--out", tmp_path, message="the released code has no adversarial_round phase")


def test_op_breakdown_files_each_operation_under_its_kind():
    """op_breakdown reads TensorFlow's profiler trace: a matmul, the two of its gradient (marked), an exp and an
    XLA-compiled function, each under its kind with its events, the kinds' seconds summing to the op time."""
    from bench.ops import op_breakdown

    @tf.function(jit_compile=True)
    def doubled_sine(x):
        return tf.sin(x) * 2.0

    @tf.function
    def step(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.reduce_sum(tf.exp(tf.matmul(a, a)))
        return tape.gradient(y, a), doubled_sine(a)

    a = tf.random.normal([64, 64])
    step(a)
    b = op_breakdown(lambda: [t.numpy() for t in step(a)])
    kinds = b["by_kind"]
    assert kinds["MatMul"]["events"] == 1 and kinds["MatMul (grad)"]["events"] == 2 and kinds["Exp"]["events"] == 1
    assert kinds["XLA doubled_sine"]["events"] == 1
    assert b["op_s"] == pytest.approx(sum(k["s"] for k in kinds.values())) and 0 < b["op_s"] < b["wall_s"] * 2


def test_released_graph_does_the_released_work():
    """The TF1 graph-mode reference the benchmark times against: its rollout keeps each prefix and samples the rest,
    its rewards are D's mean score (the last one D's score of the sequence itself), its MLE and D updates lower
    their losses."""
    from bench import released_graph
    from seqgan_tf import config
    cfg = config.make("smoke")
    ref = released_graph.ReleasedGraph(cfg, seed=3)
    try:
        seqs = ref.sess.run(ref.gen_sample)
        for g in (1, 5):
            done = ref.sess.run(ref.completion, {ref.x: seqs, ref.given_num: g})
            assert done.shape == seqs.shape and (done[:, :g] == seqs[:, :g]).all() and (done[:, g:] != seqs[:, g:]).any()
        rewards = ref.rollout_rewards(seqs)
        assert rewards.shape == seqs.shape and ((0 < rewards) & (rewards < 1)).all()
        np.testing.assert_allclose(rewards[:, -1], ref.sess.run(ref.disc.prob, {ref.d_x: seqs})[:, 1], rtol=1e-6)
        batch = {ref.x: ref.real[:cfg.batch_size]}
        before = ref.sess.run(ref.mle_loss, batch)
        for _ in range(30):
            ref.sess.run(ref.mle, batch)
        assert ref.sess.run(ref.mle_loss, batch) < before - 0.1
        ref.mle_epoch()
        ref.d_step()
        x = np.concatenate([ref.real[:32], ref.generate(ref.gen_sample, 32)])
        feed = {ref.d_x: x, ref.disc.y: np.repeat(np.float32([[0, 1], [1, 0]]), 32, 0)}
        before = ref.sess.run(ref.disc.loss, feed)
        for _ in range(100):
            ref.sess.run(ref.disc.train, {**feed, ref.keep: cfg.d_dropout_keep})
        assert ref.sess.run(ref.disc.loss, feed) < before - 0.005
    finally:
        ref.close()
