"""MLE, D training, rollout rewards, the delayed rollout policy, the policy-gradient step and Adam's state."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import Smoke, seed

from seqgan_tf.experiments.step_scale import adam_state
from seqgan_tf.metrics.nll import nll_oracle
from seqgan_tf.train.rollout import (prob_real_chunked, prob_real_completions, rollout_completions, rollout_rewards,
                                     track)
from seqgan_tf.train.seqgan import pg_step
from seqgan_tf.train.optim import adam
from seqgan_tf.train.pretrain import d_accuracy, d_train, mle_epoch


def test_mle_lowers_nll_oracle(smoke):
    """Eight MLE epochs on oracle samples lower NLL-oracle clearly."""
    real = smoke.oracle.sample(1024, seed(0, 0))
    before, _, _ = nll_oracle(smoke.oracle, smoke.gen, 1000, seed(9, 9))
    for e in range(8):
        mle_epoch(smoke.gen, smoke.g_opt, real, 32, seed(1, e))
    after, _, _ = nll_oracle(smoke.oracle, smoke.gen, 1000, seed(9, 9))
    assert after < before - 0.3, (before, after)


def test_d_learns_to_separate_real_from_noise(smoke):
    """D training on real vs uniform noise raises held-out accuracy above 0.75."""
    real = smoke.oracle.sample(1024, seed(0, 0))
    noise = tf.random.stateless_uniform([1024, smoke.cfg.seq_len], seed(1, 1), 0, smoke.cfg.vocab_size, tf.int32)
    held_real = smoke.oracle.sample(512, seed(2, 2))
    held_noise = tf.random.stateless_uniform([512, smoke.cfg.seq_len], seed(3, 3), 0, smoke.cfg.vocab_size, tf.int32)
    before = float(d_accuracy(smoke.disc, held_real, held_noise))
    opt = adam(1e-3)                 # the paper's 1e-4 needs more steps than a unit test should take
    opt.build(smoke.disc.trainable_variables)
    d_train(smoke.disc, opt, real, noise, 4, 32, seed(4, 4))
    after = float(d_accuracy(smoke.disc, held_real, held_noise))
    assert after > 0.75 and after > before + 0.1, (before, after)


def test_rollout_shape_and_last_step_is_d_score(smoke):
    """Q is (B, T) in [0, 1] and Q_T is D of the sequence itself."""
    seqs = smoke.gen.sample(8, seed(0, 1))
    q = rollout_rewards(smoke.gen, smoke.disc, seqs, 4, seed(0, 2), 64)
    assert q.shape == (8, smoke.cfg.seq_len)
    np.testing.assert_allclose(q[:, -1], smoke.disc.prob_real(seqs), rtol=1e-5)
    assert ((0 <= q.numpy()) & (q.numpy() <= 1)).all()


def test_rollout_rewards_score_completions_of_each_prefix():
    """With a G that always emits token 3, the completion of prefix Y_1:t is Y_1:t + [3] * (T - t), so
    Q_t must equal D of exactly that sequence: this pins prefix lengths, batch order and the mean over N."""
    s = Smoke()
    T, V = s.cfg.seq_len, s.cfg.vocab_size
    seqs = tf.constant(np.random.RandomState(0).randint(0, V, size=(5, T)), tf.int32)
    s.gen.b_out.assign(tf.one_hot(3, V) * 1e4)
    q = rollout_rewards(s.gen, s.disc, seqs, 3, seed(1, 1), 7).numpy()     # chunk 7: exercises chunking
    for t in range(1, T):
        expected = np.concatenate([seqs.numpy()[:, :t], np.full((5, T - t), 3)], axis=1)
        np.testing.assert_allclose(q[:, t - 1], s.disc.prob_real(expected), rtol=1e-5)


@pytest.mark.parametrize("chunk,precision", [(7, "float32"), (1024, "float32"), (7, "bfloat16")])
def test_completions_scored_with_shared_prefixes(chunk, precision):
    """D of the rollout's completions, with the windows inside each kept prefix convolved once per sequence, equals
    D of every completion scored whole to float rounding: a convolution's bits can depend on its batch's shape, so a
    rare probability moves by an ulp or two, where a wrong window would move it by ~1e-3; chunk 7: a block of
    completions spans chunks."""
    s = Smoke(d_precision=precision)
    for k in range(4):
        seqs = s.gen.sample(5, seed(0, k))
        done = rollout_completions(s.gen, seqs, 3, seed(1, k))
        shared = prob_real_completions(s.disc, seqs, done, 3, chunk).numpy()
        whole = prob_real_chunked(s.disc, done, chunk).numpy()
        if precision == "float32":
            np.testing.assert_array_max_ulp(shared, whole, maxulp=4)
        else:                             # a bfloat16 feature that rounds the other way moves D by its 2**-8 step
            np.testing.assert_allclose(shared, whole, rtol=2 ** -8)
        assert shared.shape == (done.shape[0],) and np.std(shared) > 1e-3


def test_rollout_is_a_monte_carlo_mean():
    """Stochastic G: Q from N = 1 varies with the seed, and Q from large N approaches its expectation."""
    s = Smoke()
    seqs = s.gen.sample(4, seed(0, 1))
    one = [rollout_rewards(s.gen, s.disc, seqs, 1, seed(2, k), 1024).numpy() for k in range(40)]
    big = rollout_rewards(s.gen, s.disc, seqs, 64, seed(3, 3), 1024).numpy()
    assert np.std(one, axis=0)[:, :-1].mean() > 0                                  # prefixes: stochastic
    np.testing.assert_allclose(np.std(one, axis=0)[:, -1], 0, atol=1e-6)           # t = T: deterministic
    np.testing.assert_allclose(big, np.mean(one, axis=0), atol=4 * np.std(one, axis=0).max() / np.sqrt(40) + 1e-6)


def test_delayed_rollout_update():
    """track: w_r <- 0.8 w_r + 0.2 w_g, the embedding copied."""
    s = Smoke()
    from seqgan_tf.models import Generator
    roll = Generator.from_config_obj(s.cfg, seed=7)
    before_r = [w.numpy() for w in roll.weights]
    g = [w.numpy() for w in s.gen.weights]
    track(roll, s.gen, 0.8)
    for w, r0, g0 in zip(roll.weights, before_r, g):
        expected = g0 if w is roll.embedding else 0.8 * r0 + 0.2 * g0
        np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6)


def test_current_policy_rollouts_follow_latest_g():
    """rollout_policy="current": the rollout network is G itself, so a change to G shows in the next rewards."""
    from seqgan_tf.train.state import State
    cfg = Smoke().cfg
    st = State.build(cfg).models
    assert st.rollout_gen is st.gen
    T, V = cfg.seq_len, cfg.vocab_size
    seqs = tf.zeros([3, T], tf.int32)
    st.gen.b_out.assign(tf.one_hot(5, V) * 1e4)
    q = rollout_rewards(st.rollout_gen, st.disc, seqs, 2, seed(0, 0), 64).numpy()
    expected = np.concatenate([np.zeros((3, 1), np.int32), np.full((3, T - 1), 5, np.int32)], axis=1)
    np.testing.assert_allclose(q[:, 0], st.disc.prob_real(expected), rtol=1e-5)
    delayed = State.build(Smoke(rollout_policy="delayed").cfg).models
    assert delayed.rollout_gen is not delayed.gen


def test_pg_step_raises_log_prob_of_rewarded_sequences(smoke):
    """Ten PG steps raise the log-probability of rewarded sequences, not of unrewarded ones."""
    seqs = smoke.gen.sample(32, seed(0, 0))
    rewards = tf.concat([tf.ones([16, smoke.cfg.seq_len]), tf.zeros([16, smoke.cfg.seq_len])], axis=0)
    before = tf.reduce_sum(smoke.gen.token_log_probs(seqs), axis=1).numpy()
    for _ in range(10):
        pg_step(smoke.gen, smoke.g_opt, seqs, rewards)
    after = tf.reduce_sum(smoke.gen.token_log_probs(seqs), axis=1).numpy()
    rewarded, ignored = (after - before)[:16].mean(), (after - before)[16:].mean()
    assert rewarded > 0.3 and rewarded > ignored + 0.3, (rewarded, ignored)


def test_summed_pg_loss_is_the_mean_loss_with_clip_and_epsilon_batch_times_smaller():
    """pg_loss="sum" (as released) reports batch x the mean loss (and gradient norm) and steps exactly as the mean
    loss would under a global-norm clip and an Adam epsilon both batch times smaller; under the same clip the two
    differ once the rewards change scale (here: a hundredfold smaller after five steps)."""
    from seqgan_tf.train.optim import Adam
    seqs = Smoke().gen.sample(32, seed(0, 0))
    rewards = tf.random.stateless_uniform(seqs.shape, seed(1, 1))
    clip, B, runs = 0.05, 32, []
    for summed, opt in ((True, adam(0.01, clip)), (False, Adam(0.01, epsilon=1e-8 / B, global_clipnorm=clip / B)),
                        (False, adam(0.01, clip))):
        s = Smoke()
        opt.build(s.gen.trainable_variables)
        steps = [pg_step(s.gen, opt, seqs, rewards * (1.0 if k < 5 else 0.01), summed) for k in range(10)]
        runs.append((np.concatenate([w.ravel() for w in s.gen.get_weights()]), np.array(steps, np.float64)))
    (summed, summed_steps), (tighter, mean_steps), (mean, _) = runs
    np.testing.assert_allclose(summed_steps, B * mean_steps, rtol=1e-4)       # losses and pre-clip gradient norms
    assert (summed_steps[:, 1] > clip).all()                                 # the clip acts on every summed step
    np.testing.assert_allclose(summed, tighter, atol=1e-6)
    assert np.abs(mean - summed).max() > 1e-3


def test_fused_adam_equals_keras_adam_bit_for_bit():
    """train/optim.Adam (one XLA pass per large dense variable, XLA capped at AVX by `runtime.configure()`) gives
    exactly Keras's weights, with a clipped norm as G's and a sparse gradient as embeddings get."""
    import keras
    from seqgan_tf.train import optim
    rs = np.random.RandomState(0)
    init = [rs.randn(300, 400).astype(np.float32), rs.randn(400).astype(np.float32), rs.randn(50, 8).astype(np.float32)]
    runs = []
    for opt in (keras.optimizers.Adam(0.01, epsilon=1e-8, global_clipnorm=5.0), optim.adam(0.01, clip=5.0)):
        ws = [tf.Variable(w) for w in init]

        @tf.function
        def step(i):
            with tf.GradientTape() as tape:
                loss = (tf.reduce_sum(tf.sin(ws[0] * tf.cast(i + 1, tf.float32))) + tf.reduce_sum(ws[1] ** 3)
                        + tf.reduce_sum(tf.gather(ws[2], [1, 3, 3]) ** 2))
            opt.apply(tape.gradient(loss, ws), ws)
        for i in range(4):
            step(tf.constant(i))
        runs.append([w.numpy() for w in ws])
    assert optim._fused_update.experimental_get_tracing_count() > 0          # the fused path ran
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_adam_state_is_the_bias_corrected_moments_and_shrinks_after_large_gradients():
    """Two steps, gradient 1 then 0.1: sqrt(v̂) and |m̂| / (sqrt(v̂) + eps) as written out by hand; the second step is
    a smaller fraction of the learning rate than a steady 0.1 gives, because v̂ remembers the first gradient."""
    def state_after(grads):
        x = keras.Variable(np.zeros(4, np.float32), name="x")
        opt = adam(0.01)
        opt.build([x])
        assert adam_state(opt, [x]) == {}                          # no step yet
        for g in grads:
            opt.apply([tf.fill([4], g)], [x])
        return adam_state(opt, [x])["x"]

    b1, b2, eps = 0.9, 0.999, 1e-8
    m = (1 - b1) * (b1 * 1.0 + 0.1)
    v = (1 - b2) * (b2 * 1.0 + 0.01)
    m_hat, v_hat = m / (1 - b1 ** 2), v / (1 - b2 ** 2)
    rms_sqrt_v, ratio = state_after([1.0, 0.1])
    assert rms_sqrt_v == pytest.approx(np.sqrt(v_hat), rel=1e-5)
    assert ratio == pytest.approx(m_hat / (np.sqrt(v_hat) + eps), rel=1e-5)
    assert ratio < 0.8 * state_after([0.1, 0.1])[1]
