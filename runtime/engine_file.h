// Engine files (.plan): a compiled model saved so it loads without recompiling.
//
// Contents: the compiled graph (values with dtype, shape, quantization; nodes with op, attributes of
// every AttrValue kind and Node::engine; constants), the partition (segments of one engine, and why
// layers fell back), the memory plans (one per engine instance), the predicted cost of every layer,
// and the compile options (precision, SoC, power mode, batch, SRAM). docs/engine-file.md gives the
// byte layout.
//
// Layout: a 64-byte header (magic "EIPLAN\x1a\n", format version, file size, section count, CRC32
// of the section table, CRC32 of the header), a section table (tag, offset, size, CRC32 each), then
// the sections, each 64-byte aligned. All integers little-endian. Constants live in section WGTS
// and are read straight into their tensors (no second copy of the weights in memory).
//
// Reading checks, in order, and reports the first failure with the file name and the rule: the
// magic, the format version, the header CRC, the file size (truncated or trailing bytes), the
// section table (CRC, bounds, required sections), each section's CRC, then every structural fact
// of the contents (ids in range, counts within the section, sizes that match dtype x shape, a
// memory plan that fits the graph). Garbage never crashes the reader; it is an error.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/precision.h"
#include "graph/status.h"
#include "runtime/memory_plan.h"

namespace edgeinfer::runtime {

constexpr uint32_t kEngineFileVersion = 2;   // 2: graph metadata (int8 network I/O)

// How the model was compiled (informational except batch: the graph's shapes are bound to it).
struct EngineCompileOptions {
  std::string model;          // the ONNX file it was compiled from
  Precision precision = Precision::kFp32;
  std::string soc;            // profile name ("orin-agx"); "" when compiled without one
  std::string power_mode;     // "MAXN", ... ; "" for single-clock profiles
  int64_t batch = 1;
  int64_t sram_bytes = 0;     // SRAM per DLA core the plans were made with
  std::string tool;           // "edgeinfer <version>"
  std::map<std::string, std::string> extra;   // anything else worth keeping (calibrator, ...)
};

// Predicted target-clock cost of one layer on the engine the partition chose.
struct LayerCost {
  std::string node;
  std::string engine;
  double predicted_s = 0;     // target clock
  int64_t macs = 0;
  int64_t dram_bytes = 0;     // weights + activations from DRAM, as the timing model counts them
  int64_t sram_bytes = 0;
  std::string bound;          // "compute" | "memory" | ""
};

struct EnginePartition {
  std::vector<NodeId> order;                        // execution order (empty: Graph::TopoOrder)
  std::vector<EngineRun> segments;                  // maximal runs of one Node::engine in that order
  std::map<std::string, std::string> fallback;      // node name -> why it is not on the DLA
};

struct EngineFile {
  uint32_t version = kEngineFileVersion;
  EngineCompileOptions options;
  Graph graph;
  EnginePartition partition;
  std::vector<GraphMemoryPlan> memory_plans;        // one per engine instance ("gpu", "dla0", ...)
  std::vector<LayerCost> costs;                     // one per layer the timing models priced
  double predicted_total_s = 0;                     // one batch, target clock

  const GraphMemoryPlan* FindPlan(const std::string& instance) const;
};

struct EngineReadOptions {
  // false: skip CRC comparisons (diagnostics and fuzzing of the parser; every structural check
  // still runs).
  bool verify_checksums = true;
};

// Serializes `e` (the graph must have static shapes or the plans' batch; constants are written as
// they are). Error when a value or attribute cannot be represented (a string tensor).
Result<std::string> SerializeEngine(const EngineFile& e);
// Writes SerializeEngine(e) to `path` (through a temporary file renamed into place).
Status WriteEngineFile(const EngineFile& e, const std::string& path);

// Reads an engine file; `what` names it in errors (the path for files). Thread-safe.
Result<EngineFile> ParseEngine(const std::string& bytes, const std::string& what, const EngineReadOptions& opts = {});
Result<EngineFile> ReadEngineFile(const std::string& path, const EngineReadOptions& opts = {});

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of `n` bytes, continuing from `crc`.
uint32_t Crc32(const void* data, size_t n, uint32_t crc = 0);

// Summary for `edgeinfer inspect`-style printing: version, options, sections, layers, plans.
std::string DescribeEngine(const EngineFile& e);

}  // namespace edgeinfer::runtime
