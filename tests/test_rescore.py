"""Kept samples read back as exactly the tokens they were rendered from, so rescoring them gives the run's numbers."""
import json

import pytest

from seqgan_tf.data import corpus, poetry, speeches
from seqgan_tf.experiments.corpus_experiments import rescore
from seqgan_tf.metrics.bleu import ReferenceBLEU, bleu_weights
from seqgan_tf.metrics.corpus_metrics import text_metrics

# □ is a character of shi.txt (46 times) that generators emit; <unk> must not be drawn as it
POEM = list("床前明月光疑是地上□举头望明月低头思故") + [corpus.UNK]


def test_poem_round_trip_keeps_unk_and_the_character_box_apart():
    text = poetry.render(POEM)
    assert text.split("\n")[1] == "疑是地上□" and text.count("□") == 1
    assert poetry.unrender(text) == POEM
    assert poetry.unrender(poetry.render(["□"] * 20)) == ["□"] * 20
    assert poetry.unrender(poetry.render([corpus.UNK] * 20)) == [corpus.UNK] * 20


def test_poem_corpus_may_not_hold_the_unk_mark(tmp_path):
    path = tmp_path / "poems.txt"
    path.write_text("".join(POEM[:19]) + poetry.UNK_MARK + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="poems.txt:1: holds 〓"):
        poetry.load_poem_file(path)


@pytest.mark.parametrize("tokens", [
    ["the", corpus.UNK, "of", "us", "are", corpus.UNK, "."],           # tokenize alone reads <unk> as < unk >
    ["we", "asked", "$", corpus.UNK, "."],
    ["(", corpus.UNK, ")", corpus.UNK, ",", corpus.UNK],
    ["on", "1", "st", ".", "now"],                                      # "st." would be one token
    ["mr.", ".", "end", ".", ".", "."],                                 # "mr.." / "end..." would read otherwise
    ["are", "...", "cheering", "."],
    ["(", "...", ")", "(", ".", ".", ")", "$", "..", "x"],
])
def test_sentence_round_trip(tokens):
    assert speeches.unrender(speeches.render(tokens)) == tokens


def test_kept_sentences_read_back_as_their_tokens():
    """Text as render glues it: full stops after a word form a run of dots; a spaced "..." is one token."""
    assert speeches.unrender("in the rising bomb..") == ["in", "the", "rising", "bomb", ".", "."]
    assert speeches.unrender("who are ... cheering.") == ["who", "are", "...", "cheering", "."]
    assert speeches.unrender("the <unk> of us, $<unk>.") == ["the", corpus.UNK, "of", "us", ",", "$", corpus.UNK, "."]
    assert speeches.render(["the", corpus.UNK, "of", "dr.", "king", "."]) == "the <unk> of dr. king."


def _run_dir(tmp_path, text_name, texts):
    seed = tmp_path / "seed1"
    seed.mkdir()
    (seed / "metrics.json").write_text(json.dumps({"models": {"mle": {"nll_test": 1.5}, "seqgan": {}}}))
    for model in ("mle", "seqgan"):
        (seed / f"{model}_{text_name}.txt").write_text(texts + "\n", encoding="utf-8")
    return seed / "metrics.json"


def test_rescore_poems_scores_the_box_as_the_character(tmp_path):
    """A kept poem equal to a reference (□ included) scores BLEU 1; read as <unk> it would not."""
    hyps = [POEM[:19] + ["故"], POEM]
    path = _run_dir(tmp_path, "poems", "\n\n".join(map(poetry.render, hyps)))
    refs = ReferenceBLEU([hyps[0]], max_n=4)
    runs = rescore(tmp_path, lambda h: {"bleu2": refs.mean(h[:1], bleu_weights(2)), "hyps": h}, poetry.unrender)
    mle = json.loads(path.read_text())["models"]["mle"]
    assert mle["bleu2"] == pytest.approx(1.0) and mle["nll_test"] == 1.5
    assert runs[0]["models"]["seqgan"]["hyps"] == hyps


def test_rescore_speeches_reads_one_sentence_a_line(tmp_path):
    hyps = [["we", corpus.UNK, "it", "."], ["then", "bomb", ".", "."], []]
    refs = ReferenceBLEU(hyps[:2], max_n=4)
    _run_dir(tmp_path, "speeches", "\n".join(map(speeches.render, hyps)))
    runs = rescore(tmp_path, lambda h: {**text_metrics(h[:2], refs), "hyps": h}, speeches.unrender, "speeches")
    assert runs[0]["models"]["mle"]["hyps"] == hyps             # the last sentence, empty, is read back too
    assert runs[0]["models"]["mle"]["bleu2"] == pytest.approx(1.0)
