"""BLEU against one fixed reference set, fast: the references' n-gram maxima are built once.

`ReferenceBLEU(refs).sentence(hyp, weights)` equals nltk's `sentence_bleu(refs, hyp, weights)` (same brevity
penalty with the closest reference length, same handling of zero counts), and `smoothing="method1"` equals
nltk's `SmoothingFunction().method1` (epsilon 0.1 added to zero numerators). `smoothing="legacy"` is nltk before
3.3 (what the authors' PG-BLEU code ran in 2016): an order with no matching n-gram was skipped, not counted as
~0, so BLEU-3 of a random sequence against thousands of references is near 1 (a nearly flat reward). nltk rescans every reference for
every hypothesis; with 10,000 references that is the difference between milliseconds and minutes.
Pure Python + NumPy, no TF. Tokens can be any hashable values (ids or characters).
"""
import math
import sys
from collections import Counter

import numpy as np


def ngrams(seq, n):
    return zip(*(seq[i:] for i in range(n)))


def bleu_weights(n):
    """Uniform weights of BLEU-n."""
    return (1.0 / n,) * n


class ReferenceBLEU:
    """Sentence BLEU of hypotheses against a fixed list of references (each a sequence of tokens)."""

    def __init__(self, references, max_n=4):
        if len(references) == 0:
            raise ValueError("BLEU needs at least one reference")
        self.max_n = max_n
        self.refs = [tuple(r) for r in references]
        # For each n-gram: the largest count in any reference, which reference holds it, and the second largest
        # (so that leave-one-out, for Self-BLEU, stays exact).
        self.table = [dict() for _ in range(max_n + 1)]
        for idx, ref in enumerate(self.refs):
            for n in range(1, max_n + 1):
                table = self.table[n]
                for g, c in Counter(ngrams(ref, n)).items():
                    best = table.get(g)
                    if best is None:
                        table[g] = (c, idx, 0)
                    elif c > best[0]:
                        table[g] = (c, idx, best[0])
                    elif c > best[2]:
                        table[g] = (best[0], best[1], c)
        lengths = np.array([len(r) for r in self.refs])
        self.lengths, self.length_counts = np.unique(lengths, return_counts=True)
        self._radix, self._keys = None, {}        # int64 n-gram keys for `sentences`, built on first use

    def _max_count(self, n, g, exclude):
        best = self.table[n].get(g)
        if best is None:
            return 0
        return best[2] if best[1] == exclude else best[0]

    def _closest_ref_length(self, hyp_len, exclude):
        lengths = self.lengths
        if exclude is not None:
            k = np.searchsorted(lengths, len(self.refs[exclude]))
            if self.length_counts[k] == 1:
                lengths = np.delete(lengths, k)
        # nltk: min over references of (|r - c|, r)
        return int(min(lengths, key=lambda r: (abs(int(r) - hyp_len), int(r))))

    def sentence(self, hyp, weights=(0.25, 0.25, 0.25, 0.25), smoothing=None, exclude=None):
        """BLEU of one hypothesis. smoothing: None (nltk method0), "method1" or "legacy" (see above). `exclude`:
        index of a reference to leave out (Self-BLEU)."""
        _check_smoothing(smoothing)
        hyp = tuple(hyp)
        if len(weights) > self.max_n:
            raise ValueError(f"BLEU-{len(weights)} needs max_n >= {len(weights)}, this table has {self.max_n}")
        if exclude is not None and len(self.refs) < 2:
            raise ValueError("leave-one-out BLEU needs at least two references")
        numerators, denominators = [], []
        for n in range(1, len(weights) + 1):
            counts = Counter(ngrams(hyp, n))
            numerators.append(sum(min(c, self._max_count(n, g, exclude)) for g, c in counts.items()))
            denominators.append(max(1, sum(counts.values())))
        if numerators[0] == 0:
            return 0.0
        c = len(hyp)
        r = self._closest_ref_length(c, exclude)
        bp = 1.0 if c > r else (0.0 if c == 0 else math.exp(1 - r / c))
        logs = []
        for w, num, den in zip(weights, numerators, denominators):
            if num == 0 and smoothing == "legacy":
                continue
            if num == 0:
                p = (num + 0.1) / den if smoothing == "method1" else sys.float_info.min
            else:
                p = num / den
            logs.append(w * math.log(p))
        return bp * math.exp(math.fsum(logs))

    def sentences(self, hyps, weights=(0.25, 0.25, 0.25, 0.25), smoothing=None):
        """`sentence` of every row of hyps (M, L), non-negative integer tokens, at once -> (M,) float64.

        Vectorised for rewards (PG-BLEU scores ~20,000 rollouts a round): each n-gram becomes one int64 key, looked
        up by binary search in the sorted keys of the reference table. A hypothesis n-gram's clipped count
        min(count, max_ref_count) is the number of its occurrences whose rank among equal n-grams earlier in the
        row is below max_ref_count."""
        _check_smoothing(smoothing)
        hyps = np.asarray(hyps, dtype=np.int64)
        if hyps.ndim != 2 or (hyps.size and hyps.min() < 0):
            raise ValueError("sentences() needs a 2-D array of non-negative integer tokens")
        if len(weights) > self.max_n:
            raise ValueError(f"BLEU-{len(weights)} needs max_n >= {len(weights)}, this table has {self.max_n}")
        M, L = hyps.shape
        logs = np.zeros(M)
        first_zero = None
        for n, w in zip(range(1, len(weights) + 1), weights):
            g = max(0, L - n + 1)
            keys = np.full((M, g), -1, np.int64)
            valid = np.ones((M, g), bool)
            for i in range(n):
                valid &= hyps[:, i:i + g] < self._base
            for i in range(n):
                keys = np.where(valid, np.maximum(keys, 0) * self._base + hyps[:, i:i + g], -1)
            ref_keys, ref_max = self._key_table(n)
            pos = np.minimum(np.searchsorted(ref_keys, keys), len(ref_keys) - 1)
            limit = np.where(ref_keys[pos] == keys, ref_max[pos], 0)
            earlier = np.tril(keys[:, :, None] == keys[:, None, :], -1).sum(axis=2)     # (M, g): rank in the row
            num = (earlier < limit).sum(axis=1)
            den = max(1, g)
            if first_zero is None:
                first_zero = num == 0
            zero_p = (num + 0.1) / den if smoothing == "method1" else np.full(M, sys.float_info.min)
            term = w * np.log(np.where(num == 0, zero_p, np.maximum(num, 1) / den))
            logs += np.where(num == 0, 0.0, term) if smoothing == "legacy" else term
        r = self._closest_ref_length(L, None)
        bp = 1.0 if L > r else (0.0 if L == 0 else math.exp(1 - r / L))
        return np.where(first_zero, 0.0, bp * np.exp(logs))

    @property
    def _base(self):
        """Key radix: one more than the largest reference token (larger hypothesis tokens never match)."""
        if self._radix is None:
            if not all(isinstance(x, (int, np.integer)) and x >= 0 for r in self.refs for x in r):
                raise ValueError("sentences() needs references of non-negative integer tokens")
            self._radix = 1 + max((max(r) for r in self.refs if r), default=0)
            if self._radix ** self.max_n >= 2 ** 62:
                raise ValueError(f"{self._radix} token ids are too many for int64 {self.max_n}-gram keys")
        return self._radix

    def _key_table(self, n):
        """Sorted int64 keys of the references' n-grams and each one's largest count in any reference."""
        if n not in self._keys:
            items = sorted((sum(int(x) * self._base ** (n - 1 - i) for i, x in enumerate(g)), c)
                           for g, (c, _, _) in self.table[n].items())
            keys = np.array([k for k, _ in items] or [-2], np.int64)      # -2: matches nothing (no -1 key)
            self._keys[n] = keys, np.array([c for _, c in items] or [0], np.int64)
        return self._keys[n]

    def mean(self, hyps, weights=(0.25, 0.25, 0.25, 0.25), smoothing=None):
        """Mean sentence BLEU over hypotheses (the paper's protocol: every hypothesis against all references)."""
        return float(np.mean([self.sentence(h, weights, smoothing) for h in hyps]))


SMOOTHINGS = (None, "method1", "legacy")


def _check_smoothing(smoothing):
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"unknown BLEU smoothing {smoothing!r}; choose None, 'method1' or 'legacy'")


def self_bleu(hyps, n=2, smoothing=None):
    """Self-BLEU-n (diversity, lower = more diverse): each hypothesis against all the others."""
    table = ReferenceBLEU(hyps, max_n=n)
    w = bleu_weights(n)
    return float(np.mean([table.sentence(h, w, smoothing, exclude=i) for i, h in enumerate(table.refs)]))
