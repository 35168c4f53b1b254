"""What a checkpoint holds, and when a checkpoint may be resumed by a run of another config.

Every unit of work ends with the state consistent, so a checkpoint after any unit resumes exactly: the models, the
three optimizers, the random generator that seeds every stochastic op, the units done per phase and the metrics
so far. Which config fields may differ is declared beside each field (config.py, "scopes"); `check_resume` applies
those declarations and says, in one line, why it refuses.
"""
from __future__ import annotations

import errno
import glob
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf
from google.protobuf.message import DecodeError

from .. import config as config_lib
from ..errors import CheckpointError, ConfigMismatch
from ..models import make_generator
from ..results import write_json
from . import distribute
from .optim import adam
from .seqgan import Models

PHASES = config_lib.PHASES


@dataclass
class State:
    """Everything a checkpoint holds."""
    cfg: config_lib.Config
    models: Models
    rng: tf.random.Generator
    done: tf.Variable          # units done per phase, int64 (3,): MLE epochs, D pretraining steps, rounds
    history: tf.Variable       # JSON of the metrics so far (tf.string)

    @classmethod
    def build(cls, cfg):
        gen = make_generator(cfg, seed=cfg.seed * 100 + 1)
        disc, d_opt = distribute.discriminator(cfg, seed=cfg.seed * 100 + 50)   # mirrored on several GPUs
        rollout_gen = gen
        if cfg.rollout_policy == "delayed":
            rollout_gen = make_generator(cfg)
            rollout_gen.set_weights(gen.get_weights())
        mle_opt, pg_opt = adam(cfg.g_lr, cfg.grad_clip), adam(cfg.g_lr, cfg.grad_clip)
        for opt in (mle_opt, pg_opt):
            opt.build(gen.trainable_variables)
        empty = json.dumps({"curve": [], "logs": [], "seconds": {p: 0.0 for p in PHASES}})
        level = tf.Variable(0.0) if cfg.method == "matched_constant" else None    # train/controls.py
        return cls(cfg, Models(gen, disc, rollout_gen, mle_opt, pg_opt, d_opt, level),
                   tf.random.Generator.from_seed(cfg.seed), tf.Variable(tf.zeros([3], tf.int64)), tf.Variable(empty))

    def checkpoint(self, with_rollout=True):
        m = self.models
        items = dict(gen=m.gen, disc=m.disc, mle_opt=m.mle_opt, pg_opt=m.pg_opt, d_opt=m.d_opt,
                     rng=self.rng, done=self.done, history=self.history)
        if with_rollout and m.rollout_gen is not m.gen:        # a shared pretraining holds neither
            items["rollout_gen"] = m.rollout_gen
        if with_rollout and m.reward_level is not None:
            items["reward_level"] = m.reward_level
        return tf.train.Checkpoint(**items)


def check_resume(saved: dict, cfg, done, shared: bool, uses_total=False, where="the run directory") -> list[str]:
    """Raise ConfigMismatch unless a checkpoint of config `saved` (a dict, fields missing there count as their
    defaults: they were added later and the default keeps the old behaviour) with `done` units per phase may be
    resumed by `cfg`. shared: the checkpoint is a shared pretraining (another run's directory), so ADVERSARIAL and
    METHOD fields may differ, and D fields too if it did no D pretraining. Otherwise a field that sets a phase's
    length (`extends`) may grow while no later phase has begun: the run is extended. Returns those fields."""
    defaults = json.loads(json.dumps(config_lib.Config().to_dict()))
    saved = {**defaults, **saved}
    mine = json.loads(json.dumps(cfg.to_dict()))
    ignored = config_lib.fields_in(config_lib.RUN)
    if shared:
        ignored |= config_lib.fields_in(config_lib.ADVERSARIAL, config_lib.METHOD)
        if not saved["pretrain_d_steps"]:
            ignored |= config_lib.fields_in(config_lib.D)
        for c in (saved, mine):       # D pretraining epochs as done, though d_epochs (k) may differ
            c["pretrain_d_epochs"] = c["pretrain_d_epochs"] or c["d_epochs"]
    diff = sorted(k for k in set(saved) | set(mine) if k not in ignored and saved.get(k) != mine.get(k))
    extended, refused = [], []
    for k in diff:
        phase = None if shared else config_lib.extends(k)
        why = phase and _why_not_extend(k, PHASES.index(phase), saved[k], mine[k], done, uses_total)
        if phase and not why:
            extended.append(k)
        else:
            refused.append(f"{k}: {saved.get(k)!r} there, {mine.get(k)!r} now" + (f" — {why}" if why else ""))
    if refused:
        raise ConfigMismatch(f"{where} holds a checkpoint of a different config (" + "; ".join(refused)
                             + "); use another --out or delete that directory")
    return extended


