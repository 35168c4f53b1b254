"""Music (Table 4): MIDI encoding and round trip, split by tune, BLEU-4 vs nltk, the MSE, the script, bad input."""
import json

import numpy as np
import pretty_midi
import pytest
from conftest import PNG, ROOT, ahead, fails, main, run_script

from seqgan_tf.data import corpus, midi
from seqgan_tf.metrics.mse import closest_mse
from seqgan_tf.metrics.corpus_metrics import MusicMetrics, held_out_metrics
from seqgan_tf.report.corpus_tables import rewrite_table

SCRIPT = ROOT / "reproduce" / "music.py"
SCALE = [60, 62, 64, 65, 67, 69, 71, 72]


def write_tune(path, melody, chords=((48, 0.0, 4.0),)):
    """A two-track MIDI file like Nottingham's, but with the chord track FIRST (the melody must be found by pitch,
    not by position). melody / chords: (pitch, start s, end s)."""
    pm = pretty_midi.PrettyMIDI()
    for notes in (chords, melody):
        inst = pretty_midi.Instrument(program=0)
        inst.notes = [pretty_midi.Note(velocity=80, pitch=p, start=s, end=e) for p, s, e in notes]
        pm.instruments.append(inst)
    pm.write(str(path))


def random_tunes(directory, n, steps, seed=0):
    """n tunes of `steps` samples of 0.4 s, random scale notes lasting 1-2 steps."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        notes, i = [], 0
        while i < steps:
            d = min(int(rng.integers(1, 3)), steps - i)
            notes.append((int(rng.choice(SCALE)), i * 0.4, (i + d) * 0.4))
            i += d
        write_tune(directory / f"tune{k:02d}.mid", notes, chords=((43, 0.0, steps * 0.4),))
    return directory


# -- encoding ------------------------------------------------------------------------------------------------
# Melody starts at 0.5 s; a rest from 1.7 to 2.5 s; 67 and 72 overlap from 3.3 s (the top note wins).
MELODY = [(60, 0.5, 1.3), (62, 1.3, 1.7), (64, 2.5, 2.9), (67, 2.9, 3.7), (72, 3.3, 3.7)]
#   samples at 0.5 + 0.4 k: 0.5 60 | 0.9 60 | 1.3 62 | 1.7 rest->62 | 2.1 rest->62 | 2.5 64 | 2.9 67 | 3.3 72
EXPECTED = [60, 60, 62, 62, 62, 64, 67, 72]


def test_melody_track_is_found_and_sampled_every_step(tmp_path):
    """The melody is the highest track, sampled every 0.4 s (rests hold, the top note wins)."""
    write_tune(tmp_path / "t.mid", MELODY, chords=((40, 0.0, 4.0), (47, 0.0, 4.0), (52, 0.0, 4.0)))
    pm = midi.read_midi(tmp_path / "t.mid")
    voice = midi.melody(pm)
    assert voice is pm.instruments[1]                                    # the chord track comes first
    assert midi.sample_pitches(voice.notes) == EXPECTED


def test_round_trip_midi_tokens_midi(tmp_path):
    """MIDI -> pitch tokens -> MIDI gives back the same tokens; id k is piano key k."""
    write_tune(tmp_path / "t.mid", MELODY)
    tunes, counts = midi.load_tunes(tmp_path)
    tokens = [str(p) for p in tunes["t.mid"]]
    assert tunes["t.mid"] == EXPECTED and counts["unreadable"] == 0
    midi.write_midi(tokens, tmp_path / "out" / "back.mid")
    back = midi.read_midi(tmp_path / "out" / "back.mid")
    assert [str(p) for p in midi.sample_pitches(midi.melody(back).notes)] == tokens
    assert [n.pitch for n in back.instruments[0].notes] == [60, 62, 64, 67, 72]   # repeats held as one note
    ids = midi.vocabulary().encode(tokens)
    assert ids.tolist() == [p - 20 for p in EXPECTED]                    # id k is piano key k
    assert midi.vocabulary().decode(ids) == tokens and len(midi.vocabulary()) == 89


def test_keyboard_windows_and_unknown_tokens():
    """Pitches fold onto the keyboard, tunes cut into whole windows, <unk> holds its neighbour."""
    assert [midi.on_keyboard(p) for p in (15, 21, 108, 110)] == [27, 21, 108, 98]
    assert midi.windows(list(range(70)), 32) == [[str(p) for p in range(32)], [str(p) for p in range(32, 64)]]
    assert midi.windows(list(range(31)), 32) == []
    assert midi.pitches([corpus.UNK, "60", corpus.UNK, "64"]) == [60, 60, 60, 64]


def test_split_is_by_tune(tmp_path):
    """The train/test split keeps every window of a tune on one side."""
    random_tunes(tmp_path / "midi", 10, 70)                             # 2 windows each, remainder dropped
    data = midi.prepare(tmp_path / "midi", tmp_path / "cache", 0.2, 0)
    assert data.stats["sequences"] == 20 and data.stats["tunes"] == 10 and data.stats["test_groups"] == 2
    assert len(data.test) == 4 and len(data.vocab) == 89
    tunes, _ = midi.load_tunes(tmp_path / "midi")
    test_tunes = {name for name, p in tunes.items() for w in midi.windows(p) if w in data.test}
    assert len(test_tunes) == 2
    assert all(w not in data.train for name in test_tunes for w in midi.windows(tunes[name]))


# -- metrics -------------------------------------------------------------------------------------------------
def test_bleu4_matches_nltk_on_pitch_tokens():
    """Table 4's BLEU-4 (and method1) equal nltk's on pitch tokens."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    rng = np.random.default_rng(1)
    test = [[str(p) for p in rng.choice(SCALE, 32)] for _ in range(6)]
    hyps = [test[0][:16] + test[1][16:], [str(p) for p in rng.choice(range(21, 109), 32)], test[2]]
    m = MusicMetrics(test)(hyps)
    w = (0.25,) * 4
    assert m["bleu4"] == pytest.approx(np.mean([sentence_bleu(test, h, w) for h in hyps]), abs=1e-12)
    m1 = np.mean([sentence_bleu(test, h, w, smoothing_function=SmoothingFunction().method1) for h in hyps])
    assert m["bleu4_m1"] == pytest.approx(m1, abs=1e-12)
    assert 0 < m["bleu4"] < 1 and m["bleu4_m1"] != m["bleu4"]          # the random hyp needs smoothing


