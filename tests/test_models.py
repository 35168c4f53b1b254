"""Oracle, generator and discriminator: shapes, the official pickle format, sampling contracts."""
import pickle

import numpy as np
import pytest
import tensorflow as tf
from conftest import seed

from seqgan_tf.metrics.nll import sequence_nll
from seqgan_tf.models import Oracle, OracleFormatError
from seqgan_tf.data import sources


def random_params(V=30, E=6, H=5, rs=np.random.RandomState(0)):
    """The official pickle's layout: emb, (W, U, b) for gates i, f, o, c, then W_out, b_out."""
    p = [rs.randn(V, E)]
    for _ in range(4):
        p += [rs.randn(E, H), rs.randn(H, H), rs.randn(H)]
    return [a.astype(np.float32) for a in p + [rs.randn(H, V), rs.randn(V)]]


def numpy_nll(p, seqs, start=0):
    """Mean per-token NLL, written out from the oracle README's equations."""
    sig = lambda x: 1 / (1 + np.exp(-x))
    emb, (Wi, Ui, bi, Wf, Uf, bf, Wo, Uo, bo, Wc, Uc, bc), Wout, bout = p[0], p[1:13], p[13], p[14]
    B, T = seqs.shape
    h = c = np.zeros((B, Wi.shape[1]))
    tok, total = np.full(B, start), 0.0
    for t in range(T):
        x = emb[tok]
        i, f, o = sig(x @ Wi + h @ Ui + bi), sig(x @ Wf + h @ Uf + bf), sig(x @ Wo + h @ Uo + bo)
        c = f * c + i * np.tanh(x @ Wc + h @ Uc + bc)
        h = o * np.tanh(c)
        logits = h @ Wout + bout
        m = logits.max(1, keepdims=True)
        logp = logits - m - np.log(np.exp(logits - m).sum(1, keepdims=True))
        total -= logp[np.arange(B), seqs[:, t]].sum()
        tok = seqs[:, t]
    return total / (B * T)


def test_oracle_pickle_matches_numpy(tmp_path):
    """An oracle loaded from the official pickle layout gives the NLL of a numpy LSTM."""
    p = random_params()
    path = tmp_path / "oracle.pkl"
    path.write_bytes(pickle.dumps(p))
    oracle = Oracle.from_pickle(path, seq_len=7)
    seqs = np.random.RandomState(1).randint(0, 30, size=(16, 7))
    np.testing.assert_allclose(float(oracle.nll(tf.constant(seqs, tf.int32))), numpy_nll(p, seqs), rtol=1e-5)
    # evaluation's own path (NLL-oracle of G's samples, NLL-test), in batches and row chunks that do not divide 16 x 7
    np.testing.assert_allclose(sequence_nll(oracle, seqs, batch=5, rows=9).sum() / seqs.size, numpy_nll(p, seqs),
                               rtol=1e-5)


def official_oracle():
    """The authors' oracle if it is on this machine (never downloaded by the tests), else None."""
    try:
        return sources.locate("oracle", download=False)
    except sources.DataNotFound:
        return None


@pytest.mark.skipif(official_oracle() is None, reason="the official oracle is not on this machine")
def test_official_oracle_matches_numpy_and_its_own_samples_are_likely():
    """The official oracle: NLL as numpy computes it, ~5.7 on its own samples, far worse on noise."""
    with open(official_oracle(), "rb") as f:
        p = pickle.load(f)
    oracle = Oracle.from_pickle(official_oracle())
    own = oracle.sample(200, seed(0, 1)).numpy()
    np.testing.assert_allclose(float(oracle.nll(own)), numpy_nll(p, own), rtol=1e-4)
    # README: the oracle's own samples score about 5.74; uniform noise scores far worse (~ log 5000 + more).
    assert 5.3 < numpy_nll(p, own) < 6.2
    noise = np.random.RandomState(0).randint(0, 5000, size=(200, 20))
    assert float(oracle.nll(noise)) > 9.0


@pytest.mark.parametrize("bad, message", [
    (lambda p: p[:14], "list of 15 arrays"),
    (lambda p: p[:3] + [p[3][:4]] + p[4:], "array 3 has shape"),
    (lambda p: p[:13] + [p[13].T] + p[14:], "array 13 has shape"),
    (lambda p: [p[0] * np.nan] + p[1:], "NaN"),
])
def test_oracle_bad_shapes_are_named(tmp_path, bad, message):
    """A pickle with missing, misshapen or NaN arrays is refused naming the array."""
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps(bad(random_params())))
    with pytest.raises(OracleFormatError, match=message):
        Oracle.from_pickle(path)


