"""Where training's time goes, op by op (TensorFlow's profiler), and training's largest products timed alone."""
import glob
import os
import re
import tempfile
import time

import tensorflow as tf

from seqgan_tf.experiments.oracle_task import load_oracle
from seqgan_tf.train.pretrain import d_train, mle_epoch
from seqgan_tf.train.state import State

from .flops import _conv_flops, _rates, d_forward_flops, matmul_rate

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
