"""Per-phase throughput of a preset, the vectorised-vs-naive rollout ratio, and where the time goes.

Every figure is a median of repeated runs after one warm-up call (which traces the graphs). The naive rollout is
the released code's structure (a Python loop over N rollouts x T-1 prefix lengths, one generator call and one D
call each) written with this library's graphs, so the ratio isolates the batching.
"""
import cProfile
import glob
import os
import platform
import pstats
import re
import tempfile
import time

import numpy as np
import tensorflow as tf

from .experiments.synthetic import load_oracle, real_data_seed
from .metrics.nll import nll_oracle, sample_many, sequence_nll
from .models import make_generator
from .models.language_model import token_nll
from .train.pretrain import d_step, d_train, mle_epoch
from .train.rollout import prob_real_chunked, prob_real_completions, rollout_completions, rollout_rewards
from .train.projection import d_work, measure_rates, median_time, project
from .train.seqgan import pg_step, seqgan_round
from .train.state import State

_prob_real = tf.function(lambda disc, seqs: disc.prob_real(seqs))
_completions = tf.function(rollout_completions)
_score = tf.function(prob_real_chunked)
_score_shared = tf.function(prob_real_completions)


def naive_rollout_rewards(rollout_gen, disc, seqs, n, seed):
    """The released code's rollout loop: N x (T-1) separate generator and D calls. Same estimator as
    `rollout_rewards`, different random draws."""
    B, T = int(seqs.shape[0]), int(seqs.shape[1])
    rewards = np.zeros((T, B), np.float32)
    for i in range(n):
        for g in range(1, T):
            done = rollout_gen.complete(seqs, tf.fill([B], g), tf.random.experimental.stateless_fold_in(seed, i * T + g))
            rewards[g - 1] += _prob_real(disc, done).numpy()
        rewards[T - 1] += _prob_real(disc, seqs).numpy()
    return rewards.T / n


def _conv_flops(cfg, positions):
    """Multiply-adds x 2 of D's convolutions on one sequence, positions(w) windows of each width w."""
    return sum(2 * cfg.d_emb_dim * w * n * positions(w) for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters))


def _head_flops(cfg):
    """Multiply-adds x 2 of D's highway and output layer on one sequence."""
    F = sum(cfg.d_num_filters)
    return 2 * F * 2 * F + 2 * F * 2


def d_forward_flops(cfg):
    """Multiply-adds x 2 of one D forward pass on one sequence: the convolutions, the highway, the output layer."""
    return _conv_flops(cfg, lambda w: cfg.seq_len - w + 1) + _head_flops(cfg)


def rollout_d_flops(cfg):
    """FLOPs of D scoring one batch's rollout completions as `prob_real_completions` does: each sequence's own
    convolutions once, then per completion only the windows that reach a sampled token, the highway and the output
    layer (`d_forward_flops` x the completions is the same scoring done whole, as the released code does)."""
    T, B, n = cfg.seq_len, cfg.batch_size, cfg.rollout_num
    own = B * _conv_flops(cfg, lambda w: T - w + 1)
    fresh = sum(_conv_flops(cfg, lambda w: T - w + 1 - max(g + 2 - w, 0)) for g in range(T - 1))  # block g keeps g + 1
    return own + n * B * (fresh + (T - 1) * _head_flops(cfg))


