"""One typed config, named presets, and a command-line parser that checks every override.

Every field carries its value in the paper / the authors' released code (LantaoYu/SeqGAN,
`sequence_gan.py`), see ../shared/PAPER.md. Presets differ only in the fields they override. Longer than the
project's usual module on purpose: every knob, its paper value and its resume scope on one line, in one place.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import typing
from dataclasses import dataclass

from . import methods as methods_table


# Which runs may share a checkpoint. Every field has a scope, declared once beside it:
#   MODEL (default): changes the numbers from the first unit on; a checkpoint resumes only with the same value.
#   RUN: never changes the numbers (checkpoint cadence, memory chunking, ...): may differ on resume.
#   ADVERSARIAL / METHOD: used only after pretraining, so runs differing in them may start from one shared
#     pretraining checkpoint (METHOD fields are reset to their defaults in that shared run).
#   D: D pretraining and d-step sizes: shareable too when the shared run did no D pretraining.
# `extends` names the phase whose length the field sets: a finished (or stopped) run may be continued with a larger
# value as long as no later phase has begun (state.check_resume says why when it refuses).
MODEL, RUN, ADVERSARIAL, METHOD, D = "model", "run", "adversarial", "method", "d"
PHASES = ("pretrain_g", "pretrain_d", "adversarial")


def _f(default, scope=MODEL, extends=None):
    return dataclasses.field(default=default, metadata={"scope": scope, "extends": extends})


@dataclass(frozen=True)
class Config:
    preset: str = _f("paper", RUN)
    # --- synthetic data: the oracle LSTM and its corpus ---
    oracle: str = "official"      # "official" (authors' pickle), "random" (fresh N(0,1) LSTM), or a pickle path
    oracle_seed: int = 0          # seed of a "random" oracle (paper recipe: all parameters N(0,1))
    real_data: str = ""           # "" draws the real corpus from the oracle; or a file of token ids, one sequence
                                  # a line (the official real_data.txt format, see data/oracle_corpus.py)
    vocab_size: int = 5000        # official vocab_size
    seq_len: int = 20             # official SEQ_LENGTH
    start_token: int = 0          # official START_TOKEN
    end_token: int = -1           # -1: fixed-length data (the paper). Own corpora: the <eos> id that ends and pads
                                  # every line; sampling emits only it after the first one (set from the data)
    num_samples: int = 10000      # official generated_num: real training sequences drawn from the oracle
    eval_samples: int = 10000     # sequences G generates for each NLL-oracle evaluation
    # --- generator G ---
    generator: str = "lstm"       # "lstm" (the paper's) or "cnn" (models/cnn.py: width emb_dim)
    emb_dim: int = 32             # official EMB_DIM
    hidden_dim: int = 32          # official HIDDEN_DIM (LSTM only)
    cnn_kernel: int = 3           # CNN G: kernel width and the dilation of each gated layer
    cnn_dilations: tuple = (1, 2, 4, 8)
    g_init_std: float = 0.1       # official generator init: N(0, 0.1^2) for every parameter
    g_lr: float = 0.01            # Adam, both MLE and policy-gradient steps
    grad_clip: float = 5.0        # global-norm clip, both phases
    batch_size: int = 64          # official BATCH_SIZE (G and D)
    pretrain_g_epochs: int = _f(120, extends="pretrain_g")   # official PRE_EPOCH_NUM
    eval_every: int = _f(5, ADVERSARIAL)   # NLL-oracle every 5 MLE epochs / adversarial rounds
    # --- discriminator D (highway CNN) ---
    d_emb_dim: int = 64
    d_filter_sizes: tuple = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20)
    d_num_filters: tuple = (100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160)
    d_dropout_keep: float = 0.75
    d_l2: float = 0.2             # lambda on L2 of the output layer (weights and bias)
    d_lr: float = 1e-4
    pretrain_d_steps: int = _f(50, D, extends="pretrain_d")  # official: 50 x (fresh negatives, d_epochs epochs)
    d_epochs: int = _f(3, ADVERSARIAL)     # k in the paper: epochs per d-step
    pretrain_d_epochs: int = _f(0, D)      # epochs per D pretraining step; 0 = d_epochs (official: 3 = k). Figure
                                           # 3's panels vary k after one shared D pretraining, so the two may differ
    d_negatives: int = _f(0, D)            # negatives per d-step; 0 means num_samples (official: same as positives)
    d_precision: str = _f("float32", D)    # D's convolutions and highway in "float32" or "bfloat16" (weights, output
                                           # layer and loss stay float32); see python -m bench --variants
    # --- adversarial training (Algorithm 1) ---
    adv_epochs: int = _f(200, ADVERSARIAL, extends="adversarial")   # official TOTAL_BATCH; earlier code: 800
    g_steps: int = _f(1, ADVERSARIAL)
    d_steps: int = _f(5, ADVERSARIAL)
    rollout_num: int = _f(16, ADVERSARIAL)   # N Monte-Carlo completions per prefix; 0 = no rollout (ablation):
                                             # every step's reward is the terminal score D(Y_1:T)
    rollout_policy: str = _f("current", ADVERSARIAL)   # "current": rollouts sample the live G (what the released
                                             # code computes); "delayed": a copy updated w_r <- beta w_r + (1-beta) w_g
                                             # (what it intended)
    rollout_beta: float = _f(0.8, ADVERSARIAL)   # update rate of the delayed copy
    pg_loss: str = _f("mean", ADVERSARIAL)   # policy-gradient loss over the batch: "mean" (eq. 8 per sequence) or
                                             # "sum" (as released: grad_clip then binds on batch_size times the
                                             # gradient; Adam itself does not see the scale)
    rollout_chunk: int = _f(4096, RUN)     # rows per D call inside the rollout graph (bounds memory; same results)
    # --- Table 1 methods: what replaces the adversarial round (train/baselines.py); all start from one MLE run ---
    method: str = _f("seqgan", METHOD)     # "seqgan", "mle" (continued MLE epochs), "ss" (scheduled sampling),
                                           # "ss_as_run" (the earlier code's SS as it ran), "pg_bleu", or a
                                           # control of train/controls.py (seqgan_tf/methods.py lists them all)
    adv_lr: float = _f(0.0, METHOD)        # Adam lr of the rounds (PG / MLE / SS steps); 0 = g_lr. Earlier code's
                                           # baselines: 1e-3
    ss_schedule: str = _f("linear", METHOD)  # how ε = P(feed G's own sample) rises over the rounds: "linear",
                                           # "exponential" (fast start) or "inverse_sigmoid" (slow start); earlier
                                           # code: linear
    ss_max: float = _f(0.6, METHOD)        # ε reached in the last round (earlier code: P(true token) 1.0 -> 0.4)
    bleu_n: int = _f(3, METHOD)            # PG-BLEU reward: sentence BLEU-n, uniform weights (earlier code: BLEU-3)
    bleu_refs: float = _f(0.4, METHOD)     # fraction of the real sequences used as references (earlier code: 40%)
    bleu_smoothing: str = _f("none", METHOD)   # "none" (today's nltk method0), "method1", or "legacy": nltk < 3.3,
                                           # which skipped orders without a match (what the earlier code ran)
    bleu_rollout_num: int = _f(0, METHOD)  # MC completions per prefix; 0 = rollout_num as SeqGAN (earlier code: 1)
    reward_constant: float = _f(2.0, METHOD)   # the "constant_reward" control's reward (train/controls.py)
    # --- run ---
    seed: int = 88                # official SEED
    checkpoint_every: int = _f(1, RUN)     # checkpoint after every N epochs / d-steps / rounds (and at phase ends)
    project_time: bool = _f(True, RUN)     # time each phase briefly before training and print the projected total
    tensorboard: bool = _f(True, RUN)      # also write every logged value as TensorBoard events (<out>/tensorboard)
    deterministic: bool = False   # tf op determinism (exact resume / same-seed equality; somewhat slower)
    # --- real-data corpora (poems, paper §5 / Table 2); vocab_size, seq_len, num_samples come from the data ---
    corpus: str = ""              # corpus path; "" = the experiment's dataset, found by data/sources.py
    corpus_source: str = "shi"    # poems: "shi" (shi.txt layout or plain lines), "chinese-poetry" (npm package)
    test_fraction: float = 0.1    # held-out share of the fixed-seed split (paper: not published)
    split_seed: int = 0           # split seed, separate from `seed`: every training seed sees one test set
    bleu_samples: int = 0         # sequences generated per model for BLEU / Self-BLEU; 0 = as many as the test set
    # --- music (Nottingham, Table 4): MIDI -> melody pitch every midi_step s -> windows of midi_len tokens ---
    midi_step: float = 0.4        # paper: pitch sampled every 0.4 s
    midi_len: int = 32            # paper: sequences of 32

    @property
    def n_negatives(self) -> int:
        return self.d_negatives or self.num_samples

    @property
    def d_pretrain_epochs(self) -> int:
        return self.pretrain_d_epochs or self.d_epochs

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def fields_in(*scopes) -> set:
    """Names of the Config fields of these scopes."""
    return {f.name for f in dataclasses.fields(Config) if f.metadata.get("scope", MODEL) in scopes}


def extends(name):
    """The phase whose length field `name` sets (see the scopes above), or None."""
    return Config.__dataclass_fields__[name].metadata.get("extends")


SS_SCHEDULES = ("linear", "exponential", "inverse_sigmoid")

PRESETS = {
    "paper": Config(preset="paper"),
    # Chosen by measurement to show SeqGAN improving on its MLE start in minutes on 2 CPU cores; the D is the
    # paper's, trained on far fewer samples (docs/report.md, "Setup").
    "quick": Config(preset="quick", pretrain_g_epochs=40, pretrain_d_steps=10, d_negatives=5000, d_epochs=1,
                    adv_epochs=40, d_steps=1),
    # Poems (reproduce/poetry_bleu.py's default): the paper's models, a schedule shortened to fit a seed in well
    # under an hour on 2 CPU cores (the paper schedule prints its projection: many times that).
    "poetry": Config(preset="poetry", pretrain_g_epochs=20, pretrain_d_steps=5, d_epochs=1, d_negatives=5000,
                     adv_epochs=30, d_steps=1, rollout_num=8),
    # Speeches (reproduce/speech_bleu.py's default): the poetry schedule on ~14,500 training sentences of 21 tokens.
    "speech": Config(preset="speech", pretrain_g_epochs=20, pretrain_d_steps=5, d_epochs=1, d_negatives=5000,
                     adv_epochs=30, d_steps=1, rollout_num=8),
    # Your own corpus of a few hundred to a few thousand short lines on CPU (`python -m seqgan_tf train`'s default):
    # the paper's G, a D with the paper's small windows and fewer filters, a short schedule (docs/own_data.md: the
    # worked example's time).
    "small": Config(preset="small", pretrain_g_epochs=60, eval_every=10, d_filter_sizes=(1, 2, 3, 4, 5),
                    d_num_filters=(32, 32, 32, 32, 32), pretrain_d_steps=10, d_epochs=1, adv_epochs=20, d_steps=1,
                    rollout_num=16, batch_size=32, project_time=False),
    # Music (reproduce/music.py's default): the poetry schedule with more MLE epochs (cheap on ~4,400 training
    # windows) and as many negatives as training windows (the official rule).
    "music": Config(preset="music", pretrain_g_epochs=50, pretrain_d_steps=5, d_epochs=1, adv_epochs=30, d_steps=1,
                    rollout_num=8),
    # Seconds, for tests: a small random oracle, tiny models and schedule.
    "smoke": Config(preset="smoke", oracle="random", vocab_size=50, seq_len=8, num_samples=512,
                    eval_samples=512, emb_dim=8, hidden_dim=8, pretrain_g_epochs=4, eval_every=2,
                    d_emb_dim=8, d_filter_sizes=(1, 2, 3, 5), d_num_filters=(8, 8, 8, 8),
                    pretrain_d_steps=2, d_epochs=1, adv_epochs=4, d_steps=1, rollout_num=4,
                    rollout_chunk=1024, batch_size=32, seed=0, deterministic=True, project_time=False),
}


def _check(cfg: Config) -> Config:
    positive = ["vocab_size", "seq_len", "num_samples", "eval_samples", "emb_dim", "hidden_dim", "batch_size",
                "eval_every", "d_emb_dim", "d_epochs", "rollout_chunk", "checkpoint_every",
                "g_steps", "midi_step", "midi_len"]
    for name in positive:
        if getattr(cfg, name) <= 0:
            raise ValueError(f"{name} must be positive, got {getattr(cfg, name)}")
    for name in ["pretrain_g_epochs", "pretrain_d_steps", "pretrain_d_epochs", "adv_epochs", "d_steps", "d_negatives",
                 "bleu_samples", "rollout_num"]:
        if getattr(cfg, name) < 0:
            raise ValueError(f"{name} must be >= 0, got {getattr(cfg, name)}")
    for name in ["g_lr", "d_lr", "grad_clip", "g_init_std"]:
        if not getattr(cfg, name) > 0:
            raise ValueError(f"{name} must be positive, got {getattr(cfg, name)}")
    if not cfg.adv_lr >= 0:
        raise ValueError(f"adv_lr must be >= 0 (0: g_lr), got {cfg.adv_lr}")
    if not 0 < cfg.d_dropout_keep <= 1:
        raise ValueError(f"d_dropout_keep must be in (0, 1], got {cfg.d_dropout_keep}")
    if not 0 <= cfg.rollout_beta <= 1:
        raise ValueError(f"rollout_beta must be in [0, 1], got {cfg.rollout_beta}")
    if cfg.rollout_policy not in ("current", "delayed"):
        raise ValueError(f"rollout_policy must be 'current' or 'delayed', got {cfg.rollout_policy!r}")
    if cfg.pg_loss not in ("mean", "sum"):
        raise ValueError(f"pg_loss must be 'mean' or 'sum', got {cfg.pg_loss!r}")
    if cfg.d_precision not in ("float32", "bfloat16"):
        raise ValueError(f"d_precision must be 'float32' or 'bfloat16', got {cfg.d_precision!r}")
    methods_table.of_config(cfg.method)           # ValueError naming the choices
    if cfg.ss_schedule not in SS_SCHEDULES:
        raise ValueError(f"ss_schedule must be one of {', '.join(SS_SCHEDULES)}, got {cfg.ss_schedule!r}")
    if not 0 <= cfg.ss_max <= 1 or not 0 < cfg.bleu_refs <= 1:
        raise ValueError(f"ss_max must be in [0, 1] and bleu_refs in (0, 1], got {cfg.ss_max}, {cfg.bleu_refs}")
    if cfg.generator not in ("lstm", "cnn"):
        raise ValueError(f"generator must be 'lstm' or 'cnn', got {cfg.generator!r}")
    if cfg.cnn_kernel < 1 or not cfg.cnn_dilations or min(cfg.cnn_dilations) < 1:
        raise ValueError(f"cnn_kernel must be >= 1 and cnn_dilations positive, got {cfg.cnn_kernel}, "
                         f"{cfg.cnn_dilations}")
    if cfg.bleu_n <= 0 or cfg.bleu_rollout_num < 0 or cfg.bleu_smoothing not in ("none", "method1", "legacy"):
        raise ValueError("bleu_n must be positive, bleu_rollout_num >= 0, bleu_smoothing 'none', 'method1' or "
                         "'legacy'")
    if cfg.method == "pg_bleu" and not (cfg.bleu_rollout_num or cfg.rollout_num):
        raise ValueError("pg_bleu needs Monte-Carlo completions: set bleu_rollout_num or rollout_num > 0")
    if len(cfg.d_filter_sizes) != len(cfg.d_num_filters) or not cfg.d_filter_sizes:
        raise ValueError("d_filter_sizes and d_num_filters must be non-empty and of equal length")
    if min(cfg.d_filter_sizes) <= 0 or min(cfg.d_num_filters) <= 0:
        raise ValueError("d_filter_sizes and d_num_filters must be positive")
    if max(cfg.d_filter_sizes) > cfg.seq_len:
        raise ValueError(f"a D window ({max(cfg.d_filter_sizes)}) is longer than seq_len ({cfg.seq_len})")
    if not 0 <= cfg.start_token < cfg.vocab_size:
        raise ValueError(f"start_token {cfg.start_token} is outside the vocabulary [0, {cfg.vocab_size})")
    if cfg.end_token != -1 and not 0 <= cfg.end_token < cfg.vocab_size or cfg.end_token == cfg.start_token:
        raise ValueError(f"end_token {cfg.end_token} must be -1 (none) or an id in [0, {cfg.vocab_size}) other "
                         f"than start_token {cfg.start_token}")
    return cfg


def make(preset: str = "quick", **overrides) -> Config:
    """The named preset with `overrides` applied and checked (ValueError on a bad value)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    names = {f.name for f in dataclasses.fields(Config)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    return _check(dataclasses.replace(PRESETS[preset], **overrides))


def _convert(name: str, text: str, typ):
    """Parse a command-line value into the field's type (literal_eval, as nanoGPT's configurator)."""
    if typ is str:
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"{name}: cannot parse {text!r} as {typ.__name__}") from None
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if typ is tuple and isinstance(value, list):
        value = tuple(value)
    if typ is tuple and isinstance(value, int):
        value = (value,)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise ValueError(f"{name}: expected {typ.__name__}, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser, preset="quick", defaults=None, from_data=()) -> None:
    """--preset plus one --<field> option per Config field. --help shows what a run with no options uses: `preset`
    with the script's own `defaults` ({preset: {field: value}}, kept on the parser for from_args) applied, the
    paper's value beside it where it differs; `from_data` names fields the data sets instead."""
    parser.add_argument("--preset", default=preset, help=f"one of {', '.join(PRESETS)} (default: {preset})")
    parser.set_defaults(config_defaults=defaults or {})
    used = make(preset, **(defaults or {}).get(preset, {}))
    hints = typing.get_type_hints(Config)
    for f in dataclasses.fields(Config):
        if f.name == "preset":
            continue
        value, paper = getattr(used, f.name), getattr(PRESETS["paper"], f.name)
        shown = ("default: set from the data" if f.name in from_data else
                 f"default: {value!r}" + ("" if value == paper else f" (paper: {paper!r})"))
        parser.add_argument(f"--{f.name}", dest=f.name, default=None, metavar=hints[f.name].__name__.upper(),
                            help=shown)


def from_args(args: argparse.Namespace) -> Config:
    """Build the Config from parsed arguments: preset, then the script's own defaults for that preset (see
    add_arguments), then each --field given (ValueError if bad)."""
    hints = typing.get_type_hints(Config)
    overrides = dict(getattr(args, "config_defaults", {}).get(args.preset, {}))
    for f in dataclasses.fields(Config):
        text = getattr(args, f.name, None)
        if f.name != "preset" and text is not None:
            overrides[f.name] = _convert(f.name, text, hints[f.name])
    return make(args.preset, **overrides)


def parse(argv=None, description: str = "") -> Config:
    """Config from a command line such as `--preset smoke --adv_epochs 10`."""
    parser = argparse.ArgumentParser(description=description)
    add_arguments(parser)
    return from_args(parser.parse_args(argv))


def from_dict(saved: dict) -> Config:
    """A Config from `to_dict()` output (a run's config.json): fields this version lacks are dropped, fields the
    saved one lacks take the paper's values."""
    names = {f.name for f in dataclasses.fields(Config)}
    return replace(PRESETS["paper"], **{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()
                                        if k in names})


def replace(cfg: Config, **changes) -> Config:
    """cfg with `changes` (e.g. sizes taken from a corpus), checked like any override."""
    return _check(dataclasses.replace(cfg, **changes))
