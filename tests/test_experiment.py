"""The synthetic experiment end to end: result files, their streams, exact resume after Ctrl-C and kill -9, extending
a finished run, clear one-line errors."""
import json
import os
import pickle
import shutil
import signal
import textwrap

import numpy as np
import pytest
from conftest import ROOT, ahead, copy_run, fails, jsonl, main, read_results, run_oracle, run_script, without_times
from test_models import random_params

from seqgan_tf import config
from seqgan_tf.errors import ConfigMismatch
from seqgan_tf.experiments import step_scale
from seqgan_tf.experiments.oracle_task import OracleTask
from seqgan_tf.train.run import Stream

SCRIPT = "reproduce/synthetic.py"
SMOKE = config.make("smoke")
UNITS = SMOKE.pretrain_g_epochs + SMOKE.pretrain_d_steps + SMOKE.adv_epochs      # 4 + 2 + 4


def test_smoke_run_writes_results(smoke_run):
    """A finished run's metrics.json, samples.txt and curve.csv agree with each other and with the schedule."""
    out, m = smoke_run
    _, samples, curve = read_results(out)
    cfg = m["config"]
    lines = samples.splitlines()
    assert len(lines) == cfg["eval_samples"]
    assert all(len(l.split()) == cfg["seq_len"] and all(0 <= int(x) < cfg["vocab_size"] for x in l.split())
               for l in lines)
    n = m["nll_oracle"]
    assert n["random_init"] > n["after_mle"]                       # MLE helped even in 4 tiny epochs
    assert n["final"] == m["curve"][-1]["nll_oracle"] and n["best"] <= n["final"]
    epochs = [c["epoch"] for c in m["curve"]]
    assert {0, 2, 4, 6, 8} <= set(epochs) and epochs == sorted(set(epochs)) and epochs[-1] == 8, epochs
    assert set(m["seconds"]) == {"pretrain_g", "pretrain_d", "adversarial"} and m["resumed_from"] is None
    assert curve.splitlines()[0].startswith("phase,epoch,nll_oracle,nll_test")
    assert len(curve.splitlines()) == len(epochs) + 1


