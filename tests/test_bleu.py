"""Fast BLEU equals nltk's sentence_bleu on random cases, with and without smoothing; Self-BLEU leaves one out."""
import warnings

import numpy as np
import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

from seqgan_tf.metrics.bleu import ReferenceBLEU, bleu_weights, self_bleu


def random_corpus(rs, n, vocab, lengths):
    return [list(rs.randint(0, vocab, size=rs.choice(lengths))) for _ in range(n)]


@pytest.mark.parametrize("case", range(6))
def test_matches_nltk_on_random_cases(case):
    """Fast sentence BLEU equals nltk's, unsmoothed and method1, on random corpora."""
    rs = np.random.RandomState(case)
    vocab = [3, 6, 12][case % 3]
    refs = random_corpus(rs, rs.randint(1, 30), vocab, [4, 6, 7, 9])
    hyps = random_corpus(rs, 25, vocab, [1, 3, 6, 8])
    table = ReferenceBLEU(refs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # nltk warns about zero counts
        for n in (2, 3, 4):
            w = bleu_weights(n)
            for h in hyps:
                assert table.sentence(h, w) == pytest.approx(sentence_bleu(refs, h, weights=w), abs=1e-9)
                m1 = sentence_bleu(refs, h, weights=w, smoothing_function=SmoothingFunction().method1)
                assert table.sentence(h, w, "method1") == pytest.approx(m1, abs=1e-9)


def test_copied_reference_scores_one():
    """A hypothesis copied from the references scores BLEU 1."""
    rs = np.random.RandomState(0)
    refs = random_corpus(rs, 50, 100, [20])
    assert ReferenceBLEU(refs).sentence(refs[7], bleu_weights(4)) == pytest.approx(1.0)


def test_self_bleu_leaves_the_hypothesis_out():
    """Self-BLEU scores each hypothesis against the others only (its duplicates still count)."""
    rs = np.random.RandomState(1)
    hyps = random_corpus(rs, 12, 8, [5, 7])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.mean([sentence_bleu(hyps[:i] + hyps[i + 1:], h, weights=bleu_weights(2))
                            for i, h in enumerate(hyps)])
    assert self_bleu(hyps, 2) == pytest.approx(expected, abs=1e-9)
    # a unique sentence no longer matches itself: distinct random long sentences score < 1
    unique = [list(range(i * 10, i * 10 + 10)) for i in range(5)]
    assert self_bleu(unique, 2) == 0.0
    assert self_bleu(unique + unique[:1], 2) > 0.0          # its duplicate still counts


def test_empty_references_rejected():
    """BLEU needs at least one reference."""
    with pytest.raises(ValueError, match="at least one reference"):
        ReferenceBLEU([])