def _why_not_extend(name, phase, old, new, done, uses_total):
    later = [p for p in range(phase + 1, len(PHASES)) if done[p]]
    if later:
        return f"cannot change once {PHASES[later[0]]} has begun"
    if new < done[phase]:
        return f"{done[phase]} {PHASES[phase]} units are already done"
    if name == "adv_epochs" and uses_total and done[phase]:
        return "this method's rounds depend on their total number (scheduled sampling's ε schedule)"
    return None


class Checkpoints:
    """The checkpoints of one run directory: restore the run's own latest one (or a shared pretraining's, for a
    run that has none yet), and save.

    Faults end in one line (errors.CheckpointError) rather than a traceback: a disk that fills (or a quota reached)
    while saving stops the run naming the directory, after removing the half-written checkpoint (the manager's
    `checkpoint` index only lists a checkpoint once it is completely written, so the last complete one resumes); a
    kept checkpoint that cannot be read (truncated, deleted) on resume is skipped, with a warning, for the previous
    kept one, and the run stops only when none can be read."""

    def __init__(self, state: State, run_dir, init_from=None):
        self.state, self.dir = state, Path(run_dir) / "checkpoints"
        self.init_from = None if init_from is None else Path(init_from) / "checkpoints"
        self.manager = tf.train.CheckpointManager(state.checkpoint(), self.dir, max_to_keep=2)

    def restore(self, uses_total=False):
        """Restore the latest readable checkpoint if there is one (ConfigMismatch if its config may not be resumed by
        this one; CheckpointError if none of the kept ones can be read). Returns (path or None, shared: bool, extended
        fields)."""
        kept, ckpt_dir, shared = list(self.manager.checkpoints), self.dir, False
        if not kept and self.init_from is not None:
            ckpt_dir, shared = self.init_from, True
            kept = _kept(ckpt_dir)
            if not kept:
                raise FileNotFoundError(f"no pretraining checkpoint in {ckpt_dir} to start from")
        saved, first_bad = None, None
        for path in reversed(kept):                     # newest first
            try:
                done = [int(x) for x in tf.train.load_variable(path, "done/.ATTRIBUTES/VARIABLE_VALUE")]
            except ConfigMismatch:
                raise
            except _READ_ERRORS as e:
                first_bad = first_bad or (path, e)
                continue
            if saved is None:
                saved = json.loads((ckpt_dir / "config.json").read_text())
            extended = check_resume(saved, self.state.cfg, done, shared, uses_total, where=ckpt_dir.parent)
            # A shared pretraining may have no delayed roll-out copy (or one this run lacks): Algorithm 1 sets the
            # copy from G before the first round (line 3), so restore everything else. A restore that fails half-way
            # may have assigned some variables: the previous checkpoint's restore assigns all of them again.
            try:
                self.state.checkpoint(with_rollout=not shared).restore(path).assert_existing_objects_matched()
            except ConfigMismatch:
                raise
            except _READ_ERRORS as e:
                first_bad = first_bad or (path, e)
                continue
            if first_bad:
                print(f"warning: cannot read checkpoint {_files(first_bad[0])} ({_reason(first_bad[1])}); "
                      f"resuming from the previous one, {path}", file=sys.stderr)
            return path, shared, extended
        if first_bad is None:
            return None, False, []
        bad, e = first_bad
        what = "that pretraining" if shared else "the run"
        raise CheckpointError(f"cannot read checkpoint {_files(bad)} ({_reason(e)}), nor an earlier one in "
                              f"{ckpt_dir}; restore those files, or delete {ckpt_dir} to start {what} over")

    def read(self, name=None):
        """Restore one checkpoint of this directory as it is, to measure it rather than resume it: `name` (e.g.
        "ckpt-250"), default the latest kept one. CheckpointError, in one line, if there is none or it cannot be read.
        Returns its path."""
        path = str(self.dir / name) if name else self.manager.latest_checkpoint
        if path is None:
            raise CheckpointError(f"no checkpoint in {self.dir}")
        try:
            self.state.checkpoint().restore(path).assert_existing_objects_matched()
        except _READ_ERRORS as e:
            raise CheckpointError(f"cannot read checkpoint {_files(path)} ({_reason(e)})") from None
        return path

    def save(self, history: dict):
        """Write a checkpoint after a unit of work. A full disk (or quota) raises CheckpointError naming the
        directory, with nothing half-written left behind."""
        self.state.history.assign(json.dumps(history))
        number = int(sum(self.state.done.numpy()))
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_json(self.dir / "config.json", self.state.cfg.to_dict())    # the config resumes are checked against
            self.manager.save(checkpoint_number=number)
        except (tf.errors.OpError, OSError) as e:
            if not _disk_full(e):
                raise
            self._remove_partial(number)
            why = next((os.strerror(n) for n in _NO_SPACE if os.strerror(n) in str(e)), None) or _reason(e)
            raise CheckpointError(f"the disk filled while writing a checkpoint to {self.dir} ({why}); free "
                                  "some space, then run the same command again to resume from the last complete "
                                  "checkpoint") from None

    def _remove_partial(self, number):
        """Delete what a failed save of checkpoint `number` left: its temporary directory, the temporaries of the
        `checkpoint` index, and its files unless the index on disk already lists it (then it was complete)."""
        prefix = self.dir / f"ckpt-{number}"
        try:
            shutil.rmtree(f"{prefix}_temp", ignore_errors=True)
            for tmp in self.dir.glob("checkpoint.tmp*"):
                tmp.unlink(missing_ok=True)
            if prefix.name not in {Path(p).name for p in _kept(self.dir)}:
                for f in [*self.dir.glob(f"{prefix.name}.index"), *self.dir.glob(f"{prefix.name}.data-*")]:
                    f.unlink(missing_ok=True)
        except (OSError, *_READ_ERRORS):
            pass                 # best effort: the CheckpointError about the full disk is what the user needs


