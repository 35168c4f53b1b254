import fcntl
import functools
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ)        # as the session started: children never see a test's monkeypatched variables

from seqgan_tf import runtime  # noqa: E402

runtime.configure()    # the settings every entry point applies first (seqgan_tf/runtime.py)
import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqgan_tf import config  # noqa: E402
from seqgan_tf.models import Discriminator, Oracle, make_generator  # noqa: E402
from seqgan_tf.train.optim import adam  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


class Smoke:
    """Tiny oracle / G / D with built optimizers, from the smoke preset."""

    def __init__(self, **overrides):
        keras.utils.set_random_seed(0)
        self.cfg = cfg = config.make("smoke", **overrides)
        self.oracle = Oracle.random(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, seed=cfg.oracle_seed)
        self.gen = make_generator(cfg, seed=1)
        self.disc = Discriminator.from_config_obj(cfg, seed=2)
        self.g_opt, self.d_opt = adam(cfg.g_lr, cfg.grad_clip), adam(cfg.d_lr)
        self.g_opt.build(self.gen.trainable_variables)
        self.d_opt.build(self.disc.trainable_variables)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs an entry point in a subprocess (pytest -m 'not slow' skips them)")


SUBPROCESS = ("run_script(", "ahead.result(", "subprocess.")


def pytest_collection_modifyitems(config, items):
    """Mark `slow` every test that starts a fresh Python (by its source), so `pytest -m "not slow"` is the quick
    loop without anyone having to remember the marker."""
    def starts_python(fn):
        try:
            return any(s in inspect.getsource(fn) for s in SUBPROCESS)
        except (OSError, TypeError):
            return False

    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        fns = [getattr(item, "function", None)] + [d.func for defs in (fixtures.name2fixturedefs.values() if fixtures
                                                                        else ()) for d in defs]
        if any(fn is not None and starts_python(fn) for fn in fns):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def smoke():
    return Smoke()


def seed(*xs):
    return tf.constant(xs, tf.int64)


# -- running the command lines ---------------------------------------------------------------------------------
def run_script(*args, timeout=300, env=None, cwd=ROOT, **kwargs):
    """Run a reproduce script (or module) in a fresh Python; returns CompletedProcess. Only for what needs a fresh
    process (the entry points themselves, kill -9, TensorFlow absent); errors are checked in-process (`fails`)."""
    env = dict(ENV if env is None else env, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


class Ahead:
    """Fresh-process work started ahead of the tests that read it. `@ahead.job("test_x", ...)` registers a function
    (its own tmp dir) -> result; the jobs whose tests are selected (any slow test of the module if none is named)
    run one at a time in a background thread, in test order, so each child process uses a core this process leaves
    idle; `ahead.result(job)` waits for a job's result. They start with the session, or, in a pytest-xdist worker
    (which is sent whole test files, not told which beforehand), with the first test of their file."""

    def __init__(self):
        self.jobs, self.futures, self.pool, self.tmp, self.modules = {}, {}, None, None, set()

    def job(self, *tests):
        def register(fn):
            self.jobs[fn] = set(tests)
            return fn
        return register

    def start(self, items, tmp_path_factory):
        self.pool, self.tmp = ThreadPoolExecutor(1, thread_name_prefix="ahead"), tmp_path_factory
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            self.submit_for(items)

    def module_starts(self, item):
        if os.environ.get("PYTEST_XDIST_WORKER") and item.module not in self.modules:
            self.modules.add(item.module)
            self.submit_for([i for i in item.session.items if i.module is item.module])

    def submit_for(self, items):
        for item in items:
            for fn, tests in self.jobs.items():
                named = item.originalname in tests if tests else item.get_closest_marker("slow") is not None
                if item.module.__name__ == fn.__module__ and named:
                    self.submit(fn)

    def submit(self, fn):
        if fn not in self.futures:
            self.futures[fn] = self.pool.submit(fn, self.tmp.mktemp(fn.__name__))

    def result(self, fn):
        self.submit(fn)                   # not started ahead (its test is not named in @ahead.job): now
        return self.futures[fn].result()


ahead = Ahead()


@pytest.fixture(scope="session", autouse=True)
def _jobs_ahead(request, tmp_path_factory):
    ahead.start(request.session.items, tmp_path_factory)
    yield
    ahead.pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(autouse=True)
def _file_jobs_ahead(request, _jobs_ahead):
    ahead.module_starts(request.node)


@functools.cache
def script(path):
    """The command-line script at ROOT/path (e.g. "reproduce/synthetic.py"), imported once per session, to call its
    main(argv) in this process (TensorFlow is loaded already, so it costs nothing)."""
    if path == "-m seqgan_tf":
        from seqgan_tf import __main__
        return __main__
    if path == "-m bench":
        from bench import __main__
        return __main__
    spec = importlib.util.spec_from_file_location("script_" + Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(path, *argv):
    """script(path).main(argv) with every argument as a string."""
    return script(path).main([str(a) for a in argv])


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def fails(capsys, path, *argv, message, code=2):
    """main(path, *argv) exits with `code` and one error line on stderr, the last, holding `message`, without a
    traceback; returns (that line, stdout)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(path, *argv)
    out, err = capsys.readouterr()
    errors = [l for l in err.splitlines() if l.startswith(("error: ", "interrupted: "))]
    assert exit_info.value.code == code and errors == [last_line(err)], err[-1500:]
    assert message in errors[0] and "Traceback" not in err, err[-1500:]
    return errors[0], out


# -- finished tiny runs that several tests read (never modify them: copy first) ------------------------------------
def read_results(out):
    """(metrics.json, samples.txt, curve.csv) of a finished synthetic run."""
    m = json.loads((out / "metrics.json").read_text())
    return m, (out / "samples.txt").read_text(), (out / "curve.csv").read_text()


def without_times(records):
    """Logged records without their wall-clock values (everything else is deterministic under the smoke preset)."""
    return [{k: v for k, v in r.items() if not k.startswith("time/")} for r in records]


def jsonl(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def copy_run(src, dst):
    """A copy of a finished run directory to resume or extend without touching the shared one."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lock"))
    return dst


