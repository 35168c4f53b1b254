"""D training under tf.distribute: MirroredStrategy over two logical CPU devices (the multi-GPU code path, on
a CPU-only machine) gives the single-device update and D still learns. Runs in a subprocess: logical devices
must be configured before TensorFlow initialises."""
import textwrap

from conftest import ROOT, ahead, run_script

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from seqgan_tf import config
    from seqgan_tf.models import Oracle
    from seqgan_tf.train import distribute
    from seqgan_tf.train.state import State
    from seqgan_tf.train.pretrain import d_accuracy, d_train

    cfg = config.make("smoke", d_dropout_keep=1.0, d_lr=1e-3)      # no dropout: the two updates must agree
    oracle = Oracle.random(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, seed=0)
    seed = lambda *xs: tf.constant(xs, tf.int64)
    real = oracle.sample(512, seed(0, 0))
    noise = tf.random.stateless_uniform([512, cfg.seq_len], seed(1, 1), 0, cfg.vocab_size, tf.int32)

    def trained():
        s = State.build(cfg).models
        before = float(d_accuracy(s.disc, real, noise))
        loss, acc = d_train(s.disc, s.d_opt, real, noise, 3, 32, seed(4, 4))
        return s, before, float(d_accuracy(s.disc, real, noise)), float(loss)

    one, _, _, loss1 = trained()
    distribute.use(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    two, before, after, loss2 = trained()
    assert distribute.replicas() == 2
    assert isinstance(two.disc.embedding.value, tf.distribute.DistributedValues) or \\
        "Mirrored" in type(two.disc.embedding.value).__name__, type(two.disc.embedding.value)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(one.disc.get_weights(), two.disc.get_weights()))
    assert diff < 1e-4, diff
    assert abs(loss1 - loss2) < 1e-4, (loss1, loss2)
    assert after > 0.75 and after > before + 0.1, (before, after)
    print("ok", diff, before, after)
""")


@ahead.job()
def mirrored(tmp):
    return run_script("-c", SCRIPT, ROOT, timeout=600)


def test_mirrored_d_training_matches_single_device_and_learns():
    """D training mirrored over two logical CPUs equals one device's update, and D learns."""
    out = ahead.result(mirrored)
    assert out.returncode == 0 and "ok" in out.stdout, out.stdout[-2000:] + out.stderr[-3000:]
