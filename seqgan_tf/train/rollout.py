"""Monte-Carlo rollout rewards (eq. 4) and the rollout policy's delayed update.

Q(Y_1:t-1, y_t) = mean over N completions Y^n ~ G_rollout(· | Y_1:t) of D(Y^n)   for t < T
Q(Y_1:T-1, y_T) = D(Y_1:T)                                                          for t = T
All (T-1) prefix lengths x N completions x B sequences are sampled in one `complete` call and scored in one
chunked D pass that convolves each window inside a kept prefix once, not N times: a single graph call per batch
(the released code makes 16 x 19 `Session.run` calls).
"""
import tensorflow as tf


def in_chunks(fn, x, chunk):
    """fn(x) for a row-wise fn (M, ...) -> (M,), `chunk` rows at a time, one chunk at a time, so peak memory
    stays bounded."""
    n_chunks = (tf.shape(x)[0] + chunk - 1) // chunk
    out = tf.TensorArray(tf.float32, size=n_chunks, infer_shape=False, element_shape=[None])
    for i in tf.range(n_chunks):
        tf.autograph.experimental.set_loop_options(parallel_iterations=1)
        out = out.write(i, fn(x[i * chunk:(i + 1) * chunk]))
    return out.concat()


def prob_real_chunked(disc, seqs, chunk):
    """D(Y) for many sequences, `chunk` rows per D call."""
    return in_chunks(disc.prob_real, seqs, chunk)


def prob_real_completions(disc, seqs, done, n, chunk):
    """prob_real_chunked(disc, done, chunk) for done = `rollout_completions(., seqs, n, .)`, to float rounding, with
    less work. Every completion in block g keeps the first g + 1 tokens of its sequence, so a convolution window that
    lies wholly inside them has the same value in all n completions: the max over those windows is taken once per
    sequence, from its own convolutions, and the completions convolve only the windows that reach a sampled token.
    A convolution's or matmul's bits can depend on its batch's shape (the kernels block by shape and thread count),
    so a rare score moves by an ulp (tested: within 4); the highway runs on the same `chunk`-row groups as
    `prob_real_chunked`, which keeps such moves rare."""
    B, T = tf.shape(seqs)[0], seqs.shape[1]
    own = [disc.window_maps(disc.embed(seqs), k) for k in range(len(disc.filter_sizes))]   # (B, T - w + 1, n_w)
    rows_per_block = n * B
    per_block = (rows_per_block + chunk - 1) // chunk
    pooled = tf.TensorArray(disc.precision, size=(T - 1) * per_block, infer_shape=False,
                            element_shape=[None, sum(disc.num_filters)])
    for g in tf.range(T - 1):
        for c in tf.range(per_block):
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)   # one chunk's activations at a time
            first = g * rows_per_block + c * chunk
            last = tf.minimum(first + chunk, (g + 1) * rows_per_block)
            x = disc.embed(done[first:last])
            source = tf.range(first, last) % B                                    # the sequence each row completes
            features = []
            for k, w in enumerate(disc.filter_sizes):
                split = tf.maximum(g + 2 - w, 0)          # windows starting before `split` lie inside the kept prefix
                fresh = tf.reduce_max(disc.window_maps(x[:, split:], k), axis=1)
                kept = tf.reduce_max(own[k][:, :split], axis=1)      # split = 0: an empty max, below any ReLU
                features.append(tf.maximum(fresh, tf.gather(kept, source)))
            pooled = pooled.write(g * per_block + c, tf.concat(features, axis=1))
    return in_chunks(lambda p: disc.prob_real_of(disc.head(p)), pooled.concat(), chunk)


def rollout_completions(rollout_gen, seqs, n, seed):
    """Every Monte-Carlo completion of seqs (B, T): ((T-1)*n*B, T), block g of n*B rows keeps g+1 tokens."""
    B, T = tf.shape(seqs)[0], seqs.shape[1]
    keep = tf.repeat(tf.range(1, T), n * B)
    return rollout_gen.complete(tf.tile(seqs, [(T - 1) * n, 1]), keep, seed)


def mc_rewards(done_scores, final_scores, n):
    """Eq. (4) from scores: done_scores ((T-1)*n*B,) of `rollout_completions`, final_scores (B,) of the
    sequences themselves -> Q (B, T): the mean over the n completions for t < T, the sequence's score at t = T."""
    B = tf.shape(final_scores)[0]
    q = tf.reduce_mean(tf.reshape(tf.cast(done_scores, tf.float32), [-1, n, B]), axis=1)
    return tf.transpose(tf.concat([q, tf.cast(final_scores, tf.float32)[None]], axis=0))


@tf.function
def rollout_rewards(rollout_gen, disc, seqs, n, seed, chunk=4096):
    """Rewards Q (B, T) for seqs (B, T) int32 from `n` (a Python int) completions per prefix; `seed` (2,) int32.
    n = 0 is the "no rollout" ablation: nothing is sampled and every step gets the terminal score D(Y_1:T)."""
    if n == 0:
        return tf.tile(disc.prob_real(seqs)[:, None], [1, seqs.shape[1]])
    done = rollout_completions(rollout_gen, seqs, n, seed)
    if hasattr(disc, "window_maps"):          # the CNN D: windows inside kept prefixes are shared
        done_scores = prob_real_completions(disc, seqs, done, n, chunk)
    else:                                     # any other D with prob_real (your own, a test's stub): scored whole
        done_scores = prob_real_chunked(disc, done, chunk)
    return mc_rewards(done_scores, disc.prob_real(seqs), n)


def repeated_rewards(rollout_gen, disc, seqs, n, seeds, chunk=4096):
    """Q (R, B, T): `rollout_rewards` of one fixed batch once per seed in seeds (R, 2) -- with G and D fixed,
    the spread across the R repeats is the Monte-Carlo noise of the reward estimate alone."""
    return tf.stack([rollout_rewards(rollout_gen, disc, seqs, n, s, chunk) for s in tf.unstack(seeds)])


def track(rollout_gen, gen, beta):
    """Delayed rollout policy (official rollout.update_params): w_r <- beta w_r + (1-beta) w_g, embedding copied."""
    for r, g in zip(rollout_gen.weights, gen.weights):
        r.assign(g if r is rollout_gen.embedding else beta * r + (1.0 - beta) * g)
