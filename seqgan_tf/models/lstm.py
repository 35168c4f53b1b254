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

from .language_model import LanguageModel


class LSTMLanguageModel(LanguageModel):
    """Token ids (B, T) -> next-token logits; every parameter initialised N(0, init_std²)."""

    def __init__(self, vocab_size, emb_dim, hidden_dim, seq_len, start_token=0, init_std=0.1, seed=None,
                 end_token=None, **kwargs):
        super().__init__(vocab_size, seq_len, start_token, end_token, **kwargs)
        self.emb_dim, self.hidden_dim = emb_dim, hidden_dim
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

    def hidden_states(self, inputs):
        """Inputs (B, T) int32, the token fed at each step -> hidden states (B, T, H)."""
        xw = tf.matmul(tf.gather(self.embedding, inputs), self.w_x) + self.b        # (B, T, 4H), one matmul
        state = self.initial_state(tf.shape(inputs)[0])
        hs = []
        # static T: unrolled, which back-propagates faster on CPU; unstack, whose gradient is one stack, not T
        # (B, T, 4H) slice gradients of zeros summed (the same values: every position is written once)
        for xw_t in tf.unstack(xw, axis=1):
            state = self._cell(xw_t, state)
            hs.append(state[0])
        return tf.stack(hs, axis=1)

