"""Experiments end to end, resumable: real data -> MLE -> D pretraining -> adversarial training (Algorithm 1).

Every unit of work (an MLE epoch, a D pretraining step, an adversarial round) ends with the state consistent,
so a checkpoint after any unit resumes exactly: models, the three optimizers, the random generator that
seeds every stochastic op, the progress counters and the metrics so far are all in the checkpoint.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .. import config as config_lib
from ..errors import ConfigMismatch, Diverged, Interrupted  # noqa: F401  (raised here, imported from here)
from ..metrics.nll import nll_oracle, nll_test
from ..models import Discriminator, Generator, Oracle
from . import baselines
from .adversarial import adversarial_round
from . import distribute
from .pretrain import adam, d_block, mle_epoch
from .projection import describe, measure_rates, project

# Fields that may differ between a checkpoint and the run resuming it: they do not change the numbers.
RESUMABLE_FIELDS = {"checkpoint_every", "rollout_chunk", "preset", "project_time"}
# Fields used only after pretraining (plus eval_every, which never changes the numbers): runs that differ in them
# may start from one shared pretraining checkpoint (`init_from`). D_FIELDS join them when it did no D pretraining.
ADVERSARIAL_FIELDS = {"adv_epochs", "g_steps", "d_steps", "d_epochs", "rollout_num", "rollout_policy", "rollout_beta",
                      "method", "ss_schedule", "ss_max", "bleu_n", "bleu_refs", "bleu_smoothing", "bleu_rollout_num",
                      "eval_every"}
D_FIELDS = {"pretrain_d_steps", "pretrain_d_epochs", "d_negatives", "d_precision"}
PHASES = ("pretrain_g", "pretrain_d", "adversarial")


def official_oracle_path() -> Path:
    """The authors' oracle, in ../shared/data/official_oracle/ beside the repository."""
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "official_oracle" / "target_params_py3.pkl"


def load_oracle(cfg) -> Oracle:
    """The oracle named by cfg.oracle: "official", "random" (N(0,1), seeded by oracle_seed) or a pickle path."""
    if cfg.oracle == "random":
        return Oracle.random(cfg.vocab_size, cfg.emb_dim, cfg.hidden_dim, cfg.seq_len, cfg.start_token,
                             seed=cfg.oracle_seed)
    path = official_oracle_path() if cfg.oracle == "official" else Path(cfg.oracle)
    oracle = Oracle.from_pickle(path, cfg.seq_len, cfg.start_token)
    if oracle.vocab_size != cfg.vocab_size:
        raise ValueError(f"oracle {path} has a vocabulary of {oracle.vocab_size} but vocab_size={cfg.vocab_size}")
    return oracle


def real_data_seed(cfg):
    """Seed of the synthetic "real" corpus: fixed by cfg.seed alone, so a resumed run redraws the same corpus."""
    return tf.constant([cfg.seed, 1], tf.int64)


