"""What a checkpoint holds, and when a checkpoint may be resumed by a run of another config.

Every unit of work ends with the state consistent, so a checkpoint after any unit resumes exactly: the models, the
three optimizers, the random generator that seeds every stochastic op, the units done per phase and the metrics
so far. Which config fields may differ is declared beside each field (config.py, "scopes"); `check_resume` applies
those declarations and says, in one line, why it refuses.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from .. import config as config_lib
from ..errors import ConfigMismatch
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
        return cls(cfg, Models(gen, disc, rollout_gen, mle_opt, pg_opt, d_opt),
                   tf.random.Generator.from_seed(cfg.seed), tf.Variable(tf.zeros([3], tf.int64)), tf.Variable(empty))

    def checkpoint(self, with_rollout=True):
        m = self.models
        items = dict(gen=m.gen, disc=m.disc, mle_opt=m.mle_opt, pg_opt=m.pg_opt, d_opt=m.d_opt,
                     rng=self.rng, done=self.done, history=self.history)
        if with_rollout and m.rollout_gen is not m.gen:
            items["rollout_gen"] = m.rollout_gen
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
    run that has none yet), and save."""

    def __init__(self, state: State, run_dir, init_from=None):
        self.state, self.dir = state, Path(run_dir) / "checkpoints"
        self.init_from = None if init_from is None else Path(init_from) / "checkpoints"
        self.manager = tf.train.CheckpointManager(state.checkpoint(), self.dir, max_to_keep=2)

    def restore(self, uses_total=False):
        """Restore the latest checkpoint if there is one (ConfigMismatch if its config may not be resumed by this
        one). Returns (path or None, shared: bool, extended fields)."""
        latest, ckpt_dir, shared = self.manager.latest_checkpoint, self.dir, False
        if latest is None and self.init_from is not None:
            ckpt_dir, shared = self.init_from, True
            latest = tf.train.latest_checkpoint(ckpt_dir)
            if latest is None:
                raise FileNotFoundError(f"no pretraining checkpoint in {ckpt_dir} to start from")
        if latest is None:
            return None, False, []
        done = [int(x) for x in tf.train.load_variable(latest, "done/.ATTRIBUTES/VARIABLE_VALUE")]
        saved = json.loads((ckpt_dir / "config.json").read_text())
        extended = check_resume(saved, self.state.cfg, done, shared, uses_total, where=ckpt_dir.parent)
        # A shared pretraining may have no delayed roll-out copy (or one this run lacks): Algorithm 1 sets the copy
        # from G before the first round (line 3), so restore everything else.
        self.state.checkpoint(with_rollout=not shared).restore(latest).assert_existing_objects_matched()
        return latest, shared, extended

    def save(self, history: dict):
        self.state.history.assign(json.dumps(history))
        self.dir.mkdir(parents=True, exist_ok=True)
        write_json(self.dir / "config.json", self.state.cfg.to_dict())    # the config resumes are checked against
        self.manager.save(checkpoint_number=int(sum(self.state.done.numpy())))
