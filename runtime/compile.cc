// The compile driver (see compile.h): validation, the DLA pass rule, calibration, the pass
// pipeline, mixed precision, the partition and the engine-file contents.
#include "runtime/compile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "devices/cpu/reference_executor.h"
#ifdef EDGEINFER_HAVE_DNNL
#include "devices/cpu/fast/fast_device.h"
#endif
#include "fusions/calib_data.h"
#include "fusions/pass_list.h"
#include "graph/op_table.h"
#include "graph/ops/fused.h"
#include "graph/quant/int8_math.h"
#include "runtime/engine_build.h"

namespace edgeinfer::runtime {

Result<devices::SocProfile> LoadSoc(const std::string& soc, const std::string& power_mode) {
  EI_ASSIGN_OR_RETURN(devices::SocProfile p, devices::LoadSocProfile(soc));
  if (!power_mode.empty()) { EI_ASSIGN_OR_RETURN(p, devices::ApplyPowerMode(p, power_mode)); }
  return p;
}

bool EngineSet::Has(EngineClass c) const {
  return std::any_of(engines.begin(), engines.end(), [c](const EngineSpec& e) { return e.kind == c; });
}

std::string EngineSet::ToString() const { return EngineListString(engines); }

Result<EngineSet> ParseEngineSet(const std::string& list, const devices::SocProfile& soc) {
  EngineSet s;
  EI_ASSIGN_OR_RETURN(s.engines, ParseEngineList(list, soc));
  return s;
}

EngineSet AllEngines(const devices::SocProfile& soc) {
  EngineSet s;
  if (soc.gpu.present) s.engines.push_back({EngineClass::kGpu, 0, "gpu"});
  for (int i = 0; i < soc.dla.cores; ++i) s.engines.push_back({EngineClass::kDla, i, "dla" + std::to_string(i)});
  return s;
}

bool IsCompiledGraph(const Graph& g) {
  for (NodeId id : g.NodeIds()) {
    const std::string& op = g.node(id).op;
    if (ops::IsFusedOp(op) || op == "QuantizeLinear" || op == "DequantizeLinear") return true;
  }
  return false;
}

// ---- numerics helpers ------------------------------------------------------------------------------

namespace {

std::string BaseName(const std::string& n) {
  const std::string suf = "_i8";
  if (n.size() > suf.size() && n.compare(n.size() - suf.size(), suf.size(), suf) == 0) return n.substr(0, n.size() - suf.size());
  const std::string s16 = "_f16";
  if (n.size() > s16.size() && n.compare(n.size() - s16.size(), s16.size(), s16) == 0) return n.substr(0, n.size() - s16.size());
  return n;
}

bool HasQdq(const Graph& g) {
  for (NodeId id : g.NodeIds())
    if (g.node(id).op == "QuantizeLinear") return true;
  return false;
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

Result<devices::TensorMap> RunReferenceOn(const Graph& g, const Tensor& input) {
  if (g.inputs().size() != 1) return Status::Error("this command handles single-input models; the model has " + std::to_string(g.inputs().size()));
  devices::TensorMap in;
  in[g.value(g.inputs()[0]).name] = input;
  return devices::RunReference(g, in);
}

Result<std::vector<Tensor>> LoadSampleBatches(const Graph& g, const std::string& path, const std::string& preprocess_yaml,
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
                                            bool on_reference) {
  Graph g = imported;
  fusions::PipelineOptions po;
  po.stop_before = "conv_eltwise_act";   // canonicalised, unfused: every pre-activation tensor exists
  fusions::CompileReport r;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(g, po, &r).WithContext("calibration graph"));
  if (g.inputs().size() != 1) return Status::Error("calibration feeds single-input models; the model has " + std::to_string(g.inputs().size()) + " inputs");
  fusions::Calibrator cal(kind);
  devices::ReferenceOptions ro;
  ro.on_layer = [&](const Graph& gg, NodeId id, const std::vector<const Tensor*>& outs) {
    for (size_t i = 0; i < outs.size(); ++i) cal.Observe(gg.value(gg.node(id).outputs[i]).name, *outs[i]);
  };
  const std::string in_name = g.value(g.inputs()[0]).name;
#ifdef EDGEINFER_HAVE_DNNL
  // The fast CPU path, when built: every float tensor is made a graph output of a copy of the graph
  // so the device hands them all back. Its first batch is checked against the reference executor
  // (every tensor within 1e-3 of its magnitude); on any disagreement the reference does the rest.
  if (!on_reference) {
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
      in[in_name] = batches[b];
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
      cal.Observe(in_name, batches[b]);
      for (const auto& [name, t] : res) cal.Observe(name, t);
      cal.EndBatch();
      if (progress) fusions::ProgressBar("calibration batches (cpu-fast)", static_cast<int64_t>(b + 1), static_cast<int64_t>(batches.size()));
    }
    if (fast_ok) return cal.Finish(model_hash);
    if (progress) std::fprintf(stderr, "%scpu-fast disagreed with the reference or failed; calibrating on the reference executor\n", fusions::ProgressOnTerminal() ? "\r\033[K" : "");
    cal = fusions::Calibrator(kind);
  }
#else
  (void)on_reference;
#endif
  for (size_t b = 0; b < batches.size(); ++b) {
    devices::TensorMap in;
    in[in_name] = batches[b];
    cal.Observe(in_name, batches[b]);
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

// ---- the driver ------------------------------------------------------------------------------------

namespace {

// Phase 3: the INT8 scales from the first source given. Fills out->calibration (none when the
// model's Q/DQ scales are used), calibration_note and synthetic_calibration; *samples keeps the
// batches loaded from data (mixed precision reuses them).
Status CalibrateFor(const Graph& imported, const CompileOptions& o, CompiledModel* out, std::vector<Tensor>* samples) {
  const CalibrationSource& c = o.calibration;
  if (c.table) {
    out->calibration = *c.table;
    out->calibration_note = "calibration table";
    return Status::Ok();
  }
  auto hash = [&]() -> Result<std::string> {
    if (o.model_path.empty()) return std::string("unknown");
    return fusions::HashModelFile(o.model_path);
  };
  std::error_code ec;
  if (!c.cache.empty() && std::filesystem::exists(c.cache, ec)) {
    EI_ASSIGN_OR_RETURN(std::string h, hash());
    EI_ASSIGN_OR_RETURN(out->calibration, fusions::CalibrationTable::Load(c.cache, h));
    out->calibration_note = "calibration cache " + c.cache;
    return Status::Ok();
  }
  const char* kind_name = fusions::CalibratorName(c.calibrator);
  if (!c.data.empty()) {
    EI_ASSIGN_OR_RETURN(std::string h, hash());
    EI_ASSIGN_OR_RETURN(*samples, LoadSampleBatches(imported, c.data, c.preprocess, c.max_samples, o.progress));
    EI_ASSIGN_OR_RETURN(out->calibration, Calibrate(imported, *samples, c.calibrator, h, o.progress, c.on_reference));
    if (!c.cache.empty()) EI_RETURN_IF_ERROR(out->calibration->Save(c.cache));
    out->calibration_note = "INT8 scales calibrated (" + std::string(kind_name) + ") on " + std::to_string(samples->size()) +
                            " batch(es) from " + c.data;
    return Status::Ok();
  }
  if (!c.batches.empty()) {
    EI_ASSIGN_OR_RETURN(std::string h, hash());
    EI_ASSIGN_OR_RETURN(out->calibration, Calibrate(imported, c.batches, c.calibrator, h, false, c.on_reference));
    out->calibration_note = std::to_string(c.batches.size()) + " sample batches (" + kind_name + ")";
    return Status::Ok();
  }
  if (HasQdq(imported)) {
    out->calibration_note = "Q/DQ scales of the model";
    return Status::Ok();
  }
  if (c.seeded_samples > 0) {
    std::string h = "unknown";
    if (!o.model_path.empty()) {
      auto hh = fusions::HashModelFile(o.model_path);
      if (hh.ok()) h = hh.value();
    }
    EI_ASSIGN_OR_RETURN(std::vector<Tensor> random, fusions::SeededRandomBatches(imported, c.seeded_samples));
    EI_ASSIGN_OR_RETURN(out->calibration, Calibrate(imported, random, fusions::CalibratorKind::kMinMax, h, false, c.on_reference));
    out->synthetic_calibration = true;
    out->calibration_note = std::to_string(random.size()) +
                            " seeded random samples (minmax; not real data: numerics exercise the arithmetic, accuracy is not meaningful)";
    return Status::Ok();
  }
  return Status::Error("INT8 needs calibration data (--calib DATA or a calibration cache) or an explicitly quantized (Q/DQ) model");
}

}  // namespace

Result<CompiledModel> Compile(const Graph& imported, const CompileOptions& o, const devices::SocProfile* soc) {
  CompiledModel out;
  // Phase 1: everything a user can get wrong, before any work.
  if (soc) {
    if (o.engines.empty()) out.engines = AllEngines(*soc);
    else { EI_ASSIGN_OR_RETURN(out.engines, ParseEngineSet(o.engines, *soc)); }
  } else if (!o.engines.empty()) {
    return Status::Error("engines '" + o.engines + "' need a SoC profile (--soc) to check them against");
  }
  if (o.io_format != IoFormat::kFloat && o.precision != Precision::kInt8)
    return Status::Error(std::string("--io-format ") + IoFormatName(o.io_format) +
                         " needs --precision int8 (rule: an io_format int8 model needs precision int8, since the I/O "
                         "scales are the INT8 calibration's)");
  if (o.mixed_precision_sqnr_db > 0 && o.precision == Precision::kInt8 && o.calibration.data.empty())
    return Status::Error("mixed precision needs sample data (--calib DATA) to measure per-layer INT8 error");

  fusions::PipelineOptions po;
  po.precision = o.precision;
  po.disabled.insert(o.disabled_passes.begin(), o.disabled_passes.end());
  po.dump_after.insert(o.dump_after.begin(), o.dump_after.end());
  po.dump_dir = o.dump_dir;
  po.int8_fallback_fp16 = o.fallback_fp16;
  fusions::ApplyDeviceCapabilities(o.device, &po);
  // Phase 2, the one target rule: a DLA engine cannot run the Split that the horizontal convolution
  // fusion creates (not a DLA op), so merging siblings would cut its segments.
  if (o.precision != Precision::kFp32 && out.engines.Has(EngineClass::kDla) && !po.disabled.count("horizontal_conv")) {
    po.disabled.insert("horizontal_conv");
    out.horizontal_conv_skipped = true;
  }

  // Phase 3.
  std::vector<Tensor> samples;
  out.calibration_note = "none (float)";
  if (o.precision == Precision::kInt8) {
    EI_RETURN_IF_ERROR(CalibrateFor(imported, o, &out, &samples));
    if (out.calibration) po.calibration = &*out.calibration;
  }

  // Phase 4. INT8 network I/O applies to the final graph only (the per-layer error compares value by
  // value with the float graph, which has float I/O).
  const std::string model_name = o.model_path.empty() ? imported.name : std::filesystem::path(o.model_path).filename().string();
  const bool mixed = o.precision == Precision::kInt8 && o.mixed_precision_sqnr_db > 0.0;
  fusions::PipelineOptions final_po = po;
  if (o.io_format != IoFormat::kFloat) final_po.pass_options["io_format"] = IoFormatName(o.io_format);
  out.graph = imported;
  out.report.model = model_name;
  EI_RETURN_IF_ERROR(fusions::RunPipeline(out.graph, mixed ? po : final_po, &out.report));
  if (mixed) {
    if (samples.empty()) {   // the scales came from a cache: the data is still needed for the error
      EI_ASSIGN_OR_RETURN(samples, LoadSampleBatches(imported, o.calibration.data, o.calibration.preprocess,
                                                     o.calibration.max_samples, false));
    }
    std::vector<Tensor> probe(samples.begin(), samples.begin() + std::min<size_t>(samples.size(), 2));
    if (probe.empty()) return Status::Error("mixed precision needs sample data (--calib DATA) to measure per-layer INT8 error");
    Graph g32 = imported;
    fusions::PipelineOptions p32 = po;
    p32.precision = Precision::kFp32;
    p32.dump_after.clear();
    fusions::CompileReport r32;
    EI_RETURN_IF_ERROR(fusions::RunPipeline(g32, p32, &r32));
    EI_ASSIGN_OR_RETURN(out.sensitivity, PerLayerSqnr(g32, out.graph, probe));
    std::string exclude;
    for (const LayerSqnr& l : out.sensitivity) {
      if (l.isolated_db < o.mixed_precision_sqnr_db) {
        out.kept_float.push_back(l.node);
        exclude += (exclude.empty() ? "" : ",") + l.node;
      }
    }
    if (!exclude.empty()) final_po.pass_options["int8_exclude"] = exclude;
    if (!exclude.empty() || o.io_format != IoFormat::kFloat) {
      out.graph = imported;
      out.report = fusions::CompileReport();
      out.report.model = model_name;
      EI_RETURN_IF_ERROR(fusions::RunPipeline(out.graph, final_po, &out.report));
    }
    out.report.notes.push_back("mixed precision: " + std::to_string(out.kept_float.size()) + " layers below " +
                               std::to_string(o.mixed_precision_sqnr_db) + " dB isolated SQNR kept in " + (o.fallback_fp16 ? "FP16" : "FP32"));
  }
  if (out.horizontal_conv_skipped) {
    out.report.notes.push_back("horizontal_conv skipped: the engines (" + out.engines.ToString() +
                               ") include a DLA, which cannot run the Split it creates (a compile for the GPU alone keeps it)");
  }

  // Phase 5: one partition per model, shared by every DLA engine.
  if (soc && (out.engines.Has(EngineClass::kDla) || o.build_engine)) {
    bool symbolic = false;
    for (ValueId v : out.graph.inputs())
      for (int64_t d : out.graph.value(v).shape.dims) symbolic = symbolic || d == kDynamic;
    Graph pg = out.graph;
    if (symbolic) { EI_ASSIGN_OR_RETURN(pg, BindBatch(out.graph, 1)); }
    PartitionOptions pa;
    pa.timing = o.partition_timing;
    EI_ASSIGN_OR_RETURN(PartitionPlan plan, Partition(pg, *soc, pa));
    out.partition = std::make_shared<const PartitionPlan>(std::move(plan));
    if (!symbolic && o.build_engine) out.graph = pg;   // Node::engine set, as the engine file records it
    out.partitioned_graph = std::make_shared<const Graph>(std::move(pg));
  }

  // Phase 6: what the engine file holds.
  if (o.build_engine) {
    EngineBuildOptions bo;
    bo.model = o.model_path;
    bo.precision = o.precision;
    bo.tool = o.tool;
    bo.batch = o.batch;
    bo.sram_bytes = o.sram_bytes;
    bo.sram_chaining = o.sram_chaining;
    if (out.calibration) bo.extra["calibrator"] = out.calibration->calibrator;
    if (out.synthetic_calibration) bo.extra["calibration"] = std::string("synthetic: ") + kSyntheticCalibrationNote;
    EI_ASSIGN_OR_RETURN(EngineFile e, BuildEngine(out.graph, soc, soc ? out.partition.get() : nullptr, bo));
    out.engine = std::move(e);
  }
  return out;
}

}  // namespace edgeinfer::runtime
