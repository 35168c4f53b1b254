"""A resumable experiment: Algorithm 1 (train/seqgan.py) on one dataset, driven by the runner (train/loop.py),
evaluated as it goes, with its result files.

A subclass says what the real data is (`load_real`), how a generator is scored (`score_generator`) and what its
result files hold (`summary`, `write_extra`). Metrics stream to disk as they come: `metrics.jsonl` (one line per
unit of work, appended) and TensorBoard events under `tensorboard/`, so a long run that dies still leaves its
curve; `metrics.json`, `curve.csv` and `logs.csv` are written at the end.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2
from tqdm.auto import tqdm

from ..results import atomic_write, write_csv, write_json
from ..train import loop
from .. import methods
from ..train.projection import describe, measure_rates, project
from ..train.seqgan import algorithm1
from ..train.state import PHASES, Checkpoints, State

# What tf.summary.scalar writes, without needing the tensorboard package to write it (only to view it).
_SCALAR = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
                                      data_class=summary_pb2.DATA_CLASS_SCALAR)
BEST_WEIGHTS = "best_generator.weights.h5"
LABELS = {"pretrain_g": "MLE pretraining", "pretrain_d": "D pretraining", "adversarial": "adversarial"}


def eval_seed(cfg, epoch):
    """The seed of the evaluation after `epoch` (its samples can be drawn again from the G it scored)."""
    return tf.constant([cfg.seed, 10_000 + epoch], tf.int64)


class Experiment:
    """Runs (or resumes) MLE -> D pretraining -> adversarial rounds on real sequences in `out_dir`; `run()` returns
    the metrics dict. `init_from`: a directory holding a finished shared pretraining (experiments/sweep.py): a run
    with no checkpoint of its own starts from that one's, so every method of a seed shares one MLE pretraining."""
    experiment = "experiment"
    keep_best = None          # a metric (lower is better) whose best evaluation's G is kept in BEST_WEIGHTS

    def __init__(self, cfg, out_dir, progress=True, log=None, init_from=None):
        self.cfg, self.out = cfg, Path(out_dir)
        self.progress = progress
        self.log = log or tqdm.write
        if cfg.deterministic:
            tf.config.experimental.enable_op_determinism()
        keras.utils.set_random_seed(cfg.seed)
        self.state = State.build(cfg)
        self.method = methods.of_config(cfg.method)
        self.checkpoints = Checkpoints(self.state, self.out, init_from)
        self.hist = json.loads(self.state.history.numpy())
        self.resumed_from = None
        self.last_eval = None

    # -- to override -------------------------------------------------------------------------------------
    def load_real(self):
        """The real training sequences, (N, T) int32; must be the same on every call (resume relies on it)."""
        raise NotImplementedError

    def score_generator(self, gen, epoch):
        """Metrics of generator `gen`, e.g. {"nll_oracle": ...}."""
        raise NotImplementedError

    def score(self, epoch):
        return self.score_generator(self.state.models.gen, epoch)

    def summary(self, curve):
        """Experiment-specific part of metrics.json."""
        return {}

    def write_extra(self):
        """Experiment-specific result files (written after metrics.json)."""

    # -- checkpoints -----------------------------------------------------------------------------------
    def restore(self):
        """Restore the latest checkpoint if there is one (ConfigMismatch for a config that may not resume it)."""
        latest, shared, extended = self.checkpoints.restore(self.method.uses_total)
        if latest is None:
            return False
        self.hist = json.loads(self.state.history.numpy())
        if shared or extended:
            self.hist.pop("projected", None)      # it projected another schedule
        self.resumed_from = [int(x) for x in self.state.done.numpy()]
        self.log(f"resumed from {latest}: {dict(zip(PHASES, self.resumed_from))} units done"
                 + (f"; phase length now: {', '.join(f'{k} = {getattr(self.cfg, k)}' for k in extended)}" if extended else ""))
        return True

    def save(self):
        self.checkpoints.save(self.hist)

    # -- evaluation ------------------------------------------------------------------------------------
    def evaluate(self, phase, epoch):
        """Score G, append to the curve and return the metrics. Scoring seeds depend on (seed, epoch) only,
        so evaluating more or less often never changes training."""
        metrics = self.score(epoch)
        key = self.keep_best
        if key in metrics and all(metrics[key] < c[key] for c in self.hist["curve"] if key in c):
            self._keep_generator()
        self.hist["curve"].append({"phase": phase, "epoch": epoch, **metrics})
        self.last_eval = epoch
        return metrics

    def _keep_generator(self):
        """G's weights at the best `keep_best` evaluation so far (the early-stopped model, for later sampling,
        e.g. the temperature sweep); replaced atomically."""
        tmp = self.out / "best.tmp.weights.h5"
        self.state.models.gen.save_weights(str(tmp))
        tmp.replace(self.out / BEST_WEIGHTS)

    def eval_seed(self, epoch):
        return eval_seed(self.cfg, epoch)

    # -- the run ---------------------------------------------------------------------------------------
    def run(self):
        cfg, s = self.cfg, self.state
        self.out.mkdir(parents=True, exist_ok=True)
        with loop.lock(self.out):
            self.restore()
            real = self.load_real()
            done = [int(x) for x in s.done.numpy()]
            totals = (cfg.pretrain_g_epochs, cfg.pretrain_d_steps if self.method.uses_d else 0, cfg.adv_epochs)
            if cfg.project_time and sum(done) < sum(totals) and "projected" not in self.hist:
                self.log("measuring phase speeds for a time projection (--project_time False skips this)...")
                self.hist["rates"] = measure_rates(cfg, real, lambda g: self.score_generator(g, 0))
                self.hist["projected"] = project(cfg, self.hist["rates"], int(real.shape[0]))
            if "projected" in self.hist:
                self.log(describe(self.hist["projected"]))
            self._open_streams()
            try:
                if done[0] == 0 and not self.hist["curve"]:      # the untrained G: the "Random" row of Table 1
                    self._stream(_eval_record(self.evaluate("pretrain_g", 0)))
                    self.save()
                units = algorithm1(s.models, real, cfg, s.rng, done, methods.round_function(cfg.method),
                                   pretrain_d=self.method.uses_d)
                loop.run(units, [(p, LABELS[p], d, t) for p, d, t in zip(PHASES, done, totals)], self._after_unit,
                         self.save, cfg.checkpoint_every, self.progress, where=self.checkpoints.dir)
            finally:
                self._close_streams()
            return self.finish()

    def _after_unit(self, phase, step, logs, seconds):
        """Bookkeeping after one unit: progress counters, the evaluation when due, the logs and their streams."""
        cfg = self.cfg
        self.state.done[PHASES.index(phase)].assign(step)
        t0 = time.perf_counter()
        if phase == "adversarial":
            logs["time/round_s"] = seconds                       # the round alone, without its evaluation
        if phase != "pretrain_d":
            total = cfg.pretrain_g_epochs if phase == "pretrain_g" else cfg.adv_epochs
            epoch = step if phase == "pretrain_g" else cfg.pretrain_g_epochs + step
            # and after MLE epoch 1: the released code's first logged evaluation (its "epoch 0")
            if step % cfg.eval_every == 0 or step == total or (phase == "pretrain_g" and step == 1):
                logs.update({f"eval/{k}": v for k, v in self.evaluate(phase, epoch).items()})
        self.hist["seconds"][phase] += seconds + time.perf_counter() - t0
        record = {"phase": phase, "step": step, **logs}
        self.hist["logs"].append(record)
        self._stream(record)
        return logs

    # -- streams: metrics.jsonl and TensorBoard ---------------------------------------------------------
    def _open_streams(self):
        """metrics.jsonl restarted from the checkpointed history (units after the last checkpoint are redone)."""
        first = [_eval_record(c) for c in self.hist["curve"][:1] if c["epoch"] == 0]     # the epoch-0 evaluation
        atomic_write(self.out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in first + self.hist["logs"]))
        self.jsonl = open(self.out / "metrics.jsonl", "a")
        self.tb = tf.summary.create_file_writer(str(self.out / "tensorboard")) if self.cfg.tensorboard else None

    def _stream(self, record):
        self.jsonl.write(json.dumps(record) + "\n")
        self.jsonl.flush()
        if self.tb is None:
            return
        phase, step = record["phase"], record["step"]
        epoch = step if phase == "pretrain_g" else self.cfg.pretrain_g_epochs + step
        with self.tb.as_default():
            for key, value in record.items():
                if isinstance(value, (int, float)) and key != "step":
                    # evaluations on one epoch axis across phases; training values per phase and step
                    tf.summary.write(key if key.startswith("eval/") else f"{phase}/{key}",
                                     tf.constant(value, tf.float32), step=epoch if key.startswith("eval/") else step,
                                     metadata=_SCALAR)
        self.tb.flush()

    def _close_streams(self):
        self.jsonl.close()
        if self.tb is not None:
            self.tb.close()

    # -- results ---------------------------------------------------------------------------------------
    def finish(self):
        """Write metrics.json, curve.csv, logs.csv, then the experiment's own files; return the metrics."""
        cfg, curve = self.cfg, self.hist["curve"]
        last_epoch = cfg.pretrain_g_epochs + cfg.adv_epochs
        if self.last_eval != last_epoch:
            # resumed after the final unit: redo the final evaluation (same seed -> same numbers)
            curve[:] = [c for c in curve if c["epoch"] != last_epoch]
            self.evaluate("adversarial" if cfg.adv_epochs else "pretrain_g", last_epoch)
        metrics = {
            "experiment": self.experiment, "preset": cfg.preset, "seed": cfg.seed,
            **self.summary(curve),
            "curve": curve,
            "seconds": {k: round(v, 2) for k, v in self.hist["seconds"].items()},
            "seconds_per_round": _median([r["time/round_s"] for r in self.hist["logs"] if "time/round_s" in r]),
            "projected_seconds": self.hist.get("projected"),
            "last_d_acc": next((r["d/acc"] for r in reversed(self.hist["logs"]) if "d/acc" in r), None),
            "resumed_from": self.resumed_from,
            "config": cfg.to_dict(),
            "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
        }
        write_csv(self.out / "curve.csv", curve)
        write_csv(self.out / "logs.csv", self.hist["logs"])
        write_json(self.out / "metrics.json", metrics)
        self.write_extra()
        return metrics


def _eval_record(metrics):
    """The metrics.jsonl line of the epoch-0 evaluation (no unit of work goes with it)."""
    values = {f"eval/{k}": v for k, v in metrics.items() if k not in ("phase", "epoch")}
    return {"phase": "pretrain_g", "step": 0, **values}


def _median(xs):
    """Median (robust to the first round's graph tracing and to a busy machine), or None for no values."""
    return float(np.median(xs)) if xs else None
