"""Experiments on a real corpus (paper §5: poems, Table 2; music, Table 4; your own text): the NLL-test curve, and
generated samples scored by a metric set at the two points the tables compare.

`CorpusTask` runs the same resumable schedule as the synthetic one on a `PreparedCorpus`. The curve metric is
NLL-test (cheap, every eval_every). At the end of MLE pretraining ("mle") and of adversarial training ("seqgan") it
also generates as many samples as the test set, scores them with `metrics` (default: metrics/corpus_metrics.text_metrics
against the test set) and keeps those samples and G's weights. MLE and NLL-test see the padding of a
variable-length corpus (every position of the fixed-length sequence, as the released code trains): G must learn
where a line ends and that nothing follows, and the near-certain end -> end steps make the per-token NLL lower than
a per-word one would be.
"""
from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import tensorflow as tf

from .. import config as config_lib
from ..metrics.bleu import ReferenceBLEU
from ..metrics.corpus_metrics import text_metrics
from ..metrics.nll import nll_test, sample_many
from ..results import MODELS, atomic_write, read_json, read_samples, seed_metrics, write_json, write_samples
from .executors import Sequential
from .sweep import seeds_graph, settings_graph
from ..train.run import eval_seed, run


def configure(cfg, data):
    """cfg with the sizes the corpus dictates: vocabulary, sequence length, the end token's id (variable-length
    corpora), and as many negatives per d-step as there are training sequences (the official rule). D windows
    longer than the sequences are dropped: a convolution cannot be wider than its input."""
    if len(data.train) < cfg.batch_size:
        raise ValueError(f"only {len(data.train)} training sequences, fewer than batch_size {cfg.batch_size}")
    windows = [(w, n) for w, n in zip(cfg.d_filter_sizes, cfg.d_num_filters) if w <= data.seq_len]
    if not windows:
        raise ValueError(f"every D window {cfg.d_filter_sizes} is longer than the sequences ({data.seq_len} tokens)")
    return config_lib.replace(cfg, vocab_size=len(data.vocab), seq_len=data.seq_len, num_samples=len(data.train),
                              end_token=-1 if data.end is None else int(data.vocab.index[data.end]),
                              d_filter_sizes=tuple(w for w, _ in windows), d_num_filters=tuple(n for _, n in windows))


# What each kind of corpus is called in metrics.json, its samples' file name, and how samples are separated there.
KINDS = {"poems": ("corpus", "poems", "\n\n"),          # quatrains (Table 2)
         "tunes": ("music", "tunes", "\n\n"),           # Nottingham tunes (Table 4): pass metrics=MusicMetrics
         "speeches": ("speeches", "speeches", "\n"),     # Obama speeches (Table 3): pass metrics=ProtocolMetrics
         "text": ("text", "text", "\n")}                 # your own text (`python -m seqgan_tf train`)


def scoring(kind, data, cfg):
    """(metrics, render) of the paper's corpus experiment `kind` on its prepared `data`: "poems" (Table 2),
    "speeches" (Table 3), "tunes" (Table 4) -- what its runs are scored with and how their samples are written."""
    from ..data import poetry, speeches
    from ..metrics.corpus_metrics import MusicMetrics, PoemMetrics, ProtocolMetrics
    if kind == "poems":
        return PoemMetrics(data, cfg.split_seed), poetry.render
    if kind == "speeches":
        return ProtocolMetrics(data, cfg.split_seed), speeches.render
    if kind == "tunes":
        return MusicMetrics(data.test), " ".join
    raise ValueError(f"unknown corpus experiment {kind!r}; choose poems, speeches or tunes")


def seed_runs(cfg, seeds, out, kind, data, metrics, parse, executor=None, rescore_only=False, lm_scores=False):
    """The plain run (MLE, then SeqGAN) of each seed into out/seed<k>: trained or resumed with `executor`, or with
    rescore_only their kept samples scored again with `metrics` (no training; `parse` reads a sample back as its
    tokens); with lm_scores their LM and reverse-LM scores added. Returns (the runs' metrics, the real row's LM
    scores or {})."""
    if rescore_only:
        runs = rescore(out, metrics, parse, kind)
    else:
        runs = list((executor or Sequential())(seeds_graph(cfg, seeds, out, kind, data=str(data.path))).values())
    if lm_scores:
        runs = add_lm_scores(out, data, parse, kind)
    return runs, real_lm_scores(out)


