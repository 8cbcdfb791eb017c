// Test helpers for single-op tests: build a node, run its inference through the op table, allocate
// the outputs and run its reference kernel — the same sequence the reference executor follows.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/op_table.h"
#include "graph/shape_inference.h"

namespace edgeinfer::testing {

// A node named 'n' with inputs 0..k-1 (kNoValue where `present[i]` is false) and n_out outputs.
inline Node MakeNode(const std::string& op, const std::vector<bool>& present, size_t n_out, Attributes attrs = {}) {
  Node n;
  n.name = "n";
  n.op = op;
  n.attrs = std::move(attrs);
  for (size_t i = 0; i < present.size(); ++i) n.inputs.push_back(present[i] ? static_cast<ValueId>(i) : kNoValue);
  for (size_t i = 0; i < n_out; ++i) n.outputs.push_back(static_cast<ValueId>(100 + i));
  return n;
}

// Inference only, from dtypes and shapes (values: nullptr where unknown). Fills out dtypes/shapes.
inline Status InferOp(const std::string& op, const std::vector<DType>& dtypes, const std::vector<Shape>& shapes,
                      const std::vector<const Tensor*>& values, Attributes attrs, size_t n_out,
                      std::vector<DType>* out_dtype, std::vector<Shape>* out_shape) {
  const OpDef* def = FindOp(op);
  if (!def) return Status::Error("no op " + op);
  std::vector<bool> present;
  for (DType t : dtypes) present.push_back(t != DType::kUndefined);
  Node n = MakeNode(op, present, n_out, std::move(attrs));
  InferContext ctx{n, dtypes, shapes, values, {}, {}};
  ctx.in_value.resize(dtypes.size(), nullptr);
  ctx.out_dtype.assign(n_out, DType::kUndefined);
  ctx.out_shape.assign(n_out, Shape());
  EI_RETURN_IF_ERROR(InferNode(*def, ctx));
  if (out_dtype) *out_dtype = ctx.out_dtype;
  if (out_shape) *out_shape = ctx.out_shape;
  return Status::Ok();
}

// Inference with every input known, then the reference kernel. nullptr inputs are absent.
inline Result<std::vector<Tensor>> RunOp(const std::string& op, const std::vector<const Tensor*>& in,
                                         Attributes attrs = {}, size_t n_out = 1) {
  const OpDef* def = FindOp(op);
  if (!def) return Status::Error("no op " + op);
  std::vector<bool> present;
  for (const Tensor* t : in) present.push_back(t != nullptr);
  Node n = MakeNode(op, present, n_out, std::move(attrs));
  InferContext ctx{n, {}, {}, {}, {}, {}};
  for (const Tensor* t : in) {
    ctx.in_dtype.push_back(t ? t->dtype() : DType::kUndefined);
    ctx.in_shape.push_back(t ? t->shape() : Shape());
    ctx.in_value.push_back(t);
  }
  ctx.out_dtype.assign(n_out, DType::kUndefined);
  ctx.out_shape.assign(n_out, Shape());
  EI_RETURN_IF_ERROR(InferNode(*def, ctx));
  std::vector<Tensor> outs;
  for (size_t i = 0; i < n_out; ++i) {
    if (!ctx.out_shape[i].IsStatic()) return Status::Error("output shape not static: " + ctx.out_shape[i].ToString());
    outs.emplace_back(ctx.out_dtype[i], ctx.out_shape[i].dims);
  }
  std::vector<Tensor*> ptrs;
  for (Tensor& t : outs) ptrs.push_back(&t);
  EI_RETURN_IF_ERROR(def->reference(n, in, ptrs));
  return outs;
}

template <class T>
Tensor T1(DType t, std::vector<int64_t> dims, std::vector<T> v) { return Tensor::FromVector(t, std::move(dims), v); }
inline Tensor F32(std::vector<int64_t> dims, std::vector<float> v) { return T1<float>(DType::kFloat32, std::move(dims), std::move(v)); }
inline Tensor I64(std::vector<int64_t> dims, std::vector<int64_t> v) { return T1<int64_t>(DType::kInt64, std::move(dims), std::move(v)); }
inline Tensor I32(std::vector<int64_t> dims, std::vector<int32_t> v) { return T1<int32_t>(DType::kInt32, std::move(dims), std::move(v)); }

template <class T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// The float values of a one-input op's first output (a test failure, and empty, if the op fails).
inline std::vector<float> Run1(const std::string& op, const Tensor& x, Attributes a = {}) {
  auto r = RunOp(op, {&x}, std::move(a));
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? Values<float>((*r)[0]) : std::vector<float>{};
}

}  // namespace edgeinfer::testing
