"""PaddleOCR models on rendered text: fixed-shape model copies, data sets and the task metrics.

    python3 ocr_data.py ASSETS_DIR OUT_DIR [--eval-cls 300 --eval-rec 150 --eval-det 40]

ASSETS_DIR holds the npm package's files (fetch_ocr_models.sh). For each of cls, rec, det this
writes OUT_DIR/<task>/: model.onnx (the package's model with its spatial input dims fixed, the batch
left symbolic, as `trtexec --shapes` would bind them), calib.npy (100 samples; 40 pages for det),
eval.npy (other seeds: disjoint from calibration) and the ground truth (eval_labels.npy for cls,
eval_texts.json for rec, eval_boxes.json for det).

Preprocessing is PaddleOCR's (tools/infer/predict_*.py): cls and rec resize to height 48 keeping the
aspect ratio, scale to [-1, 1] and pad the width with zeros (cls 192, rec 320); det normalises with
the ImageNet mean/std (320x320 pages, multiples of 32 as DB needs).

Metrics (the functions below, used by suite.py):
  cls  accuracy of argmax against the 0/180 degree labels;
  rec  character accuracy 1 - sum(edit distance) / sum(len(truth)) after CTC greedy decoding
       (collapse repeats, drop blank 0) with ppocr_keys_v1.txt (+ ' ' last, use_space_char);
  det  box F1 at IoU 0.5 (greedy one-to-one matching) after DB post-processing: probability > 0.3,
       4-connected components, score = mean probability inside the component >= 0.6, axis-aligned
       box of the component unclipped by area * 1.5 / perimeter on each side (DBPostProcess's
       defaults; boxes are axis-aligned because the rendered text is horizontal).
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render  # noqa: E402

MODELS = {"cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx", "rec": "ch_PP-OCRv4_rec_infer.onnx",
          "det": "ch_PP-OCRv4_det_infer.onnx"}
SHAPES = {"cls": (3, 48, 192), "rec": (3, 48, 320), "det": (3, 320, 320)}
CALIB_SEED, EVAL_SEED = {"cls": 11, "rec": 21, "det": 31}, {"cls": 12, "rec": 22, "det": 32}


def fix_shape(src, dst, chw):
    import onnx
    m = onnx.load(src)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    dims[0].ClearField("dim_value")
    dims[0].dim_param = "N"
    for d, v in zip(dims[1:], chw):
        d.ClearField("dim_param")
        d.dim_value = v
    onnx.save(m, dst)


def line_tensor(img, width):
    """PaddleOCR's resize_norm_img: height 48, aspect kept, width capped, [-1,1], zero padded."""
    h, w = img.shape[:2]
    rw = min(width, int(np.ceil(48 * w / h)))
    r = np.asarray(Image.fromarray(img).resize((rw, 48), Image.BILINEAR), np.float32)
    out = np.zeros((3, 48, width), np.float32)
    out[:, :, :rw] = (r.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out


def page_tensor(img):
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    return (img.transpose(2, 0, 1).astype(np.float32) / 255.0 - mean) / std


def make_cls(n, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3, 48, 192), np.float32)
    y = np.zeros(n, np.int64)
    for i in range(n):
        img = render.text_line(render.random_text(rng, 2), rng)
        if rng.random() < 0.5:
            img = img[::-1, ::-1].copy()
            y[i] = 1
        x[i] = line_tensor(img, 192)
    return x, y


def make_rec(n, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3, 48, 320), np.float32)
    texts = []
    while len(texts) < n:
        t = render.random_text(rng, 2)
        img = render.text_line(t, rng)
        if img.shape[1] > 320 * 0.95:   # PaddleOCR would squeeze it; keep lines that fit
            continue
        x[len(texts)] = line_tensor(img, 320)
        texts.append(t)
    return x, texts


def make_det(n, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3, 320, 320), np.float32)
    boxes = []
    for i in range(n):
        img, b, _ = render.page(rng)
        x[i] = page_tensor(img)
        boxes.append([list(map(int, bb)) for bb in b])
    return x, boxes


def read_keys(assets):
    with open(os.path.join(assets, "ppocr_keys_v1.txt"), encoding="utf-8") as f:
        keys = [line.rstrip("\n") for line in f]
    return ["<blank>"] + keys + [" "]


