"""Algorithm 1 of the paper: the policy-gradient step and one adversarial round."""
import tensorflow as tf

from ..rollout import rollout_rewards, track
from .pretrain import d_block


@tf.function
def pg_step(gen, opt, seqs, rewards):
    """REINFORCE step, eq. (8): minimise -mean_batch sum_t log G(y_t | Y_1:t-1) * Q_t."""
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(tf.reduce_sum(gen.token_log_probs(seqs) * rewards, axis=1))
    opt.apply(tape.gradient(loss, gen.trainable_variables), gen.trainable_variables)
    return loss


def adversarial_round(s, real, rng):
    """One round of Algorithm 1 on state `s` (models + optimizers); `rng` is a tf.random.Generator.
    Returns the round's logs."""
    cfg = s.cfg
    for _ in range(cfg.g_steps):                                                   # g-steps
        seqs = s.gen.sample(cfg.batch_size, rng.make_seeds(1)[:, 0])                # Y_1:T ~ G_θ
        rewards = rollout_rewards(s.rollout_gen, s.disc, seqs, cfg.rollout_num,
                                  rng.make_seeds(1)[:, 0], cfg.rollout_chunk)       # Q by MC search, eq. (4)
        g_loss = pg_step(s.gen, s.pg_opt, seqs, rewards)                            # policy gradient, eq. (8)
    if s.rollout_gen is not s.gen:
        track(s.rollout_gen, s.gen, cfg.rollout_beta)                              # update roll-out policy
    for _ in range(cfg.d_steps):                                                   # d-steps: fresh negatives,
        d_loss, d_acc = d_block(s.gen, s.disc, s.d_opt, real, cfg, rng)              # k epochs, eq. (5)
    logs = {"adv/g_loss": float(g_loss), "adv/reward_mean": float(tf.reduce_mean(rewards))}
    if cfg.d_steps:
        logs.update({"d/loss": float(d_loss), "d/acc": float(d_acc)})
    return logs
