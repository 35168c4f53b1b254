"""Table 1 baselines: scheduled sampling, the PG-BLEU reward and its fast BLEU, and the shared MLE start."""
import json
import warnings

import numpy as np
import pytest
import tensorflow as tf
from conftest import Smoke, seed
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from seqgan_tf import config
from seqgan_tf.metrics.bleu import ReferenceBLEU, bleu_weights
from seqgan_tf.train.baselines import bleu_references, bleu_rewards, ss_epsilon, ss_forward, ss_loss
from seqgan_tf.train.pretrain import mle_loss


def test_ss_eps_0_is_teacher_forcing(smoke):
    """At ε = 0 scheduled sampling feeds the true previous tokens: its logits and loss are MLE's."""
    seqs = smoke.oracle.sample(16, seed(0, 0))
    logits, inputs = ss_forward(smoke.gen, seqs, 0.0, seed(1, 1))
    np.testing.assert_array_equal(inputs, smoke.gen.shift_right(seqs))
    np.testing.assert_allclose(logits, smoke.gen(seqs), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ss_loss(smoke.gen, seqs, 0.0, seed(1, 1)), mle_loss(smoke.gen, seqs), rtol=1e-6)


def test_ss_eps_1_feeds_only_own_samples(smoke):
    """At eps = 1 the fed tokens are exactly G's own samples (same seed as `sample`) and ignore the targets."""
    a = smoke.oracle.sample(16, seed(0, 0))
    b = smoke.oracle.sample(16, seed(0, 1))
    logits_a, inputs_a = ss_forward(smoke.gen, a, 1.0, seed(2, 2))
    logits_b, inputs_b = ss_forward(smoke.gen, b, 1.0, seed(2, 2))
    own = smoke.gen.sample(16, seed(2, 2)).numpy()
    np.testing.assert_array_equal(inputs_a[:, 1:], own[:, :-1])
    np.testing.assert_array_equal(inputs_a, inputs_b)
    np.testing.assert_allclose(logits_a, logits_b)
    assert (inputs_a.numpy()[:, 1:] != smoke.gen.shift_right(a).numpy()[:, 1:]).mean() > 0.5


def test_ss_half_mixes_per_token(smoke):
    """At ε = 0.5 about half the fed tokens are the true ones, the coin drawn per token."""
    seqs = smoke.oracle.sample(64, seed(0, 0))
    _, inputs = ss_forward(smoke.gen, seqs, 0.5, seed(3, 3))
    true_fed = (inputs.numpy() == smoke.gen.shift_right(seqs).numpy())[:, 1:]
    assert 0.4 < true_fed.mean() < 0.8                 # ~0.5 own samples, some of which equal the true token
    assert 0 < true_fed.all(axis=1).mean() < 1 or not true_fed.all(axis=1).any()   # coins vary within a row


@pytest.mark.parametrize("schedule", config.SS_SCHEDULES)
def test_ss_schedules_rise_to_max(schedule):
    """Every ε schedule rises monotonically from near 0 to ss_max; an unknown one is refused."""
    eps = [ss_epsilon(schedule, i, 50, 0.6) for i in range(50)]
    assert all(b >= a for a, b in zip(eps, eps[1:])) and eps[-1] == pytest.approx(0.6) and eps[0] < 0.1
    with pytest.raises(ValueError, match="ss_schedule"):
        config.make("smoke", ss_schedule="cosine")


def test_vectorised_bleu_equals_sentence_and_nltk():
    """The vectorised PG-BLEU reward equals per-sentence BLEU (every order, smoothing) and nltk's."""
    rs = np.random.RandomState(0)
    for case in range(12):
        vocab = [3, 6, 12, 50][case % 4]
        refs = [list(rs.randint(0, vocab, size=rs.choice([4, 6, 7]))) for _ in range(rs.randint(1, 30))]
        hyps = rs.randint(0, vocab + 2, size=(30, rs.choice([1, 3, 6, 8])))      # + tokens no reference has
        table = ReferenceBLEU(refs)
        for n in (1, 2, 3, 4):
            for smoothing in (None, "method1"):
                fast = table.sentences(hyps, bleu_weights(n), smoothing)
                slow = [table.sentence(h, bleu_weights(n), smoothing) for h in hyps]
                np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-300)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nltk = [sentence_bleu(refs, list(h), weights=bleu_weights(3),
                                  smoothing_function=SmoothingFunction().method1) for h in hyps[:5]]
        np.testing.assert_allclose(table.sentences(hyps[:5], bleu_weights(3), "method1"), nltk, atol=1e-9)


