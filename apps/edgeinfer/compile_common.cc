#include "apps/edgeinfer/compile_common.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "apps/edgeinfer/common.h"
#include "devices/cpu/reference_executor.h"
#ifdef EDGEINFER_HAVE_DNNL
#include "devices/cpu/fast/fast_device.h"
#endif
#include "fusions/calib_data.h"
#include "graph/op_table.h"
#include "graph/quant/int8_math.h"

namespace edgeinfer::apps {

namespace {
std::string BaseName(const std::string& n) {
  const std::string suf = "_i8";
  if (n.size() > suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0) return n.substr(0, n.size() - suf.size());
  const std::string s16 = "_f16";
  if (n.size() > s16.size() && n.compare(n.size() - s16.size(), s16.size(), s16) == 0) return n.substr(0, n.size() - s16.size());
  return n;
}
}  // namespace

Tensor ToFloat32(const Tensor& t, float scale) {
  if (t.dtype() == DType::kFloat32) return t;
  Tensor out(DType::kFloat32, t.dims());
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.GetAsDouble(i);
    out.data<float>()[i] = static_cast<float>(t.dtype() == DType::kInt8 ? v * scale : v);
  }
  return out;
}

double SqnrDb(const Tensor& ref, const Tensor& test) {
  double s = 0.0, n = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    double r = ref.GetAsDouble(i), d = r - test.GetAsDouble(i);
    s += r * r;
    n += d * d;
  }
  if (n == 0.0) return INFINITY;
  if (s == 0.0) return -INFINITY;
  return 10.0 * std::log10(s / n);
}

double Cosine(const Tensor& a, const Tensor& b) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = a.GetAsDouble(i), y = b.GetAsDouble(i);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa == 0.0 || bb == 0.0) return aa == bb ? 1.0 : 0.0;
  return ab / std::sqrt(aa * bb);
}

Result<devices::TensorMap> RunOne(const Graph& g, const Tensor& input) {
  if (g.inputs().size() != 1) return Status::Error("this command handles single-input models; the model has " + std::to_string(g.inputs().size()));
  devices::TensorMap in;
  in[g.value(g.inputs()[0]).name] = input;
  return devices::RunReference(g, in);
}

Result<std::vector<Tensor>> LoadSamples(const Graph& g, const std::string& path, const std::string& preprocess_yaml,
                                        int64_t max_samples, bool progress) {
  if (g.inputs().size() != 1) return Status::Error("calibration/evaluation data feeds single-input models; the model has " + std::to_string(g.inputs().size()) + " inputs");
  const Shape& s = g.value(g.inputs()[0]).shape;
  fusions::Preprocess pre;
  if (!preprocess_yaml.empty()) { EI_ASSIGN_OR_RETURN(pre, fusions::LoadPreprocess(preprocess_yaml)); }
  const int64_t batch = s.rank() > 0 && s.dims[0] > 0 ? s.dims[0] : 1;
  EI_ASSIGN_OR_RETURN(std::vector<Tensor> batches, fusions::LoadCalibrationBatches(path, s, batch, pre, max_samples, progress));
  // Keep batches whose shape the (static) input accepts; a short last batch is dropped.
  std::vector<Tensor> out;
  for (Tensor& t : batches) {
    bool ok = t.rank() == s.rank();
    for (size_t i = 0; ok && i < s.rank(); ++i) ok = s.dims[i] == kDynamic || s.dims[i] == t.dim(i);
    if (ok) out.push_back(std::move(t));
    else if (t.rank() == s.rank() && t.dim(0) != batch) continue;
    else return Status::Error("data '" + path + "': a batch of shape " + t.shape().ToString() + " does not fit the input " + s.ToString());
  }
  if (out.empty()) return Status::Error("data '" + path + "': no full batch of " + std::to_string(batch) + " samples");
  return out;
}

Result<fusions::CalibrationTable> Calibrate(const Graph& imported, const std::vector<Tensor>& batches,
                                            fusions::CalibratorKind kind, const std::string& model_hash, bool progress,
                                            const std::string& engine) {
  Graph g = imported;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";   // canonicalised, unfused: every pre-activation tensor exists
  fusions::CompileReport r;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(g, po, &r).WithContext("calibration graph"));
  fusions::Calibrator cal(kind);
  devices::ReferenceOptions ro;
  ro.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
    for (size_t i = 0; i < outs.size(); ++i) cal.Observe(gg.value(gg.node(id).outputs[i]).name, *outs[i]);
  };
