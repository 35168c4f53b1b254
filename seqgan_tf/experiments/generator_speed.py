"""The generators' speed side by side in one process (reproduce/cnn_generator.py's timing.json): MLE epoch and
g-step of each, and sampling with and without the CNN's carried convolution states."""
import numpy as np
import tensorflow as tf

from ..models import make_generator
from ..train.projection import machine_tag, measure_rates, median_time
from .oracle_task import load_oracle, real_data_seed


def generator_rates(cfgs, rounds=2, log=print):
    """Seconds per MLE epoch and per g-step (the rollout's rewards + the policy-gradient step) of each config's
    generator ({name: cfg}), measured alternately `rounds` times in this process on the same oracle data (fresh
    models each time; the fastest round kept, the least disturbed by the machine). MLE epoch = the measured batch
    time × the batches of num_samples."""
    first = next(iter(cfgs.values()))
    real = load_oracle(first).sample(first.num_samples, real_data_seed(first))
    best = {}
    for _ in range(rounds):
        for name, cfg in cfgs.items():
            r = measure_rates(cfg, real, repeats=3)
            rates = {"mle_epoch_s": r["mle_batch"] * (cfg.num_samples // cfg.batch_size),
                     "g_step_s": r["rollout"] + r["pg_step"], "sample_seq_s": r["sample_seq"]}
            best[name] = {k: min(v, best.get(name, {}).get(k, v)) for k, v in rates.items()}
            log(f"{name}: MLE epoch {rates['mle_epoch_s']:.2f} s, g-step {rates['g_step_s']:.2f} s")
    return {"machine": machine_tag(), "rounds": rounds, "rates": best,
            "cached_sampling": {name: r for name, cfg in cfgs.items() if (r := cached_sampling(cfg)) is not None}}


def cached_sampling(cfg, n=1000, repeats=3):
    """Seconds to sample n sequences from scratch with a generator that carries its convolution states (`complete`)
    and with one that recomputes the whole prefix at every step (`complete_uncached`), alternately in this process,
    and the ratio (the same tokens either way: tested); None for a generator without `complete_uncached` (the LSTM)."""
    gen = make_generator(cfg, seed=12345)
    if not hasattr(gen, "complete_uncached"):
        return None
    prefix, keep, t = tf.zeros([n, cfg.seq_len], tf.int32), tf.zeros([n], tf.int32), tf.constant(1.0)
    seed = tf.constant([1, 2], tf.int32)
    times = {"cached_s": [], "uncached_s": []}
    for _ in range(repeats):
        times["cached_s"].append(median_time(lambda: gen.complete(prefix, keep, seed, t), 1)[0])
        times["uncached_s"].append(median_time(lambda: gen.complete_uncached(prefix, keep, seed, t), 1)[0])
    out = {k: float(np.median(v)) for k, v in times.items()}
    return {**out, "sequences": n, "uncached_over_cached": out["uncached_s"] / out["cached_s"]}
