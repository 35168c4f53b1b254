"""How noisy is the Monte-Carlo reward (eq. 4) as a function of N? Measured on fixed models and a fixed batch.

With G, D and the batch Y fixed, the only randomness left in Q(Y_1:t-1, y_t) is the N completions, so repeating the
reward computation R times with different seeds and taking the variance across the repeats isolates the noise of
the estimator (expected to fall as 1/N). "No rollout" (N = 0) has none, but it is a different, biased quantity:
its gap to a many-completion estimate is reported beside the variance.
"""
import keras
import numpy as np
import tensorflow as tf

from ..results import read_json, write_json
from ..train.rollout import repeated_rewards
from ..train.state import Checkpoints, State
from .sweep import pretrain_config


def reward_spread(rollout_gen, disc, seqs, ns, repeats, seed, chunk=4096):
    """{n: stats} for each n in ns on the fixed batch seqs (B, T), over t < T (Q_T = D(Y) is exact):
    var = per-token variance across `repeats` repeats (ddof 1), averaged over tokens; var_by_t (T-1,);
    gap = mean |mean over repeats of Q - reference|, the reference being the repeat-mean at max(ns)."""
    seeds = tf.random.experimental.stateless_split(tf.constant(seed, tf.int64), repeats)
    q = {n: repeated_rewards(rollout_gen, disc, seqs, n, seeds, chunk).numpy()[:, :, :-1].astype(np.float64)
         for n in ns}                                                     # (R, B, T-1) each
    reference = q[max(ns)].mean(axis=0)
    out = {}
    for n in ns:
        var = q[n].var(axis=0, ddof=1)                                    # (B, T-1)
        out[n] = {"var": float(var.mean()), "var_by_t": var.mean(axis=0).tolist(),
                  "gap": float(np.abs(q[n].mean(axis=0) - reference).mean()), "mean_q": float(q[n].mean())}
    return out


def measure(cfg, pre_dir, ns, repeats, batch):
    """reward_spread on the models of a finished shared pretraining (MLE G and pretrained D, as every setting of
    the ablation starts adversarial training) in pre_dir, on `batch` sequences G samples with a fixed seed."""
    pre_cfg = pretrain_config(cfg, with_d=True)
    keras.utils.set_random_seed(pre_cfg.seed)          # as train/run.py builds a run's models
    state = State.build(pre_cfg)
    if Checkpoints(state, pre_dir).restore()[0] is None:
        raise FileNotFoundError(f"no pretraining checkpoint in {pre_dir}")
    gen, disc = state.models.gen, state.models.disc
    seqs = gen.sample(batch, tf.constant([cfg.seed, 7], tf.int64))
    return reward_spread(gen, disc, seqs, ns, repeats, [cfg.seed, 8], cfg.rollout_chunk)


def write(cfg, seed_dir, ns, repeats, batch):
    """`measure` on seed_dir/pretrain into seed_dir/reward_variance.json, unless it holds this measurement already
    (the numbers are a function of the checkpoint and these arguments alone)."""
    path, key = seed_dir / "reward_variance.json", {"seed": cfg.seed, "repeats": repeats, "batch": batch,
                                                     "ns": list(ns)}
    if path.exists() and all(read_json(path).get(k) == v for k, v in key.items()):
        return
    spread = measure(cfg, seed_dir / "pretrain", ns, repeats, batch)
    write_json(path, {**key, "spread": {str(n): v for n, v in spread.items()}})
