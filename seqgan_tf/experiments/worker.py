"""One run of a sweep in a process of its own (experiments/executors.py:Processes starts it): the run's spec
(Run.to_dict) as JSON on standard input; TensorFlow's threads come from TF_NUM_INTRAOP_THREADS /
TF_NUM_INTEROP_THREADS. Exits 0 with the run's metrics.json written, or with a one-line error (cli.one_line_errors).

    python -m seqgan_tf.experiments.worker < run.json
"""
import json
import sys

from seqgan_tf import cli, runtime


def main():
    runtime.configure()    # before TensorFlow starts (here, not at import: importing seqgan_tf changes nothing)
    from seqgan_tf.experiments.executors import Run, run_one
    with cli.one_line_errors():
        run_one(Run.from_dict(json.load(sys.stdin)), progress=False)


if __name__ == "__main__":
    main()