def test_oracle_missing_or_corrupt_file(tmp_path):
    """A missing or truncated oracle pickle is refused in words."""
    with pytest.raises(OracleFormatError, match="not found"):
        Oracle.from_pickle(tmp_path / "nope.pkl")
    (tmp_path / "corrupt.pkl").write_bytes(pickle.dumps(random_params())[:100])
    with pytest.raises(OracleFormatError, match="not a readable pickle"):
        Oracle.from_pickle(tmp_path / "corrupt.pkl")


def test_samples_shape_dtype_range(smoke):
    """Samples are (n, T) int32 ids in the vocabulary, the same for one seed and not for another."""
    s = smoke.gen.sample(33, seed(0, 0))
    assert s.shape == (33, smoke.cfg.seq_len) and s.dtype == tf.int32
    assert 0 <= int(tf.reduce_min(s)) and int(tf.reduce_max(s)) < smoke.cfg.vocab_size
    np.testing.assert_array_equal(s, smoke.gen.sample(33, seed(0, 0)))        # stateless: same seed, same draw
    assert not np.array_equal(s, smoke.gen.sample(33, seed(0, 1)))


def test_complete_keeps_prefix(smoke):
    """complete keeps each row's first keep[i] tokens and re-samples the rest."""
    T = smoke.cfg.seq_len
    prefix = smoke.gen.sample(64, seed(1, 1))
    keep = tf.constant(np.random.RandomState(0).randint(0, T + 1, size=64), tf.int32)
    done = smoke.gen.complete(prefix, keep, seed(2, 2)).numpy()
    for row, k in zip(range(64), keep.numpy()):
        np.testing.assert_array_equal(done[row, :k], prefix.numpy()[row, :k])
    np.testing.assert_array_equal(smoke.gen.complete(prefix, tf.fill([64], T), seed(3, 3)), prefix)
    # rows that keep less than T really are re-sampled somewhere after their prefix
    assert (done[keep.numpy() == 0] != prefix.numpy()[keep.numpy() == 0]).any()


def test_complete_follows_the_model_distribution(smoke):
    """Tokens sampled at step 1 follow softmax(logits) of the first step (chi-square-like tolerance)."""
    n = 20000
    first = smoke.gen.sample(n, seed(4, 4)).numpy()[:, 0]
    p = tf.nn.softmax(smoke.gen(tf.zeros([1, smoke.cfg.seq_len], tf.int32))[0, 0]).numpy()
    freq = np.bincount(first, minlength=len(p)) / n
    assert np.abs(freq - p).max() < 4 * np.sqrt(p.max() / n) + 1e-3


@pytest.mark.parametrize("V", [5000, 1234])          # 1234: the last block is padded
def test_two_stage_draw_follows_softmax(V):
    """`draw` (block by its mass, then a class within it) samples softmax(logits): 100,000 draws in 50 calls of 2,000
    rows (40 MB of logits at V = 5,000, not the 2 GB of one call), chi-square over the 50 likeliest classes and the
    rest together, df 50, below its 99.9% point (86.7); the seeds are fixed, so this is exact."""
    from seqgan_tf.models.language_model import draw
    logits = np.random.RandomState(V).randn(V).astype(np.float32) * 2
    logits[7] = 8.0                                          # one heavy class beside a long tail
    rows = tf.constant(np.tile(logits, (2000, 1)))
    x = np.concatenate([draw(rows, seed(V, k)).numpy() for k in range(50)])
    assert x.min() >= 0 and x.max() < V and len(x) == 100_000
    p = tf.nn.softmax(logits).numpy().astype(np.float64)
    top, f = np.argsort(-p)[:50], np.bincount(x, minlength=V)
    obs = np.append(f[top], len(x) - f[top].sum())
    exp = np.append(p[top], 1 - p[top].sum()) * len(x)
    assert ((obs - exp) ** 2 / exp).sum() < 86.7


@pytest.mark.parametrize("V", [5000, 1234])
def test_draw_in_chunks_is_the_same_draw(V):
    """Logits made and kept in chunks of rows (to bound memory) give the very same draws as one piece."""
    from seqgan_tf.models.language_model import draw, draw_from
    h = tf.constant(np.random.RandomState(V).randn(50, 4).astype(np.float32))
    w = tf.constant(np.random.RandomState(V + 1).randn(4, V).astype(np.float32) * 3)
    whole = draw(tf.matmul(h, w), seed(V, 1))
    for chunk in (7, 50, 4096):
        np.testing.assert_array_equal(draw_from(lambda x: tf.matmul(x, w), h, V, seed(V, 1), chunk=chunk), whole)
    assert len(set(whole.numpy())) > 10                                    # a real draw, not one class