#ifdef EDGEINFER_HAVE_DNNL
  // The fast CPU path, when built: every float tensor is made a graph output of a copy of the graph
  // so the device hands them all back. Its first batch is checked against the reference executor
  // (every tensor within 1e-3 of its magnitude); on any disagreement the reference does the rest.
  if (engine == "fast") {
    auto all = std::make_shared<Graph>(g);
    std::set<ValueId> outs(all->outputs().begin(), all->outputs().end());
    for (NodeId id : all->NodeIds()) {
      for (ValueId v : all->node(id).outputs) {
        if (all->value(v).dtype == DType::kFloat32 && !outs.count(v)) { all->outputs().push_back(v); outs.insert(v); }
      }
    }
    devices::CpuFastDevice dev;
    Status ps = dev.Prepare(all);
    bool fast_ok = ps.ok();
    for (size_t b = 0; fast_ok && b < batches.size(); ++b) {
      devices::TensorMap in, res;
      in[g.value(g.inputs()[0]).name] = batches[b];
      if (!dev.Launch(in, &res).ok()) { fast_ok = false; break; }
      if (b == 0) {
        auto ref = devices::RunReference(*all, in);
        if (!ref.ok()) return ref.status();
        for (const auto& [name, t] : *ref) {
          double mx = 0, diff = 0;
          const Tensor& f = res.at(name);
          for (int64_t i = 0; i < t.numel(); ++i) {
            mx = std::max(mx, std::fabs(t.GetAsDouble(i)));
            diff = std::max(diff, std::fabs(t.GetAsDouble(i) - f.GetAsDouble(i)));
          }
          if (diff > 1e-3 * std::max(mx, 1.0)) { fast_ok = false; break; }
        }
        if (!fast_ok) break;
      }
      cal.Observe(g.value(g.inputs()[0]).name, batches[b]);
      for (const auto& [name, t] : res) cal.Observe(name, t);
      cal.EndBatch();
      if (progress) fusions::ProgressBar("calibration batches (cpu-fast)", static_cast<int64_t>(b + 1), static_cast<int64_t>(batches.size()));
    }
    if (fast_ok) return cal.Finish(model_hash);
    if (progress) std::fprintf(stderr, "%scpu-fast disagreed with the reference or failed; calibrating on the reference executor\n", fusions::ProgressOnTerminal() ? "\r\033[K" : "");
    cal = fusions::Calibrator(kind);
  }
#endif
  for (size_t b = 0; b < batches.size(); ++b) {
    devices::TensorMap in;
    in[g.value(g.inputs()[0]).name] = batches[b];
    cal.Observe(g.value(g.inputs()[0]).name, batches[b]);
    auto res = devices::RunReference(g, in, ro);
    if (!res.ok()) return res.status().WithContext("calibration batch " + std::to_string(b));
    cal.EndBatch();
    if (progress) fusions::ProgressBar("calibration batches", static_cast<int64_t>(b + 1), static_cast<int64_t>(batches.size()));
  }
  return cal.Finish(model_hash);
}