def matmul_rate(rows, inner, cols, repeats=5, dtype=tf.float32):
    """GFLOP/s of one (rows x inner) @ (inner x cols) product (float32 unless `dtype`) in a graph: this machine's
    practical peak for D's largest layer (the highway at one rollout chunk). Small products are timed many calls
    at a time (`_rates`), so that a call's own cost does not count as the product's."""
    a, b = tf.random.normal([rows, inner], dtype=dtype), tf.random.normal([inner, cols], dtype=dtype)
    return _rates({"matmul": lambda: tf.matmul(a, b)[0, 0]}, 2 * rows * inner * cols, repeats,
                  calls=max(1, 1024 // rows))["matmul"]


def _rates(fns, flops, repeats, calls):
    """GFLOP/s of each of fns ({name: fn}, `flops` FLOPs a call; each returns one element of its product, so that no
    pass over the result is timed), traced into a graph: the median of `repeats` timings of `calls` calls in a row."""
    rates = {}
    for name, fn in fns.items():
        f = tf.function(fn)
        med, _ = median_time(lambda: [f() for _ in range(calls)][-1].numpy(), repeats)
        rates[name] = flops * calls / med / 1e9
    return rates


def machine_tag():
    model = "cpu"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    kind = f"gpu{len(gpus)}" if gpus else f"cpu{os.cpu_count()}"
    slug = "".join(c if c.isalnum() else "-" for c in model.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{kind}-{slug[:40]}"


def profile(fn):
    """Fraction of fn's wall time spent inside compiled graph calls (TFE_Py_Execute), in eager op dispatch
    (TFE_Py_FastPathExecute) and in Python, from cProfile; plus the top Python-side functions."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    graph = sum(v[2] for k, v in stats.stats.items() if "TFE_Py_Execute" in k[2])
    eager = sum(v[2] for k, v in stats.stats.items() if "TFE_Py_FastPathExecute" in k[2])
    top = sorted(((v[2], f"{os.path.basename(k[0])}:{k[1]}({k[2]})") for k, v in stats.stats.items()
                  if "TFE_Py_Execute" not in k[2]), reverse=True)[:5]
    return {"wall_s": wall, "graph_frac": graph / wall, "eager_frac": eager / wall,
            "outside_graph_frac": 1 - graph / wall, "top_outside": [f"{t:.3f}s {name}" for t, name in top]}


_OP_EVENT = re.compile(r"^([^:]+):(\w+)$")      # the executor's event of one TensorFlow op: "<node name>:<op type>"


def op_breakdown(fn):
    """Seconds per kind of operation inside one call of fn, from TensorFlow's profiler: the executor threads'
    events of TensorFlow ops (by op type, oneDNN's "_Mkl" prefixes dropped, "(grad)" for the backward pass) and of
    XLA-compiled kernels (by function), innermost events only. Ops of the two executor threads overlap, so their sum
    can exceed the wall time. {"wall_s", "op_s", "by_kind": {kind: {"s", "events"}}}, or None where this TensorFlow's
    trace cannot be read."""
    try:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        t0 = time.perf_counter()
        try:
            fn()
        finally:
            wall = time.perf_counter() - t0
            tf.profiler.experimental.stop()
        traces = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        if not traces:
            return None
        space = xplane_pb2.XSpace()
        with open(traces[0], "rb") as f:
            space.ParseFromString(f.read())
    by_kind = {}
    for plane in space.planes:
        stat_names = {k: m.name for k, m in plane.stat_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            events = []
            for e in line.events:
                kind = _event_kind(plane.event_metadata[e.metadata_id].name, e.stats, stat_names)
                if kind:
                    events.append((e.offset_ps, e.offset_ps + e.duration_ps, kind))
            events.sort()
            for (start, end, kind), following in zip(events, events[1:] + [(None,)]):
                if following[0] is not None and following[0] < end:
                    continue                        # encloses another event: that one is counted
                k = by_kind.setdefault(kind, {"s": 0.0, "events": 0})
                k["s"] += (end - start) / 1e12
                k["events"] += 1
    by_kind = dict(sorted(by_kind.items(), key=lambda kv: -kv[1]["s"]))
    return {"wall_s": wall, "op_s": sum(k["s"] for k in by_kind.values()), "by_kind": by_kind}


def _event_kind(name, stats, stat_names):
    """The kind `op_breakdown` files a trace event under, or None for the runtime's own events."""
    op = _OP_EVENT.match(name)
    if op:
        kind = re.sub(r"^_Mkl(Native)?", "", op.group(2))
        return kind + (" (grad)" if "gradient_tape" in op.group(1) else "")
    for st in stats:
        if stat_names.get(st.metadata_id) == "hlo_module":
            module = st.str_value or stat_names.get(st.ref_value, "")
            return f"XLA {re.sub(r'^a_inference_+|_[0-9]+(__.*)?$', '', module)}"
    return None


def ops(cfg, matmul_gflop_per_s=None, d_batches=40, log=print):
    """Where training's time goes, op by op (`op_breakdown`, each after a warm-up call): one MLE epoch of G on oracle
    data and D trained one epoch on d_batches batches (half oracle data, half G's samples); `product_rates`; the
    rate D training would reach if those products were all it did, beside the highway-shaped matmul's rate at a
    rollout chunk's rows (`matmul_gflop_per_s`, the run's own where it measured one, else measured here)."""
    s = State.build(cfg).models
    real = load_oracle(cfg).sample(cfg.num_samples, tf.constant([0, 7]))
    n = d_batches * cfg.batch_size // 2
    fake = s.gen.sample(n, tf.constant([0, 8]))
    seed = tf.constant([0, 9])
    steps = {"mle_epoch": lambda: float(mle_epoch(s.gen, s.mle_opt, real, cfg.batch_size, seed)),
             "d_training": lambda: float(d_train(s.disc, s.d_opt, real[:n], fake, 1, cfg.batch_size, seed)[0])}
    out = {}
    for name, fn in steps.items():
        fn()
        out[name] = op_breakdown(fn)
        if out[name] is None:
            log(f"{name}: this TensorFlow's profiler trace cannot be read; no op breakdown")
            continue
        top = list(out[name]["by_kind"].items())[:4]
        log(f"{name}: {out[name]['op_s']:.2f} s in ops, {out[name]['wall_s']:.2f} s wall; "
            + ", ".join(f"{k} {v['s']:.2f} s" for k, v in top))
    batches = {"mle_epoch": cfg.num_samples // cfg.batch_size, "d_training": 2 * n // cfg.batch_size}
    for name, b in out.items():
        if b is not None:
            b.update({"batches": batches[name], "batch_size": cfg.batch_size})
    out["products"] = p = product_rates(cfg)
    log("products alone, GFLOP/s: " + "; ".join(
        f"{layer} " + ", ".join(f"{k} {v:.0f}" for k, v in r["gflop_per_s"].items()) for layer, r in p.items()))
    # D training if each of its products ran at its rate alone and nothing else took any time
    F = sum(cfg.d_num_filters)
    flops = {"D convolutions": _conv_flops(cfg, lambda w: cfg.seq_len - w + 1), "D highway": 2 * F * 2 * F}
    per_sample_s = sum(f / (rate * 1e9) for layer, f in flops.items() for rate in p[layer]["gflop_per_s"].values())
    out["d_training_bound_gflop_per_s"] = 3 * d_forward_flops(cfg) / per_sample_s / 1e9
    out["matmul_gflop_per_s"] = matmul_gflop_per_s or matmul_rate(cfg.rollout_chunk, F, 2 * F)
    log(f"D training with every product at its rate alone and nothing else: {out['d_training_bound_gflop_per_s']:.0f}"
        f" GFLOP/s ({cfg.rollout_chunk}-row highway matmul: {out['matmul_gflop_per_s']:.0f} GFLOP/s)")
    return out


def product_rates(cfg, repeats=5, calls=20):
    """GFLOP/s of training's largest products at the shapes training gives them, each alone (no other op running):
    G's output layer over one MLE batch (B·T rows x H -> V), D's highway over one D batch (B x F -> 2F) and D's
    convolutions over one D batch (all window sizes), forward, input gradient and weight gradient, as TensorFlow's
    gradients compute them (g @ Wᵀ and xᵀ @ g for a matmul; the convolution's backprop kernels); the median of
    `repeats` timings of `calls` calls each. The thread pools are the process's, as in training."""
    B, T, E = cfg.batch_size, cfg.seq_len, cfg.d_emb_dim
    matmuls = {"G output layer": (B * T, cfg.hidden_dim, cfg.vocab_size),
               "D highway": (B, sum(cfg.d_num_filters), 2 * sum(cfg.d_num_filters))}
    out = {}
    for layer, (rows, inner, cols) in matmuls.items():
        x, w, g = (tf.random.normal(s) for s in ([rows, inner], [inner, cols], [rows, cols]))
        out[layer] = {"shape": [rows, inner, cols], "gflop_per_s": _rates(
            {"forward": lambda: tf.matmul(x, w)[0, 0],          # one element returned: no pass over the result
             "input gradient": lambda: tf.matmul(g, w, transpose_b=True)[0, 0],
             "weight gradient": lambda: tf.matmul(x, g, transpose_a=True)[0, 0]},
            2 * rows * inner * cols, repeats, calls)}
    # conv1d is conv2d over a height of 1; its gradient uses these two kernels
    x = tf.random.normal([B, 1, T, E])
    ws = [tf.random.normal([1, w, E, n]) for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters)]
    gs = [tf.random.normal([B, 1, T - w + 1, n]) for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters)]
    conv = dict(strides=[1, 1, 1, 1], padding="VALID")
    out["D convolutions"] = {"shape": [B, T, E], "gflop_per_s": _rates(
        {"forward": lambda: tf.add_n([tf.nn.conv2d(x, w, **conv)[0, 0, 0, 0] for w in ws]),
         "input gradient": lambda: tf.add_n([tf.raw_ops.Conv2DBackpropInput(
             input_sizes=tf.shape(x), filter=w, out_backprop=g, **conv)[0, 0, 0, 0] for w, g in zip(ws, gs)]),
         "weight gradient": lambda: tf.add_n([tf.raw_ops.Conv2DBackpropFilter(
             input=x, filter_sizes=tf.shape(w), out_backprop=g, **conv)[0, 0, 0, 0] for w, g in zip(ws, gs)])},
        B * _conv_flops(cfg, lambda w: T - w + 1), repeats, calls)}
    return out


def peak_rss_reset():
    """Restart the kernel's count of this process's peak resident memory (Linux: /proc/self/clear_refs); False
    where that is not possible (then `peak_rss_mb` keeps the process's peak so far)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    """Peak resident memory (VmHWM) of this process since the last `peak_rss_reset`, in MB."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PHASES = ("oracle_sample", "mle_epoch", "nll_oracle_eval", "d_step", "rollout_pg_step", "adversarial_round")


def run(cfg, repeats=3, naive=True, log=print, phases=PHASES, released=()):
    """Benchmark the named phases of cfg (all by default; the rollout breakdown and the projections need all), and
    of them the `released` ones alternately with the released code's graphs (`released_graph.time_phases`);
    returns a JSON-able dict."""
    unknown = set(phases) - set(PHASES)
    if unknown or not phases:
        raise ValueError(f"unknown phase {', '.join(sorted(unknown)) or repr(phases)}; choose from {', '.join(PHASES)}")
    oracle = load_oracle(cfg)
    s = State.build(cfg).models
    rng = tf.random.Generator.from_seed(0)
    seed = lambda: rng.make_seeds(1)[:, 0]
    real = oracle.sample(cfg.num_samples, seed())
    seqs = s.gen.sample(cfg.batch_size, seed())

    def rollout_and_pg():
        q = rollout_rewards(s.rollout_gen, s.disc, seqs, cfg.rollout_num, seed(), cfg.rollout_chunk)
        pg_step(s.gen, s.pg_opt, seqs, q)
        return q

    timed = {
        "oracle_sample": lambda: oracle.sample(cfg.num_samples, seed()),
        "mle_epoch": lambda: mle_epoch(s.gen, s.mle_opt, real, cfg.batch_size, seed()),
        "nll_oracle_eval": lambda: nll_oracle(oracle, s.gen, cfg.eval_samples, seed()),
        "d_step": lambda: d_step(s.gen, s.disc, s.d_opt, real, cfg, rng),
        "rollout_pg_step": rollout_and_pg,
        "adversarial_round": lambda: seqgan_round(s, real, cfg, rng, 0),
    }
    out = {"machine": machine_tag(), "platform": platform.platform(), "tensorflow": tf.__version__,
           "threads": {"intra": tf.config.threading.get_intra_op_parallelism_threads(),
                       "inter": tf.config.threading.get_inter_op_parallelism_threads()},
           "preset": cfg.preset, "repeats": repeats, "phases": {}, "profile": {},
           "peak_rss_per_phase": peak_rss_reset()}
    for name in phases:
        fn = timed[name]
        peak_rss_reset()
        med, all_times = median_time(fn, repeats)
        out["phases"][name] = {"median_s": med, "runs_s": all_times, "peak_rss_mb": peak_rss_mb()}
        out["profile"][name] = profile(fn)
        log(f"{name:>20}: median {med:8.3f} s   (runs {all_times}); "
            f"{100 * out['profile'][name]['outside_graph_frac']:.0f}% outside graphs; peak RSS "
            f"{out['phases'][name]['peak_rss_mb']:.0f} MB")
    if released:
        from .released_graph import time_phases      # TF1 graph mode, only when asked for
        out["released"] = time_phases(cfg, released, {p: timed[p] for p in released}, repeats, log=log)
    if set(phases) != set(PHASES):
        return out
    vec, _ = median_time(lambda: rollout_rewards(s.gen, s.disc, seqs, cfg.rollout_num, seed(), cfg.rollout_chunk),
                         repeats)
    out["rollout"] = {"vectorised_s": vec, "graph_calls_vectorised": 1,
                      "graph_calls_naive": cfg.rollout_num * (2 * (cfg.seq_len - 1) + 1)}
    # Where the vectorised rollout's time goes: sampling the completions (G) and scoring them (D), the latter both
    # whole (the released code's FLOPs) and with shared prefixes (what `rollout_rewards` does: the same values),
    # against the highway-shaped matmul's rate.
    g_s, _ = median_time(lambda: _completions(s.gen, seqs, cfg.rollout_num, seed()).numpy(), repeats)
    done = _completions(s.gen, seqs, cfg.rollout_num, seed())
    whole_s, _ = median_time(lambda: _score(s.disc, done, cfg.rollout_chunk).numpy(), repeats)
    d_s, _ = median_time(lambda: _score_shared(s.disc, seqs, done, cfg.rollout_num, cfg.rollout_chunk).numpy(),
                         repeats)
    whole_gflop = d_forward_flops(cfg) * int(done.shape[0]) / 1e9
    d_gflop = rollout_d_flops(cfg) / 1e9
    F = sum(cfg.d_num_filters)
    peak = matmul_rate(min(cfg.rollout_chunk, int(done.shape[0])), F, 2 * F)
    out["rollout"].update({"g_sampling_s": g_s, "d_scoring_s": d_s, "d_gflop": d_gflop,
                           "d_gflop_per_s": d_gflop / d_s, "d_scoring_whole_s": whole_s,
                           "d_gflop_whole": whole_gflop, "matmul_gflop_per_s": peak})
    log(f"rollout: G sampling {g_s:.3f} s, D scoring {d_s:.3f} s ({d_gflop:.1f} GFLOP at {d_gflop / d_s:.0f} "
        f"GFLOP/s; scored whole {whole_s:.3f} s, {whole_gflop:.1f} GFLOP; highway-shaped matmul {peak:.0f} GFLOP/s)")
    # The evaluation's parts: G sampling eval_samples sequences, the oracle scoring them, the latter both as
    # evaluation does (-log of the softmax kernel's probability) and with training's log-softmax (token_nll).
    samples = sample_many(s.gen, cfg.eval_samples, seed())
    sample_s, _ = median_time(lambda: sample_many(s.gen, cfg.eval_samples, seed()), repeats)
    score_s, _ = median_time(lambda: sequence_nll(oracle, samples), repeats)
    log_softmax_s, _ = median_time(lambda: sequence_nll(oracle, samples, scorer=token_nll), repeats)
    out["evaluation"] = {"g_sampling_s": sample_s, "scoring_s": score_s, "scoring_log_softmax_s": log_softmax_s}
    log(f"evaluation: G sampling {sample_s:.3f} s, oracle scoring {score_s:.3f} s (with training's log-softmax "
        f"{log_softmax_s:.3f} s)")
    if naive:
        nai, _ = median_time(lambda: naive_rollout_rewards(s.gen, s.disc, seqs, cfg.rollout_num, seed()),
                             max(1, repeats // 2))
        # Even with G sampling free and D at the matmul's rate, a rollout takes d_gflop / peak seconds.
        out["rollout"].update({"naive_s": nai, "speedup": nai / vec, "speedup_bound": nai / (d_gflop / peak)})
        log(f"rollout: vectorised {vec:.3f} s, naive loop {nai:.3f} s -> {nai / vec:.1f}x "
            f"(bound at the matmul rate with G free: {nai * peak / d_gflop:.1f}x)")
    # The whole schedule of this preset and of `paper`, from the measured phase times.
    rates = {"mle_batch": out["phases"]["mle_epoch"]["median_s"] / (cfg.num_samples // cfg.batch_size),
             "sample_seq": out["phases"]["oracle_sample"]["median_s"] / cfg.num_samples,
             "evaluation": out["phases"]["nll_oracle_eval"]["median_s"], "rollout": vec, "pg_step": 0.0}
    d_samples = min(cfg.n_negatives, cfg.num_samples) + cfg.n_negatives
    d_train_s = out["phases"]["d_step"]["median_s"] - cfg.n_negatives * rates["sample_seq"]
    rates["d_batch"] = d_train_s / (cfg.d_epochs * (d_samples // cfg.batch_size))
    out["rates"] = rates
    out["projected_s"] = project(cfg, rates, cfg.num_samples)
    # D training against the same matmul rate: a training pass counted as 3 forward passes.
    samples_per_s = cfg.batch_size / rates["d_batch"]
    gflop_per_s = 3 * d_forward_flops(cfg) * samples_per_s / 1e9
    out["d_training"] = {"samples_per_s": samples_per_s, "gflop_per_s": gflop_per_s, "matmul_gflop_per_s": peak,
                         "fraction_of_matmul": gflop_per_s / peak}
    log(f"D training: {samples_per_s:.0f} samples/s, {gflop_per_s:.0f} GFLOP/s, {100 * gflop_per_s / peak:.0f}% of "
        f"the matmul's {peak:.0f} GFLOP/s")
    return out


def flop_floor_s(cfg, matmul_gflop_per_s, n_real=None):
    """Seconds cfg's D work (training and rollout scoring, `projection.d_work`) would take at the matmul's rate: the
    floor no implementation of this estimator reaches on this machine without cutting FLOPs."""
    trained, _ = d_work(cfg, cfg.num_samples if n_real is None else n_real)
    rollouts = cfg.adv_epochs * cfg.g_steps * (rollout_d_flops(cfg) + cfg.batch_size * d_forward_flops(cfg))  # + D(Y)
    return (3 * trained * d_forward_flops(cfg) + rollouts) / (matmul_gflop_per_s * 1e9)


# -- D variants: precision, XLA (measured side by side in one process) ---------------------------------------------

def _d_setup(cfg, precision, n_batches):
    from .train import distribute
    disc, opt = distribute.discriminator(cfg, seed=5, d_precision=precision)
    n = n_batches * cfg.batch_size // 2
    real = tf.random.stateless_uniform([n, cfg.seq_len], [0, 1], 0, cfg.vocab_size, tf.int32)
    fake = tf.random.stateless_uniform([n, cfg.seq_len], [0, 2], 0, cfg.vocab_size, tf.int32)
    return disc, opt, real, fake


def d_variants(cfg, repeats=3, n_batches=20, log=print):
    """D training samples/s and D inference (rollout scoring) sequences/s in float32, float32 + XLA
    (jit_compile) and bfloat16, on one fixed chunk, side by side in this process; and how far bfloat16's D(Y)
    moves from float32's with the same weights."""
    from .train.pretrain import d_loss

    def step(disc, opt, x, y):
        with tf.GradientTape() as tape:
            loss, _ = d_loss(disc, x, y, True, tf.constant([0, 4], tf.int64))
        opt.apply(tape.gradient(loss, disc.trainable_variables), disc.trainable_variables)
        return loss

    # XLA cannot compile the epoch graph (no StatelessShuffle kernel), so every variant times the same thing:
    # one compiled D update per batch, called from a Python loop over the chunk.
    steps = {False: tf.function(step), True: tf.function(step, jit_compile=True)}
    def prob_real(disc, x):
        return disc.prob_real(x)

    infer = {False: tf.function(prob_real), True: tf.function(prob_real, jit_compile=True)}
    seqs = tf.random.stateless_uniform([64 * cfg.batch_size, cfg.seq_len], [0, 3], 0, cfg.vocab_size, tf.int32)
    out = {}
    for name, precision, jit in (("float32", "float32", False), ("float32 + XLA", "float32", True),
                                 ("bfloat16", "bfloat16", False)):
        disc, opt, real, fake = _d_setup(cfg, precision, n_batches)
        x = tf.reshape(tf.concat([real, fake], 0), [n_batches, cfg.batch_size, cfg.seq_len])
        y = tf.reshape(tf.concat([tf.ones(real.shape[:1], tf.int32), tf.zeros(fake.shape[:1], tf.int32)], 0),
                       [n_batches, cfg.batch_size])
        order = np.random.RandomState(0).permutation(n_batches)

        def train():
            for i in order:
                loss = steps[jit](disc, opt, x[i], y[i])
            return float(loss)                  # waits for the device
        t_train, _ = median_time(train, repeats)
        t_infer, _ = median_time(lambda: infer[jit](disc, seqs).numpy(), repeats)
        out[name] = {"train_samples_per_s": n_batches * cfg.batch_size / t_train,
                     "infer_seqs_per_s": int(seqs.shape[0]) / t_infer}
        log(f"D {name:>14}: training {out[name]['train_samples_per_s']:8.0f} samples/s, "
            f"inference {out[name]['infer_seqs_per_s']:8.0f} sequences/s")
    # The matmul alone in both precisions, at a training batch's and a rollout chunk's rows: where the CPU has
    # bfloat16 units (AVX512_BF16, AMX), does the matmul gain what D does not?
    F = sum(cfg.d_num_filters)
    out["matmul_gflop_per_s"] = {f"{name}, {rows} rows": matmul_rate(rows, F, 2 * F, repeats, dtype)
                                 for rows in (cfg.batch_size, cfg.rollout_chunk)
                                 for name, dtype in (("float32", tf.float32), ("bfloat16", tf.bfloat16))}
    log("highway-shaped matmul, GFLOP/s: " + ", ".join(f"{k} {v:.0f}" for k, v in out["matmul_gflop_per_s"].items()))
    d32, _, _, _ = _d_setup(cfg, "float32", 1)
    d16, _, _, _ = _d_setup(cfg, "bfloat16", 1)
    d16.set_weights(d32.get_weights())
    gap = tf.reduce_max(tf.abs(infer[False](d32, seqs) - infer[False](d16, seqs)))
    out["bfloat16_max_abs_dprob"] = float(gap)
    return out


def d_train_rate(cfg, repeats=3, n_batches=20):
    """D training samples/s (one epoch graph over n_batches batches) under this process's thread settings."""
    disc, opt, real, fake = _d_setup(cfg, "float32", n_batches)
    t, _ = median_time(lambda: float(d_train(disc, opt, real, fake, 1, cfg.batch_size,
                                             tf.constant([0, 4], tf.int64))[0]), repeats)
    return n_batches * cfg.batch_size / t


def rollout_by_n(cfg, ns, repeats=3, log=print):
    """Seconds of one rollout + policy-gradient step per N (0 = no rollout: every step's reward is D(Y)), side by
    side on one batch of cfg's models: the part of an adversarial round that N changes."""
    s = State.build(cfg).models
    seqs = s.gen.sample(cfg.batch_size, tf.constant([0, 5], tf.int64))
    out = {}
    for n in ns:
        def step():
            q = rollout_rewards(s.gen, s.disc, seqs, n, tf.constant([0, 6], tf.int64), cfg.rollout_chunk)
            return float(pg_step(s.gen, s.pg_opt, seqs, q))
        out[str(n)], _ = median_time(step, repeats)
        log(f"rollout + PG step, N = {n:>3}: {out[str(n)]:.3f} s")
    return out


def generator_rates(cfgs, rounds=2, log=print):
    """Seconds per MLE epoch and per g-step (the rollout's rewards + the policy-gradient step) of each config's
    generator ({name: cfg}), measured alternately `rounds` times in this process on the same oracle data (fresh
    models each time; the fastest round kept, the least disturbed by the machine). MLE epoch = the measured batch
    time × the batches of num_samples."""
    first = next(iter(cfgs.values()))
    real = load_oracle(first).sample(first.num_samples, real_data_seed(first))
    best = {}
    for _ in range(rounds):
        for name, cfg in cfgs.items():
            r = measure_rates(cfg, real, repeats=3)
            rates = {"mle_epoch_s": r["mle_batch"] * (cfg.num_samples // cfg.batch_size),
                     "g_step_s": r["rollout"] + r["pg_step"], "sample_seq_s": r["sample_seq"]}
            best[name] = {k: min(v, best.get(name, {}).get(k, v)) for k, v in rates.items()}
            log(f"{name}: MLE epoch {rates['mle_epoch_s']:.2f} s, g-step {rates['g_step_s']:.2f} s")
    return {"machine": machine_tag(), "rounds": rounds, "rates": best,
            "cached_sampling": {name: r for name, cfg in cfgs.items() if (r := cached_sampling(cfg)) is not None}}


def cached_sampling(cfg, n=1000, repeats=3):
    """Seconds to sample n sequences from scratch with a generator that carries its convolution states (`complete`)
    and with one that recomputes the whole prefix at every step (`complete_uncached`), alternately in this process,
    and the ratio (the same tokens either way: tested); None for a generator without `complete_uncached` (the LSTM)."""
    gen = make_generator(cfg, seed=12345)
    if not hasattr(gen, "complete_uncached"):
        return None
    prefix, keep, t = tf.zeros([n, cfg.seq_len], tf.int32), tf.zeros([n], tf.int32), tf.constant(1.0)
    seed = tf.constant([1, 2], tf.int32)
    times = {"cached_s": [], "uncached_s": []}
    for _ in range(repeats):
        times["cached_s"].append(median_time(lambda: gen.complete(prefix, keep, seed, t), 1)[0])
        times["uncached_s"].append(median_time(lambda: gen.complete_uncached(prefix, keep, seed, t), 1)[0])
    out = {k: float(np.median(v)) for k, v in times.items()}
    return {**out, "sequences": n, "uncached_over_cached": out["uncached_s"] / out["cached_s"]}
