"""Every entry point's command line: --help shows the values a run uses, one spelling rule, one meaning per flag,
outputs under the git-ignored runs/ unless --out says otherwise."""
import json
import re
import subprocess

import pytest

from conftest import ROOT, main, script
from seqgan_tf import cli, config
from seqgan_tf.report import table1

ENTRY_POINTS = sorted(f"reproduce/{p.name}" for p in (ROOT / "reproduce").glob("*.py")) + [
    "-m seqgan_tf", "-m bench", "data/oracle_corpus.py"]
REQUIRED = {"data/oracle_corpus.py": ["--out", "x.txt"]}
FIELDS = {f for f in config.Config.__dataclass_fields__ if f != "preset"}


def parsers():
    """(entry point, parser, the arguments it needs) for every parser, subcommands included."""
    for path in ENTRY_POINTS:
        parser = script(path).build_parser()
        subs = [a for a in parser._actions if a.choices and isinstance(a.choices, dict)]
        if subs:
            for name, sub in subs[0].choices.items():
                yield f"{path} {name}", sub, []
        else:
            yield path, parser, REQUIRED.get(path, [])


PARSERS = list(parsers())


def shown(action):
    """An option's help as --help prints it (one line)."""
    text = cli.HelpFormatter("x")._get_help_string(action) % {"default": action.default}
    return " ".join(text.split())


@pytest.mark.parametrize("name,parser,needed", PARSERS, ids=[p[0] for p in PARSERS])
def test_help_shows_the_values_the_run_uses(name, parser, needed):
    """Each Config option's "default: X" is the value a run without options uses (the script's preset and its own
    schedule applied), with the paper's value beside it exactly where the two differ."""
    actions = {a.dest: a for a in parser._actions}
    if "preset" not in actions:
        return
    args = parser.parse_args(needed)
    cfg, paper = config.from_args(args), config.PRESETS["paper"]
    assert f"(default: {args.preset})" in shown(actions["preset"])
    for field in FIELDS:
        text = shown(actions[field])
        if text == "default: set from the data":
            assert field in cli.CORPUS_FIELDS
            continue
        m = re.fullmatch(r"default: (.*?)(?: \(paper: (.*)\))?", text)
        assert m, (name, field, text)
        assert m[1] == repr(getattr(cfg, field)), (name, field, text)
        differs = getattr(cfg, field) != getattr(paper, field)
        assert (m[2] == repr(getattr(paper, field))) if differs else m[2] is None, (name, field, text)


@pytest.mark.parametrize("name,parser,needed", PARSERS, ids=[p[0] for p in PARSERS])
def test_other_defaults_shown_are_the_parsers(name, parser, needed):
    for action in parser._actions:
        m = re.search(r"default: (.+?)(?:\)$|; |, |$)", shown(action))
        if m and action.default is not None and not isinstance(action.default, bool) and action.dest not in FIELDS | {
                "preset"}:
            assert m[1] == str(action.default), (name, action.dest, shown(action))


def test_one_spelling_declared_both_accepted():
    """Options are declared with underscores only; hyphens work as well, with or without '='."""
    for name, parser, _ in PARSERS:
        for option in (s for a in parser._actions for s in a.option_strings if s.startswith("--")):
            assert "-" not in option[2:], (name, option)
    args = script("reproduce/synthetic.py").build_parser().parse_args(
        ["--adv-epochs", "3", "--rollout_num=2", "--d-steps=4", "--preset", "smoke"])
    cfg = config.from_args(args)
    assert (cfg.adv_epochs, cfg.rollout_num, cfg.d_steps, cfg.preset) == (3, 2, 4, "smoke")


def test_one_meaning_per_flag():
    """--seeds is a count and --out where the command writes, in every entry point that has them; the flags that
    used to mean different things in different scripts are gone."""
    for name, parser, _ in PARSERS:
        actions = {s: a for a in parser._actions for s in a.option_strings}
        if "--seeds" in actions:
            assert actions["--seeds"].type is int, name
        if "--out" in actions:
            assert "write" in shown(actions["--out"]) or "output" in shown(actions["--out"]), name
        assert not {"--source", "--root", "--repeats"} & set(actions) or name == "-m bench", name


