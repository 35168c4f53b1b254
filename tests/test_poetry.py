"""Poems (Table 2): parsing and filtering, vocabulary, split and cache, metric wiring, the script, bad input."""
import io
import json
import shutil
import tarfile

import numpy as np
import pytest
from conftest import PNG, ROOT, ahead, fails, main, run_script

from seqgan_tf.data import corpus, poetry
from seqgan_tf.metrics.stats import welch
from seqgan_tf.metrics.bleu import ReferenceBLEU
from seqgan_tf.metrics.corpus_metrics import real_data_metrics, text_metrics
from seqgan_tf.report import corpus_tables
from seqgan_tf.report.corpus_tables import table2

SCRIPT = ROOT / "reproduce" / "poetry_bleu.py"
FIXTURE = ROOT / "tests" / "fixtures" / "quatrains.txt"
FIRST = "床前明月光疑是地上霜举头望明月低头思故乡"


# -- parsing and filtering ---------------------------------------------------------------------------------
def test_fixture_parses_to_20_characters_without_punctuation():
    """The quatrain fixture parses to 26 poems of 20 characters, punctuation dropped."""
    poems = poetry.load_poem_file(FIXTURE)
    assert len(poems) == 26 and all(len(p) == 20 for p in poems)
    assert "".join(poems[0]) == FIRST
    assert not {c for p in poems for c in p} & set(poetry.PUNCTUATION)


@pytest.mark.parametrize("line, ok", [
    ("床 前 明 月 光 ， 疑 是 地 上 霜 。 举 头 望 明 月 ， 低 头 思 故 乡 。 ", True),   # shi.txt layout
    ("床前明月光，疑是地上霜。举头望明月，低头思故乡。", True),                        # punctuated, no spaces
    (FIRST, True),                                                                   # characters only
    (FIRST[:19], False),                                                             # one short
    (FIRST + "啊", False),
    ("床前明月，光疑是地上霜。举头望明月，低头思故乡。", False),                        # mark inside a line
    ("床前明月光疑是地上霜举头望明月低头思故，乡", False),                              # 20 chars incl. a mark
    ("床前 明月 光 疑 是 地 上 霜 举 头 望 明 月 低 头 思 故 乡", False),               # multi-character tokens
])
def test_parse_line(line, ok):
    """A line is a quatrain in the shi.txt, punctuated or bare layout, and nothing else."""
    chars = poetry.parse_line(line)
    assert (chars == list(FIRST)) if ok else chars is None