Result<std::vector<LayerSqnr>> PerLayerSqnr(const Graph& g32, const Graph& g8, const std::vector<Tensor>& batches) {
  std::map<std::string, std::pair<double, double>> iso, acc;   // node -> (sum db, count)
  std::map<std::string, std::string> ops;
  for (const Tensor& batch : batches) {
    std::map<std::string, Tensor> ref;
    ref[g32.value(g32.inputs()[0]).name] = batch;
    devices::ReferenceOptions ro;
    ro.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
      for (size_t i = 0; i < outs.size(); ++i) ref[gg.value(gg.node(id).outputs[i]).name] = *outs[i];
    };
    devices::TensorMap in;
    in[g32.value(g32.inputs()[0]).name] = batch;
    EI_RETURN_IF_ERROR(devices::RunReference(g32, in, ro).status());
    // Accumulated: the INT8 graph end to end.
    devices::ReferenceOptions r8;
    r8.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
      const Node& n = gg.node(id);
      if (outs.empty() || outs[0]->dtype() != DType::kInt8 || n.op == "QuantizeLinear") return;
      const Value& v = gg.value(n.outputs[0]);
      auto it = ref.find(BaseName(v.name));
      if (it == ref.end() || !v.quant || v.quant->scale.empty()) return;
      double db = SqnrDb(it->second, ToFloat32(*outs[0], v.quant->scale[0]));
      auto& a = acc[n.name];
      a.first += std::max(-100.0, std::min(db, 200.0));
      a.second += 1;
      ops[n.name] = n.op;
    };
    devices::TensorMap in8;
    in8[g8.value(g8.inputs()[0]).name] = batch;
    EI_RETURN_IF_ERROR(devices::RunReference(g8, in8, r8).status());
    // Isolated: each INT8 node on quantized FP32 inputs.
    for (NodeId id : g8.NodeIds()) {
      const Node& n = g8.node(id);
      if (n.inputs.empty() || g8.value(n.inputs[0]).dtype != DType::kInt8 || n.op == "DequantizeLinear") continue;
      if (g8.value(n.outputs[0]).dtype != DType::kInt8 || !g8.value(n.outputs[0]).quant) continue;
      const OpDef* def = FindOp(n.op);
      if (!def || !def->reference) continue;
      std::vector<Tensor> hold;
      hold.reserve(n.inputs.size());
      std::vector<const Tensor*> in_ptrs;
      bool ok = true;
      for (ValueId v : n.inputs) {
        if (v == kNoValue) { in_ptrs.push_back(nullptr); continue; }
        const Value& val = g8.value(v);
        if (val.IsConstant()) { in_ptrs.push_back(val.constant.get()); continue; }
        auto it = ref.find(BaseName(val.name));
        if (it == ref.end() || !val.quant || val.dtype != DType::kInt8) { ok = false; break; }
        Tensor q(DType::kInt8, it->second.dims());
        for (int64_t i = 0; i < q.numel(); ++i) q.data<int8_t>()[i] = int8::QuantizeToInt8(static_cast<float>(it->second.GetAsDouble(i)), val.quant->scale[0]);
        hold.push_back(std::move(q));
        in_ptrs.push_back(&hold.back());
      }
      const Value& yv = g8.value(n.outputs[0]);
      auto yref = ref.find(BaseName(yv.name));
      if (!ok || yref == ref.end() || n.outputs.size() != 1) continue;
      Tensor y(DType::kInt8, yref->second.dims());
      if (!def->reference(n, in_ptrs, {&y}).ok()) continue;
      double db = SqnrDb(yref->second, ToFloat32(y, yv.quant->scale[0]));
      auto& a = iso[n.name];
      a.first += std::max(-100.0, std::min(db, 200.0));
      a.second += 1;
      ops[n.name] = n.op;
    }
  }
  std::vector<LayerSqnr> out;
  for (const auto& [name, op] : ops) {
    LayerSqnr l;
    l.node = name;
    l.op = op;
    l.isolated_db = iso.count(name) ? iso[name].first / iso[name].second : NAN;
    l.accumulated_db = acc.count(name) ? acc[name].first / acc[name].second : NAN;
    out.push_back(l);
  }
  // Worst first; layers without an isolated figure (multi-output Split, ...) last.
  auto key = [](const LayerSqnr& l) { return std::isnan(l.isolated_db) ? INFINITY : l.isolated_db; };
  std::sort(out.begin(), out.end(), [&](const LayerSqnr& a, const LayerSqnr& b) { return key(a) < key(b); });
  return out;
}

