#!/usr/bin/env python3
"""Quantizes a float ONNX model with ONNX Runtime's own static quantizer (the real
onnxruntime.quantization.quantize_static, QDQ format, per-channel), as a user would.

For the machine that has onnxruntime (the dev VM does not: tools/qdq/qdq_models.py emulates the
same layout there). Self-contained: numpy, onnx, onnxruntime only.

  ort_quantize.py FLOAT.onnx OUT_qdq.onnx [--activation-type QUInt8|QInt8] [--activation-symmetric]
                  [--samples 32] [--seed 0] [--calib-dir DIR_OF_NPY] [--no-preprocess]

Settings (each is ORT's default unless given):
  quant_format=QuantFormat.QDQ, per_channel=True, weight_type=QInt8 (symmetric),
  activation_type=QUInt8 (ORT's default) or QInt8, calibrate_method=MinMax,
  extra_options ActivationSymmetric (default False, as ORT), WeightSymmetric=True.
  Pre-processing: onnxruntime.quantization.quant_pre_process (symbolic shape inference + ORT's
  basic graph optimisations, which fold BatchNormalization into Conv), as ORT's docs recommend.
Calibration data (CalibrationDataReader): every .npy in --calib-dir (one sample per file, shaped
as the input or with a leading batch of 1), else --samples seeded standard-normal tensors shaped
as the model's input (symbolic dims bound to 1). Prints the node counts of the result.
"""
import argparse
import glob
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static


class Reader(CalibrationDataReader):
    def __init__(self, model_path, samples, seed, calib_dir):
        sess = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        self.inputs = [(i.name, [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]) for i in sess.get_inputs()]
        self.data = []
        if calib_dir:
            files = sorted(glob.glob(os.path.join(calib_dir, "*.npy")))
            if not files:
                raise SystemExit("ort_quantize.py: no .npy files in " + calib_dir)
            name, shape = self.inputs[0]
            for f in files:
                x = np.load(f).astype(np.float32)
                if list(x.shape) != shape:
                    x = x.reshape(shape)
                self.data.append({name: x})
        else:
            rng = np.random.default_rng(seed)
            for _ in range(samples):
                self.data.append({n: rng.standard_normal(s).astype(np.float32) for n, s in self.inputs})
        self.it = iter(self.data)

    def get_next(self):
        return next(self.it, None)

    def rewind(self):
        self.it = iter(self.data)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--activation-type", default="QUInt8", choices=["QUInt8", "QInt8"])
    ap.add_argument("--activation-symmetric", action="store_true")
    ap.add_argument("--samples", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calib-dir", default="")
    ap.add_argument("--no-preprocess", action="store_true")
    a = ap.parse_args(argv)
    src = a.model
    tmp = None
    if not a.no_preprocess:
        from onnxruntime.quantization import quant_pre_process
        tmp = tempfile.NamedTemporaryFile(suffix=".onnx", delete=False)
        tmp.close()
        quant_pre_process(a.model, tmp.name)
        src = tmp.name
    reader = Reader(src, a.samples, a.seed, a.calib_dir)
    quantize_static(
        src,
        a.out,
        reader,
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8 if a.activation_type == "QUInt8" else QuantType.QInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"ActivationSymmetric": a.activation_symmetric, "WeightSymmetric": True},
    )
    if tmp:
        os.unlink(tmp.name)
    m = onnx.load(a.out)
    counts = {}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    print("%s (onnxruntime %s, activations %s%s, %d calibration samples): %s" % (
        a.out, onnxruntime.__version__, a.activation_type, " symmetric" if a.activation_symmetric else "", len(reader.data),
        ", ".join("%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main(sys.argv[1:])
