"""Shared command-line plumbing for the reproduce scripts: one-line errors and a checked output directory."""
import argparse
import contextlib
import os
import sys
from pathlib import Path


@contextlib.contextmanager
def one_line_errors():
    """Known failures (bad config, bad input files, divergence, Ctrl-C) exit non-zero with one line."""
    from .models.oracle import OracleFormatError
    from .train.experiment import ConfigMismatch, Diverged, Interrupted
    try:
        yield
    except Interrupted as e:
        print(f"interrupted: {e}", file=sys.stderr)
        sys.exit(130)
    except (ValueError, OracleFormatError, ConfigMismatch, Diverged, FileNotFoundError, PermissionError,
            NotADirectoryError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2 if not isinstance(e, Diverged) else 3)


def output_dir(path) -> Path:
    """Create the output directory (or fail now, in one line, if it cannot be written)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PermissionError(f"cannot create output directory {path}: {e.strerror}") from None
    if not os.access(path, os.W_OK):
        raise PermissionError(f"output directory {path} is not writable")
    return path


def seeds_parser(doc, preset, results):
    """The multi-seed scripts' options: --preset (default `preset`), every Config field, --seeds, --cache, --out."""
    from . import config
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    config.add_arguments(parser)
    parser.set_defaults(preset=preset)
    parser.add_argument("--seeds", type=int, default=3, help="train seeds seed, seed+1, ... (default 3)")
    parser.add_argument("--cache", default="cache", help="prepared-data directory (default cache/)")
    parser.add_argument("--out", help=f"output directory (default {results}/<preset>)")
    return parser


def seed_range(cfg, n):
    """seed, seed+1, ..., n of them (ValueError if n < 1)."""
    if n < 1:
        raise ValueError(f"--seeds must be at least 1, got {n}")
    return range(cfg.seed, cfg.seed + n)
