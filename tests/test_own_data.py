"""Your own data: padding with <eos>, vocabulary, end token and temperature in sampling, the train/sample
command line end to end in fresh processes, and one-line errors for bad input."""
import contextlib
import io
import json
import re

import numpy as np
import pytest
import tensorflow as tf
from conftest import ROOT, fails, main, run_script, seed

from seqgan_tf import config, saved_model
from seqgan_tf.data import corpus, text
from seqgan_tf.models import Generator
from seqgan_tf.experiments.corpus_experiments import CorpusTask, configure

FIXTURE = ROOT / "tests" / "fixtures" / "sentences.txt"
LINES = FIXTURE.read_text(encoding="utf-8").splitlines()


def prepare(tmp_path, path=FIXTURE, mode="word", max_len=0, truncate=False, max_vocab=0):
    return text.prepare(path, mode, max_len, truncate, max_vocab, tmp_path, 0.1, 0)


# -- padding and vocabulary ----------------------------------------------------------------------------------
def test_lines_are_padded_with_end_token_to_longest_plus_one(tmp_path):
    """Lines are padded with <eos> to the longest line plus one; <unk> and <eos> come first."""
    data = prepare(tmp_path)
    longest = max(len(l.split()) for l in LINES)
    assert data.seq_len == longest + 1 and data.stats["truncated_lines"] == 0
    assert data.vocab.tokens[:2] == [corpus.UNK, corpus.END]
    for seq in data.train + data.test:
        content = corpus.strip_end(seq)
        assert seq == content + [corpus.END] * (len(seq) - len(content)) and len(seq) > len(content)
        assert corpus.END not in content


@pytest.mark.parametrize("mode", corpus.TOKENIZERS)
def test_vocabulary_round_trip_is_identity_for_in_vocabulary_text(tmp_path, mode):
    """Saved and loaded vocabularies decode every fixture line back to itself, per tokenizer."""
    data = prepare(tmp_path, mode=mode)
    data.vocab.save(tmp_path / "vocab.txt")
    vocab = corpus.Vocabulary.load(tmp_path / "vocab.txt")
    for line in LINES:            # the whole fixture, test lines included: all their tokens occur in training
        ids = vocab.encode(corpus.tokenize(line, mode, keep_spaces=True) + [corpus.END] * 3)
        assert vocab.unk_id not in ids
        assert corpus.detokenize(corpus.strip_end(vocab.decode(ids)), mode) == line


def test_char_mode_keeps_spaces_as_a_token():
    """Character mode keeps a space token between words and drops it for poems."""
    tokens = corpus.tokenize("  the  old dog ", "char", keep_spaces=True)
    assert tokens == list("the") + [corpus.SPACE] + list("old") + [corpus.SPACE] + list("dog")
    assert corpus.detokenize(tokens, "char") == "the old dog"
    assert corpus.tokenize("床 前", "char") == ["床", "前"]          # the poems' char mode is unchanged


def test_vocabulary_cap_maps_rare_tokens_to_unk(tmp_path):
    """--max_vocab keeps the commonest tokens and maps the rest to <unk>."""
    data = prepare(tmp_path, max_vocab=10)
    assert len(data.vocab) == 10 and data.vocab.tokens[:2] == [corpus.UNK, corpus.END]
    ids = data.encoded("train")
    assert (ids == data.vocab.unk_id).any() and ids.max() < 10


def test_long_lines_are_an_error_or_truncated_and_counted(tmp_path):
    """Lines over --max_len are an error naming the first, or with --truncate cut and counted."""
    n_long = sum(len(l.split()) > 10 for l in LINES)
    first = next(i for i, l in enumerate(LINES, 1) if len(l.split()) > 10)
    with pytest.raises(ValueError, match=rf"sentences.txt:{first}: \d+ tokens, longer than --max_len 10 "
                                         rf"\({n_long} such lines"):
        prepare(tmp_path, max_len=10)
    data = prepare(tmp_path, max_len=10, truncate=True)
    assert data.seq_len == 11 and data.stats["truncated_lines"] == n_long
    assert all(s[-1] == corpus.END for s in data.train)       # a cut line still ends with the end token


@pytest.mark.parametrize("content, message", [
    ("a b\n   \n", None),
    ("a <eos> b\nc d\n", r"bad.txt:1: holds the reserved token '<eos>'"),
    ("c d\na <unk>\n", r"bad.txt:2: holds the reserved token '<unk>'"),
    ("a b\nc\u2581d\n", r"bad.txt:2: holds the reserved token '\u2581'"),
])
def test_reserved_tokens_are_refused(tmp_path, content, message):
    """A corpus holding <eos>, <unk> or the space token is refused at its line."""
    (tmp_path / "bad.txt").write_text(content, encoding="utf-8")
    mode = "char" if "\u2581" in content else "word"
    if message is None:
        assert corpus.load_padded(tmp_path / "bad.txt", mode)[0] == [["a", "b", corpus.END]]
    else:
        with pytest.raises(ValueError, match=message):
            corpus.load_padded(tmp_path / "bad.txt", mode)


