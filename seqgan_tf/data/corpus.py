"""Corpora of fixed-length token sequences: reading and validating text files, a vocabulary with an unknown token,
lines of any length padded with an end token, a fixed-seed train/test split, and a prepared-data cache written all
at once.

Experiment-neutral on purpose: the poems (`data/poetry.py`) and any user corpus go through the same code. Every
problem with the input is a `ValueError` whose one-line message names the file (and line), so command lines can
print it as it is. No TF here. One module (not one per step) so that every corpus goes through the same
validation and the same cache format.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..results import atomic_write, write_json

UNK = "<unk>"
END = "<eos>"     # ends every line of a variable-length corpus and pads it to the fixed length
SPACE = "\u2581"  # "▁" (as SentencePiece): a space as a visible token, since tokens are stored space-separated
TOKENIZERS = ("char", "word")


def tokenize(line: str, mode: str = "word", keep_spaces: bool = False) -> list[str]:
    """'word': whitespace-separated tokens; 'char': every character except whitespace (Chinese text has no
    spaces between words, so spaces there are layout, not tokens). `keep_spaces` (char mode, for text whose spaces
    matter): each run of whitespace inside the line becomes one SPACE token."""
    if mode == "word":
        return line.split()
    if mode == "char":
        return [c for c in (SPACE.join(line.split()) if keep_spaces else line) if not c.isspace()]
    raise ValueError(f"unknown tokenizer {mode!r}; choose one of {', '.join(TOKENIZERS)}")


def detokenize(tokens, mode: str = "word") -> str:
    """The text of `tokenize(line, mode, keep_spaces=True)`'s tokens: whitespace normalised to single spaces."""
    return " ".join(tokens) if mode == "word" else "".join(tokens).replace(SPACE, " ")


def strip_end(tokens, end: str | None = END) -> list:
    """The tokens before the first end token (all of them without one): what a padded sequence says."""
    tokens = list(tokens)
    return tokens[:tokens.index(end)] if end is not None and end in tokens else tokens


