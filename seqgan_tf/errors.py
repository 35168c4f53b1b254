"""The failures a run reports in one line (see cli.one_line_errors). No TensorFlow here, so command lines can catch
them without loading it."""


class Diverged(RuntimeError):
    """A loss became NaN or Inf; the last good checkpoint is kept."""


class ConfigMismatch(ValueError):
    """The output directory holds a checkpoint of a different configuration."""


class Interrupted(Exception):
    """Ctrl-C: a checkpoint was written after the last complete unit of work."""


class Locked(RuntimeError):
    """Another process is running in the same run directory."""


class CheckpointError(RuntimeError):
    """A checkpoint could not be written (disk full, over quota) or none of a run's kept checkpoints can be read; the
    message names the directory or file and what to do."""


class RunFailed(RuntimeError):
    """A run of a sweep failed in a way that retrying cannot fix; the message names it and its one-line error, `code`
    is its exit code (3 divergence, 2 anything else). The runs that do not start from it have finished."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def one_line(e):
    """(exit code, line) of a failure reported in one line (cli.one_line_errors), or None for any other exception.
    Every input error, OracleFormatError and ConfigMismatch included, is a ValueError. Exit codes: 130 Ctrl-C,
    3 divergence, 2 everything else (CheckpointError included); a failed sweep run's own."""
    if isinstance(e, Interrupted):
        return 130, f"interrupted: {e}"
    if isinstance(e, RunFailed):
        return e.code, f"error: {e}"
    if isinstance(e, (ValueError, Diverged, Locked, CheckpointError, FileNotFoundError, PermissionError,
                      NotADirectoryError)):
        return 3 if isinstance(e, Diverged) else 2, f"error: {e}"
    return None