def test_plain_file_wrong_line_is_named(tmp_path):
    """A plain poem file with a short line is refused at that line; blank lines are skipped."""
    path = tmp_path / "plain.txt"
    path.write_text(f"{FIRST}\n\n{FIRST}\n{FIRST[:15]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"plain.txt:4: not a 5-character quatrain \(15 characters"):
        poetry.load_poem_file(path)
    path.write_text(f"{FIRST}\n\n{FIRST}\n", encoding="utf-8")
    assert poetry.load_poem_file(path) == [list(FIRST)] * 2          # blank lines are skipped


@pytest.mark.parametrize("paragraphs, kept", [
    (["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"], True),
    (["床前明月光！疑是地上霜？举头望明月；低头思故乡。"], True),
    (["床前明月光，疑是地上霜。"], False),                                              # 2 lines
    (["床前明月光，疑是地上霜。举头望明月，低头思故乡。"] * 2, False),                    # 8 lines
    (["朝辭白帝彩雲間，千里江陵一日還。", "兩岸猿聲啼不住，輕舟已過萬重山。"], False),      # 7 characters
    (["床前明月光，疑是地上□。", "举头望明月，低头思故乡。"], False),                    # not all Han
])
def test_quatrain_filter(paragraphs, kept):
    """The chinese-poetry filter keeps 4 lines of 5 Han characters only."""
    assert (poetry.quatrain(paragraphs) == list(FIRST)) if kept else poetry.quatrain(paragraphs) is None


def _package(records_by_file):
    """A chinese-poetry-like tarball: {relative path: list of records} -> bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, records in records_by_file.items():
            data = json.dumps(records, ensure_ascii=False).encode()
            info = tarfile.TarInfo(f"package/dist/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


QUATRAIN = {"paragraphs": ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"], "title": "静夜思"}
SEVEN = {"paragraphs": ["朝辭白帝彩雲間，千里江陵一日還。", "兩岸猿聲啼不住，輕舟已過萬重山。"]}


def test_chinese_poetry_tarball_and_directory(tmp_path):
    """The npm tarball and its unpacked directory give the same quatrains, one edition only."""
    files = {"quantangshi/poet.tang.0.json": [QUATRAIN, SEVEN, QUATRAIN],
             "quantangshi/poet.song.1000.json": [SEVEN, QUATRAIN],
             "yudingquantangshi/json/001.json": [QUATRAIN] * 5,          # another edition of the same poems
             "quantangshi/authors.tang.json": [{"name": "x"}]}
    tgz = tmp_path / "pkg.tgz"
    tgz.write_bytes(_package(files))
    poems, stats = poetry.load_chinese_poetry(tgz)
    assert poems == [list(FIRST)] * 3 and stats == {"poems_read": 5, "quatrains_kept": 3}
    with tarfile.open(tgz) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    assert poetry.load_chinese_poetry(tmp_path / "unpacked") == (poems, stats)


# -- vocabulary, split, cache ------------------------------------------------------------------------------
def test_vocabulary_round_trip_unknown_and_save_load(tmp_path):
    """Vocabulary: <unk> first, then by count; unknown tokens to <unk>; save/load and caps."""
    seqs = [list("abca"), list("bcaa")]
    vocab = corpus.Vocabulary.build(seqs)
    assert vocab.tokens == [corpus.UNK, "a", "b", "c"]                 # UNK first, then by count, ties first seen
    assert vocab.decode(vocab.encode(list("cab"))) == list("cab")
    ids = vocab.encode(list("axb"))
    assert ids.dtype == np.int32 and ids.tolist() == [1, vocab.unk_id, 2] and vocab.unk_id == 0
    assert vocab.decode(ids) == ["a", corpus.UNK, "b"]
    vocab.save(tmp_path / "vocab.txt")
    loaded = corpus.Vocabulary.load(tmp_path / "vocab.txt")
    assert loaded.tokens == vocab.tokens and loaded.encode(list("axb")).tolist() == ids.tolist()
    capped = corpus.Vocabulary.build(seqs, max_size=2)
    assert capped.tokens == [corpus.UNK, "a"] and capped.encode(list("bc")).tolist() == [0, 0]
    assert corpus.Vocabulary.build([["the", "cat"]]).encode(corpus.tokenize("the  dog", "word")).tolist() == [1, 0]


def test_load_sequences_checks_length(tmp_path):
    """load_sequences reads word or character sequences and checks their length."""
    path = tmp_path / "c.txt"
    path.write_text("a b c\nd e f\nx y\n")
    assert corpus.load_sequences(path, "word")[2] == ["x", "y"]
    with pytest.raises(ValueError, match=r"c.txt:3: expected 3 tokens, got 2"):
        corpus.load_sequences(path, "word", length=3)
    assert corpus.load_sequences(path, "char")[0] == ["a", "b", "c"]            # char mode: spaces are layout


def test_split_is_fixed_disjoint_and_sized():
    """The split is fixed by its seed, disjoint, complete and of the asked size."""
    train, test = corpus.split(1000, 0.1, seed=0)
    assert len(test) == 100 and len(train) == 900
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(1000))
    again = corpus.split(1000, 0.1, seed=0)
    assert np.array_equal(again[1], test) and not np.array_equal(corpus.split(1000, 0.1, seed=1)[1], test)


def test_prepare_caches_and_builds_vocabulary_from_train_only(tmp_path):
    """prepare caches per setting and builds the vocabulary from training poems only."""
    poems = poetry.load_poem_file(FIXTURE)
    data = poetry.prepare("shi", FIXTURE, tmp_path, 0.1, 0)
    assert data.stats["train"] == 23 and data.stats["test"] == 3 and data.seq_len == 20
    assert sorted(map(tuple, data.train + data.test)) == sorted(map(tuple, poems))
    assert set(data.vocab.tokens) == {corpus.UNK} | {c for p in data.train for c in p}
    unknown = sum(c not in data.vocab for p in data.test for c in p)
    assert unknown > 0 and data.stats["test_unknown_tokens"] == unknown
    assert (data.encoded("test") == 0).sum() == unknown
    assert poetry.prepare("shi", FIXTURE, tmp_path, 0.1, 0).path == data.path
    assert poetry.prepare("shi", FIXTURE, tmp_path, 0.2, 0).path != data.path
    assert len(list(tmp_path.iterdir())) == 2                          # no temporary directories left


# -- metrics wiring ----------------------------------------------------------------------------------------
def test_text_metrics_match_nltk_on_characters():
    """BLEU-2..4 (and method1) and Self-BLEU-2 on characters equal nltk's."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    poems = [list(p) for p in ("床前明月光疑是地上霜", "举头望明月低头思故乡", "春眠不觉晓处处闻啼鸟")]
    hyps = [list("床前明月光处处闻啼鸟"), list("低头思故乡疑是地上霜"), list("白日依山尽黄河入海流")]
    m = text_metrics(hyps, ReferenceBLEU(poems))
    for n in (2, 3, 4):
        w = (1 / n,) * n
        assert m[f"bleu{n}"] == pytest.approx(np.mean([sentence_bleu(poems, h, w) for h in hyps]), abs=1e-9)
        m1 = np.mean([sentence_bleu(poems, h, w, smoothing_function=SmoothingFunction().method1) for h in hyps])
        assert m[f"bleu{n}_m1"] == pytest.approx(m1, abs=1e-9)
    self2 = np.mean([sentence_bleu(hyps[:i] + hyps[i + 1:], h, (0.5, 0.5)) for i, h in enumerate(hyps)])
    assert m["self_bleu2"] == pytest.approx(self2, abs=1e-9)


def test_real_row_scores_test_against_train():
    """The real row scores test poems against the training poems."""
    train = [list("床前明月光疑是地上霜举头望明月低头思故乡"), list("春眠不觉晓处处闻啼鸟夜来风雨声花落知多少")]
    data = corpus.PreparedCorpus(train=train, test=[train[1]], vocab=corpus.Vocabulary.build(train), stats={},
                                 path=None)
    real = real_data_metrics(data)
    assert real["bleu4"] == pytest.approx(1.0) and real["self_bleu2"] is None   # a test poem that is in train
    data.test = [list("白日依山尽黄河入海流欲穷千里目更上一层楼"), train[0]]
    real = real_data_metrics(data)
    assert real["bleu2_m1"] == pytest.approx(0.5 * (1 + ReferenceBLEU(train).sentence(data.test[0], (.5, .5),
                                                                                      "method1")))
    assert real["bleu2_m1"] < 0.6 and 0 <= real["self_bleu2"] < 0.1


def test_table2_aggregates_seeds():
    """Table 2 rows: mean and std over seeds, Welch p of SeqGAN vs MLE, the real row."""
    runs = [{"seed": s, "data": {}, "models": {"mle": {"epoch": 4, "bleu2": x, "nll_test": 5.0},
                                                "seqgan": {"epoch": 8, "bleu2": y, "nll_test": 5.0}}}
            for s, x, y in [(0, 0.60, 0.70), (1, 0.62, 0.73), (2, 0.61, 0.69)]]
    rows = {r["model"]: r for r in table2(runs, {"bleu2": 0.75})["rows"]}
    assert rows["real"]["bleu2"] == 0.75 and rows["real"]["nll_test"] is None
    assert rows["seqgan"]["bleu2"] == pytest.approx(0.70667, abs=1e-5)
    assert rows["mle"]["bleu2_std"] == pytest.approx(np.std([0.60, 0.62, 0.61], ddof=1))
    assert rows["p (seqgan vs mle)"]["bleu2"] == welch([0.60, 0.62, 0.61], [0.70, 0.73, 0.69])["p"] < 0.05
    assert rows["p (seqgan vs mle)"]["nll_test"] == 1.0 and "epoch" not in rows["mle"]    # identical, no spread


def _write_methods_runs(out, values):
    """A corpus methods sweep's metrics.json files ({"pretrain" or method: [bleu2 of each seed]}; the pretraining's
    value is its MLE model's, a method's its final G's) and one kept poem per model."""
    for name, xs in values.items():
        for s, x in enumerate(xs):
            d = out / f"seed{s}" / name
            d.mkdir(parents=True)
            model = {"epoch": 4, "n_generated": 3, "bleu2": x, "nll_test": 5.0}
            (d / "metrics.json").write_text(json.dumps({"seed": s, "data": {"test": 3}, "experiment": "corpus",
                                                        "models": {"mle": model, "seqgan": model}}))
            for kept in ("mle", "seqgan"):
                (d / f"{kept}_poems.txt").write_text(f"{name}{s}\n")


def test_methods_table_rows_p_values_and_rewrite(tmp_path):
    """A corpus methods sweep's table: the pretraining's G as the MLE row, each method's final G (methods.py order),
    mean ± std over seeds, Welch p over seeds against SeqGAN; figures.py rebuilds it from the runs; Table 1 is not
    written from a corpus's runs."""
    values = {"pretrain": [0.60, 0.62], "frozen_d": [0.65, 0.64], "seqgan": [0.70, 0.73], "mle": [0.61, 0.60]}
    _write_methods_runs(tmp_path, values)
    table = corpus_tables.methods_table(corpus_tables.methods_runs(tmp_path), {"bleu2": 0.75}, corpus_tables.COLUMNS)
    assert [r["model"] for r in table["rows"]] == ["real", "pretrain", "mle", "seqgan", "frozen_d"]
    rows = {r["model"]: r for r in table["rows"] + table["p_rows"]}
    assert rows["real"]["bleu2"] == 0.75 and rows["real"]["nll_test"] is None
    assert rows["frozen_d"]["bleu2"] == pytest.approx(0.645) and rows["frozen_d"]["seeds"] == "0 1"
    assert rows["seqgan"]["bleu2_std"] == pytest.approx(np.std([0.70, 0.73], ddof=1))
    assert [r["model"] for r in table["p_rows"]] == ["p (pretrain vs seqgan)", "p (mle vs seqgan)",
                                                     "p (frozen_d vs seqgan)"]
    assert rows["p (frozen_d vs seqgan)"]["bleu2"] == welch([0.70, 0.73], [0.65, 0.64])["p"]
    assert rows["p (frozen_d vs seqgan)"]["nll_test"] == 1.0           # equal values, no spread: p = 1
    corpus_tables.write_methods_table(tmp_path, table, "poems", "Note.")
    md = (tmp_path / "methods.md").read_text(encoding="utf-8")
    assert "| MLE (end of pretraining) | 0 1 | 0.6100 ± 0.0141 |" in md and "| Control: frozen D | 0 1 |" in md
    assert "MLE continued through the rounds (seed 0):" in md and "frozen_d0" in md and "pretrain0" in md
    (tmp_path / "methods.md").unlink()
    main("reproduce/figures.py", "--results", tmp_path)
    assert (tmp_path / "methods.md").read_text(encoding="utf-8") == md
    assert not (tmp_path / "table1.md").exists()


# -- the script ----------------------------------------------------------------------------------------------
SMOKE = ["--preset", "smoke", "--corpus", FIXTURE, "--batch_size", "8", "--seeds", "2"]


@ahead.job("test_smoke_script_writes_table_and_poems", "test_cnn_poem_pair_is_table_2s_runs_against_the_cnn")
def poetry_script(tmp):
    """The poetry script on the fixture's 26 quatrains: (tmp dir, CompletedProcess)."""
    return tmp, run_script(SCRIPT, *SMOKE, "--out", tmp / "out", "--cache", tmp / "cache")


@ahead.job("test_methods_sweep_shares_pretraining_and_its_seqgan_is_the_plain_run")
def poetry_methods_script(tmp):
    """The poetry script with --methods, seed 0 of poetry_script's runs: (tmp dir, CompletedProcess)."""
    return tmp, run_script(SCRIPT, *SMOKE[:-1], "1", "--methods", "mle,seqgan,constant_reward", "--out", tmp / "out",
                           "--cache", tmp / "cache")


def test_methods_sweep_shares_pretraining_and_its_seqgan_is_the_plain_run(capsys):
    """--methods on the poems (a fresh process, as the plain script's): each seed's MLE pretraining once, each method
    from it; the SeqGAN method's G is exactly the plain run's; --rescore with --methods is a one-line error."""
    (tmp_path, r), (plain, _) = ahead.result(poetry_methods_script), ahead.result(poetry_script)
    assert r.returncode == 0, r.stderr[-2000:]
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "seed0").iterdir()) == ["constant_reward", "mle", "pretrain", "seqgan"]
    models = json.loads((plain / "out" / "seed0" / "metrics.json").read_text())["models"]
    rows = {r["model"]: r for r in json.loads((out / "methods.json").read_text())["rows"]}
    for key in ("bleu2", "bleu2_train", "self_bleu2", "nll_test"):
        assert rows["pretrain"][key] == models["mle"][key] and rows["seqgan"][key] == models["seqgan"][key], key
    assert rows["constant_reward"]["nll_test"] != rows["seqgan"]["nll_test"]
    assert (out / "seed0" / "seqgan" / "seqgan_poems.txt").read_text() == (
        plain / "out" / "seed0" / "seqgan_poems.txt").read_text()
    assert "| Control: constant reward Q = 2 | 0 |" in (out / "methods.md").read_text(encoding="utf-8")
    fails(capsys, SCRIPT, *SMOKE, "--methods", "seqgan", "--rescore", "--out", out,
          message="--rescore and --lm_scores score a plain run's seeds")
    # the temperature sweep of the sweep's directory: the pretraining's MLE and each method (MLE continued among
    # them, a model of its own), at α = 1 as each was scored
    main("reproduce/temperature.py", "--poems", out, "--alphas", "1", "--cache", tmp_path / "cache",
         "--out", tmp_path / "t")
    swept = {r["model"]: r for r in json.loads((tmp_path / "t" / "temperature.json").read_text())["runs"]}
    assert not (tmp_path / "t" / "temperature.partial.json").exists()       # kept only while the sweep is unwritten
    assert list(swept) == ["mle_pretrained", "mle", "seqgan", "constant_reward"]
    assert [swept[m]["label"] for m in ("mle_pretrained", "mle", "constant_reward")] == [
        "MLE, end of pretraining", "MLE, continued", "Control: constant reward Q = 2"]
    for name, row in (("mle_pretrained", "pretrain"), ("mle", "mle"), ("seqgan", "seqgan"),
                      ("constant_reward", "constant_reward")):
        at_one = swept[name]["points"][0]
        assert at_one["bleu2"] == pytest.approx(rows[row]["bleu2"]), name
        assert at_one["nll_test"] == pytest.approx(rows[row]["nll_test"], abs=1e-5), name