# Reading a damaged or missing checkpoint: DataLossError / NotFoundError (OpError), "Read less bytes than requested"
# (IndexError), a bad proto (ValueError, DecodeError), a file system error (OSError).
_READ_ERRORS = (tf.errors.OpError, IndexError, ValueError, OSError, DecodeError)
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _kept(ckpt_dir) -> list[str]:
    """The checkpoints the `checkpoint` index of `ckpt_dir` lists, oldest first (as CheckpointManager.checkpoints)."""
    state = tf.train.get_checkpoint_state(str(ckpt_dir))
    if state is None:
        return []
    paths = list(state.all_model_checkpoint_paths)
    if state.model_checkpoint_path and state.model_checkpoint_path not in paths:
        paths.append(state.model_checkpoint_path)
    return paths


def _disk_full(e) -> bool:
    """ENOSPC or EDQUOT, as an OSError or as TensorFlow reports it (RESOURCE_EXHAUSTED, or the errno's text)."""
    if isinstance(e, OSError):
        return e.errno in _NO_SPACE
    text = str(e)
    return isinstance(e, tf.errors.ResourceExhaustedError) or any(
        os.strerror(n) in text for n in _NO_SPACE) or "ENOSPC" in text


def _files(prefix) -> str:
    """A checkpoint's files, named for the user ("<prefix>.index, <prefix>.data-00000-of-00001")."""
    files = sorted(glob.glob(glob.escape(str(prefix)) + ".*"))
    return ", ".join(files) if files else f"{prefix} (its files are missing)"


def _reason(e) -> str:
    """One line of why: the exception type and the first line of its message, shortened."""
    text = e.strerror if isinstance(e, OSError) and e.strerror else (getattr(e, "message", None) or str(e))
    text = re.sub(r"\{\{function_node [^}]*\}\}", "", " ".join(str(text).split())).strip()
    return f"{type(e).__name__}: {text[:200] + '...' if len(text) > 200 else text}"