def test_closest_mse_hand_made():
    """closest_mse is the mean squared pitch error to the closest reference, chunking aside."""
    refs = [[60] * 4, [72] * 4]
    assert closest_mse([[60, 60, 60, 62]], refs) == 1.0                 # one step 2 semitones off: 4 / 4
    assert closest_mse([[66] * 4], refs) == 36.0                        # halfway: 6² from either
    assert closest_mse([[72] * 4, [60, 60, 60, 62], [66] * 4], refs) == pytest.approx(37 / 3)
    assert closest_mse([[71, 73, 71, 73]], refs + [[70, 74, 70, 74]]) == 1.0   # the closest, not the first
    assert closest_mse(np.full((3000, 4), 60), refs, chunk=7) == 0.0     # chunking changes nothing
    with pytest.raises(ValueError, match="closest_mse needs"):
        closest_mse([[60] * 3], refs)
    m = MusicMetrics([["60"] * 4, ["72"] * 4])([["60", "60", "60", "62"], [corpus.UNK, "72", "72", "72"]])
    assert m["mse"] == 0.5                                                # <unk> holds its neighbour: 72


def test_held_out_row_scores_training_tunes_like_generated_ones():
    """The real row scores a fixed-seed choice of training tunes exactly as generated ones."""
    train = [[str(p)] * 4 for p in (60, 62, 64, 65, 67)]
    data = corpus.PreparedCorpus(train=train, test=[["60"] * 4], vocab=midi.vocabulary(), stats={}, path=None)
    seen = []
    row = held_out_metrics(data, lambda hyps: seen.append(hyps) or {"n": len(hyps)}, 3, 0)
    assert row == {"n": 3} and all(h in train for h in seen[0]) and len({tuple(h) for h in seen[0]}) == 3
    assert held_out_metrics(data, lambda h: {"h": h}, 3, 0) == {"h": seen[0]}          # fixed seed


# -- the script ----------------------------------------------------------------------------------------------
SMOKE = ["--preset", "smoke", "--batch_size", "8", "--seeds", "2", "--examples", "2"]


