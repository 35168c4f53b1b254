"""The thread-independent sampler (models/language_model.py: `categorical`) against TensorFlow's categorical kernel,
side by side in one process: one draw at a rollout step's size, and a whole sample of the oracle's size by G.

    python -m bench.sampler            # under this process's threads (TF_NUM_INTRAOP_THREADS=1 for one)
"""
import json

import tensorflow as tf

from seqgan_tf import config
from seqgan_tf.models import language_model as lm
from seqgan_tf.models import make_generator
from seqgan_tf.train.projection import machine, median_time


def kernel(logits, seed):
    return tf.random.stateless_categorical(logits, 1, seed, dtype=tf.int32)[:, 0]


def timings(repeats=5):
    """{case: {"kernel": s, "categorical": s, "ratio": categorical / kernel}} (median seconds)."""
    cfg = config.make("quick")
    seed = tf.constant([1, 2], tf.int64)
    rows = cfg.batch_size * (cfg.seq_len - 1) * cfg.rollout_num          # one rollout's completions
    logits = tf.random.stateless_normal([rows, cfg.vocab_size], [3, 4])

    def one_draw():
        graph = tf.function(lm.draw)
        return lambda: graph(logits, seed)

    def g_samples():
        gen = make_generator(cfg, seed=1)           # a fresh G: its sampling graph is traced with the variant
        return lambda: gen.sample(cfg.num_samples, seed)

    cases = {f"one draw, {rows} x {cfg.vocab_size}": one_draw, f"G samples {cfg.num_samples} sequences": g_samples}
    out, thread_independent = {}, lm.categorical
    for name, build in cases.items():
        out[name] = {}
        for variant, impl in (("kernel", kernel), ("categorical", thread_independent)) * 2:     # interleaved
            lm.categorical = impl
            t, _ = median_time(build(), repeats)
            out[name][variant] = min(t, out[name].get(variant, float("inf")))
        lm.categorical = thread_independent
        out[name]["ratio"] = out[name]["categorical"] / out[name]["kernel"]
    return out


if __name__ == "__main__":
    result = {"machine": machine(), "seconds": timings()}
    for name, r in result["seconds"].items():
        print(f"{name}: kernel {r['kernel']:.3f} s, thread-independent {r['categorical']:.3f} s, "
              f"ratio {r['ratio']:.2f}")
    print(json.dumps(result["machine"]))
