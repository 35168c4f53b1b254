"""The optimizer every model trains with: Keras's Adam, its dense update fused into one pass on a CPU."""
import os
import re

import keras
import tensorflow as tf


FUSED_MIN_SIZE = 65536     # smaller variables gain little and would each cost an XLA compilation


class Adam(keras.optimizers.Adam):
    """keras.optimizers.Adam with the same arithmetic, bit for bit, in one XLA-compiled pass per dense variable.

    Keras updates each variable in ~12 elementwise passes (sub, mul, add, square, sqrt, div, ...), which are
    memory-bound: over a third of a D training step at one thread, D's highway alone being 5.9 M weights. XLA fuses them
    into one loop. It would contract a multiply and an add into an FMA and change the last bits, so `seqgan_tf`
    caps XLA's CPU code at AVX (XLA_FLAGS=--xla_cpu_max_isa=AVX, as TensorFlow's own kernels are built): the weights
    then equal Keras's exactly (tested). Sparse gradients (embeddings), small variables and GPUs keep Keras's update."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fused = (not self.amsgrad and not tf.config.list_logical_devices("GPU")
                       and re.findall(r"--xla_cpu_max_isa=(\S+)", os.environ.get("XLA_FLAGS", ""))[-1:] == ["AVX"])

    def update_step(self, gradient, variable, learning_rate):
        if (not self._fused or isinstance(gradient, tf.IndexedSlices) or variable.dtype != tf.float32
                or variable.shape.num_elements() < FUSED_MIN_SIZE):
            return super().update_step(gradient, variable, learning_rate)
        # alpha exactly as Keras computes it, outside XLA (its pow may differ from TensorFlow's)
        lr = tf.cast(learning_rate, variable.dtype)
        local_step = tf.cast(self.iterations + 1, variable.dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, variable.dtype), local_step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, variable.dtype), local_step)
        alpha = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        i = self._get_variable_index(variable)
        _fused_update(variable, self._momentums[i].value, self._velocities[i].value, tf.cast(gradient, tf.float32),
                      alpha, 1 - self.beta_1, 1 - self.beta_2, self.epsilon)


@tf.function(jit_compile=True)
def _fused_update(var, m, v, grad, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    """Keras's Adam.update_step, the same operations in the same order (Python floats become float32 constants there
    too)."""
    m.assign_add((grad - m) * one_minus_beta_1)
    v.assign_add((tf.square(grad) - v) * one_minus_beta_2)
    var.assign_sub((m * alpha) / (tf.sqrt(v) + epsilon))


def adam(lr, clip=None):
    """Adam as in TF1's AdamOptimizer (epsilon 1e-8), optional global-norm clip (official: 5.0 for G)."""
    return Adam(learning_rate=lr, epsilon=1e-8, global_clipnorm=clip)
