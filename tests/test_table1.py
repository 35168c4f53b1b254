"""Table 1 statistics (t distribution, Welch), the table and Figure 2 from saved files, and the multi-method script."""
import gzip
import json
import math

import numpy as np
import pytest
from conftest import PNG, main

from seqgan_tf.metrics.stats import pool, welch, welch_from_stats



# -- statistics ---------------------------------------------------------------------------------------------
def test_welch_known_values():
    """Welch's t, df and p against scipy's values, and the degenerate cases."""
    # Welch's t, df and p, computed once with scipy.stats.ttest_ind(a, b, equal_var=False)
    r = welch([8.736, 8.741, 8.730], [9.038, 9.020, 9.051])
    assert r["t"] == pytest.approx(-31.537690417505104, rel=1e-12)
    assert r["df"] == pytest.approx(2.4929639909836925, rel=1e-12)
    assert r["p"] == pytest.approx(0.0002617900027657148, rel=1e-9)
    assert welch([1.0, 1.0], [1.0, 1.0])["p"] == 1.0 and welch([1.0, 1.0], [2.0, 2.0])["p"] == 0.0
    assert math.isnan(welch([1.0], [2.0, 3.0])["p"])


def test_welch_against_scipy():
    """Welch's test against scipy's ttest_ind(equal_var=False) on random cases."""
    from scipy import stats
    rs = np.random.RandomState(0)
    for _ in range(50):
        xa, xb = rs.normal(0, 1, rs.randint(2, 40)), rs.normal(rs.uniform(-1, 1), rs.uniform(0.2, 3), rs.randint(2, 40))
        ours, ref = welch(xa, xb), stats.ttest_ind(xa, xb, equal_var=False)
        assert ours["t"] == pytest.approx(ref.statistic, rel=1e-10)
        assert ours["p"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)


def test_pooled_statistics_equal_the_concatenation():
    """Pooled (n, mean, var) of parts equal those of the concatenated sample."""
    rs = np.random.RandomState(1)
    parts = [rs.normal(m, s, n) for m, s, n in [(0, 1, 30), (0.5, 2, 50), (-1, 0.5, 20)]]
    pooled = pool([{"n": len(x), "mean": x.mean(), "var": x.var(ddof=1)} for x in parts])
    allx = np.concatenate(parts)
    assert pooled["n"] == 100 and pooled["mean"] == pytest.approx(allx.mean())
    assert pooled["var"] == pytest.approx(allx.var(ddof=1))


# -- table and figure from saved files ------------------------------------------------------------------------
def fake_run(root, method, seed, pre_curve, after, per_seq):
    """A minimal metrics.json as a synthetic run writes it: 4 MLE epochs, then 4 rounds of `method`."""
    curve = [{"phase": "pretrain_g", "epoch": e, "nll_oracle": v, "nll_test": v + 1} for e, v in pre_curve]
    curve += [{"phase": "adversarial", "epoch": 4 + 2 * (i + 1), "nll_oracle": v, "nll_test": v + 1}
              for i, v in enumerate(after)]
    vals = [c["nll_oracle"] for c in curve]
    m = {"experiment": "synthetic", "preset": "fake", "seed": seed, "method": method, "curve": curve,
         "nll_test": {"random_init": vals[0] + 1, "final": vals[-1] + 1},
         "config": {"pretrain_g_epochs": 4, "method": method},
         "nll_oracle": {"random_init": vals[0], "after_mle": pre_curve[-1][1], "final": vals[-1], "best": min(vals),
                        "best_adversarial": min(after), "best_epoch": 0, "real_data": 3.0},
         "per_sequence_nll": {"0": per_seq[0], "8": per_seq[1]}}
    d = root / f"seed{seed}" / method
    d.mkdir(parents=True)
    (d / "metrics.json").write_text(json.dumps(m))


