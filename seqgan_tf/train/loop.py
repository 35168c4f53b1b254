"""A resumable runner for units of work; it knows nothing of what the units are.

`run` drives an iterator that yields (phase, step, logs) after each unit of work: it stops on a non-finite loss,
hands each unit to the caller's bookkeeping, shows one progress bar per phase, checkpoints after every
`checkpoint_every` units and at each phase's end, and turns a first Ctrl-C into "finish this unit, checkpoint,
stop". `lock` keeps a second process out of a run directory that one is already writing.
"""
from __future__ import annotations

import contextlib
import fcntl
import math
import os
import signal
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import Diverged, Interrupted, Locked


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


def run(units, phases, after_unit, save, checkpoint_every=1, progress=True, where="the checkpoint directory"):
    """Drive `units` to the end. phases: [(name, label, done, total)] in order; after_unit(phase, step, logs,
    seconds) -> logs does the caller's bookkeeping (seconds: the unit's own wall time); save() writes a checkpoint.
    Raises Diverged (nothing saved for that unit) or, after a Ctrl-C, Interrupted once the checkpoint is written."""
    spec = {name: (label, total) for name, label, _, total in phases}
    order = [name for name, *_ in phases]
    bars = {}

    def open_bar(after=None):
        """The bar of the first unfinished phase after `after` (or the first one), shown while its unit runs."""
        for name, _, done, total in phases[0 if after is None else order.index(after) + 1:]:
            if done < total:
                bars[name] = tqdm(total=total, initial=done, desc=name, disable=not progress, dynamic_ncols=True,
                                  leave=True)
                return

    open_bar()
    with deferred_interrupt() as interrupt:
        try:
            while True:
                t0 = time.perf_counter()
                try:
                    phase, step, logs = next(units)
                except StopIteration:
                    break
                seconds = time.perf_counter() - t0
                label, total = spec[phase]
                check_finite(label, step, logs)
                logs = after_unit(phase, step, logs, seconds)
                bar = bars.get(phase)
                if bar is not None:
                    bar.set_postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in logs.items()}, refresh=False)
                    bar.update(1)
                last = step == total
                if last or step % checkpoint_every == 0 or interrupt["set"]:
                    save()
                if last:
                    if phase in bars:
                        bars.pop(phase).close()
                    open_bar(after=phase)
                if interrupt["set"] and not last:
                    raise Interrupted(f"stopped after {phase} step {step}/{total}; checkpoint written to {where} "
                                      "(run the same command again to resume)")
        finally:
            for bar in bars.values():
                bar.close()
