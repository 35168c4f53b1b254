"""A sweep as a graph of runs: several settings and seeds of the synthetic experiment, each seed's pretraining shared
by its settings (Table 1, Figure 3 and the studies), or a corpus experiment's seeds. The graph is a list of
executors.Run; an executor (one after another, several processes, a Ray cluster) makes it. Every run resumes from
its own checkpoint, so a sweep stopped anywhere resumes."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from .. import config as config_lib
from ..results import write_json
from ..methods import METHODS
from .executors import Run, Sequential


def pretrain_config(cfg, with_d=False):
    """The shared pretraining run of cfg's seed: MLE (and D pretraining if with_d), no adversarial rounds,
    with every METHOD field at its default."""
    defaults = config_lib.Config()
    method_fields = {f: getattr(defaults, f) for f in config_lib.fields_in(config_lib.METHOD)}
    return dataclasses.replace(cfg, pretrain_d_steps=cfg.pretrain_d_steps if with_d else 0, adv_epochs=0,
                               **method_fields)


def settings_graph(cfg, settings, seeds, root, shared="mle", mle_from=None, task="oracle", **task_args) -> list:
    """The runs of each setting {name: config overrides} for each seed, into root/seed<k>/<name>, as a list of
    executors.Run in the order a sequential sweep makes them. shared="mle" (or "mle+d"): each seed's MLE pretraining
    (plus D pretraining) is one run, root/seed<k>/pretrain, that every setting of the seed starts from (so it may
    override only ADVERSARIAL and METHOD fields, and D fields for "mle"); shared=None: every setting runs from
    scratch. mle_from: a directory of the same seeds' finished MLE pretrainings (<mle_from>/seed<k>/pretrain, e.g.
    Table 1's) that each seed's shared pretraining continues from instead of repeating it -- the same run, as a run
    resumed from its checkpoint is. task, task_args: what the runs train on (executors.build_task; a corpus:
    task="poems", data=<its prepared directory>)."""
    if shared not in ("mle", "mle+d", None):
        raise ValueError(f"shared must be 'mle', 'mle+d' or None, got {shared!r}")
    if mle_from and not shared:
        raise ValueError("mle_from needs a shared pretraining")
    root, runs = Path(root), []
    for seed in seeds:
        seed_cfg, pre = dataclasses.replace(cfg, seed=seed), None
        if shared:
            src = Path(mle_from) / f"seed{seed}" / "pretrain" if mle_from else None
            if src is not None and not ((src / "metrics.json").is_file() and (src / "checkpoints").is_dir()):
                raise FileNotFoundError(f"no finished MLE pretraining with its checkpoints in {src} to continue from "
                                        f"(results/ keeps none); make one first: `python reproduce/synthetic.py "
                                        f"--methods mle --seed {seed}` (into runs/synthetic/quick/)")
            pre = Run("pretrain", pretrain_config(seed_cfg, shared == "mle+d"), str(root / f"seed{seed}" / "pretrain"),
                      init_from=src and str(src), task=task, task_args=task_args)
            runs.append(pre)
        for name, overrides in settings.items():
            runs.append(Run(name, config_lib.replace(seed_cfg, **overrides), str(root / f"seed{seed}" / name),
                            init_from=pre and pre.out, after=(pre.name,) if pre else (), task=task,
                            task_args=task_args))
    return runs


def seeds_graph(cfg, seeds, root, task="oracle", **task_args) -> list:
    """One run of cfg per seed into root/seed<k> (the corpus experiments), on `task` (executors.build_task)."""
    return [Run("", dataclasses.replace(cfg, seed=seed), str(Path(root) / f"seed{seed}"), task=task,
                task_args=task_args) for seed in seeds]


def run_settings(cfg, settings, seeds, root, shared="mle", progress=True, log=None, mle_from=None, executor=None):
    """Make settings_graph's runs with `executor` (executors.make; default: one after another in this process).
    Returns {(seed, name): metrics} of the settings' runs."""
    runs = settings_graph(cfg, settings, seeds, root, shared, mle_from)
    results = (executor or Sequential())(runs, progress, log)
    return {(r.cfg.seed, r.setting): results[r.name] for r in runs if r.setting != "pretrain"}


def run_methods(cfg, rows, seeds, root, progress=True, log=None, executor=None):
    """Table 1: each row of methods.METHODS named in `rows` from each seed's shared MLE pretraining, into
    root/seed<k>/<row>."""
    return run_settings(cfg, {r: METHODS[r].config(r) for r in rows}, seeds, root, progress=progress, log=log,
                        executor=executor)


def reuse_run(cfg, src, dst):
    """Take the finished run in `src` as the run of cfg in `dst` instead of training it again: its metrics.json
    (noting where it came from) and curve files. The same code makes the same run from the same config (run-only
    fields such as checkpointing aside; tested at smoke scale), so that run is the one cfg would make; any other
    field differing is a ConfigMismatch naming it. Returns the metrics."""
    from ..train.run import finished_run
    src, dst = Path(src), Path(dst)
    m = finished_run(cfg, src)
    if m is None:
        raise FileNotFoundError(f"no finished run to reuse in {src} (no metrics.json)")
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("curve.csv", "logs.csv", "nll_curve.png"):
        if (src / name).is_file():
            shutil.copyfile(src / name, dst / name)
    write_json(dst / "metrics.json", {**m, "copied_from": str(src)})
    return m
