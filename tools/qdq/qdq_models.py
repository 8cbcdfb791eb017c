#!/usr/bin/env python3
"""Q/DQ models in the node layout of ONNX Runtime's quantize_static (QuantFormat.QDQ,
per_channel=True, weights QInt8 symmetric, calibrate_method MinMax), without ONNX Runtime.

ONNX Runtime is not installable on the dev machine, so this script re-implements what
quantize_static writes, from its documented rules (onnxruntime/python/tools/quantization:
qdq_quantizer.py, quant_utils.compute_scale_zp, operators/activation.py), on a float model:

  1. pre-processing as quant_pre_process does: BatchNormalization folded into the Conv before it;
  2. MinMax calibration: min and max of every tensor over seeded random samples (a numpy float
     executor below: Conv, BatchNormalization, Relu, Clip, Add, Concat, MaxPool, AveragePool,
     GlobalAveragePool, Flatten, Reshape, Gemm);
  3. quantization, node by node in topological order:
     - Conv / Gemm: input 0 and output are activations; the weight is per-channel QInt8 symmetric
       (scale = max|w| / 127 per output channel: axis 0 for Conv and Gemm transB=1, axis 1 for
       Gemm transB=0), stored as '<W>_quantized' (int8) + '<W>_scale' + '<W>_zero_point' (int8
       zeros) and read through DequantizeLinear '<W>_DequantizeLinear' (axis); the bias is int32
       '<B>_quantized' with scale x_scale * w_scale[k] (float32 product) and int32 zero points,
       read through '<B>_DequantizeLinear' (axis 0);
     - Relu / Clip (QDQRemovableActivation): with asymmetric activations, the node is removed when
       its input is quantized, comes from one producer with one consumer and is not a graph output:
       the producer writes the Relu's output tensor, whose range (min 0) makes the Q saturate at 0;
       with symmetric activations the node stays and its input and output are quantized;
     - MaxPool, Reshape, Transpose, Squeeze, Unsqueeze (QDQDirect8BitOp): input quantized, the
       output shares the input's scale and zero point;
     - Add, Concat, GlobalAveragePool, AveragePool, Mul: every input and the output quantized with
       their own ranges; Flatten is not an ORT-quantized op and stays float between the pairs;
  4. every quantized activation tensor T gets one pair shared by all its consumers:
     QuantizeLinear 'T_QuantizeLinear' (T, 'T_scale', 'T_zero_point') -> 'T_QuantizeLinear_Output',
     DequantizeLinear 'T_DequantizeLinear' -> 'T_DequantizeLinear_Output' read by every consumer;
     a graph output T is written by its producer as 'T_QuantizeLinear_Input' and the DQ writes T.
  Activation scales (compute_scale_zp): rmin = min(min, 0), rmax = max(max, 0); symmetric:
  rmin = -rmax = -max(|rmin|, |rmax|); scale = (rmax - rmin) / (qmax - qmin) in float32,
  zero_point = round(qmin - rmin / scale); QUInt8 [0, 255], QInt8 [-128, 127], QInt8 symmetric
  [-127, 127] (ActivationSymmetric=True).

Models: 'small' (a convnet with a residual Add, a Concat of two branches, MaxPool,
GlobalAveragePool, Flatten, Gemm; seeded weights) or any float .onnx (the zoo's ResNet-50 and
MobileNetV2). Variants: u8 (QUInt8 activations, ORT's default), s8 (QInt8, asymmetric as ORT's
default for QInt8), s8sym (QInt8 with ActivationSymmetric=True, the TensorRT-style form).

  qdq_models.py small OUT_DIR                      # OUT_DIR/small.onnx + small_qdq_{u8,s8,s8sym}.onnx
  qdq_models.py model.onnx OUT_DIR [--variants u8] [--samples 4] [--seed 7]

Needs numpy and onnx only (Debian: python3-numpy, python3-onnx).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# ---------------------------------------------------------------------------------------------
# numpy float executor (calibration)


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _pad_nchw(x, pads, value=0.0):
    t, l, b, r = pads[0], pads[1], pads[2], pads[3]
    if t == l == b == r == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def _conv(x, w, b, node):
    strides = _attr(node, "strides", [1, 1])
    pads = _attr(node, "pads", [0, 0, 0, 0])
    dil = _attr(node, "dilations", [1, 1])
    group = _attr(node, "group", 1)
    if _attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise SystemExit("qdq_models.py: Conv '%s': auto_pad is not supported here" % node.name)
    if dil != [1, 1]:
        raise SystemExit("qdq_models.py: Conv '%s': dilations are not supported here" % node.name)
    k, cg, kh, kw = w.shape
    xp = _pad_nchw(x, pads)
    n, c, h, wd = xp.shape
    oh = (h - kh) // strides[0] + 1
    ow = (wd - kw) // strides[1] + 1
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::strides[0], ::strides[1]][:, :, :oh, :ow]
    if group == 1:
        y = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    elif cg == 1 and k == c:   # depthwise
        y = np.einsum("nchwij,cij->nchw", win, w[:, 0], optimize=True)
    else:
        kg = k // group
        ys = [np.tensordot(win[:, g * cg:(g + 1) * cg], w[g * kg:(g + 1) * kg], axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
              for g in range(group)]
        y = np.concatenate(ys, axis=1)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _pool(x, node, kind):
    ks = _attr(node, "kernel_shape")
    strides = _attr(node, "strides", [1, 1])
    pads = _attr(node, "pads", [0, 0, 0, 0])
    if _attr(node, "ceil_mode", 0):
        raise SystemExit("qdq_models.py: %s '%s': ceil_mode is not supported here" % (node.op_type, node.name))
    xp = _pad_nchw(x, pads, -np.inf if kind == "max" else 0.0)
    win = np.lib.stride_tricks.sliding_window_view(xp, tuple(ks), axis=(2, 3))[:, :, ::strides[0], ::strides[1]]
    if kind == "max":
        return win.max(axis=(4, 5))
    if _attr(node, "count_include_pad", 0) or pads == [0, 0, 0, 0]:
        return win.mean(axis=(4, 5))
    ones = _pad_nchw(np.ones_like(x[:1, :1]), pads)
    cnt = np.lib.stride_tricks.sliding_window_view(ones, tuple(ks), axis=(2, 3))[:, :, ::strides[0], ::strides[1]].sum(axis=(4, 5))
    return win.sum(axis=(4, 5)) / cnt


def run_float(model, feeds):
    """Runs the float graph on feeds; returns every tensor by name."""
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for n in model.graph.node:
        x = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Conv":
            y = _conv(x[0], x[1], x[2] if len(x) > 2 else None, n)
        elif op == "BatchNormalization":
            s, b, m, v = x[1], x[2], x[3], x[4]
            eps = _attr(n, "epsilon", 1e-5)
            k = s / np.sqrt(v + eps)
            y = (x[0] - m.reshape(1, -1, 1, 1)) * k.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Clip":
            lo = x[1] if len(x) > 1 and x[1] is not None else _attr(n, "min", -np.inf)
            hi = x[2] if len(x) > 2 and x[2] is not None else _attr(n, "max", np.inf)
            y = np.clip(x[0], lo, hi)
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "Mul":
            y = x[0] * x[1]
        elif op == "Concat":
            y = np.concatenate(x, axis=_attr(n, "axis"))
        elif op == "MaxPool":
            y = _pool(x[0], n, "max")
        elif op == "AveragePool":
            y = _pool(x[0], n, "avg")
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            a = _attr(n, "axis", 1)
            y = x[0].reshape(int(np.prod(x[0].shape[:a])), -1)
        elif op == "Reshape":
            shape = [d if d != 0 else x[0].shape[i] for i, d in enumerate(x[1].tolist())]
            y = x[0].reshape(shape)
        elif op == "Gemm":
            a = x[0].T if _attr(n, "transA", 0) else x[0]
            b = x[1].T if _attr(n, "transB", 0) else x[1]
            y = _attr(n, "alpha", 1.0) * (a @ b)
            if len(x) > 2 and x[2] is not None:
                y = y + _attr(n, "beta", 1.0) * x[2]
        elif op in ("Identity", "Dropout"):
            y = x[0]
        else:
            raise SystemExit("qdq_models.py: op %s ('%s') is not in the calibration executor" % (op, n.name))
        env[n.output[0]] = np.asarray(y, dtype=np.float32)
    return env


# ---------------------------------------------------------------------------------------------
# pre-processing: fold BatchNormalization into the Conv before it (quant_pre_process's optimizer)


def fold_batchnorm(model):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    producer = {o: n for n in g.node for o in n.output}
    remove = []
    for bn in g.node:
        if bn.op_type != "BatchNormalization":
            continue
        conv = producer.get(bn.input[0])
        if conv is None or conv.op_type != "Conv" or len(consumers.get(conv.output[0], [])) != 1:
            continue
        if any(i not in inits for i in bn.input[1:]) or conv.input[1] not in inits:
            continue
        s, b, m, v = (numpy_helper.to_array(inits[i]).astype(np.float64) for i in bn.input[1:5])
        k = s / np.sqrt(v + _attr(bn, "epsilon", 1e-5))
        w = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float64)
        cb = numpy_helper.to_array(inits[conv.input[2]]).astype(np.float64) if len(conv.input) > 2 and conv.input[2] else np.zeros(w.shape[0])
        inits[conv.input[1]].CopyFrom(numpy_helper.from_array((w * k.reshape(-1, 1, 1, 1)).astype(np.float32), conv.input[1]))
        bias_name = conv.input[1] + "_bias" if len(conv.input) < 3 or not conv.input[2] else conv.input[2]
        nb = numpy_helper.from_array(((cb - m) * k + b).astype(np.float32), bias_name)
        if bias_name in inits:
            inits[bias_name].CopyFrom(nb)
        else:
            g.initializer.append(nb)
            inits[bias_name] = g.initializer[-1]
            while len(conv.input) < 3:
                conv.input.append("")
            conv.input[2] = bias_name
        conv.output[0] = bn.output[0]
        remove.append(bn)
    for n in remove:
        g.node.remove(n)
    used = {i for n in g.node for i in n.input}
    for i in list(g.initializer):
        if i.name not in used:
            g.initializer.remove(i)
    return model


# ---------------------------------------------------------------------------------------------
# quantization in ORT's QDQ layout

VARIANTS = {
    # name: (onnx type, numpy type, qmin, qmax, symmetric)
    "u8": (TensorProto.UINT8, np.uint8, 0, 255, False),
    "s8": (TensorProto.INT8, np.int8, -128, 127, False),
    "s8sym": (TensorProto.INT8, np.int8, -127, 127, True),
}


def compute_scale_zp(rmin, rmax, qmin, qmax, symmetric):
    rmin = np.float32(min(rmin, 0.0))
    rmax = np.float32(max(rmax, 0.0))
    if symmetric:
        absmax = np.float32(max(abs(rmin), abs(rmax)))
        rmin, rmax = -absmax, absmax
    scale = np.float32((rmax - rmin) / np.float32(qmax - qmin))
    if scale < np.finfo(np.float32).tiny:
        return np.float32(1.0), 0
    zp = int(np.round(np.float32(qmin) - rmin / scale))
    return scale, zp


def quantize_qdq(model, ranges, variant):
    qtype, qnp, qmin, qmax, symmetric = VARIANTS[variant]
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    graph_outputs = {o.name for o in g.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    producer = {o: n for n in g.node for o in n.output}

    to_quantize = []      # activation tensors, in order
    shared_from = {}      # tensor -> tensor whose scale/zp it uses
    weights = []          # (name, axis)
    biases = []           # (bias, input, weight)
    removed = set()

    def want(t):
        if t and t not in inits and t not in to_quantize:
            to_quantize.append(t)

    for n in list(g.node):
        op = n.op_type
        if op in ("Conv", "Gemm"):
            want(n.input[0])
            axis = 0
            if op == "Gemm" and not _attr(n, "transB", 0):
                axis = 1
            weights.append((n.input[1], axis))
            if len(n.input) > 2 and n.input[2]:
                biases.append((n.input[2], n.input[0], n.input[1]))
            want(n.output[0])
        elif op in ("Relu", "Clip"):
            up = n.input[0]
            p = producer.get(up)
            if (not symmetric and up in to_quantize and p is not None and len(consumers.get(up, [])) == 1 and up not in graph_outputs):
                # QDQRemovableActivation: the producer writes this node's output instead.
                p.output[list(p.output).index(up)] = n.output[0]
                producer[n.output[0]] = p
                to_quantize[to_quantize.index(up)] = n.output[0]
                removed.add(id(n))
                ranges[n.output[0]] = ranges[n.output[0]]
            else:
                want(up)
                want(n.output[0])
        elif op in ("MaxPool", "Reshape", "Transpose", "Squeeze", "Unsqueeze"):
            if n.input[0] in to_quantize:
                want(n.input[0])
                shared_from[n.output[0]] = shared_from.get(n.input[0], n.input[0])
                want(n.output[0])
        elif op in ("Add", "Concat", "GlobalAveragePool", "AveragePool", "Mul"):
            for i in n.input:
                want(i)
            want(n.output[0])
    nodes = [n for n in g.node if id(n) not in removed]

    new_inits = []
    new_nodes = []
    # Activation scales.
    params = {}
    for t in to_quantize:
        src = shared_from.get(t, t)
        if src not in params:
            lo, hi = ranges[src]
            params[src] = compute_scale_zp(lo, hi, qmin, qmax, symmetric)
        params[t] = params[src]
    pair_nodes = {}
    rename_out = {}
    rename_in = {}
    for t in to_quantize:
        scale, zp = params[t]
        src = shared_from.get(t, t)
        sname, zname = src + "_scale", src + "_zero_point"
        if src == t:
            new_inits.append(numpy_helper.from_array(np.array(scale, dtype=np.float32), sname))
            new_inits.append(numpy_helper.from_array(np.array(zp, dtype=qnp), zname))
        if t in graph_outputs:
            q_in, dq_out = t + "_QuantizeLinear_Input", t
            rename_out[t] = q_in
        else:
            q_in, dq_out = t, t + "_DequantizeLinear_Output"
            rename_in[t] = dq_out
        qn = helper.make_node("QuantizeLinear", [q_in, sname, zname], [t + "_QuantizeLinear_Output"], t + "_QuantizeLinear")
        dn = helper.make_node("DequantizeLinear", [t + "_QuantizeLinear_Output", sname, zname], [dq_out], t + "_DequantizeLinear")
        pair_nodes[t] = (qn, dn)
    # Weights, per channel, symmetric int8.
    wq = {}
    for name, axis in weights:
        if name in wq:
            continue
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        wm = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
        absmax = np.maximum(np.abs(wm.min(axis=1)), np.abs(wm.max(axis=1))).astype(np.float32)
        scale = (np.float32(2.0) * absmax / np.float32(254.0)).astype(np.float32)
        scale[scale < np.finfo(np.float32).tiny] = 1.0
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        wq[name] = scale
        new_inits += [numpy_helper.from_array(q, name + "_quantized"), numpy_helper.from_array(scale, name + "_scale"),
                      numpy_helper.from_array(np.zeros(scale.shape, np.int8), name + "_zero_point")]
        new_nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"],
                                          [name + "_DequantizeLinear_Output"], name + "_DequantizeLinear", axis=axis))
        rename_in[name] = name + "_DequantizeLinear_Output"
    # Bias: int32 at x_scale * w_scale.
    for bname, xname, wname in biases:
        b = numpy_helper.to_array(inits[bname]).astype(np.float32)
        bs = (np.float32(params[xname][0]) * wq[wname]).astype(np.float32)
        q = np.round(b / bs).astype(np.int32)
        qn = bname + "_quantized"
        new_inits += [numpy_helper.from_array(q, qn), numpy_helper.from_array(bs, qn + "_scale"),
                      numpy_helper.from_array(np.zeros(bs.shape, np.int32), qn + "_zero_point")]
        new_nodes.append(helper.make_node("DequantizeLinear", [qn, qn + "_scale", qn + "_zero_point"], [bname + "_DequantizeLinear_Output"],
                                          bname + "_DequantizeLinear", axis=0))
        rename_in[bname] = bname + "_DequantizeLinear_Output"
    # Rewire: consumers read the DQ outputs; producers of quantized graph outputs write the Q input.
    out_nodes = []
    for n in nodes:
        for k, i in enumerate(n.input):
            if i in rename_in:
                n.input[k] = rename_in[i]
        for k, o in enumerate(n.output):
            if o in rename_out:
                n.output[k] = rename_out[o]
    for t in to_quantize:
        if t in [i.name for i in g.input]:
            out_nodes += list(pair_nodes[t])
    out_nodes += new_nodes
    for n in nodes:
        out_nodes.append(n)
        for o in n.output:
            t = o[: -len("_QuantizeLinear_Input")] if o.endswith("_QuantizeLinear_Input") else o
            if t in pair_nodes:
                out_nodes += list(pair_nodes[t])
    quantized_init_names = {w for w, _ in weights} | {b for b, _, _ in biases}
    keep_inits = [i for i in g.initializer if i.name not in quantized_init_names]
    del g.initializer[:]
    g.initializer.extend(keep_inits + new_inits)
    del g.node[:]
    g.node.extend(out_nodes)
    # Initializers only the removed Relu/Clip nodes read (Clip bounds) go, as ORT's quantizer
    # removes unused constants at the end.
    used = {i for n in g.node for i in n.input}
    for i in list(g.initializer):
        if i.name not in used:
            g.initializer.remove(i)
    del g.value_info[:]
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx") and op.version < 13:
            op.version = 13   # per-axis DequantizeLinear needs opset 13, as ORT requires for per_channel
    model.producer_name = "onnx.quantize"   # what ORT writes
    model.producer_version = "edgeinfer-qdq-emulation"
    return model


def calibrate(model, samples, seed):
    rng = np.random.default_rng(seed)
    ranges = {}
    for _ in range(samples):
        feeds = {}
        for i in model.graph.input:
            if i.name in {x.name for x in model.graph.initializer}:
                continue
            dims = [d.dim_value if d.dim_value > 0 else 1 for d in i.type.tensor_type.shape.dim]
            feeds[i.name] = rng.standard_normal(dims).astype(np.float32)
        env = run_float(model, feeds)
        for k, v in env.items():
            if v.dtype != np.float32:
                continue
            lo, hi = float(v.min()), float(v.max())
            if k in ranges:
                lo, hi = min(lo, ranges[k][0]), max(hi, ranges[k][1])
            ranges[k] = (lo, hi)
    return ranges


# ---------------------------------------------------------------------------------------------
# the small convnet


def small_model(seed=3):
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def w(name, shape, fan_in):
        bound = np.sqrt(6.0 / fan_in)
        inits.append(numpy_helper.from_array(rng.uniform(-bound, bound, shape).astype(np.float32), name))
        return name

    def b(name, n):
        inits.append(numpy_helper.from_array(rng.uniform(-0.2, 0.2, n).astype(np.float32), name))
        return name

    def conv(x, name, cin, cout, k, stride=1, bn=True, group=1):
        p = k // 2
        ins = [x, w(name + ".weight", (cout, cin // group, k, k), cin // group * k * k)]
        if not bn:
            ins.append(b(name + ".bias", cout))
        nodes.append(helper.make_node("Conv", ins, [name], name, kernel_shape=[k, k], strides=[stride, stride], pads=[p] * 4, group=group))
        if not bn:
            return name
        bnn = name + "_bn"
        for suffix, arr in (("scale", rng.uniform(0.5, 1.5, cout)), ("bias", rng.uniform(-0.3, 0.3, cout)),
                            ("mean", rng.uniform(-0.2, 0.2, cout)), ("var", rng.uniform(0.5, 2.0, cout))):
            inits.append(numpy_helper.from_array(arr.astype(np.float32), bnn + "." + suffix))
        nodes.append(helper.make_node("BatchNormalization", [name, bnn + ".scale", bnn + ".bias", bnn + ".mean", bnn + ".var"], [bnn], bnn))
        return bnn

    def relu(x, name):
        nodes.append(helper.make_node("Relu", [x], [name], name))
        return name

    x = relu(conv("input", "conv1", 3, 16, 3), "relu1")
    y = relu(conv(x, "conv2", 16, 16, 3), "relu2")
    y = conv(y, "conv3", 16, 16, 3)
    nodes.append(helper.make_node("Add", [y, x], ["add"], "add"))
    x = relu("add", "relu3")
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], "pool", kernel_shape=[2, 2], strides=[2, 2]))
    a = relu(conv("pool", "branch_a", 16, 8, 1, bn=False), "relu_a")
    c = relu(conv("pool", "branch_b", 16, 8, 3, bn=False), "relu_b")
    nodes.append(helper.make_node("Concat", [a, c], ["concat"], "concat", axis=1))
    x = relu(conv("concat", "conv4", 16, 32, 3, stride=2), "relu4")
    dw = conv(x, "dwconv", 32, 32, 3, group=32, bn=False)
    nodes.append(helper.make_node("Clip", [dw, "clip_min", "clip_max"], ["relu6"], "relu6"))
    inits.append(numpy_helper.from_array(np.array(0.0, np.float32), "clip_min"))
    inits.append(numpy_helper.from_array(np.array(6.0, np.float32), "clip_max"))
    nodes.append(helper.make_node("GlobalAveragePool", ["relu6"], ["gap"], "gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flatten"], "flatten", axis=1))
    ins = ["flatten", w("fc.weight", (10, 32), 32), b("fc.bias", 10)]
    nodes.append(helper.make_node("Gemm", ins, ["output"], "fc", transB=1))
    graph = helper.make_graph(nodes, "small_qdq_net", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="edgeinfer-qdq-models")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="'small' or a float .onnx file")
    ap.add_argument("out_dir")
    ap.add_argument("--variants", default="u8,s8,s8sym")
    ap.add_argument("--samples", type=int, default=4, help="calibration samples (seeded standard normal)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    if a.model == "small":
        base = "small"
        fm = small_model()
        onnx.save(fm, os.path.join(a.out_dir, "small.onnx"))
    else:
        base = os.path.splitext(os.path.basename(a.model))[0]
        fm = onnx.load(a.model)
    fm = fold_batchnorm(fm)
    ranges = calibrate(fm, a.samples, a.seed)
    for v in a.variants.split(","):
        if v not in VARIANTS:
            raise SystemExit("qdq_models.py: variant '%s' is not one of %s" % (v, ", ".join(VARIANTS)))
        m = onnx.ModelProto()
        m.CopyFrom(fm)
        qm = quantize_qdq(m, dict(ranges), v)
        onnx.checker.check_model(qm)
        path = os.path.join(a.out_dir, "%s_qdq_%s.onnx" % (base, v))
        onnx.save(qm, path)
        counts = {}
        for n in qm.graph.node:
            counts[n.op_type] = counts.get(n.op_type, 0) + 1
        print("%s: %s" % (path, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main(sys.argv[1:])
