"""FLOP counts of D's forward pass and of its rollout scoring, a matmul's practical rate on this machine, and the
FLOP floor of a schedule's D work at that rate."""
import tensorflow as tf

from seqgan_tf.train.projection import d_work, median_time


def _conv_flops(cfg, positions):
    """Multiply-adds x 2 of D's convolutions on one sequence, positions(w) windows of each width w."""
    return sum(2 * cfg.d_emb_dim * w * n * positions(w) for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters))


def _head_flops(cfg):
    """Multiply-adds x 2 of D's highway and output layer on one sequence."""
    F = sum(cfg.d_num_filters)
    return 2 * F * 2 * F + 2 * F * 2


def d_forward_flops(cfg):
    """Multiply-adds x 2 of one D forward pass on one sequence: the convolutions, the highway, the output layer."""
    return _conv_flops(cfg, lambda w: cfg.seq_len - w + 1) + _head_flops(cfg)


def rollout_d_flops(cfg):
    """FLOPs of D scoring one batch's rollout completions as `prob_real_completions` does: each sequence's own
    convolutions once, then per completion only the windows that reach a sampled token, the highway and the output
    layer (`d_forward_flops` x the completions is the same scoring done whole, as the released code does)."""
    T, B, n = cfg.seq_len, cfg.batch_size, cfg.rollout_num
    own = B * _conv_flops(cfg, lambda w: T - w + 1)
    fresh = sum(_conv_flops(cfg, lambda w: T - w + 1 - max(g + 2 - w, 0)) for g in range(T - 1))  # block g keeps g + 1
    return own + n * B * (fresh + (T - 1) * _head_flops(cfg))


def matmul_rate(rows, inner, cols, repeats=5, dtype=tf.float32):
    """GFLOP/s of one (rows x inner) @ (inner x cols) product (float32 unless `dtype`) in a graph: this machine's
    practical peak for D's largest layer (the highway at one rollout chunk). Small products are timed many calls
    at a time (`_rates`), so that a call's own cost does not count as the product's."""
    a, b = tf.random.normal([rows, inner], dtype=dtype), tf.random.normal([inner, cols], dtype=dtype)
    return _rates({"matmul": lambda: tf.matmul(a, b)[0, 0]}, 2 * rows * inner * cols, repeats,
                  calls=max(1, 1024 // rows))["matmul"]


def _rates(fns, flops, repeats, calls):
    """GFLOP/s of each of fns ({name: fn}, `flops` FLOPs a call; each returns one element of its product, so that no
    pass over the result is timed), traced into a graph: the median of `repeats` timings of `calls` calls in a row."""
    rates = {}
    for name, fn in fns.items():
        f = tf.function(fn)
        med, _ = median_time(lambda: [f() for _ in range(calls)][-1].numpy(), repeats)
        rates[name] = flops * calls / med / 1e9
    return rates


def flop_floor_s(cfg, matmul_gflop_per_s, n_real=None):
    """Seconds cfg's D work (training and rollout scoring, `projection.d_work`) would take at the matmul's rate: the
    floor no implementation of this estimator reaches on this machine without cutting FLOPs."""
    trained, _ = d_work(cfg, cfg.num_samples if n_real is None else n_real)
    rollouts = cfg.adv_epochs * cfg.g_steps * (rollout_d_flops(cfg) + cfg.batch_size * d_forward_flops(cfg))  # + D(Y)
    return (3 * trained * d_forward_flops(cfg) + rollouts) / (matmul_gflop_per_s * 1e9)
