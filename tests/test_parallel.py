"""A sweep is a graph of runs that any executor makes with the same numbers: one after another, several processes
(--workers), a local Ray cluster (--ray local). A run whose process is killed is started again and resumes; a run
that fails for good fails the sweep in one line, the other runs kept."""
import importlib.util
import json
import os
import signal
import threading
import time

import pytest
from conftest import ahead, fails, main, run_script

from seqgan_tf import cli, config
from seqgan_tf.errors import RunFailed
from seqgan_tf.experiments import executors
from seqgan_tf.experiments.executors import Run
from seqgan_tf.experiments.sweep import seeds_graph, settings_graph
from seqgan_tf.runtime import cpu_info

SCRIPT = "reproduce/synthetic.py"
SWEEP = ["--preset", "smoke", "--methods", "seqgan,mle", "--seeds", "1", "--threads", "1"]   # two runs at once
RUNS = ["seed0/pretrain", "seed0/seqgan", "seed0/mle"]
TIMING = {"seconds", "seconds_per_round", "projected_seconds", "machine", "machines", "resumed_from"}
SMOKE = config.make("smoke")


def test_the_graph_is_the_sequential_order_with_its_dependencies(tmp_path):
    """Each seed's shared pretraining, then each setting from it, in the order the sequential sweep makes them; a
    run's spec survives the trip through JSON to another process."""
    runs = settings_graph(SMOKE, {"a": {"adv_epochs": 1}, "b": {}}, [3, 4], tmp_path, shared="mle+d")
    assert [r.name for r in runs] == [f"seed{s}/{n}" for s in (3, 4) for n in ("pretrain", "a", "b")]
    pre, a = runs[0], runs[1]
    assert pre.after == () and pre.cfg.adv_epochs == 0 and pre.cfg.pretrain_d_steps == SMOKE.pretrain_d_steps
    assert a.after == ("seed3/pretrain",) and a.init_from == pre.out == str(tmp_path / "seed3" / "pretrain")
    assert (a.cfg.seed, a.cfg.adv_epochs, a.out) == (3, 1, str(tmp_path / "seed3" / "a"))
    alone = settings_graph(SMOKE, {"a": {}}, [0], tmp_path, shared=None)
    assert [(r.name, r.after, r.init_from) for r in alone] == [("seed0/a", (), None)]
    corpus = seeds_graph(SMOKE, [0, 1], tmp_path, "poems", data="cache/poetry-x")
    assert [(r.name, r.out, r.task_args) for r in corpus] == [
        (f"seed{s}", str(tmp_path / f"seed{s}"), {"data": "cache/poetry-x"}) for s in (0, 1)]
    for run in runs + corpus:
        assert Run.from_dict(json.loads(json.dumps(run.to_dict()))) == run


@pytest.mark.parametrize("args, message", [
    (["--workers", "0"], "need --workers >= 1"),
    (["--workers", "2", "--threads", "0"], "need --workers >= 1, --threads >= 1"),
    (["--ray", "local", "--gpus_per_run", "1.5"], "0 < --gpus_per_run <= 1"),
])
def test_bad_executor_options_are_one_line_errors(tmp_path, capsys, args, message):
    fails(capsys, SCRIPT, "--preset", "smoke", "--methods", "mle", "--out", tmp_path, *args, message=message)
    assert not list(tmp_path.rglob("metrics.json"))


def test_ray_missing_names_its_install_command(tmp_path, capsys, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else find_spec(name, *a))
    fails(capsys, SCRIPT, "--preset", "smoke", "--methods", "mle", "--ray", "local", "--out", tmp_path,
          message=f"--ray needs Ray, an optional dependency: {executors.RAY_INSTALL}")


