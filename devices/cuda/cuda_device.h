// devices::CudaDevice: runs a graph (fused by the compiler, or unfused from the importer) on a CUDA
// GPU in FP32, FP16 or INT8.
//
// How it runs a graph:
//  1. Prepare (once): walks the live nodes in topological order and turns each into a Step. Unfused
//     chains Conv(+BatchNormalization)(+Add)(+Relu/Clip) are matched here and run as one step, with
//     BN folded into host copies of the weights (the graph is never mutated). Weights are converted
//     to the GPU layout (KRSC, FP16 or INT8 padded) and uploaded once.
//  2. Per batch size (first Launch at that size): shapes are computed for the batch, one arena is
//     planned (activations by liveness, first fit, plus one scratch region and one library
//     workspace), every convolution's cuDNN algorithm and every INT8 GEMM's cuBLASLt algorithm is
//     chosen by timing (results kept in a timing-cache file reused across builds), the steps run once
//     eagerly, then are captured into a CUDA graph that later launches replay.
// Layout: every rank-4 activation lives NHWC on the GPU; graph inputs/outputs are NCHW on the host.
// Float precision: FP32 (no TF32: cuDNN FMA math, cuBLAS pedantic) or FP16 (tensor cores, FP32
// accumulation). INT8 nodes (int8 activations with per-tensor scale, int8 per-channel weights,
// int32 bias) run as int8 x int8 -> int32 (cuBLASLt IMMA on an im2col matrix, or our direct kernel
// for grouped layers) followed by OUR requantization kernel, bit-exact to graph/quant/int8_math.h.
// Data movement: Reshape/Flatten/Squeeze/Unsqueeze (aliases where the layout allows), Concat,
// Transpose (any permutation, rank <= 6) and Split (one gather step per output) run as copies that
// fold in the NHWC <-> NCHW change. Concat runs in place (its producers write into its buffer) only
// where each input is a contiguous block of the output: the batch axis, or leading dims of 1 at the
// planned batch (PlanMemory says exactly when); channel Concat of NHWC maps with H*W > 1 copies.
// Known limits: Slice, Pad and other data-movement ops are not supported; INT8 AveragePool and INT8
// binary Add are not supported (the fused residual is).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/cuda_plugin.h"
#include "devices/device.h"

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

  // Whether a usable CUDA device is present; `why` gets the reason when not.
  static bool Available(std::string* why = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer::devices