def run_methods(cfg, names, seeds, out, kind, data, executor=None):
    """Each method of `names` (seqgan_tf/methods.py: SeqGAN, the controls, ...) trained on the corpus from each
    seed's shared MLE pretraining (out/seed<k>/pretrain, whose G is the MLE row) into out/seed<k>/<method>, the G
    after its rounds kept and scored as a plain run's "seqgan" model (report/corpus_tables.py:write_methods makes
    the table)."""
    from ..methods import METHODS
    runs = settings_graph(cfg, {n: METHODS[n].config(n) for n in names}, seeds, out, task=kind,
                          data=str(data.path))
    (executor or Sequential())(runs)


class CorpusTask:
    """A real corpus as a task for train/run.py: `data` (a corpus.PreparedCorpus) is the real data, NLL-test the
    curve. At the end of MLE pretraining ("mle") and of the rounds ("seqgan") it also generates as many samples as
    the test set, scores them with `metrics(list of token lists) -> dict` (default: BLEU and Self-BLEU against the
    test set) and keeps them (`<model>_<kind>.txt`, each rendered by `render(tokens)`) with G's weights."""
    keep_best = None

    def __init__(self, cfg, data, render=" ".join, metrics=None, kind="poems"):
        if (cfg.vocab_size, cfg.seq_len) != (len(data.vocab), data.seq_len):
            raise ValueError("cfg does not match the corpus: build it with "
                             "experiments.corpus_experiments.configure(cfg, data)")
        if kind not in KINDS:
            raise ValueError(f"unknown corpus kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.cfg, self.data, self.render = cfg, data, render
        self.name, self.text_name, self.text_sep = KINDS[kind]
        self.test = data.encoded("test")
        if metrics is None:
            references = ReferenceBLEU(data.unpadded("test"), max_n=4)
            metrics = lambda hyps: text_metrics(hyps, references)   # noqa: E731
        self.metrics = metrics

    def real_data(self, cfg, hist=None):
        return tf.constant(self.data.encoded("train"))

    def score(self, gen, epoch):
        return {"nll_test": nll_test(gen, self.test)}

    def evaluate(self, gen, epoch, hist, out):
        metrics = self.score(gen, epoch)
        ends = {"mle": self.cfg.pretrain_g_epochs, "seqgan": self.cfg.pretrain_g_epochs + self.cfg.adv_epochs}
        for model in (m for m in MODELS if ends[m] == epoch):
            hist.setdefault("models", {})[model] = {**metrics, **self.keep_model(gen, model, epoch, out)}
        return metrics

    def keep_model(self, gen, model, epoch, out):
        """Generate, score and save `model`'s samples and weights (seeded by (seed, epoch): a resumed run rewrites
        the same files). The metrics go into the checkpointed history, so they survive a resume."""
        n = self.cfg.bleu_samples or len(self.data.test)
        ids = sample_many(gen, n, eval_seed(self.cfg, epoch))
        hyps = [self.data.decode(row) for row in ids]
        write_samples(out / f"{model}_samples.txt", ids)
        atomic_write(out / f"{model}_{self.text_name}.txt", self.text_sep.join(map(self.render, hyps)) + "\n")
        tmp = out / f".{model}_generator.tmp{os.getpid()}.weights.h5"   # Keras insists on this suffix
        gen.save_weights(tmp)
        os.replace(tmp, out / f"{model}_generator.weights.h5")
        return {"epoch": epoch, "n_generated": n, **self.metrics(hyps)}

    def summary(self, cfg, curve, hist):
        best = min(curve, key=lambda c: c["nll_test"])
        return {
            "data": self.data.stats,
            "models": hist["models"],
            "nll_test": {"random_init": curve[0]["nll_test"], "final": curve[-1]["nll_test"],
                         "best": best["nll_test"], "best_epoch": best["epoch"]},
        }

    def write_extra(self, out):
        pass


def rescore(out_dir, metrics, parse, text_name="poems"):
    """Score every seed's kept samples (<out_dir>/seed<k>/<model>_<text_name>.txt) again with `metrics`, without
    training: each metrics.json's models get the new values (NLL-test and the rest stay). `parse` reads one kept
    sample back as the tokens it was rendered from (poetry.unrender, speeches.unrender). Returns the runs."""
    sep = {name: sep for _, name, sep in KINDS.values()}[text_name]      # as CorpusTask wrote them
    runs = []
    for path in seed_metrics(out_dir):
        run = read_json(path)
        for model in MODELS:
            hyps = [parse(t) for t in read_samples(path.parent, model, text_name, sep)]
            run["models"][model].update(metrics(hyps))
        write_json(path, run)
        runs.append(run)
    if not runs:
        raise FileNotFoundError(f"no seed<k>/metrics.json under {out_dir} to score again")
    return runs


REAL_LM_SCORES = "real_lm_scores.json"      # the real-vs-real LM scores of a corpus experiment's table


def add_lm_scores(out_dir, data, parse, text_name="poems", recipe=None):
    """LM and reverse-LM scores (metrics/lm_score.py) of every seed's kept samples, added to its metrics.json
    (`lm_score`, `reverse_lm_score` of each model; the other values stay), and of the real data, written to
    <out_dir>/real_lm_scores.json for the table's real row. Trains one LM on the training data, one on each kept
    sample set and one on as many real training sequences. `parse` reads a kept sample back as its tokens, which
    are encoded as G generated them (a variable-length corpus: padded with its end token). Returns the runs."""
    from ..metrics.lm_score import Recipe
    recipe = recipe or Recipe()
    sep = {name: sep for _, name, sep in KINDS.values()}[text_name]
    T, end = data.seq_len, data.end

    def encode(tokens):
        return data.vocab.encode((list(tokens) + [end] * T)[:T] if end else tokens)

    paths = seed_metrics(out_dir)
    if not paths:
        raise FileNotFoundError(f"no seed<k>/metrics.json under {out_dir} to score")
    scorer = lm_scorer(data, recipe)
    runs = []
    for path in paths:
        run_ = read_json(path)
        for model in MODELS:
            kept = [encode(parse(t)) for t in read_samples(path.parent, model, text_name, sep)]
            run_["models"][model].update(scorer(kept, f"seed {run_['seed']}'s {model} samples"))
            print(f"seed {run_['seed']} {model}: LM score {run_['models'][model]['lm_score']:.4f}, "
                  f"reverse-LM score {run_['models'][model]['reverse_lm_score']:.4f}", flush=True)
        write_json(path, run_)
        runs.append(run_)
    n = runs[0]["models"][MODELS[0]]["n_generated"]
    write_json(Path(out_dir) / REAL_LM_SCORES, {**scorer.real(n), "n": n, "recipe": asdict(recipe)})
    return runs


def lm_scorer(data, recipe=None):
    """The LMScorer of a prepared corpus: its LM of the training data, scoring against the test data; sequences are
    ids as G generates them (a variable-length corpus: padded with its end token)."""
    from ..metrics.lm_score import LMScorer, Recipe
    return LMScorer(data.encoded("train"), data.encoded("test"), len(data.vocab),
                    end_token=None if data.end is None else int(data.vocab.encode([data.end])[0]),
                    recipe=recipe or Recipe())


def real_lm_scores(out_dir) -> dict:
    """The real row's LM and reverse-LM scores written by add_lm_scores, or {} where none were."""
    path = Path(out_dir) / REAL_LM_SCORES
    return {k: v for k, v in read_json(path).items() if k.endswith("lm_score")} if path.is_file() else {}


def poem_generators(table2_dir, out_dir, settings, cache="cache", progress=True):
    """Other generators against the LSTM on the poems: each of `settings` ({name: Config overrides}, e.g.
    {"cnn": {"generator": "cnn"}}) trained on the poems exactly as the Table-2 runs under `table2_dir` were (each
    seed's recorded config, only the overrides changed; the same data, split and metrics) into
    <out_dir>/<name>/seed<k>. The LSTM arm is those runs themselves.
    Returns {"lstm": [metrics.json of each seed], name: [...], ...} in seed order. The same call again resumes."""
    from ..data import poetry
    from ..metrics.corpus_metrics import PoemMetrics
    lstm = [read_json(p) for p in seed_metrics(table2_dir)]
    if not lstm:
        raise FileNotFoundError(f"no seed<k>/metrics.json under {table2_dir}: run reproduce/poetry_bleu.py first")
    cfgs = [config_lib.from_dict(r["config"]) for r in lstm]
    if any(c.generator != "lstm" for c in cfgs):
        raise ValueError(f"{table2_dir}: its runs are not LSTM-G runs (generator {cfgs[0].generator!r})")
    first = cfgs[0]
    data = poetry.prepare(first.corpus_source, first.corpus, cache, first.test_fraction, first.split_seed)
    metrics = PoemMetrics(data, first.split_seed)
    runs = {"lstm": lstm}
    for name, overrides in settings.items():
        runs[name] = []
        for c in cfgs:
            cfg, run_dir = config_lib.replace(c, **overrides), out_dir / name / f"seed{c.seed}"
            runs[name].append(run(cfg, CorpusTask(cfg, data, poetry.render, metrics), run_dir, progress=progress))
    return runs
