"""The released code's computation, in TF1 graph mode, for timing beside this library in one process.

A re-implementation of the structure the authors' TF1 code runs (LantaoYu/SeqGAN: generator.py, discriminator.py,
rollout.py, target_lstm.py), not their code: the same graphs built with `tf.compat.v1` in a private `tf.Graph`,
driven by the same Python loops and `Session.run` calls with feed_dicts, at this Config's sizes. Its parts, as there:
- G and the oracle: an LSTM written out gate by gate in a `tf.while_loop` over T (one TensorArray write a step),
  sampling with `multinomial` on the log-softmax; MLE loss = −Σ one_hot · log clip(softmax) / (B·T), Adam with the
  global-norm clip; the policy gradient weights the same log-probabilities by the rewards.
- D: a 4-D `conv2d` per window over (B, T, emb, 1) with max-pooling, highway, dropout and the L2 term, Adam.
- The rollout: for each of N rollouts and each prefix length g < T, one `Session.run` of a graph that reads the
  first g tokens then samples the rest, and one `Session.run` of D; at g = T, D on the sequences themselves.
- An NLL-oracle evaluation generates in batches of B and scores each batch with the oracle's loss graph (in memory:
  the released code writes the samples to a file and reads them back, which is left out here).
Only timing uses this module: nothing trains with it, and its weights are random (values do not change the work).
It builds with TensorFlow 2's graph defaults (while_v2, resource variables), not under `disable_v2_behavior`: the
authors' own code, ported and timed in BASELINE.md on a machine of the same type, took about twice this module's time
per MLE epoch and g-step, so ratios against it are conservative.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from seqgan_tf.train.projection import median_time

v1 = tf.compat.v1


def _normal(shape, std=0.1):
    return tf.Variable(v1.random_normal(shape, stddev=std))


class _LSTM:
    """The released LSTM policy: embeddings, four gates as separate (W, U, b), the output layer; graphs for
    sampling, teacher-forced token probabilities, and (when `given`) completing a prefix."""

    def __init__(self, cfg):
        V, E, H = cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim
        self.V, self.T, self.H = V, cfg.seq_len, H
        self.emb = _normal([V, E])
        self.gates = [(_normal([E, H]), _normal([H, H]), _normal([H])) for _ in range(4)]
        self.w_out, self.b_out = _normal([H, V]), _normal([V])
        self.params = [self.emb, *(p for g in self.gates for p in g), self.w_out, self.b_out]

    def step(self, x, state):
        h, c = tf.unstack(state)
        i, f, o, g = (x @ W + h @ U + b for W, U, b in self.gates)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        return tf.stack([h, c])

    def logits(self, state):
        return tf.unstack(state)[0] @ self.w_out + self.b_out

    def sample(self, batch, start=0, given=None, given_num=None):
        """(batch, T) int32 tokens; with `given` (batch, T) and the scalar `given_num`, its first given_num tokens
        are read (teacher-forced state) and the rest sampled, as the released rollout does."""
        state0 = tf.zeros([2, batch, self.H])
        x0 = tf.nn.embedding_lookup(self.emb, tf.fill([batch], start))
        out = tf.TensorArray(tf.int32, size=self.T)
        i0 = tf.constant(0)
        if given is not None:
            given_t = tf.TensorArray(tf.int32, size=self.T).unstack(tf.transpose(given))

            def read(i, x, state, out):
                state = self.step(x, state)
                token = given_t.read(i)
                return i + 1, tf.nn.embedding_lookup(self.emb, token), state, out.write(i, token)
            i0, x0, state0, out = tf.while_loop(lambda i, *_: i < given_num, read, (i0, x0, state0, out))

        def draw(i, x, state, out):
            state = self.step(x, state)
            log_p = tf.math.log(tf.nn.softmax(self.logits(state)))
            token = tf.cast(tf.reshape(v1.multinomial(log_p, 1), [batch]), tf.int32)
            return i + 1, tf.nn.embedding_lookup(self.emb, token), state, out.write(i, token)
        *_, out = tf.while_loop(lambda i, *_: i < self.T, draw, (i0, x0, state0, out))
        return tf.transpose(out.stack())

    def token_log_probs(self, x, start=0):
        """log clip(softmax) of each observed token (batch, T), teacher-forced, as the released losses use."""
        batch = tf.shape(x)[0]
        inputs = tf.TensorArray(tf.float32, size=self.T).unstack(
            tf.transpose(tf.nn.embedding_lookup(self.emb, x), [1, 0, 2]))
        probs = tf.TensorArray(tf.float32, size=self.T)

        def body(i, x_t, state, probs):
            state = self.step(x_t, state)
            return i + 1, inputs.read(i), state, probs.write(i, tf.nn.softmax(self.logits(state)))
        x0 = tf.nn.embedding_lookup(self.emb, tf.fill([batch], start))
        *_, probs = tf.while_loop(lambda i, *_: i < self.T, body,
                                  (tf.constant(0), x0, tf.zeros([2, batch, self.H]), probs))
        p = tf.reshape(tf.transpose(probs.stack(), [1, 0, 2]), [-1, self.V])
        picked = tf.reduce_sum(tf.one_hot(tf.reshape(x, [-1]), self.V) * tf.math.log(tf.clip_by_value(p, 1e-20, 1.)), 1)
        return tf.reshape(picked, [batch, self.T])


class _CNN:
    """The released D: 4-D conv2d + max-pool per window, highway, dropout, softmax output with L2."""

    def __init__(self, cfg, x, keep):
        T, E = cfg.seq_len, cfg.d_emb_dim
        emb = tf.Variable(v1.random_uniform([cfg.vocab_size, E], -1.0, 1.0))
        h = tf.expand_dims(tf.nn.embedding_lookup(emb, x), -1)
        pooled = []
        for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters):
            W, b = tf.Variable(v1.truncated_normal([w, E, 1, n], stddev=0.1)), tf.Variable(tf.fill([n], 0.1))
            conv = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, W, [1, 1, 1, 1], "VALID"), b))
            pooled.append(tf.nn.max_pool2d(conv, [1, T - w + 1, 1, 1], [1, 1, 1, 1], "VALID"))
        F = sum(cfg.d_num_filters)
        flat = tf.reshape(tf.concat(pooled, 3), [-1, F])
        Wg, bg, Wt, bt = _normal([F, F]), tf.Variable(tf.zeros([F])), _normal([F, F]), tf.Variable(tf.fill([F], -2.0))
        g, t = tf.nn.relu(flat @ Wg + bg), tf.sigmoid(flat @ Wt + bt)
        h = tf.nn.dropout(t * g + (1. - t) * flat, rate=1. - keep)
        Wo, bo = tf.Variable(v1.truncated_normal([F, 2], stddev=0.1)), tf.Variable(tf.fill([2], 0.1))
        scores = h @ Wo + bo
        self.prob = tf.nn.softmax(scores)
        self.y = v1.placeholder(tf.float32, [None, 2])
        xent = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=self.y, logits=scores))
        self.loss = xent + cfg.d_l2 * (tf.nn.l2_loss(Wo) + tf.nn.l2_loss(bo))
        self.train = v1.train.AdamOptimizer(cfg.d_lr).minimize(self.loss)


def _clipped_adam(loss, params, lr, clip):
    grads, _ = tf.clip_by_global_norm(tf.gradients(loss, params), clip)
    return v1.train.AdamOptimizer(lr).apply_gradients(zip(grads, params))


class ReleasedGraph:
    """The released code's graphs at cfg's sizes in one Session; each method is one phase, driven as there."""

    def __init__(self, cfg, seed=0):
        self.cfg, B, T = cfg, cfg.batch_size, cfg.seq_len
        self.graph = tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            self.oracle, self.gen, self.rollout_gen = _LSTM(cfg), _LSTM(cfg), _LSTM(cfg)
            self.x = v1.placeholder(tf.int32, [B, T])
            self.rewards = v1.placeholder(tf.float32, [B, T])
            self.given_num = v1.placeholder(tf.int32, [])
            self.oracle_sample, self.gen_sample = self.oracle.sample(B), self.gen.sample(B)
            self.completion = self.rollout_gen.sample(B, given=self.x, given_num=self.given_num)
            self.oracle_nll = -tf.reduce_mean(self.oracle.token_log_probs(self.x))
            log_p = self.gen.token_log_probs(self.x)
            self.mle_loss = -tf.reduce_mean(log_p)
            self.mle = _clipped_adam(self.mle_loss, self.gen.params, cfg.g_lr, cfg.grad_clip)
            self.pg = _clipped_adam(-tf.reduce_sum(log_p * self.rewards), self.gen.params, cfg.g_lr, cfg.grad_clip)
            self.d_x, self.keep = v1.placeholder(tf.int32, [None, T]), v1.placeholder_with_default(1.0, [])
            self.disc = _CNN(cfg, self.d_x, self.keep)
            beta = cfg.rollout_beta        # the released rollout network follows G with a delayed update
            self.rollout_update = [r.assign(beta * r + (1 - beta) * g)
                                   for r, g in zip(self.rollout_gen.params, self.gen.params)]
            init = v1.global_variables_initializer()
        threads = v1.ConfigProto(intra_op_parallelism_threads=tf.config.threading.get_intra_op_parallelism_threads(),
                                 inter_op_parallelism_threads=tf.config.threading.get_inter_op_parallelism_threads())
        self.sess = v1.Session(graph=self.graph, config=threads)
        self.sess.run(init)
        self.np_rng = np.random.default_rng(seed)
        self.real = self.generate(self.oracle_sample, cfg.num_samples)

    def generate(self, op, n):
        """n sequences, one Session.run per batch of B (the released generate_samples)."""
        B = self.cfg.batch_size
        return np.concatenate([self.sess.run(op) for _ in range(-(-n // B))])[:n]

    def oracle_samples(self):
        return self.generate(self.oracle_sample, self.cfg.num_samples)

    def mle_epoch(self):
        B, data = self.cfg.batch_size, self.real[self.np_rng.permutation(len(self.real))]
        for k in range(len(data) // B):
            self.sess.run(self.mle, {self.x: data[k * B:(k + 1) * B]})

    def nll_oracle_eval(self):
        B, samples = self.cfg.batch_size, self.generate(self.gen_sample, self.cfg.eval_samples)
        return float(np.mean([self.sess.run(self.oracle_nll, {self.x: samples[k * B:(k + 1) * B]})
                              for k in range(len(samples) // B)]))

    def d_step(self):
        """This Config's d-step (as many fresh negatives and positives as `train.pretrain.d_step` takes, d_epochs
        epochs of batches of B, dropout on), driven by the released loader's Python loop."""
        cfg, B = self.cfg, self.cfg.batch_size
        fake = self.generate(self.gen_sample, cfg.n_negatives)
        real = self.real[self.np_rng.permutation(len(self.real))[:min(cfg.n_negatives, len(self.real))]]
        x = np.concatenate([real, fake])
        y = np.concatenate([np.tile([0., 1.], (len(real), 1)), np.tile([1., 0.], (len(fake), 1))]).astype(np.float32)
        for _ in range(cfg.d_epochs):
            order = self.np_rng.permutation(len(x))
            for k in range(len(x) // B):
                pick = order[k * B:(k + 1) * B]
                self.sess.run(self.disc.train, {self.d_x: x[pick], self.disc.y: y[pick], self.keep: cfg.d_dropout_keep})

    def rollout_rewards(self, seqs):
        """(B, T) rewards: N x (T−1) completion runs and D runs, then D on the sequences (the released get_reward)."""
        T, n = self.cfg.seq_len, self.cfg.rollout_num
        rewards = np.zeros((T, len(seqs)), np.float32)
        for _ in range(n):
            for g in range(1, T):
                done = self.sess.run(self.completion, {self.x: seqs, self.given_num: g})
                rewards[g - 1] += self.sess.run(self.disc.prob, {self.d_x: done})[:, 1]
            rewards[T - 1] += self.sess.run(self.disc.prob, {self.d_x: seqs})[:, 1]
        return rewards.T / n

    def g_step(self):
        """One adversarial g-step: sample B sequences, the rollout's rewards, the policy-gradient update, the
        rollout network's delayed update."""
        seqs = self.sess.run(self.gen_sample)
        self.sess.run(self.pg, {self.x: seqs, self.rewards: self.rollout_rewards(seqs)})
        self.sess.run(self.rollout_update)

    def close(self):
        self.sess.close()


# Each of this library's benchmark phases (timing.PHASES) and the released graph's same work.
PHASES = {"oracle_sample": "oracle_samples", "mle_epoch": "mle_epoch", "nll_oracle_eval": "nll_oracle_eval",
          "d_step": "d_step", "rollout_pg_step": "g_step"}


def time_phases(cfg, phases, ours, repeats=3, log=print):
    """{phase: {"median_s", "runs_s", "ours_median_s", "ours_runs_s"}} for each of `phases` the released graph has:
    it and this library's function for the phase (`ours`: {phase: function}) timed alternately, `repeats` pairs
    after a warm-up of each, so that a ratio compares runs minutes apart at most, not a machine that has drifted
    between the start and the end of a long benchmark."""
    ref, out = ReleasedGraph(cfg), {}
    try:
        for name in (p for p in phases if p in PHASES):
            theirs = getattr(ref, PHASES[name])
            theirs(), ours[name]()                                              # warm-ups (tracing, graphs)
            pairs = [(median_time(ours[name], 1, warm=False)[0], median_time(theirs, 1, warm=False)[0])
                     for _ in range(repeats)]
            mine, rel = zip(*pairs)
            out[name] = {"median_s": float(np.median(rel)), "runs_s": [round(t, 4) for t in rel],
                         "ours_median_s": float(np.median(mine)), "ours_runs_s": [round(t, 4) for t in mine]}
            log(f"{'released ' + name:>28}: median {out[name]['median_s']:8.3f} s   (runs {out[name]['runs_s']}); "
                f"this library alternately {out[name]['ours_median_s']:.3f} s")
    finally:
        ref.close()
    return out
