"""Folk tunes as pitch sequences (paper §5, Table 4): MIDI -> melody pitch every 0.4 s -> sequences of 32 tokens.

The encoding (every choice is explained in data/README.md, "Nottingham folk tunes"):
- melody = the non-drum instrument with the highest mean pitch (in the Nottingham MIDI files: the first track;
  the second holds the chords); where it sounds several notes at once, the highest one (the tune's top line);
- a sample every `step` seconds from the melody's first onset to its last note's end; a sample where no melody
  note sounds (a rest) repeats the last pitch, as if the note were held (88 tokens leave no room for a rest);
- tokens are MIDI note numbers "21".."108" (A0..C8); the vocabulary is fixed, `<unk>` (id 0, G's start token)
  then the 88 keys in pitch order, so id k is piano key k; a pitch outside the keyboard is moved by octaves onto it;
- a tune becomes its consecutive non-overlapping windows of `length` samples (the last partial one is dropped;
  a tune shorter than one window is skipped); the train/test split is by tune, so no test tune's phrases
  (Nottingham tunes repeat their parts) are in training.
Unreadable MIDI files are skipped with a warning and counted; zero usable tunes is a ValueError (one line).
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from ..results import atomic_write
from . import corpus, sources

LOWEST, HIGHEST = 21, 108          # A0 and C8, the 88 keys of a piano
KEYS = [str(p) for p in range(LOWEST, HIGHEST + 1)]
STEP, LENGTH = 0.4, 32             # paper §5: pitch sampled every 0.4 s, sequences of 32


def vocabulary() -> corpus.Vocabulary:
    return corpus.Vocabulary([corpus.UNK, *KEYS])


def on_keyboard(pitch: int) -> int:
    while pitch < LOWEST:
        pitch += 12
    while pitch > HIGHEST:
        pitch -= 12
    return pitch


def melody(pm):
    """The melody instrument of a PrettyMIDI object: non-drum, with notes, highest mean pitch; None if none."""
    voices = [i for i in pm.instruments if not i.is_drum and i.notes]
    return max(voices, key=lambda i: np.mean([n.pitch for n in i.notes]), default=None)


def sample_pitches(notes, step: float = STEP) -> list[int]:
    """MIDI pitch of the melody at t0, t0 + step, ... (t0 = first onset) while t < the last note's end: the highest
    note sounding at t, or the previous sample's pitch during a rest."""
    if not notes:
        return []
    starts = np.array([n.start for n in notes])
    ends = np.array([n.end for n in notes])
    pitches = np.array([on_keyboard(n.pitch) for n in notes])
    t0, end = starts.min(), ends.max()
    out = []
    # +1e-6 s: a note starting exactly on a sample instant is heard there despite float rounding of k * step
    for t in t0 + step * np.arange(int(np.ceil((end - t0) / step - 1e-9))) + 1e-6:
        sounding = pitches[(starts <= t) & (t < ends)]
        out.append(int(sounding.max()) if len(sounding) else out[-1])
    return out


def windows(pitches, length: int = LENGTH) -> list[list[str]]:
    """Consecutive non-overlapping windows of `length` samples as tokens; a partial last window is dropped."""
    return [[str(p) for p in pitches[i:i + length]] for i in range(0, len(pitches) - length + 1, length)]


def read_midi(path):
    """pretty_midi.PrettyMIDI of `path`, or None if the file cannot be parsed."""
    import pretty_midi
    try:
        with warnings.catch_warnings():     # Nottingham files put tempo events on track 2; harmless here
            warnings.simplefilter("ignore", RuntimeWarning)
            return pretty_midi.PrettyMIDI(str(path))
    except Exception:                       # mido/pretty_midi raise many types (OSError, EOFError, KeyError...)
        return None


