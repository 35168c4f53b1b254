"""Statistics over seeds (the replicates): mean ± std, 95% intervals, Welch's unequal-variance t-test.

Tail probabilities and quantiles come from scipy.stats; only Welch's statistic and its Welch–Satterthwaite degrees
of freedom are written out here, in a scale-free form that tiny variances cannot underflow.
"""
import math

import numpy as np
from scipy import stats as _stats


def welch_from_stats(n1, mean1, var1, n2, mean2, var2):
    """Welch's t-test from summary statistics (var with ddof 1). Returns {"t", "df", "p"}, p two-sided.
    Degenerate cases: fewer than 2 values in a group gives NaNs; zero variance in both groups gives p = 1
    for equal means and 0 otherwise."""
    if n1 < 2 or n2 < 2:
        return {"t": math.nan, "df": math.nan, "p": math.nan}
    s1, s2 = var1 / n1, var2 / n2
    diff = mean1 - mean2
    if s1 + s2 == 0:
        return {"t": math.copysign(math.inf, diff) if diff else 0.0, "df": n1 + n2 - 2.0, "p": float(diff == 0)}
    t = diff / math.sqrt(s1 + s2)
    r1, r2 = s1 / (s1 + s2), s2 / (s1 + s2)        # Welch-Satterthwaite df, scaled so tiny variances can't underflow
    df = 1.0 / (r1 ** 2 / (n1 - 1) + r2 ** 2 / (n2 - 1))
    return {"t": t, "df": df, "p": min(1.0, 2.0 * float(_stats.t.sf(abs(t), df)))}


def welch(a, b):
    """Welch's two-sided t-test of samples a vs b (as scipy.stats.ttest_ind(a, b, equal_var=False))."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    var = lambda x: float(x.var(ddof=1)) if x.size > 1 else math.nan
    return welch_from_stats(a.size, float(a.mean()), var(a), b.size, float(b.mean()), var(b))


def pool(groups):
    """Pool summary statistics [{"n", "mean", "var"}, ...] (var ddof 1) into those of the concatenated samples."""
    n = sum(g["n"] for g in groups)
    mean = sum(g["n"] * g["mean"] for g in groups) / n
    # total sum of squares = within-group + between-group
    ss = sum((g["n"] - 1) * g["var"] + g["n"] * (g["mean"] - mean) ** 2 for g in groups)
    return {"n": n, "mean": mean, "var": ss / (n - 1) if n > 1 else math.nan}


def mean_std(xs):
    """Mean and sample std (ddof 1) of per-seed values: std None for a single value (or undefined); (None, None)
    if any value is None (a metric some run could not compute)."""
    if any(x is None for x in xs):
        return None, None
    xs = np.asarray(xs, np.float64)
    std = float(xs.std(ddof=1)) if xs.size > 1 else math.nan
    return float(xs.mean()), (None if math.isnan(std) else std)      # None: JSON has no NaN


def mean_curve(curves):
    """Curves ({epoch: value}, one per seed) -> (epochs, mean, std) arrays over seeds (std ddof 0: 0 for one seed),
    at the epochs every seed evaluated."""
    epochs = sorted(set.intersection(*(set(c) for c in curves)))
    values = np.array([[c[e] for e in epochs] for c in curves], np.float64)
    return np.array(epochs), values.mean(axis=0), values.std(axis=0)


def ci95(xs):
    """95% interval of the mean of per-seed values: mean ± t(0.975, n - 1) · std / √n; (None, None) for n < 2."""
    xs = np.asarray(xs, np.float64)
    if xs.size < 2:
        return None, None
    half = float(_stats.t.ppf(0.975, xs.size - 1) * xs.std(ddof=1) / math.sqrt(xs.size))
    return float(xs.mean()) - half, float(xs.mean()) + half


def paired(a, b):
    """Paired two-sided t-test of per-seed values a vs b (as scipy.stats.ttest_rel): {"t", "df", "p"}."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.size < 2:
        return {"t": math.nan, "df": math.nan, "p": math.nan}
    sd = float(d.std(ddof=1))
    if sd == 0:
        mean = float(d.mean())
        return {"t": math.copysign(math.inf, mean) if mean else 0.0, "df": d.size - 1.0, "p": float(mean == 0)}
    t = float(d.mean()) / (sd / math.sqrt(d.size))
    return {"t": t, "df": d.size - 1.0, "p": min(1.0, 2.0 * float(_stats.t.sf(abs(t), d.size - 1)))}
