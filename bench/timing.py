"""Per-phase throughput of a preset, the vectorised-vs-naive rollout ratio, and where the time goes.

Every figure is a median of repeated runs after one warm-up call (which traces the graphs). The naive rollout is
the released code's structure (a Python loop over N rollouts x T-1 prefix lengths, one generator call and one D
call each) written with this library's graphs, so the ratio isolates the batching.
"""
import cProfile
import os
import platform
import pstats
import time

import numpy as np
import tensorflow as tf

from seqgan_tf.experiments.oracle_task import load_oracle
from seqgan_tf.metrics.nll import nll_oracle, sample_many, sequence_nll
from seqgan_tf.models.language_model import token_nll
from seqgan_tf.train.pretrain import d_step, mle_epoch
from seqgan_tf.train.projection import machine_tag, median_time, project
from seqgan_tf.train.rollout import prob_real_chunked, prob_real_completions, rollout_completions, rollout_rewards
from seqgan_tf.train.seqgan import pg_step, seqgan_round
from seqgan_tf.train.state import State

from .flops import d_forward_flops, matmul_rate, rollout_d_flops

_prob_real = tf.function(lambda disc, seqs: disc.prob_real(seqs))
_completions = tf.function(rollout_completions)
_score = tf.function(prob_real_chunked)
_score_shared = tf.function(prob_real_completions)


def naive_rollout_rewards(rollout_gen, disc, seqs, n, seed):
    """The released code's rollout loop: N x (T-1) separate generator and D calls. Same estimator as
    `rollout_rewards`, different random draws."""
    B, T = int(seqs.shape[0]), int(seqs.shape[1])
    rewards = np.zeros((T, B), np.float32)
    for i in range(n):
        for g in range(1, T):
            done = rollout_gen.complete(seqs, tf.fill([B], g), tf.random.experimental.stateless_fold_in(seed, i * T + g))
            rewards[g - 1] += _prob_real(disc, done).numpy()
        rewards[T - 1] += _prob_real(disc, seqs).numpy()
    return rewards.T / n


def profile(fn):
    """Fraction of fn's wall time spent inside compiled graph calls (TFE_Py_Execute), in eager op dispatch
    (TFE_Py_FastPathExecute) and in Python, from cProfile; plus the top Python-side functions."""
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    graph = sum(v[2] for k, v in stats.stats.items() if "TFE_Py_Execute" in k[2])
    eager = sum(v[2] for k, v in stats.stats.items() if "TFE_Py_FastPathExecute" in k[2])
    top = sorted(((v[2], f"{os.path.basename(k[0])}:{k[1]}({k[2]})") for k, v in stats.stats.items()
                  if "TFE_Py_Execute" not in k[2]), reverse=True)[:5]
    return {"wall_s": wall, "graph_frac": graph / wall, "eager_frac": eager / wall,
            "outside_graph_frac": 1 - graph / wall, "top_outside": [f"{t:.3f}s {name}" for t, name in top]}


def peak_rss_reset():
    """Restart the kernel's count of this process's peak resident memory (Linux: /proc/self/clear_refs); False
    where that is not possible (then `peak_rss_mb` keeps the process's peak so far)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    """Peak resident memory (VmHWM) of this process since the last `peak_rss_reset`, in MB."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PHASES = ("oracle_sample", "mle_epoch", "nll_oracle_eval", "d_step", "rollout_pg_step", "adversarial_round")


