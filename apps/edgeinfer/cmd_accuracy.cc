// edgeinfer accuracy MODEL: what INT8 (or FP16) costs against FP32 on evaluation data: per output
// cosine similarity, SQNR in dB and top-1 agreement; per-layer SQNR (isolated and accumulated) to
// find the layer that hurts. Both graphs come from the same pass pipeline (FP32 fused vs target).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "apps/edgeinfer/commands.h"
#include "apps/edgeinfer/common.h"
#include "apps/edgeinfer/compile_common.h"
#include "fusions/calib_data.h"

namespace edgeinfer::apps {

namespace {

struct AccuracyCli {
  CompileArgs args;
  std::string data;
  int64_t samples = 500;
  int per_layer = 10;
  bool json = false;
};

struct OutputStats {
  double signal = 0.0, noise = 0.0;   // sums over every element of every batch
  double cos_sum = 0.0, cos_min = 1.0;
  int64_t rows = 0, agree = 0;         // top-1 over rows of [N, classes] outputs
  int64_t in_top5 = 0;                 // target's top-1 is among FP32's top 5 (near-ties show here)
  bool classifier = false;
};

// FNV-1a 64 of each sample (row of the leading dimension) of a batch: finds evaluation samples
// that are also calibration samples.
std::vector<uint64_t> SampleHashes(const Tensor& t) {
  const int64_t rows = t.rank() > 0 ? std::max<int64_t>(t.dim(0), 1) : 1;
  const size_t per = t.bytes() / static_cast<size_t>(rows);
  const auto* p = static_cast<const unsigned char*>(t.raw());
  std::vector<uint64_t> out;
  for (int64_t r = 0; r < rows; ++r) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < per; ++i) h = (h ^ p[static_cast<size_t>(r) * per + i]) * 1099511628211ull;
    out.push_back(h);
  }
  return out;
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

int RunAccuracy(AccuracyCli& a) {
  if (a.args.precision == "fp32") return Fail("accuracy", Status::Error("--precision must be int8 or fp16 (compared against fp32)"));
  a.args.progress = !a.json;
  auto options = ToCompileOptions(a.args);
  if (!options.ok()) return Fail("accuracy", options.status());
  auto target = CompileModel(a.args, *options, nullptr);
  if (!target.ok()) return Fail("accuracy", target.status());
  runtime::CompileOptions o32 = *options;
  o32.precision = Precision::kFp32;
  o32.mixed_precision_sqnr_db = 0.0;
  o32.dump_after.clear();
  auto ref = CompileModel(a.args, o32, nullptr);
  if (!ref.ok()) return Fail("accuracy", ref.status());
  auto data = runtime::LoadSampleBatches(ref->graph, a.data, a.args.preprocess, a.samples, !a.json);
  if (!data.ok()) return Fail("accuracy", data.status());
  // Evaluation must not reuse calibration samples (a calibrator fitted to them would look better
  // than on new data): batches holding any calibration sample are dropped.
  int64_t dropped = 0;
  const bool calib_known = !a.args.calib.empty();
  if (calib_known) {
    auto calib = runtime::LoadSampleBatches(ref->graph, a.args.calib, a.args.preprocess, a.args.calib_samples, false);
    if (!calib.ok()) return Fail("accuracy", calib.status());
    std::set<uint64_t> seen;
    for (const Tensor& t : *calib) for (uint64_t h : SampleHashes(t)) seen.insert(h);
    std::vector<Tensor> kept;
    for (Tensor& t : *data) {
      bool overlap = false;
      for (uint64_t h : SampleHashes(t)) overlap |= seen.count(h) > 0;
      if (overlap) dropped += t.rank() > 0 ? t.dim(0) : 1;
      else kept.push_back(std::move(t));
    }
    if (kept.empty()) {
      return Fail("accuracy", Status::Error("every evaluation batch of --data '" + a.data + "' holds a calibration sample of --calib '" +
                                            a.args.calib + "' (rule: accuracy is measured on samples disjoint from calibration; give held-out data)"));
    }
    *data = std::move(kept);
  }
  std::map<std::string, OutputStats> stats;
  int64_t n_samples = 0;
  for (size_t b = 0; b < data->size(); ++b) {
    const Tensor& batch = (*data)[b];
    auto r32 = runtime::RunReferenceOn(ref->graph, batch);
    if (!r32.ok()) return Fail("accuracy", r32.status());
    auto rt = runtime::RunReferenceOn(target->graph, batch);
    if (!rt.ok()) return Fail("accuracy", rt.status());
    n_samples += batch.dim(0);
    for (const auto& [name, t32] : *r32) {
      Tensor tt = runtime::ToFloat32(rt->at(name));
      OutputStats& s = stats[name];
      const int64_t rows = t32.rank() >= 1 ? t32.dim(0) : 1;
      const int64_t per = rows > 0 ? t32.numel() / rows : 0;
      for (int64_t r = 0; r < rows; ++r) {
        double ab = 0, aa = 0, bb = 0;
        int64_t am = 0, bm = 0;
        for (int64_t i = 0; i < per; ++i) {
          double x = t32.GetAsDouble(r * per + i), y = tt.GetAsDouble(r * per + i);
          ab += x * y; aa += x * x; bb += y * y;
          s.signal += x * x;
          s.noise += (x - y) * (x - y);
          if (x > t32.GetAsDouble(r * per + am)) am = i;
          if (y > tt.GetAsDouble(r * per + bm)) bm = i;
        }
        double cs = (aa == 0 || bb == 0) ? (aa == bb ? 1.0 : 0.0) : ab / std::sqrt(aa * bb);
        s.cos_sum += cs;
        s.cos_min = std::min(s.cos_min, cs);
        if (t32.rank() == 2 && per > 1) {
          s.classifier = true;
          ++s.rows;
          s.agree += am == bm;
          int64_t larger = 0;   // FP32 logits above the one the target picked
          for (int64_t i = 0; i < per; ++i) larger += t32.GetAsDouble(r * per + i) > t32.GetAsDouble(r * per + bm);
          s.in_top5 += larger < 5;
        }
      }
    }
    if (!a.json) fusions::ProgressBar("evaluation batches", static_cast<int64_t>(b + 1), static_cast<int64_t>(data->size()));
  }
  std::vector<runtime::LayerSqnr> layers;
  if (a.per_layer > 0 && a.args.precision == "int8") {
    std::vector<Tensor> probe(data->begin(), data->begin() + std::min<size_t>(data->size(), 2));
    auto l = runtime::PerLayerSqnr(ref->graph, target->graph, probe);
    if (!l.ok()) return Fail("accuracy", l.status());
    layers = std::move(l).value();
  }
  nlohmann::json j;
  j["model"] = a.args.model;
  j["precision"] = a.args.precision;
  j["samples"] = n_samples;
  // Samples of --data dropped because they are calibration samples; null when the calibration came
  // from a cache (its samples are unknown, so disjointness is the user's to ensure).
  j["dropped_calibration_samples"] = calib_known ? nlohmann::json(dropped) : nlohmann::json(nullptr);
  j["layers_fp32"] = ref->report.layers_after;
  j["layers_target"] = target->report.layers_after;
  if (target->calibration) j["calibrator"] = target->calibration->calibrator;
  nlohmann::json outs = nlohmann::json::array();
  for (const auto& [name, s] : stats) {
    const double rows = static_cast<double>(std::max<int64_t>(n_samples, 1));
    nlohmann::json o = {{"name", name},
                        {"cosine_mean", s.cos_sum / rows},
                        {"cosine_min", s.cos_min},
                        {"sqnr_db", Num(s.noise == 0 ? INFINITY : 10 * std::log10(s.signal / s.noise))}};
    if (s.classifier) {
      o["top1_agreement"] = static_cast<double>(s.agree) / static_cast<double>(s.rows);
      o["top1_in_fp32_top5"] = static_cast<double>(s.in_top5) / static_cast<double>(s.rows);
    }
    outs.push_back(o);
  }
  j["outputs"] = outs;
  nlohmann::json ls = nlohmann::json::array();
  for (size_t i = 0; i < layers.size() && static_cast<int>(i) < a.per_layer; ++i) {
    ls.push_back({{"node", layers[i].node}, {"op", layers[i].op}, {"isolated_sqnr_db", Num(layers[i].isolated_db)},
                  {"accumulated_sqnr_db", Num(layers[i].accumulated_db)}});
  }
  j["worst_layers"] = ls;
  j["kept_float"] = target->kept_float;
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%s: %s vs fp32 on %lld samples (layers %d fp32, %d %s)\n", a.args.model.c_str(), a.args.precision.c_str(),
              static_cast<long long>(n_samples), ref->report.layers_after, target->report.layers_after, a.args.precision.c_str());
  if (!calib_known) std::printf("  (calibration from a cache: make sure --data holds no calibration samples)\n");
  else if (dropped > 0) std::printf("  (%lld samples of --data are calibration samples and were left out)\n", static_cast<long long>(dropped));
  for (const auto& o : outs) {
    std::printf("  output %-24s cosine mean %.5f min %.5f  SQNR %6.2f dB", o["name"].get<std::string>().c_str(),
                o["cosine_mean"].get<double>(), o["cosine_min"].get<double>(),
                o["sqnr_db"].is_null() ? INFINITY : o["sqnr_db"].get<double>());
    if (o.contains("top1_agreement")) {
      std::printf("  top-1 agreement %.2f%% (in FP32 top-5: %.2f%%)", 100.0 * o["top1_agreement"].get<double>(),
                  100.0 * o["top1_in_fp32_top5"].get<double>());
    }
    std::printf("\n");
  }
  if (!layers.empty()) {
    std::printf("  worst layers (isolated / accumulated SQNR, dB):\n");
    for (const auto& l : ls) {
      std::printf("    %-40s %-16s %7.2f %7.2f\n", l["node"].get<std::string>().c_str(), l["op"].get<std::string>().c_str(),
                  l["isolated_sqnr_db"].is_null() ? NAN : l["isolated_sqnr_db"].get<double>(),
                  l["accumulated_sqnr_db"].is_null() ? NAN : l["accumulated_sqnr_db"].get<double>());
    }
  }
  return 0;
}

}  // namespace

