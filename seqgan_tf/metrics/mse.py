"""MSE of generated pitch sequences (Table 4), defined here because the paper does not define it.

`closest_mse(hyps, refs)`: for each generated sequence g, the mean over its T steps of the squared difference in
semitones to the reference r that is closest in that sense, min_r (1/T) sum_t (g_t - r_t)^2; then the mean over
generated sequences. 0 means every generated tune is a copy of some test tune; an error of one semitone on every
step gives 1. Pure NumPy, no TF.
"""
import numpy as np


def closest_mse(hyps, refs, chunk=1024):
    """Mean over hyps (N, T) of the per-step mean squared difference to the closest row of refs (M, T)."""
    hyps, refs = np.asarray(hyps, np.float64), np.asarray(refs, np.float64)
    if hyps.ndim != 2 or refs.ndim != 2 or hyps.shape[1] != refs.shape[1] or not len(refs):
        raise ValueError(f"closest_mse needs (N, T) and (M, T) arrays with M > 0, got {hyps.shape} and {refs.shape}")
    ref_sq = (refs ** 2).sum(1)
    best = []
    for i in range(0, len(hyps), chunk):                  # |g - r|^2 = |g|^2 - 2 g.r + |r|^2, chunked over g
        h = hyps[i:i + chunk]
        d = (h ** 2).sum(1)[:, None] - 2 * h @ refs.T + ref_sq[None]
        best.append(np.maximum(d.min(1), 0) / hyps.shape[1])   # max: rounding can give -1e-12 for an exact copy
    return float(np.concatenate(best).mean()) if best else float("nan")
