"""Experiments on a real corpus (paper §5: poems, Table 2; music, Table 4; your own text): the NLL-test curve, and
generated samples scored by a metric set at the two points the tables compare.

`CorpusExperiment` runs the same resumable schedule as the synthetic one on a `PreparedCorpus`. The curve metric is
NLL-test (cheap, every eval_every). At the end of MLE pretraining ("mle") and of adversarial training ("seqgan") it
also generates as many samples as the test set, scores them with `metrics` (default: metrics/corpus_metrics.text_metrics
against the test set) and keeps those samples and G's weights. MLE and NLL-test see the padding of a
variable-length corpus (every position of the fixed-length sequence, as the released code trains): G must learn
where a line ends and that nothing follows, and the near-certain end -> end steps make the per-token NLL lower than
a per-word one would be.
"""
from __future__ import annotations

import os

import tensorflow as tf

from .. import config as config_lib
from ..metrics.bleu import ReferenceBLEU
from ..metrics.corpus_metrics import text_metrics
from ..metrics.nll import nll_test, sample_many
from ..results import MODELS, atomic_write, read_json, read_samples, seed_metrics, write_json, write_samples
from .sweep import finished_run
from .base import Experiment


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


class CorpusExperiment(Experiment):
    """MLE then SeqGAN on `data` (a corpus.PreparedCorpus); `render(tokens)` formats one sample for reading, and
    the samples go to `<model>_<text_name>.txt`, separated by `text_sep`; `metrics(list of token lists) -> dict`
    scores them."""
    experiment = "corpus"
    text_name, text_sep = "poems", "\n\n"

    def __init__(self, cfg, out_dir, data, render=" ".join, progress=True, log=None, metrics=None):
        if (cfg.vocab_size, cfg.seq_len) != (len(data.vocab), data.seq_len):
            raise ValueError("cfg does not match the corpus: build it with "
                             "experiments.corpus_experiments.configure(cfg, data)")
        self.data, self.render = data, render
        self.test = data.encoded("test")
        if metrics is None:
            references = ReferenceBLEU(data.unpadded("test"), max_n=4)
            metrics = lambda hyps: text_metrics(hyps, references)   # noqa: E731
        self.metrics = metrics
        super().__init__(cfg, out_dir, progress, log)

    def load_real(self):
        return tf.constant(self.data.encoded("train"))

    def score_generator(self, gen, epoch):
        return {"nll_test": nll_test(gen, self.test)}

    def score(self, epoch):
        metrics = super().score(epoch)
        ends = {"mle": self.cfg.pretrain_g_epochs, "seqgan": self.cfg.pretrain_g_epochs + self.cfg.adv_epochs}
        for model in (m for m in MODELS if ends[m] == epoch):
            self.hist.setdefault("models", {})[model] = {**metrics, **self.keep_model(model, epoch)}
        return metrics

    def keep_model(self, model, epoch):
        """Generate, score and save `model`'s samples and weights (seeded by (seed, epoch): a resumed run rewrites
        the same files). The metrics go into the checkpointed history, so they survive a resume."""
        gen = self.state.models.gen
        n = self.cfg.bleu_samples or len(self.data.test)
        ids = sample_many(gen, n, self.eval_seed(epoch))
        hyps = [self.data.decode(row) for row in ids]
        write_samples(self.out / f"{model}_samples.txt", ids)
        atomic_write(self.out / f"{model}_{self.text_name}.txt", self.text_sep.join(map(self.render, hyps)) + "\n")
        tmp = self.out / f".{model}_generator.tmp{os.getpid()}.weights.h5"   # Keras insists on this suffix
        gen.save_weights(tmp)
        os.replace(tmp, self.out / f"{model}_generator.weights.h5")
        return {"epoch": epoch, "n_generated": n, **self.metrics(hyps)}

    def summary(self, curve):
        best = min(curve, key=lambda c: c["nll_test"])
        return {
            "data": self.data.stats,
            "models": self.hist["models"],
            "nll_test": {"random_init": curve[0]["nll_test"], "final": curve[-1]["nll_test"],
                         "best": best["nll_test"], "best_epoch": best["epoch"]},
        }


def rescore(out_dir, metrics, parse, text_name="poems"):
    """Score every seed's kept samples (<out_dir>/seed<k>/<model>_<text_name>.txt) again with `metrics`, without
    training: each metrics.json's models get the new values (NLL-test and the rest stay). Returns the runs."""
    runs = []
    for path in seed_metrics(out_dir):
        run = read_json(path)
        for model in MODELS:
            hyps = [parse(t) for t in read_samples(path.parent, model, text_name)]
            run["models"][model].update(metrics(hyps))
        write_json(path, run)
        runs.append(run)
    if not runs:
        raise FileNotFoundError(f"no seed<k>/metrics.json under {out_dir} to score again")
    return runs


class MusicExperiment(CorpusExperiment):
    """Nottingham tunes (Table 4): samples in {mle,seqgan}_tunes.txt; pass metrics=MusicMetrics(test)."""
    experiment = "music"
    text_name = "tunes"


class SpeechExperiment(CorpusExperiment):
    """Obama speeches (Table 3): one sentence a line in {mle,seqgan}_speeches.txt; pass metrics=ProtocolMetrics."""
    experiment = "speeches"
    text_name, text_sep = "speeches", "\n"


class TextExperiment(CorpusExperiment):
    """Your own text (`python -m seqgan_tf train`): one line of text per sample, in {mle,seqgan}_text.txt."""
    experiment = "text"
    text_name, text_sep = "text", "\n"


def poem_generators(table2_dir, out_dir, settings, cache="cache", progress=True):
    """Issue 20's poem pair: each of `settings` ({name: Config overrides}, e.g. {"cnn": {"generator": "cnn"}}) trained
    on the poems exactly as the Table-2 runs under `table2_dir` were (each seed's recorded config, only the overrides
    changed; the same data, split and metrics) into <out_dir>/<name>/seed<k>. The LSTM arm is those runs themselves.
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
            # A finished seed is taken as it is: its checkpoints are not committed, so running it would train it anew.
            cfg, run_dir = config_lib.replace(c, **overrides), out_dir / name / f"seed{c.seed}"
            runs[name].append(finished_run(cfg, run_dir) or CorpusExperiment(
                cfg, run_dir, data, poetry.render, progress=progress, metrics=metrics).run())
    return runs
