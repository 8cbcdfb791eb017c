// Small helpers shared by the reference kernels of graph/ops: dtype dispatch, axis
// normalisation, reading int64 lists from constant inputs, numpy broadcasting of shapes.
// Header-only; everything is a pure function.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "graph/op_table.h"
#include "graph/shape.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer::ops {

// IEEE half stored as its bits; arithmetic kernels widen it to float.
struct Half { uint16_t bits; };

// Calls f(T{}) with the C++ type of a numeric dtype (float16 as Half). Returns false when the dtype
// is not numeric (string, bool, bfloat16, undefined) so the caller can report it.
template <class F>
bool DispatchNumeric(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f(float{}); return true;
    case DType::kFloat64: f(double{}); return true;
    case DType::kFloat16: f(Half{}); return true;
    case DType::kInt8: f(int8_t{}); return true;
    case DType::kUInt8: f(uint8_t{}); return true;
    case DType::kInt16: f(int16_t{}); return true;
    case DType::kUInt16: f(uint16_t{}); return true;
    case DType::kInt32: f(int32_t{}); return true;
    case DType::kUInt32: f(uint32_t{}); return true;
    case DType::kInt64: f(int64_t{}); return true;
    case DType::kUInt64: f(uint64_t{}); return true;
    default: return false;
  }
}

// Widened compute type: float for Half, T otherwise.
template <class T> struct Compute { using type = T; };
template <> struct Compute<Half> { using type = float; };
template <class T> inline typename Compute<T>::type Load(const T* p, int64_t i) { return p[i]; }
template <> inline float Load<Half>(const Half* p, int64_t i) { return HalfToFloat(p[i].bits); }
template <class T> inline void Store(T* p, int64_t i, typename Compute<T>::type v) { p[i] = static_cast<T>(v); }
template <> inline void Store<Half>(Half* p, int64_t i, float v) { p[i].bits = FloatToHalf(v); }

// Axis in [-rank, rank) -> [0, rank); -1 when out of range.
inline int64_t NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return -1;
  return axis < 0 ? axis + rank : axis;
}

// The elements of an integer tensor as int64 (int32 or int64 or any integer dtype).
inline std::vector<int64_t> ToInt64Vector(const Tensor& t) {
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.GetAsInt64(i);
  return v;
}

// Numpy (multidirectional) broadcast of two shapes. A dynamic dim against 1 stays dynamic; against
// a static extent > 1 it takes that extent. Returns false when two static extents differ and
// neither is 1.
inline bool BroadcastShapes(const Shape& a, const Shape& b, Shape* out) {
  size_t r = std::max(a.rank(), b.rank());
  std::vector<int64_t> d(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
    int64_t y = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
    if (x == y) d[i] = x;
    else if (x == 1) d[i] = y;
    else if (y == 1) d[i] = x;
    else if (x == kDynamic) d[i] = y;
    else if (y == kDynamic) d[i] = x;
    else return false;
  }
  *out = Shape(std::move(d));
  return true;
}

// Element strides of `in_dims` seen through the broadcast output `out_dims` (0 on broadcast dims).
inline std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& in_dims, const std::vector<int64_t>& out_dims) {
  std::vector<int64_t> st(out_dims.size(), 0);
  std::vector<int64_t> cs = ContiguousStrides(in_dims);
  size_t off = out_dims.size() - in_dims.size();
  for (size_t i = 0; i < in_dims.size(); ++i) st[off + i] = in_dims[i] == 1 ? 0 : cs[i];
  return st;
}

// Calls f(out_index, a_index, b_index) for every element of the broadcast output `out_dims`, in
// row-major order; sa/sb from BroadcastStrides. Odometer walk, no allocation per element.
template <class F>
void ForEachBroadcast(const std::vector<int64_t>& out_dims, const std::vector<int64_t>& sa,
                      const std::vector<int64_t>& sb, F&& f) {
  const size_t r = out_dims.size();
  int64_t n = 1;
  for (int64_t d : out_dims) n *= d;
  if (n == 0) return;
  std::vector<int64_t> idx(r, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, ia, ib);
    for (size_t k = r; k-- > 0;) {
      ++idx[k];
      ia += sa[k];
      ib += sb[k];
      if (idx[k] < out_dims[k]) break;
      ia -= sa[k] * idx[k];
      ib -= sb[k] * idx[k];
      idx[k] = 0;
    }
  }
}

inline std::string JoinDims(const std::vector<int64_t>& v) { return Shape(v).ToString(); }

// Error prefix "Op 'name': " for reference kernels.
inline Status NodeError(const Node& n, const std::string& rule) {
  return Status::Error(n.op + " '" + n.name + "': " + rule);
}

}  // namespace edgeinfer::ops
