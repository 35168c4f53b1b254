"""What each study of how SeqGAN behaves runs: {setting name: config overrides}, scaled by the preset's rounds.
Their summaries from saved runs are in report/ (figure3.py and *_study.py). Pure Python, no TensorFlow: experiments/
(which runs them) and report/ (which summarises them) both import these names.

- strategies (Figure 3): SeqGAN under four (g-steps, d-steps, k) schedules after one shared pretraining.
- no_pretraining (appendix): SeqGAN from an untrained G against SeqGAN after MLE pretraining.
- rollout_ablation: the number N of Monte-Carlo rollouts (and none), and the two rollout policies at N = 16.
- precision: D in float32 (the paper) against bfloat16, from one shared MLE pretraining.
- generators: the convolutional G against the LSTM G.
Table 1's rows are in seqgan_tf/methods.py.
"""

# Figure 3's panels (PAPER.md): (g-steps, d-steps, k).
STRATEGIES = {"g100_d1_k10": (100, 1, 10), "g30_d1_k30": (30, 1, 30), "g1_d1_k10": (1, 1, 10), "g1_d5_k3": (1, 5, 3)}
D_TRAIN_PASSES = 3      # a D training pass (forward + backward) costs about three forward passes


def d_passes_per_round(cfg, g_steps, d_steps, k):
    """Forward-pass equivalents of D in one round: each g-step scores (T-1)·N·B roll-out completions and its B
    sequences; each d-step trains k epochs over its negatives and as many positives (all of them when there are
    fewer, train/pretrain.py:d_step). D is about nine tenths of a round's arithmetic in every panel (G's sampling and
    policy-gradient step are the rest), so equal D passes is close to equal compute."""
    scoring = (cfg.seq_len - 1) * cfg.rollout_num * cfg.batch_size + cfg.batch_size
    samples = cfg.n_negatives + min(cfg.n_negatives, cfg.num_samples)
    return g_steps * scoring + d_steps * k * D_TRAIN_PASSES * samples


def strategy_settings(cfg):
    """The four panels at one compute budget: the D passes that panel (d), the released schedule, spends in half the
    preset's rounds. A panel with many g-steps per round (a: 100 of them) runs few rounds, one with much D training
    per g-step runs more: equal rounds would give (a) 100x the generator updates, equal generator updates would give
    (c) and (d) 100 rounds each for (a)'s one. Every panel starts from one shared D pretraining (cfg's epochs per
    step); panels of under 10 rounds are evaluated every round."""
    budget = d_passes_per_round(cfg, *STRATEGIES["g1_d5_k3"]) * max(1, cfg.adv_epochs // 2)
    settings = {}
    for name, (g, d, k) in STRATEGIES.items():
        rounds = max(1, round(budget / d_passes_per_round(cfg, g, d, k)))
        settings[name] = dict(g_steps=g, d_steps=d, d_epochs=k, pretrain_d_epochs=cfg.d_pretrain_epochs,
                              adv_epochs=rounds, eval_every=1 if rounds < 10 else cfg.eval_every)
    return settings


def no_pretraining_settings(cfg):
    """Same rounds for all; the untrained G starts from the same random init the pretrained run starts MLE from."""
    return {"pretrained": {},
            "no_pretraining": dict(pretrain_g_epochs=0, pretrain_d_steps=0),
            "no_pretraining_brief_d": dict(pretrain_g_epochs=0, pretrain_d_steps=max(1, cfg.pretrain_d_steps // 5))}


ROLLOUT_NS = (0, 1, 4, 16, 64)        # 0 = no rollout: every step's reward is D(Y_1:T)


def ablation_settings(cfg):
    """Half the preset's rounds (a round costs about linearly in N, so N = 64 is the dearest), from one shared
    MLE + D start."""
    rounds = max(1, cfg.adv_epochs // 2)
    settings = {ablation_name(n): dict(rollout_num=n, adv_epochs=rounds) for n in ROLLOUT_NS}
    settings["n16_delayed"] = dict(rollout_num=16, rollout_policy="delayed", rollout_beta=0.8, adv_epochs=rounds)
    return settings


PRECISIONS = ("float32", "bfloat16")

# The convolutional G against the paper's LSTM G (models/cnn.py): the CNN at the LSTM's parameter count
# (emb 32) and a larger one (emb 64). Different models, so nothing is shared: each runs MLE, D pretraining and the
# rounds itself.
GENERATORS = {"lstm": {}, "cnn": {"generator": "cnn"}, "cnn_large": {"generator": "cnn", "emb_dim": 64}}


def precision_settings(cfg):
    """Each precision pretrains its own D and trains adversarially from one shared MLE pretraining."""
    return {p: {"d_precision": p} for p in PRECISIONS}


def ablation_name(n):
    return f"n{n}" if n else "no_rollout"


