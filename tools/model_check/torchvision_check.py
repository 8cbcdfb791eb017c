#!/usr/bin/env python3
"""Real-model import check: exports torchvision CNNs to ONNX the way users do (TorchScript exporter,
several opsets, a dynamic batch axis so the exporter emits Shape->Gather->Concat->Reshape chains),
runs them with ONNX Runtime, then runs the same files and inputs through the edgeinfer CLI and
compares. Models carry random weights (torchvision's pretrained weights need a download).

usage: torchvision_check.py --edgeinfer PATH [--out DIR] [--opsets 9,11,13,17] [--engines cpu,reference]
                           [--target-opsets 13,17]
For the --target-opsets files it also runs the target-clock commands a user runs on an unseen model:
`compile --soc orin-agx --precision int8 --explain` and `bench --skip-host` (the dynamic batch's
shape chain, fallback placement and the tuner), each passing when it exits 0 with its report.
Prints one line per (model, opset, engine) and a final 'N passed, M failed' line.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import torch
import torchvision.models as tvm

MODELS = {
    # name: (constructor, input size) -- chosen to cover the ops exporters emit for CNNs
    "resnet18": (lambda: tvm.resnet18(), 224),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(), 224),          # Clip(0,6) with tensor bounds
    "mobilenet_v3_small": (lambda: tvm.mobilenet_v3_small(), 224),  # HardSwish/HardSigmoid, SE blocks
    "squeezenet1_1": (lambda: tvm.squeezenet1_1(), 224),        # ceil_mode MaxPool, Concat
    "shufflenet_v2_x0_5": (lambda: tvm.shufflenet_v2_x0_5(), 224),  # channel shuffle: Reshape/Transpose, Split
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(), 224),    # SiLU = x*Sigmoid(x), SE
    "googlenet": (lambda: tvm.googlenet(aux_logits=False, init_weights=True), 224),  # inception Concat
    "regnet_x_400mf": (lambda: tvm.regnet_x_400mf(), 224),      # grouped convolutions
    "densenet121": (lambda: tvm.densenet121(), 224),            # many Concats, AvgPool
    "mnasnet0_5": (lambda: tvm.mnasnet0_5(), 224),
}


def export(model, size, path, opset):
    x = torch.randn(1, 3, size, size)
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, dynamo=False)


# The CLI may need a library path that PyTorch must not see (an older cuDNN found first makes it
# refuse to load): scripts/gpu_run.sh passes it as EDGEINFER_LD_LIBRARY_PATH.
cli_env = dict(os.environ)
if "EDGEINFER_LD_LIBRARY_PATH" in cli_env:
    cli_env["LD_LIBRARY_PATH"] = cli_env["EDGEINFER_LD_LIBRARY_PATH"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgeinfer", required=True)
    ap.add_argument("--out", default="/tmp/model_check")
    ap.add_argument("--opsets", default="9,11,13,17")
    ap.add_argument("--engines", default="cpu,reference")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--target-opsets", default="13,17")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    passed = failed = 0
    lines = []
    for name in a.models.split(","):
        ctor, size = MODELS[name]
        model = ctor().eval()
        x = rng.standard_normal((a.batch, 3, size, size), dtype=np.float32)
        xin = os.path.join(a.out, f"{name}_input.npy")
        np.save(xin, x)
        for opset in [int(o) for o in a.opsets.split(",")]:
            path = os.path.join(a.out, f"{name}_op{opset}.onnx")
            try:
                export(model, size, path, opset)
            except Exception as e:  # the exporter itself cannot write this opset: not our failure
                lines.append(f"{name:20s} opset {opset:2d}  export-unavailable  ({type(e).__name__}: {str(e)[:80]})")
                continue
            ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
            for engine in a.engines.split(","):
                if engine == "reference" and opset != 13:
                    continue  # the golden is slow: one opset is enough to check it
                od = os.path.join(a.out, f"{name}_op{opset}_{engine}")
                t0 = time.time()
                r = subprocess.run([a.edgeinfer, "run", path, "-i", f"input={xin}", "-o", od, "--engine", engine], env=cli_env,
                                   capture_output=True, text=True)
                dt = time.time() - t0
                if r.returncode != 0:
                    failed += 1
                    err = (r.stderr.strip().splitlines() or ["?"])[-1][:160]
                    lines.append(f"{name:20s} opset {opset:2d}  {engine:9s} FAIL  {err}")
                    continue
                y = np.load(os.path.join(od, "output.npy"))
                scale = max(1.0, float(np.abs(ref).max()))
                err = float(np.abs(y - ref).max()) / scale if y.shape == ref.shape else float("inf")
                ok = err <= 1e-4
                passed += ok
                failed += not ok
                lines.append(f"{name:20s} opset {opset:2d}  {engine:9s} {'ok  ' if ok else 'FAIL'}  "
                             f"max|diff|/max(1,max|ort|) = {err:.2e}  shape {list(y.shape)}  {dt:.1f} s")
            if str(opset) in a.target_opsets.split(","):
                for what, args, marker in (
                        ("compile", ["compile", path, "--soc", "orin-agx", "--precision", "int8", "--explain"], "predicted target time"),
                        ("bench", ["bench", path, "--skip-host", "--eval-queries", "64", "--min-queries", "64"], "\ntarget ")):
                    t0 = time.time()
                    r = subprocess.run([a.edgeinfer] + args, env=cli_env, capture_output=True, text=True)
                    dt = time.time() - t0
                    ok = r.returncode == 0 and marker in r.stdout
                    passed += ok
                    failed += not ok
                    detail = (r.stderr.strip().splitlines() or ["?"])[-1][:160] if not ok else f"{dt:.1f} s"
                    lines.append(f"{name:20s} opset {opset:2d}  {what:9s} {'ok  ' if ok else 'FAIL'}  {detail}")
            print(lines[-1] if lines else "", flush=True)
    print("\n".join(lines))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
