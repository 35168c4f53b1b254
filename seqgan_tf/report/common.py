"""What every study's summary reads from its saved runs: each run lives in <root>/seed<k>/<setting>/metrics.json
(experiments.sweep.run_settings); a study compares settings over the seeds that finished all of them. No drawing,
no TensorFlow."""
import math
from pathlib import Path

from ..metrics import stats
from ..results import read_json


def _finished(root, names):
    """{name: {seed: metrics.json path}} of the finished runs of each setting in `names` under root."""
    found = {}
    for name in names:
        ms = {int(p.parent.parent.name[4:]): p for p in Path(root).glob(f"seed*/{name}/metrics.json")
              if p.parent.parent.name[4:].isdigit()}
        if ms:
            found[name] = ms
    return found


def _common_seeds(found):
    return set.intersection(*(set(ms) for ms in found.values())) if found else set()


def collect(root, names):
    """{name: [metrics of each seed]} for the settings in `names` that have finished runs under root, over the seeds
    that have finished every one of those settings: a seed still running some setting is left out of all of them,
    so every comparison between settings is over the same seeds (`left_out` names them)."""
    found = _finished(root, names)
    common = _common_seeds(found)
    return {name: [read_json(ms[k]) for k in sorted(common)] for name, ms in found.items() if common}


def left_out(root, names):
    """Seeds with some finished run under root that `collect` leaves out (not finished in every setting)."""
    found = _finished(root, names)
    return sorted(set().union(*(set(ms) for ms in found.values())) - _common_seeds(found)) if found else []


def mean_curve(ms, phase=None, metric="nll_oracle"):
    """[[epoch, mean, std], ...] of `metric` (NLL-oracle by default) over seeds (ddof 0), at epochs every seed
    evaluated."""
    curves = [{c["epoch"]: c[metric] for c in m["curve"] if (phase is None or c["phase"] == phase) and metric in c}
              for m in ms]
    return [[int(e), float(v), float(s)] for e, v, s in zip(*stats.mean_curve(curves))]


def stat(ms, key):
    """(mean, std) over seeds of NLL-oracle at `key` ('after_mle', 'final', ...)."""
    return stats.mean_std([m["nll_oracle"][key] for m in ms])


def noise(m, e1, e2):
    """Two standard errors of the difference of two NLL-oracle evaluations of one run (per-token, from the
    per-sequence NLL statistics): a change smaller than this is evaluation noise."""
    s = [m["per_sequence_nll"].get(str(e)) for e in (e1, e2)]
    if not all(s):
        return 0.0
    return 2 * math.sqrt(sum(x["var"] / x["n"] for x in s)) / m["config"]["seq_len"]


def trend(delta, noise):
    """A change of `delta` in words, level when within `noise`."""
    if abs(delta) <= noise:
        return "stayed level"
    return "improved" if delta < 0 else "got worse"



def round_curve(ms):
    """[[adversarial round, mean, std], ...] from the end of MLE pretraining (round 0) on."""
    pre = ms[0]["config"]["pretrain_g_epochs"]
    return [[e - pre, v, s] for e, v, s in mean_curve(ms) if e >= pre]


def preset(runs):
    """The preset the runs were made with (None when there are none)."""
    return next((ms[0]["preset"] for ms in runs.values()), None)
