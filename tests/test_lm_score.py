"""LM and reverse-LM scores (metrics/lm_score.py) on constructed cases: quality and coverage pull apart."""
import numpy as np
import pytest

from conftest import seed
from seqgan_tf.metrics.lm_score import LMScorer, Recipe, train_lm
from seqgan_tf.metrics.nll import nll_test, sample_many, sequence_nll
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


def test_kept_samples_get_lm_columns_in_their_table(tmp_path):
    """add_lm_scores reads each model's kept text back as the ids G generated (end-token padding included): kept
    samples equal to the test sentences score exactly the real row's LM score, a repeated sentence the worse
    reverse-LM score; the table shows both columns and says what they are; a table without them shows neither."""
    import json

    from seqgan_tf.data import corpus as corpus_lib
    from seqgan_tf.experiments.corpus_experiments import add_lm_scores, real_lm_scores
    from seqgan_tf.report.corpus_tables import LM_NOTE, SPEECH_COLUMNS, SPEECH_NOTE, rewrite_table, table, write_table
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(10)]
    seqs = [[words[j] for j in rng.integers(0, 10, n)] + [corpus_lib.END] * (T - n) for n in rng.integers(2, T, 600)]
    data = corpus_lib.prepare(seqs, tmp_path / "cache", "toy", "toy", 0.2, 0, extra_stats={"end_token": corpus_lib.END},
                              specials=(corpus_lib.UNK, corpus_lib.END))
    out = tmp_path / "out"
    (out / "seed0").mkdir(parents=True)
    kept = {"mle": data.unpadded("test"), "seqgan": [data.unpadded("train")[0]] * len(data.test)}
    for model, texts in kept.items():
        (out / "seed0" / f"{model}_speeches.txt").write_text("\n".join(map(" ".join, texts)) + "\n")
    (out / "seed0" / "metrics.json").write_text(json.dumps({"seed": 0, "data": data.stats, "models": {
        m: {"n_generated": len(data.test), "bleu2": 0.5} for m in kept}}))
    [run] = add_lm_scores(out, data, str.split, "speeches", recipe=RECIPE)
    real = real_lm_scores(out)
    assert set(real) == {"lm_score", "reverse_lm_score"}
    assert run["models"]["mle"]["lm_score"] == real["lm_score"] and run["models"]["mle"]["bleu2"] == 0.5
    assert run["models"]["seqgan"]["reverse_lm_score"] > run["models"]["mle"]["reverse_lm_score"]
    assert json.loads((out / "seed0" / "metrics.json").read_text())["models"] == run["models"]
    write_table(out, table([run], {"bleu2": 0.4, **real}, SPEECH_COLUMNS), "toy", "table3", SPEECH_NOTE, "speeches",
                text_sep="\n")
    md = (out / "table3.md").read_text()
    assert "| reverse-LM score |" in md and md.count(LM_NOTE.strip()) == 1
    rewrite_table(out, "table3")                          # what figures.py does: the same table, the note said once
    assert (out / "table3.md").read_text() == md
    bare = {m: {"n_generated": 1, "bleu2": 0.5} for m in kept}
    write_table(out, table([{"seed": 0, "data": {}, "models": bare}], {"bleu2": 0.4}, SPEECH_COLUMNS), "toy",
                "table3", SPEECH_NOTE, "speeches", text_sep="\n")
    assert "LM score" not in (out / "table3.md").read_text()


def test_temperature_sweep_points_get_lm_scores(corpus, tmp_path):
    """With an LMScorer the sweep scores every α's samples: cooling the real-data LM to near-greedy sampling gives
    samples its real-data LM likes better and an LM of them that covers the test data worse (Caccia et al.'s
    trade-off); the report adds the reverse-LM table and the LM-score plane with the real data's point."""
    from seqgan_tf.experiments.temperature_sweep import corpus_scorer, sweep
    from seqgan_tf.report import quality_diversity as report
    train, test, scorer = corpus

    class Data:                       # what corpus_scorer reads of a prepared corpus
        def encoded(self, which):
            return test

        def decode(self, ids):
            return [str(t) for t in ids]

    score = corpus_scorer(Data(), lambda hyps: {"bleu2": len({tuple(h) for h in hyps}) / len(hyps)}, 400,
                          seed(5, 5), lm=scorer)
    warm, cold = sweep(scorer.real_lm, score, (1.0, 10.0), progress=False)
    assert cold["lm_score"] < warm["lm_score"] and cold["reverse_lm_score"] > warm["reverse_lm_score"] + 0.5
    assert warm["lm_score"] == nll_test(scorer.real_lm, sample_many(scorer.real_lm, 400, seed(5, 5)))
    run = lambda model, shift: {"seed": 0, "model": model, "label": model, "epoch": 1, "points": [  # noqa: E731
        {**p, "bleu2": p["bleu2"] + shift, "self_bleu2": 0.5} for p in (warm, cold)]}
    result = {"dataset": "toy", "alphas": [1.0, 10.0], "quality": "bleu2", "diversity": "nll_test",
              "extra_diversity": ["self_bleu2", "reverse_lm_score"], "runs": [run("seqgan", 0.0), run("mle", -0.1)],
              "real": [{"seed": 0, **scorer.real(400)}]}
    report.write(tmp_path, result)
    md = (tmp_path / "crossing.md").read_text()
    assert "reverse-LM score at equal BLEU-2" in md and f"reverse-LM score {result['real'][0]['reverse_lm_score']:.3f}" in md
    assert (tmp_path / "temperature_lm.png").stat().st_size > 0
    assert (tmp_path / "temperature_reverse_lm_score.png").stat().st_size > 0
