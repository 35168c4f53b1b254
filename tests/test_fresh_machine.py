"""The README's fresh-machine checks: a copy of the tracked files alone, with no data beside it and an empty home,
runs the smoke preset; the official oracle is found through $SEQGAN_DATA; with no data anywhere and no network, the
user is told in one line what to fetch from where."""
import dataclasses
import shutil
import socket
import subprocess

import pytest
from conftest import ENV, PNG, ROOT, ahead, fails, read_results, run_script

from seqgan_tf.data import sources

OFFICIAL = ROOT.parent / "shared" / "data" / "official_oracle"


def make_clone(root):
    """Every tracked file (git ls-files) copied to root, with no ../shared beside it."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split("\0")
    for path in filter(None, tracked):
        if (ROOT / path).is_file():                       # not one deleted in the working tree
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / path, root / path)
    assert not (root.parent / "shared").exists()
    return root


def fresh_env(home, **extra):
    """The session's environment without any data location or Python path, HOME an empty directory."""
    env = {k: v for k, v in ENV.items() if k not in ("SEQGAN_DATA", "SEQGAN_CACHE", "KERAS_HOME", "PYTHONPATH")}
    home.mkdir()
    return {**env, "HOME": str(home), **extra}


@ahead.job("test_a_fresh_clone_runs_the_smoke_preset", "test_the_official_oracle_is_found_through_seqgan_data")
def smoke_in_a_clone(tmp):
    """The clone, and `python reproduce/synthetic.py --preset smoke --out X` run in it."""
    clone = make_clone(tmp / "clone")
    return clone, tmp, run_script("reproduce/synthetic.py", "--preset", "smoke", "--out", tmp / "out", cwd=clone,
                                  env=fresh_env(tmp / "home"))


@ahead.job("test_the_official_oracle_is_found_through_seqgan_data")
def official_in_the_clone(tmp):
    """A tiny run on the official oracle in that clone, found through $SEQGAN_DATA (a copy of official_oracle/)."""
    if not OFFICIAL.is_dir():
        return None
    clone, _, _ = ahead.result(smoke_in_a_clone)          # done: the jobs run one at a time, in order
    shutil.copytree(OFFICIAL, tmp / "data" / "official_oracle")
    tiny = ["--preset", "smoke", "--oracle", "official", "--vocab_size", "5000", "--seq_len", "20",
            "--pretrain_g_epochs", "1", "--pretrain_d_steps", "1", "--adv_epochs", "1", "--num_samples", "256",
            "--eval_samples", "256", "--rollout_num", "2", "--checkpoint_every", "1000"]
    return tmp, run_script("reproduce/synthetic.py", *tiny, "--out", tmp / "out", cwd=clone,
                           env=fresh_env(tmp / "home", SEQGAN_DATA=str(tmp / "data")))


def test_a_fresh_clone_runs_the_smoke_preset(smoke_run):
    """`python reproduce/synthetic.py --preset smoke --out X` in the clone: succeeds, prints the summary, draws the
    curve, downloads nothing, and gives exactly the numbers of the same run made in this process."""
    _, tmp, r = ahead.result(smoke_in_a_clone)
    out = tmp / "out"
    assert r.returncode == 0, r.stderr[-3000:]
    assert "NLL-oracle: random init" in r.stdout and f"Results in {out}/" in r.stdout
    assert (out / "nll_curve.png").read_bytes()[:8] == PNG
    assert not (tmp / "home" / ".keras" / "datasets").exists()      # nothing downloaded
    m, samples, curve = read_results(out)
    m_ref, samples_ref, curve_ref = read_results(smoke_run[0])
    assert m["curve"] == m_ref["curve"] and samples == samples_ref and curve == curve_ref    # same seed, same run


@pytest.mark.skipif(not OFFICIAL.is_dir(), reason=f"{OFFICIAL} not present")
def test_the_official_oracle_is_found_through_seqgan_data():
    """With $SEQGAN_DATA holding a copy of official_oracle/ (and nothing beside the clone), a tiny run on the official
    oracle trains and records the published pickle's sha256."""
    tmp, r = ahead.result(official_in_the_clone)
    assert r.returncode == 0, r.stderr[-3000:]
    m, _, _ = read_results(tmp / "out")
    assert m["oracle"] == "sha256:" + sources.DATASETS["oracle"].entries[0].sha256
    assert m["oracle"].startswith("sha256:5ac794a6") and m["config"]["vocab_size"] == 5000
    assert not (tmp / "home" / ".keras" / "datasets").exists()      # nothing downloaded


def test_no_data_and_no_network_is_one_line_saying_what_to_fetch(tmp_path, monkeypatch, capsys):
    """The official oracle nowhere on the machine and its URL unreachable: the script exits 2 with one line naming
    the dataset, the URL, the folder to put it in and $SEQGAN_DATA, and leaves no partial download."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                         # closed once the block ends: connections are refused
    url = f"http://127.0.0.1:{port}/target_params_py3.pkl"
    ds = sources.DATASETS["oracle"]
    monkeypatch.setitem(sources.DATASETS, "oracle",
                        dataclasses.replace(ds, entries=(dataclasses.replace(ds.entries[0], url=url),)))
    monkeypatch.setattr(sources, "SHARED", tmp_path / "no_shared")
    monkeypatch.delenv("SEQGAN_DATA", raising=False)
    monkeypatch.setenv("SEQGAN_CACHE", str(tmp_path / "cache"))
    line, _ = fails(capsys, "reproduce/synthetic.py", "--preset", "smoke", "--oracle", "official", "--vocab_size",
                    "5000", "--seq_len", "20", "--out", tmp_path / "out",
                    message="oracle: not found and the download failed")
    assert url in line and str(tmp_path / "cache" / "official_oracle") in line and "SEQGAN_DATA" in line
    assert "official_oracle/" in line
    assert not any(p.is_file() for p in (tmp_path / "cache").rglob("*"))