def oracle_fingerprint(cfg) -> str:
    if cfg.oracle == "random":
        return f"random(seed={cfg.oracle_seed})"
    path = official_oracle_path() if cfg.oracle == "official" else Path(cfg.oracle)
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class State:
    """Everything a checkpoint holds."""
    cfg: config_lib.Config
    gen: Generator
    disc: Discriminator
    rollout_gen: Generator     # `gen` itself for rollout_policy="current"
    mle_opt: keras.optimizers.Optimizer
    pg_opt: keras.optimizers.Optimizer
    d_opt: keras.optimizers.Optimizer
    rng: tf.random.Generator
    done: tf.Variable          # units done per phase, int64 (3,): MLE epochs, D pretraining steps, rounds
    history: tf.Variable       # JSON of the metrics so far (tf.string)

    @classmethod
    def build(cls, cfg):
        gen = Generator.from_config_obj(cfg, seed=cfg.seed * 100 + 1)
        disc, d_opt = distribute.discriminator(cfg, seed=cfg.seed * 100 + 50)   # mirrored on several GPUs
        rollout_gen = gen
        if cfg.rollout_policy == "delayed":
            rollout_gen = Generator.from_config_obj(cfg)
            rollout_gen.set_weights(gen.get_weights())
        mle_opt, pg_opt = adam(cfg.g_lr, cfg.grad_clip), adam(cfg.g_lr, cfg.grad_clip)   # official: two Adams
        for opt, model in ((mle_opt, gen), (pg_opt, gen)):
            opt.build(model.trainable_variables)
        empty = json.dumps({"curve": [], "logs": [], "seconds": {p: 0.0 for p in PHASES}})
        return cls(cfg, gen, disc, rollout_gen, mle_opt, pg_opt, d_opt, tf.random.Generator.from_seed(cfg.seed),
                   tf.Variable(tf.zeros([3], tf.int64)), tf.Variable(empty))

    def checkpoint(self, with_rollout=True):
        items = dict(gen=self.gen, disc=self.disc, mle_opt=self.mle_opt, pg_opt=self.pg_opt, d_opt=self.d_opt,
                     rng=self.rng, done=self.done, history=self.history)
        if with_rollout and self.rollout_gen is not self.gen:
            items["rollout_gen"] = self.rollout_gen
        return tf.train.Checkpoint(**items)


@contextlib.contextmanager
def deferred_interrupt():
    """First Ctrl-C sets a flag (checked between units of work); a second one interrupts at once."""
    flag = {"set": False}
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if flag["set"]:
            raise KeyboardInterrupt
        flag["set"] = True
        tqdm.write("Ctrl-C: finishing this step, then writing a checkpoint (Ctrl-C again to abort now)")

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:      # not the main thread: no handler, Ctrl-C behaves as usual
        previous = None
    try:
        yield flag
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _median(xs):
    """Median (robust to the first round's graph tracing and to a busy machine), or None for no values."""
    return float(np.median(xs)) if xs else None


def _finite(value, phase, step):
    if not math.isfinite(value):
        raise Diverged(f"{phase} loss is {value} at step {step}; stopped, the last good checkpoint is kept")
    return value