def _tensorboard_scalars(directory):
    """{tag: {step: value}} of every scalar in the event files under directory."""
    import tensorflow as tf
    scalars = {}
    for path in sorted(directory.rglob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for v in event.summary.value:
                scalars.setdefault(v.tag, {})[event.step] = float(tf.make_ndarray(v.tensor))
    return scalars


def test_metrics_stream_has_one_line_per_unit_and_tensorboard_every_evaluation(smoke_run):
    """metrics.jsonl: the epoch-0 evaluation, then one record per unit in order, its evaluations those of the curve;
    TensorBoard events hold eval/nll_oracle at each evaluated epoch after training began."""
    out, m = smoke_run
    records = jsonl(out)
    assert [(r["phase"], r["step"]) for r in records] == [("pretrain_g", 0)] + [
        (p, s) for p, n in [("pretrain_g", 4), ("pretrain_d", 2), ("adversarial", 4)] for s in range(1, n + 1)]
    assert len(records) == UNITS + 1
    evaluated = {r["step"] + (4 if r["phase"] == "adversarial" else 0): r["eval/nll_oracle"]
                 for r in records if "eval/nll_oracle" in r}
    assert evaluated == {c["epoch"]: c["nll_oracle"] for c in m["curve"]}
    assert all("d/loss" in r for r in records if r["phase"] == "pretrain_d")
    assert all({"adv/g_loss", "adv/g_grad_norm", "adv/reward_mean", "d/loss", "time/round_s"} <= set(r)
               for r in records if r["phase"] == "adversarial")
    tb = _tensorboard_scalars(out / "tensorboard")
    curve = {c["epoch"]: c["nll_oracle"] for c in m["curve"] if c["epoch"] > 0}
    assert set(tb["eval/nll_oracle"]) >= set(curve)
    for epoch, value in curve.items():
        assert tb["eval/nll_oracle"][epoch] == pytest.approx(value, rel=1e-6)
    assert sorted(tb["adversarial/adv/g_loss"]) == [1, 2, 3, 4] and sorted(tb["pretrain_d/d/loss"]) == [1, 2]


def test_tensorboard_holds_the_epoch_0_evaluation(smoke_run):
    """The random-init evaluation (Table 1's Random row) is in TensorBoard like every other evaluation."""
    out, _ = smoke_run
    assert 0 in _tensorboard_scalars(out / "tensorboard")["eval/nll_oracle"]


def test_rerun_of_a_finished_run_recomputes_it_and_refuses_another_config(smoke_run, tmp_path, monkeypatch):
    """Re-running a finished run (whose config.json predates a field, at its default) resumes it and recomputes
    identical results and metrics.jsonl (no duplicate lines), still naming the machine and resume point that
    trained it, not the re-opening's; a different MODEL field, or a longer MLE phase once later phases began, is
    refused in one line naming the field."""
    out, m = smoke_run
    run = copy_run(out, tmp_path / "run")
    saved = run / "checkpoints" / "config.json"
    saved.write_text(json.dumps({k: v for k, v in json.loads(saved.read_text()).items() if k != "end_token"}))
    monkeypatch.setattr("seqgan_tf.train.run.machine", lambda: {"cpu": "Another CPU", "intra_op_threads": 7})
    again = run_oracle(SMOKE, run)
    monkeypatch.undo()
    assert again["resumed_from"] is None and again["machine"] == m["machine"] and "machines" not in again
    assert again["curve"] == m["curve"]
    assert read_results(run)[1:] == read_results(out)[1:]
    assert without_times(jsonl(run)) == without_times(jsonl(out))
    with pytest.raises(ConfigMismatch, match="end_token: -1 there, 3 now") as e:
        run_oracle(config.replace(SMOKE, end_token=3), run)
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigMismatch, match="pretrain_g_epochs: 4 there, 5 now — cannot change once"):
        run_oracle(config.replace(SMOKE, pretrain_g_epochs=5), run)


def test_a_finished_run_without_checkpoints_is_taken_as_it_is(smoke_run, tmp_path):
    """Committed results keep no checkpoints: running their command again returns the finished run untouched (no
    training, no file rewritten) rather than training it anew over its own results; another config is refused in
    one line naming the field."""
    run = copy_run(smoke_run[0], tmp_path / "run")
    shutil.rmtree(run / "checkpoints")
    before = {f.name: f.read_bytes() for f in run.iterdir() if f.is_file()}
    said = []
    assert run_oracle(SMOKE, run, log=said.append) == json.loads(before["metrics.json"])
    assert {f.name: f.read_bytes() for f in run.iterdir() if f.is_file() and f.name != ".lock"} == before
    assert not (run / "checkpoints").exists() and "taken as it is" in said[0]
    with pytest.raises(ConfigMismatch, match="is a run of another config \\(hidden_dim: 8 there, 16 here\\)") as e:
        run_oracle(config.replace(SMOKE, hidden_dim=16), run)
    assert "\n" not in str(e.value)


def test_resuming_on_other_real_data_is_refused(smoke_run, tmp_path, monkeypatch):
    """A run resumed on real data other than it trained on (a changed corpus, a corpus drawn differently) stops in
    one line rather than mixing two corpora."""
    from seqgan_tf.experiments.oracle_task import OracleTask
    run = copy_run(smoke_run[0], tmp_path / "run")
    drawn = OracleTask.real_data
    monkeypatch.setattr(OracleTask, "real_data", lambda self, cfg, hist=None: drawn(self, cfg, hist)[::-1])
    with pytest.raises(ConfigMismatch, match="trained on other real data") as e:
        run_oracle(SMOKE, run)
    assert "\n" not in str(e.value)


