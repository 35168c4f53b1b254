"""The package as a user meets it: importing it changes nothing in the process; runtime.configure() applies the
settings the results need and leaves a user's own values alone; it is installed, not found through the cwd."""
import json
import subprocess
import sys

from conftest import ENV

WALK = """
import json, os, pkgutil, importlib
import tensorflow, keras                      # TensorFlow sets a few variables of its own when imported
before = dict(os.environ)
import seqgan_tf
for m in pkgutil.walk_packages(seqgan_tf.__path__, "seqgan_tf."):
    if m.name != "seqgan_tf.__main__":
        importlib.import_module(m.name)
after = dict(os.environ)
print(json.dumps({k: [before.get(k), after.get(k)] for k in set(before) | set(after) if before.get(k) != after.get(k)}))
"""


SETTINGS = ("XLA_FLAGS", "TF_CPU_ALLOCATOR_USE_BFC")


def run_python(code, env=None, bare=False):
    """The last line `code` prints in a fresh Python started in /; bare: without the settings configure() sets."""
    base = {k: v for k, v in ENV.items() if not (bare and k in SETTINGS)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/",
                         env={**base, **(env or {})}, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_importing_every_module_leaves_the_environment_untouched():
    assert json.loads(run_python(WALK, bare=True)) == {}


def test_configure_sets_the_settings_and_keeps_the_users_own():
    code = ("import json; from seqgan_tf import runtime; "
            "print(json.dumps(runtime.configure(quiet=False)))")
    fresh = json.loads(run_python(code, bare=True))
    assert fresh == {"TF_CPU_ALLOCATOR_USE_BFC": "true", "XLA_FLAGS": "--xla_cpu_max_isa=AVX"}
    mine = json.loads(run_python(code, {"TF_CPU_ALLOCATOR_USE_BFC": "false",
                                        "XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2 --xla_dump_to=/tmp/x"}))
    assert mine == {"TF_CPU_ALLOCATOR_USE_BFC": "false", "XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2 --xla_dump_to=/tmp/x"}
    added = json.loads(run_python(code, {"XLA_FLAGS": "--xla_dump_to=/tmp/x"}))
    assert added["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_cpu_max_isa=AVX"


def test_the_package_is_installed_not_found_through_the_current_directory():
    assert run_python("import seqgan_tf, os; print(os.path.dirname(seqgan_tf.__file__))").endswith("seqgan_tf")
    out = subprocess.run([sys.executable, "-m", "seqgan_tf", "--help"], capture_output=True, text=True, cwd="/",
                         env=ENV)
    assert out.returncode == 0 and "train" in out.stdout


def test_configure_drops_only_tensorflows_retracing_notice():
    """TensorFlow's own retracing notice (a function traced for 6 Python values) is dropped after configure(), which
    conftest calls as every entry point does; without its filter the same calls log it; other warnings pass."""
    import logging

    import tensorflow as tf

    from seqgan_tf import runtime
    log, records = logging.getLogger("tensorflow"), []
    handler = logging.Handler()
    handler.emit = lambda r: records.append(r.getMessage())

    def retrace(fn):                       # TensorFlow tells of one function's retracing once: two functions
        f = tf.function(fn)
        for i in range(6):
            f(i)

    log.addHandler(handler)
    try:
        retrace(lambda x: x + 1)
        log.warning("another warning")
        assert records == ["another warning"]
        ours = [f for f in log.filters if isinstance(f, runtime._NoRetracingNotice)]
        assert len(ours) == 1
        log.removeFilter(ours[0])
        retrace(lambda x: x + 2)
        log.addFilter(ours[0])
    finally:
        log.removeHandler(handler)
    assert "triggered tf.function retracing" in records[-1], records
