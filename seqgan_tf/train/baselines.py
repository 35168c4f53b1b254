"""The baselines of Table 1 / Figure 2, each a replacement for SeqGAN's adversarial round with one signature,
`(models, real, cfg, rng, i) -> logs`; seqgan_tf/methods.py declares which method runs which.

All continue from the same MLE-pretrained state as SeqGAN; a "round" is what each method's x-axis counts:
- mle:     one more MLE epoch over the real data (continued with the pretraining optimizer).
- ss:      one epoch of scheduled sampling (Bengio et al. 2015): at each step, per token, the LSTM is fed its
           own sample instead of the true previous token with probability ε, ε rising with the round.
- ss_as_run: the authors' earlier SS code as it ran: one coin, drawn when its graph was built, decided every
           token of every batch against a teacher-forcing probability that fell only to 0.4, so (coin 0.3975 after
           random.seed(88)) every token was the true one: in effect MLE epochs (their rounds: Adam lr 1e-3).
- pg_bleu: SeqGAN's g-step with sentence BLEU against the real sequences as the reward instead of D
           (Monte-Carlo rollouts for prefixes, eq. (4) with BLEU in place of D), no discriminator.
"""
import math
import random
import numpy as np
import tensorflow as tf

from ..metrics.bleu import ReferenceBLEU, bleu_weights
from ..models.language_model import draw, token_nll
from .pretrain import mle_epoch, next_seed, supervised_epoch
from .rollout import mc_rewards, rollout_completions
from .seqgan import g_steps, update_rollout_policy


# -- scheduled sampling ----------------------------------------------------------------------------------
def ss_epsilon(schedule, i, rounds, eps_max):
    """ε for round i (0-based) of `rounds`: rises from near 0 to eps_max at the last round.
    x = (i+1)/rounds; linear ε = eps_max x (the earlier code's schedule); exponential and inverse_sigmoid
    follow the shapes of Bengio et al.'s decays of P(true token): fast rise early / slow start, fast middle."""
    x = (i + 1) / rounds
    if schedule == "linear":
        shape = x
    elif schedule == "exponential":
        shape = (1 - 0.01 ** x) / (1 - 0.01)
    elif schedule == "inverse_sigmoid":
        sig = lambda z: 1 / (1 + math.exp(-10 * (z - 0.5)))
        shape = (sig(x) - sig(0)) / (sig(1) - sig(0))
    else:
        raise ValueError(f"unknown ss_schedule {schedule!r}")
    return eps_max * shape


def ss_forward(gen, seqs, eps, seed):
    """Scheduled-sampling forward pass over targets seqs (B, T) -> (logits (B, T, V), inputs (B, T) fed).

    Step t is fed y_{t-1} (the start token at t = 0), or with probability eps, drawn per token, G's own sample
    from its step t-1 distribution (no gradient through the draw, as Bengio et al.). eps = 0 is teacher
    forcing. The draw at step t uses the seed `complete` uses, so at eps = 1 the inputs are exactly
    `gen.sample(B, seed)` shifted right."""
    B, T = tf.shape(seqs)[0], seqs.shape[1]
    state = gen.initial_state(B)
    tok = tf.fill([B], tf.constant(gen.start_token, tf.int32))
    logits, inputs = [], []
    for t in range(T):                          # static T: unrolled, as `hidden_states`
        inputs.append(tok)
        state = gen.step(tok, state)
        logits.append(gen.logits(state[0]))
        if t + 1 < T:
            own = draw(tf.stop_gradient(logits[-1]), tf.random.experimental.stateless_fold_in(seed, t))
            coin = tf.random.stateless_uniform([B], tf.random.experimental.stateless_fold_in(seed, T + t))
            tok = tf.where(coin < eps, own, seqs[:, t])
    return tf.stack(logits, axis=1), tf.stack(inputs, axis=1)


def ss_loss(gen, seqs, eps, seed):
    """Mean per-token NLL of the true tokens under scheduled sampling (= `mle_loss` at eps = 0)."""
    logits, _ = ss_forward(gen, seqs, eps, seed)
    return tf.reduce_mean(token_nll(seqs, logits))


