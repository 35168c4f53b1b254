"""Quality against diversity at every softmax temperature (Caccia et al. 2020, "Language GANs falling short"):
saved generators are sampled with their logits × α for inverse temperatures α and scored again, without
retraining. α > 1 sharpens G (quality up, diversity down), α < 1 flattens it; α = 1 is G as trained, scored with
the sampling seed of the run's own evaluation, so it reproduces that evaluation exactly.

A model here is a name, a generator and the seed its samples are drawn with. `synthetic_models` finds the four of
one Table-1 seed directory (experiments/sweep.py's layout) and each control run there (train/controls.py: is a
control's G on MLE's temperature curve?); `text_models` the two of an own-data run.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .. import config as config_lib
from ..metrics.nll import nll_oracle, nll_test, sample_many, sequence_nll
from ..models import make_generator
from ..results import fingerprint, read_json, write_json
from ..train.run import BEST_WEIGHTS, eval_seed

# Fine near 1, where a practitioner would tune; 2 is already close to greedy decoding on the oracle task.
ALPHAS = (0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5, 2.0)
# The models of one Table-1 seed directory: (run directory, which generator of it, label).
SYNTHETIC_MODELS = {"mle_pretrained": "MLE, end of pretraining", "mle_early": "MLE, early-stopped on NLL-valid",
                    "mle": "MLE, continued", "seqgan": "SeqGAN"}


def parse_alphas(text) -> tuple:
    """'0.5,1,2' -> (0.5, 1.0, 2.0), sorted, 1 always included (the model as trained is the reference point)."""
    try:
        alphas = {float(a) for a in str(text).split(",") if a.strip()}
    except ValueError:
        raise ValueError(f"--alphas must be comma-separated numbers, got {text!r}") from None
    bad = [a for a in alphas if not (math.isfinite(a) and a > 0)]
    if bad or not alphas:
        raise ValueError(f"every inverse temperature must be a positive number, got {text!r}")
    return tuple(sorted(alphas | {1.0}))


def distinct_fraction(samples) -> float:
    """Distinct rows of samples (N, T), over N."""
    return len({row.tobytes() for row in np.ascontiguousarray(samples)}) / len(samples)


class Points:
    """A sweep's scored points, written to `path` (JSON) as each is finished, so that an interrupted sweep resumes
    where it stopped: each point is drawn and scored with its own seeds, so a resumed sweep equals an uninterrupted
    one. A point's key names everything that decides it (see `sweep`); path None keeps nothing."""

    def __init__(self, path=None):
        self.path = None if path is None else Path(path)
        self.done = {}
        if self.path is not None and self.path.is_file():
            try:
                self.done = read_json(self.path)
            except (OSError, ValueError) as e:
                raise ValueError(f"{self.path}: unreadable record of an interrupted sweep ({e}); delete it to "
                                 f"sweep from the start") from None
            if not isinstance(self.done, dict):
                raise ValueError(f"{self.path}: not a record of a sweep's points; delete it to sweep from the start")

    def get(self, key, make) -> dict:
        if key not in self.done:
            self.done[key] = make()
            if self.path is not None:
                write_json(self.path, self.done)
        return self.done[key]

    def finish(self):
        """The sweep is written in full: its record of points is no longer needed."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def sweep(gen, score, alphas, desc="", progress=True, points=None, key="") -> list:
    """[{"alpha": α, **score(gen, 1 / α)} for each α]; with `points` (Points), each point is looked up there first
    under `key` (what else decides the score: seed, sampling seed, sample count, scores taken), G's weights and α."""
    points = points or Points()
    key = json.dumps([key, fingerprint(*(w.numpy() for w in gen.weights))])   # a retrained G: other points
    with tqdm(alphas, desc=desc, leave=False, disable=not progress) as bar:     # closed on an error too
        return [points.get(f"{key} α {a!r}", lambda: {"alpha": a, **score(gen, 1.0 / a)}) for a in bar]


# -- synthetic -----------------------------------------------------------------------------------------------
def synthetic_scorer(oracle, held_out, n, seed):
    """NLL-oracle of n samples (quality), NLL-test of `held_out` under the tempered G (coverage), and the share of
    distinct samples; `seed` (2,) draws the samples."""
    def score(gen, temperature):
        samples = sample_many(gen, n, seed, temperature=temperature)
        return {"nll_oracle": float(sequence_nll(oracle, samples).mean() / samples.shape[1]),
                "nll_test": nll_test(gen, held_out, temperature=temperature),
                "distinct": distinct_fraction(samples)}
    return score


def run_config(run_dir) -> config_lib.Config:
    path = Path(run_dir) / "checkpoints" / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no checkpoints/config.json (the generators of a run are kept only in "
                                f"its checkpoints; re-run it to sweep it)")
    return config_lib.from_dict(read_json(path))