def test_smoke_script_writes_table_and_poems():
    """The poetry script in a fresh process: Table 2 over two seeds, the poems, the kept G; figures.py rebuilds the
    table."""
    tmp_path, r = ahead.result(poetry_script)
    out = tmp_path / "out"
    assert r.returncode == 0, r.stderr[-2000:]
    table = json.loads((out / "table2.json").read_text())
    assert [row["model"] for row in table["rows"]] == ["real", "mle", "seqgan", "p (seqgan vs mle)"]
    assert table["seeds"] == [0, 1] and table["data"]["test"] == 3
    for row in table["rows"][1:3]:
        assert all(0 <= row[k] <= 1 for k in ("bleu2", "bleu2_m1", "bleu3_m1", "bleu4_m1", "self_bleu2"))
        assert 0 < row["nll_test"] < 10 and row["seeds"] == 2
    csv = (out / "table2.csv").read_text().splitlines()
    assert len(csv) == 5 and csv[0].startswith("model,seeds,bleu2,bleu2_std,bleu2_m1,")
    md = (out / "table2.md").read_text(encoding="utf-8")
    assert md.count("\n| ") == 5 and "| seqgan | " in md and "mle samples" in md
    (out / "table2.md").unlink()                        # figures.py rebuilds it from the saved runs alone
    main("reproduce/figures.py", "--results", out)
    assert (out / "table2.md").read_text(encoding="utf-8") == md
    assert (out / "seed0" / "nll_curve.png").read_bytes()[:8] == PNG
    metrics = json.loads((out / "seed0" / "metrics.json").read_text())
    assert metrics["models"]["mle"]["epoch"] == 4 and metrics["models"]["seqgan"]["epoch"] == 8
    assert metrics["models"]["seqgan"]["nll_test"] == metrics["curve"][-1]["nll_test"]
    for model in ("mle", "seqgan"):
        poems = (out / "seed0" / f"{model}_poems.txt").read_text(encoding="utf-8").strip().split("\n\n")
        assert len(poems) == 3
        assert all([len(line) for line in p.split("\n")] == [5] * 4 for p in poems)
    # the saved MLE generator is the one that was scored
    from seqgan_tf import config
    from seqgan_tf.metrics.nll import nll_test
    from seqgan_tf.models import Generator
    data = corpus.load_prepared(next((tmp_path / "cache").iterdir()))
    gen = Generator.from_config_obj(config.make("smoke", **{k: metrics["config"][k] for k in ("vocab_size",)}))
    gen.load_weights(out / "seed0" / "mle_generator.weights.h5")
    assert nll_test(gen, data.encoded("test")) == pytest.approx(metrics["models"]["mle"]["nll_test"], rel=1e-5)


