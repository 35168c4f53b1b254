"""Table 1 statistics (t distribution, Welch), the table and Figure 2 from saved files, and the multi-method script."""
import json
import math

import numpy as np
import pytest
from conftest import ROOT, last_line, run_script

from seqgan_tf.metrics.stats import betainc, pool, t_cdf, t_sf, welch, welch_from_stats

SCRIPT, FIGURES = ROOT / "reproduce" / "synthetic.py", ROOT / "reproduce" / "figures.py"


# -- statistics ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("t, df, two_sided_p", [
    (12.706204736174698, 1, 0.05),        # printed t tables: 97.5% quantiles
    (2.2281388519649385, 10, 0.05),
    (2.7499956535672259, 30, 0.01),
    (1.959963984540054, math.inf, 0.05),  # the normal limit
    (0.0, 7, 1.0),
])
def test_t_distribution_known_quantiles(t, df, two_sided_p):
    assert 2 * t_sf(t, df) == pytest.approx(two_sided_p, rel=1e-9, abs=1e-15)


def test_t_distribution_closed_forms():
    for t in (-3.0, -0.4, 0.0, 0.9, 5.0):
        assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-13)          # Cauchy
        assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-13)
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-12)       # 1 - sum_{j<2} C(4,j) .4^j .6^(4-j)
    assert betainc(0.5, 0.5, 0.25) == pytest.approx(2 / math.pi * math.asin(0.5), abs=1e-13)


def test_welch_known_values():
    # Welch's t, df and p, computed once with scipy.stats.ttest_ind(a, b, equal_var=False)
    r = welch([8.736, 8.741, 8.730], [9.038, 9.020, 9.051])
    assert r["t"] == pytest.approx(-31.537690417505104, rel=1e-12)
    assert r["df"] == pytest.approx(2.4929639909836925, rel=1e-12)
    assert r["p"] == pytest.approx(0.0002617900027657148, rel=1e-9)
    assert welch([1.0, 1.0], [1.0, 1.0])["p"] == 1.0 and welch([1.0, 1.0], [2.0, 2.0])["p"] == 0.0
    assert math.isnan(welch([1.0], [2.0, 3.0])["p"])


def test_welch_and_t_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    rs = np.random.RandomState(0)
    for _ in range(200):
        a, b, x = rs.uniform(0.05, 300), rs.uniform(0.05, 300), rs.uniform()
        assert betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), abs=1e-12)
    for _ in range(50):
        xa, xb = rs.normal(0, 1, rs.randint(2, 40)), rs.normal(rs.uniform(-1, 1), rs.uniform(0.2, 3), rs.randint(2, 40))
        ours, ref = welch(xa, xb), stats.ttest_ind(xa, xb, equal_var=False)
        assert ours["t"] == pytest.approx(ref.statistic, rel=1e-10)
        assert ours["p"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)


def test_pooled_statistics_equal_the_concatenation():
    rs = np.random.RandomState(1)
    parts = [rs.normal(m, s, n) for m, s, n in [(0, 1, 30), (0.5, 2, 50), (-1, 0.5, 20)]]
    pooled = pool([{"n": len(x), "mean": x.mean(), "var": x.var(ddof=1)} for x in parts])
    allx = np.concatenate(parts)
    assert pooled["n"] == 100 and pooled["mean"] == pytest.approx(allx.mean())
    assert pooled["var"] == pytest.approx(allx.var(ddof=1))


# -- table and figure from saved files ------------------------------------------------------------------------
def fake_run(root, method, seed, pre_curve, after, per_seq):
    """A minimal metrics.json as SyntheticExperiment writes it: 4 MLE epochs, then 4 rounds of `method`."""
    curve = [{"phase": "pretrain_g", "epoch": e, "nll_oracle": v} for e, v in pre_curve]
    curve += [{"phase": "adversarial", "epoch": 4 + 2 * (i + 1), "nll_oracle": v} for i, v in enumerate(after)]
    vals = [c["nll_oracle"] for c in curve]
    m = {"experiment": "synthetic", "preset": "fake", "seed": seed, "method": method, "curve": curve,
         "config": {"pretrain_g_epochs": 4, "method": method},
         "nll_oracle": {"random_init": vals[0], "after_mle": pre_curve[-1][1], "final": vals[-1], "best": min(vals),
                        "best_adversarial": min(after), "best_epoch": 0, "real_data": 3.0},
         "per_sequence_nll": {"0": per_seq[0], "8": per_seq[1]}}
    d = root / f"seed{seed}" / method
    d.mkdir(parents=True)
    (d / "metrics.json").write_text(json.dumps(m))


