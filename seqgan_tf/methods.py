"""Every method of Table 1, declared once: what replaces SeqGAN's adversarial round, with what settings, how it
is labelled, the paper's number and how it is drawn. Config (which `method` values exist), the runs (which round
function, whether D is pretrained, whether a run may be extended), Table 1 and Figure 2 all read this table.

A new method is one entry here plus its round function, `(models, real, cfg, rng, i) -> logs` (train/seqgan.py,
train/baselines.py). Pure Python: the report layer reads it without TensorFlow.

"As run": the authors' earlier baseline code as it really ran. Its SS teacher-forced every token, and its PG-BLEU
used nltk < 3.3's BLEU (orders without a match skipped) with one rollout per prefix; both stepped Adam at lr 1e-3.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Method:
    label: str                    # the row's name in tables and legends
    round: str                    # "module:function" of its round, (models, real, cfg, rng, i) -> logs
    uses_d: bool                  # has a discriminator: D pretraining runs before the rounds
    paper: float | None = None    # the paper's Table 1 NLL-oracle, where this row's protocol could be the paper's
    overrides: dict = field(default_factory=dict)   # Config fields the row runs with; "method" defaults to its name
    uses_total: bool = False      # round i depends on the number of rounds, so a finished run cannot be extended
    color: str = "C0"             # Figure 2's line colour
    control: bool = False         # a control (not a row of the paper's Table 1): `--methods controls` runs these
    variant: bool = False         # another setting of a row above, run only when named (not in 'all')

    def config(self, name) -> dict:
        """The Config overrides of the row `name` (this entry's key)."""
        return {"method": name, **self.overrides}


_SEQGAN, _BASE, _CONTROLS = "seqgan_tf.train.seqgan", "seqgan_tf.train.baselines", "seqgan_tf.train.controls"

# In Table 1's order (which is also Figure 2's legend order).
METHODS = {
    "mle": Method("MLE", f"{_BASE}:mle_round", uses_d=False, paper=9.038, color="C0"),
    "ss": Method("SS (as intended: per-token coin)", f"{_BASE}:ss_round", uses_d=False, paper=8.985,
                 uses_total=True, color="C1"),     # ε(i) rises to ss_max at the last round
    "ss_as_run": Method("SS (as the authors' code ran: teacher-forced)", f"{_BASE}:ss_as_run_round", uses_d=False,
                        paper=8.985, overrides={"adv_lr": 1e-3}, color="C2"),
    "pg_bleu": Method("PG-BLEU (today's BLEU, N = 16)", f"{_BASE}:pg_bleu_round", uses_d=False, paper=8.946,
                      color="C3"),
    "pg_bleu_as_run": Method("PG-BLEU (as run: nltk < 3.3 BLEU, N = 1, lr 1e-3)", f"{_BASE}:pg_bleu_round",
                             uses_d=False, paper=8.946, color="C4",
                             overrides={"method": "pg_bleu", "bleu_smoothing": "legacy", "bleu_rollout_num": 1,
                                        "adv_lr": 1e-3}),
    "seqgan": Method("SeqGAN", f"{_SEQGAN}:seqgan_round", uses_d=True, paper=8.736, color="C5"),
    # The released code sums the policy-gradient loss over the batch: G's clip then binds on 64 times the gradient.
    "seqgan_summed": Method("SeqGAN, PG loss summed over the batch (as released)", f"{_SEQGAN}:seqgan_round",
                            uses_d=True, paper=8.736, overrides={"method": "seqgan", "pg_loss": "sum"}, color="m",
                            variant=True),
    # Controls (train/controls.py): SeqGAN with D's information taken out of the reward. Not rows of the paper.
    "constant_reward": Method("Control: constant reward Q = 2", f"{_CONTROLS}:constant_reward_round",
                              uses_d=False, overrides={"reward_constant": 2.0}, color="C6", control=True),
    "matched_constant": Method("Control: constant reward = SeqGAN's first-round mean",
                               f"{_CONTROLS}:matched_constant_round", uses_d=True, color="C7", control=True),
    "random_reward": Method("Control: random reward U[0, 1]", f"{_CONTROLS}:random_reward_round", uses_d=False,
                            color="C8", control=True),
    "frozen_d": Method("Control: frozen D", f"{_CONTROLS}:frozen_d_round", uses_d=True, color="C9", control=True),
    "shuffled_reward": Method("Control: rewards shuffled across the batch", f"{_CONTROLS}:shuffled_reward_round",
                              uses_d=True, color="k", control=True),
}


def config_methods() -> tuple:
    """The values Config.method may take (a row such as pg_bleu_as_run is another method's round with settings)."""
    return tuple(dict.fromkeys(m.config(name)["method"] for name, m in METHODS.items()))


def of_config(method: str) -> Method:
    """The entry whose round a Config with this `method` value runs."""
    for name, m in METHODS.items():
        if m.config(name)["method"] == method:
            return m
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(config_methods())}")


def round_function(method: str):
    """The round function of Config.method `method` (imported here, so this module needs no TensorFlow)."""
    module, name = of_config(method).round.split(":")
    return getattr(importlib.import_module(module), name)


def parse(text: str) -> list:
    """Row names from 'all' (the paper's Table 1 rows), 'controls' (MLE, SeqGAN and every control) or a comma list
    (ValueError naming any unknown one)."""
    groups = {"all": [n for n, m in METHODS.items() if not (m.control or m.variant)],
              "controls": ["mle", "seqgan", *(n for n, m in METHODS.items() if m.control)]}
    names = groups.get(text) or [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise ValueError(f"unknown method {', '.join(map(repr, unknown)) or repr(text)}; "
                         f"choose 'all', 'controls' or from {', '.join(METHODS)}")
    return names
