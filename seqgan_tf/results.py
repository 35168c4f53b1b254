"""Result files, always written atomically (temporary name, then rename): a crash never leaves half a file; and the
helpers that find and read a corpus run's files, which the experiments (writing them) and the report (reading them)
share. Pure Python: no TensorFlow."""
import csv
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np


def atomic_write(path, data, mode="w"):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, mode) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)      # e.g. the disk filled: leave no half-written temporary behind
        raise


def fingerprint(*arrays) -> str:
    """The first 16 hex digits of the SHA-256 of the arrays' bytes, in order: tells data or weights apart."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def write_json(path, obj):
    atomic_write(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_csv(path, rows, columns=None):
    """rows: list of dicts; columns default to the union of keys in first-seen order."""
    if columns is None:
        columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write(path, buf.getvalue())


MODELS = ("mle", "seqgan")      # the two generators a corpus run keeps and scores: end of MLE, end of SeqGAN


def seed_metrics(out_dir) -> list:
    """The seed<k>/metrics.json files under out_dir, in seed order."""
    return sorted(Path(out_dir).glob("seed*/metrics.json"), key=lambda p: int(p.parent.name[4:]))


def read_samples(run_dir, model, text_name="poems", sep="\n\n") -> list[str]:
    """The rendered samples a CorpusTask run kept for `model` in one seed's directory (separated by `sep`). Only the
    file's final newline is cut: an empty sample (a sentence that ends at once) first or last is still a sample."""
    return (Path(run_dir) / f"{model}_{text_name}.txt").read_text(encoding="utf-8").removesuffix("\n").split(sep)


def write_samples(path, samples):
    """One sequence per line, space-separated token ids (the official samples format)."""
    atomic_write(path, "".join(" ".join(map(str, row)) + "\n" for row in samples))


def save_figure(fig, path, **kwargs):
    """Save a matplotlib figure atomically; the format follows the file's suffix."""
    path = Path(path)
    if path.suffix == ".pdf":
        kwargs.setdefault("metadata", {"CreationDate": None})     # no date: the same figure redraws byte-identical
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip("."), **kwargs)
    atomic_write(path, buf.getvalue(), mode="wb")


def gzip_copy(path) -> Path:
    """`path` + ".gz" beside it, byte-reproducible (no name or time in the header), written atomically; the small
    committed copy of a sample file that .gitignore keeps out in full."""
    import gzip
    path = Path(path)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(path.read_bytes())
    atomic_write(path.with_name(path.name + ".gz"), buf.getvalue(), mode="wb")
    return path.with_name(path.name + ".gz")


def gzip_first_seed_samples(out) -> Path | None:
    """gzip_copy of every <out>/seed<k>/<run>/samples.txt of the lowest seed k under `out` (the samples committed for
    reading); returns that seed's directory, or None when there is none yet."""
    seeds = [int(d.name[4:]) for d in Path(out).glob("seed*") if d.name[4:].isdigit()]
    if not seeds:
        return None
    first = Path(out) / f"seed{min(seeds)}"
    for path in sorted(first.glob("*/samples.txt")):
        gzip_copy(path)
    return first
