"""Trains the suite's own small CNN on rendered glyphs and exports it with its data sets.

    python3 tools/real_models/train_glyph_cnn.py OUT_DIR [--epochs 4] [--seed 0]

Writes into OUT_DIR:
  glyph_cnn.onnx     opset 13, input 'input' [1,1,32,32] (symbolic batch), output 'logits' [N,36]
  calib.npy          100 rendered glyphs (seed 1000): calibration only
  eval.npy, eval_labels.npy   600 glyphs from another seed (2000), disjoint from training and calibration
  train_report.json  epochs, seconds, train/eval accuracy of the FP32 torch model

The network is MobileNetV3-like so that trained, real activation distributions appear: a stem conv
with BatchNorm + hard-swish, depthwise-separable blocks with BatchNorm, hard-swish, a
squeeze-and-excite block (ReLU then hard-sigmoid gate), a ReLU6 block, global pooling and a
classifier. Classes: digits and upper-case letters (36), drawn with every installed Debian font.
Deterministic for a seed on one machine (torch's CPU kernels, one thread); CPU only, about two
minutes on two cores.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402

CLASSES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRAIN_SEED, CALIB_SEED, EVAL_SEED = 1, 1000, 2000


def build(nn):
    class SE(nn.Module):
        def __init__(self, c, r=4):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Conv2d(c, c // r, 1)
            self.fc2 = nn.Conv2d(c // r, c, 1)
            self.act = nn.ReLU()
            self.gate = nn.Hardsigmoid()

        def forward(self, x):
            return x * self.gate(self.fc2(self.act(self.fc1(self.pool(x)))))

    def dw_block(cin, cout, stride, act, se=False):
        layers = [nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), act()]
        if se:
            layers.append(SE(cin))
        layers += [nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
            self.b1 = dw_block(16, 24, 2, nn.ReLU6)                 # 16x16
            self.b2 = dw_block(24, 24, 1, nn.Hardswish)             # residual
            self.b3 = dw_block(24, 48, 2, nn.Hardswish, se=True)    # 8x8
            self.b4 = dw_block(48, 48, 1, nn.Hardswish, se=True)    # residual
            self.head = nn.Sequential(nn.Conv2d(48, 96, 1, bias=False), nn.BatchNorm2d(96), nn.Hardswish(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, len(CLASSES)))

        def forward(self, x):
            x = self.stem(x)
            x = self.b1(x)
            x = x + self.b2(x)
            x = self.b3(x)
            x = x + self.b4(x)
            return self.head(x)

    return Net()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--train", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: bit-reproducible)")
    args = ap.parse_args()
    try:
        import torch
        from torch import nn
    except ImportError:
        raise SystemExit("train_glyph_cnn.py: python3 torch is missing (apt-get install python3-torch)")
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    xtr, ytr = render.glyph_set(CLASSES, args.train, TRAIN_SEED)
    xca, _ = render.glyph_set(CLASSES, 100, CALIB_SEED)
    xev, yev = render.glyph_set(CLASSES, 600, EVAL_SEED)
    t_render = time.time() - t0
    net = build(nn)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = args.epochs * (args.train // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(args.seed)
    net.train()
    for ep in range(args.epochs):
        perm = torch.randperm(len(xt), generator=g)
        loss_sum = 0.0
        for s in range(args.train // 64):
            idx = perm[s * 64:(s + 1) * 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss)
        print(f"epoch {ep + 1}/{args.epochs}: loss {loss_sum / (args.train // 64):.4f}", flush=True)
    net.eval()
    with torch.no_grad():
        acc_tr = float((net(xt[:2000]).argmax(1) == yt[:2000]).float().mean())
        acc_ev = float((net(torch.from_numpy(xev)).argmax(1) == torch.from_numpy(yev)).float().mean())
    onnx_path = os.path.join(args.out, "glyph_cnn.onnx")
    torch.onnx.export(net, torch.from_numpy(xca[:1]), onnx_path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    np.save(os.path.join(args.out, "calib.npy"), xca)
    np.save(os.path.join(args.out, "eval.npy"), xev)
    np.save(os.path.join(args.out, "eval_labels.npy"), yev)
    rep = {"epochs": args.epochs, "train_samples": args.train, "render_s": round(t_render, 1),
           "total_s": round(time.time() - t0, 1), "train_acc": acc_tr, "eval_acc_fp32_torch": acc_ev,
           "torch": torch.__version__, "classes": CLASSES}
    with open(os.path.join(args.out, "train_report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    print(json.dumps(rep))


if __name__ == "__main__":
    main()
