"""One run, start to finish, in one function: Algorithm 1 (train/seqgan.py) on a task's data, evaluated every
`eval_every` units, checkpointed, logged as it goes, stoppable with Ctrl-C and resumable by running it again.

A task (experiments/oracle_task.py: the oracle; experiments/corpus_experiments.py: poems, speeches, tunes, your
own text) says what the real data is and how a generator is scored:
    task.real_data(cfg, hist) -> (N, T) int32     the real sequences (the same on every call: resume relies on it)
    task.score(gen, epoch) -> {metric: value}      one evaluation (also what the time projection times)
    task.evaluate(gen, epoch, hist, out) -> {...}  an evaluation during the run (score + the task's own records)
    task.summary(cfg, curve, hist) -> dict         its part of metrics.json;  task.write_extra(out): its own files
    task.name, task.keep_best                      "synthetic", ...; a metric whose best G is kept, or None
Metrics stream to disk as they come: metrics.jsonl (one line per unit, appended) and TensorBoard events, so a run
that dies still leaves its curve; metrics.json, curve.csv and logs.csv are written at the end.
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

from .. import config as config_lib, methods
from ..errors import ConfigMismatch, Interrupted
from ..results import atomic_write, fingerprint, read_json, write_csv, write_json
from .loop import check_finite, deferred_interrupt, lock
from .projection import describe, machine, measure_rates, project
from .seqgan import algorithm1
from .state import PHASES, Checkpoints, State

BEST_WEIGHTS = "best_generator.weights.h5"
LABELS = {"pretrain_g": "MLE pretraining", "pretrain_d": "D pretraining", "adversarial": "adversarial"}


def eval_seed(cfg, epoch):
    """The seed of the evaluation after `epoch` (its samples can be drawn again from the G it scored)."""
    return tf.constant([cfg.seed, 10_000 + epoch], tf.int64)


def run(cfg, task, out_dir, progress=True, log=None, init_from=None) -> dict:
    """Run (or resume) MLE -> D pretraining -> rounds of cfg.method on `task` in out_dir; returns metrics.json's
    dict. init_from: a directory holding a finished shared pretraining (experiments/sweep.py) that a run without a
    checkpoint of its own starts from, so every method of a seed shares one MLE pretraining."""
    log, out = log or tqdm.write, Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(cfg.seed)
    state, method = State.build(cfg), methods.of_config(cfg.method)
    checkpoints = Checkpoints(state, out, init_from)
    with lock(out):
        # Committed results keep no checkpoints: a finished run without one is taken as it is, never trained anew
        # over its own results.
        if not checkpoints.manager.checkpoints and (finished := finished_run(cfg, out)) is not None:
            log(f"{out} holds a finished run (metrics.json) and no checkpoint: taken as it is (delete its "
                "metrics.json, or use another --out, to train it again)")
            return finished
        hist, resumed_from = _restore(checkpoints, state, cfg, method, log)
        real = task.real_data(cfg, hist)
        _check_same_data(real, hist, out)
        done = [int(x) for x in state.done.numpy()]
        totals = (cfg.pretrain_g_epochs, cfg.pretrain_d_steps if method.uses_d else 0, cfg.adv_epochs)
        if cfg.project_time and sum(done) < sum(totals) and "projected" not in hist:
            log("measuring phase speeds for a time projection (--project_time False skips this)...")
            try:
                hist["rates"] = measure_rates(cfg, real, lambda g: task.score(g, 0))
            except KeyboardInterrupt:
                raise Interrupted("stopped while timing the phases for the projection; nothing was trained "
                                  "(run the same command again to start)") from None
            hist["projected"] = project(cfg, hist["rates"], int(real.shape[0]))
        if "projected" in hist:
            log(describe(hist["projected"], done, totals))
        last_eval = None

        def evaluate(phase, epoch):
            """Score G, keep it if best so far, append to the curve. Seeds depend on (seed, epoch) only, so
            evaluating more or less often never changes training."""
            nonlocal last_eval
            metrics = task.evaluate(state.models.gen, epoch, hist, out)
            key = task.keep_best
            if key in metrics and all(metrics[key] < c[key] for c in hist["curve"] if key in c):
                state.models.gen.save_weights(str(out / "best.tmp.weights.h5"))
                (out / "best.tmp.weights.h5").replace(out / BEST_WEIGHTS)
            hist["curve"].append({"phase": phase, "epoch": epoch, **metrics})
            last_eval = epoch
            return metrics

        stream, bars = Stream(out, cfg, hist), Bars(PHASES, done, totals, progress)
        trained_here = False
        try:
            if done[0] == 0 and not hist["curve"]:              # the untrained G: the "Random" row of Table 1
                stream.write(eval_record(evaluate("pretrain_g", 0)))
                checkpoints.save(hist)
            units = algorithm1(state.models, real, cfg, state.rng, done, methods.round_function(cfg.method),
                               pretrain_d=method.uses_d)
            with deferred_interrupt() as interrupt:
                while True:
                    t0 = time.perf_counter()
                    phase, step, logs = next(units, (None, None, None))    # one unit of work
                    if phase is None:
                        break
                    seconds = time.perf_counter() - t0
                    check_finite(LABELS[phase], step, logs)
                    state.done[PHASES.index(phase)].assign(step)
                    if not trained_here:       # what trained the run, kept with it: re-opening it later changes neither
                        trained_here = True
                        hist["resumed_from"] = resumed_from
                        here = machine()
                        if hist.setdefault("machines", [])[-1:] != [here]:
                            hist["machines"].append(here)
                    t0 = time.perf_counter()
                    if phase == "adversarial":
                        logs["time/round_s"] = seconds                  # the round alone, without its evaluation
                    if phase != "pretrain_d":
                        total = cfg.pretrain_g_epochs if phase == "pretrain_g" else cfg.adv_epochs
                        epoch = step if phase == "pretrain_g" else cfg.pretrain_g_epochs + step
                        # and after MLE epoch 1: the released code's first logged evaluation (its "epoch 0")
                        if step % cfg.eval_every == 0 or step == total or (phase == "pretrain_g" and step == 1):
                            logs.update({f"eval/{k}": v for k, v in evaluate(phase, epoch).items()})
                    hist["seconds"][phase] += seconds + time.perf_counter() - t0
                    hist["logs"].append({"phase": phase, "step": step, **logs})
                    stream.write(hist["logs"][-1])
                    last = bars.update(phase, step, logs)
                    if last or step % cfg.checkpoint_every == 0 or interrupt["set"]:
                        checkpoints.save(hist)
                    if interrupt["set"] and not last:
                        raise Interrupted(f"stopped after {phase} step {step}/{bars.total(phase)}; checkpoint written "
                                          f"to {checkpoints.dir} (run the same command again to resume)")
        finally:
            stream.close()
            bars.close()
        last_epoch = cfg.pretrain_g_epochs + cfg.adv_epochs
        if last_eval != last_epoch:         # resumed after the final unit: redo the final evaluation (same numbers)
            hist["curve"][:] = [c for c in hist["curve"] if c["epoch"] != last_epoch]
            evaluate("adversarial" if cfg.adv_epochs else "pretrain_g", last_epoch)
        return finish(cfg, task, hist, out, resumed_from)


def finished_run(cfg, run_dir):
    """The metrics of the finished run of cfg in run_dir, or None if it has none (no metrics.json); a finished run
    of another config (any field but the run-only ones) is a ConfigMismatch naming the fields."""
    run_dir = Path(run_dir)
    if not (run_dir / "metrics.json").is_file():
        return None
    m = read_json(run_dir / "metrics.json")
    theirs, mine = config_lib.from_dict(m["config"]).to_dict(), cfg.to_dict()
    diff = sorted(k for k in mine if k not in config_lib.fields_in(config_lib.RUN) and theirs[k] != mine[k])
    if diff:
        raise ConfigMismatch(f"{run_dir} is a run of another config (" + "; ".join(
            f"{k}: {theirs[k]!r} there, {mine[k]!r} here" for k in diff) + "); it cannot stand for this one")
    return m


def _restore(checkpoints, state, cfg, method, log):
    """The run's history from its latest checkpoint (or a shared pretraining's), and the units it had done."""
    latest, shared, extended = checkpoints.restore(method.uses_total)
    hist = json.loads(state.history.numpy())
    if latest is None:
        return hist, None
    if shared or extended:
        hist.pop("projected", None)      # it projected another schedule
    resumed_from = [int(x) for x in state.done.numpy()]
    log(f"resumed from {latest}: {dict(zip(PHASES, resumed_from))} units done"
        + (f"; phase length now: {', '.join(f'{k} = {getattr(cfg, k)}' for k in extended)}" if extended else ""))
    return hist, resumed_from


def _check_same_data(real, hist, out):
    """Refuse to resume on other real data than the run (or the pretraining it starts from) trained on: a changed
    corpus file, or a synthetic corpus drawn differently. Records the data's fingerprint on a first start."""
    digest = fingerprint(real.numpy())
    if hist.setdefault("real_sha256", digest) != digest:
        raise ConfigMismatch(f"{out} holds a checkpoint trained on other real data (fingerprint {hist['real_sha256']}, "
                             f"now {digest}): the corpus changed; use a new --out")


