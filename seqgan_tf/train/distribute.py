"""Which tf.distribute strategy D lives under: MirroredStrategy over every GPU when there are several, else the
default (no-op) strategy, so a multi-GPU machine gets data-parallel D training without code changes.
SEQGAN_STRATEGY=default (environment) keeps one device; batch_size must divide by the number of GPUs otherwise.

Only D is distributed: its training is ~94% of the paper schedule's compute, and its variables mirrored on every
device also serve the rollout's D scoring. G (a 32-unit LSTM: per-step latency, not FLOPs, bounds it) stays on the
first device. Each D batch of `batch_size` is split evenly over the replicas; their gradients are summed (the loss
is scaled by 1/replicas), so the update equals the single-device one up to dropout masks and float rounding.
"""
import os

import tensorflow as tf

_strategy = None


def strategy() -> tf.distribute.Strategy:
    """The strategy in use: chosen once, at first use (or set with `use`)."""
    global _strategy
    if _strategy is None:
        several = len(tf.config.list_logical_devices("GPU")) > 1
        wanted = os.environ.get("SEQGAN_STRATEGY", "auto")
        if wanted not in ("auto", "default"):
            raise ValueError(f"SEQGAN_STRATEGY must be 'auto' or 'default', got {wanted!r}")
        _strategy = tf.distribute.MirroredStrategy() if several and wanted == "auto" else tf.distribute.get_strategy()
    return _strategy


def use(s: tf.distribute.Strategy | None):
    """Set the strategy (e.g. MirroredStrategy over logical CPU devices, for tests); None: choose again."""
    global _strategy
    _strategy = s


def replicas() -> int:
    return strategy().num_replicas_in_sync


def discriminator(cfg, seed=None, **overrides):
    """D of cfg (fields replaced by `overrides`) and its built Adam, created under the strategy's scope."""
    import dataclasses
    from ..models import Discriminator
    from .optim import adam
    with strategy().scope():
        disc = Discriminator.from_config_obj(dataclasses.replace(cfg, **overrides), seed=seed)
        opt = adam(cfg.d_lr)
        opt.build(disc.trainable_variables)
    return disc, opt
