// Session: the runtime's front door. A session holds one SoC profile (at one power mode) and any
// number of models, each compiled once and given its own engine set (GPU, DLA cores, CPU) and
// BatchPlan. Samples are submitted asynchronously (future or callback) or run blocking (Infer);
// the scheduler (runtime/scheduler.h) spreads them over the model's engine instances.
//
// Two clocks: results are computed for real on this host (functional executors); the target
// clock of a plan comes from the simulator (PlanTarget / runtime/scenario.h). Weights: one compiled
// Graph per model, held by shared_ptr<const Graph> and shared by every instance.
// Thread-safety: every public method may be called from any thread, except that a callback must
// not block on results of the same ordered model (its delivery holds that model's reorder buffer).
#pragma once
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devices/device.h"
#include "devices/soc/soc_profile.h"
#include "fusions/calibration.h"
#include "fusions/pass_list.h"
#include "graph/ir.h"
#include "runtime/compile.h"
#include "runtime/engine_instance.h"
#include "runtime/scenario.h"
#include "runtime/scheduler.h"

namespace edgeinfer::runtime {

struct SessionOptions {
  std::string soc = "orin-agx";     // profile name or path (devices::LoadSocProfile)
  std::string power_mode;           // "" = the profile's default
};

struct ModelOptions {
  Precision precision = Precision::kInt8;
  std::string engines = "gpu,dla0,dla1";        // ParseEngineList; "cpu" adds the CPU (target CPU model when the profile has one)
  // INT8 calibration, in order of preference: a table; sample batches of the (single) input; the
  // model's own Q/DQ scales; otherwise `random_calibration_samples` seeded uniform [-1, 1) inputs (the arithmetic is
  // exercised exactly, but the scales are not those of real data: accuracy is not meaningful).
  const fusions::CalibrationTable* calibration = nullptr;
  std::vector<Tensor> calibration_batches;
  int64_t random_calibration_samples = 2;
  // The plan; empty engines = a default plan: every engine of `engines`, GPU batch 8, DLA batch 2
  // (NVIDIA's harness batch for the DLA), loop 1, self-scheduling. Tune() picks a better one.
  BatchPlan plan;
  bool ordered = false;                         // deliver results in submission order
  // Network I/O: kFloat (default: FP32 in and out) or kInt8 (the caller gives the input quantized
  // and takes the output quantized at the scales on the graph's input/output values; the boundary
  // Q/DQ leave the graph, so DLA engines need no GPU fallback for them). Needs precision int8.
  IoFormat io_format = IoFormat::kFloat;
};

using ModelId = int;

// What a compile did, for reports.
struct ModelInfo {
  std::string name;
  Precision precision = Precision::kFp32;
  std::string calibration;       // "table", "N sample batches", "N seeded random samples (not real data)"
  size_t nodes = 0;
  int64_t weight_bytes = 0;      // one shared copy
  std::vector<EngineSpec> engines;
  std::string placement;         // DLA placement explained (fallback layers and why)
  std::map<std::string, std::string> functional;   // engine -> functional device and why
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(const SessionOptions& options);
  ~Session();

  // Imports, compiles (and calibrates) an ONNX model; its symbolic batch stays symbolic.
  Result<ModelId> LoadModel(const std::string& onnx_path, const ModelOptions& options);
  // Loads an engine file (runtime/engine_file.h, `edgeinfer compile --soc S -o model.plan`): its
  // compiled graph, bound to the batch it was compiled for, is unbound again (the batch dim of the
  // inputs made symbolic, shapes re-inferred) so every engine batch size can be planned; an error
  // when the graph's shapes do not follow the input batch. options.precision is taken from the file.
  Result<ModelId> LoadEngineFile(const std::string& plan_path, const ModelOptions& options);
  // Adds an already compiled graph (shapes inferred). Shared, never copied.
  Result<ModelId> AddModel(std::shared_ptr<const Graph> compiled, const ModelOptions& options, ModelInfo info = {});

  // One sample (batch 1 inputs by name). The future holds the outputs or the error.
  std::future<Result<devices::TensorMap>> Submit(ModelId model, devices::TensorMap inputs);
  void Submit(ModelId model, devices::TensorMap inputs, ResultCallback callback);
  Result<devices::TensorMap> Infer(ModelId model, const devices::TensorMap& inputs);
  // Waits until every sample submitted to `model` has been delivered (releases a hold).
  void Drain(ModelId model);
  // While held, submitted samples queue up and no engine pulls; Hold(model, false) releases them
  // (an Offline run submits everything first so engines pull full batches).
  void Hold(ModelId model, bool hold);

  // Replaces a model's plan (drains its queue first). Engines must be among the model's.
  Status SetPlan(ModelId model, const BatchPlan& plan);
  Result<BatchPlan> Plan(ModelId model) const;
  // The model's target models, one per engine of `plan` (same order).
  Result<std::vector<std::shared_ptr<TargetModel>>> TargetModels(ModelId model, const BatchPlan& plan) const;
  Result<ModelInfo> Info(ModelId model) const;
  Result<std::vector<HostEngineStats>> HostStats(ModelId model) const;
  std::shared_ptr<const Graph> graph(ModelId model) const;

  const devices::SocProfile& soc() const { return soc_; }

 private:
  struct Model;
  Result<Model*> Find(ModelId id) const;
  // AddModel with the DLA partition the compile made (null: made here, once for every DLA core).
  Result<ModelId> AddCompiled(std::shared_ptr<const Graph> compiled, const ModelOptions& options, ModelInfo info,
                              std::shared_ptr<const PartitionPlan> partition, std::shared_ptr<const Graph> partitioned);
  devices::SocProfile soc_;
  mutable std::mutex mu_;
  std::map<ModelId, std::unique_ptr<Model>> models_;
  ModelId next_id_ = 0;
  // Functional executors shared across models' instances by (graph, device).
  std::map<std::pair<const Graph*, std::string>, std::shared_ptr<FunctionalExecutor>> executors_;
};

// What the session's LoadModel asks of runtime::Compile (runtime/compile.h) for these options:
// calibration from the table, else the batches (minmax), else the model's Q/DQ, else seeded inputs,
// on the reference executor; partition without per-layer times (the target models time per batch).
CompileOptions SessionCompileOptions(const std::string& model_path, const ModelOptions& options);

}  // namespace edgeinfer::runtime