def test_figures_rebuilds_table_and_figure2_from_saved_results(tmp_path):
    root = tmp_path / "results" / "synthetic" / "fake"
    finals = {"mle": [4.0, 4.2], "ss": [3.9, 4.1], "pg_bleu": [3.8, 3.9], "seqgan": [3.5, 3.6]}
    for k, seed in enumerate((88, 89)):
        pre = [(0, 5.0 + k), (2, 3.0), (4, 4.3)]        # a pretraining dip: "best" must ignore it
        random_stats = {"n": 100, "mean": 8 * (5.0 + k), "var": 4.0}
        for method, f in finals.items():
            fake_run(root, method, seed, pre, [4.2, f[k]], (random_stats, {"n": 100, "mean": 8 * f[k], "var": 2.0}))
    r = run_script(FIGURES, "--root", tmp_path / "results", timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    for name in ("table1.md", "table1.csv", "table1.json", "figure2.png", "figure2.pdf"):
        assert (root / name).stat().st_size > 0, name
    assert (root / "figure2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (root / "figure2.pdf").read_bytes()[:5] == b"%PDF-"
    assert (root / "seed88" / "ss" / "nll_curve.png").exists()
    rows = {row["key"]: row for row in json.loads((root / "table1.json").read_text())["rows"]}
    assert list(rows) == ["random", "mle", "ss", "pg_bleu", "seqgan"]
    assert rows["random"]["final_mean"] == pytest.approx(5.5)
    assert rows["random"]["final_std"] == pytest.approx(0.5 ** 0.5)
    assert rows["mle"]["final_mean"] == pytest.approx(4.1) and rows["seqgan"]["p_seeds"] is None
    assert rows["mle"]["best_mean"] == pytest.approx(4.1)
    assert rows["mle"]["p_seeds"] == pytest.approx(welch(finals["seqgan"], finals["mle"])["p"])
    a = pool([{"n": 100, "mean": 8 * v, "var": 2.0} for v in finals["seqgan"]])
    b = pool([{"n": 100, "mean": 8 * v, "var": 2.0} for v in finals["pg_bleu"]])
    expected = welch_from_stats(a["n"], a["mean"], a["var"], b["n"], b["mean"], b["var"])["p"]
    assert rows["pg_bleu"]["p_pooled"] == pytest.approx(expected) and 0 < expected < 1e-6
    md = (root / "table1.md").read_text()
    assert "| SeqGAN | 3.550 ± 0.071 |" in md and "10.310" in md and "'fake' preset" in md
    assert len((root / "table1.csv").read_text().splitlines()) == 6


# -- the script ---------------------------------------------------------------------------------------------
def test_smoke_all_methods_two_seeds_then_resume_and_merge(tmp_path):
    out = tmp_path / "t1"
    r = run_script(SCRIPT, "--preset", "smoke", "--methods", "all", "--seeds", "2", "--out", out)
    assert r.returncode == 0, r.stderr[-2000:]
    table = json.loads((out / "table1.json").read_text())["rows"]
    assert [row["method"] for row in table] == ["Random", "MLE", "SS", "PG-BLEU", "SeqGAN"]
    for row in table:
        assert row["n_seeds"] == 2 and row["seeds"] == "0 1" and row["final_std"] >= 0
        if row["key"] != "seqgan":
            assert 0 <= row["p_seeds"] <= 1 and 0 <= row["p_pooled"] <= 1 and row["pooled_n"] == "1024 vs 1024"
    assert table[0]["final_mean"] > max(row["final_mean"] for row in table[1:])     # training beats random init
    assert (out / "figure2.png").exists() and (out / "figure2.pdf").exists()
    # a third seed of one method, in a separate invocation, merges into the same table
    r = run_script(SCRIPT, "--preset", "smoke", "--methods", "mle", "--seed", "2", "--out", out)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = {row["key"]: row for row in json.loads((out / "table1.json").read_text())["rows"]}
    assert rows["mle"]["seeds"] == "0 1 2" and rows["seqgan"]["seeds"] == "0 1" and rows["random"]["n_seeds"] == 3


def test_unknown_method_is_a_one_line_error(tmp_path):
    r = run_script(SCRIPT, "--preset", "smoke", "--methods", "mle,gan", "--out", tmp_path / "x", timeout=120)
    assert r.returncode == 2 and last_line(r.stderr).startswith("error: unknown method 'gan'"), r.stderr[-1500:]
    assert "Traceback" not in r.stderr and not (tmp_path / "x").exists()


def test_welch_survives_tiny_variances():
    """The textbook df = (s1 + s2)^2 / (s1^2/(n1-1) + s2^2/(n2-1)) underflows to 0/0 once the variances are near
    1e-240 (their squares vanish); t and df are scale-free, so a scaled sample must give the same test."""
    x, y = np.array([1.0, 1.1, 0.9]), np.array([2.0, 2.1, 1.8])
    ref, scaled = welch(x, y), welch(x * 1e-120, y * 1e-120)
    assert scaled["df"] == pytest.approx(ref["df"]) and scaled["p"] == pytest.approx(ref["p"])