def test_cnn_poem_pair_is_table_2s_runs_against_the_cnn(tmp_path, capsys):
    """reproduce/cnn_generator.py --poems: the CNN trained with each Table-2 seed's own config (only the generator
    changed), scored by the same protocols; the LSTM rows are Table 2's runs themselves; figures.py rebuilds the
    table; a CNN-less request and a directory without runs are refused in one line."""
    table2_tmp, r = ahead.result(poetry_script)
    assert r.returncode == 0, r.stderr[-2000:]
    table2_dir, out = table2_tmp / "out", tmp_path / "pair"
    main("reproduce/cnn_generator.py", "--poems", table2_dir, "--out", out, "--cache", table2_tmp / "cache")
    pair = json.loads((out / "poems.json").read_text())
    assert [(r["stage"], r["generator"]) for r in pair["rows"]] == [
        (s, g) for s in ("mle", "seqgan") for g in ("lstm", "cnn", "p (cnn vs lstm)")]
    assert pair["seeds"] == [0, 1]
    table2 = {row["model"]: row for row in json.loads((table2_dir / "table2.json").read_text())["rows"]}
    rows = {(r["stage"], r["generator"]): r for r in pair["rows"]}
    for stage in ("mle", "seqgan"):
        assert all(rows[stage, "lstm"][k] == table2[stage][k] for k in ("bleu2", "bleu2_train", "nll_test"))
        assert 0 <= rows[stage, "cnn"]["bleu2"] <= 1 and 0 < rows[stage, "cnn"]["nll_test"] < 10
        assert rows[stage, "cnn"]["nll_test"] != rows[stage, "lstm"]["nll_test"]
    lstm, cnn = (json.loads((d / "metrics.json").read_text()) for d in (table2_dir / "seed1", out / "cnn" / "seed1"))
    assert {k for k in lstm["config"] if lstm["config"][k] != cnn["config"][k]} == {"generator"}
    assert len((out / "cnn" / "seed1" / "seqgan_poems.txt").read_text(encoding="utf-8").strip().split("\n\n")) == 3
    md = (out / "poems.md").read_text(encoding="utf-8")
    assert md.count("\n| ") == 7 and "After SeqGAN, CNN G, emb 32" in md and "(a) references = the test poems" in md
    (out / "poems.md").unlink()                     # figures.py rebuilds it from the runs alone
    main("reproduce/figures.py", "--results", out)
    assert (out / "poems.md").read_text(encoding="utf-8") == md
    # a finished seed without its checkpoints (a fresh clone commits none) is taken as it is, not trained anew
    shutil.rmtree(out / "cnn" / "seed1" / "checkpoints")
    finished = (out / "cnn" / "seed1" / "metrics.json").read_bytes()
    main("reproduce/cnn_generator.py", "--poems", table2_dir, "--out", out, "--cache", table2_tmp / "cache")
    assert (out / "cnn" / "seed1" / "metrics.json").read_bytes() == finished
    assert not (out / "cnn" / "seed1" / "checkpoints").exists()
    fails(capsys, "reproduce/cnn_generator.py", "--poems", table2_dir, "--generators", "lstm", "--out", tmp_path / "x",
          message="--poems compares CNN generators with Table 2's LSTM runs")
    fails(capsys, "reproduce/cnn_generator.py", "--poems", tmp_path / "none", "--out", tmp_path / "y",
          message="no seed<k>/metrics.json under")
    fails(capsys, "reproduce/cnn_generator.py", "--poems", table2_dir, "--generators", "cnn,gru", "--out",
          tmp_path / "z", message="unknown generator 'gru'; choose from lstm, cnn, cnn_large")


