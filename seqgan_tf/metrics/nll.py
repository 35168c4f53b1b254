"""NLL-oracle (the synthetic benchmark's quality measure) and NLL-test."""
import numpy as np
import tensorflow as tf

from ..models.language_model import token_nll


@tf.function
def _sequence_nll(model, seqs, temperature, rows, scorer):
    """Per-sequence NLL of seqs (B, T): the hidden states in one pass, then the logits and their NLL `rows` rows at a
    time (bounded memory; all B·T rows at once are memory-bound)."""
    h = model.hidden_states(model.shift_right(seqs))
    h, labels = tf.reshape(h, [-1, h.shape[-1]]), tf.reshape(seqs, [-1])
    n = tf.shape(labels)[0]
    out = tf.TensorArray(tf.float32, size=(n + rows - 1) // rows, infer_shape=False)
    for i in tf.range((n + rows - 1) // rows):
        # the sampler's own division by the temperature (`LanguageModel.next_token`): the scored model is the sampled one
        logits = model.logits(h[i * rows:(i + 1) * rows]) / temperature
        out = out.write(i, scorer(labels[i * rows:(i + 1) * rows], logits))
    return tf.reduce_sum(tf.reshape(out.concat(), tf.shape(seqs)), axis=1)


def scored_nll(labels, logits, tiny=1e-30):
    """-log softmax(logits)[label] for evaluation (no gradient), as -log of the softmax kernel's probability: oneDNN's
    softmax on x86 makes scoring faster than the log-softmax (`token_nll`) that training needs (the benchmark, bench/,
    times both), with the same values to float32 rounding (tested). A probability below `tiny` would lose digits to
    float32's denormals or underflow; those rows (if any) take `token_nll`."""
    p = tf.gather(tf.nn.softmax(logits), labels, batch_dims=1)
    nll = -tf.math.log(p)
    return tf.cond(tf.reduce_any(p < tiny), lambda: tf.where(p < tiny, token_nll(labels, logits), nll), lambda: nll)


def sequence_nll(model, seqs, batch=1000, temperature=1.0, rows=512, scorer=scored_nll):
    """Per-sequence NLL (summed over the T tokens) of seqs (N, T) under `model` (at `temperature`: its logits
    divided by it), as a numpy (N,) array, `batch` sequences per graph call. `scorer(labels, logits)` gives each
    token's NLL (`token_nll`: training's log-softmax, which the benchmark in bench/ times beside it)."""
    seqs, t = tf.convert_to_tensor(seqs, tf.int32), tf.constant(temperature, tf.float32)
    return np.concatenate([_sequence_nll(model, seqs[i:i + batch], t, rows, scorer).numpy()
                           for i in range(0, len(seqs), batch)])


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
