"""The benchmark's markdown report from its result dict (`python -m bench` writes both)."""


def markdown(result, paper_projection=None):
    lines = [f"# Benchmark: preset `{result['preset']}` on `{result['machine']}`", "",
             f"TensorFlow {result['tensorflow']}, {result['platform']}; medians of {result['repeats']} runs "
             "after a warm-up.", "",
             "| phase | median s | runs s | outside graphs | peak RSS MB |", "|---|---|---|---|---|"]
    for name, p in result["phases"].items():
        rss = f"{p['peak_rss_mb']:.0f}" if p.get("peak_rss_mb") else "—"
        lines.append(f"| {name} | {p['median_s']:.3f} | {', '.join(map(str, p['runs_s']))} | "
                     f"{100 * result['profile'][name]['outside_graph_frac']:.1f}% | {rss} |")
    if result.get("peak_rss_per_phase") is False:
        lines.append("\n(peak RSS: the process's peak so far at each phase's end; this OS cannot reset it)")
    r = result["rollout"]
    lines += ["", f"Rollout of one batch: vectorised {r['vectorised_s']:.3f} s in {r['graph_calls_vectorised']} "
              f"graph call" + (f"; naive loop {r['naive_s']:.3f} s in {r['graph_calls_naive']} calls: "
                               f"**{r['speedup']:.1f}x**" if "naive_s" in r else "") + ".",
              f"Its parts, timed apart: G sampling the completions {r['g_sampling_s']:.3f} s, D scoring them "
              f"{r['d_scoring_s']:.3f} s ({r['d_gflop']:.1f} GFLOP at {r['d_gflop_per_s']:.0f} GFLOP/s; a "
              f"highway-shaped float32 matmul runs at {r['matmul_gflop_per_s']:.0f} GFLOP/s here)."
              + (f" Scored whole, as the released code does, the same values take {r['d_scoring_whole_s']:.3f} s "
                 f"({r['d_gflop_whole']:.1f} GFLOP): windows inside the kept prefixes are convolved once, not N "
                 f"times." if "d_scoring_whole_s" in r else "")
              + (f" Even with G free and D at the matmul's rate, the ratio to the naive loop could be at most "
                 f"{r['speedup_bound']:.1f}x on this machine." if "naive_s" in r else "")]
    if "evaluation" in result:
        e = result["evaluation"]
        lines += ["", f"NLL-oracle evaluation's parts, timed apart: G sampling the sequences {e['g_sampling_s']:.3f} s, "
                  f"the oracle scoring them {e['scoring_s']:.3f} s (with training's log-softmax instead of the softmax "
                  f"kernel's probability: {e['scoring_log_softmax_s']:.3f} s, "
                  f"{e['scoring_log_softmax_s'] / e['scoring_s']:.2f}x)."]
    proj = result["projected_s"]
    lines += ["", "Projected schedule of this preset: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in proj.items())
              + f"; total {sum(proj.values()) / 60:.1f} min."]
    if paper_projection:
        lines += [f"Projected `paper` schedule at these rates: {sum(paper_projection.values()) / 3600:.2f} h ("
                  + ", ".join(f"{k} {v / 3600:.2f} h" for k, v in paper_projection.items()) + ")."]
        if result.get("paper_flop_floor_s"):
            lines += [f"Its FLOP floor here (D's training and rollout FLOPs at the matmul's "
                      f"{r['matmul_gflop_per_s']:.0f} GFLOP/s): {result['paper_flop_floor_s'] / 3600:.2f} h, "
                      f"{sum(paper_projection.values()) / result['paper_flop_floor_s']:.1f}x below the projection."]
    if "d_training" in result:
        d = result["d_training"]
        lines += ["", f"D training: {d['samples_per_s']:.0f} samples/s, {d['gflop_per_s']:.0f} GFLOP/s = "
                  f"**{100 * d['fraction_of_matmul']:.0f}%** of the matmul's {d['matmul_gflop_per_s']:.0f} GFLOP/s "
                  f"(a training pass counted as 3 forward passes)."]
    lines += ["", "Where the Python-side time goes (top functions by own time, per phase):", ""]
    for name, p in result["profile"].items():
        lines.append(f"- {name}: graph {100 * p['graph_frac']:.1f}%, eager ops {100 * p['eager_frac']:.1f}%; "
                     + "; ".join(p["top_outside"][:3]))
    return "\n".join(lines) + "\n"