def test_generator_pair_compares_only_the_seeds_every_generator_finished(tmp_path):
    """A CNN seed still running is left out of both arms (named in the .md), never compared with an LSTM mean over
    more seeds; no common seed is a one-line error."""
    from seqgan_tf.report.poem_pair import PAIR_COLUMNS, generator_pair, write_generator_pair

    def run(seed, v):
        return {"seed": seed, "models": {m: {k: v + seed for k, _ in PAIR_COLUMNS} for m in ("mle", "seqgan")}}
    pair = generator_pair({"lstm": [run(s, 0.1) for s in (88, 89, 90)], "cnn": [run(89, 0.3), run(88, 0.2)]}, {})
    assert pair["seeds"] == [88, 89] and pair["left_out"] == {"lstm": [90]}
    lstm = next(r for r in pair["rows"] if r["stage"] == "mle" and r["generator"] == "lstm")
    assert lstm["bleu2_seeds"] == [88.1, 89.1] and lstm["bleu2"] == pytest.approx(88.6)
    write_generator_pair(tmp_path, pair, "t", "x")
    assert "- Left out (not finished by every generator, so in no row): lstm seed 90." in (tmp_path / "poems.md").read_text()
    with pytest.raises(ValueError, match="no seed finished by every generator: lstm: \\[88\\]; cnn: \\[89\\]"):
        generator_pair({"lstm": [run(88, 0.1)], "cnn": [run(89, 0.1)]}, {})


