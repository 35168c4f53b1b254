"""The synthetic experiment end to end: result files, same-seed determinism, exact resume, clear errors."""
import json
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT, last_line, run_script
from test_models import random_params

SCRIPT = ROOT / "reproduce" / "synthetic.py"


def read_results(out):
    m = json.loads((out / "metrics.json").read_text())
    return m, (out / "samples.txt").read_text(), (out / "curve.csv").read_text()


def test_smoke_script_writes_results(tmp_path):
    out = tmp_path / "smoke"
    r = run_script(SCRIPT, "--preset", "smoke", "--out", out)
    assert r.returncode == 0, r.stderr[-2000:]
    m, samples, curve = read_results(out)
    assert (out / "nll_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cfg = m["config"]
    lines = samples.splitlines()
    assert len(lines) == cfg["eval_samples"]
    assert all(len(l.split()) == cfg["seq_len"] and all(0 <= int(x) < cfg["vocab_size"] for x in l.split())
               for l in lines)
    n = m["nll_oracle"]
    assert n["random_init"] > n["after_mle"]                       # MLE helped even in 4 tiny epochs
    assert n["final"] == m["curve"][-1]["nll_oracle"] and n["best"] <= n["final"]
    epochs = [c["epoch"] for c in m["curve"]]
    assert epochs == [0, 2, 4, 6, 8], epochs                       # eval every 2 epochs/rounds + phase ends
    assert set(m["seconds"]) == {"pretrain_g", "pretrain_d", "adversarial"}
    assert curve.splitlines()[0] == "phase,epoch,nll_oracle,nll_test" and len(curve.splitlines()) == 6
    assert "NLL-oracle" in r.stdout


def test_same_seed_same_numbers_and_resume_refuses_other_config(tmp_path):
    """Two runs with one seed agree exactly; a third with a different seed does not; re-running a finished run
    recomputes identical results from its checkpoint; a different config in the same directory is refused."""
    from seqgan_tf import config
    from seqgan_tf.train.experiment import ConfigMismatch, SyntheticExperiment
    cfg = config.make("smoke", adv_epochs=2, pretrain_g_epochs=2)
    a = SyntheticExperiment(cfg, tmp_path / "a", progress=False).run()
    b = SyntheticExperiment(cfg, tmp_path / "b", progress=False).run()
    assert a["curve"] == b["curve"]
    assert (tmp_path / "a" / "samples.txt").read_text() == (tmp_path / "b" / "samples.txt").read_text()
    c = SyntheticExperiment(config.make("smoke", adv_epochs=2, pretrain_g_epochs=2, seed=1), tmp_path / "c",
                            progress=False).run()
    assert c["curve"] != a["curve"]
    again = SyntheticExperiment(cfg, tmp_path / "a", progress=False).run()
    assert again["curve"] == a["curve"] and again["resumed_from"] == [2, 2, 2]
    # a checkpoint written before a field existed resumes when the field is at its default, and only then
    saved = tmp_path / "a" / "checkpoints" / "config.json"
    old = {k: v for k, v in json.loads(saved.read_text()).items() if k != "end_token"}
    saved.write_text(json.dumps(old))
    assert SyntheticExperiment(cfg, tmp_path / "a", progress=False).run()["curve"] == a["curve"]
    with pytest.raises(ConfigMismatch, match="end_token: -1 there, 3 now"):
        SyntheticExperiment(config.replace(cfg, end_token=3), tmp_path / "a", progress=False).run()
    with pytest.raises(ConfigMismatch, match="adv_epochs: 2 there, 3 now"):
        SyntheticExperiment(config.make("smoke", adv_epochs=3, pretrain_g_epochs=2), tmp_path / "a",
                            progress=False).run()


RESUME_ARGS = ["--preset", "smoke", "--adv_epochs", "30", "--eval_every", "3"]


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    r = run_script(SCRIPT, *RESUME_ARGS, "--out", out)
    assert r.returncode == 0, r.stderr[-2000:]
    return read_results(out)


def _start_and_signal(out, sig, units_done):
    """Start a smoke run, send `sig` once `units_done` units have been checkpointed; return (returncode, stderr)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, str(SCRIPT), *RESUME_ARGS, "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    index = out / "checkpoints" / "checkpoint"
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if index.exists() and f"ckpt-{units_done}" in index.read_text():
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be signalled"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_signal_mid_adversarial_then_resume_is_exact(tmp_path, reference_run, sig):
    """kill -9 (or Ctrl-C) during adversarial training, then the same command again: the final metrics,
    curve and samples equal an uninterrupted run's byte for byte."""
    out = tmp_path / "run"
    rc, err = _start_and_signal(out, sig, 4 + 2 + 3)          # 4 MLE epochs + 2 D steps + 3 rounds done
    assert not (out / "metrics.json").exists()
    if sig == signal.SIGINT:                                 # clean stop: checkpoint, one line, exit 130
        assert rc == 130 and "checkpoint written" in last_line(err) and "Traceback" not in err, err[-1500:]
    else:
        assert rc == -signal.SIGKILL

    resumed = run_script(SCRIPT, *RESUME_ARGS, "--out", out)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    m_ref, s_ref, c_ref = reference_run
    m_res, s_res, c_res = read_results(out)
    assert m_res["resumed_from"][:2] == [4, 2] and 3 <= m_res["resumed_from"][2] < 30
    assert s_res == s_ref and c_res == c_ref
    assert m_res["nll_oracle"] == m_ref["nll_oracle"] and m_res["curve"] == m_ref["curve"]


def test_nan_loss_stops_with_phase_and_step_and_keeps_last_checkpoint(tmp_path, monkeypatch):
    import tensorflow as tf

    from seqgan_tf import config
    from seqgan_tf.train import experiment
    real_epoch, calls = experiment.mle_epoch, []

    def poisoned(*args):
        calls.append(1)
        loss = real_epoch(*args)
        return tf.constant(float("nan")) if len(calls) == 3 else loss

    monkeypatch.setattr(experiment, "mle_epoch", poisoned)
    exp = experiment.SyntheticExperiment(config.make("smoke"), tmp_path, progress=False)
    with pytest.raises(experiment.Diverged, match="MLE pretraining loss is nan at step 3"):
        exp.run()
    assert exp.manager.latest_checkpoint.endswith("ckpt-2")     # epochs 1-2 kept, epoch 3 never saved
    assert not (tmp_path / "metrics.json").exists()


def _bad_oracle(tmp_path):
    p = random_params(V=50, E=8, H=8)
    path = tmp_path / "wrong_shape.pkl"
    path.write_bytes(pickle.dumps(p[:5] + [p[5][:3]] + p[6:]))
    return path


@pytest.mark.parametrize("args, message", [
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--preset", "smoke", "--batch_size", "0"], "batch_size must be positive"),
    (["--preset", "smoke", "--adv_epochs", "-3"], "adv_epochs must be >= 0"),
    (["--preset", "smoke", "--g_lr", "fast"], "g_lr: cannot parse 'fast'"),
    (["--preset", "smoke", "--rollout_policy", "sometimes"], "rollout_policy must be"),
    (["--preset", "smoke", "--oracle", "{tmp}/missing.pkl"], "oracle file not found"),
    (["--preset", "smoke", "--oracle", "{tmp}/corrupt.pkl"], "not a readable pickle"),
    (["--preset", "smoke", "--oracle", "{bad}"], "array 5 has shape (3, 8), expected (8, 8)"),
    (["--preset", "smoke", "--oracle", "{tmp}/vocab30.pkl"], "vocabulary of 30 but vocab_size=50"),
    (["--preset", "smoke", "--real_data", "{tmp}/none.txt"], "corpus file not found"),
    (["--preset", "smoke", "--real_data", "{tmp}/empty.txt"], "empty corpus"),
    (["--preset", "smoke", "--real_data", "{tmp}/ragged.txt"], "ragged.txt:2: expected 8 token ids, got 7"),
    (["--preset", "smoke", "--real_data", "{tmp}/words.txt"], "words.txt:1: not an integer token id: 'the'"),
    (["--preset", "smoke", "--real_data", "{tmp}/oov.txt"], "oov.txt:3: token id 50 outside the vocabulary [0, 50)"),
])
def test_bad_input_one_line_error_nothing_written(tmp_path, args, message):
    (tmp_path / "corrupt.pkl").write_bytes(b"\x80\x04garbage")
    (tmp_path / "vocab30.pkl").write_bytes(pickle.dumps(random_params()))
    (tmp_path / "empty.txt").write_text("\n  \n")
    (tmp_path / "ragged.txt").write_text("1 2 3 4 5 6 7 8\n1 2 3 4 5 6 7\n")
    (tmp_path / "words.txt").write_text("the 2 3 4 5 6 7 8\n")
    (tmp_path / "oov.txt").write_text("1 2 3 4 5 6 7 8\n" * 2 + "1 2 3 4 5 6 7 50\n")
    args = [a.format(tmp=tmp_path, bad=_bad_oracle(tmp_path)) for a in args]
    out = tmp_path / "out"
    r = run_script(SCRIPT, *args, "--out", out, timeout=120)
    assert r.returncode != 0
    assert message in last_line(r.stderr), r.stderr[-1500:]
    assert "Traceback" not in r.stderr
    assert not out.exists() or not any(out.rglob("*.json"))


def test_unwritable_output_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = run_script(SCRIPT, "--preset", "smoke", "--out", blocker / "sub", timeout=120)
    assert r.returncode != 0 and "cannot create output directory" in last_line(r.stderr), r.stderr[-1500:]


def test_oracle_corpus_export_is_the_training_corpus(tmp_path):
    from seqgan_tf import config
    from seqgan_tf.train.experiment import load_oracle, real_data_seed
    r = run_script(ROOT / "data" / "oracle_corpus.py", "--preset", "smoke", "--out", tmp_path / "real.txt")
    assert r.returncode == 0, r.stderr[-1500:]
    written = np.loadtxt(tmp_path / "real.txt", dtype=np.int64)
    cfg = config.make("smoke")
    np.testing.assert_array_equal(written, load_oracle(cfg).sample(cfg.num_samples, real_data_seed(cfg)).numpy())
    # ... and --real_data reads that file back as the training corpus
    from seqgan_tf.train.experiment import SyntheticExperiment
    exp = SyntheticExperiment(config.make("smoke", real_data=str(tmp_path / "real.txt")), tmp_path / "run",
                              progress=False)
    np.testing.assert_array_equal(exp.load_real().numpy(), written)
