"""Who makes a sweep's runs: a sweep is a list of `Run`s (experiments/sweep.py builds it), each a run of
train/run.py with the runs it starts from named in `after`; an executor makes them all and returns
{run name: metrics}. A run's numbers depend only on its config, seed and TensorFlow's thread count, so every
executor gives the same metrics.json for the same threads (tests/test_parallel.py).

- `Sequential`: one run after another in this process (the default, `--workers 1`).
- `Processes`: up to `workers` runs at once on this machine, each a fresh Python (experiments/worker.py) with its
  share of the cores, its output in <run dir>/run.log.
- `Ray`: one Ray task per run on a cluster (docs/cluster.md); a task's dependencies are the results of the runs it
  starts from, so Ray orders them.

Every run resumes from its own checkpoint, so a run whose process is killed (by a signal, or a Ray worker that
dies) is started again and goes on from there, up to `retries` times. A run that fails in a way retrying cannot
fix (bad config or input, divergence: a one-line error, seqgan_tf/errors.py) fails the sweep with that line and
its name, once every run that does not start from it has finished. No TensorFlow here: command lines import this
module before TensorFlow loads (a run imports it in its own process).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from .. import config as config_lib
from .. import runtime
from ..errors import Interrupted, RunFailed, one_line
from ..results import read_json

RAY_INSTALL = "pip install -e '.[ray]'"   # the optional dependency (pyproject.toml's ray extra)
RUN_LOG = "run.log"       # a run's output when it runs in a process of its own (appended to by every attempt)


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of a sweep: what a process needs to make it, and which runs must finish first."""
    setting: str                  # "pretrain" (a seed's shared pretraining), a setting or row; "": a seed's one run
    cfg: config_lib.Config
    out: str                          # its directory
    init_from: str | None = None      # the finished shared pretraining it starts from (train/run.py:run)
    after: tuple = ()                 # names of the runs that must finish first
    task: str = "oracle"              # "oracle", or a corpus ("poems", "speeches", "tunes"): see build_task
    task_args: dict = dataclasses.field(default_factory=dict)    # e.g. {"data": a corpus's prepared directory}

    @property
    def name(self) -> str:
        return f"seed{self.cfg.seed}" + (f"/{self.setting}" if self.setting else "")

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "cfg": self.cfg.to_dict(), "after": list(self.after)}

    @classmethod
    def from_dict(cls, d) -> Run:
        return cls(**{**d, "cfg": config_lib.from_dict(d["cfg"]), "after": tuple(d["after"])})


def build_task(run):
    """The task (train/run.py) that `run` trains on, built in the process that makes it: the oracle, or a corpus
    experiment ("poems", "speeches", "tunes") on the prepared data in task_args["data"] (data/corpus.py)."""
    if run.task == "oracle":
        from .oracle_task import OracleTask
        return OracleTask(run.cfg)
    from ..data.corpus import load_prepared
    from .corpus_experiments import CorpusTask, scoring
    data = load_prepared(run.task_args["data"])
    metrics, render = scoring(run.task, data, run.cfg)
    return CorpusTask(run.cfg, data, render, metrics, kind=run.task)


def run_one(run, progress=True, log=None) -> dict:
    """Make (or resume) `run` in this process; its metrics."""
    from ..train.run import run as train
    return train(run.cfg, build_task(run), Path(run.out), progress, log,
                 init_from=Path(run.init_from) if run.init_from else None)