def test_pg_bleu_reward_copied_reference_scores_one_and_prefixes_are_completed():
    """A copied reference gets Q_T = 1. With a G that always emits token 3, the completion of Y_1:t is
    Y_1:t + [3] * (T - t), so Q_t must be that sequence's BLEU-3: pins prefix lengths and the MC mean."""
    s = Smoke()
    T, V = s.cfg.seq_len, s.cfg.vocab_size
    real = s.oracle.sample(200, seed(0, 0)).numpy()
    refs = ReferenceBLEU(real.tolist(), max_n=3)
    seqs = tf.constant(np.concatenate([real[:4], np.random.RandomState(0).randint(0, V, (3, T))]), tf.int32)
    q = bleu_rewards(s.gen, refs, seqs, 2, seed(1, 1)).numpy()
    np.testing.assert_allclose(q[:4, -1], 1.0)
    assert (q[4:, -1] < 1).all()
    s.gen.b_out.assign(tf.one_hot(3, V) * 1e4)
    q = bleu_rewards(s.gen, refs, seqs, 2, seed(1, 1), smoothing="method1").numpy()   # smoothed: no underflow
    for t in range(1, T):
        expected = np.concatenate([seqs.numpy()[:, :t], np.full((7, T - t), 3)], axis=1)
        np.testing.assert_allclose(q[:, t - 1], [refs.sentence(e, bleu_weights(3), "method1") for e in expected],
                                   rtol=1e-6)


def test_bleu_references_are_a_fixed_fraction():
    """PG-BLEU's references: bleu_refs of the real sequences, fixed by the seed, another seed another choice."""
    cfg = config.make("smoke", bleu_refs=0.4)
    real = np.arange(100 * 8).reshape(100, 8)
    a, b = bleu_references(real, cfg), bleu_references(real, cfg)
    assert len(a.refs) == 40 and a.refs == b.refs
    assert len(set(a.refs) & {tuple(r) for r in real}) == 40
    assert bleu_references(real, config.make("smoke", bleu_refs=0.4, seed=1)).refs != a.refs


@pytest.mark.parametrize("overrides, message", [
    ({"method": "gan"}, "unknown method 'gan'"),
    ({"ss_max": 1.5}, "ss_max must be in [0, 1]"),
    ({"bleu_smoothing": "method7"}, "bleu_smoothing"),
])
def test_bad_method_settings_rejected(overrides, message):
    """An unknown method or out-of-range baseline setting is refused by the config."""
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config.make("smoke", **overrides)


def test_methods_share_pretraining_and_seqgan_is_unchanged(methods_sweep, smoke_adv2):
    """Every method of a seed starts from that seed's one pretraining run; SeqGAN started from it equals a plain
    run, and the baselines skip D pretraining and then go their own way."""
    def run(seed, name):
        return json.loads((methods_sweep / f"seed{seed}" / name / "metrics.json").read_text())

    assert run(0, "seqgan")["curve"] == smoke_adv2[1]["curve"]
    for s in (0, 1):
        seqgan = run(s, "seqgan")
        pre = [c for c in seqgan["curve"] if c["epoch"] <= seqgan["config"]["pretrain_g_epochs"]]
        assert run(s, "pretrain")["curve"] == pre
        for method in ("mle",) + (("ss", "pg_bleu") if s == 1 else ()):
            m = run(s, method)
            assert m["curve"][:len(pre)] == pre and m["curve"][-1]["epoch"] == 6 and m["method"] == method
            assert m["seconds"]["pretrain_d"] == 0 and m["curve"] != seqgan["curve"]
            assert m["per_sequence_nll"]["6"]["n"] == m["config"]["eval_samples"]
