"""NLL-oracle (the synthetic benchmark's quality measure) and NLL-test."""
import numpy as np
import tensorflow as tf


@tf.function
def _sequence_nll(model, seqs):
    return -tf.reduce_sum(model.token_log_probs(seqs), axis=1)


@tf.function
def _tempered_sequence_nll(model, seqs, temperature):
    # the sampler's own division (models/language_model.py `complete`), so the scored model is the sampled one
    return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=seqs, logits=model(seqs) / temperature),
                         axis=1)


def sequence_nll(model, seqs, batch=1000, temperature=1.0):
    """Per-sequence NLL (summed over the T tokens) of seqs (N, T) under `model` (at `temperature`: its logits
    divided by it), as a numpy (N,) array. Batched because the (batch, T, V) logits of 10,000 sequences would
    need 4 GB at V = 5,000."""
    seqs = tf.convert_to_tensor(seqs, tf.int32)
    if temperature == 1.0:
        fn = _sequence_nll
    else:
        t = tf.constant(temperature, tf.float32)
        fn = lambda m, x: _tempered_sequence_nll(m, x, t)   # noqa: E731
    return np.concatenate([fn(model, seqs[i:i + batch]).numpy() for i in range(0, len(seqs), batch)])


def sample_many(gen, n, seed, batch=1000, temperature=1.0):
    """n sequences (n, T) numpy from gen, drawn `batch` at a time (bounded memory) from seeds split off `seed`."""
    seeds = tf.random.split(tf.cast(seed, tf.int64), (n + batch - 1) // batch)
    return np.concatenate([gen.sample(min(batch, n - i), seeds[i // batch], temperature).numpy()
                           for i in range(0, n, batch)])


def nll_oracle(oracle, gen, n, seed, batch=1000):
    """NLL-oracle: the oracle's mean per-token NLL of n sequences sampled from gen.
    Returns (mean per-token NLL, samples (n, T) numpy, per-sequence summed NLL (n,))."""
    samples = sample_many(gen, n, seed, batch)
    per_seq = sequence_nll(oracle, samples, batch)
    return float(per_seq.mean() / samples.shape[1]), samples, per_seq


def nll_test(gen, data, batch=1000, temperature=1.0):
    """G's mean per-token NLL on held-out sequences (N, T) (at `temperature`: the tempered model's)."""
    data = np.asarray(data)
    return float(sequence_nll(gen, data, batch, temperature).mean() / data.shape[1])
