"""Shared command-line plumbing for the reproduce scripts: one-line errors and a checked output directory."""
import argparse
import contextlib
import os
import sys
from pathlib import Path

from .errors import CheckpointError, Diverged, Interrupted, Locked
from . import config


@contextlib.contextmanager
def one_line_errors():
    """Known failures (bad config, bad input files, divergence, Ctrl-C, a checkpoint that cannot be written or read)
    exit non-zero with one line. Every input error, OracleFormatError and ConfigMismatch included, is a ValueError.
    Exit codes: 130 Ctrl-C, 3 divergence, 2 everything else (CheckpointError included)."""
    try:
        yield
    except Interrupted as e:
        print(f"interrupted: {e}", file=sys.stderr)
        sys.exit(130)
    except (ValueError, Diverged, Locked, CheckpointError, FileNotFoundError, PermissionError,
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


def study_parser(doc, study, seeds=1):
    """Arguments of a study script: --preset and every Config field, --out (default results/<study>/<preset>),
    --seeds (runs seeds --seed, --seed+1, ...)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    config.add_arguments(parser)
    parser.add_argument("--out", help=f"output directory (default results/{study}/<preset>)")
    parser.add_argument("--seeds", type=int, default=seeds, help=f"seeds --seed, --seed+1, ... (default {seeds})")
    return parser


def study_setup(args, study, defaults=None):
    """(cfg, seeds, out dir) from a study_parser's arguments; `defaults` as config.from_args. Raises ValueError /
    PermissionError, so call it inside one_line_errors."""
    cfg = config.from_args(args, defaults)
    return cfg, seed_range(cfg, args.seeds), study_output_dir(args, study, cfg)


def study_output_dir(args, study, cfg) -> Path:
    """--out, or results/<study>/<preset>, created (see output_dir)."""
    return output_dir(args.out or Path("results") / study / cfg.preset)


def seeds_parser(doc, preset, study):
    """A corpus experiment's options: study_parser's with --preset defaulting to `preset`, 3 seeds, and --cache."""
    parser = study_parser(doc, study, seeds=3)
    parser.set_defaults(preset=preset)
    parser.add_argument("--cache", default="cache", help="prepared-data directory (default cache/)")
    return parser


def pick(text, choices, what):
    """{name: choices[name]} for the comma list `text`, in its order (ValueError naming any unknown `what`)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in choices]
    if unknown or not names:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown)) or repr(text)}; choose from "
                         f"{', '.join(choices)}")
    return {n: choices[n] for n in names}


def seed_range(cfg, n):
    """seed, seed+1, ..., n of them (ValueError if n < 1)."""
    if n < 1:
        raise ValueError(f"--seeds must be at least 1, got {n}")
    return range(cfg.seed, cfg.seed + n)
