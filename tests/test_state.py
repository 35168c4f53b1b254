"""The runner's lock and divergence check, when a checkpoint may be resumed by another config (state.check_resume,
from the scopes declared in config.py), and checkpoint faults (a full disk, an unreadable checkpoint) in one line."""
import errno
import json
import math
import os

import pytest
import tensorflow as tf

from seqgan_tf import cli, config
from seqgan_tf.errors import CheckpointError, ConfigMismatch, Diverged, Locked
from seqgan_tf.train import loop
from seqgan_tf.train.state import Checkpoints, State, check_resume

SMOKE = config.make("smoke")
FINISHED = [4, 2, 4]                  # units done per phase of a finished smoke run


def saved(**changes):
    """The config dict a checkpoint holds (as read back from its config.json) of the smoke preset with `changes`."""
    return json.loads(json.dumps(config.replace(SMOKE, **changes).to_dict()))


def test_a_second_lock_on_the_same_directory_is_refused_in_one_line(tmp_path):
    """While one holder has the run directory, a second lock raises Locked naming the directory and the holder's pid;
    once released, the directory can be locked again."""
    with loop.lock(tmp_path / "run"):
        with pytest.raises(Locked) as e:
            with loop.lock(tmp_path / "run"):
                pass
        assert str(tmp_path / "run") in str(e.value) and f"pid {os.getpid()}" in str(e.value)
        assert "\n" not in str(e.value)
    with loop.lock(tmp_path / "run"):
        assert (tmp_path / "run" / ".lock").read_text().strip() == str(os.getpid())


@pytest.mark.parametrize("logs, bad", [({"d/loss": math.nan}, True), ({"pretrain/g_nll": math.inf}, True),
                                       ({"d/acc": math.nan}, False), ({"adv/g_loss": -1e30}, False)])
def test_check_finite_stops_on_a_non_finite_loss_only(logs, bad):
    """A NaN or infinite value of a key ending in loss or nll is divergence (phase and step named); others are not."""
    if bad:
        with pytest.raises(Diverged, match="D pretraining loss is (nan|inf) at step 7"):
            loop.check_finite("D pretraining", 7, logs)
    else:
        loop.check_finite("D pretraining", 7, logs)


def test_run_fields_may_differ_on_resume():
    """RUN fields (checkpoint cadence, chunking, TensorBoard) never change the numbers: no refusal, nothing extended."""
    assert check_resume(saved(checkpoint_every=3, rollout_chunk=64, tensorboard=False), SMOKE, FINISHED, False) == []


def test_fields_missing_from_an_old_checkpoint_count_as_their_defaults():
    """A checkpoint written before a field existed resumes when the field is at its default, and only then."""
    old = {k: v for k, v in saved().items() if k != "end_token"}
    assert check_resume(old, SMOKE, FINISHED, False) == []
    with pytest.raises(ConfigMismatch, match="end_token: -1 there, 3 now"):
        check_resume(old, config.replace(SMOKE, end_token=3), FINISHED, False)


def test_a_model_field_that_differs_is_refused_naming_it():
    """A MODEL field changes the numbers from the first unit on: refused in one line naming field and both values."""
    with pytest.raises(ConfigMismatch, match=r"hidden_dim: 8 there, 16 now\); use another --out") as e:
        check_resume(saved(), config.replace(SMOKE, hidden_dim=16), FINISHED, False, where="runs/a")
    assert str(e.value).startswith("runs/a holds a checkpoint of a different config") and "\n" not in str(e.value)


def test_a_finished_run_may_be_extended_by_more_rounds():
    """adv_epochs grows on a finished (or stopped) run: the run is extended, and the field is returned."""
    assert check_resume(saved(), config.replace(SMOKE, adv_epochs=6), FINISHED, False) == ["adv_epochs"]
    assert check_resume(saved(), config.replace(SMOKE, adv_epochs=6), [4, 2, 1], False) == ["adv_epochs"]


@pytest.mark.parametrize("change, done, uses_total, why", [
    ({"adv_epochs": 6}, FINISHED, True, "this method's rounds depend on their total number"),
    ({"adv_epochs": 3}, FINISHED, False, "4 adversarial units are already done"),
    ({"pretrain_g_epochs": 6}, [4, 0, 1], False, "cannot change once adversarial has begun"),
    ({"pretrain_g_epochs": 6}, FINISHED, False, "cannot change once pretrain_d has begun"),
    ({"pretrain_d_steps": 3}, FINISHED, False, "cannot change once adversarial has begun"),
])
def test_extending_is_refused_with_the_reason(change, done, uses_total, why):
    """A phase cannot grow once a later phase began, shrink below what is done, or (scheduled sampling, whose ε
    schedule depends on the total) add rounds to a run that has some: refused, with the reason."""
    (name, value), = change.items()
    with pytest.raises(ConfigMismatch, match=f"{name}: {getattr(SMOKE, name)} there, {value} now — {why}"):
        check_resume(saved(), config.replace(SMOKE, **change), done, False, uses_total)


def test_ss_may_be_extended_before_its_first_round():
    """With no round done yet, scheduled sampling's total can still change (no ε has been used)."""
    assert check_resume(saved(), config.replace(SMOKE, adv_epochs=6), [4, 2, 0], False, True) == ["adv_epochs"]


