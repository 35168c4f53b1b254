"""The process settings the committed results were made with, applied by one explicit call that every entry point
(the reproduce scripts, `python -m seqgan_tf`, the tests) makes before it runs anything. Importing seqgan_tf
changes nothing; a program that imports the library and skips `configure()` gets TensorFlow's own defaults.

- TF_CPU_ALLOCATOR_USE_BFC=true: TensorFlow's default CPU allocator returns large buffers (a rollout step's logits
  are 390 MB) to the OS and maps them again, so every step faults its pages back in (millions of page faults, a
  third of a rollout's time in the kernel). The pooling (BFC) allocator keeps them: the same arithmetic, a rollout
  about 1.5x faster, ~20% more peak memory. Read when TensorFlow makes its CPU allocator (at the first operation,
  not at import).
- XLA_FLAGS --xla_cpu_max_isa=AVX: XLA's CPU code may otherwise contract a multiply and an add into an FMA, which
  TensorFlow's own kernels never do; capped at AVX, the Adam update that train/optim.py compiles with XLA equals
  Keras's bit for bit. Read when XLA first compiles.
A value you set yourself wins in both.
- TensorFlow's "triggered tf.function retracing" notice is dropped (SEQGAN_VERBOSE=1 keeps it). A graph is traced
  once per model it runs on, and TensorFlow counts the traces of every model together, so a sweep that builds a
  model per method trips the notice although nothing is traced twice; tests/test_algorithm1.py checks that rounds
  after the first trace nothing new.
"""
import logging
import os
import sys


def configure(quiet=True):
    """Apply the settings above (before the first TensorFlow operation) and, if quiet, import TensorFlow without
    its start-up lines. Returns the settings applied."""
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
    if "xla_cpu_max_isa" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_max_isa=AVX").strip()
    if os.environ.get("SEQGAN_VERBOSE") != "1" and not any(isinstance(f, _NoRetracingNotice)
                                                           for f in logging.getLogger("tensorflow").filters):
        logging.getLogger("tensorflow").addFilter(_NoRetracingNotice())
    if quiet:
        quiet_tensorflow()
    return {k: os.environ[k] for k in ("TF_CPU_ALLOCATOR_USE_BFC", "XLA_FLAGS")}


class _NoRetracingNotice(logging.Filter):
    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def quiet_tensorflow():
    """Import TensorFlow without its start-up lines (CUDA probing, cuInit, oneDNN notices), unless SEQGAN_VERBOSE=1.
    TensorFlow's C++ writes them to file descriptor 2 before any log setting applies, so that descriptor points at
    /dev/null while TensorFlow loads; errors raised by the import itself still reach the user."""
    if os.environ.get("SEQGAN_VERBOSE") == "1" or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def cpu_info():
    """What /proc/cpuinfo says of this CPU: {"cpu": its model name ("cpu" where there is none), "family", "model"
    (numbers: a bare name such as "AMD EPYC" covers several generations), "avx512": whether it has AVX-512 (which
    changes the last bits of float sums)}. No TensorFlow."""
    info = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return {"cpu": info.get("model name", "cpu"), "family": info.get("cpu family"), "model": info.get("model"),
            "avx512": "avx512f" in info.get("flags", "").split()}


def cpu_label(cpu, family, model, avx512):
    """How a result file names a CPU: "AMD EPYC (family 25, model 17, AVX-512)" (cpu_info's fields)."""
    return f"{cpu} (family {family}, model {model}, {'AVX-512' if avx512 else 'no AVX-512'})"


def set_threads(n):
    """TensorFlow's intra- and inter-op thread pools at n threads each in this process (as TF_NUM_INTRAOP_THREADS /
    TF_NUM_INTEROP_THREADS=n would set them); RuntimeError once TensorFlow has started with another number."""
    import tensorflow as tf
    for kind in ("intra", "inter"):
        now = (getattr(tf.config.threading, f"get_{kind}_op_parallelism_threads")()
               or int(os.environ.get(f"TF_NUM_{kind.upper()}OP_THREADS", 0)))
        if now != n:
            getattr(tf.config.threading, f"set_{kind}_op_parallelism_threads")(n)
