"""The oracle: a fixed LSTM that plays the real data distribution of the synthetic experiment. Never trained.

Either the authors' exact oracle (`Oracle.from_pickle`; data/sources.py finds the file) or a fresh one with
every parameter N(0, 1) (the paper's recipe, `Oracle.random`).
"""
import pickle

import numpy as np
import tensorflow as tf

from .lstm import LSTMLanguageModel

# The official pickle: 15 float32 arrays, per gate (W, U, b) in the order i, f, o, c̃ (its README).
_GATES = ("i", "f", "o", "c")


# The only globals a pickled list of numpy arrays names: _reconstruct / ndarray / dtype (protocols <= 4; numpy 1.x
# writes numpy.core, 2.x numpy._core), _frombuffer (protocol 5), _codecs.encode (bytes in protocols <= 2).
# None of them runs code of the file's choosing.
_ARRAY_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                  ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
                  ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}


class OracleFormatError(ValueError):
    pass


class _Forbidden(pickle.UnpicklingError):
    pass


class _ArraysOnly(pickle.Unpickler):
    """pickle.load runs whatever callable a file names; an oracle file is data, so only array globals resolve."""

    def find_class(self, module, name):
        if (module, name) not in _ARRAY_GLOBALS:
            raise _Forbidden(f"{module}.{name}")
        return super().find_class(module, name)


class Oracle(LSTMLanguageModel):
    """Same cell as G. `token_log_probs(seqs)` gives log p_oracle; `sample(n, seed)` the "real" data."""

    def __init__(self, vocab_size, emb_dim=32, hidden_dim=32, seq_len=20, start_token=0, seed=0, **kwargs):
        super().__init__(vocab_size, emb_dim, hidden_dim, seq_len, start_token, init_std=1.0, seed=seed,
                         **kwargs)
        self.trainable = False
        self.complete = tf.function(self.complete, reduce_retracing=True)   # `sample` calls it eagerly
        self._token_log_probs = tf.function(self.token_log_probs)

    def nll(self, seqs, batch=1000):
        """Mean per-token negative log-likelihood of seqs (B, T) under the oracle (NLL-oracle, eq. in §4), a float.
        `batch` sequences at a time: the (B, T, V) logits of 10,000 sequences at once took 4 GB, the run's peak."""
        seqs = tf.cast(seqs, tf.int32)
        total = sum(float(tf.reduce_sum(self._token_log_probs(seqs[i:i + batch])))
                    for i in range(0, int(seqs.shape[0]), batch))
        return -total / (int(seqs.shape[0]) * int(seqs.shape[1]))

    @classmethod
    def random(cls, vocab_size, emb_dim=32, hidden_dim=32, seq_len=20, start_token=0, seed=0):
        return cls(vocab_size, emb_dim, hidden_dim, seq_len, start_token, seed=seed).build_all()

    @classmethod
    def from_pickle(cls, path, seq_len=20, start_token=0):
        """Load the authors' target_params pickle; raises OracleFormatError naming what is wrong."""
        try:
            with open(path, "rb") as f:
                params = _ArraysOnly(f, encoding="latin1").load()
        except _Forbidden as e:
            raise OracleFormatError(f"oracle file {path} refers to {e}, not a numpy array part; refusing to load "
                                    "it (a pickle can run code)") from None
        except FileNotFoundError:
            raise OracleFormatError(f"oracle file not found: {path}") from None
        except IsADirectoryError:
            raise OracleFormatError(f"oracle path is a directory, not a pickle: {path}") from None
        except Exception as e:   # truncated / not a pickle at all
            raise OracleFormatError(f"oracle file {path} is not a readable pickle ({type(e).__name__}: {e})") \
                from None
        if not isinstance(params, (list, tuple)) or len(params) != 15:
            raise OracleFormatError(f"oracle file {path}: expected a list of 15 arrays, got "
                                    f"{type(params).__name__} of length {len(params) if hasattr(params, '__len__') else '?'}")
        p = [np.asarray(a, dtype=np.float32) for a in params]
        if p[0].ndim != 2:
            raise OracleFormatError(f"oracle file {path}: embeddings must be 2-D, got shape {p[0].shape}")
        V, E = p[0].shape
        H = p[2].shape[0] if p[2].ndim == 2 else -1
        expected = [(V, E)] + [(E, H), (H, H), (H,)] * 4 + [(H, V), (V,)]
        for k, (a, shape) in enumerate(zip(p, expected)):
            if a.shape != shape:
                raise OracleFormatError(f"oracle file {path}: array {k} has shape {a.shape}, expected {shape}")
            if not np.all(np.isfinite(a)):
                raise OracleFormatError(f"oracle file {path}: array {k} holds NaN or Inf")
        if not 0 <= start_token < V:
            raise OracleFormatError(f"start token {start_token} outside the oracle's vocabulary of {V}")
        oracle = cls(V, E, H, seq_len, start_token).build_all()
        gates = [p[1 + 3 * g: 4 + 3 * g] for g in range(4)]                    # (W, U, b) per gate
        oracle.embedding.assign(p[0])
        oracle.w_x.assign(np.concatenate([w for w, _, _ in gates], axis=1))
        oracle.w_h.assign(np.concatenate([u for _, u, _ in gates], axis=1))
        oracle.b.assign(np.concatenate([b for _, _, b in gates]))
        oracle.w_out.assign(p[13])
        oracle.b_out.assign(p[14])
        return oracle