def make(workers=1, threads=None, ray=None, retries=2, gpus_per_run=1.0):
    """The executor the command-line options ask for (cli.study_parser: --workers, --threads, --ray, --retries,
    --gpus_per_run). ValueError for a bad value, or --ray without Ray installed, before anything runs."""
    if workers < 1 or (threads is not None and threads < 1) or retries < 0 or not 0 < gpus_per_run <= 1:
        raise ValueError(f"need --workers >= 1, --threads >= 1, --retries >= 0 and 0 < --gpus_per_run <= 1 (got "
                         f"{workers}, {threads}, {retries}, {gpus_per_run})")
    threads = threads or (None if workers == 1 and not ray else max(1, (os.cpu_count() or 1) // workers))
    if ray:
        return Ray(ray, threads, retries, gpus_per_run)
    return Processes(workers, threads, retries) if workers > 1 else Sequential(threads)


class Sequential:
    """Each run in turn in this process, with TensorFlow's default threads unless `threads`. A failure stops the
    sweep at once with that run's own error."""

    def __init__(self, threads=None):
        self.threads = threads

    def __call__(self, runs, progress=True, log=None) -> dict:
        if self.threads:
            try:
                runtime.set_threads(self.threads)
            except RuntimeError:
                raise ValueError(f"--threads {self.threads}: TensorFlow has already started in this process with "
                                 "another thread count") from None
        return {run.name: run_one(run, progress, log) for run in runs}


class Outcomes:
    """The sweep's bookkeeping, whoever runs it: what is waiting, running, done, failed; one line per change (and a
    bar for the whole sweep); the one error at the end."""

    def __init__(self, runs, progress, log, busy="running"):
        self.runs, self.log, self.busy = {r.name: r for r in runs}, log or tqdm.write, busy
        self.waiting, self.running, self.done, self.failed = list(self.runs), {}, {}, {}
        self.bar = tqdm(total=len(runs), desc="runs", unit="run", disable=not progress, dynamic_ncols=True)

    def ready(self):
        """Waiting runs whose runs-to-start-from have all finished, in sweep order (one that starts from a failed run
        is never ready: it stays waiting, and the error at the end counts it)."""
        return [n for n in self.waiting if all(a in self.done for a in self.runs[n].after)]

    def started(self, name, detail=""):
        self.waiting.remove(name)
        self.running[name] = time.monotonic()
        self.say(f"started {name}{detail}")

    def finished(self, name, metrics):
        seconds = time.monotonic() - self.running.pop(name)
        self.done[name] = metrics
        self.bar.update(1)
        self.say(f"done {name} ({_hms(seconds)})")

    def fail(self, name, code, error):
        self.running.pop(name, None)
        self.failed[name] = (code, error)
        self.bar.update(1)
        self.say(f"FAILED {name}: {error}")

    def retry(self, name, why, attempt, retries):
        self.running.pop(name)
        self.waiting.insert(0, name)
        self.say(f"{name} {why}: starting it again ({attempt} of {retries} retries; it resumes from its checkpoint)")

    def say(self, event):
        where = ", ".join(f"{n} ({_where(self.runs[n].out)})" for n in self.running)
        self.log(f"[{len(self.done)}/{len(self.runs)} done, {len(self.running)} {self.busy}"
                 f"{': ' + where if where else ''}, {len(self.waiting)} waiting] {event}")

    def result(self):
        """{name: metrics} when every run finished; else RunFailed naming the first failure."""
        self.bar.close()
        if not self.failed:
            return {n: self.done[n] for n in self.runs}
        (name, (code, error)), more = next(iter(self.failed.items())), len(self.failed) - 1
        error = error.removeprefix("error: ")
        raise RunFailed(f"run {name} failed: {error}" + (f" (and {more} other run(s): see their {RUN_LOG})" if more
                        else "") + f"; {len(self.done)} of {len(self.runs)} runs finished and are kept"
                        + (f", {len(self.waiting)} not started (they start from a failed run)" if self.waiting else "")
                        + "; the same command again resumes", code if code in (2, 3) else 2)


def _where(out):
    """'<phase> <step>' of a running run: the last line of its metrics.jsonl ('starting' before the first)."""
    try:
        with open(Path(out) / "metrics.jsonl", "rb") as f:
            f.seek(max(0, f.seek(0, 2) - 4096))
            last = json.loads(f.read().splitlines()[-1])
        return f"{last['phase']} {last['step']}"
    except (OSError, IndexError, ValueError, KeyError):
        return "starting"


def _hms(seconds):
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


class Processes:
    """Up to `workers` runs at once, each `python -m seqgan_tf.experiments.worker` with `threads` intra- and
    inter-op threads (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS, which its metrics.json records) and its
    output appended to <run dir>/run.log. A run killed by a signal is started again (it resumes from its
    checkpoint) up to `retries` times; one that exits with an error fails the sweep once the others are done.
    Ctrl-C stops every run at its next checkpoint."""

    def __init__(self, workers, threads, retries=2):
        self.workers, self.threads, self.retries = workers, threads, retries

    def __call__(self, runs, progress=True, log=None) -> dict:
        with contextlib.suppress(RuntimeError):      # tables and figures made here afterwards: the runs' threads
            runtime.set_threads(self.threads)
        state, procs, attempts = Outcomes(runs, progress, log), {}, {}
        try:
            while True:
                for name in state.ready()[:self.workers - len(procs)]:
                    procs[name] = self._start(state.runs[name])
                    state.started(name, f" (pid {procs[name].pid}, {self.threads} thread(s))")
                if not procs:         # nothing running and nothing ready: done, or the rest start from a failure
                    break
                time.sleep(0.2)
                for name, proc in list(procs.items()):
                    if proc.poll() is not None:
                        del procs[name]
                        self._ended(state, name, proc.returncode, attempts)
        except KeyboardInterrupt:
            for proc in procs.values():       # each stops at its next checkpoint (a second Ctrl-C: at once)
                proc.send_signal(signal.SIGINT)
            for proc in procs.values():
                with contextlib.suppress(KeyboardInterrupt):
                    proc.wait()
            state.bar.close()
            raise Interrupted(f"stopped; the running runs wrote checkpoints ({', '.join(procs)}): run the same "
                              "command again to resume") from None
        return state.result()

    def _start(self, run):
        out = Path(run.out)
        out.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TF_NUM_INTRAOP_THREADS": str(self.threads), "TF_NUM_INTEROP_THREADS": str(self.threads),
               "TF_FORCE_GPU_ALLOW_GROWTH": "true", "PYTHONUNBUFFERED": "1"}    # several runs may share a GPU
        with open(out / RUN_LOG, "a") as logfile:
            # a process group of its own: Ctrl-C at the terminal reaches this process, which passes it on once
            proc = subprocess.Popen([sys.executable, "-m", "seqgan_tf.experiments.worker"], stdin=subprocess.PIPE,
                                    stdout=logfile, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        proc.stdin.write(json.dumps(run.to_dict()).encode())
        proc.stdin.close()
        return proc

    def _ended(self, state, name, code, attempts):
        run = state.runs[name]
        if code == 0:
            state.finished(name, read_json(Path(run.out) / "metrics.json"))
        elif code < 0 and attempts.get(name, 0) < self.retries:
            attempts[name] = attempts.get(name, 0) + 1
            state.retry(name, f"was killed by {signal.Signals(-code).name}", attempts[name], self.retries)
        else:
            state.fail(name, code, _last_error(Path(run.out) / RUN_LOG) or (
                f"killed by {signal.Signals(-code).name} {self.retries + 1} times" if code < 0 else
                f"exited with code {code}") + f" (see {Path(run.out) / RUN_LOG})")


def _last_error(path):
    """The last one-line error ('error: ...' / 'interrupted: ...') in a run's log, or None."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return None
    return next((l for l in reversed(lines) if l.startswith(("error: ", "interrupted: "))), None)


# Ray ------------------------------------------------------------------------------------------------------------
def _on_ray(spec, threads, cwd, *after):
    """One run as a Ray task in a Ray worker process, with `threads` TensorFlow threads and
    the sweep's working directory `cwd` where this node has it; `after` are the results of the runs it starts from
    (Ray waits for them). Returns {"name", "out", "metrics"} or, for a one-line error, {"name", "code",
    "error"}; a run starting from a failed run returns {"name", "skipped"} without running."""
    run = Run.from_dict(spec)
    if any("metrics" not in a for a in after):
        return {"name": run.name, "skipped": True}
    os.environ.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads),
                      TF_FORCE_GPU_ALLOW_GROWTH="true")
    runtime.configure()
    runtime.set_threads(threads)      # a no-op in a worker that made a run of this sweep before
    if Path(cwd).is_dir():
        os.chdir(cwd)            # relative paths in the config mean what they mean where the sweep started
    Path(run.out).mkdir(parents=True, exist_ok=True)
    with open(Path(run.out) / RUN_LOG, "a", buffering=1) as f, contextlib.redirect_stdout(f), \
            contextlib.redirect_stderr(f):
        try:
            return {"name": run.name, "out": run.out, "metrics": run_one(run, progress=False)}
        except Exception as e:          # noqa: BLE001 -- a known failure is an outcome; anything else, Ray reports
            known = one_line(e)
            if known is None:
                raise
            print(known[1], flush=True)
            return {"name": run.name, "code": known[0], "error": known[1]}


class Ray:
    """One Ray task per run on the cluster at `address` ("local": start one on this machine, bound to 127.0.0.1,
    stopped at the end; "auto": the running cluster this machine belongs to; or an address). Each task asks for
    `threads` CPUs and, where the cluster has GPUs, `gpus_per_run` of one (0.25: four runs share a GPU), and is
    started again if its worker dies (`retries` times: it resumes from its checkpoint). Run directories must be
    on a filesystem every node sees."""

    def __init__(self, address, threads, retries=2, gpus_per_run=1.0):
        self.address, self.threads, self.retries, self.gpus_per_run = address, threads, retries, gpus_per_run
        import importlib.util
        if importlib.util.find_spec("ray") is None:
            raise ValueError(f"--ray needs Ray, an optional dependency: {RAY_INSTALL}")

    def __call__(self, runs, progress=True, log=None) -> dict:
        if self.address == "local":
            # Ray binds to a routable address unless told this is no cluster (read when ray is first imported)
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        import ray
        with contextlib.suppress(RuntimeError):
            runtime.set_threads(self.threads)
        ray.init(address=self.address, include_dashboard=False, log_to_driver=False, logging_level="warning")
        try:
            return self._run(ray, runs, progress, log)
        finally:
            if self.address == "local":
                ray.shutdown()

    def _run(self, ray, runs, progress, log):
        gpus = self.gpus_per_run if ray.cluster_resources().get("GPU", 0) else 0
        # Ray's default reuses a CPU worker for the next run (every task of the sweep asks for the same threads, so
        # TensorFlow's start-up is paid once per worker) and gives a GPU task a fresh process (its memory is freed)
        task = ray.remote(num_cpus=self.threads, num_gpus=gpus, max_retries=self.retries)(_on_ray)
        state, refs, cwd = Outcomes(runs, progress, log, "running or queued"), {}, os.getcwd()
        for run in runs:      # sweep order: a run's `after` were submitted before it
            spec = {**run.to_dict(), "out": str(Path(run.out).resolve())}
            refs[run.name] = task.options(name=run.name).remote(spec, self.threads, cwd,
                                                                *(refs[a] for a in run.after))
        state.log(f"{len(runs)} runs sent to the Ray cluster at {ray.get_runtime_context().gcs_address} "
                  f"({self.threads} CPU(s)"
                  + (f", {gpus} GPU" if gpus else "") + " each)")
        pending = dict(refs)
        for name in state.ready():
            state.started(name)
        while pending:
            ray.wait(list(pending.values()), num_returns=1)
            ended, _ = ray.wait(list(pending.values()), num_returns=len(pending), timeout=0)
            for name in [n for n, ref in pending.items() if ref in ended]:     # sweep order: a run after its `after`
                self._ended(ray, state, name, pending.pop(name))
        return state.result()

    @staticmethod
    def _ended(ray, state, name, ref):
        if any(a in state.failed or a in state.waiting for a in state.runs[name].after):
            return                  # it starts from a failed run: it never ran, and stays waiting
        try:
            result = ray.get(ref)
        except ray.exceptions.RayError as e:      # an unexpected exception, or a worker dead beyond its retries
            result = {"code": 2, "error": str(e).strip().splitlines()[-1]}
        if "metrics" in result:
            state.finished(name, result["metrics"])
        else:
            state.fail(name, result["code"], result["error"])
        for ready in state.ready():
            state.started(ready)
