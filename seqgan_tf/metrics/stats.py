"""Significance tests for Table 1 with math only: Student's t distribution and Welch's unequal-variance t-test.

The t CDF comes from the regularized incomplete beta function, I_x(a, b), evaluated by its continued fraction
(Numerical Recipes §6.4, modified Lentz), accurate to ~1e-14 here.
"""
import math

import numpy as np


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"betainc needs 0 <= x <= 1, got {x}")
    if x in (0.0, 1.0):
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    # the continued fraction converges fast for x < (a+1)/(a+b+2); otherwise use I_x(a,b) = 1 - I_{1-x}(b,a)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _betacf(a, b, x, max_iter=10_000, eps=1e-16, tiny=1e-300):
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, max_iter + 1):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            return h
    raise ArithmeticError(f"betainc continued fraction did not converge (a={a}, b={b}, x={x})")


def t_sf(t, df):
    """P(T > t) for Student's t with df > 0 degrees of freedom (df may be fractional, as Welch's)."""
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))      # P(T > |t|)
    return tail if t >= 0 else 1.0 - tail


def t_cdf(t, df):
    return 1.0 - t_sf(t, df) if t >= 0 else t_sf(-t, df)


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
    return {"t": t, "df": df, "p": min(1.0, 2.0 * t_sf(abs(t), df))}


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