def load_tunes(source, step: float = STEP, log=print) -> tuple[dict, dict]:
    """{file name: sampled melody pitches} of every *.mid / *.midi under `source` (sorted), and counts. Unreadable
    files and files without a melody are skipped with a warning; zero usable tunes is a ValueError."""
    source = Path(source)
    if not source.is_dir():
        raise ValueError(f"MIDI directory not found: {source}")
    # Not recursive: Nottingham's MIDI/melody/ and MIDI/chords/ hold parts of the tunes in MIDI/ itself
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in (".mid", ".midi") and p.is_file())
    tunes, unreadable, silent = {}, [], []
    for path in files:
        pm = read_midi(path)
        voice = melody(pm) if pm is not None else None
        if pm is None:
            unreadable.append(path.name)
        elif voice is None:
            silent.append(path.name)
        else:
            tunes[path.name] = sample_pitches(voice.notes, step)
    for what, names in (("unreadable MIDI", unreadable), ("MIDI without melody notes", silent)):
        if names:
            log(f"warning: skipped {len(names)} {what} file(s) in {source}: {', '.join(names[:5])}"
                + (" ..." if len(names) > 5 else ""))
    if not tunes:
        raise ValueError(f"{source}: zero usable tunes ({len(files)} MIDI files, {len(unreadable)} unreadable, "
                         f"{len(silent)} without melody notes)")
    return tunes, {"midi_files": len(files), "unreadable": len(unreadable), "no_melody": len(silent),
                   "unreadable_files": unreadable}


def prepare(source, cache_dir, test_fraction: float, split_seed: int, step: float = STEP, length: int = LENGTH,
            log=print) -> corpus.PreparedCorpus:
    """Read the tunes, cut them into windows, split by tune and cache the result (see corpus.prepare)."""
    source = Path(source) if source else sources.locate("nottingham")
    tunes, counts = load_tunes(source, step, log)
    seqs, groups = [], []
    for i, pitches in enumerate(tunes.values()):
        for w in windows(pitches, length):
            seqs.append(w)
            groups.append(i)
    short = len(tunes) - len(set(groups))
    if not seqs:
        raise ValueError(f"{source}: zero usable tunes ({len(tunes)} read, all shorter than {length} x {step} s)")
    return corpus.prepare(seqs, cache_dir, "music", f"midi:{source.resolve()}:step={step}", test_fraction,
                          split_seed, vocab=vocabulary(), groups=groups,
                          extra_stats={**counts, "tunes": len(set(groups)), "too_short": short, "step_s": step})


def pitches(tokens) -> list[int]:
    """MIDI pitches of a token sequence; a `<unk>` (G may emit its start token) holds the neighbouring pitch."""
    values = [int(t) if t != corpus.UNK else None for t in tokens]
    known = [v for v in values if v is not None]
    last = known[0] if known else 60
    out = []
    for v in values:
        last = v if v is not None else last
        out.append(last)
    return out


def to_midi(tokens, step: float = STEP, program: int = 0):
    """A one-instrument PrettyMIDI playing the tokens, `step` s each; repeated pitches become one held note (the
    encoding cannot tell a held note from repeated ones, and held is how a rest was encoded)."""
    import pretty_midi
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=program, name="melody")
    ps = pitches(tokens)
    start = 0
    for i in range(1, len(ps) + 1):
        if i == len(ps) or ps[i] != ps[start]:
            inst.notes.append(pretty_midi.Note(velocity=90, pitch=ps[start], start=start * step, end=i * step))
            start = i
    pm.instruments.append(inst)
    return pm


def write_midi(tokens, path, step: float = STEP):
    """Write the tokens as a standard MIDI file, atomically."""
    buf = io.BytesIO()
    to_midi(tokens, step).write(buf)
    atomic_write(path, buf.getvalue(), mode="wb")


def write_examples(tunes, out_dir, step: float = STEP) -> list[Path]:
    """`out_dir/<name>_<i>.mid` (i from 1) for every token sequence of every list in `tunes` ({name: [...]})."""
    paths = []
    for name, seqs in tunes.items():
        for i, tokens in enumerate(seqs, 1):
            paths.append(Path(out_dir) / f"{name}_{i}.mid")
            write_midi(tokens, paths[-1], step)
    return paths
