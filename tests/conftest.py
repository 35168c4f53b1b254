import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqgan_tf import config  # noqa: E402
from seqgan_tf.models import Discriminator, Generator, Oracle  # noqa: E402
from seqgan_tf.train.pretrain import adam  # noqa: E402


class Smoke:
    """Tiny oracle / G / D with built optimizers, from the smoke preset."""

    def __init__(self, **overrides):
        keras.utils.set_random_seed(0)
        self.cfg = cfg = config.make("smoke", **overrides)
        self.oracle = Oracle.random(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, seed=cfg.oracle_seed)
        self.gen = Generator.from_config_obj(cfg, seed=1)
        self.disc = Discriminator.from_config_obj(cfg, seed=2)
        self.g_opt, self.d_opt = adam(cfg.g_lr, cfg.grad_clip), adam(cfg.d_lr)
        self.g_opt.build(self.gen.trainable_variables)
        self.d_opt.build(self.disc.trainable_variables)


@pytest.fixture
def smoke():
    return Smoke()


def seed(*xs):
    return tf.constant(xs, tf.int64)


def run_script(*args, timeout=300, **kwargs):
    """Run a reproduce script (or module) in a fresh Python; returns CompletedProcess."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""