def test_discriminator_shapes_and_dropout(smoke):
    """D gives (B, 2) logits and P(real) in (0, 1); dropout only when training, fixed by its seed."""
    seqs = smoke.gen.sample(10, seed(5, 5))
    logits = smoke.disc(seqs)
    assert logits.shape == (10, 2)
    p = smoke.disc.prob_real(seqs).numpy()
    assert p.shape == (10,) and ((0 < p) & (p < 1)).all()
    np.testing.assert_allclose(smoke.disc(seqs), smoke.disc(seqs))                 # inference: no dropout
    a = smoke.disc(seqs, training=True, seed=seed(1, 2))
    np.testing.assert_allclose(a, smoke.disc(seqs, training=True, seed=seed(1, 2)))
    assert not np.allclose(a, smoke.disc(seqs, training=True, seed=seed(1, 3)))


def test_paper_discriminator_has_1720_features():
    """The paper's D has 12 windows and 1,720 pooled features."""
    from seqgan_tf import config
    from seqgan_tf.models import Discriminator
    cfg = config.make("paper")
    disc = Discriminator.from_config_obj(cfg)
    assert sum(cfg.d_num_filters) == 1720 and len(cfg.d_filter_sizes) == 12
    assert disc.features(tf.zeros([2, 20], tf.int32)).shape == (2, 1720)


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_oracle_pickles_of_other_protocols_load(tmp_path, protocol):
    """The restricted unpickler admits what numpy writes at every protocol (0-2: _codecs.encode, 5: _frombuffer)."""
    p = random_params()
    path = tmp_path / "oracle.pkl"
    path.write_bytes(pickle.dumps(p, protocol=protocol))
    np.testing.assert_array_equal(Oracle.from_pickle(path).w_out.numpy(), p[13])


@pytest.mark.parametrize("V, deterministic", [(512, False), (37, False), (512, True)])
def test_token_nll_matches_tensorflows_kernel(V, deterministic):
    """token_nll is TensorFlow's sparse softmax cross-entropy: the gradient bit for bit (V a multiple of 8: the
    vectorised path; otherwise, or under op determinism, TensorFlow's own), the loss within float rounding, for 3-D
    logits as G gives them."""
    from tensorflow.python.framework import config as tf_config
    from seqgan_tf.models.language_model import token_nll
    was = tf_config.is_op_determinism_enabled()          # smoke runs earlier in the suite switch it on
    (tf_config.enable_op_determinism if deterministic else tf_config.disable_op_determinism)()
    try:
        _check_token_nll(token_nll, V)
    finally:
        (tf_config.enable_op_determinism if was else tf_config.disable_op_determinism)()


def _check_token_nll(token_nll, V):
    rs = np.random.RandomState(V)
    logits = tf.constant(3 * rs.randn(4, 50, V).astype(np.float32))
    labels = tf.constant(rs.randint(0, V, (4, 50)).astype(np.int32))
    upstream = tf.constant(rs.rand(4, 50).astype(np.float32))

    def loss_and_grad(fn):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = fn(labels, logits)
        return loss.numpy(), tape.gradient(loss, logits, output_gradients=upstream).numpy()

    ref_loss, ref_grad = loss_and_grad(lambda y, x: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x))
    loss, grad = loss_and_grad(tf.function(token_nll))
    assert loss.shape == (4, 50)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-6)
    np.testing.assert_array_equal(grad, ref_grad)


def test_scored_nll_is_the_log_softmax_even_where_the_probability_underflows():
    """Evaluation's -log softmax[label] (from the softmax kernel) equals float64 log-softmax to float32 rounding; rows
    whose label is 200 nats below the top (a probability that underflows float32) take the log-softmax path, which
    without it would come out inf."""
    from seqgan_tf.metrics.nll import scored_nll
    rs = np.random.RandomState(3)
    logits = 3 * rs.randn(300, 512)
    labels = rs.randint(0, 512, 300)
    logits[np.arange(0, 300, 50), labels[::50]] = logits[::50].max(axis=1) - 200.0        # 6 underflowing rows
    m = logits.max(axis=1, keepdims=True)
    ref = -(logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[np.arange(300), labels]
    x, y = tf.constant(logits, tf.float32), tf.constant(labels, tf.int32)
    got = tf.function(scored_nll)(y, x).numpy()
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=2e-5)
    unguarded = tf.function(lambda y, x: scored_nll(y, x, tiny=0.0))(y, x).numpy()
    assert np.isinf(unguarded[::50]).all()                               # the guard is what makes those rows right