def test_a_shared_pretraining_ignores_adversarial_and_method_fields_but_not_the_model():
    """Starting from another run's pretraining, ADVERSARIAL and METHOD fields (and D fields when it did no D
    pretraining) may differ and are not 'extended'; MODEL fields and used D fields may not."""
    mine = config.replace(SMOKE, adv_epochs=9, d_steps=3, rollout_num=2, method="mle", ss_max=0.2)
    assert check_resume(saved(adv_epochs=0), mine, [4, 2, 0], True) == []
    assert check_resume(saved(adv_epochs=0, pretrain_d_steps=0), config.replace(mine, d_negatives=64),
                        [4, 0, 0], True) == []
    with pytest.raises(ConfigMismatch, match="d_negatives: 0 there, 64 now"):
        check_resume(saved(adv_epochs=0), config.replace(mine, d_negatives=64), [4, 2, 0], True)
    with pytest.raises(ConfigMismatch, match="pretrain_g_epochs: 4 there, 6 now"):       # shared: never extended
        check_resume(saved(adv_epochs=0), config.replace(mine, pretrain_g_epochs=6), [4, 2, 0], True)


# -- checkpoint faults ----------------------------------------------------------------------------------------------
def checkpoints_with(run_dir, dones):
    """A smoke State saved once per entry of `dones` (units done per phase) in `run_dir`: (state, Checkpoints)."""
    state = State.build(SMOKE)
    ckpts = Checkpoints(state, run_dir)
    for done in dones:
        state.done.assign(done)
        ckpts.save(json.loads(state.history.numpy()))
    return state, ckpts


def truncate(prefix):
    data = prefix.parent / f"{prefix.name}.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:data.stat().st_size // 2])
    return data


@pytest.mark.parametrize("shared", [False, True])
def test_an_unreadable_checkpoint_falls_back_to_the_previous_one(tmp_path, capsys, shared):
    """A truncated newest checkpoint is skipped with a one-line warning naming its file; the previous kept one is
    restored (from the run's own directory, or from a shared pretraining's)."""
    src = tmp_path / ("pre" if shared else "run")
    checkpoints_with(src, [[1, 0, 0], [2, 0, 0]])
    data = truncate(src / "checkpoints" / "ckpt-2")
    capsys.readouterr()
    state = State.build(SMOKE)
    latest, was_shared, _ = Checkpoints(state, tmp_path / "run", init_from=src if shared else None).restore()
    err = capsys.readouterr().err
    assert latest.endswith("ckpt-1") and was_shared == shared and list(state.done.numpy()) == [1, 0, 0]
    warning, = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert str(data) in warning and "Traceback" not in err


def test_no_readable_checkpoint_stops_in_one_line_naming_the_file(tmp_path):
    checkpoints_with(tmp_path, [[1, 0, 0], [2, 0, 0]])
    newest = truncate(tmp_path / "checkpoints" / "ckpt-2")
    truncate(tmp_path / "checkpoints" / "ckpt-1")
    with pytest.raises(CheckpointError) as e:
        Checkpoints(State.build(SMOKE), tmp_path).restore()
    message = str(e.value)
    assert str(newest) in message and f"delete {tmp_path / 'checkpoints'}" in message and "\n" not in message


def test_a_config_mismatch_is_not_taken_for_an_unreadable_checkpoint(tmp_path):
    checkpoints_with(tmp_path, [[1, 0, 0]])
    with pytest.raises(ConfigMismatch):
        Checkpoints(State.build(config.replace(SMOKE, seq_len=SMOKE.seq_len + 1)), tmp_path).restore()


@pytest.mark.parametrize("where", ["manager", "config.json"])
def test_a_full_disk_stops_in_one_line_leaving_the_last_complete_checkpoint(tmp_path, monkeypatch, where):
    """ENOSPC while saving (TensorFlow's ResourceExhaustedError from the checkpoint writer, or an OSError writing
    config.json) raises CheckpointError naming the directory; no partial file is left and the previous checkpoint
    still resumes."""
    state, ckpts = checkpoints_with(tmp_path, [[1, 0, 0]])
    ckpt_dir = tmp_path / "checkpoints"
    before = sorted(p.name for p in ckpt_dir.iterdir())
    if where == "manager":
        def full(checkpoint_number):     # what a writer interrupted by a full disk may leave
            (ckpt_dir / f"ckpt-{checkpoint_number}_temp").mkdir()
            (ckpt_dir / f"ckpt-{checkpoint_number}_temp" / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"x")
            (ckpt_dir / f"ckpt-{checkpoint_number}.data-00000-of-00001").write_bytes(b"x")
            raise tf.errors.ResourceExhaustedError(None, None, "ckpt: No space left on device")
        monkeypatch.setattr(ckpts.manager, "save", full)
    else:
        def fsync(fd):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr("seqgan_tf.results.os.fsync", fsync)
    state.done.assign([2, 0, 0])
    with pytest.raises(CheckpointError) as e:
        ckpts.save(json.loads(state.history.numpy()))
    message = str(e.value)
    assert str(ckpt_dir) in message and "free some space" in message and "\n" not in message
    assert sorted(p.name for p in ckpt_dir.iterdir()) == before
    monkeypatch.undo()
    fresh = State.build(SMOKE)
    assert Checkpoints(fresh, tmp_path).restore()[0].endswith("ckpt-1") and list(fresh.done.numpy()) == [1, 0, 0]


def test_a_checkpoint_error_exits_in_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        with cli.one_line_errors():
            raise CheckpointError("the disk filled while writing a checkpoint to runs/a/checkpoints")
    assert e.value.code == 2
    assert capsys.readouterr().err == "error: the disk filled while writing a checkpoint to runs/a/checkpoints\n"