def finish(cfg, task, hist, out, resumed_from):
    """Write metrics.json, curve.csv, logs.csv, then the task's own files; return the metrics."""
    curve = hist["curve"]
    metrics = {
        "experiment": task.name, "preset": cfg.preset, "seed": cfg.seed,
        **task.summary(cfg, curve, hist),
        "curve": curve,
        "seconds": {k: round(v, 2) for k, v in hist["seconds"].items()},
        "seconds_per_round": _median([r["time/round_s"] for r in hist["logs"] if "time/round_s" in r]),
        "projected_seconds": hist.get("projected"),
        "last_d_acc": next((r["d/acc"] for r in reversed(hist["logs"]) if "d/acc" in r), None),
        # from the process that last trained it (a checkpoint older than that record: this process)
        "resumed_from": hist["resumed_from"] if "resumed_from" in hist else resumed_from,
        "config": cfg.to_dict(),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
        "machine": hist["machines"][-1] if hist.get("machines") else machine(),
    }
    if len(hist.get("machines", [])) > 1:          # resumed on other machines (or other thread counts)
        metrics["machines"] = hist["machines"]
    write_csv(out / "curve.csv", curve)
    write_csv(out / "logs.csv", hist["logs"])
    write_json(out / "metrics.json", metrics)
    task.write_extra(out)
    return metrics