def _zero_quatrains(tmp):
    path = tmp / "sevens.tgz"
    path.write_bytes(_package({"quantangshi/poet.tang.0.json": [SEVEN, SEVEN]}))
    return path


@pytest.mark.parametrize("make, source, message", [
    (lambda t: t / "missing.txt", "shi", "corpus file not found"),
    (lambda t: t / "empty.txt", "shi", "empty corpus"),
    (lambda t: t / "ragged.txt", "shi", "ragged.txt:2: not a 5-character quatrain (19 characters"),
    (lambda t: t / "binary.txt", "shi", "binary.txt:1: not UTF-8 text"),
    (lambda t: t / "corrupt.tgz", "chinese-poetry", "corrupt.tgz: not a readable npm tarball"),
    (_zero_quatrains, "chinese-poetry", "sevens.tgz: zero 5-character quatrains after filtering (2 poems read)"),
])
def test_bad_input_one_line_error_nothing_prepared(tmp_path, capsys, make, source, message):
    """Every unreadable poem source: exit 2, one line naming file and problem, nothing cached, no output."""
    (tmp_path / "empty.txt").write_text("\n  \n")
    (tmp_path / "ragged.txt").write_text(f"{FIRST}\n{FIRST[:19]}\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    (tmp_path / "corrupt.tgz").write_bytes(_package({"quantangshi/poet.tang.0.json": [QUATRAIN]})[:40])
    cache, out = tmp_path / "cache", tmp_path / "out"
    fails(capsys, "reproduce/poetry_bleu.py", *SMOKE, "--corpus_source", source, "--corpus", make(tmp_path), "--cache", cache,
          "--out", out, message=message)
    assert not cache.exists() or not any(cache.rglob("*")), list(cache.rglob("*"))
    assert not out.exists()


def test_render_keeps_four_lines_of_five_when_unk_is_generated():
    """A generated <unk> is drawn as one character, so a poem stays 4 lines of 5."""
    chars = list("云人厌草踪种酒万厌吞枯洮几蓑落逐适四声") + [corpus.UNK]
    assert poetry.render(chars).split("\n") == ["云人厌草踪", "种酒万厌吞", "枯洮几蓑落", "逐适四声〓"]
