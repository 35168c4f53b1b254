"""LM and reverse-LM scores (metrics/lm_score.py) on constructed cases: quality and coverage pull apart."""
import numpy as np
import pytest

from conftest import seed
from seqgan_tf.metrics.lm_score import LMScorer, Recipe, train_lm
from seqgan_tf.metrics.nll import sequence_nll
from seqgan_tf.models import Oracle

V, T = 12, 6
RECIPE = Recipe(emb_dim=8, hidden_dim=8, max_epochs=10)


@pytest.fixture(scope="module")
def corpus():
    """A small random oracle's language: 800 training and 200 test sequences, and a scorer for it."""
    oracle = Oracle.random(V, 8, 8, T, seed=3)
    train, test = oracle.sample(800, seed(1, 1)).numpy(), oracle.sample(200, seed(2, 2)).numpy()
    return train, test, LMScorer(train, test, V, recipe=RECIPE)


def test_repeating_one_good_sentence_is_quality_without_coverage(corpus):
    """A generator that repeats the training sentence the real LM likes best: a better LM score than the real
    test data, a far worse reverse-LM score (its LM has seen one sentence)."""
    train, test, scorer = corpus
    best = train[np.argmin(sequence_nll(scorer.real_lm, train))]
    repeat = scorer(np.tile(best, (400, 1)))
    real = scorer.real(400)
    assert repeat["lm_score"] < real["lm_score"]
    assert repeat["reverse_lm_score"] > real["reverse_lm_score"] + 1.0, (repeat, real)


def test_real_data_has_the_best_reverse_lm_score(corpus):
    """Real training sequences cover the test data better than a uniform generator or the training sequences with
    every token folded into half of the vocabulary; the uniform generator also has the worse LM score."""
    train, test, scorer = corpus
    rng = np.random.default_rng(0)
    uniform = scorer(rng.integers(0, V, (400, T)))
    narrow = scorer(np.where(train[:400] < V // 2, train[:400], train[:400] % (V // 2)))
    real = scorer.real(400)
    assert real["reverse_lm_score"] < min(uniform["reverse_lm_score"], narrow["reverse_lm_score"])
    assert uniform["lm_score"] > real["lm_score"]


def test_the_recipe_is_seeded_and_needs_enough_data(corpus):
    train, _, _ = corpus
    a, b = (sequence_nll(train_lm(train[:200], V, recipe=RECIPE), train[200:300]) for _ in range(2))
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="an LM needs at least"):
        train_lm(train[:20], V, recipe=RECIPE)
