// devices::CudaDevice: runs a graph compiled by the pass pipeline on a CUDA GPU in FP32, FP16 or
// INT8. It assumes what docs/device-contract.md lists (canonical ops, chains fused, BatchNorm folded,
// in-place Concats marked with its needs: fusions::CompileForDevice with
// devices::CudaCompileCapabilities()); it matches, folds and marks nothing itself, and refuses an op
// it does not run (an unfused BatchNormalization, say) naming it.
//
// How it runs a graph:
//  1. Prepare (once): walks the live nodes in topological order and turns each into a Step (the
//     graph is never mutated). Weights are converted to the GPU layout (KRSC, FP16 or INT8 padded)
//     and uploaded once.
//  2. Per batch size (first Launch at that size): shapes come from the op table at that batch
//     (InferShapesAt), one arena is planned by the shared planner (graph/memory_planner.h: every
//     activation by liveness, the I/O staging copies and one scratch region; the library workspace
//     follows it) and checked, every convolution's cuDNN algorithm and every INT8 GEMM's cuBLASLt algorithm is
//     chosen by timing (results kept in a timing-cache file reused across builds), the steps run once
//     eagerly, then are captured into a CUDA graph that later launches replay.
// Layout: every rank-4 activation lives NHWC on the GPU; graph inputs/outputs are NCHW on the host.
// Float precision: FP32 (no TF32: cuDNN FMA math, cuBLAS pedantic) or FP16 (tensor cores, FP32
// accumulation). INT8 nodes (int8 activations with per-tensor scale, int8 per-channel weights,
// int32 bias) run as int8 x int8 -> int32 (cuBLASLt IMMA on an im2col matrix, or our direct kernel
// for grouped layers) followed by OUR requantization kernel, bit-exact to graph/quant/int8_math.h.
// Data movement: Reshape/Flatten/Squeeze/Unsqueeze (aliases where the layout allows), Concat,
// Transpose (any permutation, rank <= 6), Slice (constant parameters, rank <= 6) and Split (one
// gather step per output) run as copies that fold in the NHWC <-> NCHW change. A Concat input is
// written in place by its producer where the compiler marked it (`concat_into`) and, at the planned
// batch, its slice is contiguous and 256-byte aligned (BuildArena says exactly when); channel Concat
// of NHWC maps with H*W > 1 copies.
// Known limits: Pad, Gather and the other data-movement ops are not supported; INT8 standalone
// activations and INT8 elementwise ops are not supported (the fused residual add is).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/cuda_plugin.h"
#include "devices/device.h"
#include "graph/memory_planner.h"

namespace edgeinfer::devices {

// CudaOptions: devices/cuda_plugin.h (the loader side needs it without this header).

class CudaDevice : public Device {
 public:
  explicit CudaDevice(CudaOptions options = {});
  ~CudaDevice() override;
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  std::string name() const override;
  Support Supports(const Graph& g, NodeId id) const override;
  Status Prepare(std::shared_ptr<const Graph> graph) override;
  // Copies inputs to the GPU, runs, copies outputs back (host tensors, NCHW, graph dtypes) and
  // waits: outputs are valid on return.
  Status Launch(const TensorMap& inputs, TensorMap* outputs) override;
  Status Sync() override;

  // For benchmarks: builds everything for `batch` (arena, tuning, CUDA graph) without host copies,
  // and enqueues one inference on the inputs already resident on the GPU (whatever was uploaded
  // last, or zero-initialised). Timing is the caller's, with events on stream().
  Status PrepareBatch(int batch);
  Status Enqueue(int batch);
  void* stream() const;
  // Runs the steps of `batch` eagerly (after PrepareBatch) and records each step's GPU time, which
  // Explain then shows.
  Status Profile(int batch);
  // One line per step: node name, implementation chosen, algorithm (and time after Profile), for
  // the plan of `batch` (0: the largest planned); for --explain and the bench log.
  std::vector<std::string> Explain(int batch = 0) const;
  // The arena of `batch` (0: the largest planned) as the shared planner placed it (activations, graph
  // I/O staging copies, scratch; the library workspace follows it), for CheckMemoryPlan and
  // MemoryTimeline; null when that batch is not planned.
  const MemoryPlan* ArenaPlan(int batch = 0) const;

  // Whether a usable CUDA device is present; `why` gets the reason when not.
  static bool Available(std::string* why = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer::devices
