"""The controls (train/controls.py) as behaviour: each changes only SeqGAN's reward or D's training, as declared;
and the rollout's rewards come back on the right axes (batch x time)."""
import numpy as np
import pytest
import tensorflow as tf

from conftest import seed
from seqgan_tf import config, methods
from seqgan_tf.train import controls, seqgan
from seqgan_tf.train.rollout import rollout_completions, rollout_rewards
from seqgan_tf.train.state import State


def state(method, **overrides):
    cfg = config.make("smoke", **{**methods.METHODS[method].config(method), **overrides})
    return State.build(cfg)


def real_data(cfg):
    return tf.random.stateless_uniform([cfg.num_samples, cfg.seq_len], seed(1, 2), 1, cfg.vocab_size, tf.int32)


@pytest.fixture
def pg_rewards(monkeypatch):
    """Every reward matrix a policy-gradient step receives, with its sequences."""
    seen, real_step = [], seqgan.pg_step

    def recording(gen, opt, seqs, rewards, *args):
        seen.append((seqs.numpy(), rewards.numpy()))
        return real_step(gen, opt, seqs, rewards, *args)

    monkeypatch.setattr(seqgan, "pg_step", recording)
    return seen


def run_round(name, s, i=0):
    return methods.round_function(s.cfg.method)(s.models, real_data(s.cfg), s.cfg, s.rng, i)


def test_matched_constant_is_seqgans_first_round_reward(pg_rewards, tmp_path):
    """From the same state and random stream, the matched constant is exactly the mean reward SeqGAN's first round
    logs, every later step gets that same constant, and it survives as part of the checkpointed state."""
    logs = run_round("seqgan", state("seqgan"))
    s = state("matched_constant")
    first = run_round("matched_constant", s)
    second = run_round("matched_constant", s, 1)
    assert first["adv/reward_level"] == pytest.approx(logs["adv/reward_mean"], abs=0)
    assert second["adv/reward_level"] == first["adv/reward_level"]
    levels = {float(r) for _, q in pg_rewards[1:] for r in np.unique(q)}
    assert levels == {np.float32(first["adv/reward_level"])}
    path = s.checkpoint().write(str(tmp_path / "ckpt"))
    resumed = state("matched_constant")
    resumed.checkpoint().read(path).assert_existing_objects_matched()
    assert float(resumed.models.reward_level) == first["adv/reward_level"]


def test_seqgan_summed_is_seqgan_stepping_on_the_batch_sum(pg_rewards):
    """The released loss as a row of its own: from the same state, the same sequences and rewards as SeqGAN's, a loss
    batch times larger; named only, never part of 'all'."""
    logs = [run_round(name, state(name)) for name in ("seqgan", "seqgan_summed")]
    (seqs, q), (summed_seqs, summed_q) = pg_rewards
    np.testing.assert_array_equal(seqs, summed_seqs)
    np.testing.assert_array_equal(q, summed_q)
    assert logs[1]["adv/g_loss"] == pytest.approx(len(seqs) * logs[0]["adv/g_loss"], rel=1e-5)
    assert "seqgan_summed" not in methods.parse("all") and methods.parse("seqgan_summed") == ["seqgan_summed"]


def test_constant_and_random_rewards(pg_rewards):
    run_round("constant_reward", state("constant_reward"))
    run_round("random_reward", state("random_reward"))
    (_, constant), (seqs, uniform) = pg_rewards
    assert constant.shape == seqs.shape and (constant == 2.0).all()
    assert uniform.shape == seqs.shape and 0 <= uniform.min() and uniform.max() < 1 and len(np.unique(uniform)) > 100


def test_constant_reward_sharpens_g_as_a_lower_temperature_does():
    """With a constant positive reward the policy gradient raises the likelihood of G's own samples (its expected
    gradient is zero; each step reinforces the batch it drew, and Adam makes those steps full size): the NLL G gives
    its own samples, an estimate of its entropy, collapses."""
    s = state("constant_reward", g_lr=0.2)
    own_nll = lambda: -float(tf.reduce_mean(tf.reduce_sum(s.models.gen.token_log_probs(     # noqa: E731
        s.models.gen.sample(512, seed(9, 9))), axis=1)))
    before = own_nll()
    for i in range(10):
        run_round("constant_reward", s, i)
    assert own_nll() < before / 2, (before, own_nll())


def test_frozen_d_keeps_d_and_its_rewards(pg_rewards):
    s = state("frozen_d")
    before = [w.numpy().copy() for w in s.models.disc.weights]
    run_round("frozen_d", s)
    run_round("frozen_d", s, 1)
    assert all((a == b.numpy()).all() for a, b in zip(before, s.models.disc.weights))
    t = state("seqgan")
    trained = run_round("seqgan", t)
    assert "d/loss" in trained and any((a != b.numpy()).any() for a, b in zip(before, t.models.disc.weights))


def test_shuffled_rewards_are_d_rewards_with_rows_permuted(pg_rewards, monkeypatch):
    """The same reward rows as D gives, in another order: the values stay, the sequence they belong to goes."""
    d_q, real_d_rewards = [], controls.d_rewards

    def recording(m, cfg):
        q = real_d_rewards(m, cfg)
        return lambda seqs, s: d_q.append(q(seqs, s).numpy()) or tf.constant(d_q[-1])

    monkeypatch.setattr(controls, "d_rewards", recording)
    run_round("shuffled_reward", state("shuffled_reward"))
    (_, given), = pg_rewards
    (q,) = d_q
    assert not np.array_equal(given, q)
    assert sorted(map(tuple, given)) == sorted(map(tuple, q))


class ScoresTokenAt:
    """A stand-in D: D(Y) = 1 if Y has token k at position p, else 0 (scored whole: no window_maps)."""

    def __init__(self, k, p):
        self.k, self.p = k, p

    @tf.autograph.experimental.do_not_convert
    def prob_real(self, seqs):
        return tf.cast(tf.equal(seqs[:, self.p], self.k), tf.float32)


@pytest.mark.parametrize("p", [0, 3, 6])
def test_rollout_rewards_come_back_on_the_right_axes(p):
    """Q[b, t] is the reward of sequence b with its first t+1 tokens kept: once the prefix holds position p it is
    exactly whether b has token k there, before that the share of b's own completions that put k at p, and the
    last column is D(Y_b) -- for every prefix length, with B != T so a transposed or mixed axis cannot pass."""
    s = state("seqgan")
    k, n, B, T = 7, 4, 5, s.cfg.seq_len
    seqs = s.models.gen.sample(B, seed(3, 4)).numpy()
    seqs[[0, 2], p] = k                                  # rows 0 and 2 have k at p; the others not
    seqs[[1, 3, 4], p] = k + 1
    seqs = tf.constant(seqs)
    q = rollout_rewards(s.models.gen, ScoresTokenAt(k, p), seqs, n, seed(5, 6)).numpy()
    done = rollout_completions(s.models.gen, seqs, n, seed(5, 6)).numpy()
    assert q.shape == (B, T)
    for t in range(T - 1):
        for b in range(B):
            rows = [r for r in range(len(done)) if r // (n * B) == t and r % B == b]
            assert (done[rows, :t + 1] == seqs.numpy()[b, :t + 1]).all()      # b's own prefix was kept
            expected = np.mean(done[rows, p] == k)
            assert q[b, t] == pytest.approx(expected), (b, t)
            if t >= p:
                assert q[b, t] == float(b in (0, 2))
    assert (q[:, T - 1] == [1, 0, 1, 0, 0]).all()
