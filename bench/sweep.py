"""Wall time of one Table 1 sweep made two ways on this machine, measured side by side in one run: one run after
another with every core (`--workers 1 --threads <cores>`), then `--workers N` with cores ÷ N threads per run.

    python -m bench.sweep                                 # quick preset, rows mle and seqgan, seeds 88-89, 2 workers
    python -m bench.sweep --preset smoke --out /tmp/sweep
    python -m bench.sweep --methods mle --seeds 3 --adv_epochs 10   # other flags go to both sweeps as they are

Each sweep is `reproduce/synthetic.py --methods … --seeds …` in a fresh process into a new directory, so both pay
TensorFlow's start-up and every seed's pretraining. Run it on an idle machine: anything else running takes cores
from one sweep and not the other. Writes sweep-<preset>.json and .md under --out (default runs/benchmark; the
committed measurements are under results/benchmark/), with the CPU model, cores and threads of each sweep.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seqgan_tf.results import atomic_write, read_json, write_json
from seqgan_tf.runtime import cpu_info, cpu_label

SCRIPT = Path(__file__).resolve().parent.parent / "reproduce" / "synthetic.py"


def sweep(args, extra, workers, threads, root):
    """Makes one sweep in a fresh process: its command, wall seconds and runs (collect)."""
    out = Path(tempfile.mkdtemp(prefix=f"workers{workers}-", dir=root))
    cmd = [sys.executable, str(SCRIPT), "--preset", args.preset, "--methods", args.methods, "--seeds", str(args.seeds),
           "--seed", str(args.seed), "--workers", str(workers), "--threads", str(threads), "--out", str(out), *extra]
    print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd[1:])}", flush=True)
    start = time.perf_counter()
    with open(out.with_suffix(".log"), "w") as log:
        code = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - start
    if code:
        sys.exit(f"error: the sweep with --workers {workers} exited {code}; its output: {out.with_suffix('.log')}")
    return {"command": " ".join(["python", "reproduce/synthetic.py", *cmd[2:]]), "workers": workers,
            "threads_per_run": threads, "wall_s": round(wall, 1), "runs": collect(out), "dir": str(out)}


def collect(out):
    """{run: its final NLL-oracle, the seconds of its own phases and its threads} of a sweep's directory."""
    runs = {}
    for p in sorted(Path(out).glob("seed*/*/metrics.json")):
        m = read_json(p)
        own = {k: v for k, v in m["seconds"].items() if p.parent.name == "pretrain" or k != "pretrain_g"}
        runs[f"{p.parent.parent.name}/{p.parent.name}"] = {   # seconds: its own phases (not the shared pretraining)
            "nll_oracle": m["nll_oracle"]["final"], "seconds": round(sum(own.values()), 2),
            "threads": [m["machine"]["intra_op_threads"], m["machine"]["inter_op_threads"]]}
    return runs


def markdown(r):
    seq, par = r["sequential"], r["parallel"]
    lines = [f"# One sweep, sequential vs {par['workers']} workers — {r['preset']} preset\n",
             f"Machine: {r['cpu']}, {r['cores']} cores. Rows {r['methods']}, {r['seeds']} seeds"
             + (f", config flags {' '.join(r['extra'])}" if r["extra"] else "") + ". Both sweeps in one run of "
             "`python -m bench.sweep`, one after the other, each from a fresh process (pretraining included).\n",
             "| sweep | threads per run | wall time (h:mm:ss) | ratio |", "|---|---|---|---|",
             f"| one run after another | {seq['threads_per_run']} | {_hm(seq['wall_s'])} | 1.00 |",
             f"| {par['workers']} runs at once | {par['threads_per_run']} | {_hm(par['wall_s'])} | "
             f"{par['wall_s'] / seq['wall_s']:.2f} |",
             f"\nSpeed-up: **{r['speedup']:.2f}×**.\n", "| run | NLL-oracle (sequential) | NLL-oracle (workers) | "
             "its own time (sequential) | its own time (workers) |", "|---|---|---|---|---|"]
    for name, s in seq["runs"].items():
        p = par["runs"].get(name, {})
        lines.append(f"| {name} | {s['nll_oracle']:.4f} | {p.get('nll_oracle', float('nan')):.4f} | "
                     f"{_hm(s['seconds'])} | {_hm(p.get('seconds', float('nan')))} |")
    diff = max((abs(s["nll_oracle"] - par["runs"][n]["nll_oracle"]) for n, s in seq["runs"].items()
                if n in par["runs"]), default=float("nan"))
    lines.append(f"\nLargest difference between the two sweeps' NLL-oracle: {diff:.2g} (a run's last float bits depend "
                 "on its thread count: docs/cluster.md).")
    return "\n".join(lines) + "\n"


def _hm(s):
    if s != s:
        return "–"
    s = round(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--methods", default="mle,seqgan", help="Table 1's rows (default: mle,seqgan)")
    parser.add_argument("--seeds", type=int, default=2, help="how many seeds, from --seed (default: 2)")
    parser.add_argument("--seed", type=int, default=88)
    parser.add_argument("--workers", type=int, default=2, help="runs at once in the parallel sweep (default: 2)")
    parser.add_argument("--out", default="runs/benchmark", help="where the result files go (default: runs/benchmark)")
    args, extra = parser.parse_known_args(argv)
    cores = os.cpu_count()
    if not 2 <= args.workers <= cores:
        parser.error(f"--workers must be between 2 and the {cores} cores, got {args.workers}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"sweep-{args.preset}-", dir=out))
    seq = sweep(args, extra, 1, cores, root)
    par = sweep(args, extra, args.workers, cores // args.workers, root)
    result = {"cpu": cpu_label(**cpu_info()), "cores": cores, "preset": args.preset, "methods": args.methods,
              "seeds": args.seeds, "extra": extra, "sequential": seq, "parallel": par,
              "speedup": seq["wall_s"] / par["wall_s"]}
    write_json(out / f"sweep-{args.preset}.json", result)
    atomic_write(out / f"sweep-{args.preset}.md", markdown(result))
    print(json.dumps({k: result[k] for k in ("cpu", "cores", "speedup")}))
    print(f"sequential {_hm(seq['wall_s'])}, {args.workers} workers {_hm(par['wall_s'])}: "
          f"{result['speedup']:.2f}x; wrote {out}/sweep-{args.preset}.json and .md")


if __name__ == "__main__":
    main()