def variants_markdown(v):
    base = v["precision"]["float32"]
    lines = ["", "D variants, side by side on one chunk (ratios to float32 graph mode):", "",
             "| variant | training samples/s | ratio | inference seqs/s | ratio |", "|---|---|---|---|---|"]
    for name, r in v["precision"].items():
        if isinstance(r, dict) and "train_samples_per_s" in r:
            lines.append(f"| {name} | {r['train_samples_per_s']:.0f} | "
                         f"{r['train_samples_per_s'] / base['train_samples_per_s']:.2f}x | "
                         f"{r['infer_seqs_per_s']:.0f} | {r['infer_seqs_per_s'] / base['infer_seqs_per_s']:.2f}x |")
    if "matmul_gflop_per_s" in v["precision"]:
        lines += ["", "The highway-shaped matmul alone (" + ", ".join(
            f"{k}: {r:.0f} GFLOP/s" for k, r in v["precision"]["matmul_gflop_per_s"].items()) + ")."]
    lines += ["", f"bfloat16 vs float32 D(Y), same weights: max |difference| "
              f"{v['precision']['bfloat16_max_abs_dprob']:.4f}.", "",
              "| intra/inter threads (0 = TensorFlow's choice) | D training samples/s |", "|---|---|"]
    lines += [f"| {k} | {s:.0f} |" for k, s in v["threads"].items()]
    return "\n".join(lines) + "\n"


def released_markdown(result):
    """The released graph's phases (bench/released_graph.py) beside this library's, from one run."""
    lines = ["", "The released code's graphs (TF1 graph mode, `bench/released_graph.py`) doing the same work in the "
             "same process, after this library's phases, each phase timed alternately (this library, the released "
             "graph, ...) so that both see the machine in the same state:", "",
             "| phase | released graph, median s | this library, median s | ratio |", "|---|---|---|---|"]
    for name, r in result["released"].items():
        lines.append(f"| {name} | {r['median_s']:.3f} | {r['ours_median_s']:.3f} | "
                     f"**{r['median_s'] / r['ours_median_s']:.1f}x** |")
    return "\n".join(lines) + "\n"


def ops_markdown(ops, d_training=None, top=10):
    """Where an MLE epoch's and D training's time goes, op by op; training's products alone; what D training would
    reach on those products alone, beside what it reaches (`d_training`: the benchmark's, when all phases ran)."""
    titles = {"mle_epoch": "one MLE epoch", "d_training": "D training"}
    lines = []
    for name, title in titles.items():
        b = ops.get(name)
        if b is None:
            lines += ["", f"Op breakdown of {title}: not available (this TensorFlow's profiler trace cannot be read)."]
            continue
        lines += ["", f"Where {title}'s time goes ({b['batches']} batches of {b['batch_size']}; TensorFlow's profiler, "
                  f"innermost events of the executor's threads): {b['op_s']:.2f} s in operations over {b['wall_s']:.2f}"
                  " s wall (the two executor threads run operations at once, each slowing the other; profiling slows "
                  "the run).", "",
                  "| operation | s | share of op time | events |", "|---|---|---|---|"]
        kinds = list(b["by_kind"].items())
        for kind, k in kinds[:top]:
            lines.append(f"| {kind} | {k['s']:.3f} | {100 * k['s'] / b['op_s']:.1f}% | {k['events']} |")
        if kinds[top:]:
            rest = sum(k["s"] for _, k in kinds[top:])
            lines.append(f"| {len(kinds) - top} other kinds | {rest:.3f} | {100 * rest / b['op_s']:.1f}% | "
                         f"{sum(k['events'] for _, k in kinds[top:])} |")
    lines += ["", "Training's largest products, each alone at its training shape (GFLOP/s; many calls in a row):", "",
              "| product | shape | forward | input gradient | weight gradient |", "|---|---|---|---|---|"]
    for layer, r in ops["products"].items():
        g = r["gflop_per_s"]
        lines.append(f"| {layer} | {' x '.join(f'{d:,}' for d in r['shape'])} | {g['forward']:.0f} | "
                     f"{g['input gradient']:.0f} | {g['weight gradient']:.0f} |")
    bound, peak = ops["d_training_bound_gflop_per_s"], ops["matmul_gflop_per_s"]
    lines += ["", f"If D's convolutions and highway ran at these rates and nothing else took any time, D training would "
              f"run at **{bound:.0f} GFLOP/s = {100 * bound / peak:.0f}%** of the highway-shaped matmul at a rollout "
              f"chunk's rows ({peak:.0f} GFLOP/s)"
              + (f"; it runs at {d_training['gflop_per_s']:.0f} GFLOP/s ({100 * d_training['gflop_per_s'] / peak:.0f}%)."
                 if d_training else ".")]
    return "\n".join(lines) + "\n"
