"""Which tf.distribute strategy D lives under: MirroredStrategy over every GPU when there are several, else the
default (no-op) strategy, so a multi-GPU machine gets data-parallel D training without code changes.

Only D is distributed: its training is ~94% of the paper schedule's compute, and its variables mirrored on every
device also serve the rollout's D scoring. G (a 32-unit LSTM: per-step latency, not FLOPs, bounds it) stays on the
first device. Each D batch of `batch_size` is split evenly over the replicas; their gradients are summed (the loss
is scaled by 1/replicas), so the update equals the single-device one up to dropout masks and float rounding.
"""
import tensorflow as tf

_strategy = None


def strategy() -> tf.distribute.Strategy:
    """The strategy in use: chosen once, at first use (or set with `use`)."""
    global _strategy
    if _strategy is None:
        gpus = tf.config.list_logical_devices("GPU")
        _strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    return _strategy


def use(s: tf.distribute.Strategy | None):
    """Set the strategy (e.g. MirroredStrategy over logical CPU devices, for tests); None: choose again."""
    global _strategy
    _strategy = s


def replicas() -> int:
    return strategy().num_replicas_in_sync
