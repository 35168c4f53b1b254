"""Welch's unequal-variance t-test, for "SeqGAN vs MLE" p-values over seeds (as Table 1 reports).

Kept here, self-contained (scipy is not a dependency), until it is merged with `metrics/stats.py`.
The Student-t tail comes from the regularized incomplete beta function, evaluated by its continued fraction
(Numerical Recipes §6.4), which converges fast for the small degrees of freedom of a few seeds.
"""
import math

import numpy as np


def _betacf(a, b, x, iters=300, eps=1e-15):
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, iters + 1):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1 - x) / b


def t_two_sided_p(t, df):
    """P(|T| >= |t|) for Student's t with df degrees of freedom (df may be fractional)."""
    return betainc(df / 2, 0.5, df / (df + t * t))


def welch_t_test(a, b):
    """Welch's t-test of mean(b) vs mean(a): (t, df, two-sided p). NaN when either sample has fewer than two
    values or both have zero variance (the test is undefined there)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan, math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    spread = va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)
    if spread == 0:                      # no variance (or so little that its square underflows)
        return math.nan, math.nan, math.nan
    t = (b.mean() - a.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / spread
    return float(t), float(df), float(t_two_sided_p(t, df))
