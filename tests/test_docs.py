"""The documentation as a product: no development history in tracked text, and every path a document names exists
inside the repository (a clone has nothing beside it). Pure Python and git: no TensorFlow, well under a second."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A working period, an issue or a stopping point of the project's own history, named in a file. Case-insensitive,
# except a bare "session" after a determiner, which must be lower case ("one Session" is TensorFlow's).
HISTORY = [re.compile(p, re.IGNORECASE) for p in (
    r"\bsessions?\s*-?\s*\d+",                       # "session 12", "session-10", "sessions 10 and 11"
    r"session\d+",                                    # "xeon-spr-session12", "session12_short"
    r"\b\d+-hour\s+session\b",
    r"\bissues?\s*#?\d+",                             # "issue 21's goal", "issue #5"
    r"\bstop\s+\d+\b",
    r"\bperf-scoring\b|\bckpt-faults\b|\bbench-out\b",  # branch names
    r"\b(on|in) the branch\b",
    r"\bthe (zen ?\d|avx-?512|xeon|epyc) machine\b",  # a machine as a character of the story
    r"\bthe machine we\b",
    r"\bbefore (the|session)\b[^.\n]{0,40}\bchange\b",
)] + [re.compile(r"\b(?i:this|that|previous|earlier|last|next|later|one|first|second|third|fourth|same)\s+session\b")]
# TensorFlow's Session API is not a working period.
ALLOWED = re.compile(r"\b(tf\.Session|tf\.compat\.v1\.Session|v1\.Session|InteractiveSession|Session\.run)\b")
DATA = {".json", ".jsonl", ".csv", ".png", ".pdf", ".gz", ".mid", ".midi", ".h5", ".pkl", ".npz", ".zip"}
TOP = ("seqgan_tf", "reproduce", "bench", "docs", "data", "results", "tests", ".ci")


def tracked():
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [p for p in out.split("\0") if p and (ROOT / p).is_file()]


def text_files():
    """Tracked text: code, docs and configuration; not data (results' tables are .md and are included; samples,
    logs and fixtures in .txt are data, requirements.txt is not)."""
    for path in tracked():
        p = Path(path)
        if path == "tests/test_docs.py":          # this file spells the patterns out
            continue
        if p.suffix in DATA or (p.suffix == ".txt" and (path.startswith(("results/", "tests/fixtures/")))):
            continue
        raw = (ROOT / p).read_bytes()
        if b"\0" in raw:
            continue
        yield path, raw.decode("utf-8", errors="replace")


def history_hits(path, text):
    for n, line in enumerate(text.splitlines(), 1):
        clean = ALLOWED.sub("", line)
        if any(p.search(clean) for p in HISTORY):
            yield f"{path}:{n}: {line.strip()}"


def test_no_development_history_in_tracked_text():
    hits = [h for path, text in text_files() for h in history_hits(path, text)]
    assert not hits, "development history in tracked files (put it in commit messages):\n" + "\n".join(hits)


def test_the_history_check_finds_a_planted_line():
    planted = ("The benchmark of session 12 (issue 21) ran on the Zen 3 machine.\n"
               "with tf.compat.v1.Session() as s:  # graphs in one Session\n"
               "As in the previous session, results/benchmark/xeon-spr-session10/ holds it.\n")
    assert list(history_hits("x.md", planted)) == [
        "x.md:1: The benchmark of session 12 (issue 21) ran on the Zen 3 machine.",
        "x.md:3: As in the previous session, results/benchmark/xeon-spr-session10/ holds it."]


# ---- paths and links in the documents -------------------------------------------------------------------------

def documents():
    docs = {"README.md", "data/README.md"}
    return sorted(p for p in tracked() if p in docs or re.fullmatch(r"docs/[^/]+\.md|results/.+\.md", p))


FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE = re.compile(r"`([^`\n]+)`")
# A repository path written out anywhere (prose, code, commands), ending at a real token boundary.
BARE = re.compile(r"(?<![\w/.$~-])((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./-]*\w)(?![\w/.<{*\[$-])")
OUTSIDE = re.compile(r"\.\./shared\b|\b(PAPER|BASELINE|PROVENANCE)\.md\b")


def slug(heading):
    """GitHub's anchor for a heading: links reduced to their text, lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    text = FENCE.sub("", (ROOT / path).read_text(encoding="utf-8"))
    seen, out = {}, set()
    for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE):
        s = slug(m.group(1))
        out.add(s if s not in seen else f"{s}-{seen[s]}")
        seen[s] = seen.get(s, 0) + 1
    return out


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def link_problems(path, text):
    """Every relative link resolves to a file or folder inside the repository (and its #anchor to a heading);
    every repository path written out exists; nothing points outside the repository."""
    base = (ROOT / path).parent
    unfenced = FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)    # keep offsets: line numbers stay
    prose = INLINE.sub(lambda m: " " * len(m.group(0)), unfenced)
    for m in LINK.finditer(prose):
        target = m.group(1)
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):           # https:, mailto:
            continue
        where = f"{path}:{line_of(text, m.start())}"
        file_part, _, anchor = target.partition("#")
        dest = (base / file_part).resolve() if file_part else (ROOT / path).resolve()
        if not dest.is_relative_to(ROOT):
            yield f"{where}: link outside the repository: {target}"
        elif not dest.exists():
            yield f"{where}: link to a missing path: {target}"
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest.relative_to(ROOT)):
            yield f"{where}: no heading for #{anchor} in {dest.relative_to(ROOT)}"
    for m in BARE.finditer(text):
        if not (ROOT / m.group(1)).exists():
            yield f"{path}:{line_of(text, m.start())}: names a missing path: {m.group(1)}"
    for m in OUTSIDE.finditer(text):
        yield f"{path}:{line_of(text, m.start())}: refers to a file outside the repository: {m.group(0)}"


def test_every_link_and_path_in_the_documents_resolves_inside_the_repository():
    problems = [p for path in documents()
                for p in link_problems(path, (ROOT / path).read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)


def test_the_link_check_finds_planted_faults():
    planted = ("See [the table](results/nothere.md), [the paper](../../shared/PAPER.md), [ok](README.md),\n"
               "[a heading](docs/report.md#no-such-heading), `seqgan_tf/released_graph.py` and "
               "`results/synthetic/quick/seed<k>/` (a template).\n")
    found = list(link_problems("README.md", planted))
    assert any("missing path: results/nothere.md" in p for p in found)
    assert any("outside the repository: ../../shared/PAPER.md" in p for p in found)
    assert any("#no-such-heading" in p for p in found)
    assert any("missing path: seqgan_tf/released_graph.py" in p for p in found)
    assert any("PAPER.md" in p and "file outside" in p for p in found)
    assert any("../shared" in p and "file outside" in p for p in found)
    assert len(found) == 7, found           # the template and the good link are not faults


def test_the_readme_is_one_screen_then_a_summary():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first_table = next(i for i, line in enumerate(lines) if line.startswith("|"))
    assert first_table <= 60 and len(lines) <= 250, (first_table, len(lines))