def test_extending_a_finished_run_equals_the_longer_run(smoke_adv2, smoke_run, tmp_path, capsys):
    """The script with a larger --adv_epochs on a finished run's --out continues it (no refusal), and the result is
    exactly the straight 4-round run: curve, samples, logged values."""
    run = copy_run(smoke_adv2[0], tmp_path / "run")
    main(SCRIPT, "--preset", "smoke", "--adv_epochs", "4", "--out", run)
    printed = capsys.readouterr().out
    assert "phase length now: adv_epochs = 4" in printed and "NLL-oracle: random init" in printed
    m, samples, curve = read_results(run)
    m_ref, samples_ref, curve_ref = read_results(smoke_run[0])
    assert m["resumed_from"] == [4, 2, 2] and m["config"]["adv_epochs"] == 4
    assert m["curve"] == m_ref["curve"] and samples == samples_ref and curve == curve_ref
    assert without_times(jsonl(run)) == without_times(jsonl(smoke_run[0]))


# A subprocess that runs the script and kills itself (kill -9) once the record of `step` has reached metrics.jsonl,
# before that unit's checkpoint: the resumed run must redo the unit and not log it twice.
KILL_AT = textwrap.dedent("""
    import os, runpy, signal, sys
    from seqgan_tf.train.run import Stream
    write = Stream.write
    def killing(self, record):
        write(self, record)
        if (record["phase"], record["step"]) == ("adversarial", {step}):
            os.kill(os.getpid(), signal.SIGKILL)
    Stream.write = killing
    sys.argv = ["synthetic.py", *{argv!r}]
    runpy.run_path({script!r}, run_name="__main__")
""")


def killed_after_round(step, argv, out):
    """The synthetic script with argv and --out out in a fresh Python, killed with -9 right after round `step` is
    logged: (out, the CompletedProcess)."""
    code = KILL_AT.format(root=str(ROOT), step=step, argv=[*argv, "--out", str(out)], script=str(ROOT / SCRIPT))
    return out, run_script("-c", code)


def _interrupt_at(monkeypatch, step):
    """Ctrl-C (a real SIGINT to this process) right after adversarial round `step` is logged."""
    write = Stream.write

    def interrupting(self, record):
        write(self, record)
        if (record["phase"], record["step"]) == ("adversarial", step):
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(Stream, "write", interrupting)


ARGV = ["--preset", "smoke"]


@ahead.job("test_kill_9_then_ctrl_c_then_resume_is_exact")
def killed_at_round_3(tmp):
    """The smoke run in a fresh Python, killed with -9 right after round 3 is logged (not checkpointed)."""
    return killed_after_round(3, ARGV, tmp / "run")


def test_kill_9_then_ctrl_c_then_resume_is_exact(smoke_run, capsys, monkeypatch):
    """Killed with -9 after round 3 is logged but not checkpointed. The same command again: round 3 redone, then
    Ctrl-C: a checkpoint, one line, exit 130. Once more, on "another machine": the final metrics, curve, samples and
    metrics.jsonl equal the uninterrupted run's (round 3 logged once), and metrics.json names both machines."""
    out, r = ahead.result(killed_at_round_3)
    argv = [*ARGV, "--out", str(out)]
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert f'"ckpt-{4 + 2 + 2}"' in (out / "checkpoints" / "checkpoint").read_text().splitlines()[0]
    assert jsonl(out)[-1]["step"] == 3 and not (out / "metrics.json").exists()     # logged, never checkpointed

    _interrupt_at(monkeypatch, 3)
    fails(capsys, SCRIPT, *argv, message="stopped after adversarial step 3/4; checkpoint written", code=130)
    monkeypatch.undo()
    index = (out / "checkpoints" / "checkpoint").read_text()
    assert f'"ckpt-{4 + 2 + 3}"' in index.splitlines()[0] and not (out / "metrics.json").exists()
    assert [r["step"] for r in jsonl(out) if r["phase"] == "adversarial"] == [1, 2, 3]

    other = {"cpu": "Another CPU", "intra_op_threads": 7}            # resumed on another machine: both are named
    monkeypatch.setattr("seqgan_tf.train.run.machine", lambda: other)
    main(SCRIPT, *argv)
    monkeypatch.undo()
    m, samples, curve = read_results(out)
    m_ref, samples_ref, curve_ref = read_results(smoke_run[0])
    assert m["resumed_from"] == [4, 2, 3] and m["machine"] == other and m["machines"] == [m_ref["machine"], other]
    assert samples == samples_ref and curve == curve_ref
    assert m["nll_oracle"] == m_ref["nll_oracle"] and m["curve"] == m_ref["curve"]
    assert without_times(jsonl(out)) == without_times(jsonl(smoke_run[0]))