def run(cfg, repeats=3, naive=True, log=print, phases=PHASES, released=()):
    """Benchmark the named phases of cfg (all by default; the rollout breakdown and the projections need all), and
    of them the `released` ones alternately with the released code's graphs (`released_graph.time_phases`);
    returns a JSON-able dict."""
    unknown = set(phases) - set(PHASES)
    if unknown or not phases:
        raise ValueError(f"unknown phase {', '.join(sorted(unknown)) or repr(phases)}; choose from {', '.join(PHASES)}")
    oracle = load_oracle(cfg)
    s = State.build(cfg).models
    rng = tf.random.Generator.from_seed(0)
    seed = lambda: rng.make_seeds(1)[:, 0]
    real = oracle.sample(cfg.num_samples, seed())
    seqs = s.gen.sample(cfg.batch_size, seed())

    def rollout_and_pg():
        q = rollout_rewards(s.rollout_gen, s.disc, seqs, cfg.rollout_num, seed(), cfg.rollout_chunk)
        pg_step(s.gen, s.pg_opt, seqs, q)
        return q

    timed = {
        "oracle_sample": lambda: oracle.sample(cfg.num_samples, seed()),
        "mle_epoch": lambda: mle_epoch(s.gen, s.mle_opt, real, cfg.batch_size, seed()),
        "nll_oracle_eval": lambda: nll_oracle(oracle, s.gen, cfg.eval_samples, seed()),
        "d_step": lambda: d_step(s.gen, s.disc, s.d_opt, real, cfg, rng),
        "rollout_pg_step": rollout_and_pg,
        "adversarial_round": lambda: seqgan_round(s, real, cfg, rng, 0),
    }
    out = {"machine": machine_tag(), "platform": platform.platform(), "tensorflow": tf.__version__,
           "threads": {"intra": tf.config.threading.get_intra_op_parallelism_threads(),
                       "inter": tf.config.threading.get_inter_op_parallelism_threads()},
           "preset": cfg.preset, "repeats": repeats, "phases": {}, "profile": {},
           "peak_rss_per_phase": peak_rss_reset()}
    for name in phases:
        fn = timed[name]
        peak_rss_reset()
        med, all_times = median_time(fn, repeats)
        out["phases"][name] = {"median_s": med, "runs_s": all_times, "peak_rss_mb": peak_rss_mb()}
        out["profile"][name] = profile(fn)
        log(f"{name:>20}: median {med:8.3f} s   (runs {all_times}); "
            f"{100 * out['profile'][name]['outside_graph_frac']:.0f}% outside graphs; peak RSS "
            f"{out['phases'][name]['peak_rss_mb']:.0f} MB")
    if released:
        from .released_graph import time_phases      # TF1 graph mode, only when asked for
        out["released"] = time_phases(cfg, released, {p: timed[p] for p in released}, repeats, log=log)
    if set(phases) != set(PHASES):
        return out
    vec, _ = median_time(lambda: rollout_rewards(s.gen, s.disc, seqs, cfg.rollout_num, seed(), cfg.rollout_chunk),
                         repeats)
    out["rollout"] = {"vectorised_s": vec, "graph_calls_vectorised": 1,
                      "graph_calls_naive": cfg.rollout_num * (2 * (cfg.seq_len - 1) + 1)}
    # Where the vectorised rollout's time goes: sampling the completions (G) and scoring them (D), the latter both
    # whole (the released code's FLOPs) and with shared prefixes (what `rollout_rewards` does: the same values),
    # against the highway-shaped matmul's rate.
    g_s, _ = median_time(lambda: _completions(s.gen, seqs, cfg.rollout_num, seed()).numpy(), repeats)
    done = _completions(s.gen, seqs, cfg.rollout_num, seed())
    whole_s, _ = median_time(lambda: _score(s.disc, done, cfg.rollout_chunk).numpy(), repeats)
    d_s, _ = median_time(lambda: _score_shared(s.disc, seqs, done, cfg.rollout_num, cfg.rollout_chunk).numpy(),
                         repeats)
    whole_gflop = d_forward_flops(cfg) * int(done.shape[0]) / 1e9
    d_gflop = rollout_d_flops(cfg) / 1e9
    F = sum(cfg.d_num_filters)
    peak = matmul_rate(min(cfg.rollout_chunk, int(done.shape[0])), F, 2 * F)
    out["rollout"].update({"g_sampling_s": g_s, "d_scoring_s": d_s, "d_gflop": d_gflop,
                           "d_gflop_per_s": d_gflop / d_s, "d_scoring_whole_s": whole_s,
                           "d_gflop_whole": whole_gflop, "matmul_gflop_per_s": peak})
    log(f"rollout: G sampling {g_s:.3f} s, D scoring {d_s:.3f} s ({d_gflop:.1f} GFLOP at {d_gflop / d_s:.0f} "
        f"GFLOP/s; scored whole {whole_s:.3f} s, {whole_gflop:.1f} GFLOP; highway-shaped matmul {peak:.0f} GFLOP/s)")
    # The evaluation's parts: G sampling eval_samples sequences, the oracle scoring them, the latter both as
    # evaluation does (-log of the softmax kernel's probability) and with training's log-softmax (token_nll).
    samples = sample_many(s.gen, cfg.eval_samples, seed())
    sample_s, _ = median_time(lambda: sample_many(s.gen, cfg.eval_samples, seed()), repeats)
    score_s, _ = median_time(lambda: sequence_nll(oracle, samples), repeats)
    log_softmax_s, _ = median_time(lambda: sequence_nll(oracle, samples, scorer=token_nll), repeats)
    out["evaluation"] = {"g_sampling_s": sample_s, "scoring_s": score_s, "scoring_log_softmax_s": log_softmax_s}
    log(f"evaluation: G sampling {sample_s:.3f} s, oracle scoring {score_s:.3f} s (with training's log-softmax "
        f"{log_softmax_s:.3f} s)")
    if naive:
        nai, _ = median_time(lambda: naive_rollout_rewards(s.gen, s.disc, seqs, cfg.rollout_num, seed()),
                             max(1, repeats // 2))
        # Even with G sampling free and D at the matmul's rate, a rollout takes d_gflop / peak seconds.
        out["rollout"].update({"naive_s": nai, "speedup": nai / vec, "speedup_bound": nai / (d_gflop / peak)})
        log(f"rollout: vectorised {vec:.3f} s, naive loop {nai:.3f} s -> {nai / vec:.1f}x "
            f"(bound at the matmul rate with G free: {nai * peak / d_gflop:.1f}x)")
    # The whole schedule of this preset and of `paper`, from the measured phase times.
    rates = {"mle_batch": out["phases"]["mle_epoch"]["median_s"] / (cfg.num_samples // cfg.batch_size),
             "sample_seq": out["phases"]["oracle_sample"]["median_s"] / cfg.num_samples,
             "evaluation": out["phases"]["nll_oracle_eval"]["median_s"], "rollout": vec, "pg_step": 0.0}
    d_samples = min(cfg.n_negatives, cfg.num_samples) + cfg.n_negatives
    d_train_s = out["phases"]["d_step"]["median_s"] - cfg.n_negatives * rates["sample_seq"]
    rates["d_batch"] = d_train_s / (cfg.d_epochs * (d_samples // cfg.batch_size))
    out["rates"] = rates
    out["projected_s"] = project(cfg, rates, cfg.num_samples)
    # D training against the same matmul rate: a training pass counted as 3 forward passes.
    samples_per_s = cfg.batch_size / rates["d_batch"]
    gflop_per_s = 3 * d_forward_flops(cfg) * samples_per_s / 1e9
    out["d_training"] = {"samples_per_s": samples_per_s, "gflop_per_s": gflop_per_s, "matmul_gflop_per_s": peak,
                         "fraction_of_matmul": gflop_per_s / peak}
    log(f"D training: {samples_per_s:.0f} samples/s, {gflop_per_s:.0f} GFLOP/s, {100 * gflop_per_s / peak:.0f}% of "
        f"the matmul's {peak:.0f} GFLOP/s")
    return out


def rollout_by_n(cfg, ns, repeats=3, log=print):
    """Seconds of one rollout + policy-gradient step per N (0 = no rollout: every step's reward is D(Y)), side by
    side on one batch of cfg's models: the part of an adversarial round that N changes."""
    s = State.build(cfg).models
    seqs = s.gen.sample(cfg.batch_size, tf.constant([0, 5], tf.int64))
    out = {}
    for n in ns:
        def step():
            q = rollout_rewards(s.gen, s.disc, seqs, n, tf.constant([0, 6], tf.int64), cfg.rollout_chunk)
            return float(pg_step(s.gen, s.pg_opt, seqs, q)[0])
        out[str(n)], _ = median_time(step, repeats)
        log(f"rollout + PG step, N = {n:>3}: {out[str(n)]:.3f} s")
    return out
