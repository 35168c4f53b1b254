"""Several settings and seeds of the synthetic experiment, each seed's pretraining shared by its settings (Table 1,
Figure 3 and the studies): every run resumes from its own checkpoint, so a sweep stopped anywhere resumes."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import config as config_lib
from .studies import TABLE1
from .synthetic import SyntheticExperiment


def pretrain_config(cfg, with_d=False):
    """The shared pretraining run of cfg's seed: MLE (and D pretraining if with_d), no adversarial rounds,
    with every METHOD field at its default."""
    defaults = config_lib.Config()
    method_fields = {f: getattr(defaults, f) for f in config_lib.fields_in(config_lib.METHOD)}
    return dataclasses.replace(cfg, pretrain_d_steps=cfg.pretrain_d_steps if with_d else 0, adv_epochs=0,
                               **method_fields)


def run_settings(cfg, settings, seeds, root, shared="mle", progress=True, log=None):
    """Each setting {name: config overrides} for each seed into root/seed<k>/<name>. shared="mle" (or "mle+d"):
    each seed's MLE pretraining (plus D pretraining) runs once into root/seed<k>/pretrain and every setting, which
    may then override only ADVERSARIAL and METHOD fields (and D fields for "mle"), starts from it; shared=None:
    every setting runs from scratch. Returns {(seed, name): metrics}."""
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


def run_methods(cfg, rows, seeds, root, progress=True, log=None):
    """Table 1: each row of studies.TABLE1 named in `rows` from each seed's shared MLE pretraining, into
    root/seed<k>/<row>."""
    return run_settings(cfg, {r: TABLE1[r] for r in rows}, seeds, root, progress=progress, log=log)
