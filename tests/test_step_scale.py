"""experiments/step_scale.py: Adam's step over the learning rate from its state, and the measurement of a run's
checkpoint (gradient norms in both loss units, against the clip)."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqgan_tf.experiments import step_scale
from seqgan_tf.train.optim import adam


def test_adam_state_is_the_bias_corrected_moments_and_shrinks_after_large_gradients():
    """Two steps, gradient 1 then 0.1: sqrt(v̂) and |m̂| / (sqrt(v̂) + eps) as written out by hand; the second step is
    a smaller fraction of the learning rate than a steady 0.1 gives, because v̂ remembers the first gradient."""
    def state_after(grads):
        x = keras.Variable(np.zeros(4, np.float32), name="x")
        opt = adam(0.01)
        opt.build([x])
        assert step_scale.adam_state(opt, [x]) == {}                          # no step yet
        for g in grads:
            opt.apply([tf.fill([4], g)], [x])
        return step_scale.adam_state(opt, [x])["x"]

    b1, b2, eps = 0.9, 0.999, 1e-8
    m = (1 - b1) * (b1 * 1.0 + 0.1)
    v = (1 - b2) * (b2 * 1.0 + 0.01)
    m_hat, v_hat = m / (1 - b1 ** 2), v / (1 - b2 ** 2)
    rms_sqrt_v, ratio = state_after([1.0, 0.1])
    assert rms_sqrt_v == pytest.approx(np.sqrt(v_hat), rel=1e-5)
    assert ratio == pytest.approx(m_hat / (np.sqrt(v_hat) + eps), rel=1e-5)
    assert ratio < 0.8 * state_after([0.1, 0.1])[1]


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
