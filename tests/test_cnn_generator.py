"""The convolutional generator: causal, its cached sampler equals the uncached one, MLE trains it, and a SeqGAN run
with it resumes exactly after kill -9."""
import functools
import gzip
import json
import shutil

import numpy as np
import pytest
import tensorflow as tf

from conftest import PNG, Smoke, ahead, fails, main, read_results, script, seed
from seqgan_tf import config
from seqgan_tf.models import CNNGenerator, make_generator
from seqgan_tf.train.pretrain import mle_epoch
from test_experiment import SCRIPT, killed_after_round


def test_changing_a_token_never_changes_earlier_logits():
    """logits[:, s] predicts y_s from y_<s: changing y_t leaves positions ≤ t exactly as they were and changes
    later ones (the receptive field, 31, covers T)."""
    s = Smoke(generator="cnn")
    assert isinstance(s.gen, CNNGenerator) and s.gen.receptive_field == 31
    seqs = s.oracle.sample(16, seed(1, 1)).numpy()
    base = s.gen(tf.constant(seqs)).numpy()
    for t in range(s.cfg.seq_len):
        changed = seqs.copy()
        changed[:, t] = (changed[:, t] + 1) % s.cfg.vocab_size
        logits = s.gen(tf.constant(changed)).numpy()
        assert np.array_equal(logits[:, :t + 1], base[:, :t + 1]), t
        if t < s.cfg.seq_len - 1:
            assert not np.allclose(logits[:, t + 1:], base[:, t + 1:]), t


@pytest.mark.parametrize("end_token", [None, 3])
def test_cached_sampling_equals_uncached(end_token):
    """Same seed, same tokens, with and without the per-layer state: from scratch, completing kept prefixes (as the
    rollout does), at a temperature, with an end token."""
    cfg = config.make("smoke", generator="cnn", end_token=-1 if end_token is None else end_token)
    gen = make_generator(cfg, seed=1)
    prefix = gen.sample(48, seed(2, 2))
    keep = tf.constant(np.arange(48) % (cfg.seq_len + 1), tf.int32)
    for p, k, temperature in [(tf.zeros_like(prefix), tf.zeros_like(keep), 1.0), (prefix, keep, 1.0),
                              (prefix, keep, 0.6)]:
        cached = gen.complete(p, k, seed(3, 4), tf.constant(temperature))
        uncached = gen.complete_uncached(p, k, seed(3, 4), tf.constant(temperature))
        assert np.array_equal(cached.numpy(), uncached.numpy())
    if end_token is not None:
        out = gen.sample(256, seed(5, 5)).numpy()
        after = np.cumsum(out == end_token, axis=1) > 0
        assert np.all(out[:, 1:][after[:, :-1]] == end_token)


def test_mle_lowers_its_nll_on_a_tiny_oracle():
    s = Smoke(generator="cnn")
    data = s.oracle.sample(512, seed(6, 6))
    nll = lambda: float(-tf.reduce_mean(s.gen.token_log_probs(data)))   # noqa: E731
    before = nll()
    for i in range(8):
        mle_epoch(s.gen, s.g_opt, data, 32, seed(7, i))
    assert nll() < before - 0.2


def test_parameters_match_the_lstm_within_ten_percent():
    """At the paper's sizes (V 5,000, emb 32) the CNN G has within 10% of the LSTM G's parameters."""
    count = lambda cfg: sum(int(np.prod(v.shape)) for v in make_generator(cfg).trainable_variables)  # noqa: E731
    lstm, cnn = count(config.make("quick")), count(config.make("quick", generator="cnn"))
    assert abs(cnn - lstm) / lstm < 0.10


CNN_ARGV = ["--preset", "smoke", "--generator", "cnn"]


@ahead.job("test_seqgan_with_cnn_generator_resumes_exactly_after_kill")
def cnn_killed_at_round_2(tmp):
    """The smoke run with generator=cnn in a fresh Python, killed with -9 right after round 2 is logged."""
    return killed_after_round(2, CNN_ARGV, tmp / "killed")


