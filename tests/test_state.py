"""The runner's lock and divergence check, and when a checkpoint may be resumed by another config (state.check_resume,
from the scopes declared in config.py)."""
import json
import math
import os

import pytest

from seqgan_tf import config
from seqgan_tf.errors import ConfigMismatch, Diverged, Locked
from seqgan_tf.train import loop
from seqgan_tf.train.state import check_resume

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
