"""Your own text corpus: one sequence per line, of any length, word or character tokens (`python -m seqgan_tf train`).

A line becomes its tokens followed by corpus.END up to max_len + 1 tokens, so even the longest line ends with the
end token and the model learns where lines end. Lines longer than max_len are an error unless `truncate` (then cut
and counted in stats.json). In char mode spaces are kept (as the token "▁"), so English text keeps its words.
A thin user of corpus.py, like data/poetry.py.
"""
from __future__ import annotations

from pathlib import Path

from . import corpus


def prepare(path, mode: str, max_len: int, truncate: bool, max_vocab: int, cache_dir, test_fraction: float,
            split_seed: int) -> corpus.PreparedCorpus:
    """Read, pad, split and cache the corpus at `path` (see corpus.load_padded and corpus.prepare). `max_vocab`
    caps the vocabulary (<unk> and <eos> included; 0: no cap); rarer training tokens become <unk>."""
    if mode not in corpus.TOKENIZERS:
        raise ValueError(f"unknown tokenizer {mode!r}; choose one of {', '.join(corpus.TOKENIZERS)}")
    if max_vocab < 0 or 0 < max_vocab < 3:
        raise ValueError(f"--max_vocab must be 0 (no cap) or at least 3 (<unk>, <eos> and a token), got {max_vocab}")
    seqs, stats = corpus.load_padded(path, mode, max_len, truncate)
    return corpus.prepare(seqs, cache_dir, "data", f"{mode}:{Path(path).resolve()}", test_fraction, split_seed,
                          max_vocab or None, stats, specials=(corpus.UNK, corpus.END))
