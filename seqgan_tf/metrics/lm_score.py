"""LM and reverse-LM scores (Semeniuta et al. 2018; Caccia et al. 2020): quality and coverage of generated
sequences, each measured with a language model trained on one side and scored on the other.

- LM score: per-token NLL of the generated sequences under an LM trained on the real training data. Quality: low
  when the samples read like the data (a generator repeating one likely sentence scores well).
- Reverse-LM score: per-token NLL of the real test data under an LM trained on the generated sequences. Coverage:
  an LM that has only seen a few good sentences gives the rest of the language little probability.

Both use one fixed recipe (`Recipe`): the paper's generator LSTM (embedding 32, hidden 32) trained by MLE (Adam,
lr 0.01, batch 64, global-norm clip 5) for up to 50 epochs, stopping once the NLL of a held-out 10% of what it trains
on has not improved for 3 epochs, with that best epoch's weights kept. Seeded: the same inputs give the same score.
The real-vs-real row (`LMScorer.real`) calibrates both: the LM score of the real test data and the reverse-LM score
of an LM trained on as many real training sequences as a model generates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from ..models.generator import Generator
from ..train.optim import adam
from ..train.pretrain import mle_epoch
from .nll import nll_test


@dataclass(frozen=True)
class Recipe:
    emb_dim: int = 32
    hidden_dim: int = 32
    lr: float = 0.01
    batch_size: int = 64
    max_epochs: int = 50
    patience: int = 3              # epochs without a better held-out NLL before stopping
    held_out: float = 0.1          # share of the training sequences kept out for early stopping
    seed: int = 0


def held_out_count(n, recipe=Recipe(), what="LM") -> int:
    """How many of n sequences the recipe keeps out for early stopping; ValueError naming `what` where too few are
    left to train one batch."""
    n_val = max(1, int(round(recipe.held_out * n)))
    if n - n_val < recipe.batch_size:
        raise ValueError(f"{what}: an LM needs at least {recipe.batch_size + n_val} sequences to train on, got {n}")
    return n_val


def train_lm(seqs, vocab_size, start_token=0, end_token=None, recipe=Recipe(), desc="LM") -> Generator:
    """An LSTM language model of `seqs` (N, T) by the recipe, with its best held-out epoch's weights; `desc` names
    its progress bar."""
    seqs = np.asarray(seqs, np.int32)
    n_val = held_out_count(len(seqs), recipe, desc)
    order = np.random.default_rng(recipe.seed).permutation(len(seqs))
    val, train = seqs[order[:n_val]], tf.constant(seqs[order[n_val:]])
    lm = Generator(vocab_size, recipe.emb_dim, recipe.hidden_dim, seqs.shape[1], start_token, seed=recipe.seed,
                   end_token=end_token).build_all()
    opt = adam(recipe.lr, 5.0)
    opt.build(lm.trainable_variables)
    best, weights, waited = math.inf, lm.get_weights(), 0
    bar = tqdm(range(recipe.max_epochs), desc=desc, leave=False)
    for epoch in bar:
        mle_epoch(lm, opt, train, recipe.batch_size, tf.constant([recipe.seed, epoch], tf.int64))
        nll = nll_test(lm, val)
        bar.set_postfix(held_out_nll=f"{nll:.4f}")
        if nll < best:
            best, weights, waited = nll, lm.get_weights(), 0
        else:
            waited += 1
            if waited >= recipe.patience:
                break
    lm.set_weights(weights)
    return lm


class LMScorer:
    """Scores generated sequences against one real corpus; the LM of the real training data is trained once, when
    first needed."""

    def __init__(self, real_train, real_test, vocab_size, start_token=0, end_token=None, recipe=Recipe()):
        self.train, self.test = np.asarray(real_train, np.int32), np.asarray(real_test, np.int32)
        self.lm_args = dict(vocab_size=vocab_size, start_token=start_token, end_token=end_token, recipe=recipe)

    @cached_property
    def real_lm(self) -> Generator:
        return train_lm(self.train, **self.lm_args, desc="LM of the real training data")

    def check(self, n, what):
        """ValueError naming `what` unless n generated sequences are enough to train an LM on (before any work)."""
        held_out_count(n, self.lm_args["recipe"], what)

    def __call__(self, generated, name="generated") -> dict:
        """{"lm_score": quality, "reverse_lm_score": coverage} of generated (N, T); lower is better for both."""
        generated = np.asarray(generated, np.int32)
        return {"lm_score": nll_test(self.real_lm, generated),
                "reverse_lm_score": nll_test(train_lm(generated, **self.lm_args, desc=f"LM of {name}"), self.test)}

    def real(self, n) -> dict:
        """The real-vs-real row: the real test data's LM score, and the reverse-LM score of an LM trained on n real
        training sequences (a fixed random n of them, as many as a model generates)."""
        pick = np.random.default_rng(self.lm_args["recipe"].seed).permutation(len(self.train))[:n]
        lm = train_lm(self.train[pick], **self.lm_args, desc=f"LM of {n} real sequences")
        return {"lm_score": nll_test(self.real_lm, self.test), "reverse_lm_score": nll_test(lm, self.test)}