void RegisterAccuracy(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<AccuracyCli>();
  a->args.precision = "int8";
  CLI::App* sub = app.add_subcommand("accuracy", "Measure what INT8/FP16 costs against FP32: cosine, SQNR, top-1 agreement, per-layer SQNR");
  sub->add_option("model", a->args.model, "ONNX model")->required();
  sub->add_option("--precision", a->args.precision, "int8 (default) or fp16")->check(CLI::IsMember({"int8", "fp16"}));
  sub->add_option("--calib", a->args.calib, "calibration data (.npy, folder of .npy, folder of images)");
  sub->add_option("--calibrator", a->args.calibrator, "entropy (default), minmax or percentile")->check(CLI::IsMember({"entropy", "minmax", "percentile"}));
  sub->add_option("--calib-cache", a->args.calib_cache, "calibration cache (read if present, else written)");
  sub->add_option("--calib-samples", a->args.calib_samples, "at most this many calibration samples (default 500)");
  sub->add_option("--calib-engine", a->args.calib_engine, "calibration runs on 'fast' (default) or 'reference'")->check(CLI::IsMember({"fast", "reference"}));
  sub->add_option("--data", a->data, "evaluation data (same forms as --calib)")->required();
  sub->add_option("--samples", a->samples, "at most this many evaluation samples (default 500)");
  sub->add_option("--preprocess", a->args.preprocess, "YAML preprocessing for image folders");
  sub->add_option("--batch", a->args.batch, "batch size (default 1)");
  sub->add_option("--per-layer", a->per_layer, "print the N layers with the lowest SQNR (default 10; 0 = skip)");
  sub->add_option("--mixed-precision", a->args.mixed_sqnr_db, "keep layers below this isolated SQNR (dB) in float");
  sub->add_flag("--json", a->json, "print one JSON object");
  sub->callback([a, exit_code]() { *exit_code = RunAccuracy(*a); });
}

}  // namespace edgeinfer::apps