def test_bleu_compares_text_without_padding(tmp_path):
    """BLEU of own-data runs compares the text: references and hypotheses without padding."""
    data = prepare(tmp_path)
    cfg = configure(config.make("smoke"), data)
    assert cfg.end_token == data.vocab.index[corpus.END] and cfg.seq_len == data.seq_len
    task = CorpusTask(cfg, data, kind="text")
    padded, line = data.encoded("test")[0], data.unpadded("test")[0]
    assert data.decode(padded) == line and corpus.END not in line
    # a test line scores BLEU 1 against the references only if they hold it without padding (else the brevity
    # penalty of the padded reference length), and a hypothesis with an end token appended scores less
    assert task.metrics([line])["bleu2"] == pytest.approx(1.0)
    assert task.metrics([line + [corpus.END]])["bleu2"] < 1.0


# -- sampling: end token and temperature ---------------------------------------------------------------------
def _gen(end_token):
    return Generator(vocab_size=4, emb_dim=8, hidden_dim=8, seq_len=12, seed=3, end_token=end_token).build_all()


def test_nothing_but_end_tokens_after_the_first_end_token():
    """With an end token, sampling emits only it after the first one (kept prefixes untouched)."""
    end = 1
    free, ended = _gen(None).sample(300, seed(0, 7)).numpy(), _gen(end).sample(300, seed(0, 7)).numpy()
    after = lambda rows: [r[list(r).index(end):] for r in rows if end in r[:-1]]
    assert any((tail != end).any() for tail in after(free))            # untied, G does write after an end token
    assert len(after(ended)) > 50 and all((tail == end).all() for tail in after(ended))
    # a kept prefix is the caller's; only sampled positions are tied to the end token
    prefix = np.tile([[2, end, 3, 3] + [0] * 8], (5, 1)).astype(np.int32)
    done = _gen(end).complete(prefix, tf.fill([5], 4), seed(1, 1)).numpy()
    np.testing.assert_array_equal(done[:, :4], prefix[:, :4])
    assert (done[:, 4:] != end).any()      # position 3 (not an end token) lets sampling go on


def test_temperature_one_is_the_model_and_low_temperature_is_sharper():
    """Temperature 1 samples the model itself; a low one is sharper, a high one flatter."""
    gen = Generator(vocab_size=4, emb_dim=8, hidden_dim=8, seq_len=12, seed=3, init_std=1.0).build_all()  # peaked
    np.testing.assert_array_equal(gen.sample(200, seed(2, 2)), gen.sample(200, seed(2, 2), 1.0))
    distinct = {t: len({tuple(r) for r in gen.sample(200, seed(2, 2), t).numpy()}) for t in (0.05, 1.0, 5.0)}
    assert distinct[0.05] <= 3 and distinct[1.0] > 100 and distinct[5.0] >= distinct[1.0]


# -- the command line, end to end -------------------------------------------------------------------------------
CLI = "-m seqgan_tf"


