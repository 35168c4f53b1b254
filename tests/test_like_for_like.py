"""Like-for-like tables: every row of a table scored against the same references with as many hypotheses, the
baselines as the authors' code ran them (legacy BLEU, teacher-forced SS), and Table 1's derived rows."""
import math

import numpy as np
import pytest
from conftest import ROOT

from seqgan_tf.data import corpus, poetry
from seqgan_tf.metrics.bleu import ReferenceBLEU, bleu_weights
from seqgan_tf.metrics.corpus_metrics import PoemMetrics, punctuated
from seqgan_tf.metrics.stats import ci95


# -- legacy BLEU (nltk < 3.3): an order without any match is skipped, not counted as ~0 ---------------------------
@pytest.mark.parametrize("hyp, expected", [
    ([1, 9, 3, 9, 5], (3 / 5) ** (1 / 3)),                 # unigrams 3/5, no bigram: only p1 counts
    ([1, 2, 9, 9, 9], ((2 / 5) * (1 / 4)) ** (1 / 3)),     # p1 2/5, p2 1/4, no trigram
    ([1, 2, 3, 9, 9], ((3 / 5) * (2 / 4) * (1 / 3)) ** (1 / 3)),   # every order matches: as today's BLEU
    ([8, 8, 8, 8, 8], 0.0),                                # no unigram match: 0, as in every nltk
])
def test_legacy_bleu_hand_cases(hyp, expected):
    refs = ReferenceBLEU([[1, 2, 3, 4, 5], [2, 3, 4, 6, 7]], max_n=3)
    w = bleu_weights(3)
    assert refs.sentence(hyp, w, "legacy") == pytest.approx(expected, abs=1e-12)
    assert refs.sentences(np.array([hyp]), w, "legacy")[0] == pytest.approx(expected, abs=1e-12)
    if expected and hyp != [1, 2, 3, 9, 9]:
        assert refs.sentence(hyp, w) < 1e-100                # today's nltk: ~0 for a missing order


def test_legacy_bleu_is_nearly_flat_for_random_sequences():
    """Why PG-BLEU as run learned little: against many references a random sequence scores near 1."""
    rs = np.random.RandomState(0)
    refs = ReferenceBLEU(rs.randint(0, 500, (2000, 20)).tolist(), max_n=3)
    random_hyps = rs.randint(0, 500, (50, 20))          # few of their bigrams are in any reference
    legacy, today = (refs.sentences(random_hyps, bleu_weights(3), s) for s in ("legacy", None))
    assert legacy.mean() > 0.5 and np.median(today) < 1e-50
    with pytest.raises(ValueError, match="unknown BLEU smoothing"):
        refs.sentence([1, 2], bleu_weights(2), "method7")


# -- Table 2: both protocols score every row alike ------------------------------------------------------------
@pytest.fixture(scope="module")
def poems(tmp_path_factory):
    return poetry.prepare("shi", ROOT / "tests" / "fixtures" / "quatrains.txt", tmp_path_factory.mktemp("cache"),
                          0.25, 0)


def test_poem_protocols_use_disjoint_real_rows_and_equal_counts(poems):
    m = PoemMetrics(poems, seed=0)
    test = {tuple(s) for s in poems.test}
    train = {tuple(s) for s in poems.train}
    # protocol (a): references are the test poems; its real row is as many training poems, never a reference
    assert len(m.real_hyps["test"]) == len(poems.test) and not {tuple(s) for s in m.real_hyps["test"]} & test
    # protocol (b): references are the training poems; its real row is the test poems, not among them
    assert {tuple(s) for s in m.real_hyps["train"]} == test and not test & train
    assert len(m.refs["test", ""].refs) == len(poems.test) and len(m.refs["train", ""].refs) == len(poems.train)
    # a hypothesis that is a reference of one protocol scores 1 there, and less under the other
    hyps = [poems.train[0]] * 3
    scored = m(hyps)
    assert scored["bleu2_train"] == pytest.approx(1.0) and scored["bleu2"] < 1.0
    assert scored["bleu2_train_punct"] == pytest.approx(1.0)
    real = m.real()
    assert set(real) == set(scored)                      # the real row has every column a model row has


