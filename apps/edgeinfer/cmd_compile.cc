// edgeinfer compile MODEL: canonicalise, fuse and (optionally) quantize a model; print the fusion
// report (--report, --json) and write the optimised graph as ONNX (-o; fused ops in domain
// "edgeinfer"). JSON fields are documented in docs/compiler.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "apps/edgeinfer/commands.h"
#include "apps/edgeinfer/common.h"
#include "apps/edgeinfer/compile_common.h"
#include "fusions/export_qdq.h"
#include "fusions/pass_list.h"
#include "graph/onnx_export.h"
#include "runtime/engine_file.h"
#include "runtime/memory_plan.h"
#include "runtime/partition.h"

namespace edgeinfer::apps {

namespace {

struct CompileCli {
  CompileArgs args;
  std::string output;
  std::string onnx_form = "auto";   // -o NAME.onnx: qdq (INT8 graphs by default) or fused
  bool report = false;
  bool verbose = false;
  bool json = false;
  bool list_passes = false;
  std::string fallback = "fp16";
  // Target: partition, memory plans, engine file (-o *.plan).
  std::string soc;
  std::string power_mode;
  std::string clocks;
  bool explain = false;
  int64_t sram_bytes = -1;
  bool no_sram_chaining = false;
  bool timeline = false;
};

nlohmann::json SensitivityJson(const std::vector<runtime::LayerSqnr>& s) {
  nlohmann::json a = nlohmann::json::array();
  for (const runtime::LayerSqnr& l : s) {
    a.push_back({{"node", l.node}, {"op", l.op},
                 {"isolated_sqnr_db", std::isfinite(l.isolated_db) ? nlohmann::json(l.isolated_db) : nlohmann::json(nullptr)},
                 {"accumulated_sqnr_db", std::isfinite(l.accumulated_db) ? nlohmann::json(l.accumulated_db) : nlohmann::json(nullptr)}});
  }
  return a;
}

int RunCompile(CompileCli& c) {
  if (c.list_passes) {
    for (const fusions::PassEntry& e : fusions::PassList()) {
      std::cout << e.name << (e.only_for ? std::string(" (") + PrecisionName(*e.only_for) + " only)" : "") << "\n    " << e.why << "\n";
    }
    return 0;
  }
  if (c.args.model.empty()) return Fail("compile", Status::Error("a MODEL is required"));
  if (c.fallback != "fp16" && c.fallback != "fp32") return Fail("compile", Status::Error("--fallback must be fp16 or fp32"));
  c.args.fallback_fp16 = c.fallback == "fp16";
  c.args.progress = !c.json;
  // The target profile (with its power mode) is read once, before compiling; with it the compile
  // is for every engine of the SoC (runtime::Compile applies the DLA pass rule, partitions and
  // plans memory). "-o X.plan" writes an engine file (runtime/engine_file.h), any other -o ONNX.
  std::optional<devices::SocProfile> soc;
  if (!c.soc.empty()) {
    auto p = runtime::LoadSoc(c.soc, c.power_mode, c.clocks);
    if (!p.ok()) return Fail("compile", p.status());
    soc = std::move(p).value();
  } else if (c.explain) {
    return Fail("compile", Status::Error("--explain needs a target: add --soc NAME (e.g. --soc orin-agx)"));
  }
  const bool plan_out = c.output.size() > 5 && c.output.compare(c.output.size() - 5, 5, ".plan") == 0;
  auto options = ToCompileOptions(c.args);
  if (!options.ok()) return Fail("compile", options.status());
  options->build_engine = plan_out || soc;
  options->tool = "edgeinfer compile";
  options->sram_bytes = c.sram_bytes;
  options->sram_chaining = !c.no_sram_chaining;
  auto compiled = CompileModel(c.args, *options, soc ? &*soc : nullptr);
  if (!compiled.ok()) return Fail("compile", compiled.status());
  if (compiled->synthetic_calibration) std::fprintf(stderr, "edgeinfer compile: warning: %s\n", runtime::kSyntheticCalibrationNote);
  const runtime::PartitionPlan* partition = soc ? compiled->partition.get() : nullptr;
  const std::optional<runtime::EngineFile>& engine = compiled->engine;
  if (!c.output.empty()) {
    // An INT8 graph written as ONNX is the standard Q/DQ form (fusions/export_qdq.h) unless
    // --onnx-form fused asks for our fused ops.
    const bool qdq_out = !plan_out && (c.onnx_form == "qdq" || (c.onnx_form == "auto" && fusions::HasInt8(compiled->graph)));
    Status s = Status::Ok();
    if (plan_out) {
      s = runtime::WriteEngineFile(*engine, c.output);
    } else if (qdq_out) {
      auto qdq = fusions::Int8GraphToQdq(compiled->graph);
      s = qdq.ok() ? ExportOnnx(*qdq, c.output) : qdq.status();
    } else {
      s = ExportOnnx(compiled->graph, c.output);
    }
    if (!s.ok()) return Fail("compile", s);
  }
  const fusions::CompileReport& r = compiled->report;
  if (c.json) {
    nlohmann::json j = nlohmann::json::parse(r.ToJson());
    if (!c.output.empty()) j["output"] = c.output;
    if (compiled->calibration) {
      j["calibration"] = {{"calibrator", compiled->calibration->calibrator}, {"batches", compiled->calibration->batches},
                          {"tensors", compiled->calibration->amax.size()}, {"model_hash", compiled->calibration->model_hash},
                          {"synthetic", compiled->synthetic_calibration}};
    }
    j["kept_float"] = compiled->kept_float;
    j["sensitivity"] = SensitivityJson(compiled->sensitivity);
    if (partition) j["partition"] = nlohmann::json::parse(partition->ToJson());
    if (engine) {
      nlohmann::json plans = nlohmann::json::array();
      for (const runtime::GraphMemoryPlan& p : engine->memory_plans) plans.push_back(nlohmann::json::parse(runtime::MemoryPlanJson(p, c.explain)));
      j["memory_plans"] = plans;
      if (soc) j["predicted_ms_per_batch"] = engine->predicted_total_s * 1e3;
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (c.report || c.verbose) {
    std::cout << r.ToText(c.verbose);
  } else {
    std::cout << r.model << ": layers " << r.layers_before << " -> " << r.layers_after << " (" << PrecisionName(r.precision) << ")\n";
  }
  if (!compiled->sensitivity.empty()) {
    std::cout << "sensitivity (isolated / accumulated INT8 SQNR, dB; worst first):\n";
    for (const runtime::LayerSqnr& l : compiled->sensitivity) {
      bool kept = std::find(compiled->kept_float.begin(), compiled->kept_float.end(), l.node) != compiled->kept_float.end();
      std::printf("  %-40s %-16s %7.2f %7.2f%s\n", l.node.c_str(), l.op.c_str(), l.isolated_db, l.accumulated_db, kept ? "  kept float" : "");
    }
  }
  if (c.timeline && engine) {
    for (const runtime::GraphMemoryPlan& p : engine->memory_plans) {
      std::cout << "memory timeline of instance '" << p.options.instance << "' (buffer: space, offset, bytes, lifetime over steps):\n"
                << runtime::MemoryTimeline(p.plan);
    }
  }
  if (c.explain) {
    std::cout << partition->ToText();
    for (const runtime::GraphMemoryPlan& p : engine->memory_plans) {
      std::cout << runtime::ExplainMemoryPlan(p, p.options.instance == "dla0");
    }
    std::printf("predicted: %.3f ms per batch of %lld on %s %s, SRAM chaining on dla0 [target clock]\n", engine->predicted_total_s * 1e3,
                static_cast<long long>(c.args.batch), soc->name.c_str(), soc->active_power_mode.c_str());
  } else if (engine && soc) {
    const runtime::GraphMemoryPlan* p = engine->FindPlan("dla0");
    if (p) {
      std::printf("memory: DRAM arena %.3f MiB (lower bound %.3f MiB); SRAM chaining saves %.1f%% of activation DRAM traffic\n",
                  p->DramPeak() / 1048576.0, p->DramLowerBound() / 1048576.0, 100.0 * p->SavedFraction());
    }
  }
  if (!c.output.empty()) std::cout << "wrote " << c.output << (plan_out ? " (engine file)" : "") << "\n";
  return 0;
}

}  // namespace

void RegisterCompile(CLI::App& app, int* exit_code) {
  auto c = std::make_shared<CompileCli>();
  CLI::App* sub = app.add_subcommand("compile", "Canonicalise, fuse and quantize a model; report every fusion and refusal");
  sub->add_option("model", c->args.model, "ONNX model");
  sub->add_option("--precision", c->args.precision, "fp32, fp16 or int8")->check(CLI::IsMember({"fp32", "fp16", "int8"}));
  sub->add_option("--io-format", c->args.io_format,
                  "float (default) or int8: with --precision int8, the network input and output become int8 at their "
                  "calibrated scales (the caller quantizes / dequantizes; no boundary Q/DQ left for the GPU)")
      ->check(CLI::IsMember({"float", "int8"}));
  c->args.random_calibration_if_missing = true;
  sub->add_option("--calib", c->args.calib,
                  "calibration data: .npy file, folder of .npy batches, or folder of images (INT8 without it or a cache: "
                  "scales from 2 seeded random inputs, with a warning; placement and target timing are unaffected)");
  sub->add_option("--calibrator", c->args.calibrator, "entropy (KL, default), minmax or percentile (99.99%)")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile"}));
  sub->add_option("--calib-cache", c->args.calib_cache, "calibration cache: read if present (same model), else written");
  sub->add_option("--preprocess", c->args.preprocess, "YAML preprocessing for image folders (resize, crop, mean/std, layout, color)");
  sub->add_option("--calib-samples", c->args.calib_samples, "at most this many calibration samples (default 500)");
  sub->add_option("--calib-engine", c->args.calib_engine, "run calibration on 'fast' (oneDNN CPU path, checked against the reference; default) or 'reference'")
      ->check(CLI::IsMember({"fast", "reference"}));
  sub->add_option("--batch", c->args.batch, "bind the symbolic batch to N (default 1)");
  sub->add_option("-o,--output", c->output,
                  "write an engine file (NAME.plan) or the optimised graph as ONNX: an INT8 graph as a standard Q/DQ model "
                  "(QuantizeLinear/DequantizeLinear with our scales), otherwise with fused ops in domain 'edgeinfer'");
  sub->add_option("--onnx-form", c->onnx_form, "ONNX written by -o: auto (default: qdq for INT8 graphs), qdq, or fused (domain 'edgeinfer')")
      ->check(CLI::IsMember({"auto", "qdq", "fused"}));
  sub->add_flag("--report", c->report, "print the fusion report");
  sub->add_flag("--verbose", c->verbose, "print every rewrite and per-pass counts");
  sub->add_flag("--json", c->json, "print one JSON object");
  sub->add_option("--dump-after", c->args.dump_after, "dump the graph (text + DOT) after this pass ('all', 'input')");
  sub->add_option("--dump-dir", c->args.dump_dir, "folder for --dump-after files");
  sub->add_option("--disable-pass", c->args.disable, "skip this pass (repeatable)");
  sub->add_option("--mixed-precision", c->args.mixed_sqnr_db, "INT8: keep layers whose isolated SQNR is below this many dB in float");
  sub->add_option("--fallback", c->fallback, "precision of layers kept out of INT8: fp16 (default) or fp32");
  sub->add_flag("--list-passes", c->list_passes, "print the pass list with why each sits where it does");
  sub->add_option("--soc", c->soc, "target SoC profile (name or YAML): partition DLA/GPU, plan memory, predict per-layer time");
  sub->add_option("--power-mode", c->power_mode, "power mode of the --soc profile (default: the profile's)");
  sub->add_option("--clocks", c->clocks, "clock caps over the power mode: gpu=F,dla=F,emc=F,cpu=NxF (e.g. gpu=624.75MHz,cpu=4x576MHz)");
  sub->add_flag("--explain", c->explain, "print the partition (why each layer runs where), memory plans (SRAM/DRAM) and predicted times");
  sub->add_option("--sram-bytes", c->sram_bytes, "SRAM per DLA core for chaining (default: the profile's dla.sram_default_bytes)");
  sub->add_flag("--no-sram-chaining", c->no_sram_chaining, "keep every activation in DRAM (for comparison)");
  sub->add_flag("--memory-timeline", c->timeline, "print every buffer's placement and lifetime (one plan per engine instance)");
  sub->callback([c, exit_code]() { *exit_code = RunCompile(*c); });
}

}  // namespace edgeinfer::apps
