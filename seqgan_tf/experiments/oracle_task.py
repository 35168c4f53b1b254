"""The synthetic benchmark (paper §4): an oracle LSTM makes the real data; quality is NLL-oracle, coverage NLL-test."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..data import sources
from ..metrics.nll import nll_oracle, nll_test
from ..models import Oracle
from ..results import atomic_write, write_samples
from ..train.run import eval_seed


def oracle_path(cfg) -> Path:
    """The pickle cfg.oracle names: "official" is found (or fetched) by data/sources.py, anything else is a path."""
    return sources.locate("oracle") if cfg.oracle == "official" else Path(cfg.oracle)


def load_oracle(cfg) -> Oracle:
    """The oracle named by cfg.oracle: "official", "random" (N(0,1), seeded by oracle_seed) or a pickle path."""
    if cfg.oracle == "random":
        return Oracle.random(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, cfg.start_token,
                             seed=cfg.oracle_seed)
    path = oracle_path(cfg)
    oracle = Oracle.from_pickle(path, cfg.seq_len, cfg.start_token)
    if oracle.vocab_size != cfg.vocab_size:
        raise ValueError(f"oracle {path} has a vocabulary of {oracle.vocab_size} but vocab_size={cfg.vocab_size}")
    return oracle


def oracle_fingerprint(cfg) -> str:
    if cfg.oracle == "random":
        return f"random(seed={cfg.oracle_seed})"
    return "sha256:" + hashlib.sha256(oracle_path(cfg).read_bytes()).hexdigest()


def real_data_seed(cfg):
    """Seed of the synthetic "real" corpus: fixed by cfg.seed alone, so a resumed run redraws the same corpus."""
    return tf.constant([cfg.seed, 1], tf.int64)


def held_out(oracle, cfg, which="test"):
    """Held-out oracle sequences, fixed by cfg.seed: "test" for NLL-test, "valid" (a second, disjoint draw) for
    NLL-valid, which early stopping selects on, so no row is selected on a test metric."""
    return oracle.sample(min(cfg.num_samples, 2000), tf.constant([cfg.seed, {"test": 2, "valid": 4}[which]], tf.int64))


class OracleTask:
    """The synthetic benchmark as a task for train/run.py: the oracle's corpus is the real data, NLL-oracle the
    quality, NLL-test / NLL-valid the coverage; writes samples.txt (the final evaluation's samples, the official
    format) and samples_nll.txt (each one's oracle NLL)."""
    name = "synthetic"
    keep_best = "nll_valid"

    def __init__(self, cfg):
        self.cfg, self.oracle = cfg, load_oracle(cfg)
        # NLL-test is G's NLL on real data, which (unlike NLL-oracle) also punishes a G that drops modes, so the
        # two together show the quality/diversity trade-off.
        self.held_out, self.valid = held_out(self.oracle, cfg), held_out(self.oracle, cfg, "valid")

    def real_data(self, cfg, hist=None):
        if cfg.real_data:
            from ..data.corpus import load_token_ids
            real = tf.constant(load_token_ids(cfg.real_data, cfg.vocab_size, cfg.seq_len))
        else:
            real = self.oracle.sample(cfg.num_samples, real_data_seed(cfg))
        if hist is not None and not hist.get("real_nll_oracle"):
            hist["real_nll_oracle"] = float(self.oracle.nll(real))   # the floor a perfect G would reach
        return real

    def score(self, gen, epoch):
        nll, self.samples, self.per_seq_nll = nll_oracle(self.oracle, gen, self.cfg.eval_samples,
                                                         eval_seed(self.cfg, epoch))
        return {"nll_oracle": nll, "nll_test": nll_test(gen, self.held_out), "nll_valid": nll_test(gen, self.valid)}

    def evaluate(self, gen, epoch, hist, out):
        metrics = self.score(gen, epoch)
        # Sufficient statistics of the per-sequence NLLs, so Table 1's pooled test needs no sample files.
        x = self.per_seq_nll.astype(np.float64)
        hist.setdefault("per_seq_nll", {})[str(epoch)] = {"n": int(x.size), "mean": float(x.mean()),
                                                          "var": float(x.var(ddof=1))}
        return metrics

    def summary(self, cfg, curve, hist):

        def at(epoch, key="nll_oracle"):
            return next((c[key] for c in curve if c["epoch"] == epoch), None)

        best = min(curve, key=lambda c: c["nll_oracle"])
        scored = [c for c in curve if "nll_valid" in c]
        early = min(scored, key=lambda c: c["nll_valid"]) if scored else None
        return {
            "method": cfg.method,
            "per_sequence_nll": {
                "note": "oracle NLL summed over the T tokens of each of the n samples of an evaluation; "
                        "mean and var (ddof 1) per evaluated epoch",
                **hist.get("per_seq_nll", {}),
            },
            "oracle": oracle_fingerprint(cfg),
            "nll_oracle": {
                "random_init": at(0),
                "after_mle": at(cfg.pretrain_g_epochs),
                "final": curve[-1]["nll_oracle"],
                "best": best["nll_oracle"], "best_epoch": best["epoch"],
                "best_adversarial": min((c["nll_oracle"] for c in curve if c["phase"] == "adversarial"),
                                        default=None),
                "real_data": hist["real_nll_oracle"],
                "after_1_epoch": at(1),
                "note": "final = last evaluation; best = lowest evaluation, i.e. selected on the reported metric "
                        "itself (the paper's figure may be such a best); after_1_epoch = the released code's first "
                        "logged evaluation",
            },
            "early_stopped": None if early is None else {
                "epoch": early["epoch"], "nll_oracle": early["nll_oracle"], "nll_test": early["nll_test"],
                "nll_valid": early["nll_valid"],
                "note": "the evaluation with the lowest NLL-valid (G's NLL of 2,000 held-out oracle sequences, "
                        "disjoint from NLL-test's): early stopping without looking at a test metric"},
            "nll_test": {"random_init": at(0, "nll_test"), "after_mle": at(cfg.pretrain_g_epochs, "nll_test"),
                         "final": curve[-1]["nll_test"],
                         "note": "G's per-token NLL on held-out oracle sequences: rises when G drops modes"},
        }

    def write_extra(self, out):
        write_samples(out / "samples.txt", self.samples)
        atomic_write(out / "samples_nll.txt", "".join(f"{v:.6f}\n" for v in self.per_seq_nll))
