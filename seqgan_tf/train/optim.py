"""The optimizer every model trains with."""
import keras


def adam(lr, clip=None):
    """Adam as in TF1's AdamOptimizer (epsilon 1e-8), optional global-norm clip (official: 5.0 for G)."""
    return keras.optimizers.Adam(learning_rate=lr, epsilon=1e-8, global_clipnorm=clip)
