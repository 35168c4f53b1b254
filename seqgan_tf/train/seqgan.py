"""Algorithm 1 of the paper (Sequence Generative Adversarial Nets), top to bottom.

    Require: generator policy G_θ; roll-out policy G_β; discriminator D_φ; a sequence dataset S = {X_1:T}
     1: Initialize G_θ, D_φ with random weights θ, φ.
     2: Pre-train G_θ using MLE on S
     3: β ← θ
     4: Generate negative samples using G_θ for training D_φ
     5: Pre-train D_φ via minimizing the cross entropy
     6: repeat
     7:   for g-steps do
     8:     Generate a sequence Y_1:T = (y_1, ..., y_T) ~ G_θ
     9:     for t in 1 : T do
    10:       Compute Q(a = y_t; s = Y_1:t-1) by Eq. (4)
    11:     end for
    12:     Update generator parameters via policy gradient Eq. (8)
    13:   end for
    14:   for d-steps do
    15:     Use current G_θ to generate negative examples and combine with given positive examples S
    16:     Train discriminator D_φ for k epochs by Eq. (5)
    17:   end for
    18:   β ← θ
    19: until SeqGAN converges

`algorithm1` is that listing as a Python generator that yields after every unit of work (an MLE epoch, a D
pretraining step, an adversarial round), so a runner (train/loop.py) can evaluate and checkpoint in between and a
resumed run skips what a checkpoint already holds. All randomness comes from one tf.random.Generator `rng`.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from .pretrain import d_step, mle_epoch, next_seed
from .rollout import rollout_rewards, track


@dataclass
class Models:
    """G_θ, D_φ, the roll-out policy G_β (G_θ itself when rollout_policy="current": what the released code
    computes) and their optimizers: MLE and policy gradient each have their own Adam, as released."""
    gen: keras.Model
    disc: keras.Model
    rollout_gen: keras.Model
    mle_opt: keras.optimizers.Optimizer
    pg_opt: keras.optimizers.Optimizer
    d_opt: keras.optimizers.Optimizer
    reward_level: tf.Variable | None = None   # a control's constant reward, once measured (train/controls.py)


def algorithm1(m: Models, real, cfg, rng, done=(0, 0, 0), adversarial_round=None, pretrain_d=True):
    """Yields (phase, units done in that phase, logs) after each unit; `done` = units already done per phase.
    `adversarial_round(m, real, cfg, rng, i) -> logs` is lines 7-18 (default `seqgan_round`); a baseline
    (train/baselines.py) passes its own, with pretrain_d=False as it has no discriminator."""
    adversarial_round = adversarial_round or seqgan_round
    # 1: G_θ and D_φ arrive initialised (state.State.build, seeded by cfg.seed).
    # 2: pre-train G_θ using MLE on S.
    for epoch in range(done[0], cfg.pretrain_g_epochs):
        loss = mle_epoch(m.gen, m.mle_opt, real, cfg.batch_size, next_seed(rng))
        yield "pretrain_g", epoch + 1, {"pretrain/g_nll": float(loss)}
    # 3: β ← θ. Redone on every resume before round 1 (G does not change during D pretraining), because a shared
    # pretraining checkpoint holds no roll-out copy.
    if done[2] == 0 and m.rollout_gen is not m.gen:
        m.rollout_gen.set_weights(m.gen.get_weights())
    # 4-5: negatives from G_θ; pre-train D_φ by minimising the cross entropy, eq. (5).
    for step in range(done[1], cfg.pretrain_d_steps if pretrain_d else 0):
        loss, acc = d_step(m.gen, m.disc, m.d_opt, real, cfg, rng, cfg.d_pretrain_epochs)
        yield "pretrain_d", step + 1, {"d/loss": float(loss), "d/acc": float(acc)}
    # 6, 19: repeat (here: for cfg.adv_epochs rounds), G's steps at the rounds' learning rate (default: g_lr).
    for opt in (m.mle_opt, m.pg_opt):
        opt.learning_rate = cfg.adv_lr or cfg.g_lr
    for i in range(done[2], cfg.adv_epochs):
        yield "adversarial", i + 1, adversarial_round(m, real, cfg, rng, i)


def seqgan_round(m: Models, real, cfg, rng, i, reward_fn=None, train_d=True):
    """Lines 7-18: g-steps of policy gradient with Monte-Carlo rewards from D, then d-steps, then β ← θ.
    The controls (train/controls.py) pass another `reward_fn` or keep D as it is (train_d=False)."""
    logs = g_steps(m, cfg, rng, reward_fn or d_rewards(m, cfg))                     # lines 7-13
    for _ in range(cfg.d_steps if train_d else 0):                                  # lines 14-17
        d_loss, d_acc = d_step(m.gen, m.disc, m.d_opt, real, cfg, rng)
        logs.update({"d/loss": float(d_loss), "d/acc": float(d_acc)})
    update_rollout_policy(m, cfg)                                                   # line 18
    return logs


def d_rewards(m: Models, cfg):
    """Lines 9-11 as a reward function: Q (B, T) of eq. (4), the mean D score of N completions of each prefix."""
    def q_from_d(seqs, seed):
        return rollout_rewards(m.rollout_gen, m.disc, seqs, cfg.rollout_num, seed, cfg.rollout_chunk)
    return q_from_d


def g_steps(m: Models, cfg, rng, reward_fn):
    """Lines 7-13 with `reward_fn(seqs, seed) -> Q (B, T)` (SeqGAN: D via rollouts; PG-BLEU: BLEU via rollouts)."""
    for _ in range(cfg.g_steps):
        seqs = m.gen.sample(cfg.batch_size, next_seed(rng))                        # line 8: Y_1:T ~ G_θ
        rewards = reward_fn(seqs, next_seed(rng))                                   # lines 9-11
        g_loss, g_norm = pg_step(m.gen, m.pg_opt, seqs, rewards, cfg.pg_loss == "sum")   # line 12, eq. (8)
    return {"adv/g_loss": float(g_loss), "adv/g_grad_norm": float(g_norm),
            "adv/reward_mean": float(tf.reduce_mean(rewards))}


def pg_loss(gen, seqs, rewards, summed=False):
    """Eq. (8)'s loss: -mean_batch sum_t log G(y_t | Y_1:t-1) * Q_t, or the batch's sum (as released) when `summed`."""
    per_sequence = -tf.reduce_sum(gen.token_log_probs(seqs) * rewards, axis=1)
    return tf.reduce_sum(per_sequence) if summed else tf.reduce_mean(per_sequence)


@tf.function
def pg_step(gen, opt, seqs, rewards, summed=False):
    """REINFORCE step on `pg_loss`: Adam does not see the summed loss's scale, but the optimizer's global-norm clip
    does. Returns the loss and its gradient's global norm before the clip (in the loss's own units)."""
    with tf.GradientTape() as tape:
        loss = pg_loss(gen, seqs, rewards, summed)
    grads = tape.gradient(loss, gen.trainable_variables)
    opt.apply(grads, gen.trainable_variables)
    return loss, tf.linalg.global_norm(grads)


def update_rollout_policy(m: Models, cfg):
    """Line 18, β ← θ, as released: a delayed copy w_β <- r w_β + (1 - r) w_θ (cfg.rollout_beta = r); nothing to
    do when the roll-out policy is G_θ itself."""
    if m.rollout_gen is not m.gen:
        track(m.rollout_gen, m.gen, cfg.rollout_beta)