def test_executor_from_options():
    parser = cli.study_parser("", "x")
    make = lambda *argv: cli.executor(parser.parse_args(list(argv)))      # noqa: E731
    assert isinstance(make(), executors.Sequential) and make().threads is None
    two = make("--workers", "2", "--retries", "5")
    assert isinstance(two, executors.Processes) and (two.workers, two.threads, two.retries) == (
        2, max(1, os.cpu_count() // 2), 5)
    assert make("--workers", "2", "--threads", "3").threads == 3


# -- the same sweep by each executor (smoke preset: a pretraining, then seqgan and mle from it; one thread a run) ----
@ahead.job()
def sequential_sweep(tmp):
    """The reference: the sequential sweep in a fresh process (so that its one thread is set before TensorFlow
    starts)."""
    return tmp, run_script(SCRIPT, *SWEEP, "--out", tmp)


def _lock_pid(run_dir):
    try:
        return int((run_dir / ".lock").read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def _kill_after_first_checkpoint(run_dir, killed, stop):
    """SIGKILL, once, the process making the run in run_dir as soon as it has written a checkpoint of its own."""
    while not stop.is_set():
        pid = _lock_pid(run_dir)
        if pid and (run_dir / "checkpoints" / "checkpoint").is_file():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.01)


def _sweep_with_a_kill(out, victim, *executor_args):
    """The sweep by the script in this process with executor_args, the run `victim` killed once mid-run: (the pids
    killed, what the sweep logged)."""
    killed, stop = [], threading.Event()
    watcher = threading.Thread(target=_kill_after_first_checkpoint, args=(out / victim, killed, stop))
    watcher.start()
    try:
        main(SCRIPT, *SWEEP, "--out", out, *executor_args)
    finally:
        stop.set()
        watcher.join()
    return killed


def _same_numbers(out, reference):
    """Each run's metrics.json (timings, machine and resume point aside) and final samples equal the reference's."""
    for name in RUNS:
        mine, ref = (json.loads((d / name / "metrics.json").read_text()) for d in (out, reference))
        assert {k: v for k, v in mine.items() if k not in TIMING} == {
            k: v for k, v in ref.items() if k not in TIMING}, name
        assert (mine["machine"]["intra_op_threads"], mine["machine"]["inter_op_threads"]) == (1, 1), name
        cpu = cpu_info()                   # the CPU as its metrics.json names it: a bare model name is not enough
        assert [mine["machine"][k] for k in ("cpu", "cpu_family", "cpu_model", "avx512")] == [
            cpu["cpu"], cpu["family"], cpu["model"], cpu["avx512"]], name
        assert (out / name / "samples.txt").read_text() == (reference / name / "samples.txt").read_text(), name


@pytest.fixture(scope="module")
def reference():
    out, r = ahead.result(sequential_sweep)
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def test_workers_give_the_sequential_numbers_and_a_killed_run_resumes(reference, tmp_path, capsys):
    """--workers 2 (a process per run, one thread each) with seed0/seqgan's process killed by SIGKILL after its first
    checkpoint: it is started again, resumes, and every run's numbers equal the sequential sweep's."""
    killed = _sweep_with_a_kill(tmp_path, "seed0/seqgan", "--workers", "2")
    out = capsys.readouterr().out
    assert len(killed) == 1 and "seed0/seqgan was killed by SIGKILL: starting it again (1 of 2 retries" in out, out
    assert json.loads((tmp_path / "seed0/seqgan/metrics.json").read_text())["resumed_from"][1] > 0
    _same_numbers(tmp_path, reference)
    assert (tmp_path / "table1.md").is_file()


@pytest.mark.skipif(importlib.util.find_spec("ray") is None,     # not imported here: the sweep imports it first
                    reason="Ray is not installed (requirements.txt pins it; pip install -e '.[ray]')")
def test_local_ray_cluster_gives_the_sequential_numbers_and_a_killed_task_resumes(reference, tmp_path, capsys):
    """--ray local (bound to 127.0.0.1, one CPU per task) with the worker making seed0/seqgan killed after its first
    checkpoint: Ray starts the task again (max_retries), it resumes, and every run's numbers equal the sequential
    sweep's."""
    killed = _sweep_with_a_kill(tmp_path, "seed0/seqgan", "--ray", "local")
    assert "3 runs sent to the Ray cluster at 127.0.0.1:" in capsys.readouterr().out
    log = (tmp_path / "seed0/seqgan/run.log").read_text()
    assert len(killed) == 1 and log.count("resumed from") == 2, log     # the shared pretraining, then its own
    assert json.loads((tmp_path / "seed0/seqgan/metrics.json").read_text())["resumed_from"][1] > 0
    _same_numbers(tmp_path, reference)


@pytest.mark.slow        # its runs are fresh Pythons
def test_a_run_that_retrying_cannot_fix_fails_the_sweep_in_one_line(tmp_path, capsys):
    """A run with a missing input file fails once (not retried) with its one-line error; the run that starts from it
    never starts; the independent run finishes and is kept; the sweep exits 2 with one line naming the failed run."""
    bad = config.replace(SMOKE, real_data=str(tmp_path / "missing.txt"), pretrain_g_epochs=1, adv_epochs=0)
    good = config.replace(SMOKE, method="mle", pretrain_g_epochs=1, adv_epochs=1)
    runs = [Run("bad", bad, str(tmp_path / "bad")),
            Run("after_bad", good, str(tmp_path / "after_bad"), init_from=str(tmp_path / "bad"), after=("seed0/bad",)),
            Run("good", good, str(tmp_path / "good"))]
    with pytest.raises(RunFailed) as e:
        executors.Processes(2, 1)(runs, progress=False)
    assert e.value.code == 2 and str(e.value).startswith("run seed0/bad failed: corpus file not found"), str(e.value)
    assert "1 of 3 runs finished and are kept, 1 not started" in str(e.value)
    assert (tmp_path / "good" / "metrics.json").is_file() and not (tmp_path / "after_bad").exists()
    assert (tmp_path / "bad" / "run.log").read_text().count("error: corpus file not found") == 1

    with pytest.raises(SystemExit) as exit_info, cli.one_line_errors():
        raise e.value
    assert exit_info.value.code == 2 and capsys.readouterr().err == f"error: {e.value}\n"


def test_sweep_benchmark_reads_each_run_and_refuses_one_worker(reference, capsys):
    """bench/sweep.py's table, built from a sweep's directory: every run with its final NLL-oracle, the seconds of
    its own phases (a row's run does not count its seed's shared pretraining) and the threads it used; a parallel
    sweep needs two workers at least."""
    from bench import sweep
    runs = sweep.collect(reference)
    assert sorted(runs) == sorted(RUNS)
    for name, r in runs.items():
        m = json.loads((reference / name / "metrics.json").read_text())
        assert r["nll_oracle"] == m["nll_oracle"]["final"] and r["threads"] == [1, 1], name
        own = sum(v for k, v in m["seconds"].items() if name.endswith("pretrain") or k != "pretrain_g")
        assert r["seconds"] == pytest.approx(own, abs=0.01)
    assert runs["seed0/seqgan"]["seconds"] < sum(json.loads(
        (reference / "seed0/seqgan/metrics.json").read_text())["seconds"].values())
    side = {"workers": 2, "threads_per_run": 1, "wall_s": 50.0, "runs": runs}
    md = sweep.markdown({"cpu": "some CPU", "cores": 2, "preset": "smoke", "methods": "seqgan,mle", "seeds": 2,
                         "extra": [], "sequential": {**side, "workers": 1, "wall_s": 100.0}, "parallel": side,
                         "speedup": 2.0})
    assert "| 2 runs at once | 1 | 0:00:50 | 0.50 |" in md and "**2.00×**" in md
    assert all(f"| {name} | {runs[name]['nll_oracle']:.4f} |" in md for name in RUNS)
    assert "Largest difference between the two sweeps' NLL-oracle: 0 " in md
    with pytest.raises(SystemExit) as e:
        sweep.main(["--workers", "1"])
    assert e.value.code == 2 and "--workers must be between 2 and" in capsys.readouterr().err
