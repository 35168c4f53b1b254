"""Algorithm 1 (train/seqgan.py) as behaviour: G follows D's reward, each d-step's data, the policy-gradient step's
exact loss and gradient, and the delayed roll-out policy."""
import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import Smoke, seed

from seqgan_tf.models import Generator
from seqgan_tf.train import pretrain, seqgan
from seqgan_tf.train.optim import adam
from seqgan_tf.train.rollout import rollout_rewards
from seqgan_tf.train.seqgan import Models, algorithm1, pg_step, seqgan_round


class RewardsToken:
    """A frozen stand-in for D: D(Y) = 1 if Y contains token k, else 0."""

    def __init__(self, k):
        self.k = k

    @tf.autograph.experimental.do_not_convert
    def prob_real(self, seqs):
        return tf.cast(tf.reduce_any(tf.equal(seqs, self.k), axis=1), tf.float32)


def models(s, disc=None, rollout_gen=None):
    """Models of a Smoke setup (policy-gradient optimizer built, as State.build does)."""
    pg_opt = adam(s.cfg.g_lr, s.cfg.grad_clip)
    pg_opt.build(s.gen.trainable_variables)
    return Models(s.gen, s.disc if disc is None else disc, rollout_gen or s.gen, s.g_opt, pg_opt, s.d_opt)


