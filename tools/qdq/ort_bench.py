#!/usr/bin/env python3
"""edgeinfer against ONNX Runtime on the same Q/DQ file, in one run (host clock).

For the machine that has onnxruntime's Python package (the dev VM's peer is the npm library:
bench/qdq_bench.sh). Per model: the layers before/after `edgeinfer compile` (the Q/DQ layers
become native INT8), edgeinfer's CPU batch-1 latency (`edgeinfer run --repeat`, fast CPU path,
median) next to ONNX Runtime's (CPU EP, same thread count, all graph optimisations: it fuses the
Q/DQ into QLinearConv etc.; median), their ratio (the issue's goal: <= 0.6), and the argmax
agreement of the two on --samples seeded inputs (the same .npy files fed to both).

  ort_bench.py MODEL_qdq.onnx [MORE.onnx ...] --edgeinfer build/apps/edgeinfer [--runs 20] [--warmup 5]
               [--threads N] [--samples 16] [--seed 1] [--json FILE]

Self-contained: numpy, onnx, onnxruntime (and the edgeinfer binary).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime


def ort_session(path, threads):
    so = onnxruntime.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run_json(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit("ort_bench.py: %s failed:\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return json.loads(p.stdout)


def bench(model, a):
    sess = ort_session(model, a.threads)
    inp = sess.get_inputs()[0]
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
    out_name = sess.get_outputs()[0].name
    rng = np.random.default_rng(a.seed)
    tmp = tempfile.mkdtemp(prefix="ei_ort_bench_")
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(a.samples)]
    # Layers after compile.
    comp = run_json([a.edgeinfer, "compile", model, "--json"])
    # Latency: ORT.
    for _ in range(a.warmup):
        sess.run(None, {inp.name: xs[0]})
    t = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        sess.run(None, {inp.name: xs[0]})
        t.append((time.perf_counter() - t0) * 1e3)
    ort_ms = statistics.median(t)
    # Latency: edgeinfer (its own median over --repeat, after --warmup).
    x0 = os.path.join(tmp, "x0.npy")
    np.save(x0, xs[0])
    ei = run_json([a.edgeinfer, "run", model, "-i", "%s=%s" % (inp.name, x0), "--repeat", str(a.runs), "--warmup", str(a.warmup),
                   "--threads", str(a.threads), "--json"])
    ei_ms = ei["latency_ms"]["median"]
    # Argmax agreement over the samples.
    agree = 0
    max_abs = 0.0
    for i, x in enumerate(xs):
        xp = os.path.join(tmp, "x%d.npy" % i)
        np.save(xp, x)
        od = os.path.join(tmp, "out%d" % i)
        run_json([a.edgeinfer, "run", model, "-i", "%s=%s" % (inp.name, xp), "-o", od, "--threads", str(a.threads), "--json"])
        ye = np.load(os.path.join(od, out_name + ".npy"))
        yo = sess.run(None, {inp.name: x})[0]
        agree += int(np.argmax(ye.reshape(ye.shape[0], -1), axis=1)[0] == np.argmax(yo.reshape(yo.shape[0], -1), axis=1)[0])
        max_abs = max(max_abs, float(np.max(np.abs(ye - yo))))
    row = {"model": os.path.basename(model), "clock": "host", "onnxruntime": onnxruntime.__version__, "threads": a.threads,
           "layers_before": comp.get("layers_before"), "layers_after": comp.get("layers_after"),
           "edgeinfer_ms": ei_ms, "ort_ms": ort_ms, "ratio": ei_ms / ort_ms, "argmax_agree": agree, "samples": a.samples,
           "max_abs_diff": max_abs}
    print("%-28s layers %4s -> %-4s  edgeinfer %8.2f ms  ORT %8.2f ms  ratio %.2f  argmax %d/%d  max|diff| %.4g" % (
        row["model"], row["layers_before"], row["layers_after"], ei_ms, ort_ms, row["ratio"], agree, a.samples, max_abs))
    return row


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--edgeinfer", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default="")
    a = ap.parse_args(argv)
    print("ort_bench.py: host clock, %d threads for both, batch 1, median of %d runs after %d warm-up" % (a.threads, a.runs, a.warmup))
    rows = [bench(m, a) for m in a.models]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
