// Gemm and MatMul: params, pure FP32 reference kernels, shape inference and table adapters.
#pragma once
#include <vector>

#include "graph/op_table.h"

namespace edgeinfer::ops {

// Y[M,N] = alpha * op(A) * op(B) + beta * C, op = transpose when trans_*; C broadcasts to [M,N]
// from [], [N], [1,N], [M,1], [M,N] (c_rows/c_cols are C's extents after right-aligning to 2-D).
struct GemmParams {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 1.f;
  int64_t c_rows = 0, c_cols = 0;  // 0 when there is no C
};

// Validates ranks (A, B 2-D), inner dims, and C's broadcastability; errors name the node.
Result<GemmParams> ParseGemm(const Node& node, const Shape& a, const Shape& b, const Shape* c);
// a: [M,K] ([K,M] if trans_a), b: [K,N] ([N,K] if trans_b), c: [c_rows,c_cols] or nullptr, y: [M,N].
// Dense caller-owned FP32 buffers, float accumulation in k order; no allocation.
void GemmRef(const GemmParams& p, const float* a, const float* b, const float* c, float* y);

// numpy matmul: 1-D A is [1,K] with the 1 dropped from the result, 1-D B is [K,1] likewise;
// leading (batch) dims broadcast.
struct MatMulParams {
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> batch;          // broadcast batch dims of the output
  std::vector<int64_t> a_batch, b_batch;  // each operand's batch dims right-aligned to batch.size() (1 = broadcast)
  Shape out;                           // output shape (1-D operands' unit dims removed)
};

Result<MatMulParams> ParseMatMul(const Node& node, const Shape& a, const Shape& b);
// y = a @ b over broadcast batches. Dense caller-owned FP32 buffers; no allocation.
void MatMulRef(const MatMulParams& p, const float* a, const float* b, float* y);

Status InferGemm(InferContext& ctx);
Status InferMatMul(InferContext& ctx);
Status GemmReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
Status MatMulReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

}  // namespace edgeinfer::ops