@ahead.job("test_smoke_script_writes_table_midi_and_piano_roll")
def music_script(tmp):
    """The music script on 10 random tunes, one broken MIDI file and one text file: (out dir, CompletedProcess)."""
    src = random_tunes(tmp / "midi", 10, 70)
    (src / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    (src / "notes.txt").write_text("not MIDI, not read")
    return tmp / "out", run_script(SCRIPT, *SMOKE, "--corpus", src, "--out", tmp / "out", "--cache", tmp / "cache")


def test_smoke_script_writes_table_midi_and_piano_roll():
    """The music script in a fresh process: Table 4 over two seeds, playable MIDI samples, the piano roll, unreadable
    files skipped and counted; figures.py's path rebuilds the same table from the saved seeds."""
    out, r = ahead.result(music_script)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "skipped 1 unreadable MIDI file(s)" in r.stdout + r.stderr and "broken.mid" in r.stdout + r.stderr
    table = json.loads((out / "table4.json").read_text())
    rows = {row["model"]: row for row in table["rows"]}
    assert list(rows) == ["real", "mle", "seqgan", "p (seqgan vs mle)"] and table["seeds"] == [0, 1]
    assert table["data"]["unreadable"] == 1 and table["data"]["tunes"] == 10 and table["data"]["midi_files"] == 11
    for row in (rows["real"], rows["mle"], rows["seqgan"]):
        assert 0 <= row["bleu4"] <= 1 and 0 <= row["bleu4_m1"] <= 1 and row["mse"] >= 0
    assert rows["mle"]["seeds"] == 2 and rows["mle"]["mse_std"] is not None and 0 < rows["mle"]["nll_test"] < 10
    assert table["paper"]["seqgan"] == {"bleu4": 0.9406, "mse": 20.62}
    csv = (out / "table4.csv").read_text().splitlines()
    assert len(csv) == 5 and csv[0].startswith("model,seeds,bleu4,bleu4_std,bleu4_m1,bleu4_m1_std,mse,mse_std")
    md = (out / "table4.md").read_text()
    assert md.count("\n| ") == 5 and "| MSE |" in md and "20.62" in md and "seqgan samples" in md
    for name in ("real", "mle", "seqgan"):
        for i in (1, 2):
            pm = pretty_midi.PrettyMIDI(str(out / "midi" / f"{name}_{i}.mid"))      # a valid, playable file
            notes = pm.instruments[0].notes
            assert notes and all(21 <= n.pitch <= 108 for n in notes)
            assert pm.get_end_time() == pytest.approx(32 * 0.4) and len(midi.sample_pitches(notes)) == 32
    assert (out / "piano_roll.png").read_bytes()[:8] == PNG
    tunes = (out / "seed0" / "mle_tunes.txt").read_text().strip().split("\n\n")
    first = midi.sample_pitches(pretty_midi.PrettyMIDI(str(out / "midi" / "mle_1.mid")).instruments[0].notes)
    assert first == midi.pitches(tunes[0].split())                    # the MIDI file is the scored sample
    # figures.py's path: Table 4 rebuilt from the saved seeds alone, same rows, same markdown
    (out / "table4.md").unlink()
    rewrite_table(out, "table4")
    assert json.loads((out / "table4.json").read_text())["rows"] == table["rows"] and (out / "table4.md").read_text() == md
    # --rescore: no training, the kept tunes scored again give every value back
    jsonl = (out / "seed0" / "metrics.jsonl").read_bytes()
    main(SCRIPT, *SMOKE, "--corpus", out.parent / "midi", "--cache", out.parent / "cache", "--out", out, "--rescore")
    assert json.loads((out / "table4.json").read_text())["rows"] == table["rows"]
    assert (out / "seed0" / "metrics.jsonl").read_bytes() == jsonl


@pytest.mark.parametrize("make, message", [
    (lambda t: t / "missing", "MIDI directory not found"),
    (lambda t: t / "broken", "zero usable tunes (2 MIDI files, 2 unreadable, 0 without melody notes)"),
    (lambda t: t / "short", "zero usable tunes (1 read, all shorter than 32 x 0.4 s)"),
])
def test_zero_tunes_one_line_error_nothing_written(tmp_path, capsys, make, message):
    """No usable tunes (missing directory, unreadable files, all too short): exit 2, one line, nothing written."""
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.mid").write_bytes(b"")
    (tmp_path / "broken" / "b.midi").write_bytes(b"RIFF0000not a midi file")
    (tmp_path / "short").mkdir()
    write_tune(tmp_path / "short" / "s.mid", MELODY)                    # 8 samples < 32
    cache, out = tmp_path / "cache", tmp_path / "out"
    fails(capsys, "reproduce/music.py", *SMOKE, "--corpus", make(tmp_path), "--cache", cache, "--out", out,
          message=message)
    assert not cache.exists() and not out.exists()
