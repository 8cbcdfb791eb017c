#!/usr/bin/env python3
"""PyTorch peer for edgeinfer-bench-gpu: torchvision ResNet-50 and MobileNetV2 and the SSD-MobileNet
(v1, 300x300) backbone in FP16, channels_last, cuDNN benchmark mode, each batch size captured into a
CUDA graph; the median of `iters` replays (each timed alone with CUDA events) after `warmup`.

Writes {model: {batch: {"ms": median_ms, "img_s": ...}}} as JSON for the C++ bench to print beside its
own figures. The models have random weights (weights do not change the speed) and BatchNorm stays a
separate op, as torchvision runs it.
"""
import argparse
import json
import statistics
import sys

import torch
import torch.nn as nn
import torchvision


def conv_bn_relu(cin, cout, k, s, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def ssd_mobilenet_v1_backbone():
    """MobileNetV1 feature extractor of SSD-MobileNet: conv0 then 13 depthwise-separable blocks (to conv13)."""
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    layers = [conv_bn_relu(3, 32, 3, 2)]
    cin = 32
    for cout, s in cfg:
        layers += [conv_bn_relu(cin, cin, 3, s, groups=cin), conv_bn_relu(cin, cout, 1, 1)]
        cin = cout
    return nn.Sequential(*layers)


MODELS = {
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), 224),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), 224),
    "ssd_mobilenet_v1_backbone": (ssd_mobilenet_v1_backbone, 300),
}


def bench(model, batch, hw, warmup, iters):
    x = torch.randn(batch, 3, hw, hw, device="cuda").half().contiguous(memory_format=torch.channels_last)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.no_grad(), torch.cuda.stream(s):
        for _ in range(3):   # cuDNN benchmark mode picks its algorithms here
            model(x)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.no_grad(), torch.cuda.graph(g):
        model(x)
    for _ in range(warmup):
        g.replay()
    torch.cuda.synchronize()
    times = []
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(iters):
        a.record()
        g.replay()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    del g
    return statistics.median(times), min(times), max(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--batches", default="1,8,32,128,256")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--json", default="torch_peer.json")
    a = p.parse_args()
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, torchvision {torchvision.__version__}, "
          f"{torch.cuda.get_device_name(0)}", flush=True)
    out = {}
    for name in a.models.split(","):
        make, hw = MODELS[name]
        model = make().cuda().eval().half().to(memory_format=torch.channels_last)
        out[name] = {}
        for bs in a.batches.split(","):
            b = int(bs)
            med, lo, hi = bench(model, b, hw, a.warmup, a.iters)
            out[name][bs] = {"ms": med, "img_s": b / (med / 1000.0), "min_ms": lo, "max_ms": hi}
            print(f"pytorch-fp16 {name:26s} b{b:<4d} {med:9.3f} ms {b / (med / 1000.0):10.0f} img/s (min {lo:.3f} max {hi:.3f})", flush=True)
        del model
        torch.cuda.empty_cache()
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
