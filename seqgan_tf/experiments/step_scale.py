"""How large is G's policy-gradient step at a checkpoint, against the clip and against Adam's memory of past steps?

Adam divides each step by sqrt(v̂), v̂ the bias-corrected mean of the squared gradients; with beta_2 = 0.999 and
t rounds ≪ 1,000 that mean weighs all past rounds about equally. When the rewards, and with them the gradients, shrink
over the rounds, the early large gradients keep v̂ high and today's steps are a small fraction of the learning rate.
A global-norm clip on the batch-summed loss (the released code) caps those early gradients, and so changes the steps
that follow. This measures, from one checkpoint, on fresh batches with the run's own rewards:
  - the gradient's global norm, in the mean loss's units and the summed loss's (batch times larger), against the clip;
  - per variable: RMS of the gradient, RMS of sqrt(v̂), and RMS of |m̂| / (sqrt(v̂) + eps) = the step over the
    learning rate (about 0.23 for zero-mean gradients of steady size; smaller when past gradients were larger).

    python -m seqgan_tf.experiments.step_scale RUN_DIR [--checkpoint ckpt-250] [--batches 8] [--out FILE.json]
"""
import json
import sys
from pathlib import Path

from .. import runtime

if __name__ == "__main__":
    runtime.configure()    # as a command: before TensorFlow starts (seqgan_tf/runtime.py)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from .. import cli, config as config_lib  # noqa: E402
from ..results import write_json  # noqa: E402
from ..train import projection  # noqa: E402
from ..train.rollout import rollout_rewards  # noqa: E402
from ..train.seqgan import pg_loss  # noqa: E402
from ..train.state import Checkpoints, State  # noqa: E402


def adam_state(opt, variables):
    """{variable name: (RMS sqrt(v̂), RMS |m̂| / (sqrt(v̂) + eps))} of a built Keras Adam; {} before its first step."""
    t = int(opt.iterations.numpy())
    if t == 0:
        return {}
    out = {}
    for var in variables:
        i = opt._get_variable_index(var)
        m_hat = opt._momentums[i].numpy().astype(np.float64) / (1 - opt.beta_1 ** t)
        v_hat = opt._velocities[i].numpy().astype(np.float64) / (1 - opt.beta_2 ** t)
        out[var.name] = (float(np.sqrt(v_hat.mean())),
                         float(np.sqrt(np.mean((m_hat / (np.sqrt(v_hat) + opt.epsilon)) ** 2))))
    return out


def pg_gradients(gen, disc, cfg, batches, seed):
    """Per batch of cfg.batch_size fresh samples with their rollout rewards: (reward mean, global norm of the mean
    loss's gradient, {variable: RMS gradient}). Nothing is applied."""
    out = []
    for b in range(batches):
        seqs = gen.sample(cfg.batch_size, tf.constant([seed, 2 * b], tf.int32))
        q = rollout_rewards(gen, disc, seqs, cfg.rollout_num, tf.constant([seed, 2 * b + 1], tf.int32),
                            cfg.rollout_chunk)
        with tf.GradientTape() as tape:
            loss = pg_loss(gen, seqs, q)
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, gen.trainable_variables)]
        out.append((float(tf.reduce_mean(q)), float(tf.linalg.global_norm(grads)),
                    {v.name: float(tf.sqrt(tf.reduce_mean(tf.square(g)))) for v, g in zip(gen.trainable_variables,
                                                                                      grads)}))
    return out


def measure(run_dir, checkpoint=None, batches=8, seed=7):
    """The numbers above for one run directory's checkpoint (default: its latest)."""
    ckpt_dir = Path(run_dir) / "checkpoints"
    if not (ckpt_dir / "config.json").exists():
        raise FileNotFoundError(f"no checkpoints/config.json in {run_dir}")
    cfg = config_lib.from_dict(json.loads((ckpt_dir / "config.json").read_text()))
    state = State.build(cfg)
    path = Checkpoints(state, run_dir).read(checkpoint)
    m = state.models
    grads = pg_gradients(m.gen, m.disc, cfg, batches, seed)
    norms = np.array([g[1] for g in grads])
    adam = adam_state(m.pg_opt, m.gen.trainable_variables)
    return {
        "run": str(run_dir), "checkpoint": Path(path).name, "units_done": state.done.numpy().tolist(),
        "pg_opt_steps": int(m.pg_opt.iterations.numpy()), "batches": batches, "batch_size": cfg.batch_size,
        "grad_clip": cfg.grad_clip, "pg_loss": cfg.pg_loss,
        "reward_mean": [g[0] for g in grads],
        "grad_norm_mean_loss": norms.tolist(), "grad_norm_summed_loss": (cfg.batch_size * norms).tolist(),
        "summed_clipped_fraction": float(np.mean(cfg.batch_size * norms > cfg.grad_clip)),
        "variables": {name: {"rms_grad": float(np.sqrt(np.mean([g[2][name] ** 2 for g in grads]))),
                             **({"rms_sqrt_v_hat": adam[name][0], "rms_step_over_lr": adam[name][1]}
                                if adam else {})}
                      for name in grads[0][2]},
        "machine": projection.machine(),
    }


def main(argv=None):
    parser = cli.Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a run's directory (holding checkpoints/)")
    parser.add_argument("--checkpoint", default=None, help="a checkpoint's name in it (default: the latest)")
    parser.add_argument("--batches", type=int, default=8, help="fresh batches to average over")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow intra- and inter-op threads (default: TensorFlow's, all cores)")
    parser.add_argument("--out", default=None, help="write the JSON here (default: print it)")
    args = parser.parse_args(argv)
    runtime.configure()
    with cli.one_line_errors():
        if args.batches < 1 or (args.threads or 1) < 1:
            raise ValueError(f"--batches and --threads must be at least 1, got {args.batches} and {args.threads}")
        if args.threads:
            runtime.set_threads(args.threads)
        result = measure(args.run_dir, args.checkpoint, args.batches)
        if args.out:
            write_json(Path(args.out), result)
        print(json.dumps({k: v for k, v in result.items() if k != "variables"}, indent=1))
        for name, v in result["variables"].items():
            print(name, " ".join(f"{k} {x:.3g}" for k, x in v.items()))


if __name__ == "__main__":
    sys.exit(main())
