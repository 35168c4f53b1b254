"""Obama's political speeches (paper §5, Table 3): paragraphs -> sentences of word and punctuation tokens.

The paper says only "11,092 paragraphs"; how it tokenised, cut and split them is unstated. Here (data/README.md,
"Obama speeches"):
- tokens: words, numbers and punctuation marks, each mark its own token ("America," -> "america" ","), case
  folded (BLEU then counts "We" and "we" as one word; the vocabulary cap keeps more real words), curly quotes and
  apostrophes made straight, dashes and ellipses one token each; a contraction or possessive stays one word
  ("don't", "nation's"), as do a few abbreviations ("mr.", "u.s.") so their full stops do not end sentences;
- sequences: the sentences of every paragraph (cut after . ! ? and any closing quote or bracket) of MIN_TOKENS to MAX_TOKENS tokens, mark included,
  each followed by <eos> up to MAX_TOKENS + 1 tokens (G learns where a sentence ends); shorter fragments
  ("Applause.") and longer sentences are left out and counted;
- vocabulary: the VOCAB most frequent training tokens, <unk> and <eos> included; rarer ones become <unk>;
- split: by paragraph with a fixed seed, so no test sentence shares a paragraph with a training one.
"""
from __future__ import annotations

import re
from pathlib import Path

from . import corpus, sources

MIN_TOKENS, MAX_TOKENS = 8, 20
SEQ_LEN = MAX_TOKENS + 1
VOCAB = 5000
_ABBREVIATIONS = r"(?:mr|mrs|ms|dr|st|jr|sr|sen|gen|gov|rep|u\.s|u\.n|u\.k|d\.c|a\.m|p\.m|e\.g|i\.e|etc|vs)\."
_TOKEN = re.compile(rf"(?<![\w.]){_ABBREVIATIONS}(?!\w)|\d+(?:[.,]\d+)*|\w+(?:'\w+)*|-{{2,}}|\.{{2,}}|[^\w\s]")
_STRAIGHT = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "--"})
SENTENCE_END = {".", "!", "?"}
_CLOSING = {'"', ")", "'"}          # after a sentence mark: still that sentence's
_NO_SPACE_BEFORE = {".", ",", "!", "?", ";", ":", "%", ")"}


def tokenize(text: str) -> list[str]:
    """Case-folded word, number and punctuation tokens of `text`."""
    return _TOKEN.findall(text.translate(_STRAIGHT).lower())


def render(tokens) -> str:
    """Tokens as readable text (no space before , . ! ? ; : % ), none after ( $), a generated <unk> as <unk>;
    `unrender(render(t)) == t`: a token is glued to the one before only where the text still reads back as both
    ("st" "." stays "st ." since "st." is one token; "mr." "." stays "mr. .")."""
    out, chunk = "", ""             # chunk: the text since the last space
    for tok in tokens:
        glue = out and (tok in _NO_SPACE_BEFORE or out.endswith(("(", "$")))
        if glue and unrender(chunk + tok) == [*unrender(chunk), tok]:
            out, chunk = out + tok, chunk + tok
        else:
            out, chunk = out + (" " if out else "") + tok, tok
    return out


_GLUED_DOTS = re.compile(r"(?<=[^\s($.])\.{2,}")


def unrender(text) -> list[str]:
    """The tokens of a sentence as `render` wrote it, to score kept samples again: `tokenize`, except that <unk> is
    one token (tokenize would cut it into < unk >) and a run of dots glued to the token before is that many full
    stops: render glues no other dot token there, so "bomb.." is "bomb" "." ".", not "bomb" ".."."""
    text = _GLUED_DOTS.sub(lambda m: " ".join(m.group()), text)
    pieces = text.split(corpus.UNK)
    return [*tokenize(pieces[0]), *(t for piece in pieces[1:] for t in (corpus.UNK, *tokenize(piece)))]


def sentences(tokens) -> list[list[str]]:
    """A paragraph's tokens cut after each sentence mark (a trailing piece without one is a sentence too)."""
    out, current = [], []
    for tok in tokens:
        if current and current[-1] in SENTENCE_END | _CLOSING and tok not in _CLOSING and any(
                t in SENTENCE_END for t in current[-3:]):
            out.append(current)
            current = []
        current.append(tok)
    return out + ([current] if current else [])


def load_paragraphs(paths) -> list[list[str]]:
    """The tokens of every non-blank line (a paragraph) of the files, in order; ValueError (one line, naming the
    file and line) for a file that is missing, empty or not UTF-8, or a paragraph without a single word."""
    paragraphs = []
    for path in paths:
        for n, line in corpus.read_lines(path):
            tokens = tokenize(line)
            if not any(any(c.isalnum() for c in t) for t in tokens):
                raise ValueError(f"{path}:{n}: a paragraph without words ({line.strip()[:40]!r})")
            reserved = {corpus.UNK, corpus.END} & set(line.split())
            if reserved:
                raise ValueError(f"{path}:{n}: holds the reserved token {sorted(reserved)[0]!r}")
            paragraphs.append(tokens)
    return paragraphs


def corpus_files(path) -> list[Path]:
    """The speech files: a folder's *.txt (the shared folder holds obama.train.txt and obama.valid.txt, the two
    halves of one scrape, pooled here and split again by paragraph) or one file."""
    path = Path(path)
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    if not files:
        raise ValueError(f"{path}: no .txt files of speeches")
    return files


def prepare(path, cache_dir, test_fraction: float, split_seed: int, vocab: int = VOCAB) -> corpus.PreparedCorpus:
    """Read the speeches, cut them into sentences, split by paragraph and cache the result (see corpus.prepare)."""
    path = Path(path) if path else sources.locate("obama")
    files = corpus_files(path)
    paragraphs = load_paragraphs(files)
    seqs, groups, short, long = [], [], 0, 0
    for i, para in enumerate(paragraphs):
        for sent in sentences(para):
            if len(sent) < MIN_TOKENS:
                short += 1
            elif len(sent) > MAX_TOKENS:
                long += 1
            else:
                seqs.append(sent + [corpus.END] * (SEQ_LEN - len(sent)))
                groups.append(i)
    if not seqs:
        raise ValueError(f"{path}: no sentence of {MIN_TOKENS}-{MAX_TOKENS} tokens")
    stats = {"tokenize": "speech words (case folded, punctuation split)", "paragraphs": len(paragraphs),
             "sentences_kept": len(seqs), "sentences_too_short": short, "sentences_too_long": long,
             "min_tokens": MIN_TOKENS, "max_tokens": MAX_TOKENS, "end_token": corpus.END,
             "files": [f.name for f in files]}
    source_id = "speeches:" + ",".join(str(f.resolve()) for f in files)
    return corpus.prepare(seqs, cache_dir, "speeches", source_id, test_fraction, split_seed, vocab, stats,
                          specials=(corpus.UNK, corpus.END), groups=groups)
