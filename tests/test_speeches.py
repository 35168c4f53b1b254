"""The speeches corpus (Table 3): tokens, sentences, the split by paragraph, bad input, and a smoke run's table."""
import json

import pytest

from conftest import ROOT, fails, main
from seqgan_tf.data import corpus, speeches

FIXTURE = ROOT / "tests" / "fixtures" / "speeches.txt"
SCRIPT = "reproduce/speech_bleu.py"


def test_tokens_round_trip_through_render():
    """Every fixture paragraph's tokens survive render -> tokenize; case is folded, curly quotes made straight, a
    contraction is one word, an abbreviation keeps its full stop and does not end the sentence."""
    for para in speeches.load_paragraphs([FIXTURE]):
        for sent in speeches.sentences(para):
            assert speeches.tokenize(speeches.render(sent)) == sent
    tokens = speeches.tokenize("Mr. Smith said: \u201cWe don\u2019t quit\u2014ever.\u201d U.S. jobs, 1,000 of them!")
    assert tokens == ["mr.", "smith", "said", ":", '"', "we", "don't", "quit", "--", "ever", ".", '"', "u.s.", "jobs",
                      ",", "1,000", "of", "them", "!"]
    assert speeches.sentences(tokens) == [tokens[:12], tokens[12:]]


def _paragraphs(tmp_path, n=40):
    """n paragraphs whose sentences name their paragraph, so each sentence's paragraph is known."""
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    lines = [" ".join(f"In paragraph {words[i // 10]} {words[i % 10]} we say sentence {words[j]} of it, again."
                      for j in range(3)) for i in range(n)]
    path = tmp_path / "speeches.txt"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_split_is_by_paragraph(tmp_path):
    """No paragraph has sentences on both sides; sentences are padded with <eos> to MAX_TOKENS + 1."""
    data = speeches.prepare(_paragraphs(tmp_path), tmp_path / "cache", 0.25, 0)
    paragraph = lambda seq: tuple(seq[2:4])        # noqa: E731  ("paragraph", "one", "two": its number)
    train, test = {paragraph(s) for s in data.train}, {paragraph(s) for s in data.test}
    assert train and test and not train & test and len(train | test) == 40
    assert all(len(s) == speeches.SEQ_LEN and s[-1] == corpus.END for s in data.train + data.test)
    assert data.stats["test_groups"] == len(test) and data.stats["sentences_kept"] == 120


@pytest.mark.parametrize("content, message", [
    (b"", "empty corpus"),
    (b"We stand together.\n\n\xff\xfe broken\n", ":3: not UTF-8"),
    (b"We stand together today.\n\n... !!! ?\n", ":3: a paragraph without words"),
    (b"Short one. Tiny.\n", "no sentence of 8-20 tokens"),
])
def test_bad_input_is_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    fails(capsys, SCRIPT, "--preset", "smoke", "--corpus", path, "--cache", tmp_path / "c", "--out", tmp_path / "o",
          message=message)
    assert not (tmp_path / "o" / "table3.md").exists()


def test_smoke_run_writes_table3_with_ten_sentences_per_model(tmp_path, capsys):
    """The script on the fixture: Table 3 with both protocols' BLEU-3/4 for real, MLE and SeqGAN, the paper's
    numbers, ten generated sentences per model; reproduce/figures.py rebuilds it from the files alone."""
    out = tmp_path / "out"
    main(SCRIPT, "--preset", "smoke", "--corpus", FIXTURE, "--batch_size", "8", "--seeds", "1", "--cache",
         tmp_path / "cache", "--out", out)
    table = json.loads((out / "table3.json").read_text())
    rows = {r["model"]: r for r in table["rows"]}
    for key in ("bleu3", "bleu4", "bleu3_train", "bleu4_m1_train", "self_bleu2"):
        assert all(0 <= rows[m][key] <= 1 for m in ("real", "mle", "seqgan")), key
    md = (out / "table3.md").read_text()
    blocks = md.split("```")
    assert "BLEU-3 0.519" in md and len(blocks) == 5
    assert all(len(b.strip().splitlines()) == 10 for b in (blocks[1], blocks[3]))
    before = (out / "table3.md").read_text()
    (out / "table3.md").unlink()
    main("reproduce/figures.py", "--results", out)
    assert (out / "table3.md").read_text() == before
    # the temperature sweep reads the kept generators: BLEU-3 under protocol (a) at each α, NLL-test as diversity
    main("reproduce/temperature.py", "--speeches", out, "--alphas", "1,4", "--cache", tmp_path / "cache",
         "--out", tmp_path / "t")
    sweep = json.loads((tmp_path / "t" / "temperature.json").read_text())
    assert sweep["dataset"] == "speeches" and sweep["quality"] == "bleu3"
    assert sorted(r["model"] for r in sweep["runs"]) == ["mle", "seqgan"]
    for r in sweep["runs"]:
        one, cold = r["points"]
        assert one["nll_test"] == pytest.approx(rows[r["model"]]["nll_test"], rel=1e-5)
        assert one["bleu3"] == pytest.approx(rows[r["model"]]["bleu3"], rel=1e-9)     # the same samples at α = 1
        assert cold["distinct"] <= one["distinct"]
    # --lm_scores trains an LM on each α's samples: too few of them is one line before any work, nothing written
    fails(capsys, "reproduce/temperature.py", "--speeches", out, "--alphas", "1", "--cache", tmp_path / "cache",
          "--lm_scores", "--out", tmp_path / "t_lm", message="seed 0's samples: an LM needs at least")
    assert not (tmp_path / "t_lm").exists()