def final_generator(run_dir, cfg):
    """G at the run's latest checkpoint, which must be the end of its schedule."""
    gen = make_generator(cfg)
    latest = tf.train.latest_checkpoint(Path(run_dir) / "checkpoints")
    done = [int(x) for x in tf.train.load_variable(latest, "done/.ATTRIBUTES/VARIABLE_VALUE")]
    if done[0] != cfg.pretrain_g_epochs or done[2] != cfg.adv_epochs:
        raise ValueError(f"{run_dir} is unfinished ({done} units done); finish it first")
    tf.train.Checkpoint(gen=gen).restore(latest).expect_partial()
    return gen


def weights_generator(path, cfg):
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: missing (the run kept no best-NLL-valid weights); run it again to sweep it")
    gen = make_generator(cfg)
    gen.load_weights(str(path))
    return gen


def model_names(seed_dir):
    """The four Table-1 models, then each control that has a run in seed_dir."""
    from ..methods import METHODS
    return tuple(SYNTHETIC_MODELS) + tuple(n for n, m in METHODS.items()
                                           if m.control and (Path(seed_dir) / n / "checkpoints").is_dir())


def model_label(name):
    from ..methods import METHODS
    return SYNTHETIC_MODELS.get(name) or METHODS[name].label


def synthetic_models(seed_dir, names=None):
    """(name, generator, epoch, config) for each model of a Table-1 seed directory (default: `model_names`): the
    shared pretraining's final G, the MLE run's early-stopped and final G, SeqGAN's final G, each control's final G.
    The epoch picks the sampling seed the run used."""
    seed_dir = Path(seed_dir)
    for name in names or model_names(seed_dir):
        run = seed_dir / ("pretrain" if name == "mle_pretrained" else "mle" if name == "mle_early" else name)
        cfg = run_config(run)
        if name == "mle_early":
            early = read_json(run / "metrics.json")["early_stopped"]
            # the best evaluation's weights sit in the run that made it: the pretraining or the continued MLE
            where = seed_dir / "pretrain" if early["epoch"] <= cfg.pretrain_g_epochs else run
            yield name, weights_generator(where / BEST_WEIGHTS, cfg), early["epoch"], cfg
        else:
            yield name, final_generator(run, cfg), cfg.pretrain_g_epochs + cfg.adv_epochs, cfg


def early_stopped_samples(seed_dir):
    """The samples that scored Table 1's early-stopped MLE row of a seed directory, drawn again from the kept best
    weights with that evaluation's seed: (samples (n, T), their NLL-oracle, the NLL-oracle the run logged)."""
    from .oracle_task import load_oracle
    _, gen, epoch, cfg = next(synthetic_models(seed_dir, ("mle_early",)))
    nll, samples, _ = nll_oracle(load_oracle(cfg), gen, cfg.eval_samples, eval_seed(cfg, epoch))
    logged = read_json(Path(seed_dir) / "mle" / "metrics.json")["early_stopped"]["nll_oracle"]
    return samples, nll, logged


def write_early_stopped_samples(seed_dir):
    """<seed_dir>/mle/early_stopped_samples.txt (and its .gz) from `early_stopped_samples`, once they are shown to be
    the evaluated ones: their NLL-oracle must equal the logged value exactly (the draws depend on TensorFlow's
    thread count, so samples drawn under another one score within ~1e-3 yet are other samples); ValueError, nothing
    written, otherwise. Returns the path."""
    from ..results import gzip_copy, write_samples
    samples, nll, logged = early_stopped_samples(seed_dir)
    if nll != logged:
        raise ValueError(f"{seed_dir}: the early-stopped G's samples score NLL-oracle {nll:.7f}, the run logged "
                         f"{logged:.7f}: not the evaluated samples (was the run trained with other "
                         f"TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS?)")
    path = Path(seed_dir) / "mle" / "early_stopped_samples.txt"
    write_samples(path, samples)
    gzip_copy(path)
    return path


def synthetic_sweep(seed_dirs, alphas=ALPHAS, names=None, progress=True, log=print, points=None) -> dict:
    """The sweep of every model of every seed directory, with the real data's point, as report/quality_diversity.py
    reads it; `points` (Points) keeps each scored point, to resume an interrupted sweep."""
    from .oracle_task import held_out, load_oracle, real_data_seed
    runs, real = [], []
    for seed_dir in seed_dirs:
        oracle = test = None
        for name, gen, epoch, cfg in synthetic_models(seed_dir, names):
            if oracle is None:
                oracle = load_oracle(cfg)
                test = held_out(oracle, cfg)
                real_seqs = oracle.sample(cfg.num_samples, real_data_seed(cfg))
                # the real data's own point: the oracle's NLL of its samples and of the held-out sequences
                real.append({"seed": cfg.seed, "nll_oracle": oracle.nll(real_seqs), "nll_test": nll_test(oracle, test),
                             "distinct": distinct_fraction(real_seqs.numpy())})
            score = synthetic_scorer(oracle, test, cfg.eval_samples, eval_seed(cfg, epoch))
            key = ["synthetic", cfg.oracle, cfg.oracle_seed, cfg.seed, name, epoch, cfg.eval_samples]
            scored = sweep(gen, score, alphas, f"seed {cfg.seed} {name}", progress, points, key)
            log(f"seed {cfg.seed} {name} (epoch {epoch}): NLL-oracle {scored[0]['nll_oracle']:.3f} (α {alphas[0]}) "
                f"-> {scored[-1]['nll_oracle']:.3f} (α {alphas[-1]})")
            runs.append({"seed": cfg.seed, "model": name, "label": model_label(name), "epoch": epoch,
                         "points": scored})
    return {"dataset": "synthetic", "alphas": list(alphas), "quality": "nll_oracle", "diversity": "nll_test",
            "runs": runs, "real": real}