class Experiment:
    """Runs (or resumes) MLE -> D pretraining -> adversarial training on real sequences, in `out_dir`.

    Subclasses say what the real data is (`load_real`), how the generator is scored (`score`, a dict of
    metrics for one evaluation) and what the result files hold (`summary`, `write_extra`). `adversarial_step`
    is one round of Algorithm 1, or of the baseline cfg.method names. `run()` returns the metrics dict.
    `init_from`: a directory holding a finished run of `pretrain_config(cfg, ...)` (cfg may differ from it in
    ADVERSARIAL_FIELDS, and in D_FIELDS if it did no D pretraining); a run with no checkpoint of its
    own starts from that one's, so every method of a seed shares the same MLE pretraining.
    """
    experiment = "experiment"

    def __init__(self, cfg, out_dir, progress=True, log=None, init_from=None):
        self.cfg, self.out = cfg, Path(out_dir)
        self.init_from = None if init_from is None else Path(init_from)
        self._bleu_refs = None
        self.progress = progress
        self.log = log or tqdm.write
        if cfg.deterministic:
            tf.config.experimental.enable_op_determinism()
        keras.utils.set_random_seed(cfg.seed)
        self.state = State.build(cfg)
        self.ckpt = self.state.checkpoint()
        self.manager = tf.train.CheckpointManager(self.ckpt, self.out / "checkpoints", max_to_keep=2)
        self.hist = json.loads(self.state.history.numpy())
        self.resumed_from = None
        self.last_eval = None

    # -- to override -------------------------------------------------------------------------------------
    def load_real(self):
        """The real training sequences, (N, T) int32; must be the same on every call (resume relies on it)."""
        raise NotImplementedError

    def score_generator(self, gen, epoch):
        """Metrics of generator `gen`, e.g. {"nll_oracle": ...}."""
        raise NotImplementedError

    def score(self, epoch):
        return self.score_generator(self.state.gen, epoch)

    def summary(self, curve):
        """Experiment-specific part of metrics.json."""
        return {}

    def write_extra(self):
        """Experiment-specific result files (written after metrics.json)."""

    def adversarial_step(self, real, i):
        """One round of Algorithm 1 (see train/adversarial.py) or of a baseline (train/baselines.py); its logs."""
        s, method = self.state, self.cfg.method
        if method == "mle":
            return baselines.mle_round(s, real)
        if method == "ss":
            return baselines.ss_round(s, real, i)
        if method == "pg_bleu":
            if self._bleu_refs is None:
                self._bleu_refs = baselines.bleu_references(real, self.cfg)
            return baselines.pg_bleu_round(s, self._bleu_refs)
        return adversarial_round(s, real, s.rng)

    # -- checkpoints -----------------------------------------------------------------------------------
    def restore(self):
        """Restore the latest checkpoint if there is one; refuse a different configuration."""
        latest, ckpt_dir, expected = self.manager.latest_checkpoint, self.out / "checkpoints", self.cfg
        if latest is None and self.init_from is not None:
            ckpt_dir, expected = self.init_from / "checkpoints", self.cfg
            latest = tf.train.latest_checkpoint(ckpt_dir)
            if latest is None:
                raise FileNotFoundError(f"no pretraining checkpoint in {ckpt_dir} to start from")
        if latest is None:
            return False
        # A field added after the checkpoint was written counts as its default, which keeps the old behaviour.
        defaults = json.loads(json.dumps(config_lib.Config().to_dict()))
        saved = {**defaults, **json.loads((ckpt_dir / "config.json").read_text())}
        mine = json.loads(json.dumps(expected.to_dict()))
        ignored = set(RESUMABLE_FIELDS)
        if ckpt_dir.parent != self.out:
            ignored |= ADVERSARIAL_FIELDS | (D_FIELDS if not saved["pretrain_d_steps"] else set())
            for c in (saved, mine):       # D pretraining epochs as done, though d_epochs (k) may differ
                c["pretrain_d_epochs"] = c["pretrain_d_epochs"] or c["d_epochs"]
        diff = sorted(k for k in set(saved) | set(mine) if k not in ignored and saved.get(k) != mine.get(k))
        if diff:
            raise ConfigMismatch(f"{ckpt_dir.parent} holds a checkpoint of a different config ("
                                 + ", ".join(f"{k}: {saved.get(k)!r} there, {mine.get(k)!r} now" for k in diff)
                                 + "); use another --out or delete that directory")
        # From a shared pretraining, which may have no delayed rollout copy (or have one this run lacks): the copy
        # is set from G when adversarial training starts, so restore everything else.
        ckpt = self.ckpt if ckpt_dir.parent == self.out else self.state.checkpoint(with_rollout=False)
        ckpt.restore(latest).assert_existing_objects_matched()
        self.hist = json.loads(self.state.history.numpy())
        if ckpt_dir.parent != self.out:
            self.hist.pop("projected", None)    # it projected the pretraining run's schedule, not this method's
        self.resumed_from = [int(x) for x in self.state.done.numpy()]
        self.log(f"resumed from {latest}: {dict(zip(PHASES, self.resumed_from))} units done")
        return True

    def save(self):
        self.state.history.assign(json.dumps(self.hist))
        d = self.out / "checkpoints"
        d.mkdir(parents=True, exist_ok=True)
        if not (d / "config.json").exists():
            from ..results import write_json
            write_json(d / "config.json", self.cfg.to_dict())
        self.manager.save(checkpoint_number=int(sum(self.state.done.numpy())))

    # -- evaluation ------------------------------------------------------------------------------------
    def evaluate(self, phase, epoch):
        """Score G, append to the curve and return the metrics. Scoring seeds depend on (seed, epoch) only,
        so evaluating more or less often never changes training."""
        metrics = self.score(epoch)
        self.hist["curve"].append({"phase": phase, "epoch": epoch, **metrics})
        self.last_eval = epoch
        return metrics

    def eval_seed(self, epoch):
        return tf.constant([self.cfg.seed, 10_000 + epoch], tf.int64)

    # -- the run ---------------------------------------------------------------------------------------
    def run(self):
        cfg, s = self.cfg, self.state
        self.out.mkdir(parents=True, exist_ok=True)
        self.restore()
        real = self.load_real()
        if cfg.project_time and sum(int(x) for x in s.done.numpy()) < len(PHASES) and "projected" not in self.hist:
            self.log("measuring phase speeds for a time projection (--project_time False skips this)...")
            self.hist["rates"] = measure_rates(cfg, real, lambda g: self.score_generator(g, 0))
            self.hist["projected"] = project(cfg, self.hist["rates"], int(real.shape[0]))
        if "projected" in self.hist:
            self.log(describe(self.hist["projected"]))
        n_mle, n_dpre, n_adv = cfg.pretrain_g_epochs, cfg.pretrain_d_steps, cfg.adv_epochs
        if cfg.method != "seqgan":
            n_dpre = 0                  # the baselines have no discriminator
        with deferred_interrupt() as interrupt:
            # ---- Phase 1: MLE pretraining of G ----------------------------------------------------------
            self._phase(0, n_mle, "pretrain_g", interrupt, lambda i: self._mle_epoch(real, i))
            # ---- Phase 2: D pretraining: fresh negatives, k epochs, pretrain_d_steps times -------------------
            self._phase(1, n_dpre, "pretrain_d", interrupt, lambda i: self._d_pretrain_step(real, i))
            # ---- Phase 3: adversarial training (Algorithm 1, lines 4-14) ---------------------------------------
            self._phase(2, n_adv, "adversarial", interrupt, lambda i: self._adversarial_round(real, i))
        return self.finish()

    def _phase(self, idx, total, name, interrupt, unit):
        done = int(self.state.done[idx])
        if idx == 0 and done == 0 and not self.hist["curve"]:
            self.evaluate("pretrain_g", 0)                   # the untrained G: the "Random" row of Table 1
            self.save()
        if done >= total:
            return
        bar = tqdm(total=total, initial=done, desc=name, disable=not self.progress, dynamic_ncols=True, leave=True)
        for i in range(done, total):
            t0 = time.perf_counter()
            logs = unit(i)
            self.state.done[idx].assign(i + 1)
            self.hist["seconds"][name] += time.perf_counter() - t0
            self.hist["logs"].append({"phase": name, "step": i + 1, **logs})
            bar.set_postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in logs.items()}, refresh=False)
            bar.update(1)
            last = i + 1 == total
            if last or (i + 1) % self.cfg.checkpoint_every == 0 or interrupt["set"]:
                self.save()
            if interrupt["set"] and not last:
                bar.close()
                raise Interrupted(f"stopped after {name} step {i + 1}/{total}; checkpoint written to "
                                  f"{self.out / 'checkpoints'} (run the same command again to resume)")
        bar.close()

    def _mle_epoch(self, real, i):
        s = self.state
        loss = _finite(float(mle_epoch(s.gen, s.mle_opt, real, self.cfg.batch_size, s.rng.make_seeds(1)[:, 0])),
                       "MLE pretraining", i + 1)
        logs = {"pretrain/g_nll": loss}
        if (i + 1) % self.cfg.eval_every == 0 or i + 1 == self.cfg.pretrain_g_epochs:
            logs.update({f"eval/{k}": v for k, v in self.evaluate("pretrain_g", i + 1).items()})
        return logs

    def _d_pretrain_step(self, real, i):
        s = self.state
        loss, acc = d_block(s.gen, s.disc, s.d_opt, real, self.cfg, s.rng, self.cfg.d_pretrain_epochs)
        return {"d/loss": _finite(float(loss), "D pretraining", i + 1), "d/acc": float(acc)}

    def _adversarial_round(self, real, i):
        s = self.state
        if i == 0 and s.rollout_gen is not s.gen:
            s.rollout_gen.set_weights(s.gen.get_weights())   # as released: the rollout net starts from the MLE G
        t0 = time.perf_counter()
        logs = self.adversarial_step(real, i)
        logs["time/round_s"] = time.perf_counter() - t0      # the round alone, without its evaluation
        for k, v in logs.items():
            if k.endswith("loss"):
                _finite(v, "adversarial", i + 1)
        epoch = self.cfg.pretrain_g_epochs + i + 1
        if (i + 1) % self.cfg.eval_every == 0 or i + 1 == self.cfg.adv_epochs:
            logs.update({f"eval/{k}": v for k, v in self.evaluate("adversarial", epoch).items()})
        return logs

    # -- results ---------------------------------------------------------------------------------------
    def finish(self):
        """Write metrics.json, curve.csv, logs.csv, then the experiment's own files; return the metrics."""
        from ..results import write_csv, write_json
        cfg, curve = self.cfg, self.hist["curve"]
        last_epoch = cfg.pretrain_g_epochs + cfg.adv_epochs
        if self.last_eval != last_epoch:
            # resumed after the final unit: redo the final evaluation (same seed -> same numbers)
            curve[:] = [c for c in curve if c["epoch"] != last_epoch]
            self.evaluate("adversarial" if cfg.adv_epochs else "pretrain_g", last_epoch)
        metrics = {
            "experiment": self.experiment, "preset": cfg.preset, "seed": cfg.seed,
            **self.summary(curve),
            "curve": curve,
            "seconds": {k: round(v, 2) for k, v in self.hist["seconds"].items()},
            "seconds_per_round": _median([l["time/round_s"] for l in self.hist["logs"] if "time/round_s" in l]),
            "projected_seconds": self.hist.get("projected"),
            "last_d_acc": next((l["d/acc"] for l in reversed(self.hist["logs"]) if "d/acc" in l), None),
            "resumed_from": self.resumed_from,
            "config": cfg.to_dict(),
            "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
        }
        write_csv(self.out / "curve.csv", curve)
        write_csv(self.out / "logs.csv", self.hist["logs"])
        write_json(self.out / "metrics.json", metrics)
        self.write_extra()
        return metrics