def ctc_greedy(probs, keys):
    """probs [T, C] -> string: argmax per step, repeats collapsed, blanks (0) dropped."""
    idx = probs.argmax(-1)
    out, prev = [], -1
    for k in idx:
        if k != prev and k != 0 and k < len(keys):
            out.append(keys[k])
        prev = k
    return "".join(out)


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
            prev, d[j] = d[j], cur
    return d[len(b)]


def rec_char_accuracy(probs, texts, keys):
    errs = sum(edit_distance(ctc_greedy(p, keys), t) for p, t in zip(probs, texts))
    return 1.0 - errs / max(1, sum(len(t) for t in texts))


def components(mask):
    """4-connected components of a boolean [H, W] mask: list of (ys, xs) index arrays."""
    h, w = mask.shape
    label = np.zeros((h, w), np.int32)
    comps = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if label[y0, x0]:
            continue
        label[y0, x0] = len(comps) + 1
        stack, ys, xs = [(y0, x0)], [], []
        while stack:
            y, x = stack.pop()
            ys.append(y)
            xs.append(x)
            for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not label[yy, xx]:
                    label[yy, xx] = len(comps) + 1
                    stack.append((yy, xx))
        comps.append((np.array(ys), np.array(xs)))
    return comps


def db_boxes(prob, thresh=0.3, box_thresh=0.6, unclip_ratio=1.5, min_size=3):
    """DB post-processing of one [H, W] probability map -> [(x0, y0, x1, y1)] axis-aligned boxes."""
    h, w = prob.shape
    out = []
    for ys, xs in components(prob > thresh):
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        bw, bh = x1 - x0, y1 - y0
        if min(bw, bh) < min_size or prob[ys, xs].mean() < box_thresh:
            continue
        d = bw * bh * unclip_ratio / (2.0 * (bw + bh))
        out.append((max(0.0, x0 - d), max(0.0, y0 - d), min(float(w), x1 + d), min(float(h), y1 + d)))
    return out


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def det_f1(probs, gt_boxes, iou_min=0.5):
    """Box F1 over pages: probs [N, 1, H, W]; greedy one-to-one matching by IoU."""
    tp = n_pred = n_gt = 0
    for p, gts in zip(probs, gt_boxes):
        pred = db_boxes(p[0])
        n_pred += len(pred)
        n_gt += len(gts)
        used = set()
        for b in pred:
            best, bj = iou_min, -1
            for j, g in enumerate(gts):
                if j not in used and iou(b, g) >= best:
                    best, bj = iou(b, g), j
            if bj >= 0:
                used.add(bj)
                tp += 1
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gt if n_gt else 0.0
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("assets")
    ap.add_argument("out")
    ap.add_argument("--tasks", default="cls,rec,det")
    ap.add_argument("--calib", type=int, default=100)
    ap.add_argument("--calib-det", type=int, default=40)
    ap.add_argument("--eval-cls", type=int, default=300)
    ap.add_argument("--eval-rec", type=int, default=150)
    ap.add_argument("--eval-det", type=int, default=40)
    a = ap.parse_args()
    for task in a.tasks.split(","):
        d = os.path.join(a.out, task)
        os.makedirs(d, exist_ok=True)
        fix_shape(os.path.join(a.assets, MODELS[task]), os.path.join(d, "model.onnx"), SHAPES[task])
        if task == "cls":
            xc, _ = make_cls(a.calib, CALIB_SEED[task])
            xe, ye = make_cls(a.eval_cls, EVAL_SEED[task])
            np.save(os.path.join(d, "eval_labels.npy"), ye)
        elif task == "rec":
            xc, _ = make_rec(a.calib, CALIB_SEED[task])
            xe, te = make_rec(a.eval_rec, EVAL_SEED[task])
            with open(os.path.join(d, "eval_texts.json"), "w") as f:
                json.dump(te, f)
        else:
            xc, _ = make_det(a.calib_det, CALIB_SEED[task])
            xe, be = make_det(a.eval_det, EVAL_SEED[task])
            with open(os.path.join(d, "eval_boxes.json"), "w") as f:
                json.dump(be, f)
        np.save(os.path.join(d, "calib.npy"), xc)
        np.save(os.path.join(d, "eval.npy"), xe)
        print(task, "calib", xc.shape, "eval", xe.shape, flush=True)


if __name__ == "__main__":
    main()
