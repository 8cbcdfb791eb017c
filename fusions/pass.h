// The pass interface and the compile report every pass writes into.
//
// A pass is a function Graph -> Graph (it rewrites the graph in place) returning Status. It records
// each rewrite it makes (a fusion record) and each candidate it declines (a refusal with the guard
// that failed) in the CompileReport, so `edgeinfer compile --report` can say what happened and why.
// The pass list (pass_list.h) compacts and verifies the graph after every pass.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/precision.h"
#include "graph/status.h"

namespace edgeinfer::fusions {

struct CalibrationTable;   // calibration.h

// One rewrite: `kind` names the result ("ConvBiasAct", "FoldBatchNorm"), `nodes` the ONNX names
// of the nodes it replaced, `result` the name of the node made (empty when nodes were removed).
struct FusionRecord {
  std::string pass;
  std::string kind;
  std::vector<std::string> nodes;
  std::string result;
};

// One declined candidate: the anchor node and the guard that failed, in words.
struct Refusal {
  std::string pass;
  std::string node;
  std::string reason;
};

struct PassStat {
  std::string pass;
  int nodes_after = 0;
  int layers_after = 0;
  double ms = 0.0;   // host clock
};

struct CompileReport {
  std::string model;
  Precision precision = Precision::kFp32;
  int layers_before = 0;
  int layers_after = 0;
  int nodes_before = 0;
  int nodes_after = 0;
  std::vector<FusionRecord> fusions;
  std::vector<Refusal> refusals;
  std::vector<PassStat> passes;
  std::vector<std::string> notes;   // free-form lines (e.g. layers kept in FP16 by mixed precision)

  // Count of records per kind, sorted by kind.
  std::map<std::string, int> CountByKind() const;
  // Human-readable report: counts, fusions per kind, every refusal with its reason.
  std::string ToText(bool verbose = false) const;
  // One JSON object: layers_before, layers_after, nodes_before, nodes_after, fusions_by_kind,
  // fusions[], refusals[], passes[] (documented in docs/compiler.md).
  std::string ToJson() const;
};

// What a pass sees besides the graph. Not thread-safe; one per pipeline run.
struct PassContext {
  CompileReport* report = nullptr;
  std::string pass;                              // name of the running pass (set by the pipeline)
  const CalibrationTable* calibration = nullptr; // quantization passes only
  // Scales read from an explicitly quantized (Q/DQ) model by convert_qdq; used by quantize_int8
  // when no calibration table was given.
  std::shared_ptr<CalibrationTable> qdq_scales;
  // The same model's quantization exactly as written (convert_qdq): quantize_int8 takes these
  // scales as they are instead of amax / 127, and a weight's own per-channel scales instead of
  // max|w| / 127, so the INT8 graph carries the model's integers.
  struct QdqExact {
    std::map<std::string, float> activation;            // value name -> scale
    std::map<std::string, std::vector<float>> weight;   // float weight constant name -> scales
    std::map<std::string, int> weight_axis;             // their axis (-1: one scale for the tensor)
  };
  std::shared_ptr<QdqExact> qdq_exact;
  std::map<std::string, std::string> options;   // pass options by name (e.g. "mixed_precision_sqnr_db")

  void Fused(const std::string& kind, std::vector<std::string> nodes, const std::string& result) {
    if (report) report->fusions.push_back({pass, kind, std::move(nodes), result});
  }
  void Refuse(const std::string& node, const std::string& reason) {
    if (report) report->refusals.push_back({pass, node, reason});
  }
};

using PassFn = Status (*)(Graph& g, PassContext& ctx);

// Layers, as reported before and after compilation: the nodes that do work at run time. Every live
// node counts except (a) source ops (Constant, Shape, ConstantOfShape: folded at import) and
// (b) no-op reshapes, which only relabel the shape of a contiguous buffer: Reshape, Flatten, Squeeze,
// Unsqueeze, Identity and (inference) Dropout. Concat and Split count, in-place or not.
bool IsLayer(const Node& n);
int CountLayers(const Graph& g);

}  // namespace edgeinfer::fusions