class SyntheticExperiment(Experiment):
    """The synthetic benchmark: an oracle LSTM makes the real data; quality is NLL-oracle (paper §4)."""
    experiment = "synthetic"

    def __init__(self, cfg, out_dir, progress=True, log=None, init_from=None):
        self.oracle = load_oracle(cfg)
        super().__init__(cfg, out_dir, progress, log, init_from)

    def load_real(self):
        # Held-out oracle sequences for NLL-test: G's NLL on real data, which (unlike NLL-oracle) also
        # punishes a G that drops modes, so the two together show the quality/diversity trade-off.
        self.held_out = self.oracle.sample(min(self.cfg.num_samples, 2000), tf.constant([self.cfg.seed, 2], tf.int64))
        if self.cfg.real_data:
            from ..data.corpus import load_token_ids
            real = tf.constant(load_token_ids(self.cfg.real_data, self.cfg.vocab_size, self.cfg.seq_len))
        else:
            real = self.oracle.sample(self.cfg.num_samples, real_data_seed(self.cfg))
        if not self.hist.get("real_nll_oracle"):
            self.hist["real_nll_oracle"] = float(self.oracle.nll(real))   # the floor a perfect G would reach
        return real

    def score_generator(self, gen, epoch):
        nll, self.samples, self.per_seq_nll = nll_oracle(self.oracle, gen, self.cfg.eval_samples,
                                                         self.eval_seed(epoch))
        return {"nll_oracle": nll, "nll_test": nll_test(gen, self.held_out)}

    def score(self, epoch):
        metrics = super().score(epoch)
        # Sufficient statistics of the per-sequence NLLs, so Table 1's pooled test needs no sample files.
        x = self.per_seq_nll.astype(np.float64)
        self.hist.setdefault("per_seq_nll", {})[str(epoch)] = {"n": int(x.size), "mean": float(x.mean()),
                                                               "var": float(x.var(ddof=1))}
        return metrics

    def summary(self, curve):
        cfg = self.cfg

        def at(epoch, key="nll_oracle"):
            return next((c[key] for c in curve if c["epoch"] == epoch), None)

        best = min(curve, key=lambda c: c["nll_oracle"])
        return {
            "method": cfg.method,
            "per_sequence_nll": {
                "note": "oracle NLL summed over the T tokens of each of the n samples of an evaluation; "
                        "mean and var (ddof 1) per evaluated epoch",
                **self.hist.get("per_seq_nll", {}),
            },
            "oracle": oracle_fingerprint(cfg),
            "nll_oracle": {
                "random_init": at(0),
                "after_mle": at(cfg.pretrain_g_epochs),
                "final": curve[-1]["nll_oracle"],
                "best": best["nll_oracle"], "best_epoch": best["epoch"],
                "best_adversarial": min((c["nll_oracle"] for c in curve if c["phase"] == "adversarial"),
                                        default=None),
                "real_data": self.hist["real_nll_oracle"],
                "note": "final = last evaluation; best = lowest evaluation (the paper's figure may be a best)",
            },
            "nll_test": {"random_init": at(0, "nll_test"), "after_mle": at(cfg.pretrain_g_epochs, "nll_test"),
                         "final": curve[-1]["nll_test"],
                         "note": "G's per-token NLL on held-out oracle sequences: rises when G drops modes"},
        }

    def write_extra(self):
        from .. import plots
        from ..results import atomic_write, write_samples
        write_samples(self.out / "samples.txt", self.samples)
        atomic_write(self.out / "samples_nll.txt", "".join(f"{v:.6f}\n" for v in self.per_seq_nll))
        plots.nll_curve(self.out / "metrics.json", self.out / "nll_curve.png")


