"""The real-data metrics of Tables 2 and 4 (and of own-data runs), as functions of token sequences.

BLEU variants (every one is nltk `sentence_bleu` semantics averaged over hypotheses, with the whole reference set
for every hypothesis, the paper's protocol): `bleuN` unsmoothed (nltk method0), `bleuN_m1` with nltk method1
smoothing. Scored on tokens (characters), not ids, so a test token unseen in training can never be matched by
accident. A variable-length corpus is scored on the text only: sequences are cut at their first end token, so runs
of padding never count as matching n-grams.
"""
from __future__ import annotations

import numpy as np

from ..data import midi
from .bleu import ReferenceBLEU, bleu_weights, self_bleu
from .mse import closest_mse


def text_metrics(hyps, references: ReferenceBLEU) -> dict:
    """BLEU-2..4 (unsmoothed and method1) of hyps against every reference, and Self-BLEU-2 (unsmoothed)."""
    out = {}
    for n in (2, 3, 4):
        out[f"bleu{n}"] = references.mean(hyps, bleu_weights(n))
        out[f"bleu{n}_m1"] = references.mean(hyps, bleu_weights(n), "method1")
    out["self_bleu2"] = self_bleu(hyps, 2) if len(hyps) > 1 else None     # leave-one-out needs two
    return out


class MusicMetrics:
    """Table 4's metrics of token sequences (MIDI numbers as strings): BLEU-4 (unsmoothed and method1) against the
    whole test set, `closest_mse` to the test set in semitones², Self-BLEU-4 (unsmoothed, leave-one-out)."""

    def __init__(self, test):
        self.references = ReferenceBLEU(test, max_n=4)
        self.test = np.array([midi.pitches(s) for s in test])

    def __call__(self, hyps) -> dict:
        w = bleu_weights(4)
        return {"bleu4": self.references.mean(hyps, w), "bleu4_m1": self.references.mean(hyps, w, "method1"),
                "mse": closest_mse([midi.pitches(h) for h in hyps], self.test),
                "self_bleu4": self_bleu(hyps, 4) if len(hyps) > 1 else None}


def held_out_metrics(data, metrics, n, seed) -> dict:
    """`metrics` of n training sequences (a fixed-seed choice): real data outside the test set, scored exactly as
    n generated ones are (Table 4's calibration row)."""
    pick = np.random.default_rng(seed).choice(len(data.train), min(n, len(data.train)), replace=False)
    return metrics([data.train[i] for i in np.sort(pick)])


class ProtocolMetrics:
    """A text table's metrics under two reference protocols, every row (generated or real) as many hypotheses as
    there are test sequences, each text scored as its tokens up to the end token:
    - "test" (the paper's stated protocol): references = the held-out test sequences. Its real row is that many
      training sequences (a fixed-seed choice), never the references themselves.
    - "train": references = the training sequences, the large real set that the paper's real-data levels imply.
      Its real row is the test sequences, which are not among those references.
    Keys: bleu{n}[_m1] for "test", bleu{n}[_m1]_train for "train", each also with every suffix of VARIANTS (a
    transformation applied to hypotheses and references alike); self_bleu2 of the plain text."""
    PROTOCOLS = ("test", "train")
    VARIANTS = {"": None}

    def __init__(self, data, seed=0):
        train, test = data.unpadded("train"), data.unpadded("test")
        pick = np.random.default_rng(seed).choice(len(train), len(test), replace=False)
        self.real_hyps = {"test": [train[i] for i in np.sort(pick)], "train": test}
        self.refs = {(p, v): ReferenceBLEU([fn(t) if fn else t for t in (test if p == "test" else train)], max_n=4)
                     for p in self.PROTOCOLS for v, fn in self.VARIANTS.items()}

    def __call__(self, hyps, protocols=PROTOCOLS) -> dict:
        out = {}
        for protocol in protocols:
            for variant, fn in self.VARIANTS.items():
                suffix = ("" if protocol == "test" else "_" + protocol) + variant
                scored = text_metrics([fn(h) if fn else h for h in hyps], self.refs[protocol, variant])
                out.update({f"{k}{suffix}": v for k, v in scored.items() if k != "self_bleu2"})
        out["self_bleu2"] = self_bleu(hyps, 2) if len(hyps) > 1 else None
        return out

    def real(self) -> dict:
        """The real row: each protocol's real hypotheses scored exactly as generated ones are."""
        out = {}
        for protocol in self.PROTOCOLS:
            scored = self(self.real_hyps[protocol], (protocol,))
            out.update({k: v for k, v in scored.items() if k != "self_bleu2"})
        out["self_bleu2"] = self_bleu(self.real_hyps["test"], 2)
        return out


class PoemMetrics(ProtocolMetrics):
    """Table 2's: each protocol also with the punctuation (，。，。 put back at their fixed places: `_punct` keys)."""

    def __init__(self, data, seed=0):
        self.VARIANTS = {"": None, "_punct": punctuated}
        super().__init__(data, seed)


POEM_MARKS = {5: "，", 10: "。", 15: "，", 20: "。"}     # after the n-th character: shi.txt's layout in every poem


def punctuated(chars) -> list:
    """A 20-character poem with its four marks back at their fixed places (24 tokens)."""
    out = []
    for i, c in enumerate(chars, 1):
        out.append(c)
        if i in POEM_MARKS:
            out.append(POEM_MARKS[i])
    return out


def real_data_metrics(data) -> dict:
    """The "real data" row: test sequences scored against the training set, as generated ones are against test."""
    return text_metrics(data.unpadded("test"), ReferenceBLEU(data.unpadded("train"), max_n=4))
