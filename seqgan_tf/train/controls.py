"""Controls that take D's information out of SeqGAN's reward, to ask where SeqGAN's gain comes from. Each changes
only lines 9-11 of Algorithm 1 (the reward Q of the g-step) or line 16 (D's training); the rest is SeqGAN's round.

- constant_reward:   every Q_t = c (cfg.reward_constant, default 2). A constant reward makes the policy gradient
                     raise the likelihood of G's own samples: it sharpens G, as a lower sampling temperature does.
                     No discriminator.
- matched_constant:  every Q_t = the mean of D's rewards on the first g-step's batch, which is SeqGAN's first-round
                     reward of the same seed (same pretraining, same random stream), so the step size matches.
- random_reward:     Q_t ~ U[0, 1], drawn per sequence and step. No discriminator.
- frozen_d:          SeqGAN's rewards from the pretrained D, which is never trained during the rounds: the rewards
                     keep their information but stop adapting.
- shuffled_reward:   SeqGAN's rewards with their rows permuted across the batch at every g-step: the same values,
                     no information about which sequence earned which. D is trained as in SeqGAN.
"""
import tensorflow as tf

from .seqgan import Models, d_rewards, seqgan_round


def constant_reward_round(m: Models, real, cfg, rng, i):
    c = tf.constant(cfg.reward_constant, tf.float32)
    return seqgan_round(m, real, cfg, rng, i, lambda seqs, seed: tf.fill(tf.shape(seqs), c), train_d=False)


def matched_constant_round(m: Models, real, cfg, rng, i):
    q_from_d = d_rewards(m, cfg)

    def matched(seqs, seed):
        if float(m.reward_level) == 0.0:      # unset (D's rewards are > 0): SeqGAN's first g-step, measured once
            m.reward_level.assign(tf.reduce_mean(q_from_d(seqs, seed)))
        return tf.fill(tf.shape(seqs), m.reward_level.read_value())

    logs = seqgan_round(m, real, cfg, rng, i, matched, train_d=False)
    return {**logs, "adv/reward_level": float(m.reward_level)}


def random_reward_round(m: Models, real, cfg, rng, i):
    uniform = lambda seqs, seed: tf.random.stateless_uniform(tf.shape(seqs), seed)   # noqa: E731
    return seqgan_round(m, real, cfg, rng, i, uniform, train_d=False)


def frozen_d_round(m: Models, real, cfg, rng, i):
    return seqgan_round(m, real, cfg, rng, i, train_d=False)


def shuffled_reward_round(m: Models, real, cfg, rng, i):
    q_from_d = d_rewards(m, cfg)

    def shuffled(seqs, seed):
        rows = tf.random.experimental.stateless_shuffle(tf.range(tf.shape(seqs)[0]),
                                                        tf.random.experimental.stateless_fold_in(seed, 1))
        return tf.gather(q_from_d(seqs, seed), rows)

    return seqgan_round(m, real, cfg, rng, i, shuffled)
