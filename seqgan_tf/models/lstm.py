"""The LSTM language model shared by the generator G and the oracle (the cell of the authors' code).

Cell, as in the official generator.py / target_lstm.py (no peepholes, no forget-gate offset):
    i = σ(x Wi + h Ui + bi)   f = σ(x Wf + h Uf + bf)   o = σ(x Wo + h Uo + bo)
    c̃ = tanh(x Wc + h Uc + bc)   c = f⊙c + i⊙c̃   h = o⊙tanh(c)   logits = h W_out + b_out
The four gates are stored fused, in the order (i, f, o, c̃), so one matmul computes them all.
Generation starts from `start_token` with h = c = 0. With an `end_token` (variable-length corpora, padded with it
to a fixed length), every token sampled after the first end token is the end token again.
"""
import keras
import tensorflow as tf


def draw(logits, seed, block=100):
    """One class per row of logits (M, V) drawn from softmax(logits), exactly, in two stages: a block of `block`
    classes by its total probability, then a class within that block by its own logits. TensorFlow's categorical
    kernel builds every row's CDF in scalar code; softmax and the block sums are vectorised, which makes this faster
    at V = 5,000 (sampling was half of a rollout's time). Small vocabularies go straight to the kernel."""
    V = logits.shape[-1]
    if V <= 2 * block:
        return tf.random.stateless_categorical(logits, 1, seed, dtype=tf.int32)[:, 0]
    if V % block:
        logits = tf.pad(logits, [[0, 0], [0, -V % block]], constant_values=-float("inf"))   # never drawn
    blocks = tf.reshape(logits, [tf.shape(logits)[0], -(-V // block), block])
    mass = tf.reduce_sum(tf.reshape(tf.nn.softmax(logits), tf.shape(blocks)), axis=2)
    seed_block, seed_inner = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    b = tf.random.stateless_categorical(tf.math.log(mass), 1, seed_block, dtype=tf.int32)[:, 0]
    inner = tf.random.stateless_categorical(tf.gather(blocks, b, batch_dims=1), 1, seed_inner, dtype=tf.int32)
    return b * block + inner[:, 0]


class LSTMLanguageModel(keras.Model):
    """Token ids (B, T) -> next-token logits; every parameter initialised N(0, init_std²)."""

    def __init__(self, vocab_size, emb_dim, hidden_dim, seq_len, start_token=0, init_std=0.1, seed=None,
                 end_token=None, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.emb_dim, self.hidden_dim = vocab_size, emb_dim, hidden_dim
        self.seq_len, self.start_token, self.end_token = seq_len, start_token, end_token
        init = lambda i: keras.initializers.RandomNormal(stddev=init_std, seed=None if seed is None else seed + i)
        V, E, H = vocab_size, emb_dim, hidden_dim
        self.embedding = self.add_weight(shape=(V, E), initializer=init(0), name="embedding")
        self.w_x = self.add_weight(shape=(E, 4 * H), initializer=init(1), name="w_x")
        self.w_h = self.add_weight(shape=(H, 4 * H), initializer=init(2), name="w_h")
        self.b = self.add_weight(shape=(4 * H,), initializer=init(3), name="b")
        self.w_out = self.add_weight(shape=(H, V), initializer=init(4), name="w_out")
        self.b_out = self.add_weight(shape=(V,), initializer=init(5), name="b_out")

    # -- the cell ------------------------------------------------------------------------------------
    def initial_state(self, batch):
        zeros = tf.zeros([batch, self.hidden_dim])
        return zeros, zeros

    def _cell(self, xw, state):
        """xw: x W_x + b, (M, 4H) precomputed; state (h, c) -> new (h, c)."""
        h, c = state
        i, f, o, g = tf.split(xw + tf.matmul(h, self.w_h), 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        return h, c

    def step(self, tokens, state):
        """One step: previous tokens (M,) int32 and state -> (new state). Logits come from `logits(h)`."""
        xw = tf.matmul(tf.gather(self.embedding, tokens), self.w_x) + self.b
        return self._cell(xw, state)

    def logits(self, h):
        return tf.matmul(h, self.w_out) + self.b_out

    # -- teacher forcing -----------------------------------------------------------------------------
    def hidden_states(self, inputs):
        """Inputs (B, T) int32, the token fed at each step -> hidden states (B, T, H)."""
        xw = tf.matmul(tf.gather(self.embedding, inputs), self.w_x) + self.b        # (B, T, 4H), one matmul
        state = self.initial_state(tf.shape(inputs)[0])
        hs = []
        for t in range(inputs.shape[1]):        # static T: unrolled, which back-propagates faster on CPU
            state = self._cell(xw[:, t], state)
            hs.append(state[0])
        return tf.stack(hs, axis=1)

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
        return -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=seqs, logits=self(seqs))

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
            rows = tf.where(keep <= t)[:, 0]                                   # rows sampling at step t
            logits = self.logits(tf.gather(state[0], rows)) / temperature
            step_seed = tf.random.experimental.stateless_fold_in(seed, t)
            drawn = draw(logits, step_seed)
            sampled = tf.scatter_nd(rows[:, None], drawn, [M])
            if self.end_token is not None:         # trace-time switch: fixed-length models keep their graph
                sampled = tf.where(tok == self.end_token, self.end_token, sampled)   # `tok`: the step-t input
            tok = tf.where(t < keep, prefix[:, t], sampled)
            out = out.write(t, tok)
        return tf.transpose(out.stack())

    def sample(self, n, seed, temperature=1.0):
        """n sequences (n, T) int32 drawn from the model (at `temperature`, see `complete`)."""
        return self.complete(tf.zeros([n, self.seq_len], tf.int32), tf.zeros([n], tf.int32), seed,
                             tf.constant(temperature, tf.float32))

    def build_all(self):
        """Create and trace-proof every variable eagerly (call before any tf.function sees the model)."""
        self(tf.zeros([1, self.seq_len], tf.int32))
        return self
