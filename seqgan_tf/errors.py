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