def test_seqgan_with_cnn_generator_resumes_exactly_after_kill(tmp_path):
    """The smoke preset with generator=cnn, killed with -9 after round 2 is logged, then resumed: the same curve and
    samples as a run straight through."""
    main(SCRIPT, *CNN_ARGV, "--out", tmp_path / "straight")
    out, r = ahead.result(cnn_killed_at_round_2)
    assert r.returncode == -9, r.stderr[-2000:]
    main(SCRIPT, *CNN_ARGV, "--out", out)
    m, samples, curve = read_results(out)
    m_ref, samples_ref, curve_ref = read_results(tmp_path / "straight")
    assert m["resumed_from"][2] >= 1 and m["config"]["generator"] == "cnn"
    assert m["curve"] == m_ref["curve"] and samples == samples_ref and curve == curve_ref


def test_unknown_generator_is_refused():
    with pytest.raises(ValueError, match="generator must be 'lstm' or 'cnn'"):
        config.make("smoke", generator="gru")


def test_study_script_compares_both_generators_with_side_by_side_timing(tmp_path, methods_sweep, capsys,
                                                                         monkeypatch):
    """reproduce/cnn_generator.py at smoke scale: both generators trained, their times measured in one process (one
    round of the alternation here), the summary sentence and the figure written; figures.py redraws it from the files
    alone."""
    study = script("reproduce/cnn_generator.py")
    monkeypatch.setattr(study, "generator_rates", functools.partial(study.generator_rates, rounds=1))
    main("reproduce/cnn_generator.py", "--preset", "smoke", "--adv_epochs", "2", "--seeds", "1", "--out", tmp_path)
    summary = json.loads((tmp_path / "generators.json").read_text())
    assert [r["name"] for r in summary["runs"]] == ["lstm", "cnn"]
    assert all(r["mle_epoch_s"] > 0 and r["g_step_s"] > 0 for r in summary["runs"])
    assert all(len(r["curve_nll_test"]) == len(r["curve"]) for r in summary["runs"])   # the figure's second panel
    assert "CNN G, emb 32" in summary["sentences"][0] and "side by side" in summary["sentences"][0]
    cached = summary["timing"]["cached_sampling"]
    assert list(cached) == ["cnn"] and cached["cnn"]["cached_s"] > 0
    assert "recomputing the prefix" in summary["sentences"][0]
    for g in ("lstm", "cnn"):     # the first seed's samples, gzipped for committing, equal to the run's own
        run = next(tmp_path.glob(f"seed*/{g}"))
        assert gzip.decompress((run / "samples.txt.gz").read_bytes()) == (run / "samples.txt").read_bytes()
    (tmp_path / "generators.png").unlink()
    main("reproduce/figures.py", "--results", tmp_path)
    assert (tmp_path / "generators.png").read_bytes()[:8] == PNG

    # The LSTM arm is Table 1's SeqGAN run (the smoke Table 1 at 2 rounds, seed 0): --lstm_from takes it, and it is
    # the run the study trained itself.
    reused = tmp_path / "reused"
    reused.mkdir()
    shutil.copy(tmp_path / "timing.json", reused)           # timed above: the same script would time it again
    main("reproduce/cnn_generator.py", "--preset", "smoke", "--adv_epochs", "2", "--seeds", "1",
         "--generators", "lstm", "--lstm_from", methods_sweep, "--out", reused)
    trained, taken = (json.loads(next(d.glob("seed*/lstm/metrics.json")).read_text()) for d in (tmp_path, reused))
    assert taken["curve"] == trained["curve"] and taken["nll_test"] == trained["nll_test"]
    assert taken["copied_from"].endswith("seqgan") and not list(reused.glob("seed*/lstm/checkpoints"))
    fails(capsys, "reproduce/cnn_generator.py", "--preset", "smoke", "--adv_epochs", "3", "--seeds", "1",
          "--generators", "lstm", "--lstm_from", methods_sweep, "--out", tmp_path / "refused",
          message="adv_epochs: 2 there, 3 here")
