"""D variants measured side by side: D in float32 / float32 + XLA / bfloat16 in one process, and D training under
several thread settings, each in a fresh process (TensorFlow fixes its thread pools when it starts)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqgan_tf.train.pretrain import d_train
from seqgan_tf.train.projection import median_time

from .flops import matmul_rate

THREADINGS = ((0, 0), (1, 1), (2, 1), (1, 2), (2, 2))     # (intra-op, inter-op); 0 = TensorFlow's choice
ROOT = Path(__file__).resolve().parents[1]                 # the repository: a threading child imports bench from it


def _d_setup(cfg, precision, n_batches):
    from seqgan_tf.train import distribute
    disc, opt = distribute.discriminator(cfg, seed=5, d_precision=precision)
    n = n_batches * cfg.batch_size // 2
    real = tf.random.stateless_uniform([n, cfg.seq_len], [0, 1], 0, cfg.vocab_size, tf.int32)
    fake = tf.random.stateless_uniform([n, cfg.seq_len], [0, 2], 0, cfg.vocab_size, tf.int32)
    return disc, opt, real, fake


def d_variants(cfg, repeats=3, n_batches=20, log=print):
    """D training samples/s and D inference (rollout scoring) sequences/s in float32, float32 + XLA
    (jit_compile) and bfloat16, on one fixed chunk, side by side in this process; and how far bfloat16's D(Y)
    moves from float32's with the same weights."""
    from seqgan_tf.train.pretrain import d_loss

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


def thread_variants(cfg, repeats=3):
    """D training samples/s under each (intra, inter) of THREADINGS, each in a fresh process: TensorFlow fixes its
    thread pools when it starts."""
    out = {}
    for intra, inter in THREADINGS:
        code = ("import json; "
                "import tensorflow as tf; from bench import variants; from seqgan_tf import config; "
                f"tf.config.threading.set_intra_op_parallelism_threads({intra}); "
                f"tf.config.threading.set_inter_op_parallelism_threads({inter}); "
                f"f = {{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads({json.dumps(cfg.to_dict())!r}).items()}}; "
                f"print(variants.d_train_rate(config.make(f.pop('preset'), **f), {repeats}))")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        if r.returncode:
            raise RuntimeError(f"threading child ({intra}, {inter}) failed: {r.stderr.strip().splitlines()[-1:]}")
        out[f"{intra}/{inter}"] = float(r.stdout.strip().splitlines()[-1])
        print(f"D training, intra/inter threads {intra}/{inter}: {out[f'{intra}/{inter}']:8.0f} samples/s")
    return out
