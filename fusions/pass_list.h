// The compile pipeline: an explicit ordered list of passes (STYLE rules 6 and 10). Each pass is
// Graph -> Graph returning Status; after each one the pipeline compacts the graph (dead nodes
// dropped, ids renumbered deterministically) and verifies it (structure, op table, shapes and
// dtypes re-inferred). A failing verification names the pass that broke the graph.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fusions/pass.h"
#include "graph/precision.h"

namespace edgeinfer::fusions {

// The precision vocabulary is graph/precision.h's.
using edgeinfer::ParsePrecision;
using edgeinfer::Precision;
using edgeinfer::PrecisionName;

struct PassEntry {
  const char* name;     // as given to --disable-pass and --dump-after
  PassFn fn;
  const char* why;      // why it sits at this place in the list
  std::optional<Precision> only_for;   // nullopt: every precision; else that precision only
};

// The passes in the order they run.
const std::vector<PassEntry>& PassList();

struct PipelineOptions {
  Precision precision = Precision::kFp32;
  std::set<std::string> disabled;     // pass names; an unknown name is an error
  std::set<std::string> dump_after;   // pass names, or "all"; writes <dump_dir>/<NN>_<pass>.txt and .dot
  std::string dump_dir = ".";
  const CalibrationTable* calibration = nullptr;   // required for kInt8 unless the model is Q/DQ
  std::map<std::string, std::string> pass_options; // forwarded to PassContext::options
  // Stop before this pass (calibration runs the canonicalised, unfused graph); "" runs them all.
  std::string stop_before;
  // INT8 mode: compute nodes left in float (refused or excluded by mixed precision) run in FP16
  // (convert_fp16 runs after quantize_int8) instead of FP32.
  bool int8_fallback_fp16 = false;
};

// Runs the pipeline on `g` in place and fills `report` (layers before/after, every rewrite and
// refusal, per-pass node counts and host time). Dumps are also written for "input" when asked.
Status RunPipeline(Graph& g, const PipelineOptions& opts, CompileReport* report);

}  // namespace edgeinfer::fusions