def unique_rows(n, T, V):
    """n distinct sequences: row i is i written in base V."""
    return tf.constant([[(i // V ** t) % V for t in range(T)] for i in range(n)], tf.int32)


@pytest.mark.parametrize("k", [7, 23])
def test_g_learns_to_emit_the_token_a_frozen_d_rewards(k):
    """Six SeqGAN rounds with d_steps = 0 against a D that rewards sequences holding token k: G emits k many times
    more often than before, more than any other token, and its mean reward rises."""
    s = Smoke(pretrain_g_epochs=0, pretrain_d_steps=0, adv_epochs=6, d_steps=0, g_lr=0.1)
    freq = lambda: np.bincount(s.gen.sample(2000, seed(5, 5)).numpy().ravel(), minlength=s.cfg.vocab_size) / 16000
    before = freq()
    units = list(algorithm1(models(s, RewardsToken(k)), None, s.cfg, tf.random.Generator.from_seed(3)))
    after = freq()
    assert [(p, i) for p, i, _ in units] == [("adversarial", i) for i in range(1, 7)]
    assert after[k] > 3 * before[k] and np.argmax(after) == k, (before[k], after[k], np.argmax(after))
    assert units[-1][2]["adv/reward_mean"] > units[0][2]["adv/reward_mean"]


@pytest.fixture
def d_calls(monkeypatch):
    """Replace D training by a recorder: each call's arguments, with the seeds next_seed gave out since the last."""
    calls, seeds = [], []
    real_next_seed = pretrain.next_seed

    def recording_next_seed(rng):
        seeds.append(real_next_seed(rng).numpy())
        return tf.constant(seeds[-1])

    def recorder(disc, opt, real, fake, epochs, batch_size, step_seed):
        calls.append(dict(real=real.numpy(), fake=fake.numpy(), epochs=epochs, batch_size=batch_size,
                          seed=step_seed.numpy(), seeds=list(seeds)))
        seeds.clear()
        return tf.constant(0.5), tf.constant(1.0)

    monkeypatch.setattr(pretrain, "next_seed", recording_next_seed)
    monkeypatch.setattr(pretrain, "d_train", recorder)
    return calls


@pytest.mark.parametrize("d_negatives", [0, 100])
def test_a_d_step_trains_on_fresh_negatives_and_the_positives(d_calls, d_negatives):
    """Each d-step: n_negatives fresh samples of G from the step's first seed, and as positives all real sequences
    (n_negatives >= N, the official rule) or n_negatives of them chosen by the next seed; k = d_epochs epochs."""
    s = Smoke(d_negatives=d_negatives)
    real = unique_rows(s.cfg.num_samples, s.cfg.seq_len, s.cfg.vocab_size)
    rng = tf.random.Generator.from_seed(4)
    for _ in range(2):
        loss, acc = pretrain.d_step(s.gen, s.disc, s.d_opt, real, s.cfg, rng)
        assert (float(loss), float(acc)) == (0.5, 1.0)
    n, N = s.cfg.n_negatives, s.cfg.num_samples
    for call in d_calls:
        fake_seed, *pick_seed, train_seed = call["seeds"]
        assert call["fake"].shape == (n, s.cfg.seq_len)
        np.testing.assert_array_equal(call["fake"], s.gen.sample(n, tf.constant(fake_seed)))
        np.testing.assert_array_equal(call["seed"], train_seed)
        assert (call["epochs"], call["batch_size"]) == (s.cfg.d_epochs, s.cfg.batch_size)
        if n >= N:
            assert not pick_seed
            np.testing.assert_array_equal(call["real"], real.numpy())
        else:
            pick = tf.random.experimental.stateless_shuffle(tf.range(N), tf.constant(pick_seed[0]))[:n]
            np.testing.assert_array_equal(call["real"], tf.gather(real, pick).numpy())
            assert len({tuple(r) for r in call["real"]}) == n
    assert not np.array_equal(d_calls[0]["fake"], d_calls[1]["fake"])                # fresh negatives each step
    assert (n >= N) == np.array_equal(d_calls[0]["real"], d_calls[1]["real"])


def test_d_pretraining_steps_use_their_own_epochs_and_rounds_use_k(d_calls):
    """Lines 4-5 train D pretrain_d_epochs epochs per step, lines 14-17 d_steps d-steps of k = d_epochs epochs."""
    s = Smoke(pretrain_g_epochs=1, pretrain_d_steps=2, pretrain_d_epochs=3, d_epochs=1, adv_epochs=1, d_steps=2)
    real = s.oracle.sample(s.cfg.num_samples, seed(0, 0))
    units = list(algorithm1(models(s), real, s.cfg, tf.random.Generator.from_seed(3)))
    assert [(p, i) for p, i, _ in units] == [("pretrain_g", 1), ("pretrain_d", 1), ("pretrain_d", 2),
                                             ("adversarial", 1)]
    assert [c["epochs"] for c in d_calls] == [3, 3, 1, 1]
    assert units[-1][2]["d/loss"] == 0.5 and units[1][2] == {"d/loss": 0.5, "d/acc": 1.0}


def _numpy_log_probs(weights, seqs, start=0):
    """log G(y_t | Y_1:t-1) (B, T) in float64, written out from models/lstm.py's cell (gates fused i, f, o, c)."""
    emb, w_x, w_h, b, w_out, b_out = (np.asarray(w, np.float64) for w in weights)
    sig = lambda x: 1 / (1 + np.exp(-x))
    B, T = seqs.shape
    H = w_h.shape[0]
    h, c, tok, out = np.zeros((B, H)), np.zeros((B, H)), np.full(B, start), np.zeros((B, T))
    for t in range(T):
        i, f, o, g = np.split(emb[tok] @ w_x + b + h @ w_h, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        logits = h @ w_out + b_out
        logits -= logits.max(1, keepdims=True)
        out[:, t] = logits[np.arange(B), seqs[:, t]] - np.log(np.exp(logits).sum(1))
        tok = seqs[:, t]
    return out


def test_pg_step_is_reinforce_with_its_exact_gradient(smoke):
    """pg_step's loss is -mean_b sum_t log G(y_t | Y_1:t-1) Q_t (checked in numpy), and the update it applies (SGD,
    lr 1: old - new weights) is that loss's gradient: against GradientTape, and a finite difference on two weights;
    the norm it returns is that gradient's global norm."""
    gen = smoke.gen
    seqs = gen.sample(6, seed(0, 0))
    q = np.random.RandomState(0).uniform(size=(6, smoke.cfg.seq_len)).astype(np.float32)
    loss_np = lambda w: -np.mean(np.sum(_numpy_log_probs(w, seqs.numpy()) * q, axis=1))
    w0 = [v.numpy() for v in gen.trainable_variables]
    assert [v.name for v in gen.trainable_variables] == ["embedding", "w_x", "w_h", "b", "w_out", "b_out"]
    with tf.GradientTape() as tape:
        logp = tf.gather(tf.nn.log_softmax(gen(seqs)), seqs, batch_dims=2)
        loss_tf = -tf.reduce_mean(tf.reduce_sum(logp * q, axis=1))
    grads = [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss_tf, gen.trainable_variables)]

    loss, norm = pg_step(gen, keras.optimizers.SGD(learning_rate=1.0), seqs, tf.constant(q))
    applied = [a - v.numpy() for a, v in zip(w0, gen.trainable_variables)]
    assert float(loss) == pytest.approx(loss_np(w0), rel=1e-5)
    assert float(norm) == pytest.approx(np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads)), rel=1e-5)
    for a, g in zip(applied, grads):
        np.testing.assert_allclose(a, g, atol=2e-6)
    assert max(np.abs(a).max() for a in applied) > 1e-3                  # it did move
    for var, index in [(5, (int(seqs[0, 0]),)), (2, (0, 3))]:            # b_out of a sampled token, one w_h entry
        h, plus, minus = 1e-4, [w.astype(np.float64) for w in w0], [w.astype(np.float64) for w in w0]
        plus[var][index] += h
        minus[var][index] -= h
        assert applied[var][index] == pytest.approx((loss_np(plus) - loss_np(minus)) / (2 * h), rel=1e-3, abs=1e-6)


def rollout_rewards_of(gen, disc, seqs, n):
    """Q from G's own rollouts (a fixed seed)."""
    return rollout_rewards(gen, disc, tf.constant(seqs), n, seed(9, 9), 1024).numpy()


def test_delayed_rollout_policy_samples_the_copy_and_tracks_g_every_round(monkeypatch):
    """rollout_policy="delayed": a round's rewards come from completions by the copy (here one that always emits 3,
    so Q_t = D(Y_1:t + 3...3) exactly, unlike G's rollouts), and after every round the copy is
    beta * old + (1 - beta) * G, its embedding G's."""
    s = Smoke(rollout_policy="delayed", d_steps=0, rollout_num=2)
    T, beta = s.cfg.seq_len, s.cfg.rollout_beta
    copy = Generator.from_config_obj(s.cfg, seed=7)
    copy.b_out.assign(tf.one_hot(3, s.cfg.vocab_size) * 1e4)
    m = models(s, rollout_gen=copy)
    steps, real_pg_step = [], seqgan.pg_step
    monkeypatch.setattr(seqgan, "pg_step", lambda gen, opt, seqs, q, *args: steps.append((seqs, q)) or
                        real_pg_step(gen, opt, seqs, q, *args))
    rng = tf.random.Generator.from_seed(1)
    for i in range(2):
        old = [w.numpy() for w in copy.weights]
        seqgan_round(m, None, s.cfg, rng, i)
        seqs, q = (x.numpy() for x in steps[-1])
        for t in range(1, T):
            completed = np.concatenate([seqs[:, :t], np.full((len(seqs), T - t), 3)], axis=1)
            np.testing.assert_allclose(q[:, t - 1], s.disc.prob_real(completed), rtol=1e-5)
        np.testing.assert_allclose(q[:, -1], s.disc.prob_real(seqs), rtol=1e-5)
        from_g = rollout_rewards_of(s.gen, s.disc, seqs, s.cfg.rollout_num)
        assert np.abs(from_g[:, :-1] - q[:, :-1]).max() > 1e-4             # G's own rollouts score otherwise
        for w, w_old, g in zip(copy.weights, old, s.gen.weights):
            expected = g.numpy() if w is copy.embedding else beta * w_old + (1 - beta) * g.numpy()
            np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6, atol=1e-7)
    assert len(steps) == 2 * s.cfg.g_steps


@pytest.mark.parametrize("done, expect_from_g", [((0, 0, 0), True), ((1, 0, 0), True), ((1, 0, 1), False)])
def test_rollout_copy_is_set_from_g_before_the_first_round_only(done, expect_from_g):
    """Line 3, beta <- theta: before round 1 (also when resuming a run whose checkpoint holds no copy, e.g. a shared
    pretraining) the copy becomes the MLE-trained G; a run resumed mid-adversarial keeps its restored copy."""
    s = Smoke(rollout_policy="delayed", pretrain_g_epochs=1, pretrain_d_steps=0, adv_epochs=2)
    copy = Generator.from_config_obj(s.cfg, seed=7)
    own = [w.numpy() for w in copy.weights]
    seen = []
    record = lambda m, real, cfg, rng, i: seen.append([w.numpy() for w in m.rollout_gen.weights]) or {}
    real = s.oracle.sample(s.cfg.num_samples, seed(0, 0))
    list(algorithm1(models(s, rollout_gen=copy), real, s.cfg, tf.random.Generator.from_seed(3), done, record,
                    pretrain_d=False))
    expected = [w.numpy() for w in s.gen.weights] if expect_from_g else own      # G: unchanged by the stub rounds
    for r, e in zip(seen[0], expected):
        np.testing.assert_array_equal(r, e)


def test_later_rounds_trace_no_new_graph():
    """Every graph a round (and an evaluation) runs is traced once, in the first: rounds 2 and 3 and a second
    evaluation add no trace. This guards what runtime.configure's silenced retracing notice would have said."""
    from seqgan_tf.metrics.nll import _sequence_nll, nll_oracle
    s = Smoke(pretrain_g_epochs=1, pretrain_d_steps=1, adv_epochs=3)
    rollout_gen = Generator(s.cfg.vocab_size, s.cfg.emb_dim, s.cfg.hidden_dim, s.cfg.seq_len).build_all()
    rollout_gen.set_weights(s.gen.get_weights())
    graphs = {"rollout_rewards": rollout_rewards, "pg_step": pg_step, "d_train": pretrain.d_train,
              "d_accuracy": pretrain.d_accuracy, "mle_epoch": pretrain.mle_epoch, "_sequence_nll": _sequence_nll,
              "G.complete": s.gen.complete, "G_β.complete": rollout_gen.complete}
    real = s.oracle.sample(s.cfg.num_samples, seed(0, 0))
    units = algorithm1(models(s, rollout_gen=rollout_gen), real, s.cfg, tf.random.Generator.from_seed(3))
    evaluate = lambda: nll_oracle(s.oracle, s.gen, 300, seed(4, 4), batch=128)     # a full and a partial batch
    assert [next(units)[0] for _ in range(3)] == ["pretrain_g", "pretrain_d", "adversarial"]
    evaluate()
    traced = {k: f.experimental_get_tracing_count() for k, f in graphs.items()}
    assert [p for p, _, _ in units] == ["adversarial"] * 2
    evaluate()
    assert {k: f.experimental_get_tracing_count() for k, f in graphs.items()} == traced
