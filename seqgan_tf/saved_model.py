"""The saved model of `python -m seqgan_tf train`, which a later `python -m seqgan_tf sample` reads.

`save_model` writes, after training (train/run.py on experiments.corpus_experiments.CorpusTask), DIR/vocab.txt and DIR/model.json (last,
so its presence marks a finished run): the format version, the whole config, the corpus options and the weight
files the experiment already wrote ({mle,seqgan}_generator.weights.h5).
`load_model` refuses, in one line, a directory that is missing, unfinished, of another format version, or whose
weights do not fit its config. TensorFlow is imported only to build the generator, so a bad directory fails at
once.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from . import config as config_lib
from .data import corpus
from .results import write_json

FORMAT = "seqgan_tf-text-model"
# Bump when a saved directory's meaning changes (files, vocabulary specials, how ids are decoded); load_model then
# refuses older directories instead of decoding them wrongly.
FORMAT_VERSION = 1
# What a generator needs from the config; a saved config lacking one cannot be loaded.
GENERATOR_FIELDS = ("vocab_size", "emb_dim", "hidden_dim", "seq_len", "start_token", "end_token", "g_init_std")


def save_model(out, cfg, data, metrics) -> Path:
    """vocab.txt and model.json in `out`, beside the weights the run wrote; returns model.json's path."""
    out = Path(out)
    data.vocab.save(out / "vocab.txt")
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "config": cfg.to_dict(), "vocab": "vocab.txt",
            "weights": {m: f"{m}_generator.weights.h5" for m in metrics["models"]}, "corpus": data.stats,
            "metrics": metrics["models"]}
    write_json(out / "model.json", meta)
    return out / "model.json"


@dataclasses.dataclass
class SavedModel:
    cfg: config_lib.Config
    vocab: corpus.Vocabulary
    meta: dict
    path: Path

    @property
    def mode(self) -> str:
        return self.meta["corpus"]["tokenize"]

    def generator(self, model: str = "seqgan"):
        """The trained Generator `model` ("seqgan" or "mle")."""
        from .models import make_generator
        if model not in self.meta["weights"]:
            raise ValueError(f"unknown model {model!r}; {self.path} holds {', '.join(self.meta['weights'])}")
        weights = self.path / self.meta["weights"][model]
        if not weights.is_file():
            raise ValueError(f"{self.path}: weight file {weights.name} is missing")
        gen = make_generator(self.cfg)
        try:
            gen.load_weights(weights)
        except Exception as e:       # Keras raises several types, with multi-line messages
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ValueError(f"{weights}: does not fit the saved config ({first})") from None
        return gen

    def prepared_corpus(self) -> corpus.PreparedCorpus:
        """The train/test split the model was trained and scored on (kept in the run directory)."""
        found = sorted(p.parent for p in self.path.glob("data-*/stats.json"))
        if len(found) != 1:
            raise ValueError(f"{self.path}: expected one prepared corpus (data-*/), found {len(found)}")
        return corpus.load_prepared(found[0])

    def decode(self, ids) -> str:
        return corpus.detokenize(corpus.strip_end(self.vocab.decode(ids), corpus.END), self.mode)


def load_model(path) -> SavedModel:
    """The saved model in directory `path` (ValueError, one line, if it cannot be used)."""
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: no such directory")
    if not (path / "model.json").is_file():
        raise ValueError(f"{path}: no model.json (not a finished `python -m seqgan_tf train` run)")
    try:
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path / 'model.json'}: not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path / 'model.json'}: not a {FORMAT} file")
    if meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path} was saved in format version {meta.get('version')}; this seqgan_tf reads version "
                         f"{FORMAT_VERSION}: retrain it with `python -m seqgan_tf train`")
    saved = meta.get("config", {})
    missing = [k for k in GENERATOR_FIELDS if k not in saved]
    if missing:
        raise ValueError(f"{path}: saved config lacks {', '.join(missing)} (saved by another version?)")
    # Fields unknown here were added by a newer version without bumping the format, so they do not matter here.
    cfg = config_lib.from_dict(saved)
    vocab = corpus.Vocabulary.load(path / meta["vocab"])
    if len(vocab) != cfg.vocab_size or corpus.END not in vocab or vocab.index[corpus.END] != cfg.end_token:
        raise ValueError(f"{path}: {meta['vocab']} ({len(vocab)} tokens) does not match the saved config "
                         f"(vocab_size {cfg.vocab_size}, end_token {cfg.end_token})")
    return SavedModel(cfg, vocab, meta, path)