@tf.function
def ss_epoch(gen, opt, data, batch_size, seed, eps):
    """One scheduled-sampling epoch; batch i draws its tokens and coins from fold_in(seed, i)."""
    def loss_fn(seqs, i):
        return ss_loss(gen, seqs, eps, tf.random.experimental.stateless_fold_in(seed, 1_000_000 + i))
    return supervised_epoch(gen, opt, data, batch_size, seed, loss_fn)


# -- PG-BLEU ---------------------------------------------------------------------------------------------
def bleu_references(real, cfg):
    """The reference table: a fixed random fraction cfg.bleu_refs of the real sequences (earlier code: 40%),
    chosen by cfg.seed alone so a resumed run picks the same ones."""
    real = np.asarray(real)
    pick = tf.random.experimental.stateless_shuffle(tf.range(len(real)), tf.constant([cfg.seed, 3], tf.int64))
    n = max(1, int(round(cfg.bleu_refs * len(real))))
    return ReferenceBLEU(real[np.sort(pick.numpy()[:n])].tolist(), max_n=cfg.bleu_n)


def bleu_rewards(rollout_gen, refs, seqs, n, seed, bleu_n=3, smoothing=None):
    """Q (B, T) of eq. (4) with sentence BLEU-n against `refs` (ReferenceBLEU) in place of D(real | Y)."""
    done = rollout_completions(rollout_gen, seqs, n, seed).numpy()
    w = bleu_weights(bleu_n)
    return mc_rewards(refs.sentences(done, w, smoothing), refs.sentences(seqs.numpy(), w, smoothing), n)


_references_memo = {}


def references_of(real, cfg):
    """`bleu_references`, built once per corpus and setting (a round would otherwise rebuild the n-gram tables)."""
    key = (id(real), cfg.seed, cfg.bleu_refs, cfg.bleu_n)
    if key not in _references_memo:
        _references_memo.clear()                  # one corpus at a time; `real` is kept alive with its table
        _references_memo[key] = (real, bleu_references(real, cfg))
    return _references_memo[key][1]


# -- one round of each: (models, real, cfg, rng, i) -> logs ----------------------------------------------------
def mle_round(m, real, cfg, rng, i):
    return {"adv/g_loss": float(mle_epoch(m.gen, m.mle_opt, real, cfg.batch_size, next_seed(rng)))}


def ss_round(m, real, cfg, rng, i):
    eps = ss_epsilon(cfg.ss_schedule, i, cfg.adv_epochs, cfg.ss_max)
    loss = ss_epoch(m.gen, m.mle_opt, real, cfg.batch_size, next_seed(rng), tf.constant(eps, tf.float32))
    return {"adv/g_loss": float(loss), "adv/ss_eps": eps}


def ss_as_run_round(m, real, cfg, rng, i):
    p_true = max(0.4, 1.0 - 0.002 * i)              # their curriculum: 1.0, falling 0.002 an epoch, to 0.4
    coin = random.Random(cfg.seed).random()         # their random.random() after random.seed(seed), drawn once
    eps = 0.0 if coin < p_true else 1.0             # tf.cond on that constant: all true tokens, or all G's own
    loss = ss_epoch(m.gen, m.mle_opt, real, cfg.batch_size, next_seed(rng), tf.constant(eps, tf.float32))
    return {"adv/g_loss": float(loss), "adv/ss_eps": eps}


def pg_bleu_round(m, real, cfg, rng, i):
    """SeqGAN's g-steps (and roll-out policy update) with BLEU against the references in place of D."""
    refs = references_of(real, cfg)
    smoothing = None if cfg.bleu_smoothing == "none" else cfg.bleu_smoothing

    def q_from_bleu(seqs, seed):
        return bleu_rewards(m.rollout_gen, refs, seqs, cfg.bleu_rollout_num or cfg.rollout_num, seed, cfg.bleu_n,
                            smoothing)

    logs = g_steps(m, cfg, rng, q_from_bleu)
    update_rollout_policy(m, cfg)
    return logs
