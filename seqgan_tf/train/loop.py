"""The run loop's guards (train/run.py): `lock` keeps a second process out of a run directory that one is already
writing, `deferred_interrupt` turns a first Ctrl-C into "finish this unit, checkpoint, stop", and `check_finite`
stops on a NaN loss."""
from __future__ import annotations

import contextlib
import fcntl
import math
import os
import signal
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import Diverged, Locked


@contextlib.contextmanager
def lock(run_dir):
    """Hold run_dir/.lock for the duration (released by the OS even if the process dies); Locked if another
    process holds it."""
    path = Path(run_dir) / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            raise Locked(f"{run_dir} is in use by another process (pid {holder}); wait for it to finish or use "
                         "another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def deferred_interrupt():
    """First Ctrl-C sets a flag (checked between units of work); a second one interrupts at once."""
    flag = {"set": False}
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if flag["set"]:
            raise KeyboardInterrupt
        flag["set"] = True
        tqdm.write("Ctrl-C: finishing this step, then writing a checkpoint (Ctrl-C again to abort now)")

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:      # not the main thread: no handler, Ctrl-C behaves as usual
        previous = None
    try:
        yield flag
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def check_finite(label, step, logs):
    """Diverged if a loss (a logged key ending in "loss" or "nll") is NaN or infinite."""
    for key, value in logs.items():
        if key.endswith(("loss", "nll")) and not math.isfinite(value):
            raise Diverged(f"{label} loss is {value} at step {step}; stopped, the last good checkpoint is kept")