@pytest.mark.parametrize("path", [p for p in ENTRY_POINTS if p.startswith("reproduce/") and "figures" not in p])
def test_default_output_is_git_ignored(path):
    """Without --out nothing is written under results/: the default is runs/<experiment>/<preset>, which git
    ignores, so the committed reference results stay as they are."""
    out = next(a for a in script(path).build_parser()._actions if a.dest == "out")
    default = re.search(r"default: (.+?);", shown(out))[1]
    assert default.startswith("runs/"), (path, default)
    ignored = subprocess.run(["git", "check-ignore", "-q", re.sub("<.*>", "x", default) + "/metrics.json"],
                             cwd=ROOT)
    assert ignored.returncode == 0, f"{default} is not git-ignored"


def test_reference_line_only_for_the_same_config(tmp_path):
    """The headline run prints the committed reference beside its own numbers only when the two configs make the
    same numbers (run-only settings such as checkpointing may differ); the line names the CPU and threads."""
    cfg = config.make("quick")
    nll = {"random_init": 11.4381, "after_mle": 9.0204, "final": 8.8091, "best": 8.7672, "best_epoch": 70,
           "real_data": 5.7588}
    ref = {"nll_oracle": nll, "config": cfg.to_dict(), "machine": {"cpu": "Some CPU", "intra_op_threads": 1}}
    (tmp_path / "metrics.json").write_text(json.dumps(ref))
    mine = {"nll_oracle": {**nll, "final": 8.8}, "config": config.replace(cfg, checkpoint_every=5).to_dict()}
    line = table1.reference_line(mine, tmp_path / "metrics.json")
    assert "Some CPU, 1 thread(s)" in line
    assert ("NLL-oracle: random init 11.438, after MLE 9.020, after 40 rounds 8.809 (best 8.767 at round 30); "
            "real data 5.759") in line
    other = {**mine, "config": config.replace(cfg, adv_epochs=41).to_dict()}
    assert table1.reference_line(other, tmp_path / "metrics.json") is None
    assert table1.reference_line(mine, tmp_path / "absent.json") is None
    (tmp_path / "metrics.json").write_text(json.dumps({**ref, "machine": {
        "cpu": "AMD EPYC", "cpu_family": "25", "cpu_model": "17", "avx512": True, "intra_op_threads": 2}}))
    assert "AMD EPYC (family 25, model 17, AVX-512), 2 thread(s)" in table1.reference_line(mine, tmp_path / "metrics.json")


def test_headline_run_writes_under_runs(tmp_path, monkeypatch, capsys):
    """From a fresh directory, the headline script without --out writes runs/synthetic/<preset>/ there and ends
    with its NLL-oracle line."""
    monkeypatch.chdir(tmp_path)
    main("reproduce/synthetic.py", "--preset", "smoke", "--pretrain_g_epochs", "2", "--adv_epochs", "2")
    out = capsys.readouterr().out
    assert (tmp_path / "runs/synthetic/smoke/metrics.json").is_file()
    assert re.search(r"NLL-oracle: random init \d+\.\d{3}, after MLE .* after 2 rounds .*Results in runs/synthetic/"
                     r"smoke/", out), out[-500:]
    assert "no committed reference run with this config" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_ctrl_c_while_timing_the_projection_is_one_line(tmp_path, monkeypatch, capsys):
    """Ctrl-C during the projection's timing (before any training) exits 130 with one line, no traceback."""
    from conftest import fails
    from seqgan_tf.train import run as run_module

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "measure_rates", interrupted)
    fails(capsys, "reproduce/synthetic.py", "--preset", "smoke", "--project_time", "True", "--out", tmp_path,
          message="stopped while timing the phases for the projection", code=130)


def test_ctrl_c_while_the_run_reads_its_data_is_one_line(tmp_path, monkeypatch, capsys):
    """Ctrl-C outside a unit of work (here: while the run scores its real data, before training) exits 130 with one
    line, no traceback."""
    from conftest import fails
    from seqgan_tf.experiments import oracle_task

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(oracle_task.OracleTask, "real_data", interrupted)
    fails(capsys, "reproduce/synthetic.py", "--preset", "smoke", "--out", tmp_path,
          message="interrupted: stopped at once; each run keeps its last checkpoint", code=130)