def test_nan_loss_stops_with_phase_and_step_and_keeps_last_checkpoint(tmp_path, monkeypatch):
    """A NaN loss stops the run with Diverged naming phase and step; the last good checkpoint is kept."""
    import tensorflow as tf

    from seqgan_tf.errors import Diverged
    from seqgan_tf.train import seqgan
    real_epoch, calls = seqgan.mle_epoch, []

    def poisoned(*args):
        calls.append(1)
        loss = real_epoch(*args)
        return tf.constant(float("nan")) if len(calls) == 3 else loss

    monkeypatch.setattr(seqgan, "mle_epoch", poisoned)
    with pytest.raises(Diverged, match="MLE pretraining loss is nan at step 3"):
        run_oracle(SMOKE, tmp_path)
    assert tf.train.latest_checkpoint(tmp_path / "checkpoints").endswith("ckpt-2")   # epochs 1-2 kept, not 3
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
    (["--preset", "smoke", "--pg_loss", "max"], "pg_loss must be 'mean' or 'sum', got 'max'"),
    (["--preset", "smoke", "--oracle", "{tmp}/missing.pkl"], "oracle file not found"),
    (["--preset", "smoke", "--oracle", "{tmp}/corrupt.pkl"], "not a readable pickle"),
    (["--preset", "smoke", "--oracle", "{bad}"], "array 5 has shape (3, 8), expected (8, 8)"),
    (["--preset", "smoke", "--oracle", "{tmp}/vocab30.pkl"], "vocabulary of 30 but vocab_size=50"),
    (["--preset", "smoke", "--real_data", "{tmp}/none.txt"], "corpus file not found"),
    (["--preset", "smoke", "--real_data", "{tmp}/empty.txt"], "empty corpus"),
    (["--preset", "smoke", "--real_data", "{tmp}/ragged.txt"], "ragged.txt:2: expected 8 token ids, got 7"),
    (["--preset", "smoke", "--real_data", "{tmp}/words.txt"], "words.txt:1: not an integer token id: 'the'"),
    (["--preset", "smoke", "--real_data", "{tmp}/oov.txt"], "oov.txt:3: token id 50 outside the vocabulary [0, 50)"),
    (["--preset", "smoke", "--methods", "mle,gan"], "unknown method 'gan'"),
])
def test_bad_input_one_line_error_nothing_written(tmp_path, capsys, args, message):
    """Every bad option or input file: exit 2, one line naming the problem, no result files."""
    (tmp_path / "corrupt.pkl").write_bytes(b"\x80\x04garbage")
    (tmp_path / "vocab30.pkl").write_bytes(pickle.dumps(random_params()))
    (tmp_path / "empty.txt").write_text("\n  \n")
    (tmp_path / "ragged.txt").write_text("1 2 3 4 5 6 7 8\n1 2 3 4 5 6 7\n")
    (tmp_path / "words.txt").write_text("the 2 3 4 5 6 7 8\n")
    (tmp_path / "oov.txt").write_text("1 2 3 4 5 6 7 8\n" * 2 + "1 2 3 4 5 6 7 50\n")
    args = [a.format(tmp=tmp_path, bad=_bad_oracle(tmp_path)) for a in args]
    out = tmp_path / "out"
    fails(capsys, SCRIPT, *args, "--out", out, message=message)
    assert not out.exists() or not any(out.rglob("*.json"))