# What tf.summary.scalar writes, without needing the tensorboard package to write it (only to view it).
_SCALAR = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
                                      data_class=summary_pb2.DATA_CLASS_SCALAR)


class Stream:
    """metrics.jsonl (restarted from the checkpointed history: units after the last checkpoint are redone) and
    the same values as TensorBoard events."""

    def __init__(self, out, cfg, hist):
        first = [eval_record(c) for c in hist["curve"][:1] if c["epoch"] == 0]      # the epoch-0 evaluation
        atomic_write(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in first + hist["logs"]))
        self.cfg, self.jsonl = cfg, open(out / "metrics.jsonl", "a")
        self.tb = tf.summary.create_file_writer(str(out / "tensorboard")) if cfg.tensorboard else None

    def write(self, record):
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

    def close(self):
        self.jsonl.close()
        if self.tb is not None:
            self.tb.close()


class Bars:
    """One progress bar per phase, opened when its first unit starts; update() says whether the phase ended."""

    def __init__(self, phases, done, totals, progress=True):
        self.phases, self.progress, self.bars = list(zip(phases, done, totals)), progress, {}
        self._open()

    def total(self, phase):
        return next(t for p, _, t in self.phases if p == phase)

    def _open(self, after=None):
        names = [p for p, _, _ in self.phases]
        for name, done, total in self.phases[0 if after is None else names.index(after) + 1:]:
            if done < total:
                self.bars[name] = tqdm(total=total, initial=done, desc=name, disable=not self.progress,
                                       dynamic_ncols=True, leave=True)
                return

    def update(self, phase, step, logs):
        bar = self.bars.get(phase)
        if bar is not None:
            bar.set_postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in logs.items()}, refresh=False)
            bar.update(1)
        last = step == self.total(phase)
        if last:
            if phase in self.bars:
                self.bars.pop(phase).close()
            self._open(after=phase)
        return last

    def close(self):
        for bar in self.bars.values():
            bar.close()


def eval_record(metrics):
    """The metrics.jsonl line of the epoch-0 evaluation (no unit of work goes with it)."""
    values = {f"eval/{k}": v for k, v in metrics.items() if k not in ("phase", "epoch")}
    return {"phase": "pretrain_g", "step": 0, **values}


def _median(xs):
    """Median (robust to the first round's graph tracing and to a busy machine), or None for no values."""
    return float(np.median(xs)) if xs else None
