"""Shared command-line plumbing for every entry point: one parser class (either option spelling, true defaults in
--help), one-line errors, and a checked output directory under runs/ unless --out says otherwise."""
import argparse
import contextlib
import os
import sys
from pathlib import Path

from .errors import one_line
from . import config
from .experiments import executors


RUNS = Path("runs")     # default output root: git-ignored, so a run never touches the committed results/


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends "(default: X)" to an option's help unless it already states its default or has none to state."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default:" not in text and action.default not in (None, False, "", argparse.SUPPRESS)
                and action.option_strings):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse with one spelling rule: options are declared with underscores and accepted with either underscores
    or hyphens (--adv_epochs = --adv-epochs)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        return super().parse_known_args([_underscored(a) for a in args], namespace)


def _underscored(arg):
    if not arg.startswith("--") or arg == "--":
        return arg
    name, eq, value = arg[2:].partition("=")
    return "--" + name.replace("-", "_") + eq + value


@contextlib.contextmanager
def one_line_errors():
    """Known failures (bad config, bad input files, divergence, Ctrl-C, a checkpoint that cannot be written or read, a
    sweep run that failed) exit non-zero with one line: see errors.one_line for which and with what code."""
    try:
        yield
    except KeyboardInterrupt:         # a Ctrl-C outside a run's units of work (loading, scoring the data, tracing)
        print("interrupted: stopped at once; each run keeps its last checkpoint (run the same command again to "
              "resume)", file=sys.stderr)
        sys.exit(130)
    except Exception as e:
        known = one_line(e)
        if known is None:
            raise
        print(known[1], file=sys.stderr)
        sys.exit(known[0])


def output_dir(path) -> Path:
    """Create the output directory (or fail now, in one line, if it cannot be written)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PermissionError(f"cannot create output directory {path}: {e.strerror}") from None
    if not os.access(path, os.W_OK):
        raise PermissionError(f"output directory {path} is not writable")
    return path


def out_argument(parser, default):
    """--out: the directory this command writes (`default` names it in --help)."""
    parser.add_argument("--out", help=f"output directory (default: {default}; the committed reference results "
                        "are under results/, written only when --out names them)")


def study_parser(doc, study, seeds=1, preset="quick", defaults=None, from_data=()):
    """Arguments of a run-making script: --preset and every Config field (see config.add_arguments), --out (default
    runs/<study>/<preset>), --seeds N (runs seeds --seed, --seed+1, ...) and how the runs are made
    (executor_arguments)."""
    parser = Parser(description=doc)
    config.add_arguments(parser, preset, defaults, from_data)
    out_argument(parser, f"{RUNS}/{study}/<preset>")
    parser.add_argument("--seeds", type=int, default=seeds, help="how many seeds: --seed, --seed+1, ...")
    executor_arguments(parser)
    return parser


def executor_arguments(parser):
    """How a command makes its runs (experiments/executors.py, docs/cluster.md): --workers, --threads, --ray,
    --retries, --gpus_per_run."""
    group = parser.add_argument_group("running the runs in parallel (docs/cluster.md)")
    group.add_argument("--workers", type=int, default=1, help="runs at once on this machine, each a process of its "
                       "own (1: one after another in this process)")
    group.add_argument("--threads", type=int, help="TensorFlow intra- and inter-op threads per run (default: cores // "
                       "workers; with --workers 1, TensorFlow's own unless given)")
    group.add_argument("--ray", help="run on a Ray cluster: 'local' (start one on this machine), 'auto' (the cluster "
                       "this machine joined with `ray start`) or its address; needs " + executors.RAY_INSTALL)
    group.add_argument("--retries", type=int, default=2, help="times a run whose process is killed is started again "
                       "(it resumes from its checkpoint)")
    group.add_argument("--gpus_per_run", type=float, default=1.0, help="with --ray on a cluster with GPUs: the share "
                       "of a GPU each run asks for (0.25: four runs share one)")


def executor(args):
    """The executor of a command's runs from its executor_arguments (ValueError for a bad value, or --ray without
    Ray installed)."""
    return executors.make(args.workers, args.threads, args.ray, args.retries, args.gpus_per_run)


def study_setup(args, study):
    """(cfg, seeds, out dir) from a study_parser's arguments. Raises ValueError / PermissionError, so call it inside
    one_line_errors."""
    cfg = config.from_args(args)
    return cfg, seed_range(cfg, args.seeds), study_output_dir(args, study, cfg)


def study_output_dir(args, study, cfg) -> Path:
    """--out, or runs/<study>/<preset>, created (see output_dir)."""
    return output_dir(args.out or RUNS / study / cfg.preset)


# Fields a corpus sets for itself (corpus_experiments.configure): their Config values are never used there.
CORPUS_FIELDS = ("vocab_size", "seq_len", "num_samples", "end_token")


def seeds_parser(doc, preset, study, kept=None, methods=True):
    """A corpus experiment's options: study_parser's with --preset defaulting to `preset`, 3 seeds, --cache and
    --lm_scores; with `kept` (what the runs keep, e.g. "poems"), --rescore, and --methods unless not `methods`."""
    parser = study_parser(doc, study, seeds=3, preset=preset, from_data=CORPUS_FIELDS)
    parser.add_argument("--cache", default="cache", help="prepared-data directory")
    parser.add_argument("--lm_scores", action="store_true", help="also score each seed's kept samples with the LM "
                        "and reverse-LM scores (metrics/lm_score.py: trains an LM on the training data, one on each "
                        "model's samples and one on real data; minutes per seed)")
    if kept:
        parser.add_argument("--rescore", action="store_true",
                            help=f"no training: score the {kept} each seed kept in --out again (every protocol)")
    if kept and methods:
        parser.add_argument("--methods", help="several methods from each seed's shared MLE pretraining instead of one "
                            "SeqGAN run per seed: 'controls' (MLE continued, SeqGAN and the five controls) or a comma "
                            "list from seqgan_tf/methods.py; into <out>/seed<k>/<method>/, with methods.{md,csv,json}")
    return parser


def corpus_methods(args):
    """The methods a corpus command's --methods names (seqgan_tf/methods.py:parse), or None without it; ValueError
    with --rescore or --lm_scores, which read a plain run's seeds."""
    if not args.methods:
        return None
    if args.rescore or args.lm_scores:
        raise ValueError("--rescore and --lm_scores score a plain run's seeds (seed<k>/); not with --methods")
    from .methods import parse
    return parse(args.methods)


def pick(text, choices, what):
    """{name: choices[name]} for the comma list `text`, in its order (ValueError naming any unknown `what`)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in choices]
    if unknown or not names:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown)) or repr(text)}; choose from "
                         f"{', '.join(choices)}")
    return {n: choices[n] for n in names}


def seed_range(cfg, n):
    """seed, seed+1, ..., n of them (ValueError if n < 1)."""
    if n < 1:
        raise ValueError(f"--seeds must be at least 1, got {n}")
    return range(cfg.seed, cfg.seed + n)