def test_unwritable_or_locked_output_directory(tmp_path, capsys):
    """An --out that cannot be created, or that another process is running in, is refused in one line."""
    from seqgan_tf.train import loop
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    fails(capsys, SCRIPT, "--preset", "smoke", "--out", blocker / "sub", message="cannot create output directory")
    busy = tmp_path / "busy"
    with loop.lock(busy):
        line, _ = fails(capsys, SCRIPT, "--preset", "smoke", "--out", busy, message="is in use by another process")
    assert str(busy) in line and f"pid {os.getpid()}" in line
    assert not (busy / "metrics.json").exists()


@ahead.job("test_oracle_corpus_export_is_the_training_corpus")
def oracle_corpus(tmp):
    path = tmp / "real.txt"
    return path, run_script(ROOT / "data" / "oracle_corpus.py", "--preset", "smoke", "--out", path)


def test_oracle_corpus_export_is_the_training_corpus(tmp_path):
    """data/oracle_corpus.py (in a fresh process) writes exactly the corpus a run draws, and --real_data reads it."""
    from seqgan_tf.experiments.oracle_task import load_oracle, real_data_seed
    path, r = ahead.result(oracle_corpus)
    assert r.returncode == 0, r.stderr[-1500:]
    written = np.loadtxt(path, dtype=np.int64)
    np.testing.assert_array_equal(written, load_oracle(SMOKE).sample(SMOKE.num_samples, real_data_seed(SMOKE)).numpy())
    cfg = config.replace(SMOKE, real_data=str(path))
    real = OracleTask(cfg).real_data(cfg)
    np.testing.assert_array_equal(real.numpy(), written)


def test_step_scale_of_a_finished_run(smoke_run, tmp_path, capsys):
    """On the smoke run's last checkpoint: one Adam step per round, summed norms batch times the mean's, the clipped
    fraction that of the summed norms above the clip, finite per-variable numbers; a JSON file by --out; a checkpoint
    that is not there is a one-line error."""
    out, _ = smoke_run
    cfg = json.loads((out / "checkpoints" / "config.json").read_text())
    r = step_scale.measure(out, batches=3)
    assert r["units_done"] == [cfg["pretrain_g_epochs"], cfg["pretrain_d_steps"], cfg["adv_epochs"]]
    assert r["pg_opt_steps"] == cfg["adv_epochs"] * cfg["g_steps"]
    mean, summed = np.array(r["grad_norm_mean_loss"]), np.array(r["grad_norm_summed_loss"])
    assert len(mean) == 3 and (mean > 0).all() and len(set(mean)) == 3         # three different batches
    np.testing.assert_allclose(summed, cfg["batch_size"] * mean, rtol=1e-6)
    assert r["summed_clipped_fraction"] == pytest.approx(np.mean(summed > cfg["grad_clip"]))
    assert set(r["variables"]) == {"embedding", "w_x", "w_h", "b", "w_out", "b_out"}
    for v in r["variables"].values():
        assert set(v) == {"rms_grad", "rms_sqrt_v_hat", "rms_step_over_lr"}
        assert all(np.isfinite(x) and x > 0 for x in v.values())
    step_scale.main([str(out), "--batches", "1", "--out", str(tmp_path / "s.json")])
    assert json.loads((tmp_path / "s.json").read_text())["checkpoint"] == r["checkpoint"]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        step_scale.main([str(out), "--checkpoint", "ckpt-999"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "ckpt-999" in err and "Traceback" not in err, err