def read_lines(path) -> list[tuple[int, str]]:
    """(line number, text) of every non-blank line of a UTF-8 file; ValueError (one line) if it cannot be read,
    is not text, or has no non-blank line. A leading byte-order mark (Windows editors save one) is not text, and
    CRLF line ends are line ends."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"corpus file not found: {path}")
    if not path.is_file():
        raise ValueError(f"corpus path is not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None
    data = data.removeprefix(codecs.BOM_UTF8)   # utf-8-sig, but error offsets stay offsets into what is counted
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ValueError(f"{path}:{line}: not UTF-8 text (a binary file?)") from None
    if "\x00" in text:
        raise ValueError(f"{path}:{text[:text.index(chr(0))].count(chr(10)) + 1}: NUL byte (a binary file?)")
    lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ValueError(f"{path}: empty corpus (no non-blank lines)")
    return lines


def load_padded(path, mode: str, max_len: int = 0, truncate: bool = False) -> tuple[list[list[str]], dict]:
    """Lines of any length as sequences of max_len + 1 tokens: the line's tokens, then END repeated, so every
    sequence says where it ends (max_len 0: the longest line's length). A line longer than max_len is an error
    naming it, or with `truncate` is cut to max_len tokens and counted. Returns (sequences, statistics)."""
    if max_len < 0:
        raise ValueError(f"max_len must be >= 0 (0: the longest line), got {max_len}")
    lines = []
    for n, line in read_lines(path):
        seq = tokenize(line, mode, keep_spaces=True)
        reserved = {UNK, END} & set(seq) if mode == "word" else {SPACE} & set(line)     # char mode makes SPACEs
        if reserved:
            raise ValueError(f"{path}:{n}: holds the reserved token {sorted(reserved)[0]!r}")
        lines.append((n, seq))
    lengths = [len(seq) for _, seq in lines]
    max_len = max_len or max(lengths)
    long = [(n, len(seq)) for n, seq in lines if len(seq) > max_len]
    if long and not truncate:
        n, length = long[0]
        raise ValueError(f"{path}:{n}: {length} tokens, longer than --max_len {max_len} ({len(long)} such lines; "
                         "raise --max_len or pass --truncate to cut them)")
    seqs = [seq[:max_len] + [END] * (max_len + 1 - len(seq[:max_len])) for _, seq in lines]
    stats = {"tokenize": mode, "max_len": max_len, "lines": len(lines), "truncated_lines": len(long),
             "longest_line": max(lengths), "mean_line_tokens": sum(lengths) / len(lengths), "end_token": END}
    return seqs, stats


def load_sequences(path, mode: str = "word", length: int | None = None) -> list[list[str]]:
    """One token sequence per non-blank line. With `length`, every line must have exactly that many tokens
    (ValueError naming the first line that does not)."""
    seqs = []
    for number, line in read_lines(path):
        seq = tokenize(line, mode)
        if length is not None and len(seq) != length:
            raise ValueError(f"{path}:{number}: expected {length} tokens, got {len(seq)}")
        seqs.append(seq)
    return seqs


def load_token_ids(path, vocab_size: int, length: int) -> np.ndarray:
    """A corpus of token ids in the official format (one sequence a line, `length` space-separated ids in
    [0, vocab_size)) as (N, length) int32; ValueError naming the first bad line."""
    rows = []
    for number, line in read_lines(path):
        fields = line.split()
        if len(fields) != length:
            raise ValueError(f"{path}:{number}: expected {length} token ids, got {len(fields)}")
        try:
            ids = [int(f) for f in fields]
        except ValueError:
            raise ValueError(f"{path}:{number}: not an integer token id: "
                             f"{next(f for f in fields if not f.lstrip('-').isdigit())!r}") from None
        bad = next((i for i in ids if not 0 <= i < vocab_size), None)
        if bad is not None:
            raise ValueError(f"{path}:{number}: token id {bad} outside the vocabulary [0, {vocab_size})")
        rows.append(ids)
    return np.array(rows, np.int32)


class Vocabulary:
    """Token <-> id. Special tokens come first (id 0 is UNK unless `specials` says otherwise), then the corpus
    tokens by decreasing count (ties: first seen), so the same corpus always gives the same ids."""

    def __init__(self, tokens, unk: str = UNK):
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("vocabulary has duplicate tokens")
        if unk not in self.index:
            raise ValueError(f"vocabulary has no unknown token {unk!r}")
        self.unk, self.unk_id = unk, self.index[unk]

    @classmethod
    def build(cls, seqs, max_size: int | None = None, specials=(UNK,)):
        """From training sequences; `max_size` caps the total size (specials included), the rest map to UNK."""
        counts = Counter(t for seq in seqs for t in seq)
        ranked = [t for t, _ in sorted(counts.items(), key=lambda kv: -kv[1]) if t not in specials]
        keep = None if max_size is None else max(0, max_size - len(specials))
        return cls([*specials, *ranked[:keep]], unk=UNK if UNK in specials else specials[0])

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self.index

    def encode(self, seq) -> np.ndarray:
        return np.array([self.index.get(t, self.unk_id) for t in seq], np.int32)

    def encode_all(self, seqs) -> np.ndarray:
        """(N, T) int32 from N sequences of one length T."""
        return np.stack([self.encode(s) for s in seqs]).astype(np.int32)

    def decode(self, ids) -> list[str]:
        return [self.tokens[int(i)] for i in ids]

    def save(self, path):
        """One token per line, in id order."""
        if any("\n" in t or t != t.strip() or not t for t in self.tokens):
            raise ValueError("a vocabulary token is empty or holds whitespace at its ends; cannot save it")
        atomic_write(path, "".join(t + "\n" for t in self.tokens))

    @classmethod
    def load(cls, path, unk: str = UNK):
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"vocabulary file not found: {path}")
        return cls(path.read_text(encoding="utf-8").splitlines(), unk=unk)


def split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), sorted; the test set is round(n * test_fraction) items (at least 1) drawn by a
    NumPy generator seeded with `seed`, so a split depends on (n, fraction, seed) only."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = max(1, round(n * test_fraction))
    if n_test >= n:
        raise ValueError(f"{n} sequences are too few to hold out {n_test} for testing")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


@dataclass
class PreparedCorpus:
    """Train/test token sequences (lists of str), the vocabulary built from train, and statistics."""
    train: list
    test: list
    vocab: Vocabulary
    stats: dict
    path: Path

    @property
    def seq_len(self) -> int:
        return len(self.train[0])

    @property
    def end(self) -> str | None:
        """The end/pad token of a variable-length corpus (None: every sequence is all content, as poems)."""
        return self.stats.get("end_token")

    def encoded(self, which: str = "train") -> np.ndarray:
        return self.vocab.encode_all(getattr(self, which))

    def unpadded(self, which: str = "train") -> list:
        """The sequences without their end/padding tokens: the text that BLEU compares."""
        return [strip_end(s, self.end) for s in getattr(self, which)]

    def decode(self, ids) -> list[str]:
        """Generated ids (T,) -> tokens, cut at the first end token."""
        return strip_end(self.vocab.decode(ids), self.end)


def _write_seqs(path, seqs):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(" ".join(s) + "\n" for s in seqs)


def prepare(seqs, cache_dir, name: str, source_id: str, test_fraction: float, split_seed: int,
            max_vocab: int | None = None, extra_stats: dict | None = None, specials=(UNK,),
            vocab: Vocabulary | None = None, groups=None) -> PreparedCorpus:
    """Split `seqs` (lists of tokens, one length), build the vocabulary (`specials` first) from the training part
    and store train.txt, test.txt, vocab.txt, stats.json in `cache_dir/<name>-<key>/`, where key hashes the source and every
    option. The directory is built under a temporary name and renamed into place, so an interrupted or failed
    preparation never leaves a partial one; an existing one is reused as it is.
    `vocab`: a fixed vocabulary (e.g. the 88 piano keys) instead of one built from training. `groups`: one id per
    sequence (e.g. its tune); the split then draws whole groups, so no group is on both sides."""
    if not seqs:
        raise ValueError(f"{source_id}: no sequences")
    lengths = {len(s) for s in seqs}
    if len(lengths) != 1:
        raise ValueError(f"{source_id}: sequences of several lengths {sorted(lengths)}; one fixed length is needed")
    options = {"source": source_id, "test_fraction": test_fraction, "split_seed": split_seed, "max_vocab": max_vocab,
               "data": hashlib.sha256("\n".join(" ".join(s) for s in seqs).encode()).hexdigest()}
    if tuple(specials) != (UNK,):       # only then: the poems' existing cache keys stay valid
        options["specials"] = list(specials)
    if vocab is not None or groups is not None:           # only then, so existing caches keep their keys
        options["fixed_vocab"] = None if vocab is None else hashlib.sha256(" ".join(vocab.tokens).encode()).hexdigest()
        options["groups"] = None if groups is None else hashlib.sha256(str(list(groups)).encode()).hexdigest()
    key = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:12]
    final = Path(cache_dir) / f"{name}-{key}"
    if not (final / "stats.json").exists():
        if groups is None:
            train_idx, test_idx = split(len(seqs), test_fraction, split_seed)
        else:
            ids = np.unique(groups)
            test_idx = np.flatnonzero(np.isin(groups, ids[split(len(ids), test_fraction, split_seed)[1]]))
            train_idx = np.setdiff1d(np.arange(len(seqs)), test_idx)
        train, test = [seqs[i] for i in train_idx], [seqs[i] for i in test_idx]
        if vocab is None:
            vocab = Vocabulary.build(train, max_vocab, specials)
        unknown = sum(t not in vocab for s in test for t in s)
        stats = {**options, "sequences": len(seqs), "train": len(train), "test": len(test), "seq_len": len(seqs[0]),
                 "vocab_size": len(vocab), "distinct_tokens": len({t for s in seqs for t in s}),
                 "test_unknown_tokens": unknown, "test_unknown_rate": unknown / (len(test) * len(seqs[0])),
                 **({} if groups is None else {"test_groups": len(np.unique(np.asarray(groups)[test_idx]))}),
                 **(extra_stats or {})}
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        try:
            _write_seqs(tmp / "train.txt", train)
            _write_seqs(tmp / "test.txt", test)
            vocab.save(tmp / "vocab.txt")
            write_json(tmp / "stats.json", stats)     # last: its presence marks a complete directory
            try:
                os.replace(tmp, final)
            except OSError:                           # another process prepared it first: keep theirs
                if not (final / "stats.json").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return load_prepared(final)


def load_prepared(path) -> PreparedCorpus:
    """A directory written by `prepare`."""
    path = Path(path)
    stats = json.loads((path / "stats.json").read_text())
    train = load_sequences(path / "train.txt", "word", stats["seq_len"])
    test = load_sequences(path / "test.txt", "word", stats["seq_len"])
    return PreparedCorpus(train, test, Vocabulary.load(path / "vocab.txt"), stats, path)
