"""Maximum-likelihood training of G and (re)training of D: whole epochs as single graph calls."""
import tensorflow as tf

from . import distribute


def next_seed(rng):
    """A fresh (2,) seed for one stateless op from the run's tf.random.Generator (the only stateful randomness)."""
    return rng.make_seeds(1)[:, 0]


def mle_loss(gen, seqs):
    """Mean per-token negative log-likelihood of seqs under G (teacher forcing)."""
    return -tf.reduce_mean(gen.token_log_probs(seqs))


def supervised_epoch(gen, opt, data, batch_size, seed, loss_fn):
    """One epoch over data (N, T), shuffled by `seed`, one optimizer step per batch on loss_fn(seqs, i) for batch
    i; the last partial batch is dropped (as official). Call inside a tf.function. Returns the mean loss."""
    n_batches = tf.shape(data)[0] // batch_size
    perm = tf.random.experimental.stateless_shuffle(tf.range(tf.shape(data)[0]), seed)
    total = tf.constant(0.0)
    for i in tf.range(n_batches):
        seqs = tf.gather(data, perm[i * batch_size:(i + 1) * batch_size])
        with tf.GradientTape() as tape:
            loss = loss_fn(seqs, i)
        opt.apply(tape.gradient(loss, gen.trainable_variables), gen.trainable_variables)
        total += loss
    return total / tf.cast(n_batches, tf.float32)


@tf.function
def mle_epoch(gen, opt, data, batch_size, seed):
    """One epoch of MLE (teacher forcing) over data (N, T); returns the mean training loss."""
    return supervised_epoch(gen, opt, data, batch_size, seed, lambda seqs, i: mle_loss(gen, seqs))


def d_loss(disc, seqs, labels, training, seed=None):
    """Softmax cross-entropy over (fake, real) + the L2 term of the output layer (eq. 5 + official L2)."""
    logits = disc(seqs, training=training, seed=seed)
    xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), labels), tf.float32))
    return xent + disc.regularization(), acc


def _d_update(disc, opt, x, y, seed):
    """One D update on the global batch (x, y): each replica takes its equal share (all of it on one device)."""
    ctx = tf.distribute.get_replica_context()
    n = ctx.num_replicas_in_sync
    if n > 1:
        share = tf.shape(x)[0] // n
        lo = ctx.replica_id_in_sync_group * share
        x, y = x[lo:lo + share], y[lo:lo + share]
        seed = tf.random.experimental.stateless_fold_in(seed, ctx.replica_id_in_sync_group)    # own dropout masks
    with tf.GradientTape() as tape:
        loss, acc = d_loss(disc, x, y, True, seed)
        scaled = loss / n                                   # replicas' gradients are summed
    opt.apply(tape.gradient(scaled, disc.trainable_variables), disc.trainable_variables)
    return scaled, acc / n


@tf.function
def d_train(disc, opt, real, fake, epochs, batch_size, seed):
    """k epochs of D on real (label 1) + fake (label 0), shuffled together as the official Dis_dataloader.
    Runs under `distribute.strategy()` (each batch split over the replicas). Returns (mean loss, mean training
    accuracy)."""
    strategy = distribute.strategy()
    if batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"batch_size {batch_size} does not split over {strategy.num_replicas_in_sync} GPUs; "
                         "choose another or set SEQGAN_STRATEGY=default")
    x = tf.concat([real, fake], axis=0)
    y = tf.concat([tf.ones(tf.shape(real)[:1], tf.int32), tf.zeros(tf.shape(fake)[:1], tf.int32)], axis=0)
    n = tf.shape(x)[0]
    n_batches = n // batch_size
    total_loss, total_acc = tf.constant(0.0), tf.constant(0.0)
    for e in tf.range(epochs):
        perm = tf.random.experimental.stateless_shuffle(tf.range(n), tf.random.experimental.stateless_fold_in(seed, e))
        for i in tf.range(n_batches):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            step_seed = tf.random.experimental.stateless_fold_in(seed, 1_000_000 + e * n_batches + i)
            loss, acc = strategy.run(_d_update, args=(disc, opt, tf.gather(x, idx), tf.gather(y, idx), step_seed))
            total_loss += strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
            total_acc += strategy.reduce(tf.distribute.ReduceOp.SUM, acc, axis=None)
    steps = tf.cast(epochs * n_batches, tf.float32)
    return total_loss / steps, total_acc / steps


@tf.function
def d_accuracy(disc, real, fake):
    """Accuracy of D (no dropout) on real (label 1) and fake (label 0) sequences."""
    p_real, p_fake = disc.prob_real(real), disc.prob_real(fake)
    return 0.5 * (tf.reduce_mean(tf.cast(p_real > 0.5, tf.float32)) + tf.reduce_mean(tf.cast(p_fake <= 0.5, tf.float32)))


def d_step(gen, disc, opt, real, cfg, rng, epochs=None):
    """One d-step (Algorithm 1, lines 15-16): fresh negatives from G, as many positives (all of them when
    n_negatives >= N, as the official code does), `epochs` epochs (default k = d_epochs). Returns (loss, acc)."""
    fake = gen.sample(cfg.n_negatives, next_seed(rng))
    if cfg.n_negatives < real.shape[0]:
        pick = tf.random.experimental.stateless_shuffle(tf.range(real.shape[0]), next_seed(rng))
        real = tf.gather(real, pick[:cfg.n_negatives])
    return d_train(disc, opt, real, fake, epochs or cfg.d_epochs, cfg.batch_size, next_seed(rng))