def test_punctuation_goes_back_to_its_fixed_places():
    chars = list("床前明月光疑是地上霜举头望明月低头思故乡")
    assert "".join(punctuated(chars)) == "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
    assert poetry.unrender(poetry.render(chars[:19] + [corpus.UNK])) == chars[:19] + [corpus.UNK]


# -- Table 1: the authors' SS as it ran is teacher-forced; derived rows --------------------------------------
def test_ss_as_run_feeds_only_true_tokens(smoke, monkeypatch):
    """One coin per run (0.3975 for seed 88) against P(true token) falling only to 0.4: ε is 0 in every round."""
    import tensorflow as tf

    from seqgan_tf.train import baselines
    from seqgan_tf.train.seqgan import Models
    seen = []
    monkeypatch.setattr(baselines, "ss_epoch", lambda gen, opt, data, b, seed, eps: seen.append(float(eps)) or 0.0)
    m = Models(smoke.gen, smoke.disc, smoke.gen, smoke.g_opt, smoke.g_opt, smoke.d_opt)
    cfg = smoke.cfg.__class__(**{**smoke.cfg.to_dict(), "seed": 88, "method": "ss_as_run"})
    rng = tf.random.Generator.from_seed(0)
    for i in (0, 150, 299, 400):
        baselines.ss_as_run_round(m, None, cfg, rng, i)
    assert seen == [0.0] * 4
    seqs = smoke.gen.sample(8, tf.constant([0, 1], tf.int64))
    _, inputs = baselines.ss_forward(smoke.gen, seqs, 0.0, tf.constant([0, 2], tf.int64))
    np.testing.assert_array_equal(inputs.numpy(), smoke.gen.shift_right(seqs).numpy())   # ε = 0: true tokens


def _run(seed, curve, method="mle", early=None):
    return {"seed": seed, "preset": "quick", "config": {"adv_epochs": 40, "pretrain_g_epochs": 40, "method": method},
            "curve": curve, "nll_oracle": {"final": curve[-1]["nll_oracle"], "best": 9.0, "best_adversarial": 9.0,
                                           "after_1_epoch": curve[1]["nll_oracle"]},
            "nll_test": {"final": curve[-1]["nll_test"]}, "per_sequence_nll": {}, "early_stopped": early}


def test_table1_derives_random_after_one_epoch_and_early_stopping(tmp_path):
    from seqgan_tf.report import table1
    from seqgan_tf.results import write_json
    for seed in (1, 2):
        curve = [{"phase": "pretrain_g", "epoch": e, "nll_oracle": v + seed / 100, "nll_test": 8.0}
                 for e, v in ((0, 11.4), (1, 10.2), (5, 9.5), (80, 9.0))]
        early = {"epoch": 5, "nll_oracle": 9.5 + seed / 100, "nll_test": 7.6}
        write_json(tmp_path / f"seed{seed}" / "mle" / "metrics.json", _run(seed, curve, early=early))
        write_json(tmp_path / f"seed{seed}" / "seqgan" / "metrics.json", _run(seed, curve[:3] + [
            {"phase": "adversarial", "epoch": 80, "nll_oracle": 8.8 + seed / 100, "nll_test": 8.8}], "seqgan"))
    rows = {r["key"]: r for r in table1.build(tmp_path)}
    assert rows["random"]["final_mean"] == pytest.approx(11.415)
    assert rows["random_1"]["final_mean"] == pytest.approx(10.215)
    assert rows["mle_early"]["final_mean"] == pytest.approx(9.515) and rows["mle_early"]["epochs"] == "5 5"
    assert rows["mle"]["diff_vs_seqgan"] == pytest.approx(0.2)
    lo, hi = ci95([9.01, 9.02])
    assert rows["mle"]["final_ci95_lo"] == pytest.approx(lo) and lo < 9.015 < hi


def test_ci95_matches_the_t_interval():
    lo, hi = ci95([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 / math.sqrt(3)        # t(0.975, 2) = 4.3027
    assert (lo, hi) == pytest.approx((2 - half, 2 + half))
    assert ci95([1.0]) == (None, None)
