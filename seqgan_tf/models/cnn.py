"""A causal convolutional generator: gated linear units over dilated convolutions (Dauphin et al. 2017; WaveNet),
with the LSTM G's interface, so MLE, the rollout, policy gradient, the baselines and checkpoints take it unchanged
(Config.generator = "cnn").

    x_0(t) = E[y_{t-1}]                 (emb_dim channels; y_0 = the start token)
    [a, g] = Σ_j x_{l-1}(t - (k-1-j)·d_l) W_l[j] + b_l      (x(t) = 0 before the first position)
    x_l(t) = x_{l-1}(t) + a ⊙ σ(g)      (residual GLU layer l = 1..L)
    logits(t) = x_L(t) W_out + b_out
Kernel k = 3 with dilations 1, 2, 4, 8 lets position t see the 31 tokens before it, more than T = 20. At emb 32 it
has 350,000 parameters against the LSTM G's 333,000 (both dominated by the 5,000 × 32 embedding and output layer).

Sampling carries, per layer, the last (k-1)·d_l + 1 inputs of that layer as its state (`step`), so a new token
costs one position's convolutions; `complete_uncached` recomputes the whole prefix at every step instead (the
benchmark, experiments/generator_speed.py, times both; the tests check they draw the same tokens).
"""
import keras
import tensorflow as tf

from .language_model import LanguageModel


class CNNLanguageModel(LanguageModel):
    """Token ids (B, T) -> next-token logits through causal gated convolutions; parameters N(0, init_std²)."""

    def __init__(self, vocab_size, emb_dim=32, seq_len=20, start_token=0, init_std=0.1, seed=None, end_token=None,
                 kernel=3, dilations=(1, 2, 4, 8), **kwargs):
        super().__init__(vocab_size, seq_len, start_token, end_token, **kwargs)
        self.emb_dim = self.hidden_dim = emb_dim          # the residual stream keeps the embedding's width
        self.kernel, self.dilations = int(kernel), tuple(int(d) for d in dilations)
        init = lambda i: keras.initializers.RandomNormal(stddev=init_std, seed=None if seed is None else seed + i)
        V, E = vocab_size, emb_dim
        self.embedding = self.add_weight(shape=(V, E), initializer=init(0), name="embedding")
        for layer in range(len(self.dilations)):          # one attribute per variable: plain checkpoint names
            setattr(self, f"conv{layer}_w", self.add_weight(shape=(self.kernel, E, 2 * E),
                                                            initializer=init(10 + 2 * layer), name=f"conv{layer}_w"))
            setattr(self, f"conv{layer}_b", self.add_weight(shape=(2 * E,), initializer=init(11 + 2 * layer),
                                                            name=f"conv{layer}_b"))
        self.w_out = self.add_weight(shape=(E, V), initializer=init(4), name="w_out")
        self.b_out = self.add_weight(shape=(V,), initializer=init(5), name="b_out")

    @property
    def receptive_field(self) -> int:
        return 1 + (self.kernel - 1) * sum(self.dilations)

    def _gated(self):
        return [(d, getattr(self, f"conv{i}_w"), getattr(self, f"conv{i}_b")) for i, d in enumerate(self.dilations)]

    def _glu(self, x, taps, w, b):
        """x (M, E) plus the gated unit of the k inputs `taps` (oldest first), each (M, E)."""
        h = b + sum(tf.matmul(tap, w[j]) for j, tap in enumerate(taps))
        a, g = tf.split(h, 2, axis=-1)
        return x + a * tf.sigmoid(g)

    # -- teacher forcing -----------------------------------------------------------------------------
    def hidden_states(self, inputs):
        """Inputs (B, T) -> top-layer outputs (B, T, E), every position in parallel."""
        B, T, E = tf.shape(inputs)[0], inputs.shape[1], self.emb_dim
        x = tf.reshape(tf.gather(self.embedding, inputs), [-1, E])                    # (B·T, E)
        for d, w, b in self._gated():
            padded = tf.pad(tf.reshape(x, [B, T, E]), [[0, 0], [(self.kernel - 1) * d, 0], [0, 0]])
            taps = [tf.reshape(padded[:, j * d:j * d + T], [-1, E]) for j in range(self.kernel)]
            x = self._glu(x, taps, w, b)
        return tf.reshape(x, [B, T, E])

    # -- one token at a time -------------------------------------------------------------------------
    def initial_state(self, batch):
        """(top output, then per layer its last (k-1)·d + 1 inputs (batch, (k-1)·d + 1, E), zeros = padding)."""
        E = self.emb_dim
        return (tf.zeros([batch, E]),) + tuple(tf.zeros([batch, (self.kernel - 1) * d + 1, E])
                                              for d, _, _ in self._gated())

    def step(self, tokens, state):
        x = tf.gather(self.embedding, tokens)
        new = []
        for (d, w, b), window in zip(self._gated(), state[1:]):
            window = tf.concat([window[:, 1:], x[:, None]], axis=1)
            new.append(window)
            x = self._glu(x, [window[:, j * d] for j in range(self.kernel)], w, b)
        return (x, *new)

    def complete_uncached(self, prefix, keep, seed, temperature=1.0):
        """`complete` without the per-layer state: every step runs the convolutions over the whole prefix again
        (T times the work). Same seeds, same draws, so the same tokens wherever the logits agree."""
        keep = tf.cast(keep, tf.int32)
        M, T = tf.shape(prefix)[0], self.seq_len
        start = tf.fill([M, 1], tf.constant(self.start_token, tf.int32))
        inputs = tf.concat([start, tf.zeros([M, T - 1], tf.int32)], axis=1)
        cols = tf.range(T)[None, :]
        out = tf.TensorArray(tf.int32, size=T)
        for t in tf.range(T):
            h = self.hidden_states(inputs)[:, t]
            tok = self.next_token(h, inputs[:, t], prefix, keep, t, seed, temperature)
            out = out.write(t, tok)
            inputs = tf.where(cols == t + 1, tok[:, None], inputs)
        return tf.transpose(out.stack())


class CNNGenerator(CNNLanguageModel):
    """The convolutional policy; `complete` (and `complete_uncached`) are graphs, as the LSTM G's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.complete = tf.function(self.complete, reduce_retracing=True)
        self.complete_uncached = tf.function(self.complete_uncached, reduce_retracing=True)

    @classmethod
    def from_config_obj(cls, cfg, seed=None):
        return cls(cfg.vocab_size, cfg.emb_dim, cfg.seq_len, cfg.start_token, cfg.g_init_std, seed=seed,
                   end_token=None if cfg.end_token < 0 else cfg.end_token, kernel=cfg.cnn_kernel,
                   dilations=cfg.cnn_dilations).build_all()
