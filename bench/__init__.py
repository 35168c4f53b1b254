"""Performance instruments for seqgan_tf, not part of the library: the per-phase timing harness (timing.py), FLOP
counts and rates (flops.py), the op-by-op breakdown (ops.py), D's variants (variants.py), the generators' side-by-side
timing (generators.py), the released code's graphs timed beside this library (released_graph.py) and the report
(report.py). Run from the repository root: `python -m bench --help`."""
