"""Number formatting shared by every table writer: a missing value is a dash, never 'nan' or 'None'."""
import math


def num(x, digits=3):
    """x to `digits` decimals, or '—' when it is missing (None or NaN)."""
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def pm(std, digits=3):
    """' ± std', or nothing when there is no spread to show (one seed: None or NaN)."""
    return "" if std is None or (isinstance(std, float) and math.isnan(std)) else f" ± {std:.{digits}f}"


def p_value(p):
    """A p-value to two significant digits ('0.004', not '0.00'); '—' when missing, '< 1e-300' when it underflows."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "< 1e-300" if p == 0 else f"{p:.2g}"


def cell(row, key):
    """A table cell: mean ± std of `key` in `row`, a p-value to two digits on a p row, '—' when missing."""
    value = row.get(key)
    if value is None:
        return "—"
    if row["model"].startswith("p "):
        return f"{value:.2g}"
    std = row.get(f"{key}_std")
    return f"{value:.4f}" if std is None else f"{value:.4f} ± {std:.4f}"


def seed_count(n):
    """'1 seed', '3 seeds'."""
    return f"{n} seed{'' if n == 1 else 's'}"
