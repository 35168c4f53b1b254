"""Shared command-line plumbing for the reproduce scripts: one-line errors and a checked output directory."""
import contextlib
import os
import sys
from pathlib import Path

from .errors import Diverged, Interrupted


@contextlib.contextmanager
def one_line_errors():
    """Known failures (bad config, bad input files, divergence, Ctrl-C) exit non-zero with one line. Every input
    error, OracleFormatError and ConfigMismatch included, is a ValueError."""
    try:
        yield
    except Interrupted as e:
        print(f"interrupted: {e}", file=sys.stderr)
        sys.exit(130)
    except (ValueError, Diverged, FileNotFoundError, PermissionError, NotADirectoryError) as e:
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