Result<Compiled> CompileModel(const CompileArgs& a) {
  EI_ASSIGN_OR_RETURN(fusions::Precision precision, fusions::ParsePrecision(a.precision));
  EI_ASSIGN_OR_RETURN(Graph imported, LoadModel(a.model, a.batch));
  Compiled out;
  fusions::PipelineOptions po;
  po.precision = precision;
  po.disabled.insert(a.disable.begin(), a.disable.end());
  po.dump_after.insert(a.dump_after.begin(), a.dump_after.end());
  po.dump_dir = a.dump_dir;
  po.int8_fallback_fp16 = a.fallback_fp16;
  std::vector<Tensor> samples;
  if (precision == fusions::Precision::kInt8) {
    EI_ASSIGN_OR_RETURN(std::string hash, fusions::HashModelFile(a.model));
    std::error_code ec;
    if (!a.calib_cache.empty() && std::filesystem::exists(a.calib_cache, ec)) {
      EI_ASSIGN_OR_RETURN(out.calibration, fusions::CalibrationTable::Load(a.calib_cache, hash));
    } else if (!a.calib.empty()) {
      EI_ASSIGN_OR_RETURN(fusions::CalibratorKind kind, fusions::ParseCalibrator(a.calibrator));
      EI_ASSIGN_OR_RETURN(samples, LoadSamples(imported, a.calib, a.preprocess, a.calib_samples, a.progress));
      EI_ASSIGN_OR_RETURN(out.calibration, Calibrate(imported, samples, kind, hash, a.progress, a.calib_engine));
      if (!a.calib_cache.empty()) EI_RETURN_IF_ERROR(out.calibration->Save(a.calib_cache));
    } else if (a.random_calibration_if_missing) {
      bool qdq = false;
      for (NodeId id : imported.NodeIds()) qdq |= imported.node(id).op == "QuantizeLinear";
      if (!qdq) {
        EI_ASSIGN_OR_RETURN(std::vector<Tensor> random, fusions::SeededRandomBatches(imported, 2));
        EI_ASSIGN_OR_RETURN(out.calibration, Calibrate(imported, random, fusions::CalibratorKind::kMinMax, hash, false, a.calib_engine));
        out.synthetic_calibration = true;
      }
    }
    if (out.calibration) po.calibration = &*out.calibration;
  }
  out.graph = imported;
  out.report.model = std::filesystem::path(a.model).filename().string();
  // INT8 network I/O applies to the final graph only (the per-layer error below compares value by
  // value with the float graph, which has float I/O).
  const bool mixed = precision == fusions::Precision::kInt8 && a.mixed_sqnr_db > 0.0;
  if (a.io_format == "int8" && precision != fusions::Precision::kInt8)
    return Status::Error("--io-format int8 needs --precision int8 (the I/O scales are the INT8 calibration's)");
  fusions::PipelineOptions final_po = po;
  if (!a.io_format.empty()) final_po.pass_options["io_format"] = a.io_format;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(out.graph, mixed ? po : final_po, &out.report));
  if (mixed) {
    if (samples.empty() && !a.calib.empty()) { EI_ASSIGN_OR_RETURN(samples, LoadSamples(imported, a.calib, a.preprocess, a.calib_samples, false)); }
    if (samples.empty()) return Status::Error("mixed precision needs sample data (--calib DATA) to measure per-layer INT8 error");
    std::vector<Tensor> probe(samples.begin(), samples.begin() + std::min<size_t>(samples.size(), 2));
    Graph g32 = imported;
    fusions::PipelineOptions p32 = po;
    p32.precision = fusions::Precision::kFp32;
    p32.dump_after.clear();
    fusions::CompileReport r32;
    EI_RETURN_IF_ERROR(fusions::RunPipeline(g32, p32, &r32));
    EI_ASSIGN_OR_RETURN(out.sensitivity, PerLayerSqnr(g32, out.graph, probe));
    std::string exclude;
    for (const LayerSqnr& l : out.sensitivity) {
      if (l.isolated_db < a.mixed_sqnr_db) {
        out.kept_float.push_back(l.node);
        exclude += (exclude.empty() ? "" : ",") + l.node;
      }
    }
    if (!exclude.empty()) final_po.pass_options["int8_exclude"] = exclude;
    if (!exclude.empty() || !a.io_format.empty()) {
      out.graph = imported;
      out.report = fusions::CompileReport();
      out.report.model = std::filesystem::path(a.model).filename().string();
      EI_RETURN_IF_ERROR(fusions::RunPipeline(out.graph, final_po, &out.report));
    }
    out.report.notes.push_back("mixed precision: " + std::to_string(out.kept_float.size()) + " layers below " +
                               std::to_string(a.mixed_sqnr_db) + " dB isolated SQNR kept in " + (a.fallback_fp16 ? "FP16" : "FP32"));
  }
  return out;
}

}  // namespace edgeinfer::apps
