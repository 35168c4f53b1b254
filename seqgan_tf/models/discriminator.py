"""Discriminator D: the highway CNN of the paper (§4 and Appendix), as in the official discriminator.py.

ids (B, T) -> embedding (B, T, 64) -> for each window w, a convolution over the whole embedding width with
n_w filters + ReLU + max over time -> concat (1,720 features) -> one highway layer
y = t⊙relu(W_h x + b_h) + (1-t)⊙x, t = σ(W_t x + b_t) (gate bias 0) -> dropout (keep 0.75) -> 2 logits.
"""
import keras
import tensorflow as tf


class Discriminator(keras.Model):
    """`call` gives 2-class logits (fake, real); `prob_real` gives D(Y) = P(real | Y)."""

    def __init__(self, vocab_size, seq_len, emb_dim=64, filter_sizes=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20),
                 num_filters=(100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160), dropout_keep=0.75,
                 l2=0.2, seed=None, precision="float32", **kwargs):
        super().__init__(**kwargs)
        self.seq_len, self.dropout_keep, self.l2 = seq_len, dropout_keep, l2
        self.precision = tf.as_dtype(precision)     # of the convolutions and highway (weights stay float32)
        self.filter_sizes, self.num_filters = tuple(filter_sizes), tuple(num_filters)
        s = (lambda i: None) if seed is None else (lambda i: seed + i)
        F = sum(num_filters)
        # Initialisers as in the official code: uniform(-1, 1) embedding, truncated N(0, 0.1²) filters, bias 0.1.
        self.embedding = self.add_weight(shape=(vocab_size, emb_dim), name="embedding",
                                         initializer=keras.initializers.RandomUniform(-1.0, 1.0, seed=s(0)))
        self.conv_w, self.conv_b = [], []
        for k, (w, n) in enumerate(zip(filter_sizes, num_filters)):
            self.conv_w.append(self.add_weight(shape=(w, emb_dim, n), name=f"conv{w}_w",
                                               initializer=keras.initializers.TruncatedNormal(0.0, 0.1, s(10 + k))))
            self.conv_b.append(self.add_weight(shape=(n,), name=f"conv{w}_b",
                                               initializer=keras.initializers.Constant(0.1)))
        glorot = lambda i: keras.initializers.GlorotUniform(seed=s(i))
        self.highway_w = self.add_weight(shape=(F, 2 * F), initializer=glorot(1), name="highway_w")  # [W_h | W_t]
        self.highway_b = self.add_weight(shape=(2 * F,), initializer="zeros", name="highway_b")
        self.out_w = self.add_weight(shape=(F, 2), name="out_w",
                                     initializer=keras.initializers.TruncatedNormal(0.0, 0.1, s(2)))
        self.out_b = self.add_weight(shape=(2,), initializer=keras.initializers.Constant(0.1), name="out_b")

    @classmethod
    def from_config_obj(cls, cfg, seed=None):
        disc = cls(cfg.vocab_size, cfg.seq_len, cfg.d_emb_dim, cfg.d_filter_sizes, cfg.d_num_filters,
                   cfg.d_dropout_keep, cfg.d_l2, seed=seed, precision=cfg.d_precision)
        disc(tf.zeros([1, cfg.seq_len], tf.int32))     # build eagerly, before any tf.function sees it
        return disc

    def embed(self, seqs):
        """(B, T) int32 -> (B, T, E) in the working precision."""
        return tf.cast(tf.gather(self.embedding, seqs), self.precision)          # no-op cast in float32

    def window_maps(self, x, k):
        """relu(convolution + bias) of the k-th window size over embedded x (B, L, E): (B, L - w + 1, n_w)."""
        c = lambda v: tf.cast(v, self.precision)
        return tf.nn.relu(tf.nn.conv1d(x, c(self.conv_w[k]), stride=1, padding="VALID") + c(self.conv_b[k]))

    def head(self, pooled):
        """Max-pooled window features (B, F) -> highway-transformed features (B, F) float32."""
        h, t = tf.split(tf.matmul(pooled, tf.cast(self.highway_w, self.precision))
                        + tf.cast(self.highway_b, self.precision), 2, axis=1)
        t = tf.sigmoid(t)
        return tf.cast(t * tf.nn.relu(h) + (1.0 - t) * pooled, tf.float32)

    def features(self, seqs):
        """(B, T) int32 -> pooled, highway-transformed features (B, F)."""
        x = self.embed(seqs)
        return self.head(tf.concat([tf.reduce_max(self.window_maps(x, k), axis=1)
                                    for k in range(len(self.conv_w))], axis=1))

    def prob_real_of(self, features):
        """D(Y) from `features` (B, F), (B,)."""
        return tf.nn.softmax(tf.matmul(features, self.out_w) + self.out_b)[:, 1]

    def call(self, seqs, training=False, seed=None):
        """Logits (B, 2) over (fake, real). With training=True, dropout uses the stateless `seed` (2,)."""
        x = self.features(seqs)
        if training and self.dropout_keep < 1.0:
            x = tf.nn.experimental.stateless_dropout(x, rate=1.0 - self.dropout_keep, seed=seed)
        return tf.matmul(x, self.out_w) + self.out_b

    def prob_real(self, seqs):
        """D(Y): probability that each sequence is real, (B,)."""
        return self.prob_real_of(self.features(seqs))

    def regularization(self):
        """The official L2 term: lambda * (l2_loss(W_out) + l2_loss(b_out)), l2_loss(x) = sum(x²)/2."""
        return self.l2 * (tf.nn.l2_loss(self.out_w) + tf.nn.l2_loss(self.out_b))