def test_figures_rebuilds_table_and_figure2_from_saved_results(tmp_path):
    """figures.py turns hand-made runs into Table 1 with the expected means, stds, intervals and Welch p-values."""
    root = tmp_path / "results" / "synthetic" / "fake"
    finals = {"mle": [4.0, 4.2], "ss": [3.9, 4.1], "pg_bleu": [3.8, 3.9], "seqgan": [3.5, 3.6]}
    for k, seed in enumerate((88, 89)):
        pre = [(0, 5.0 + k), (2, 3.0), (4, 4.3)]        # a pretraining dip: "best" must ignore it
        random_stats = {"n": 100, "mean": 8 * (5.0 + k), "var": 4.0}
        for method, f in finals.items():
            fake_run(root, method, seed, pre, [4.2, f[k]], (random_stats, {"n": 100, "mean": 8 * f[k], "var": 2.0}))
    main("reproduce/figures.py", "--results", tmp_path / "results")
    for name in ("table1.md", "table1.csv", "table1.json", "figure2.png", "figure2.pdf"):
        assert (root / name).stat().st_size > 0, name
    assert (root / "figure2.png").read_bytes()[:8] == PNG
    assert (root / "figure2.pdf").read_bytes()[:5] == b"%PDF-"
    assert (root / "seed88" / "ss" / "nll_curve.png").exists()
    rows = {row["key"]: row for row in json.loads((root / "table1.json").read_text())["rows"]}
    assert list(rows) == ["random", "mle", "ss", "pg_bleu", "seqgan"]
    assert rows["random"]["final_mean"] == pytest.approx(5.5)
    assert rows["random"]["final_std"] == pytest.approx(0.5 ** 0.5)
    assert rows["mle"]["final_mean"] == pytest.approx(4.1) and rows["seqgan"]["p_seeds"] is None
    assert rows["mle"]["nll_test_mean"] == pytest.approx(5.1)
    half = 12.706204736174698 * np.std(finals["mle"], ddof=1) / 2 ** 0.5       # t(0.975, 1) std / sqrt(seeds)
    assert (rows["mle"]["final_ci95_lo"], rows["mle"]["final_ci95_hi"]) == pytest.approx((4.1 - half, 4.1 + half))
    assert rows["mle"]["best_mean"] == pytest.approx(4.1)
    assert rows["mle"]["p_seeds"] == pytest.approx(welch(finals["seqgan"], finals["mle"])["p"])
    a = pool([{"n": 100, "mean": 8 * v, "var": 2.0} for v in finals["seqgan"]])
    b = pool([{"n": 100, "mean": 8 * v, "var": 2.0} for v in finals["pg_bleu"]])
    expected = welch_from_stats(a["n"], a["mean"], a["var"], b["n"], b["mean"], b["var"])["p"]
    assert rows["pg_bleu"]["p_pooled_pseudoreplicated"] == pytest.approx(expected) and 0 < expected < 1e-6
    md = (root / "table1.md").read_text()
    assert "| SeqGAN | 3.550 ± 0.071 |" in md and "10.310" in md and "'fake' preset" in md
    assert len((root / "table1.csv").read_text().splitlines()) == 6


# -- the script ---------------------------------------------------------------------------------------------
def test_smoke_methods_over_two_seeds_then_more_merged_in(methods_sweep):
    """The script's Table 1 over its runs: every method row with its seeds (ss and pg_bleu, run later by another
    invocation for one seed, merged in), Welch p-values against SeqGAN where there are seeds, training beating
    random init, Figure 2 beside it; different seeds give different runs."""
    table = json.loads((methods_sweep / "table1.json").read_text())["rows"]
    rows = {row["key"]: row for row in table}
    keys = [row["key"] for row in table]
    assert [k for k in keys if k in ("random", "mle", "ss", "pg_bleu", "seqgan")] == ["random", "mle", "ss",
                                                                                     "pg_bleu", "seqgan"]
    assert {k: rows[k]["seeds"] for k in ("mle", "ss", "pg_bleu", "seqgan")} == {"mle": "0 1", "ss": "1",
                                                                               "pg_bleu": "1", "seqgan": "0 1"}
    assert rows["random"]["n_seeds"] == 2 and rows["seqgan"]["p_seeds"] is None
    for key in ("random", "mle"):
        assert 0 <= rows[key]["p_seeds"] <= 1 and rows[key]["final_std"] >= 0
    assert rows["ss"]["p_seeds"] is None and rows["pg_bleu"]["diff_vs_seqgan"] is not None     # one seed: no test
    assert rows["random"]["final_mean"] > max(rows[k]["final_mean"] for k in ("mle", "ss", "pg_bleu", "seqgan"))
    assert (methods_sweep / "figure2.png").read_bytes()[:8] == PNG
    assert (methods_sweep / "figure2.pdf").read_bytes()[:5] == b"%PDF-"
    assert "| SeqGAN | " in (methods_sweep / "table1.md").read_text()
    curves = [json.loads((methods_sweep / f"seed{s}" / "seqgan" / "metrics.json").read_text())["curve"] for s in (0, 1)]
    assert curves[0] != curves[1]
    # the first seed's final samples of each row, gzipped (committed beside the table), equal to the full file
    for row in ("pretrain", "mle", "seqgan"):
        run = methods_sweep / "seed0" / row
        assert gzip.decompress((run / "samples.txt.gz").read_bytes()) == (run / "samples.txt").read_bytes()
    assert not list((methods_sweep / "seed1").glob("*/samples.txt.gz"))


def test_welch_survives_tiny_variances():
    """The textbook df = (s1 + s2)^2 / (s1^2/(n1-1) + s2^2/(n2-1)) underflows to 0/0 once the variances are near
    1e-240 (their squares vanish); t and df are scale-free, so a scaled sample must give the same test."""
    x, y = np.array([1.0, 1.1, 0.9]), np.array([2.0, 2.1, 1.8])
    ref, scaled = welch(x, y), welch(x * 1e-120, y * 1e-120)
    assert scaled["df"] == pytest.approx(ref["df"]) and scaled["p"] == pytest.approx(ref["p"])