def _one_line_error(capsys, *argv, pattern):
    """`python -m seqgan_tf *argv` (in-process) fails with exit 2, one error line matching `pattern`, no stdout."""
    line, out = fails(capsys, CLI, *argv, message="error: ")
    assert out.strip() == "" and re.search(pattern, line), line


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`train` on the 400-sentence fixture at smoke scale (in this process): (out dir, what it printed)."""
    out = tmp_path_factory.mktemp("own") / "run"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        main(CLI, "train", "--corpus", FIXTURE, "--preset", "smoke", "--out", out)
    return out, printed.getvalue()


def test_train_reports_metrics_and_saves_a_loadable_model(trained):
    """train prints the metrics table and saves model.json, vocabulary and weights that load with their config."""
    out, stdout = trained
    assert "| seqgan |" in stdout and "| mle |" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    for model in ("mle", "seqgan"):
        assert {"bleu2", "bleu3", "bleu4", "self_bleu2", "nll_test"} <= set(metrics["models"][model])
    saved = saved_model.load_model(out)
    assert saved.cfg.end_token == saved.vocab.index[corpus.END] and saved.mode == "word"
    assert saved.cfg.vocab_size == len(saved.vocab) and saved.meta["version"] == saved_model.FORMAT_VERSION


def test_sample_in_a_new_process(trained, capsys):
    """sample in a fresh process prints 30 lines cut at the end token; --ids gives their ids; the same seed gives the
    same lines here as there."""
    out, _ = trained
    r = run_script("-m", "seqgan_tf", "sample", out, "-n", "30", "--seed", "5")
    assert r.returncode == 0, r.stderr[-2000:]
    capsys.readouterr()
    main(CLI, "sample", out, "-n", "30", "--seed", "5", "--ids")
    ids = capsys.readouterr().out
    lines, id_rows = r.stdout.split("\n")[:-1], [list(map(int, l.split())) for l in ids.splitlines()]
    assert len(lines) == len(id_rows) == 30
    vocab = corpus.Vocabulary.load(out / "vocab.txt")
    end = vocab.index[corpus.END]
    for line, row in zip(lines, id_rows):
        assert end not in row[:-1]                           # nothing printed after the end token
        assert line == " ".join(vocab.decode(t for t in row if t != end))
        assert corpus.END not in line.split()
    main(CLI, "sample", out, "-n", "30", "--seed", "5")
    assert capsys.readouterr().out == r.stdout


@pytest.mark.parametrize("name, change, pattern", [
    ("old", lambda meta: {"version": 0}, r"saved in format version 0; this seqgan_tf reads version 1"),
    ("wide", lambda meta: {"config": {**meta["config"], "hidden_dim": meta["config"]["hidden_dim"] + 1}},
     r"seqgan_generator.weights.h5: does not fit the saved config"),
    ("novocab", lambda meta: {"config": {k: v for k, v in meta["config"].items() if k != "vocab_size"}},
     r"saved config lacks vocab_size"),
])
def test_sample_refuses_another_format_or_config(trained, tmp_path, capsys, name, change, pattern):
    """A saved model of another format version, or whose config does not fit its weights, is refused in one line."""
    out, _ = trained
    meta = json.loads((out / "model.json").read_text())
    d = tmp_path / name
    d.mkdir()
    for f in ("vocab.txt", "seqgan_generator.weights.h5"):
        (d / f).write_bytes((out / f).read_bytes())
    (d / "model.json").write_text(json.dumps({**meta, **change(meta)}))
    _one_line_error(capsys, "sample", d, "-n", "2", pattern=pattern)


@pytest.mark.parametrize("name, content, extra, pattern", [
    ("empty.txt", b"\n  \n", [], r"empty.txt: empty corpus"),
    ("binary.bin", b"\x7fELF\x02\x01\x01\x00\xff\xfe", [], r"binary.bin:1: not UTF-8 text \(a binary file\?\)"),
    ("long.txt", b"a b c\na b c d e f\nb c\n", ["--max_len", "4"], r"long.txt:2: 6 tokens, longer than --max_len 4"),
    (None, None, [], r"corpus file not found: .*nothere.txt"),
])
def test_train_bad_input_is_one_line(tmp_path, capsys, name, content, extra, pattern):
    """An empty, binary, too-long or missing corpus: one error line before any training."""
    path = tmp_path / (name or "nothere.txt")
    if content is not None:
        path.write_bytes(content)
    _one_line_error(capsys, "train", "--corpus", path, "--out", tmp_path / "out", *extra, pattern=pattern)


def test_sample_missing_or_unfinished_directory_is_one_line(tmp_path, capsys):
    """sample on a missing directory, or one without a finished model, says so in one line."""
    _one_line_error(capsys, "sample", tmp_path / "nope", pattern=r"nope: no such directory")
    _one_line_error(capsys, "sample", tmp_path, pattern=r"no model.json")


def test_sweep_reproduces_the_saved_metrics_at_alpha_one(trained, capsys):
    """`sweep DIR` scores both saved generators at each α; at α = 1 BLEU-2, Self-BLEU-2 and NLL-test are the ones
    `train` saved, and the figure and the crossing table are written in DIR/temperature/."""
    out, _ = trained
    capsys.readouterr()
    main(CLI, "sweep", out, "--alphas", "0.5,2")
    assert "BLEU-2" in capsys.readouterr().out
    result = json.loads((out / "temperature" / "temperature.json").read_text())
    saved = json.loads((out / "metrics.json").read_text())["models"]
    assert {r["model"] for r in result["runs"]} == {"mle", "seqgan"}
    for r in result["runs"]:
        at_one = next(p for p in r["points"] if p["alpha"] == 1.0)
        for key in ("bleu2", "self_bleu2", "nll_test"):
            assert at_one[key] == saved[r["model"]][key], (r["model"], key)
    for name in ("temperature.png", "temperature_self_bleu2.png", "crossing.md", "temperature.csv"):
        assert (out / "temperature" / name).stat().st_size > 0


def test_sweep_bad_input_is_one_line(trained, tmp_path, capsys):
    out, _ = trained
    _one_line_error(capsys, "sweep", out, "--alphas", "1,-2", pattern="positive")
    _one_line_error(capsys, "sweep", tmp_path, pattern="no model.json")
