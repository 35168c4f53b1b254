"""Sampling draws the same tokens on any number of CPU threads, and the same tokens TensorFlow's categorical kernel
draws on one thread (so runs made with one thread keep their samples)."""
import json

import numpy as np
import pytest

from test_package import run_python

DRAWS = """
import json, numpy as np, tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads({threads})
tf.config.threading.set_inter_op_parallelism_threads({threads})
from seqgan_tf.models.language_model import categorical, draw
rng = np.random.default_rng(0)
out = {{}}
for m, v in [(512, 10), (4096, 100), (1000, 257)]:
    logits = (3 * rng.normal(size=(m, v))).astype(np.float32)
    logits[:, -3:] = -np.inf                        # padding classes, never drawn
    seed = tf.constant([88, v], tf.int64)
    out[f"categorical {{m}}x{{v}}"] = categorical(tf.constant(logits), seed).numpy().tolist()
    out[f"kernel {{m}}x{{v}}"] = tf.random.stateless_categorical(logits, 1, seed, dtype=tf.int32)[:, 0].numpy().tolist()
same = tf.tile(tf.constant([[0.0, 1.0, 2.0, -np.inf]]), [20000, 1])
out["same row 20000"] = categorical(same, tf.constant([1, 2], tf.int64)).numpy().tolist()
big = tf.constant((2 * rng.normal(size=(2048, 5000))).astype(np.float32))
out["draw 2048x5000"] = tf.function(draw)(big, tf.constant([7, 9], tf.int64)).numpy().tolist()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def draws():
    return {t: json.loads(run_python(DRAWS.format(threads=t))) for t in (1, 2)}


def test_draws_do_not_depend_on_the_thread_count(draws):
    for key in (k for k in draws[1] if not k.startswith("kernel")):
        assert draws[1][key] == draws[2][key], key


def test_draws_are_the_kernels_on_one_thread(draws):
    for key in (k for k in draws[1] if k.startswith("categorical")):
        assert draws[1][key] == draws[1][key.replace("categorical", "kernel")], key
        assert max(draws[1][key]) < int(key.split("x")[1]) - 3          # padding never drawn


def test_draws_follow_the_distribution(draws):
    counts = np.bincount(draws[2]["same row 20000"], minlength=4)
    p = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    assert counts[3] == 0
    assert np.all(np.abs(counts[:3] / 20000 - p) < 4 * np.sqrt(p * (1 - p) / 20000))     # 4 standard errors
