"""Projected run time: time each kind of work briefly on throwaway models, then multiply by the schedule.

Costs ~10-30 s, so a multi-hour run says up front how long it will take. The measured rates are also what the
benchmark (bench/) reports per phase.
"""
import os
import time

import numpy as np
import tensorflow as tf

from ..models import make_generator
from ..runtime import cpu_info
from . import distribute
from .optim import adam
from .pretrain import d_train, mle_epoch
from .rollout import rollout_rewards
from .seqgan import pg_step


def median_time(fn, repeats=3, warm=True):
    """(median wall time of fn(), every run's time rounded) after one warm-up call (which traces the graphs)."""
    if warm:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), [round(t, 4) for t in times]


def measure_rates(cfg, real, score_fn=None, repeats=3):
    """Seconds per unit of each kind of work, measured on fresh models of cfg's shapes.
    `score_fn(gen)` runs one evaluation (e.g. NLL-oracle of eval_samples sequences), if given."""
    gen = make_generator(cfg, seed=12345)
    disc, d_opt = distribute.discriminator(cfg, seed=12345)
    g_opt = adam(cfg.g_lr, cfg.grad_clip)
    g_opt.build(gen.trainable_variables)
    B, seed = cfg.batch_size, tf.constant([0, 0], tf.int64)
    n = min(20 * B, int(real.shape[0]) // B * B)
    chunk = real[:n]
    rates = {
        "mle_batch": median_time(lambda: mle_epoch(gen, g_opt, chunk, B, seed), repeats)[0] / (n // B),
        "sample_seq": median_time(lambda: gen.sample(1000, seed), repeats)[0] / 1000,
        "d_batch": median_time(lambda: d_train(disc, d_opt, chunk[: n // 2], chunk[n // 2:], 1, B, seed),
                               repeats)[0] / (n // B),
    }
    seqs = gen.sample(B, seed)
    rates["rollout"] = median_time(lambda: rollout_rewards(gen, disc, seqs, cfg.rollout_num, seed, cfg.rollout_chunk),
                                   repeats)[0]
    rates["pg_step"] = median_time(lambda: pg_step(gen, g_opt, seqs, tf.ones_like(seqs, tf.float32)), repeats)[0]
    if score_fn is not None:
        rates["evaluation"] = median_time(lambda: score_fn(gen), 1)[0]
    return rates


def project(cfg, rates, n_real):
    """Projected seconds per phase for cfg's schedule from measured `rates`."""
    d_samples = min(cfg.n_negatives, n_real) + cfg.n_negatives
    d_block = lambda epochs: (cfg.n_negatives * rates["sample_seq"]
                              + epochs * (d_samples // cfg.batch_size) * rates["d_batch"])
    evaluation = rates.get("evaluation", cfg.eval_samples * rates["sample_seq"])
    n_evals_pre = cfg.pretrain_g_epochs // cfg.eval_every + 2
    n_evals_adv = cfg.adv_epochs // cfg.eval_every + 1
    g_round = cfg.g_steps * (rates["rollout"] + rates["pg_step"] + cfg.batch_size * rates["sample_seq"])
    return {
        "pretrain_g": cfg.pretrain_g_epochs * (n_real // cfg.batch_size) * rates["mle_batch"]
                      + n_evals_pre * evaluation,
        "pretrain_d": cfg.pretrain_d_steps * d_block(cfg.d_pretrain_epochs),
        "adversarial": cfg.adv_epochs * (g_round + cfg.d_steps * d_block(cfg.d_epochs)) + n_evals_adv * evaluation,
    }


def d_work(cfg, n_real):
    """D's share of cfg's schedule: (sequences D trains on, each a forward and a backward pass; sequences D scores in
    the rollouts, forward only)."""
    d_samples = (min(cfg.n_negatives, n_real) + cfg.n_negatives) // cfg.batch_size * cfg.batch_size
    trained = (cfg.pretrain_d_steps * cfg.d_pretrain_epochs + cfg.adv_epochs * cfg.d_steps * cfg.d_epochs) * d_samples
    scored = cfg.adv_epochs * cfg.g_steps * cfg.batch_size * (cfg.rollout_num * (cfg.seq_len - 1) + 1)
    return trained, scored


def describe(projection, done=None, totals=None):
    """The projection's line; for a resumed run (units `done` of each phase's `totals`) also the time left, each
    phase's share pro rata, since a resumed run re-prints the projection made when it started."""
    total = sum(projection.values())
    parts = ", ".join(f"{k} {_hms(v)}" for k, v in projection.items())
    line = f"projected time on this machine: {_hms(total)} ({parts})"
    if done and any(done):
        left = sum(v * (1 - d / t) for v, d, t in zip(projection.values(), done, totals) if t)
        line = f"projected time when the run started: {_hms(total)} ({parts}); left: {_hms(left)}"
    return line


def _hms(seconds):
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def cpu_model():
    """The CPU's model name from /proc/cpuinfo ("cpu" where there is none)."""
    return cpu_info()["cpu"]


def machine():
    """What a run's times were measured on, for its metrics.json: the CPU (model name, family and model numbers,
    AVX-512), cores, TensorFlow's thread pools and GPUs. A pool's size is what tf.config.threading set, else TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS,
    else "all cores" (TensorFlow's default)."""
    def pool(kind):
        set_here = getattr(tf.config.threading, f"get_{kind}_op_parallelism_threads")()
        return set_here or int(os.environ.get(f"TF_NUM_{kind.upper()}OP_THREADS", 0)) or "all cores"
    cpu = cpu_info()
    return {"cpu": cpu["cpu"], "cpu_family": cpu["family"], "cpu_model": cpu["model"], "avx512": cpu["avx512"],
            "cores": os.cpu_count(), "intra_op_threads": pool("intra"),
            "inter_op_threads": pool("inter"), "gpus": len(tf.config.list_physical_devices("GPU"))}


def machine_tag():
    """'cpu<cores>-<cpu model>' (or 'gpu<n>-...'): which machine a measurement in a result file ran on."""
    model = cpu_model()
    gpus = tf.config.list_physical_devices("GPU")
    kind = f"gpu{len(gpus)}" if gpus else f"cpu{os.cpu_count()}"
    slug = "".join(c if c.isalnum() else "-" for c in model.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{kind}-{slug[:40]}"