# -- corpora: poems, speeches, your own text ------------------------------------------------------------------
CORPUS_MODELS = {"mle": "MLE", "seqgan": "SeqGAN"}


def corpus_scorer(data, metrics, n, seed, lm=None, name="G"):
    """`metrics(hyps)` of n samples (BLEU against the references, Self-BLEU: the corpus's own metric set), NLL-test
    of the test set under the tempered G, and the share of distinct samples; with `lm` (metrics/lm_score.py's
    LMScorer) also the samples' LM and reverse-LM scores (one LM trained on the samples of each α)."""
    test = data.encoded("test")

    def score(gen, temperature):
        ids = sample_many(gen, n, seed, temperature=temperature)
        lm_scores = lm(ids, f"{name} at α {1 / temperature:g}") if lm else {}
        return {**metrics([data.decode(row) for row in ids]), "distinct": distinct_fraction(ids),
                "nll_test": nll_test(gen, test, temperature=temperature), **lm_scores}
    return score


def corpus_models(run_dir, cfg):
    """(name, label, generator, epoch) of the generators a corpus run keeps (experiments/corpus_experiments.py
    `keep_model`): a plain run's MLE and SeqGAN; in a seed directory of a methods sweep (`--methods`), the shared
    pretraining's MLE ("mle_pretrained": the method "mle" is MLE continued through the rounds) and each method's G
    after its rounds."""
    from ..methods import METHODS
    run_dir = Path(run_dir)
    if (run_dir / "pretrain").is_dir():              # a methods sweep's seed<k>/
        kept = [("mle_pretrained", SYNTHETIC_MODELS["mle_pretrained"], run_dir / "pretrain", "mle")]
        kept += [(n, SYNTHETIC_MODELS["mle"] if n == "mle" else METHODS[n].label, run_dir / n, "seqgan")
                 for n in METHODS if (run_dir / n / "metrics.json").is_file()]
    else:
        kept = [(name, label, run_dir, name) for name, label in CORPUS_MODELS.items()]
    for name, label, where, model in kept:
        epoch = read_json(where / "metrics.json")["models"][model]["epoch"]
        yield name, label, weights_generator(where / f"{model}_generator.weights.h5", cfg), epoch


def corpus_run_config(run_dir):
    """The Config of a corpus seed directory's runs (a methods sweep's: its shared pretraining's)."""
    run_dir = Path(run_dir)
    return run_config(run_dir / "pretrain" if (run_dir / "pretrain").is_dir() else run_dir)


def corpus_sweep(run_dirs, data, metrics, cfgs, alphas=ALPHAS, dataset="text", quality="bleu2", lm=None,
                 progress=True, log=print, points=None) -> dict:
    """The sweep of the generators of each corpus run (cfgs: the run's Config each), each sampled as many times as
    its own evaluation did. With `lm` (an LMScorer) every point also has its LM and reverse-LM scores, and the real
    data's point is theirs for as many real sequences (LMScorer.real). `points` (Points) keeps each scored point
    (and the real data's), to resume an interrupted sweep."""
    points = points or Points()
    corpus_key = [dataset, fingerprint(data.encoded("train")), fingerprint(data.encoded("test")), lm is not None]
    runs, real = [], []
    counts = [cfg.bleu_samples or len(data.test) for cfg in cfgs]
    for cfg, n in zip(cfgs, counts) if lm else ():
        lm.check(n, f"seed {cfg.seed}'s samples")
    for run_dir, cfg, n in zip(run_dirs, cfgs, counts):
        for name, label, gen, epoch in corpus_models(run_dir, cfg):
            score = corpus_scorer(data, metrics, n, tf.constant([cfg.seed, 10_000 + epoch], tf.int64), lm,
                                  f"seed {cfg.seed}'s {name}")
            scored = sweep(gen, score, alphas, f"seed {cfg.seed} {name}", progress, points,
                           [*corpus_key, cfg.seed, name, epoch, n])
            log(f"seed {cfg.seed} {name}: {quality} {scored[0][quality]:.3f} (α {alphas[0]}) -> "
                f"{scored[-1][quality]:.3f} (α {alphas[-1]})")
            runs.append({"seed": cfg.seed, "model": name, "label": label, "epoch": epoch,
                         "points": scored})
        if lm:
            real.append({"seed": cfg.seed, **points.get(json.dumps([*corpus_key, "real", n]), lambda: lm.real(n))})
    return {"dataset": dataset, "alphas": list(alphas), "quality": quality, "diversity": "nll_test",
            "extra_diversity": ["self_bleu2"] + (["reverse_lm_score"] if lm else []), "runs": runs, "real": real}