# -- Table 1, Figure 3, ablations: several settings and seeds sharing each seed's pretraining ----------------
def pretrain_config(cfg, with_d=False):
    """The shared pretraining run of cfg's seed: MLE (and D pretraining if with_d), no adversarial rounds,
    with every method-specific field at its default."""
    defaults = config_lib.Config()
    method_fields = {f: getattr(defaults, f) for f in ("method", "ss_schedule", "ss_max", "bleu_n", "bleu_refs",
                                                        "bleu_smoothing", "bleu_rollout_num")}
    return dataclasses.replace(cfg, pretrain_d_steps=cfg.pretrain_d_steps if with_d else 0, adv_epochs=0,
                               **method_fields)


def run_settings(cfg, settings, seeds, root, shared="mle", progress=True, log=None):
    """Each setting {name: config overrides} for each seed into root/seed<k>/<name>. shared="mle" (or "mle+d"):
    each seed's MLE pretraining (plus D pretraining) runs once into root/seed<k>/pretrain and every setting, which
    may then override only ADVERSARIAL_FIELDS (and D_FIELDS for "mle"), starts from it; shared=None: every setting
    runs from scratch. Every run resumes from its own checkpoint. Returns {(seed, name): metrics}."""
    if shared not in ("mle", "mle+d", None):
        raise ValueError(f"shared must be 'mle', 'mle+d' or None, got {shared!r}")
    root, results = Path(root), {}
    for seed in seeds:
        seed_cfg = dataclasses.replace(cfg, seed=seed)
        pre_dir = root / f"seed{seed}" / "pretrain" if shared else None
        if shared:
            SyntheticExperiment(pretrain_config(seed_cfg, shared == "mle+d"), pre_dir, progress, log).run()
        for name, overrides in settings.items():
            s_cfg = config_lib.replace(seed_cfg, **overrides)
            results[seed, name] = SyntheticExperiment(s_cfg, root / f"seed{seed}" / name, progress, log,
                                                      init_from=pre_dir).run()
    return results


def run_methods(cfg, methods, seeds, root, progress=True, log=None):
    """Table 1: each method from each seed's shared MLE pretraining, into root/seed<k>/<method>."""
    return run_settings(cfg, {m: {"method": m} for m in methods}, seeds, root, progress=progress, log=log)