def run_oracle(cfg, out, **kwargs):
    """train/run.py:run of cfg on the oracle task, without progress bars."""
    from seqgan_tf.experiments.oracle_task import OracleTask
    from seqgan_tf.train.run import run
    return run(cfg, OracleTask(cfg), out, progress=False, **kwargs)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The smoke preset, straight through (4 MLE epochs, 2 D steps, 4 rounds), in-process: (out dir, metrics)."""
    out = tmp_path_factory.mktemp("smoke_run")
    return out, run_oracle(config.make("smoke"), out)


@pytest.fixture(scope="session")
def smoke_adv2(tmp_path_factory):
    """The smoke preset stopped after 2 of its 4 rounds (extended by one test, the plain SeqGAN run of another)."""
    out = tmp_path_factory.mktemp("smoke_adv2")
    return out, run_oracle(config.make("smoke", adv_epochs=2), out)


def made_once(tmp_path_factory, name, make):
    """The directory `name`, filled by make(dir) once per test session even across pytest-xdist's processes: the
    first to ask makes it under a lock, the others wait and read it (never modify it: copy first)."""
    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root      # the session's, not the process's
    out, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)          # a process that failed half-way
            out.mkdir()
            make(out)
            done.touch()
    return out


def _methods_sweep(out):
    common = ["--preset", "smoke", "--adv_epochs", "2", "--checkpoint_every", "1000", "--out", out]
    main("reproduce/synthetic.py", *common, "--methods", "mle,seqgan", "--seeds", "2")
    main("reproduce/synthetic.py", *common, "--methods", "ss,pg_bleu", "--seed", "1")


@pytest.fixture(scope="session")
def methods_sweep(tmp_path_factory):
    """Table 1 by the script at smoke scale with 2 rounds, in two invocations: mle and seqgan for seeds 0 and 1, then
    ss and pg_bleu for seed 1 alone (merging into the same table). The output directory, made once per session."""
    return made_once(tmp_path_factory, "table1", _methods_sweep)
