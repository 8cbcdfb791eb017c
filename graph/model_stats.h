// Model statistics: op histogram, parameter count, MACs per node and in total, activation bytes.
// Used by `edgeinfer inspect` and by the model zoo test (ResNet-50 must be ≈25.6 M params, ≈4.1 GMAC).
//
// Rules (so figures compare with the published ones):
//  - Parameters are the elements of constant float/integer tensors (rank ≥ 1, not int64, which
//    holds shapes and axes) read by compute nodes (every node except data movement and sources).
//    A constant read by several nodes counts once. BatchNormalization's running mean and variance
//    are statistics, not trained parameters (torchvision counts them as buffers): they are counted
//    in `stat_elements`, not in `params`.
//  - MACs: Conv = N*K*OH*OW*(C/group)*R*S (any spatial rank); ConvTranspose = N*C*H*W*(K/group)*R*S
//    (each input element scatters into its kernel window); Gemm = M*N*K; MatMul = batch*M*N*K; the
//    fused convolutions and GemmBiasAct count their convolution / Gemm part. Every other op has 0 MACs;
//    activation, elementwise, normalization and pooling ops count their output elements separately
//    as `elementwise_ops`.
//  - Dynamic (symbolic) dims are taken as `dynamic_extent` (default 1: batch 1).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/status.h"

namespace edgeinfer {

struct NodeStats {
  NodeId id = kNoNode;
  std::string name;
  std::string op;
  int64_t macs = 0;
  int64_t elementwise_ops = 0;
  int64_t params = 0;          // parameter elements first read by this node
  int64_t output_bytes = 0;    // bytes of its outputs
};

struct ModelStats {
  std::map<std::string, int64_t> op_histogram;   // op name -> live node count
  int64_t num_nodes = 0;
  int64_t params = 0;            // elements (see the rules above)
  int64_t param_bytes = 0;
  int64_t stat_elements = 0;     // BatchNormalization running mean/var elements
  int64_t macs = 0;
  int64_t elementwise_ops = 0;
  int64_t activation_bytes = 0;  // sum of the bytes of every node output (non-constant)
  int64_t largest_activation_bytes = 0;
  int64_t dynamic_extent = 1;    // what symbolic dims were taken as
  std::vector<NodeStats> nodes;  // live nodes in topological order
};

struct ModelStatsOptions {
  int64_t dynamic_extent = 1;
};

// Computes the statistics of a graph whose shapes are inferred (InferShapes). Pure; thread-safe
// for concurrent readers of `g`. Fails on a cycle or on a compute node whose shapes are missing.
Result<ModelStats> ComputeModelStats(const Graph& g, const ModelStatsOptions& opts = {});

// Multi-line text: totals and the op histogram (one "  Op  count" line per op, sorted by name).
std::string FormatModelStats(const ModelStats& s);

}  // namespace edgeinfer
