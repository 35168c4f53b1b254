"""What every token-level language model here shares (the LSTM G and oracle, the convolutional G): teacher-forced
logits and log-probabilities from `hidden_states`, and sampling one token at a time through `step`.

A subclass defines `initial_state(batch)`, `step(tokens, state) -> state` (state[0]: the top layer's output for
the step, (M, H)), `hidden_states(inputs) -> (B, T, H)` (causal: position t sees inputs ≤ t) and `logits(h)`.
"""
import keras
import tensorflow as tf
from tensorflow.python.framework import config as tf_config   # is_op_determinism_enabled: no public getter


def draw(logits, seed, block=100, chunk=4096):
    """One class per row of logits (M, V) drawn from softmax(logits), exactly, in two stages: a block of `block`
    classes by its total probability, then a class within that block by its own logits. TensorFlow's categorical
    kernel builds every row's CDF in scalar code; softmax and the block sums are vectorised, which makes this faster
    at V = 5,000 (sampling was half of a rollout's time). Small vocabularies go straight to the kernel."""
    return draw_from(tf.identity, logits, logits.shape[-1], seed, block, chunk)


def draw_from(logits_fn, h, V, seed, block=100, chunk=4096):
    """`draw` of logits_fn(h) (M, V), with the logits made and kept `chunk` rows at a time. Every step is row-wise
    (the same bits as whole), and memory holds the logits once, in equal pieces, rather than (M, V) logits, their
    softmax and temporaries of a new size at every step (a rollout's M reaches 19,456 rows, 389 MB per array at
    V = 5,000). The two draws see all M rows at once: the random stream (`categorical`) depends on the batch."""
    if V <= 2 * block:
        return categorical(logits_fn(h), seed)
    n_blocks = -(-V // block)
    n_chunks = (tf.shape(h)[0] + chunk - 1) // chunk
    pieces = tf.TensorArray(tf.float32, size=n_chunks, infer_shape=False, element_shape=[None, n_blocks, block])
    mass = tf.TensorArray(tf.float32, size=n_chunks, infer_shape=False, element_shape=[None, n_blocks])
    for i in tf.range(n_chunks):
        tf.autograph.experimental.set_loop_options(parallel_iterations=1)   # else chunks run (and are held) at once
        logits = logits_fn(h[i * chunk:(i + 1) * chunk])
        if V % block:
            logits = tf.pad(logits, [[0, 0], [0, -V % block]], constant_values=-float("inf"))   # never drawn
        pieces = pieces.write(i, tf.reshape(logits, [-1, n_blocks, block]))
        mass = mass.write(i, tf.reduce_sum(tf.reshape(tf.nn.softmax(logits), [-1, n_blocks, block]), axis=2))
    seed_block, seed_inner = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    b = categorical(tf.math.log(mass.concat()), seed_block)
    chosen = tf.TensorArray(tf.float32, size=n_chunks, infer_shape=False, element_shape=[None, block])
    for i in tf.range(n_chunks):
        chosen = chosen.write(i, tf.gather(pieces.read(i), b[i * chunk:(i + 1) * chunk], batch_dims=1))
    return b * block + categorical(chosen.concat(), seed_inner)


def categorical(logits, seed):
    """One class per row of logits (M, V) float32: the draws of `tf.random.stateless_categorical(logits, 1, seed)`
    on one CPU thread, on any number of threads.

    That kernel splits the rows among the intra-op threads and starts each thread's share at an offset of the random
    stream that depends on where the share starts, so on two threads it draws other classes for most rows than on one
    (the whole synthetic corpus changes with the thread count). Here the same arithmetic (float64 exp(logit - max),
    a running sum, one uniform in [0, 1) per row times the total, the first class whose running sum exceeds it) runs
    as whole-tensor ops whose random stream is laid out by element, not by thread. Bit-identical to the kernel on one
    thread (tests/test_sampling.py), so runs made with one thread keep their samples."""
    x = tf.cast(logits, tf.float64)
    cdf = tf.cumsum(tf.exp(x - tf.reduce_max(x, axis=1, keepdims=True)), axis=1)   # exp(-inf) = 0: never drawn
    u = tf.random.stateless_uniform(tf.shape(logits)[:1], seed, dtype=tf.float64)
    return tf.searchsorted(cdf, (u * cdf[:, -1])[:, None], side="right", out_type=tf.int32)[:, 0]


def token_nll(labels, logits):
    """-log softmax(logits)[label] over the last axis: `tf.nn.sparse_softmax_cross_entropy_with_logits`, faster.

    TensorFlow's CPU kernel computes exp twice and builds the loss and gradient in scalar generator loops, most of an
    MLE step at V = 5,000. The same arithmetic as vectorised ops is several times faster, and where V is a multiple of 8 (Eigen's packet width here: rows have no scalar tail) its gradient
    is bit-identical to the kernel's, so training is unchanged (tested); the loss may differ by one ulp (vectorised
    log). Other V keep the kernel, so their runs stay bit-identical too, and so does op determinism (`deterministic`
    runs), under which TensorFlow swaps the kernel for a log-softmax composite of other rounding."""
    if logits.shape[-1] % 8 or tf_config.is_op_determinism_enabled():      # trace-time switches
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reshape(_xent_rows(tf.reshape(labels, [-1]), tf.reshape(logits, [-1, logits.shape[-1]])),
                      tf.shape(labels))


@tf.custom_gradient
def _xent_rows(labels, logits):
    shifted = logits - tf.reduce_max(logits, axis=1, keepdims=True)
    e = tf.exp(shifted)
    total = tf.reduce_sum(e, axis=1, keepdims=True)
    loss = tf.math.log(total)[:, 0] - tf.gather(shifted, labels, batch_dims=1)

    def grad(upstream):
        return None, _xent_grad(e, total, labels, upstream)
    return loss, grad


@tf.function(jit_compile=True)
def _xent_grad(e, total, labels, upstream):
    """The kernel's gradient, softmax - one_hot(label), times the upstream per row: one XLA loop instead of five
    passes over the logits (a division, a subtraction and a product: nothing for XLA to contract, so exact)."""
    return upstream[:, None] * (e / total - tf.one_hot(labels, tf.shape(e)[1]))


class LanguageModel(keras.Model):
    """Token ids (B, T) -> next-token logits, generated from `start_token`; see the module docstring."""

    def __init__(self, vocab_size, seq_len, start_token=0, end_token=None, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.seq_len, self.start_token, self.end_token = vocab_size, seq_len, start_token, end_token

    def logits(self, h):
        return tf.matmul(h, self.w_out) + self.b_out

    # -- teacher forcing -----------------------------------------------------------------------------
    def shift_right(self, seqs):
        """Targets (B, T) -> inputs (B, T): the start token, then y_1 .. y_{T-1}."""
        start = tf.fill([tf.shape(seqs)[0], 1], tf.constant(self.start_token, seqs.dtype))
        return tf.concat([start, seqs[:, :-1]], axis=1)

    def call(self, seqs):
        """Teacher-forced next-token logits (B, T, V): logits[:, t] predicts seqs[:, t] from seqs[:, :t]."""
        h = self.hidden_states(self.shift_right(seqs))
        # One (B·T, H) @ (H, V) matmul: as a batched (B, T, H) @ (H, V) one, its w_out gradient goes through a
        # (B, H, V) intermediate, which made a training step 2.2x slower at V = 5,000.
        logits = self.logits(tf.reshape(h, [-1, self.hidden_dim]))
        return tf.reshape(logits, [tf.shape(seqs)[0], seqs.shape[1], self.vocab_size])

    def token_log_probs(self, seqs):
        """log G(y_t | Y_1:t-1) for every position, (B, T) float32."""
        return -token_nll(seqs, self(seqs))

    # -- sampling ------------------------------------------------------------------------------------
    def complete(self, prefix, keep, seed, temperature=1.0):
        """Row i keeps its first keep[i] tokens of `prefix` (M, T) and samples the rest.

        keep = 0 samples from scratch; keep = T returns `prefix`. `seed` (2,) int32 makes the draw
        reproducible (stateless sampling: the caller's tf.random.Generator holds the state).
        Logits are computed only for the rows that sample at step t, which halves rollout cost.
        `temperature` divides the logits (< 1: sharper, > 1: flatter); 1 is the model itself, used in training.
        With `end_token`, a sampled token that follows the end token is the end token (kept ones are untouched).
        """
        keep = tf.cast(keep, tf.int32)
        M = tf.shape(prefix)[0]
        state = self.initial_state(M)
        tok = tf.fill([M], tf.constant(self.start_token, tf.int32))
        out = tf.TensorArray(tf.int32, size=self.seq_len)
        for t in tf.range(self.seq_len):          # a tf.while_loop in graph mode, not unrolled
            state = self.step(tok, state)
            tok = self.next_token(state[0], tok, prefix, keep, t, seed, temperature)
            out = out.write(t, tok)
        return tf.transpose(out.stack())

    def next_token(self, h, tok, prefix, keep, t, seed, temperature):
        """The step-t token of each row: prefix[:, t] where the row keeps it, else drawn from the top-layer output
        h (M, H); `tok` is the step-t input (after an end token, only the end token follows)."""
        rows = tf.where(keep <= t)[:, 0]                                       # rows sampling at step t
        drawn = draw_from(lambda x: self.logits(x) / temperature, tf.gather(h, rows), self.vocab_size,
                          tf.random.experimental.stateless_fold_in(seed, t))
        sampled = tf.scatter_nd(rows[:, None], drawn, [tf.shape(prefix)[0]])
        if self.end_token is not None:             # trace-time switch: fixed-length models keep their graph
            sampled = tf.where(tok == self.end_token, self.end_token, sampled)
        return tf.where(t < keep, prefix[:, t], sampled)

    def sample(self, n, seed, temperature=1.0):
        """n sequences (n, T) int32 drawn from the model (at `temperature`, see `complete`)."""
        return self.complete(tf.zeros([n, self.seq_len], tf.int32), tf.zeros([n], tf.int32), seed,
                             tf.constant(temperature, tf.float32))

    def build_all(self):
        """Create and trace-proof every variable eagerly (call before any tf.function sees the model)."""
        self(tf.zeros([1, self.seq_len], tf.int32))
        return self
