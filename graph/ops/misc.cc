// Naive kernels for the ops of misc.h, one section per family (grep "// ----"): shape building and
// indexing, normalisations, TopK/NMS, one-hot and selection, RoiAlign/GridSample, Einsum, losses,
// integer/QOperator ops, recurrent ops, windows/Det/unpooling/Unique, DFT/STFT.
// Each kernel walks its output (or its index tensor) in row-major order with explicit multi-indices;
// arithmetic accumulates in double (integer ops in int64); TopK, NonMaxSuppression and Unique sort
// with explicit tie rules (lower index first) so results are deterministic. Goldens, not fast paths.
#include "graph/ops/misc.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <type_traits>

#include "graph/ops/conv.h"
#include "graph/ops/gemm.h"
#include "graph/ops/op_util.h"

namespace edgeinfer::ops {

namespace {

std::string LS(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

bool IsFloatT(DType t) { return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16; }
bool IsIndexT(DType t) { return t == DType::kInt32 || t == DType::kInt64; }

int64_t Prod(const std::vector<int64_t>& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < d.size(); ++i) p *= d[i];
  return p;
}

void Unravel(int64_t i, const std::vector<int64_t>& dims, std::vector<int64_t>& idx) {
  idx.resize(dims.size());
  for (size_t k = dims.size(); k-- > 0;) {
    idx[k] = dims[k] ? i % dims[k] : 0;
    i = dims[k] ? i / dims[k] : 0;
  }
}

int64_t Ravel(const std::vector<int64_t>& idx, const std::vector<int64_t>& strides) {
  int64_t o = 0;
  for (size_t k = 0; k < idx.size(); ++k) o += idx[k] * strides[k];
  return o;
}

inline void CopyElem(uint8_t* dst, int64_t di, const uint8_t* src, int64_t si, size_t es) {
  std::memcpy(dst + static_cast<size_t>(di) * es, src + static_cast<size_t>(si) * es, es);
}

Status FloatOnly(const InferContext& ctx, size_t i) {
  if (IsFloatT(ctx.in_dtype[i])) return Status::Ok();
  return ctx.Fail("input " + std::to_string(i) + " dtype " + DTypeName(ctx.in_dtype[i]) +
                  " is not supported (rule: float16, float or double)");
}

Status Fixed(const InferContext& ctx, size_t i) {
  if (DTypeSize(ctx.in_dtype[i]) != 0) return Status::Ok();
  return ctx.Fail("input " + std::to_string(i) + " dtype " + DTypeName(ctx.in_dtype[i]) +
                  " is not supported (rule: fixed-size elements)");
}

}  // namespace

// ---------------------------------------------------------------- Expand, Tile

Status InferExpand(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (ctx.in_dtype[1] != DType::kInt64) return ctx.Fail(std::string("shape input is ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  const Shape& s = ctx.in_shape[0];
  if (!ctx.in_value[1]) {
    if (ctx.in_shape[1].rank() == 1 && ctx.in_shape[1].dims[0] >= 0) {
      size_t r = std::max(s.rank(), static_cast<size_t>(ctx.in_shape[1].dims[0]));
      ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(r, kDynamic)));
      return Status::Ok();
    }
    return ctx.Fail("the shape input must be a 1-D constant (rule: output rank known at compile time)");
  }
  std::vector<int64_t> spec = ToInt64Vector(*ctx.in_value[1]);
  for (int64_t d : spec) {
    if (d < 0) return ctx.Fail("shape " + LS(spec) + " has a negative extent");
  }
  Shape out;
  if (!BroadcastShapes(s, Shape(spec), &out)) {
    return ctx.Fail("input shape " + s.ToString() + " does not broadcast with shape " + LS(spec) + " (rule: numpy broadcasting)");
  }
  ctx.SetOutput(0, ctx.in_dtype[0], out);
  return Status::Ok();
}

Status ExpandReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  Tensor& y = *out[0];
  std::vector<int64_t> sx = BroadcastStrides(x.dims(), y.dims());
  std::vector<int64_t> zero(y.rank(), 0);
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(y.raw());
  ForEachBroadcast(y.dims(), sx, zero, [&](int64_t i, int64_t ix, int64_t) { CopyElem(dst, i, src, ix, es); });
  return Status::Ok();
}

Status InferTile(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (ctx.in_dtype[1] != DType::kInt64) return ctx.Fail(std::string("repeats input is ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  const Shape& s = ctx.in_shape[0];
  if (!ctx.in_value[1]) {
    ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(s.rank(), kDynamic)));
    return Status::Ok();
  }
  std::vector<int64_t> rep = ToInt64Vector(*ctx.in_value[1]);
  if (rep.size() != s.rank()) {
    return ctx.Fail("repeats " + LS(rep) + " has " + std::to_string(rep.size()) + " entries for rank " +
                    std::to_string(s.rank()) + " (rule: one per input dim)");
  }
  std::vector<int64_t> out(s.rank());
  for (size_t k = 0; k < s.rank(); ++k) {
    if (rep[k] < 0) return ctx.Fail("repeats " + LS(rep) + " has a negative entry");
    out[k] = s.dims[k] < 0 ? kDynamic : s.dims[k] * rep[k];
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status TileReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  Tensor& y = *out[0];
  const std::vector<int64_t>& xd = x.dims();
  std::vector<int64_t> xs = ContiguousStrides(xd);
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(y.raw());
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < y.numel(); ++i) {
    Unravel(i, y.dims(), idx);
    int64_t si = 0;
    for (size_t k = 0; k < idx.size(); ++k) si += (idx[k] % xd[k]) * xs[k];
    CopyElem(dst, i, src, si, es);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Range, Size

namespace {
bool RangeDType(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kInt16 || t == DType::kInt32 || t == DType::kInt64;
}

// Number of elements of Range(start, limit, delta); error text when delta is 0.
int64_t RangeCount(const Tensor& start, const Tensor& limit, const Tensor& delta, std::string* err) {
  if (IsFloating(start.dtype())) {
    double s = start.GetAsDouble(0), l = limit.GetAsDouble(0), d = delta.GetAsDouble(0);
    if (d == 0.0) { *err = "delta is 0 (rule: a non-zero delta)"; return 0; }
    return std::max<int64_t>(0, static_cast<int64_t>(std::ceil((l - s) / d)));
  }
  int64_t s = start.GetAsInt64(0), l = limit.GetAsInt64(0), d = delta.GetAsInt64(0);
  if (d == 0) { *err = "delta is 0 (rule: a non-zero delta)"; return 0; }
  int64_t span = l - s;
  if ((span > 0) != (d > 0) || span == 0) return 0;
  int64_t n = span / d;
  if (n * d != span) ++n;
  return n;
}
}  // namespace

Status InferRange(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  for (size_t i = 0; i < 3; ++i) {
    if (ctx.in_dtype[i] != t) {
      return ctx.Fail(std::string("input dtypes ") + DTypeName(t) + " and " + DTypeName(ctx.in_dtype[i]) + " differ (rule: inputs share one dtype)");
    }
    int64_t n = ctx.in_shape[i].NumElements();
    if (n >= 0 && n != 1) {
      return ctx.Fail("input " + std::to_string(i) + " has shape " + ctx.in_shape[i].ToString() + " (rule: start, limit and delta are scalars)");
    }
  }
  if (!RangeDType(t)) return ctx.Fail(std::string("dtype ") + DTypeName(t) + " is not supported (rule: float, double, int16, int32 or int64)");
  if (!ctx.in_value[0] || !ctx.in_value[1] || !ctx.in_value[2]) {
    ctx.SetOutput(0, t, Shape({kDynamic}));
    return Status::Ok();
  }
  std::string err;
  int64_t n = RangeCount(*ctx.in_value[0], *ctx.in_value[1], *ctx.in_value[2], &err);
  if (!err.empty()) return ctx.Fail(err);
  ctx.SetOutput(0, t, Shape({n}));
  return Status::Ok();
}

Status RangeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Tensor& y = *out[0];
  bool ok = DispatchNumeric(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    C s = Load<T>(in[0]->data<T>(), 0), d = Load<T>(in[2]->data<T>(), 0);
    for (int64_t i = 0; i < y.numel(); ++i) Store<T>(y.data<T>(), i, static_cast<C>(s + static_cast<C>(i) * d));
  });
  return ok ? Status::Ok() : NodeError(node, std::string("dtype ") + DTypeName(y.dtype()) + " is not supported");
}

Status InferSize(InferContext& ctx) {
  ctx.SetOutput(0, DType::kInt64, Shape(std::vector<int64_t>{}));
  return Status::Ok();
}

Status SizeReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  out[0]->data<int64_t>()[0] = in[0]->numel();
  return Status::Ok();
}

// ---------------------------------------------------------------- GatherElements, ScatterElements

namespace {
Status ElementsCommon(InferContext& ctx, const char* what) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (!IsIndexT(ctx.in_dtype[1])) return ctx.Fail(std::string("indices are ") + DTypeName(ctx.in_dtype[1]) + " (rule: int32 or int64)");
  const Shape& s = ctx.in_shape[0];
  if (ctx.in_shape[1].rank() != s.rank()) {
    return ctx.Fail("indices shape " + ctx.in_shape[1].ToString() + " and data shape " + s.ToString() +
                    " differ in rank (rule: " + what + " indices have the data's rank)");
  }
  int64_t a = ctx.node.attrs.GetInt("axis", 0);
  if (NormalizeAxis(a, static_cast<int64_t>(s.rank())) < 0) {
    return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(s.rank()) + " (rule: -r <= axis < r)");
  }
  return Status::Ok();
}

enum class Reduction { kNone, kAdd, kMul };
Result<Reduction> ReductionOf(const Node& n) {
  std::string r = n.attrs.GetString("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  return NodeError(n, "reduction='" + r + "' is not supported (rule: none, add or mul)");
}

// dst[di] (op)= src[si] for one element of a numeric dtype (or a byte copy for kNone).
void ApplyUpdate(Reduction red, DType t, uint8_t* dst, int64_t di, const uint8_t* src, int64_t si) {
  const size_t es = DTypeSize(t);
  if (red == Reduction::kNone) {
    CopyElem(dst, di, src, si, es);
    return;
  }
  DispatchNumeric(t, [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    T* d = reinterpret_cast<T*>(dst);
    const T* s = reinterpret_cast<const T*>(src);
    C a = Load<T>(d, di), b = Load<T>(s, si);
    Store<T>(d, di, static_cast<C>(red == Reduction::kAdd ? a + b : a * b));
  });
}
}  // namespace

Status InferGatherElements(InferContext& ctx) {
  EI_RETURN_IF_ERROR(ElementsCommon(ctx, "GatherElements"));
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[1]);
  return Status::Ok();
}

Status GatherElementsReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& ind = *in[1];
  const size_t axis = static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(x.rank())));
  std::vector<int64_t> xs = ContiguousStrides(x.dims());
  const int64_t d = x.dim(axis);
  const size_t es = DTypeSize(x.dtype());
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < ind.numel(); ++i) {
    Unravel(i, ind.dims(), idx);
    for (size_t k = 0; k < idx.size(); ++k) {
      if (k != axis && idx[k] >= x.dim(k)) {
        return NodeError(node, "indices shape " + Shape(ind.dims()).ToString() + " exceeds data shape " +
                                   Shape(x.dims()).ToString() + " outside the axis");
      }
    }
    int64_t v = ind.GetAsInt64(i);
    if (v < -d || v >= d) return NodeError(node, "index " + std::to_string(v) + " is out of range for axis extent " + std::to_string(d) + " (rule: -d <= index < d)");
    idx[axis] = v < 0 ? v + d : v;
    CopyElem(static_cast<uint8_t*>(out[0]->raw()), i, static_cast<const uint8_t*>(x.raw()), Ravel(idx, xs), es);
  }
  return Status::Ok();
}

Status InferScatterElements(InferContext& ctx) {
  EI_RETURN_IF_ERROR(ElementsCommon(ctx, "ScatterElements"));
  if (ctx.in_dtype[2] != ctx.in_dtype[0]) return ctx.Fail("updates dtype differs from data (rule: one dtype)");
  if (ctx.in_shape[2] != ctx.in_shape[1]) {
    return ctx.Fail("updates shape " + ctx.in_shape[2].ToString() + " differs from indices shape " + ctx.in_shape[1].ToString() +
                    " (rule: updates match indices)");
  }
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status ScatterElementsReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(Reduction red, ReductionOf(node));
  const Tensor& x = *in[0];
  const Tensor& ind = *in[1];
  Tensor& y = *out[0];
  if (x.bytes()) std::memcpy(y.raw(), x.raw(), x.bytes());
  const size_t axis = static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(x.rank())));
  std::vector<int64_t> xs = ContiguousStrides(x.dims());
  const int64_t d = x.dim(axis);
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < ind.numel(); ++i) {
    Unravel(i, ind.dims(), idx);
    int64_t v = ind.GetAsInt64(i);
    if (v < -d || v >= d) return NodeError(node, "index " + std::to_string(v) + " is out of range for axis extent " + std::to_string(d) + " (rule: -d <= index < d)");
    idx[axis] = v < 0 ? v + d : v;
    ApplyUpdate(red, x.dtype(), static_cast<uint8_t*>(y.raw()), Ravel(idx, xs), static_cast<const uint8_t*>(in[2]->raw()), i);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- GatherND, ScatterND

Status InferGatherND(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (ctx.in_dtype[1] != DType::kInt64) return ctx.Fail(std::string("indices are ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  const Shape& ds = ctx.in_shape[0];
  const Shape& is = ctx.in_shape[1];
  const int64_t b = ctx.node.attrs.GetInt("batch_dims", 0);
  const int64_t r = static_cast<int64_t>(ds.rank()), q = static_cast<int64_t>(is.rank());
  if (q < 1 || r < 1) return ctx.Fail("data and indices need rank >= 1");
  if (b < 0 || b >= std::min(q, r)) {
    return ctx.Fail("batch_dims=" + std::to_string(b) + " for data rank " + std::to_string(r) + " and indices rank " +
                    std::to_string(q) + " (rule: 0 <= batch_dims < min(q, r))");
  }
  const int64_t k = is.dims.back();
  if (k < 0) return ctx.Fail("the last dim of indices must be static (rule: index tuple length known)");
  if (k < 1 || k > r - b) {
    return ctx.Fail("index tuples have " + std::to_string(k) + " entries for data rank " + std::to_string(r) +
                    " and batch_dims " + std::to_string(b) + " (rule: 1 <= k <= r - batch_dims)");
  }
  for (int64_t i = 0; i < b; ++i) {
    int64_t x = ds.dims[static_cast<size_t>(i)], y = is.dims[static_cast<size_t>(i)];
    if (x >= 0 && y >= 0 && x != y) {
      return ctx.Fail("batch dim " + std::to_string(i) + " is " + std::to_string(x) + " in data and " + std::to_string(y) +
                      " in indices (rule: batch dims agree)");
    }
  }
  std::vector<int64_t> out(is.dims.begin(), is.dims.end() - 1);
  for (int64_t i = b + k; i < r; ++i) out.push_back(ds.dims[static_cast<size_t>(i)]);
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status GatherNDReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& ind = *in[1];
  const size_t b = static_cast<size_t>(node.attrs.GetInt("batch_dims", 0));
  const size_t k = static_cast<size_t>(ind.dims().back());
  const std::vector<int64_t>& xd = x.dims();
  const int64_t batches = Prod(xd, 0, b);
  const int64_t batch_size = Prod(xd, b, xd.size());
  const int64_t slice = Prod(xd, b + k, xd.size());
  const int64_t tuples = batches ? ind.numel() / static_cast<int64_t>(k) / batches : 0;
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  for (int64_t bi = 0; bi < batches; ++bi) {
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t row = bi * tuples + t;
      int64_t off = 0;
      for (size_t j = 0; j < k; ++j) {
        int64_t dim = xd[b + j];
        int64_t v = ind.GetAsInt64(row * static_cast<int64_t>(k) + static_cast<int64_t>(j));
        if (v < -dim || v >= dim) return NodeError(node, "index " + std::to_string(v) + " is out of range for dim extent " + std::to_string(dim) + " (rule: -d <= index < d)");
        off = off * dim + (v < 0 ? v + dim : v);
      }
      off = bi * batch_size + off * slice;
      if (slice) std::memcpy(dst + static_cast<size_t>(row * slice) * es, src + static_cast<size_t>(off) * es, static_cast<size_t>(slice) * es);
    }
  }
  return Status::Ok();
}

Status InferScatterND(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (ctx.in_dtype[1] != DType::kInt64) return ctx.Fail(std::string("indices are ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  if (ctx.in_dtype[2] != ctx.in_dtype[0]) return ctx.Fail("updates dtype differs from data (rule: one dtype)");
  const Shape& ds = ctx.in_shape[0];
  const Shape& is = ctx.in_shape[1];
  if (is.rank() < 1) return ctx.Fail("indices need rank >= 1");
  const int64_t k = is.dims.back();
  if (k < 1 || k > static_cast<int64_t>(ds.rank())) {
    return ctx.Fail("index tuples have " + std::to_string(k) + " entries for data rank " + std::to_string(ds.rank()) + " (rule: 1 <= k <= r)");
  }
  std::vector<int64_t> want(is.dims.begin(), is.dims.end() - 1);
  for (size_t i = static_cast<size_t>(k); i < ds.rank(); ++i) want.push_back(ds.dims[i]);
  if (ctx.in_shape[2].IsStatic() && Shape(want).IsStatic() && ctx.in_shape[2] != Shape(want)) {
    return ctx.Fail("updates shape " + ctx.in_shape[2].ToString() + " is not " + Shape(want).ToString() +
                    " (rule: indices.shape[:-1] + data.shape[k:])");
  }
  ctx.SetOutput(0, ctx.in_dtype[0], ds);
  return Status::Ok();
}

Status ScatterNDReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(Reduction red, ReductionOf(node));
  const Tensor& x = *in[0];
  const Tensor& ind = *in[1];
  Tensor& y = *out[0];
  if (x.bytes()) std::memcpy(y.raw(), x.raw(), x.bytes());
  const size_t k = static_cast<size_t>(ind.dims().back());
  const std::vector<int64_t>& xd = x.dims();
  const int64_t slice = Prod(xd, k, xd.size());
  const int64_t tuples = ind.numel() / static_cast<int64_t>(k);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (size_t j = 0; j < k; ++j) {
      int64_t dim = xd[j];
      int64_t v = ind.GetAsInt64(t * static_cast<int64_t>(k) + static_cast<int64_t>(j));
      if (v < -dim || v >= dim) return NodeError(node, "index " + std::to_string(v) + " is out of range for dim extent " + std::to_string(dim) + " (rule: -d <= index < d)");
      off = off * dim + (v < 0 ? v + dim : v);
    }
    for (int64_t e = 0; e < slice; ++e) {
      ApplyUpdate(red, x.dtype(), static_cast<uint8_t*>(y.raw()), off * slice + e, static_cast<const uint8_t*>(in[2]->raw()), t * slice + e);
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- DepthToSpace, SpaceToDepth

namespace {
Result<int64_t> BlockSize(const InferContext& ctx) {
  if (!ctx.node.attrs.Has("blocksize")) return ctx.Fail("attribute blocksize is required");
  int64_t b = ctx.node.attrs.GetInt("blocksize", 0);
  if (b < 1) return ctx.Fail("blocksize=" + std::to_string(b) + " (rule: blocksize >= 1)");
  if (ctx.in_shape[0].rank() != 4) return ctx.Fail("input shape " + ctx.in_shape[0].ToString() + " is not 4-D (rule: NCHW input)");
  return b;
}
int64_t Mul(int64_t a, int64_t b) { return a < 0 ? kDynamic : a * b; }
int64_t Div(int64_t a, int64_t b) { return a < 0 ? kDynamic : a / b; }
}  // namespace

Status InferDepthToSpace(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  EI_ASSIGN_OR_RETURN(int64_t b, BlockSize(ctx));
  std::string mode = ctx.node.attrs.GetString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return ctx.Fail("mode='" + mode + "' (rule: DCR or CRD)");
  const std::vector<int64_t>& d = ctx.in_shape[0].dims;
  if (d[1] >= 0 && d[1] % (b * b) != 0) {
    return ctx.Fail("channels " + std::to_string(d[1]) + " are not divisible by blocksize^2=" + std::to_string(b * b));
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape({d[0], Div(d[1], b * b), Mul(d[2], b), Mul(d[3], b)}));
  return Status::Ok();
}

Status DepthToSpaceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t b = node.attrs.GetInt("blocksize", 1);
  const bool crd = node.attrs.GetString("mode", "DCR") == "CRD";
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), Co = C / (b * b);
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  int64_t o = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < Co; ++c)
      for (int64_t h = 0; h < H * b; ++h)
        for (int64_t w = 0; w < W * b; ++w, ++o) {
          int64_t i = h % b, j = w % b;
          int64_t ci = crd ? c * b * b + i * b + j : (i * b + j) * Co + c;
          CopyElem(dst, o, src, ((n * C + ci) * H + h / b) * W + w / b, es);
        }
  return Status::Ok();
}

Status InferSpaceToDepth(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  EI_ASSIGN_OR_RETURN(int64_t b, BlockSize(ctx));
  const std::vector<int64_t>& d = ctx.in_shape[0].dims;
  for (size_t k = 2; k < 4; ++k) {
    if (d[k] >= 0 && d[k] % b != 0) {
      return ctx.Fail("spatial dim " + std::to_string(d[k]) + " is not divisible by blocksize " + std::to_string(b));
    }
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape({d[0], Mul(d[1], b * b), Div(d[2], b), Div(d[3], b)}));
  return Status::Ok();
}

Status SpaceToDepthReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t b = node.attrs.GetInt("blocksize", 1);
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), Ho = H / b, Wo = W / b;
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  int64_t o = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < C * b * b; ++co)
      for (int64_t h = 0; h < Ho; ++h)
        for (int64_t w = 0; w < Wo; ++w, ++o) {
          int64_t c = co % C, ij = co / C, i = ij / b, j = ij % b;
          CopyElem(dst, o, src, ((n * C + c) * H + h * b + i) * W + w * b + j, es);
        }
  return Status::Ok();
}

// ---------------------------------------------------------------- InstanceNormalization, LayerNormalization, LRN

Status InferInstanceNorm(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const Shape& s = ctx.in_shape[0];
  if (s.rank() < 3) return ctx.Fail("input shape " + s.ToString() + " has rank < 3 (rule: [N, C, spatial...])");
  for (size_t i = 1; i < 3; ++i) {
    if (ctx.in_dtype[i] != ctx.in_dtype[0]) return ctx.Fail("scale and B share the input's dtype (rule: one dtype)");
    const Shape& p = ctx.in_shape[i];
    if (p.rank() != 1 || (p.dims[0] >= 0 && s.dims[1] >= 0 && p.dims[0] != s.dims[1])) {
      return ctx.Fail(std::string(i == 1 ? "scale" : "B") + " shape " + p.ToString() + " is not [C] for input " + s.ToString() + " (rule: one per channel)");
    }
  }
  ctx.SetOutput(0, ctx.in_dtype[0], s);
  return Status::Ok();
}

Status InstanceNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const double eps = node.attrs.GetFloat("epsilon", 1e-5f);
  const int64_t N = x.dim(0), C = x.dim(1), S = Prod(x.dims(), 2, x.rank());
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Cc = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<Cc>) {
      const T* xp = x.data<T>();
      T* yp = out[0]->data<T>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c) {
          const int64_t base = (n * C + c) * S;
          double mean = 0, var = 0;
          for (int64_t i = 0; i < S; ++i) mean += Load<T>(xp, base + i);
          mean /= static_cast<double>(S);
          for (int64_t i = 0; i < S; ++i) { double d = Load<T>(xp, base + i) - mean; var += d * d; }
          var /= static_cast<double>(S);
          const double sc = Load<T>(in[1]->data<T>(), c), bb = Load<T>(in[2]->data<T>(), c);
          const double inv = 1.0 / std::sqrt(var + eps);
          for (int64_t i = 0; i < S; ++i) Store<T>(yp, base + i, static_cast<Cc>(sc * (Load<T>(xp, base + i) - mean) * inv + bb));
        }
    }
  });
  return Status::Ok();
}

Status InferLayerNorm(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const Shape& s = ctx.in_shape[0];
  const int64_t r = static_cast<int64_t>(s.rank());
  const int64_t a = ctx.node.attrs.GetInt("axis", -1);
  const int64_t axis = NormalizeAxis(a, r);
  if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(r) + " (rule: -r <= axis < r)");
  const Shape norm(std::vector<int64_t>(s.dims.begin() + axis, s.dims.end()));
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.HasInput(i)) continue;
    if (ctx.in_dtype[i] != ctx.in_dtype[0]) return ctx.Fail(std::string(i == 1 ? "Scale" : "B") + " dtype differs from X (rule: one dtype)");
    Shape bc;
    if (!BroadcastShapes(norm, ctx.in_shape[i], &bc) || bc != norm) {
      return ctx.Fail(std::string(i == 1 ? "Scale" : "B") + " shape " + ctx.in_shape[i].ToString() +
                      " does not broadcast to the normalized shape " + norm.ToString() + " (rule: unidirectional broadcasting)");
    }
  }
  const int64_t stash = ctx.node.attrs.GetInt("stash_type", 1);
  DType st = DTypeFromOnnx(static_cast<int32_t>(stash));
  if (st != DType::kFloat32 && st != DType::kFloat64) {
    return ctx.Fail("stash_type=" + std::to_string(stash) + " is not supported (rule: float or double)");
  }
  ctx.SetOutput(0, ctx.in_dtype[0], s);
  std::vector<int64_t> md(s.dims.begin(), s.dims.begin() + axis);
  md.resize(static_cast<size_t>(r), 1);
  for (size_t o = 1; o < ctx.out_dtype.size(); ++o) ctx.SetOutput(o, st, Shape(md));
  return Status::Ok();
}

Status LayerNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t axis = NormalizeAxis(node.attrs.GetInt("axis", -1), static_cast<int64_t>(x.rank()));
  const double eps = node.attrs.GetFloat("epsilon", 1e-5f);
  const int64_t outer = Prod(x.dims(), 0, static_cast<size_t>(axis));
  const std::vector<int64_t> norm(x.dims().begin() + axis, x.dims().end());
  const int64_t inner = Prod(norm, 0, norm.size());
  const Tensor* scale = in.size() > 1 ? in[1] : nullptr;
  const Tensor* bias = in.size() > 2 ? in[2] : nullptr;
  // Per normalized element, the element of Scale / B (broadcast).
  std::vector<int64_t> si(static_cast<size_t>(inner), 0), bi(static_cast<size_t>(inner), 0);
  std::vector<int64_t> zero(norm.size(), 0);
  if (scale) ForEachBroadcast(norm, BroadcastStrides(scale->dims(), norm), zero, [&](int64_t i, int64_t a, int64_t) { si[static_cast<size_t>(i)] = a; });
  if (bias) ForEachBroadcast(norm, BroadcastStrides(bias->dims(), norm), zero, [&](int64_t i, int64_t a, int64_t) { bi[static_cast<size_t>(i)] = a; });
  Tensor* mean_t = out.size() > 1 ? out[1] : nullptr;
  Tensor* inv_t = out.size() > 2 ? out[2] : nullptr;
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Cc = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<Cc>) {
      const T* xp = x.data<T>();
      T* yp = out[0]->data<T>();
      for (int64_t o = 0; o < outer; ++o) {
        const int64_t base = o * inner;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < inner; ++i) mean += Load<T>(xp, base + i);
        mean /= static_cast<double>(inner);
        for (int64_t i = 0; i < inner; ++i) { double d = Load<T>(xp, base + i) - mean; var += d * d; }
        var /= static_cast<double>(inner);
        const double inv = 1.0 / std::sqrt(var + eps);
        for (int64_t i = 0; i < inner; ++i) {
          double v = (Load<T>(xp, base + i) - mean) * inv;
          if (scale) v *= Load<T>(scale->data<T>(), si[static_cast<size_t>(i)]);
          if (bias) v += Load<T>(bias->data<T>(), bi[static_cast<size_t>(i)]);
          Store<T>(yp, base + i, static_cast<Cc>(v));
        }
        for (Tensor* t : {mean_t, inv_t}) {
          if (!t) continue;
          double v = t == mean_t ? mean : inv;
          if (t->dtype() == DType::kFloat64) t->data<double>()[o] = v;
          else t->data<float>()[o] = static_cast<float>(v);
        }
      }
    }
  });
  return Status::Ok();
}

Status InferLRN(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  if (!ctx.node.attrs.Has("size")) return ctx.Fail("attribute size is required");
  int64_t size = ctx.node.attrs.GetInt("size", 0);
  if (size < 1) return ctx.Fail("size=" + std::to_string(size) + " (rule: size >= 1)");
  if (ctx.in_shape[0].rank() < 3) return ctx.Fail("input shape " + ctx.in_shape[0].ToString() + " has rank < 3 (rule: [N, C, spatial...])");
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status LRNReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const double alpha = node.attrs.GetFloat("alpha", 1e-4f), beta = node.attrs.GetFloat("beta", 0.75f);
  const double bias = node.attrs.GetFloat("bias", 1.f);
  const int64_t size = node.attrs.GetInt("size", 1);
  const int64_t N = x.dim(0), C = x.dim(1), S = Prod(x.dims(), 2, x.rank());
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;   // floor and ceil of (size-1)/2
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Cc = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<Cc>) {
      const T* xp = x.data<T>();
      T* yp = out[0]->data<T>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t s = 0; s < S; ++s) {
            double sq = 0;
            for (int64_t j = std::max<int64_t>(0, c - lo); j <= std::min(C - 1, c + hi); ++j) {
              double v = Load<T>(xp, (n * C + j) * S + s);
              sq += v * v;
            }
            const int64_t i = (n * C + c) * S + s;
            Store<T>(yp, i, static_cast<Cc>(Load<T>(xp, i) / std::pow(bias + alpha / static_cast<double>(size) * sq, beta)));
          }
    }
  });
  return Status::Ok();
}

// ---------------------------------------------------------------- TopK

Status InferTopK(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  if (!(IsFloatT(t) || IsInteger(t))) return ctx.Fail(std::string("input dtype ") + DTypeName(t) + " is not supported (rule: numeric input)");
  if (ctx.in_dtype[1] != DType::kInt64) return ctx.Fail(std::string("K is ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  const Shape& s = ctx.in_shape[0];
  const int64_t a = ctx.node.attrs.GetInt("axis", -1);
  const int64_t axis = NormalizeAxis(a, static_cast<int64_t>(s.rank()));
  if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(s.rank()) + " (rule: -r <= axis < r)");
  std::vector<int64_t> d = s.dims;
  if (ctx.in_value[1]) {
    if (ctx.in_value[1]->numel() != 1) return ctx.Fail("K has " + std::to_string(ctx.in_value[1]->numel()) + " elements (rule: one element)");
    int64_t k = ctx.in_value[1]->GetAsInt64(0);
    int64_t n = d[static_cast<size_t>(axis)];
    if (k < 0 || (n >= 0 && k > n)) {
      return ctx.Fail("K=" + std::to_string(k) + " for axis extent " + std::to_string(n) + " (rule: 0 <= K <= extent)");
    }
    d[static_cast<size_t>(axis)] = k;
  } else {
    d[static_cast<size_t>(axis)] = kDynamic;
  }
  ctx.SetOutput(0, t, Shape(d));
  ctx.SetOutput(1, DType::kInt64, Shape(d));
  return Status::Ok();
}

void TopKRef(int64_t axis, int64_t k, bool largest, const Tensor& x, Tensor& values, Tensor& indices) {
  const std::vector<int64_t>& d = x.dims();
  const int64_t outer = Prod(d, 0, static_cast<size_t>(axis));
  const int64_t n = d[static_cast<size_t>(axis)];
  const int64_t inner = Prod(d, static_cast<size_t>(axis) + 1, d.size());
  int64_t* ip = indices.data<int64_t>();
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    const T* xp = x.data<T>();
    T* vp = values.data<T>();
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t base = o * n * inner + i;
        std::iota(order.begin(), order.end(), 0);
        auto val = [&](int64_t j) -> C { return Load<T>(xp, base + j * inner); };
        std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) {
          C a = val(p), b = val(q);
          return largest ? a > b : a < b;   // stable: equal values keep the lower index first
        });
        for (int64_t j = 0; j < k; ++j) {
          const int64_t oi = o * k * inner + j * inner + i;
          Store<T>(vp, oi, val(order[static_cast<size_t>(j)]));
          ip[oi] = order[static_cast<size_t>(j)];
        }
      }
  });
}

Status TopKReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const int64_t axis = NormalizeAxis(node.attrs.GetInt("axis", -1), static_cast<int64_t>(in[0]->rank()));
  const int64_t k = in[1]->GetAsInt64(0);
  TopKRef(axis, k, node.attrs.GetInt("largest", 1) != 0, *in[0], *out[0], *out[1]);
  return Status::Ok();
}

// ---------------------------------------------------------------- NonMaxSuppression

namespace {
struct Box { float y1, x1, y2, x2; };

Box BoxAt(const float* p, bool center) {
  if (center) {   // [x_center, y_center, width, height]
    return {p[1] - p[3] / 2, p[0] - p[2] / 2, p[1] + p[3] / 2, p[0] + p[2] / 2};
  }
  // [y1, x1, y2, x2], corners possibly flipped.
  return {std::min(p[0], p[2]), std::min(p[1], p[3]), std::max(p[0], p[2]), std::max(p[1], p[3])};
}

// IoU > threshold; boxes of no area never suppress (ONNX Runtime's rule).
bool Suppresses(const Box& a, const Box& b, float threshold) {
  const float area_a = (a.y2 - a.y1) * (a.x2 - a.x1), area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  if (area_a <= 0 || area_b <= 0) return false;
  const float iy = std::max(0.f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float ix = std::max(0.f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float inter = iy * ix;
  const float uni = area_a + area_b - inter;
  if (uni <= 0) return false;
  return inter / uni > threshold;
}

NmsParams NmsParamsOf(const Node& node, const std::vector<const Tensor*>& in) {
  NmsParams p;
  p.center_point_box = node.attrs.GetInt("center_point_box", 0) != 0;
  if (in.size() > 2 && in[2] && in[2]->numel() > 0) p.max_output_boxes_per_class = in[2]->GetAsInt64(0);
  if (in.size() > 3 && in[3] && in[3]->numel() > 0) p.iou_threshold = static_cast<float>(in[3]->GetAsDouble(0));
  if (in.size() > 4 && in[4] && in[4]->numel() > 0) {
    p.has_score_threshold = true;
    p.score_threshold = static_cast<float>(in[4]->GetAsDouble(0));
  }
  return p;
}
}  // namespace

std::vector<std::array<int64_t, 3>> NmsSelect(const NmsParams& p, const Tensor& boxes, const Tensor& scores) {
  std::vector<std::array<int64_t, 3>> sel;
  const int64_t B = scores.dim(0), C = scores.dim(1), N = scores.dim(2);
  if (p.max_output_boxes_per_class <= 0) return sel;
  const float* bp = boxes.data<float>();
  const float* sp = scores.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) {
      const float* s = sp + (b * C + c) * N;
      std::vector<int64_t> cand;
      for (int64_t i = 0; i < N; ++i) {
        if (!p.has_score_threshold || s[i] > p.score_threshold) cand.push_back(i);
      }
      std::stable_sort(cand.begin(), cand.end(), [&](int64_t x, int64_t y) { return s[x] > s[y]; });
      std::vector<Box> kept;
      for (int64_t i : cand) {
        if (static_cast<int64_t>(kept.size()) >= p.max_output_boxes_per_class) break;
        Box bx = BoxAt(bp + (b * N + i) * 4, p.center_point_box);
        bool drop = false;
        for (const Box& k : kept) {
          if (Suppresses(k, bx, p.iou_threshold)) { drop = true; break; }
        }
        if (drop) continue;
        kept.push_back(bx);
        sel.push_back({b, c, i});
      }
    }
  return sel;
}

Status InferNonMaxSuppression(InferContext& ctx) {
  if (ctx.in_dtype[0] != DType::kFloat32 || ctx.in_dtype[1] != DType::kFloat32) {
    return ctx.Fail("boxes and scores must be float (rule: float32 boxes and scores)");
  }
  const Shape& bs = ctx.in_shape[0];
  const Shape& ss = ctx.in_shape[1];
  if (bs.rank() != 3 || ss.rank() != 3) {
    return ctx.Fail("boxes " + bs.ToString() + " and scores " + ss.ToString() + " must be [B,N,4] and [B,C,N] (rule: 3-D inputs)");
  }
  auto clash = [](int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; };
  if ((bs.dims[2] >= 0 && bs.dims[2] != 4) || clash(bs.dims[0], ss.dims[0]) || clash(bs.dims[1], ss.dims[2])) {
    return ctx.Fail("boxes " + bs.ToString() + " and scores " + ss.ToString() + " disagree (rule: boxes [B,N,4], scores [B,C,N])");
  }
  if (ctx.HasInput(2) && ctx.in_dtype[2] != DType::kInt64) return ctx.Fail("max_output_boxes_per_class must be int64");
  for (size_t i = 3; i < 5; ++i) {
    if (ctx.HasInput(i) && ctx.in_dtype[i] != DType::kFloat32) return ctx.Fail("iou_threshold and score_threshold must be float");
  }
  bool known = ctx.in_value[0] && ctx.in_value[1];
  for (size_t i = 2; i < ctx.num_inputs(); ++i) known = known && (!ctx.HasInput(i) || ctx.in_value[i]);
  if (!known) {
    ctx.SetOutput(0, DType::kInt64, Shape({kDynamic, 3}));
    return Status::Ok();
  }
  if (ctx.HasInput(3) && ctx.in_value[3]->numel() > 0) {
    double t = ctx.in_value[3]->GetAsDouble(0);
    if (t < 0 || t > 1) return ctx.Fail("iou_threshold=" + std::to_string(t) + " (rule: 0 <= iou_threshold <= 1)");
  }
  std::vector<const Tensor*> in = ctx.in_value;
  for (size_t i = 0; i < in.size(); ++i) if (!ctx.HasInput(i)) in[i] = nullptr;
  auto sel = NmsSelect(NmsParamsOf(ctx.node, in), *ctx.in_value[0], *ctx.in_value[1]);
  ctx.SetOutput(0, DType::kInt64, Shape({static_cast<int64_t>(sel.size()), 3}));
  return Status::Ok();
}

Status NonMaxSuppressionReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  auto sel = NmsSelect(NmsParamsOf(node, in), *in[0], *in[1]);
  if (static_cast<int64_t>(sel.size()) != out[0]->dim(0)) return NodeError(node, "selection count differs from the inferred shape");
  int64_t* y = out[0]->data<int64_t>();
  for (size_t i = 0; i < sel.size(); ++i)
    for (size_t j = 0; j < 3; ++j) y[i * 3 + j] = sel[i][j];
  return Status::Ok();
}

// ---------------------------------------------------------------- Trilu, CumSum, Hardmax, EyeLike

Status InferTrilu(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (ctx.in_shape[0].rank() < 2) return ctx.Fail("input shape " + ctx.in_shape[0].ToString() + " has rank < 2 (rule: matrices)");
  if (ctx.HasInput(1) && ctx.in_dtype[1] != DType::kInt64) return ctx.Fail("k must be int64 (rule: int64 scalar)");
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status TriluReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t k = in.size() > 1 && in[1] && in[1]->numel() > 0 ? in[1]->GetAsInt64(0) : 0;
  const bool upper = node.attrs.GetInt("upper", 1) != 0;
  const int64_t R = x.dim(x.rank() - 2), Cn = x.dim(x.rank() - 1);
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = i % Cn, r = (i / Cn) % R;
    const bool keep = upper ? c - r >= k : c - r <= k;
    if (keep) CopyElem(dst, i, src, i, es);
    else std::memset(dst + static_cast<size_t>(i) * es, 0, es);
  }
  return Status::Ok();
}

Status InferCumSum(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  if (!(IsFloatT(t) || IsInteger(t))) return ctx.Fail(std::string("input dtype ") + DTypeName(t) + " is not supported (rule: numeric input)");
  if (!IsIndexT(ctx.in_dtype[1])) return ctx.Fail(std::string("axis is ") + DTypeName(ctx.in_dtype[1]) + " (rule: int32 or int64 scalar)");
  if (ctx.in_value[1]) {
    int64_t a = ctx.in_value[1]->GetAsInt64(0);
    if (NormalizeAxis(a, static_cast<int64_t>(ctx.in_shape[0].rank())) < 0) {
      return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(ctx.in_shape[0].rank()) + " (rule: -r <= axis < r)");
    }
  }
  ctx.SetOutput(0, t, ctx.in_shape[0]);
  return Status::Ok();
}

Status CumSumReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t axis = NormalizeAxis(in[1]->GetAsInt64(0), static_cast<int64_t>(x.rank()));
  if (axis < 0) return NodeError(node, "axis is out of range");
  const bool exclusive = node.attrs.GetInt("exclusive", 0) != 0, reverse = node.attrs.GetInt("reverse", 0) != 0;
  const int64_t outer = Prod(x.dims(), 0, static_cast<size_t>(axis)), n = x.dim(static_cast<size_t>(axis));
  const int64_t inner = Prod(x.dims(), static_cast<size_t>(axis) + 1, x.rank());
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    const T* xp = x.data<T>();
    T* yp = out[0]->data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        C acc = C(0);
        for (int64_t s = 0; s < n; ++s) {
          const int64_t j = reverse ? n - 1 - s : s;
          const int64_t idx = (o * n + j) * inner + i;
          C v = Load<T>(xp, idx);
          if (exclusive) { Store<T>(yp, idx, acc); acc = static_cast<C>(acc + v); }
          else { acc = static_cast<C>(acc + v); Store<T>(yp, idx, acc); }
        }
      }
  });
  return Status::Ok();
}

Status InferHardmax(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const int64_t a = ctx.node.attrs.GetInt("axis", -1);
  if (NormalizeAxis(a, static_cast<int64_t>(ctx.in_shape[0].rank())) < 0) {
    return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(ctx.in_shape[0].rank()) + " (rule: -r <= axis < r)");
  }
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status HardmaxReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t axis = NormalizeAxis(node.attrs.GetInt("axis", -1), static_cast<int64_t>(x.rank()));
  const int64_t outer = Prod(x.dims(), 0, static_cast<size_t>(axis)), n = x.dim(static_cast<size_t>(axis));
  const int64_t inner = Prod(x.dims(), static_cast<size_t>(axis) + 1, x.rank());
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    const T* xp = x.data<T>();
    T* yp = out[0]->data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        for (int64_t j = 1; j < n; ++j) {
          if (Load<T>(xp, (o * n + j) * inner + i) > Load<T>(xp, (o * n + best) * inner + i)) best = j;
        }
        for (int64_t j = 0; j < n; ++j) Store<T>(yp, (o * n + j) * inner + i, j == best ? C(1) : C(0));
      }
  });
  return Status::Ok();
}

Status InferEyeLike(InferContext& ctx) {
  if (ctx.in_shape[0].rank() != 2) return ctx.Fail("input shape " + ctx.in_shape[0].ToString() + " is not 2-D (rule: a matrix)");
  DType t = ctx.in_dtype[0];
  if (ctx.node.attrs.Has("dtype")) t = DTypeFromOnnx(static_cast<int32_t>(ctx.node.attrs.GetInt("dtype", 1)));
  if (!(IsFloatT(t) || IsInteger(t) || t == DType::kBool)) {
    return ctx.Fail(std::string("dtype ") + DTypeName(t) + " is not supported (rule: numeric or bool)");
  }
  ctx.SetOutput(0, t, ctx.in_shape[0]);
  return Status::Ok();
}

Status EyeLikeReference(const Node& node, const std::vector<const Tensor*>&, const std::vector<Tensor*>& out) {
  Tensor& y = *out[0];
  const int64_t k = node.attrs.GetInt("k", 0);
  const int64_t R = y.dim(0), Cn = y.dim(1);
  if (y.bytes()) std::memset(y.raw(), 0, y.bytes());
  for (int64_t r = 0; r < R; ++r) {
    const int64_t c = r + k;
    if (c < 0 || c >= Cn) continue;
    const int64_t i = r * Cn + c;
    if (y.dtype() == DType::kBool) { y.data<uint8_t>()[i] = 1; continue; }
    DispatchNumeric(y.dtype(), [&](auto tag) {
      using T = decltype(tag);
      using C = typename Compute<T>::type;
      Store<T>(y.data<T>(), i, C(1));
    });
  }
  return Status::Ok();
}


// ---------------------------------------------------------------- OneHot, NonZero, Compress

namespace {
bool NonZeroAt(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kBool) return t.data<uint8_t>()[i] != 0;
  return t.GetAsDouble(i) != 0.0;
}
}  // namespace

Status InferOneHot(InferContext& ctx) {
  for (size_t i = 0; i < 2; ++i) {
    if (!(IsFloatT(ctx.in_dtype[i]) || IsInteger(ctx.in_dtype[i]))) {
      return ctx.Fail(std::string(i == 0 ? "indices" : "depth") + " dtype " + DTypeName(ctx.in_dtype[i]) + " is not supported (rule: numeric)");
    }
  }
  EI_RETURN_IF_ERROR(Fixed(ctx, 2));
  if (ctx.in_shape[2].NumElements() >= 0 && ctx.in_shape[2].NumElements() != 2) {
    return ctx.Fail("values has shape " + ctx.in_shape[2].ToString() + " (rule: [off_value, on_value])");
  }
  const Shape& s = ctx.in_shape[0];
  const int64_t r = static_cast<int64_t>(s.rank()) + 1;
  const int64_t a = ctx.node.attrs.GetInt("axis", -1);
  const int64_t axis = NormalizeAxis(a, r);
  if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for output rank " + std::to_string(r) + " (rule: -r-1 <= axis <= r)");
  int64_t depth = kDynamic;
  if (ctx.in_value[1]) {
    if (ctx.in_value[1]->numel() != 1) return ctx.Fail("depth has " + std::to_string(ctx.in_value[1]->numel()) + " elements (rule: a scalar)");
    depth = static_cast<int64_t>(ctx.in_value[1]->GetAsDouble(0));
    if (depth < 1) return ctx.Fail("depth=" + std::to_string(depth) + " (rule: depth >= 1)");
  }
  std::vector<int64_t> d = s.dims;
  d.insert(d.begin() + axis, depth);
  ctx.SetOutput(0, ctx.in_dtype[2], Shape(d));
  return Status::Ok();
}

Status OneHotReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& ind = *in[0];
  Tensor& y = *out[0];
  const int64_t axis = NormalizeAxis(node.attrs.GetInt("axis", -1), static_cast<int64_t>(y.rank()));
  const int64_t depth = y.dim(static_cast<size_t>(axis));
  const int64_t outer = Prod(y.dims(), 0, static_cast<size_t>(axis));
  const int64_t inner = Prod(y.dims(), static_cast<size_t>(axis) + 1, y.rank());
  const size_t es = DTypeSize(y.dtype());
  const uint8_t* vals = static_cast<const uint8_t*>(in[2]->raw());
  uint8_t* dst = static_cast<uint8_t*>(y.raw());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t d = 0; d < depth; ++d)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t v = static_cast<int64_t>(ind.GetAsDouble(o * inner + i));
        if (v < 0) v += depth;   // -depth <= v < 0 counts from the end; anything else is all off
        CopyElem(dst, (o * depth + d) * inner + i, vals, v == d ? 1 : 0, es);
      }
  return Status::Ok();
}

Status InferNonZero(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  const int64_t r = static_cast<int64_t>(ctx.in_shape[0].rank());
  int64_t n = kDynamic;
  if (ctx.in_value[0]) {
    n = 0;
    for (int64_t i = 0; i < ctx.in_value[0]->numel(); ++i) n += NonZeroAt(*ctx.in_value[0], i) ? 1 : 0;
  }
  ctx.SetOutput(0, DType::kInt64, Shape({r, n}));
  return Status::Ok();
}

Status NonZeroReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  Tensor& y = *out[0];
  const int64_t n = y.dim(1);
  std::vector<int64_t> idx;
  int64_t j = 0;
  for (int64_t i = 0; i < x.numel() && j < n; ++i) {
    if (!NonZeroAt(x, i)) continue;
    Unravel(i, x.dims(), idx);
    for (size_t k = 0; k < idx.size(); ++k) y.data<int64_t>()[static_cast<int64_t>(k) * n + j] = idx[k];
    ++j;
  }
  return Status::Ok();
}

Status InferCompress(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  if (ctx.in_dtype[1] != DType::kBool) return ctx.Fail(std::string("condition is ") + DTypeName(ctx.in_dtype[1]) + " (rule: bool)");
  if (ctx.in_shape[1].rank() != 1) return ctx.Fail("condition has shape " + ctx.in_shape[1].ToString() + " (rule: 1-D)");
  const Shape& s = ctx.in_shape[0];
  const bool has_axis = ctx.node.attrs.Has("axis");
  int64_t axis = 0;
  if (has_axis) {
    const int64_t a = ctx.node.attrs.GetInt("axis", 0);
    axis = NormalizeAxis(a, static_cast<int64_t>(s.rank()));
    if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(s.rank()) + " (rule: -r <= axis < r)");
  }
  const int64_t extent = has_axis ? s.dims[static_cast<size_t>(axis)] : s.NumElements();
  int64_t n = kDynamic;
  if (ctx.in_value[1] && extent >= 0) {
    const Tensor& c = *ctx.in_value[1];
    if (c.numel() > extent) {
      return ctx.Fail("condition has " + std::to_string(c.numel()) + " entries for extent " + std::to_string(extent) + " (rule: at most the extent)");
    }
    n = 0;
    for (int64_t i = 0; i < c.numel(); ++i) n += c.data<uint8_t>()[i] ? 1 : 0;
  }
  if (!has_axis) {
    ctx.SetOutput(0, ctx.in_dtype[0], Shape({n}));
  } else {
    std::vector<int64_t> d = s.dims;
    d[static_cast<size_t>(axis)] = n;
    ctx.SetOutput(0, ctx.in_dtype[0], Shape(d));
  }
  return Status::Ok();
}

Status CompressReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& c = *in[1];
  const bool has_axis = node.attrs.Has("axis");
  const size_t axis = has_axis ? static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(x.rank()))) : 0;
  const int64_t outer = has_axis ? Prod(x.dims(), 0, axis) : 1;
  const int64_t d = has_axis ? x.dim(axis) : x.numel();
  const int64_t inner = has_axis ? Prod(x.dims(), axis + 1, x.rank()) : 1;
  const size_t es = DTypeSize(x.dtype());
  const size_t block = static_cast<size_t>(inner) * es;
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < std::min(d, c.numel()); ++j) {
      if (!c.data<uint8_t>()[j]) continue;
      if (block) std::memcpy(dst, src + static_cast<size_t>(o * d + j) * block, block);
      dst += block;
    }
  return Status::Ok();
}

// ---------------------------------------------------------------- MeanVarianceNormalization

Status InferMeanVarianceNorm(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const int64_t r = static_cast<int64_t>(ctx.in_shape[0].rank());
  std::vector<int64_t> axes = ctx.node.attrs.GetInts("axes", {0, 2, 3});
  for (int64_t a : axes) {
    if (NormalizeAxis(a, r) < 0) return ctx.Fail("axes " + LS(axes) + " has " + std::to_string(a) + ", out of range for rank " + std::to_string(r) + " (rule: -r <= axis < r)");
  }
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status MeanVarianceNormReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t r = static_cast<int64_t>(x.rank());
  std::vector<int64_t> kd = x.dims();
  for (int64_t a : node.attrs.GetInts("axes", {0, 2, 3})) kd[static_cast<size_t>(NormalizeAxis(a, r))] = 1;
  const int64_t ny = Prod(kd, 0, kd.size());
  const double count = ny ? static_cast<double>(x.numel()) / static_cast<double>(ny) : 1.0;
  std::vector<int64_t> sx = ContiguousStrides(x.dims()), sy = BroadcastStrides(kd, x.dims());
  std::vector<double> sum(static_cast<size_t>(ny), 0.0), sq(static_cast<size_t>(ny), 0.0);
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<C>) {
      const T* xp = x.data<T>();
      T* yp = out[0]->data<T>();
      ForEachBroadcast(x.dims(), sx, sy, [&](int64_t, int64_t ix, int64_t iy) {
        double v = Load<T>(xp, ix);
        sum[static_cast<size_t>(iy)] += v;
        sq[static_cast<size_t>(iy)] += v * v;
      });
      ForEachBroadcast(x.dims(), sx, sy, [&](int64_t, int64_t ix, int64_t iy) {
        const double m = sum[static_cast<size_t>(iy)] / count;
        const double var = std::max(0.0, sq[static_cast<size_t>(iy)] / count - m * m);
        Store<T>(yp, ix, static_cast<C>((Load<T>(xp, ix) - m) / (std::sqrt(var) + 1e-9)));
      });
    }
  });
  return Status::Ok();
}


// ---------------------------------------------------------------- RoiAlign

Status InferRoiAlign(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  if (ctx.in_dtype[1] != ctx.in_dtype[0]) return ctx.Fail("rois dtype differs from X (rule: one dtype)");
  if (!IsIndexT(ctx.in_dtype[2])) return ctx.Fail(std::string("batch_indices are ") + DTypeName(ctx.in_dtype[2]) + " (rule: int64)");
  const Shape& x = ctx.in_shape[0];
  const Shape& r = ctx.in_shape[1];
  if (x.rank() != 4) return ctx.Fail("X shape " + x.ToString() + " is not 4-D (rule: NCHW input)");
  if (r.rank() != 2 || (r.dims[1] >= 0 && r.dims[1] != 4)) return ctx.Fail("rois shape " + r.ToString() + " is not [num_rois, 4]");
  if (ctx.in_shape[2].rank() != 1) return ctx.Fail("batch_indices shape " + ctx.in_shape[2].ToString() + " is not [num_rois]");
  const std::string mode = ctx.node.attrs.GetString("mode", "avg");
  if (mode != "avg" && mode != "max") return ctx.Fail("mode='" + mode + "' (rule: avg or max)");
  const std::string ctm = ctx.node.attrs.GetString("coordinate_transformation_mode", "half_pixel");
  if (ctm != "half_pixel" && ctm != "output_half_pixel") {
    return ctx.Fail("coordinate_transformation_mode='" + ctm + "' (rule: half_pixel or output_half_pixel)");
  }
  const int64_t oh = ctx.node.attrs.GetInt("output_height", 1), ow = ctx.node.attrs.GetInt("output_width", 1);
  if (oh < 1 || ow < 1) return ctx.Fail("output size " + std::to_string(oh) + "x" + std::to_string(ow) + " (rule: >= 1)");
  ctx.SetOutput(0, ctx.in_dtype[0], Shape({r.dims[0], x.dims[1], oh, ow}));
  return Status::Ok();
}

Status RoiAlignReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& rois = *in[1];
  const Tensor& bidx = *in[2];
  const bool max_mode = node.attrs.GetString("mode", "avg") == "max";
  const bool half_pixel = node.attrs.GetString("coordinate_transformation_mode", "half_pixel") == "half_pixel";
  const int64_t PH = node.attrs.GetInt("output_height", 1), PW = node.attrs.GetInt("output_width", 1);
  const int64_t sampling = node.attrs.GetInt("sampling_ratio", 0);
  const double scale = node.attrs.GetFloat("spatial_scale", 1.f);
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  Status st = Status::Ok();
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Cc = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<Cc>) {
      const T* xp = x.data<T>();
      T* yp = out[0]->data<T>();
      for (int64_t r = 0; r < rois.dim(0); ++r) {
        const int64_t b = bidx.GetAsInt64(r);
        if (b < 0 || b >= N) {
          st = NodeError(node, "batch index " + std::to_string(b) + " is out of range for batch " + std::to_string(N));
          return;
        }
        const double off = half_pixel ? 0.5 : 0.0;
        const double x1 = Load<T>(rois.data<T>(), r * 4) * scale - off, y1 = Load<T>(rois.data<T>(), r * 4 + 1) * scale - off;
        const double x2 = Load<T>(rois.data<T>(), r * 4 + 2) * scale - off, y2 = Load<T>(rois.data<T>(), r * 4 + 3) * scale - off;
        double rw = x2 - x1, rh = y2 - y1;
        if (!half_pixel) { rw = std::max(rw, 1.0); rh = std::max(rh, 1.0); }
        const double bh = rh / static_cast<double>(PH), bw = rw / static_cast<double>(PW);
        const int64_t gh = sampling > 0 ? sampling : static_cast<int64_t>(std::ceil(rh / static_cast<double>(PH)));
        const int64_t gw = sampling > 0 ? sampling : static_cast<int64_t>(std::ceil(rw / static_cast<double>(PW)));
        const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
        for (int64_t c = 0; c < C; ++c) {
          const int64_t plane = (b * C + c) * H * W;
          for (int64_t ph = 0; ph < PH; ++ph)
            for (int64_t pw = 0; pw < PW; ++pw) {
              double acc = 0.0;
              bool first = true;
              for (int64_t iy = 0; iy < gh; ++iy) {
                for (int64_t ix = 0; ix < gw; ++ix) {
                  double yy = y1 + static_cast<double>(ph) * bh + (static_cast<double>(iy) + 0.5) * bh / static_cast<double>(gh);
                  double xx = x1 + static_cast<double>(pw) * bw + (static_cast<double>(ix) + 0.5) * bw / static_cast<double>(gw);
                  double v[4] = {0, 0, 0, 0}, w[4] = {0, 0, 0, 0};
                  if (!(yy < -1.0 || yy > static_cast<double>(H) || xx < -1.0 || xx > static_cast<double>(W))) {
                    yy = std::max(yy, 0.0);
                    xx = std::max(xx, 0.0);
                    int64_t yl = static_cast<int64_t>(yy), xl = static_cast<int64_t>(xx), yh, xh;
                    if (yl >= H - 1) { yh = yl = H - 1; yy = static_cast<double>(yl); } else { yh = yl + 1; }
                    if (xl >= W - 1) { xh = xl = W - 1; xx = static_cast<double>(xl); } else { xh = xl + 1; }
                    const double ly = yy - static_cast<double>(yl), lx = xx - static_cast<double>(xl);
                    const double hy = 1.0 - ly, hx = 1.0 - lx;
                    w[0] = hy * hx; w[1] = hy * lx; w[2] = ly * hx; w[3] = ly * lx;
                    v[0] = Load<T>(xp, plane + yl * W + xl); v[1] = Load<T>(xp, plane + yl * W + xh);
                    v[2] = Load<T>(xp, plane + yh * W + xl); v[3] = Load<T>(xp, plane + yh * W + xh);
                  }
                  if (max_mode) {
                    double m = std::max(std::max(w[0] * v[0], w[1] * v[1]), std::max(w[2] * v[2], w[3] * v[3]));
                    acc = first ? m : std::max(acc, m);
                  } else {
                    acc += w[0] * v[0] + w[1] * v[1] + w[2] * v[2] + w[3] * v[3];
                  }
                  first = false;
                }
              }
              Store<T>(yp, ((r * C + c) * PH + ph) * PW + pw, static_cast<Cc>(max_mode ? acc : acc / count));
            }
        }
      }
    }
  });
  return st;
}


// ---------------------------------------------------------------- GridSample

Status InferGridSample(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 1));
  const Shape& x = ctx.in_shape[0];
  const Shape& g = ctx.in_shape[1];
  if (x.rank() != 4) return ctx.Fail("X shape " + x.ToString() + " is not 4-D (rule: NCHW input)");
  if (g.rank() != 4 || (g.dims[3] >= 0 && g.dims[3] != 2)) return ctx.Fail("grid shape " + g.ToString() + " is not [N, H_out, W_out, 2]");
  if (x.dims[0] >= 0 && g.dims[0] >= 0 && x.dims[0] != g.dims[0]) {
    return ctx.Fail("X batch " + std::to_string(x.dims[0]) + " and grid batch " + std::to_string(g.dims[0]) + " differ (rule: one batch)");
  }
  const std::string mode = ctx.node.attrs.GetString("mode", "bilinear");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic") return ctx.Fail("mode='" + mode + "' (rule: bilinear, nearest or bicubic)");
  const std::string pad = ctx.node.attrs.GetString("padding_mode", "zeros");
  if (pad != "zeros" && pad != "border" && pad != "reflection") return ctx.Fail("padding_mode='" + pad + "' (rule: zeros, border or reflection)");
  ctx.SetOutput(0, ctx.in_dtype[0], Shape({x.dims[0], x.dims[1], g.dims[1], g.dims[2]}));
  return Status::Ok();
}

namespace {
double GsReflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (x < lo) {
    const double dx = lo - x;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - static_cast<double>(n) * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const int64_t n = static_cast<int64_t>(dx / range);
    const double r = dx - static_cast<double>(n) * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

void GsCubicCoeffs(double x, double c[4]) {
  const double A = -0.75;
  x = std::fabs(x);
  c[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
  c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
  c[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = ((A * (2 - x) - 5 * A) * (2 - x) + 8 * A) * (2 - x) - 4 * A;
}
}  // namespace

Status GridSampleReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const Tensor& grid = *in[1];
  const std::string mode_s = node.attrs.GetString("mode", "bilinear");
  const std::string pad_s = node.attrs.GetString("padding_mode", "zeros");
  enum { kZeros, kBorder, kReflection } const pad = pad_s == "zeros" ? kZeros : pad_s == "border" ? kBorder : kReflection;
  enum { kNearest, kBilinear, kBicubic } const mode = mode_s == "nearest" ? kNearest : mode_s == "bilinear" ? kBilinear : kBicubic;
  const bool align = node.attrs.GetInt("align_corners", 0) != 0;
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), Ho = grid.dim(1), Wo = grid.dim(2);
  const double x_min = align ? 0.0 : -0.5, x_max = align ? static_cast<double>(W - 1) : static_cast<double>(W) - 0.5;
  const double y_min = align ? 0.0 : -0.5, y_max = align ? static_cast<double>(H - 1) : static_cast<double>(H) - 0.5;
  DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Cc = typename Compute<T>::type;
    if constexpr (std::is_floating_point_v<Cc>) {
      const T* xp = x.data<T>();
      T* yp = out[0]->data<T>();
      auto pixel = [&](int64_t plane, int64_t r, int64_t c) -> double {
        if (pad == kZeros) {
          if (c < 0 || c >= W || r < 0 || r >= H) return 0.0;
        } else if (pad == kBorder) {
          c = std::clamp<int64_t>(c, 0, W - 1);
          r = std::clamp<int64_t>(r, 0, H - 1);
        } else {
          c = static_cast<int64_t>(GsReflect(static_cast<double>(c), x_min, x_max));
          r = static_cast<int64_t>(GsReflect(static_cast<double>(r), y_min, y_max));
          c = std::clamp<int64_t>(c, 0, W - 1);   // truncation of a reflected -0.5 border stays in range
          r = std::clamp<int64_t>(r, 0, H - 1);
        }
        return Load<T>(xp, plane + r * W + c);
      };
      for (int64_t n = 0; n < N; ++n)
        for (int64_t oy = 0; oy < Ho; ++oy)
          for (int64_t ox = 0; ox < Wo; ++ox) {
            const int64_t gi = ((n * Ho + oy) * Wo + ox) * 2;
            const double nx = Load<T>(grid.data<T>(), gi), ny = Load<T>(grid.data<T>(), gi + 1);
            double fx = align ? (nx + 1) / 2 * static_cast<double>(W - 1) : ((nx + 1) * static_cast<double>(W) - 1) / 2;
            double fy = align ? (ny + 1) / 2 * static_cast<double>(H - 1) : ((ny + 1) * static_cast<double>(H) - 1) / 2;
            if (mode == kNearest) { fx = std::nearbyint(fx); fy = std::nearbyint(fy); }
            if (fx < x_min || fx > x_max || fy < y_min || fy > y_max) {
              if (pad == kBorder) {
                fx = std::clamp(fx, 0.0, static_cast<double>(W - 1));
                fy = std::clamp(fy, 0.0, static_cast<double>(H - 1));
              } else if (pad == kReflection) {
                fx = GsReflect(fx, x_min, x_max);
                fy = GsReflect(fy, y_min, y_max);
              }
            }
            for (int64_t c = 0; c < C; ++c) {
              const int64_t plane = (n * C + c) * H * W;
              double v;
              if (mode == kNearest) {
                v = pixel(plane, static_cast<int64_t>(fy), static_cast<int64_t>(fx));
              } else if (mode == kBilinear) {
                const int64_t x1 = static_cast<int64_t>(std::floor(fx)), y1 = static_cast<int64_t>(std::floor(fy));
                const double dx1 = fx - static_cast<double>(x1), dx2 = 1 - dx1, dy1 = fy - static_cast<double>(y1), dy2 = 1 - dy1;
                v = dy2 * (dx2 * pixel(plane, y1, x1) + dx1 * pixel(plane, y1, x1 + 1)) +
                    dy1 * (dx2 * pixel(plane, y1 + 1, x1) + dx1 * pixel(plane, y1 + 1, x1 + 1));
              } else {
                const int64_t x0 = static_cast<int64_t>(std::floor(fx)) - 1, y0 = static_cast<int64_t>(std::floor(fy)) - 1;
                double cx[4], cy[4], row[4];
                GsCubicCoeffs(fx - static_cast<double>(x0) - 1, cx);
                GsCubicCoeffs(fy - static_cast<double>(y0) - 1, cy);
                v = 0;
                for (int64_t h = 0; h < 4; ++h) {
                  row[h] = 0;
                  for (int64_t w = 0; w < 4; ++w) row[h] += cx[w] * pixel(plane, y0 + h, x0 + w);
                  v += cy[h] * row[h];
                }
              }
              Store<T>(yp, ((n * C + c) * Ho + oy) * Wo + ox, static_cast<Cc>(v));
            }
          }
    }
  });
  return Status::Ok();
}


// ---------------------------------------------------------------- Einsum

namespace {

// A parsed equation: per input and for the output, the label of each dim. Letters are their ASCII
// code; ellipsis dims are kEll + position within the broadcast ellipsis (left to right).
constexpr int kEll = 1000;
struct EinsumPlan {
  std::vector<std::vector<int>> in_labels;
  std::vector<int> out_labels;
  std::map<int, int64_t> extent;   // label -> extent (kDynamic when unknown)
};

Result<EinsumPlan> PlanEinsum(const Node& node, const std::vector<Shape>& shapes) {
  auto fail = [&](const std::string& r) { return NodeError(node, r); };
  if (!node.attrs.Has("equation")) return fail("attribute equation is required");
  std::string eq;
  for (char ch : node.attrs.GetString("equation", "")) if (ch != ' ') eq += ch;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  size_t start = 0;
  for (size_t i = 0; i <= lhs.size(); ++i) {
    if (i == lhs.size() || lhs[i] == ',') { terms.push_back(lhs.substr(start, i - start)); start = i + 1; }
  }
  if (terms.size() != shapes.size()) {
    return fail("equation '" + eq + "' has " + std::to_string(terms.size()) + " operands for " + std::to_string(shapes.size()) +
                " inputs (rule: one term per input)");
  }
  EinsumPlan p;
  size_t ell_rank = 0;
  std::vector<size_t> in_ell(terms.size(), 0);
  // Letters of a term and where its ellipsis sits (npos when none).
  auto split = [&](const std::string& t, std::vector<int>* letters, size_t* ell_at) -> Status {
    *ell_at = std::string::npos;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t.compare(i, 3, "...") == 0) {
        if (*ell_at != std::string::npos) return fail("equation '" + eq + "' has two ellipses in one term");
        *ell_at = letters->size();
        i += 2;
      } else if (std::isalpha(static_cast<unsigned char>(t[i]))) {
        letters->push_back(static_cast<int>(t[i]));
      } else {
        return fail("equation '" + eq + "' has the character '" + std::string(1, t[i]) + "' (rule: letters, ',', '...' and '->')");
      }
    }
    return Status::Ok();
  };
  std::vector<std::vector<int>> letters(terms.size());
  std::vector<size_t> ell_at(terms.size());
  for (size_t k = 0; k < terms.size(); ++k) {
    EI_RETURN_IF_ERROR(split(terms[k], &letters[k], &ell_at[k]));
    const size_t r = shapes[k].rank();
    if (ell_at[k] == std::string::npos ? r != letters[k].size() : r < letters[k].size()) {
      return fail("term '" + terms[k] + "' does not match input " + std::to_string(k) + " of rank " + std::to_string(r));
    }
    if (ell_at[k] != std::string::npos) in_ell[k] = r - letters[k].size();
    ell_rank = std::max(ell_rank, in_ell[k]);
  }
  // Labels per input dim, and extents (letters must agree; ellipsis dims broadcast).
  std::map<int, int> count;
  for (size_t k = 0; k < terms.size(); ++k) {
    std::vector<int> lab;
    for (size_t i = 0; i < letters[k].size(); ++i) {
      if (i == ell_at[k]) for (size_t e = 0; e < in_ell[k]; ++e) lab.push_back(kEll + static_cast<int>(ell_rank - in_ell[k] + e));
      lab.push_back(letters[k][i]);
    }
    if (ell_at[k] == letters[k].size()) for (size_t e = 0; e < in_ell[k]; ++e) lab.push_back(kEll + static_cast<int>(ell_rank - in_ell[k] + e));
    for (size_t i = 0; i < lab.size(); ++i) {
      const int64_t d = shapes[k].dims[i];
      if (lab[i] < kEll) ++count[lab[i]];
      auto it = p.extent.find(lab[i]);
      const bool ell = lab[i] >= kEll;
      if (it == p.extent.end() || it->second == kDynamic || (ell && it->second == 1)) {
        if (it == p.extent.end() || !(ell && d == 1)) p.extent[lab[i]] = d;
      } else if (d >= 0 && d != it->second && !(ell && d == 1)) {
        return fail("label '" + (ell ? std::string("...") : std::string(1, static_cast<char>(lab[i]))) + "' has extents " +
                    std::to_string(it->second) + " and " + std::to_string(d) + " (rule: one extent per label; ellipsis dims broadcast)");
      }
    }
    p.in_labels.push_back(lab);
  }
  if (arrow != std::string::npos) {
    std::vector<int> out_letters;
    size_t out_ell;
    const std::string rhs = eq.substr(arrow + 2);
    EI_RETURN_IF_ERROR(split(rhs, &out_letters, &out_ell));
    for (size_t i = 0; i <= out_letters.size(); ++i) {
      if (i == out_ell) for (size_t e = 0; e < ell_rank; ++e) p.out_labels.push_back(kEll + static_cast<int>(e));
      if (i < out_letters.size()) {
        if (!count.count(out_letters[i])) return fail("output label '" + std::string(1, static_cast<char>(out_letters[i])) + "' is in no input");
        p.out_labels.push_back(out_letters[i]);
      }
    }
    // An ellipsis the output leaves out is summed over (numpy).
  } else {
    for (size_t e = 0; e < ell_rank; ++e) p.out_labels.push_back(kEll + static_cast<int>(e));
    for (const auto& [label, n] : count) if (n == 1) p.out_labels.push_back(label);   // std::map: sorted
  }
  return p;
}

}  // namespace

Status InferEinsum(InferContext& ctx) {
  DType t = ctx.in_dtype[0];
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.in_dtype[i] != t) return ctx.Fail("input dtypes differ (rule: inputs share one dtype)");
  }
  if (!(IsFloatT(t) || IsInteger(t))) return ctx.Fail(std::string("dtype ") + DTypeName(t) + " is not supported (rule: numeric inputs)");
  EI_ASSIGN_OR_RETURN(EinsumPlan p, PlanEinsum(ctx.node, ctx.in_shape));
  std::vector<int64_t> d;
  for (int l : p.out_labels) d.push_back(p.extent[l]);
  ctx.SetOutput(0, t, Shape(d));
  return Status::Ok();
}

Status EinsumReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  std::vector<Shape> shapes;
  for (const Tensor* t : in) shapes.push_back(t->shape());
  EI_ASSIGN_OR_RETURN(EinsumPlan p, PlanEinsum(node, shapes));
  // Every label, output labels first; the loop runs over all of them.
  std::vector<int> labels = p.out_labels;
  for (const auto& [l, e] : p.extent) {
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  }
  std::vector<int64_t> ext;
  for (int l : labels) ext.push_back(p.extent[l]);
  // Per input, the stride of each loop label (sum over repeated labels = diagonal; 0 on broadcast 1s).
  std::vector<std::vector<int64_t>> st(in.size(), std::vector<int64_t>(labels.size(), 0));
  for (size_t k = 0; k < in.size(); ++k) {
    std::vector<int64_t> cs = ContiguousStrides(in[k]->dims());
    for (size_t i = 0; i < p.in_labels[k].size(); ++i) {
      if (in[k]->dim(i) == 1 && p.extent[p.in_labels[k][i]] != 1) continue;
      size_t pos = static_cast<size_t>(std::find(labels.begin(), labels.end(), p.in_labels[k][i]) - labels.begin());
      st[k][pos] += cs[i];
    }
  }
  const int64_t n_out = out[0]->numel();
  int64_t n_all = 1;
  for (int64_t e : ext) n_all *= e;
  const int64_t n_sum = n_out ? n_all / n_out : 0;
  DispatchNumeric(out[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    using A = std::conditional_t<std::is_floating_point_v<C>, double, int64_t>;
    T* yp = out[0]->data<T>();
    std::vector<int64_t> idx;
    for (int64_t o = 0; o < n_out; ++o) {
      A acc = 0;
      for (int64_t s = 0; s < n_sum; ++s) {
        Unravel(o * n_sum + s, ext, idx);   // output labels lead, so o * n_sum + s walks o's sums
        A prod = 1;
        for (size_t k = 0; k < in.size(); ++k) prod *= static_cast<A>(Load<T>(in[k]->data<T>(), Ravel(idx, st[k])));
        acc += prod;
      }
      Store<T>(yp, o, static_cast<C>(acc));
    }
  });
  return Status::Ok();
}


// ---------------------------------------------------------------- NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss

Status InferLoss(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const bool sce = ctx.node.op == "SoftmaxCrossEntropyLoss";
  const char* what = sce ? "scores" : "input";
  const Shape& x = ctx.in_shape[0];
  const Shape& t = ctx.in_shape[1];
  if (!IsIndexT(ctx.in_dtype[1])) return ctx.Fail(std::string(sce ? "labels" : "target") + " are " + DTypeName(ctx.in_dtype[1]) + " (rule: int32 or int64)");
  if (x.rank() < 2) return ctx.Fail(std::string(what) + " shape " + x.ToString() + " has rank < 2 (rule: [N, C, d...])");
  bool ok = t.rank() + 1 == x.rank();
  for (size_t i = 0; ok && i < t.rank(); ++i) {
    const int64_t a = x.dims[i == 0 ? 0 : i + 1], b = t.dims[i];
    ok = a < 0 || b < 0 || a == b;
  }
  if (!ok) return ctx.Fail(std::string(what) + " shape " + x.ToString() + " and target shape " + t.ToString() + " disagree (rule: target is [N, d...])");
  if (ctx.HasInput(2)) {
    if (ctx.in_dtype[2] != ctx.in_dtype[0]) return ctx.Fail("weight dtype differs (rule: one dtype)");
    if (ctx.in_shape[2].rank() != 1) return ctx.Fail("weight shape " + ctx.in_shape[2].ToString() + " is not [C]");
  }
  const std::string red = ctx.node.attrs.GetString("reduction", "mean");
  if (red != "none" && red != "sum" && red != "mean") return ctx.Fail("reduction='" + red + "' (rule: none, sum or mean)");
  ctx.SetOutput(0, ctx.in_dtype[0], red == "none" ? t : Shape(std::vector<int64_t>{}));
  if (ctx.out_dtype.size() > 1) {
    if (!sce) return ctx.Fail("has 2 outputs (rule: one output)");
    ctx.SetOutput(1, ctx.in_dtype[0], x);
  }
  return Status::Ok();
}

Status LossReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const bool sce = node.op == "SoftmaxCrossEntropyLoss";
  const Tensor& x = *in[0];
  const Tensor& target = *in[1];
  const Tensor* weight = in.size() > 2 ? in[2] : nullptr;
  const std::string red = node.attrs.GetString("reduction", "mean");
  const bool has_ignore = node.attrs.Has("ignore_index");
  const int64_t ignore = node.attrs.GetInt("ignore_index", 0);
  const int64_t N = x.dim(0), C = x.dim(1), D = Prod(x.dims(), 2, x.rank());
  // Log-probabilities [N, C, D] in double: the input itself (NLL) or its log-softmax over C (SCE).
  std::vector<double> lp(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) lp[static_cast<size_t>(i)] = x.GetAsDouble(i);
  if (sce) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t d = 0; d < D; ++d) {
        double mx = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t c = 0; c < C; ++c) mx = std::max(mx, lp[static_cast<size_t>((n * C + c) * D + d)]);
        for (int64_t c = 0; c < C; ++c) sum += std::exp(lp[static_cast<size_t>((n * C + c) * D + d)] - mx);
        for (int64_t c = 0; c < C; ++c) {
          double& v = lp[static_cast<size_t>((n * C + c) * D + d)];
          v = v - mx - std::log(sum);
        }
      }
  }
  std::vector<double> loss(static_cast<size_t>(N * D), 0.0);
  double wsum = 0.0, lsum = 0.0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t d = 0; d < D; ++d) {
      const int64_t t = target.GetAsInt64(n * D + d);
      if (has_ignore && t == ignore) continue;   // loss 0, weight 0
      if (t < 0 || t >= C) {
        return NodeError(node, "target " + std::to_string(t) + " is out of range for " + std::to_string(C) + " classes (rule: 0 <= target < C or ignore_index)");
      }
      const double w = weight ? weight->GetAsDouble(t) : 1.0;
      const double l = -lp[static_cast<size_t>((n * C + t) * D + d)] * w;
      loss[static_cast<size_t>(n * D + d)] = l;
      lsum += l;
      wsum += w;
    }
  Tensor& y = *out[0];
  auto put = [](Tensor& t, int64_t i, double v) {
    DispatchNumeric(t.dtype(), [&](auto tag) {
      using T = decltype(tag);
      using Cc = typename Compute<T>::type;
      Store<T>(t.data<T>(), i, static_cast<Cc>(v));
    });
  };
  if (red == "none") {
    for (int64_t i = 0; i < N * D; ++i) put(y, i, loss[static_cast<size_t>(i)]);
  } else if (red == "sum") {
    put(y, 0, lsum);
  } else {
    // ONNX's reference: with a weight or an ignore_index, divide by the summed gathered weights;
    // otherwise by the element count.
    put(y, 0, (weight || has_ignore) ? lsum / wsum : lsum / static_cast<double>(N * D));
  }
  if (out.size() > 1 && out[1]) {
    for (int64_t i = 0; i < x.numel(); ++i) put(*out[1], i, lp[static_cast<size_t>(i)]);
  }
  return Status::Ok();
}


// ---------------------------------------------------------------- ConvInteger, QLinearConv, MatMulInteger, QLinearMatMul

namespace {

bool Is8Bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// Input positions of the two operands, their zero points and (QLinear*) the scales and output zp.
struct QOperands {
  size_t x = 0, x_zp = 2, w = 1, w_zp = 3;
  bool qlinear = false;
  size_t x_scale = 1, w_scale = 4, y_scale = 6, y_zp = 7, bias = 8;
};
QOperands QOperandsOf(const std::string& op) {
  QOperands q;
  if (op == "QLinearConv" || op == "QLinearMatMul") {
    q.qlinear = true;
    q.x = 0; q.x_scale = 1; q.x_zp = 2; q.w = 3; q.w_scale = 4; q.w_zp = 5; q.y_scale = 6; q.y_zp = 7; q.bias = 8;
  }
  return q;
}

// Zero point or scale element for index i of a per-tensor (1 element) or per-channel tensor.
double At(const Tensor* t, int64_t i, double def) {
  if (!t || t->numel() == 0) return def;
  return t->numel() == 1 ? t->GetAsDouble(0) : t->GetAsDouble(i);
}

Status CheckQuantInputs(InferContext& ctx, const QOperands& q, int64_t x_channels_like, int64_t w_channels) {
  if (!Is8Bit(ctx.in_dtype[q.x]) || !Is8Bit(ctx.in_dtype[q.w])) {
    return ctx.Fail(std::string("operands are ") + DTypeName(ctx.in_dtype[q.x]) + " and " + DTypeName(ctx.in_dtype[q.w]) + " (rule: int8 or uint8)");
  }
  auto check_zp = [&](size_t i, size_t of, const char* what, int64_t per) -> Status {
    if (!ctx.HasInput(i)) return Status::Ok();
    if (ctx.in_dtype[i] != ctx.in_dtype[of]) return ctx.Fail(std::string(what) + " zero point dtype differs from its operand (rule: one dtype)");
    const int64_t n = ctx.in_shape[i].NumElements();
    if (n >= 0 && n != 1 && n != per) {
      return ctx.Fail(std::string(what) + " zero point has " + std::to_string(n) + " elements (rule: one, or one per " +
                      (of == q.x ? "row" : "output channel") + ")");
    }
    return Status::Ok();
  };
  EI_RETURN_IF_ERROR(check_zp(q.x_zp, q.x, q.qlinear ? "x" : "a", x_channels_like));
  EI_RETURN_IF_ERROR(check_zp(q.w_zp, q.w, q.qlinear ? "w" : "b", w_channels));
  if (q.qlinear) {
    for (size_t i : {q.x_scale, q.w_scale, q.y_scale}) {
      if (ctx.in_dtype[i] != DType::kFloat32) return ctx.Fail("scales must be float (rule: float32 scales)");
    }
    const int64_t ns = ctx.in_shape[q.w_scale].NumElements();
    if (ns >= 0 && ns != 1 && ns != w_channels) return ctx.Fail("w_scale has " + std::to_string(ns) + " elements (rule: one, or one per output channel)");
    if (!Is8Bit(ctx.in_dtype[q.y_zp])) return ctx.Fail(std::string("y_zero_point is ") + DTypeName(ctx.in_dtype[q.y_zp]) + " (rule: int8 or uint8)");
  }
  return Status::Ok();
}

// acc -> output element: int32 as is, or requantised (QLinear*).
void PutQ(const QOperands& q, const std::vector<const Tensor*>& in, Tensor& y, int64_t i, int64_t acc, int64_t channel) {
  if (!q.qlinear) {
    y.data<int32_t>()[i] = static_cast<int32_t>(acc);
    return;
  }
  const float mult = static_cast<float>(At(in[q.x_scale], 0, 1.0)) * static_cast<float>(At(in[q.w_scale], channel, 1.0)) /
                     static_cast<float>(At(in[q.y_scale], 0, 1.0));
  const float v = std::nearbyint(static_cast<float>(acc) * mult) + static_cast<float>(At(in[q.y_zp], 0, 0.0));
  if (y.dtype() == DType::kUInt8) y.data<uint8_t>()[i] = static_cast<uint8_t>(std::clamp(v, 0.f, 255.f));
  else y.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(v, -128.f, 127.f));
}

const Tensor* Opt(const std::vector<const Tensor*>& in, size_t i) { return i < in.size() ? in[i] : nullptr; }

}  // namespace

Status InferConvInteger(InferContext& ctx) {
  const QOperands q = QOperandsOf(ctx.node.op);
  EI_ASSIGN_OR_RETURN(ConvParams p, ParseConv(ctx.node, ctx.in_shape[q.x], ctx.in_shape[q.w]));
  EI_RETURN_IF_ERROR(CheckQuantInputs(ctx, q, 1, p.out_channels));
  if (q.qlinear && ctx.HasInput(q.bias) && ctx.in_dtype[q.bias] != DType::kInt32) return ctx.Fail("B must be int32 (rule: int32 bias)");
  ctx.SetOutput(0, q.qlinear ? ctx.in_dtype[q.y_zp] : DType::kInt32, p.OutputShape());
  return Status::Ok();
}

Status ConvIntegerReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const QOperands q = QOperandsOf(node.op);
  const Tensor& x = *in[q.x];
  const Tensor& w = *in[q.w];
  EI_ASSIGN_OR_RETURN(ConvParams p, ParseConv(node, x.shape(), w.shape()));
  const Tensor* xzp = Opt(in, q.x_zp);
  const Tensor* wzp = Opt(in, q.w_zp);
  const Tensor* bias = q.qlinear ? Opt(in, q.bias) : nullptr;
  // Spatial dims padded to 3 (leading extents of 1), like the FP32 kernel's normalisation.
  auto to3 = [&](const std::vector<int64_t>& v, int64_t fill) {
    std::vector<int64_t> r(3 - v.size(), fill);
    r.insert(r.end(), v.begin(), v.end());
    return r;
  };
  const auto id = to3(p.in_dims, 1), od = to3(p.out_dims, 1), k = to3(p.kernel, 1), s = to3(p.strides, 1), d = to3(p.dilations, 1),
             pb = to3(p.pads_begin, 0);
  const int64_t cg = p.in_channels / p.group, mg = p.out_channels / p.group;
  // Operands minus their zero points, once, as int32 (|value| <= 255); the loop below is then a
  // plain integer MAC with padding taps skipped (padding holds the zero point, i.e. 0 after the shift).
  const int64_t xz = static_cast<int64_t>(At(xzp, 0, 0.0));
  std::vector<int32_t> xs(static_cast<size_t>(x.numel())), ws(static_cast<size_t>(w.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) xs[static_cast<size_t>(i)] = static_cast<int32_t>(x.GetAsInt64(i) - xz);
  const int64_t per_m = p.out_channels ? w.numel() / p.out_channels : 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    ws[static_cast<size_t>(i)] = static_cast<int32_t>(w.GetAsInt64(i) - static_cast<int64_t>(At(wzp, i / per_m, 0.0)));
  }
  Tensor& y = *out[0];
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t m = 0; m < p.out_channels; ++m) {
      const int64_t g = m / mg;
      for (int64_t o0 = 0; o0 < od[0]; ++o0)
        for (int64_t o1 = 0; o1 < od[1]; ++o1)
          for (int64_t o2 = 0; o2 < od[2]; ++o2) {
            int64_t acc = bias ? bias->GetAsInt64(m) : 0;
            for (int64_t c = 0; c < cg; ++c) {
              const int32_t* xc = xs.data() + (n * p.in_channels + g * cg + c) * id[0] * id[1] * id[2];
              const int32_t* wc = ws.data() + (m * cg + c) * k[0] * k[1] * k[2];
              for (int64_t k0 = 0; k0 < k[0]; ++k0) {
                const int64_t i0 = o0 * s[0] - pb[0] + k0 * d[0];
                if (i0 < 0 || i0 >= id[0]) continue;
                for (int64_t k1 = 0; k1 < k[1]; ++k1) {
                  const int64_t i1 = o1 * s[1] - pb[1] + k1 * d[1];
                  if (i1 < 0 || i1 >= id[1]) continue;
                  for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                    const int64_t i2 = o2 * s[2] - pb[2] + k2 * d[2];
                    if (i2 < 0 || i2 >= id[2]) continue;
                    acc += static_cast<int64_t>(xc[(i0 * id[1] + i1) * id[2] + i2]) * wc[(k0 * k[1] + k1) * k[2] + k2];
                  }
                }
              }
            }
            PutQ(q, in, y, (((n * p.out_channels + m) * od[0] + o0) * od[1] + o1) * od[2] + o2, acc, m);
          }
    }
  return Status::Ok();
}

Status InferMatMulInteger(InferContext& ctx) {
  const QOperands q = QOperandsOf(ctx.node.op);
  EI_ASSIGN_OR_RETURN(MatMulParams p, ParseMatMul(ctx.node, ctx.in_shape[q.x], ctx.in_shape[q.w]));
  EI_RETURN_IF_ERROR(CheckQuantInputs(ctx, q, p.m, p.n));
  ctx.SetOutput(0, q.qlinear ? ctx.in_dtype[q.y_zp] : DType::kInt32, p.out);
  return Status::Ok();
}

Status MatMulIntegerReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const QOperands q = QOperandsOf(node.op);
  const Tensor& a = *in[q.x];
  const Tensor& b = *in[q.w];
  EI_ASSIGN_OR_RETURN(MatMulParams p, ParseMatMul(node, a.shape(), b.shape()));
  const Tensor* azp = Opt(in, q.x_zp);
  const Tensor* bzp = Opt(in, q.w_zp);
  const int64_t nb = Prod(p.batch, 0, p.batch.size());
  std::vector<int64_t> sa = BroadcastStrides(p.a_batch, p.batch), sb = BroadcastStrides(p.b_batch, p.batch);
  // Operands minus their zero points (per row of A, per column of B), once.
  std::vector<int32_t> as(static_cast<size_t>(a.numel())), bs(static_cast<size_t>(b.numel()));
  for (int64_t i = 0; i < a.numel(); ++i) as[static_cast<size_t>(i)] = static_cast<int32_t>(a.GetAsInt64(i) - static_cast<int64_t>(At(azp, (i / p.k) % p.m, 0.0)));
  for (int64_t i = 0; i < b.numel(); ++i) bs[static_cast<size_t>(i)] = static_cast<int32_t>(b.GetAsInt64(i) - static_cast<int64_t>(At(bzp, i % p.n, 0.0)));
  std::vector<int64_t> bidx;
  for (int64_t bt = 0; bt < nb; ++bt) {
    Unravel(bt, p.batch, bidx);
    const int32_t* ap = as.data() + Ravel(bidx, sa) * p.m * p.k;
    const int32_t* bp = bs.data() + Ravel(bidx, sb) * p.k * p.n;
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        int64_t acc = 0;
        for (int64_t t = 0; t < p.k; ++t) acc += static_cast<int64_t>(ap[i * p.k + t]) * bp[t * p.n + j];
        PutQ(q, in, *out[0], (bt * p.m + i) * p.n + j, acc, j);
      }
  }
  return Status::Ok();
}

Status InferDynamicQuantizeLinear(InferContext& ctx) {
  if (ctx.in_dtype[0] != DType::kFloat32) return ctx.Fail(std::string("input is ") + DTypeName(ctx.in_dtype[0]) + " (rule: float32)");
  ctx.SetOutput(0, DType::kUInt8, ctx.in_shape[0]);
  ctx.SetOutput(1, DType::kFloat32, Shape(std::vector<int64_t>{}));
  ctx.SetOutput(2, DType::kUInt8, Shape(std::vector<int64_t>{}));
  return Status::Ok();
}

Status DynamicQuantizeLinearReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const float* xp = x.data<float>();
  float lo = 0.f, hi = 0.f;   // the range always includes 0
  for (int64_t i = 0; i < x.numel(); ++i) { lo = std::min(lo, xp[i]); hi = std::max(hi, xp[i]); }
  const float scale = (hi - lo) / 255.f;
  const float zp = scale > 0.f ? std::nearbyint(std::clamp(0.f - lo / scale, 0.f, 255.f)) : 0.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float v = scale > 0.f ? std::nearbyint(xp[i] / scale) + zp : zp;
    out[0]->data<uint8_t>()[i] = static_cast<uint8_t>(std::clamp(v, 0.f, 255.f));
  }
  out[1]->data<float>()[0] = scale;
  out[2]->data<uint8_t>()[0] = static_cast<uint8_t>(zp);
  return Status::Ok();
}


// ---------------------------------------------------------------- RNN, GRU, LSTM

namespace {

struct RecAct {
  std::string name;
  double alpha = 0, beta = 0;
};

double ApplyRecAct(const RecAct& a, double x) {
  const std::string& n = a.name;
  if (n == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (n == "Tanh") return std::tanh(x);
  if (n == "Relu") return std::max(0.0, x);
  if (n == "LeakyRelu") return x >= 0 ? x : a.alpha * x;
  if (n == "ThresholdedRelu") return x > a.alpha ? x : 0.0;
  if (n == "HardSigmoid") return std::clamp(a.alpha * x + a.beta, 0.0, 1.0);
  if (n == "Affine") return a.alpha * x + a.beta;
  if (n == "ScaledTanh") return a.alpha * std::tanh(a.beta * x);
  if (n == "Elu") return x >= 0 ? x : a.alpha * std::expm1(x);
  if (n == "Softsign") return x / (1 + std::fabs(x));
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));   // Softplus
}

int RecGates(const std::string& op) { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
int RecActsPerDir(const std::string& op) { return op == "LSTM" ? 3 : op == "GRU" ? 2 : 1; }

// The activation list of the node, one entry per direction and role; errors name the rule.
Result<std::vector<RecAct>> RecActs(const Node& node, int64_t dirs) {
  const int per = RecActsPerDir(node.op);
  static const char* kDefaults[3][3] = {{"Tanh", "", ""}, {"Sigmoid", "Tanh", ""}, {"Sigmoid", "Tanh", "Tanh"}};
  const int row = per - 1;
  std::vector<std::string> given;
  auto it = node.attrs.all().find("activations");
  if (it != node.attrs.all().end()) {
    if (const auto* v = std::get_if<std::vector<std::string>>(&it->second)) given = *v;
    else if (const auto* one = std::get_if<std::string>(&it->second)) given = {*one};
    else return NodeError(node, "activations is not a list of strings");
  }
  if (given.empty()) {
    for (int64_t d = 0; d < dirs; ++d)
      for (int k = 0; k < per; ++k) given.push_back(kDefaults[row][k]);
  }
  if (static_cast<int64_t>(given.size()) != per * dirs) {
    return NodeError(node, "activations has " + std::to_string(given.size()) + " entries (rule: " + std::to_string(per) +
                               " per direction)");
  }
  std::vector<float> alphas = node.attrs.GetFloats("activation_alpha"), betas = node.attrs.GetFloats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<RecAct> acts;
  for (const std::string& g : given) {
    RecAct a;
    a.name = g;
    static const char* kKnown[] = {"Sigmoid", "Tanh", "Relu", "LeakyRelu", "ThresholdedRelu", "HardSigmoid", "Affine",
                                   "ScaledTanh", "Elu", "Softsign", "Softplus"};
    bool known = false;
    for (const char* k : kKnown) known = known || g == k;
    if (!known) return NodeError(node, "activation '" + g + "' is not supported (rule: an ONNX RNN activation)");
    const bool uses_alpha = g == "LeakyRelu" || g == "ThresholdedRelu" || g == "HardSigmoid" || g == "Affine" || g == "ScaledTanh" || g == "Elu";
    const bool uses_beta = g == "HardSigmoid" || g == "Affine" || g == "ScaledTanh";
    const double da = g == "LeakyRelu" ? 0.01 : g == "HardSigmoid" ? 0.2 : 1.0;
    const double db = g == "HardSigmoid" ? 0.5 : g == "Affine" ? 0.0 : 1.0;
    a.alpha = uses_alpha ? (ai < alphas.size() ? alphas[ai++] : da) : 0.0;
    a.beta = uses_beta ? (bi < betas.size() ? betas[bi++] : db) : 0.0;
    acts.push_back(a);
  }
  return acts;
}

}  // namespace

Status InferRecurrent(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const std::string& op = ctx.node.op;
  const int G = RecGates(op);
  const Shape& x = ctx.in_shape[0];
  const Shape& w = ctx.in_shape[1];
  const Shape& r = ctx.in_shape[2];
  if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3) return ctx.Fail("X, W and R must be 3-D (rule: ONNX " + op + " layouts)");
  const std::string dir = ctx.node.attrs.GetString("direction", "forward");
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional") return ctx.Fail("direction='" + dir + "' (rule: forward, reverse or bidirectional)");
  const int64_t dirs = dir == "bidirectional" ? 2 : 1;
  const int64_t layout = ctx.node.attrs.GetInt("layout", 0);
  if (layout != 0 && layout != 1) return ctx.Fail("layout=" + std::to_string(layout) + " (rule: 0 or 1)");
  if (!ctx.node.attrs.Has("hidden_size") && w.dims[1] < 0) return ctx.Fail("hidden_size is unknown (rule: the attribute or W's shape gives it)");
  const int64_t H = ctx.node.attrs.GetInt("hidden_size", w.dims[1] >= 0 ? w.dims[1] / G : 0);
  if ((w.dims[0] >= 0 && w.dims[0] != dirs) || (w.dims[1] >= 0 && w.dims[1] != G * H) || (x.dims[2] >= 0 && w.dims[2] >= 0 && w.dims[2] != x.dims[2])) {
    return ctx.Fail("W shape " + w.ToString() + " is not [" + std::to_string(dirs) + ", " + std::to_string(G * H) + ", input_size] (rule: gates x hidden_size rows per direction)");
  }
  if ((r.dims[1] >= 0 && r.dims[1] != G * H) || (r.dims[2] >= 0 && r.dims[2] != H)) {
    return ctx.Fail("R shape " + r.ToString() + " is not [" + std::to_string(dirs) + ", " + std::to_string(G * H) + ", " + std::to_string(H) + "]");
  }
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    if (i == 4) { if (ctx.HasInput(4) && !IsIndexT(ctx.in_dtype[4])) return ctx.Fail("sequence_lens must be int32"); continue; }
    if (ctx.HasInput(i) && ctx.in_dtype[i] != ctx.in_dtype[0]) return ctx.Fail("input " + std::to_string(i) + " dtype differs from X (rule: one dtype)");
  }
  EI_RETURN_IF_ERROR(RecActs(ctx.node, dirs).status());
  const int64_t T = layout ? x.dims[1] : x.dims[0], B = layout ? x.dims[0] : x.dims[1];
  const DType t = ctx.in_dtype[0];
  if (ctx.out_dtype.size() > 0) ctx.SetOutput(0, t, layout ? Shape({B, T, dirs, H}) : Shape({T, dirs, B, H}));
  for (size_t o = 1; o < ctx.out_dtype.size(); ++o) ctx.SetOutput(o, t, layout ? Shape({B, dirs, H}) : Shape({dirs, B, H}));
  return Status::Ok();
}

Status RecurrentReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const std::string& op = node.op;
  const int G = RecGates(op);
  const std::string dir = node.attrs.GetString("direction", "forward");
  const int64_t dirs = dir == "bidirectional" ? 2 : 1;
  const bool layout = node.attrs.GetInt("layout", 0) != 0;
  const Tensor& X = *in[0];
  const Tensor& W = *in[1];
  const Tensor& R = *in[2];
  const int64_t H = node.attrs.GetInt("hidden_size", W.dim(1) / G);
  const int64_t T = layout ? X.dim(1) : X.dim(0), B = layout ? X.dim(0) : X.dim(1), I = X.dim(2);
  const Tensor* Bias = Opt(in, 3);
  const Tensor* seq = Opt(in, 4);
  const Tensor* h0 = Opt(in, 5);
  const Tensor* c0 = op == "LSTM" ? Opt(in, 6) : nullptr;
  const Tensor* P = op == "LSTM" ? Opt(in, 7) : nullptr;
  const bool has_clip = node.attrs.Has("clip");
  const double clip = node.attrs.GetFloat("clip", 0.f);
  const bool lbr = node.attrs.GetInt("linear_before_reset", 0) != 0;
  const bool input_forget = node.attrs.GetInt("input_forget", 0) != 0;
  EI_ASSIGN_OR_RETURN(std::vector<RecAct> acts, RecActs(node, dirs));
  const int per = RecActsPerDir(op);
  auto x_at = [&](int64_t t, int64_t b, int64_t i) { return X.GetAsDouble(layout ? (b * T + t) * I + i : (t * B + b) * I + i); };
  auto st_index = [&](int64_t d, int64_t b, int64_t h) { return layout ? (b * dirs + d) * H + h : (d * B + b) * H + h; };
  auto cl = [&](double v) { return has_clip ? std::clamp(v, -clip, clip) : v; };
  std::vector<double> y(static_cast<size_t>(T * dirs * B * H), 0.0), yh(static_cast<size_t>(dirs * B * H)), yc(static_cast<size_t>(dirs * B * H));
  for (int64_t d = 0; d < dirs; ++d) {
    const bool reverse = dir == "reverse" || d == 1;
    const RecAct* f = &acts[static_cast<size_t>(d * per)];
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = seq ? seq->GetAsInt64(b) : T;
      if (len < 0 || len > T) return NodeError(node, "sequence_lens[" + std::to_string(b) + "]=" + std::to_string(len) + " (rule: 0 <= len <= seq_length)");
      std::vector<double> h(static_cast<size_t>(H)), c(static_cast<size_t>(H)), g(static_cast<size_t>(G * H));
      for (int64_t k = 0; k < H; ++k) {
        h[static_cast<size_t>(k)] = h0 ? h0->GetAsDouble(st_index(d, b, k)) : 0.0;
        c[static_cast<size_t>(k)] = c0 ? c0->GetAsDouble(st_index(d, b, k)) : 0.0;
      }
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        // g = X_t W^T + Wb (all gates); the recurrent part is added per op below.
        std::vector<double> xr(static_cast<size_t>(G * H)), hr(static_cast<size_t>(G * H));
        for (int64_t j = 0; j < G * H; ++j) {
          double a = Bias ? Bias->GetAsDouble(d * 2 * G * H + j) : 0.0;
          for (int64_t i = 0; i < I; ++i) a += x_at(t, b, i) * W.GetAsDouble((d * G * H + j) * I + i);
          xr[static_cast<size_t>(j)] = a;
          double r = Bias ? Bias->GetAsDouble(d * 2 * G * H + G * H + j) : 0.0;
          for (int64_t k = 0; k < H; ++k) r += h[static_cast<size_t>(k)] * R.GetAsDouble((d * G * H + j) * H + k);
          hr[static_cast<size_t>(j)] = r;
        }
        std::vector<double> hn(static_cast<size_t>(H));
        if (op == "RNN") {
          for (int64_t k = 0; k < H; ++k) hn[static_cast<size_t>(k)] = ApplyRecAct(f[0], cl(xr[static_cast<size_t>(k)] + hr[static_cast<size_t>(k)]));
        } else if (op == "GRU") {   // gates z, r, h
          for (int64_t k = 0; k < H; ++k) {
            const size_t z_i = static_cast<size_t>(k), r_i = static_cast<size_t>(H + k), h_i = static_cast<size_t>(2 * H + k);
            const double z = ApplyRecAct(f[0], cl(xr[z_i] + hr[z_i]));
            const double rg = ApplyRecAct(f[0], cl(xr[r_i] + hr[r_i]));
            // linear_before_reset: ht = g(Xt Wh + Wbh + rt . (Ht-1 Rh + Rbh)); otherwise below.
            const double pre = lbr ? xr[h_i] + rg * hr[h_i] : 0.0;
            g[static_cast<size_t>(k)] = z;
            g[static_cast<size_t>(H + k)] = rg;
            g[static_cast<size_t>(2 * H + k)] = pre;
          }
          if (!lbr) {
            // ht = g(Xt Wh + (rt . Ht-1) Rh + Rbh + Wbh): the reset gate scales H before Rh.
            for (int64_t k = 0; k < H; ++k) {
              double a = xr[static_cast<size_t>(2 * H + k)] + (Bias ? Bias->GetAsDouble(d * 2 * G * H + G * H + 2 * H + k) : 0.0);
              for (int64_t m = 0; m < H; ++m) a += g[static_cast<size_t>(H + m)] * h[static_cast<size_t>(m)] * R.GetAsDouble((d * G * H + 2 * H + k) * H + m);
              g[static_cast<size_t>(2 * H + k)] = a;
            }
          }
          for (int64_t k = 0; k < H; ++k) {
            const double hh = ApplyRecAct(f[1], cl(g[static_cast<size_t>(2 * H + k)]));
            const double z = g[static_cast<size_t>(k)];
            hn[static_cast<size_t>(k)] = (1 - z) * hh + z * h[static_cast<size_t>(k)];
          }
        } else {   // LSTM gates i, o, f, c
          for (int64_t k = 0; k < H; ++k) {
            const size_t ii = static_cast<size_t>(k), oi = static_cast<size_t>(H + k), fi = static_cast<size_t>(2 * H + k), ci = static_cast<size_t>(3 * H + k);
            const double cp = c[static_cast<size_t>(k)];
            const double pi = P ? P->GetAsDouble(d * 3 * H + k) : 0.0, po = P ? P->GetAsDouble(d * 3 * H + H + k) : 0.0;
            const double pf = P ? P->GetAsDouble(d * 3 * H + 2 * H + k) : 0.0;
            const double it = ApplyRecAct(f[0], cl(xr[ii] + hr[ii] + pi * cp));
            const double ft = input_forget ? 1 - it : ApplyRecAct(f[0], cl(xr[fi] + hr[fi] + pf * cp));
            const double ct = ApplyRecAct(f[1], cl(xr[ci] + hr[ci]));
            const double cn = ft * cp + it * ct;
            const double ot = ApplyRecAct(f[0], cl(xr[oi] + hr[oi] + po * cn));
            c[static_cast<size_t>(k)] = cn;
            hn[static_cast<size_t>(k)] = ot * ApplyRecAct(f[2], cn);
          }
        }
        h = hn;
        for (int64_t k = 0; k < H; ++k) {
          const int64_t yi = layout ? ((b * T + t) * dirs + d) * H + k : ((t * dirs + d) * B + b) * H + k;
          y[static_cast<size_t>(yi)] = h[static_cast<size_t>(k)];
        }
      }
      for (int64_t k = 0; k < H; ++k) {
        yh[static_cast<size_t>(st_index(d, b, k))] = h[static_cast<size_t>(k)];
        yc[static_cast<size_t>(st_index(d, b, k))] = c[static_cast<size_t>(k)];
      }
    }
  }
  auto put = [](Tensor* t, const std::vector<double>& v) {
    if (!t) return;
    DispatchNumeric(t->dtype(), [&](auto tag) {
      using T = decltype(tag);
      using Cc = typename Compute<T>::type;
      for (size_t i = 0; i < v.size(); ++i) Store<T>(t->data<T>(), static_cast<int64_t>(i), static_cast<Cc>(v[i]));
    });
  };
  put(out.size() > 0 ? out[0] : nullptr, y);
  put(out.size() > 1 ? out[1] : nullptr, yh);
  put(out.size() > 2 ? out[2] : nullptr, yc);
  return Status::Ok();
}


// ---------------------------------------------------------------- windows, Det, ReverseSequence

Status InferWindow(InferContext& ctx) {
  if (!IsIndexT(ctx.in_dtype[0])) return ctx.Fail(std::string("size is ") + DTypeName(ctx.in_dtype[0]) + " (rule: int32 or int64 scalar)");
  const DType t = DTypeFromOnnx(static_cast<int32_t>(ctx.node.attrs.GetInt("output_datatype", 1)));
  if (!(IsFloatT(t) || IsInteger(t))) return ctx.Fail(std::string("output_datatype ") + DTypeName(t) + " is not supported (rule: numeric)");
  int64_t n = kDynamic;
  if (ctx.in_value[0]) {
    n = ctx.in_value[0]->GetAsInt64(0);
    if (n < 0) return ctx.Fail("size=" + std::to_string(n) + " (rule: size >= 0)");
  }
  ctx.SetOutput(0, t, Shape({n}));
  return Status::Ok();
}

Status WindowReference(const Node& node, const std::vector<const Tensor*>&, const std::vector<Tensor*>& out) {
  Tensor& y = *out[0];
  const int64_t n = y.numel();
  const bool periodic = node.attrs.GetInt("periodic", 1) != 0;
  const double N = static_cast<double>(periodic ? n : n - 1);
  const double pi = 3.14159265358979323846;
  DispatchNumeric(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    for (int64_t i = 0; i < n; ++i) {
      const double a = 2 * pi * static_cast<double>(i) / N;
      double v;
      if (node.op == "HannWindow") v = 0.5 - 0.5 * std::cos(a);
      else if (node.op == "HammingWindow") v = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(a);
      else v = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2 * a);
      Store<T>(y.data<T>(), i, static_cast<C>(v));
    }
  });
  return Status::Ok();
}

Status InferDet(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const Shape& s = ctx.in_shape[0];
  if (s.rank() < 2) return ctx.Fail("input shape " + s.ToString() + " has rank < 2 (rule: [*, M, M])");
  const int64_t a = s.dims[s.rank() - 2], b = s.dims[s.rank() - 1];
  if (a >= 0 && b >= 0 && a != b) return ctx.Fail("input shape " + s.ToString() + " is not square in its last two dims (rule: [*, M, M])");
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(s.dims.begin(), s.dims.end() - 2)));
  return Status::Ok();
}

Status DetReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t M = x.dim(x.rank() - 1);
  const int64_t count = M ? x.numel() / (M * M) : 0;
  std::vector<double> a(static_cast<size_t>(M * M));
  for (int64_t k = 0; k < count; ++k) {
    for (int64_t i = 0; i < M * M; ++i) a[static_cast<size_t>(i)] = x.GetAsDouble(k * M * M + i);
    double det = 1.0;
    for (int64_t c = 0; c < M; ++c) {
      int64_t piv = c;
      for (int64_t r = c + 1; r < M; ++r) {
        if (std::fabs(a[static_cast<size_t>(r * M + c)]) > std::fabs(a[static_cast<size_t>(piv * M + c)])) piv = r;
      }
      if (a[static_cast<size_t>(piv * M + c)] == 0.0) { det = 0.0; break; }
      if (piv != c) {
        for (int64_t j = 0; j < M; ++j) std::swap(a[static_cast<size_t>(piv * M + j)], a[static_cast<size_t>(c * M + j)]);
        det = -det;
      }
      const double p = a[static_cast<size_t>(c * M + c)];
      det *= p;
      for (int64_t r = c + 1; r < M; ++r) {
        const double f = a[static_cast<size_t>(r * M + c)] / p;
        for (int64_t j = c; j < M; ++j) a[static_cast<size_t>(r * M + j)] -= f * a[static_cast<size_t>(c * M + j)];
      }
    }
    DispatchNumeric(out[0]->dtype(), [&](auto tag) {
      using T = decltype(tag);
      using C = typename Compute<T>::type;
      Store<T>(out[0]->data<T>(), k, static_cast<C>(det));
    });
  }
  return Status::Ok();
}

Status InferReverseSequence(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  const int64_t t = ctx.node.attrs.GetInt("time_axis", 0), b = ctx.node.attrs.GetInt("batch_axis", 1);
  if (ctx.in_shape[0].rank() < 2) return ctx.Fail("input shape " + ctx.in_shape[0].ToString() + " has rank < 2");
  if (!((t == 0 && b == 1) || (t == 1 && b == 0))) {
    return ctx.Fail("time_axis=" + std::to_string(t) + ", batch_axis=" + std::to_string(b) + " (rule: one is 0, the other 1)");
  }
  if (!IsIndexT(ctx.in_dtype[1]) || ctx.in_shape[1].rank() != 1) return ctx.Fail("sequence_lens must be a 1-D int64 tensor");
  ctx.SetOutput(0, ctx.in_dtype[0], ctx.in_shape[0]);
  return Status::Ok();
}

Status ReverseSequenceReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const int64_t ta = node.attrs.GetInt("time_axis", 0), ba = node.attrs.GetInt("batch_axis", 1);
  const int64_t T = x.dim(static_cast<size_t>(ta)), B = x.dim(static_cast<size_t>(ba));
  const int64_t inner = Prod(x.dims(), 2, x.rank());
  const size_t es = DTypeSize(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw());
  uint8_t* dst = static_cast<uint8_t*>(out[0]->raw());
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = in[1]->GetAsInt64(b);
    if (len < 0 || len > T) return NodeError(node, "sequence_lens[" + std::to_string(b) + "]=" + std::to_string(len) + " (rule: 0 <= len <= time extent)");
    for (int64_t t = 0; t < T; ++t) {
      const int64_t st = t < len ? len - 1 - t : t;
      const int64_t di = ta == 0 ? t * B + b : b * T + t, si = ta == 0 ? st * B + b : b * T + st;
      if (inner) std::memcpy(dst + static_cast<size_t>(di * inner) * es, src + static_cast<size_t>(si * inner) * es, static_cast<size_t>(inner) * es);
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- MaxUnpool

Status InferMaxUnpool(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  if (ctx.in_dtype[1] != DType::kInt64) return ctx.Fail(std::string("indices are ") + DTypeName(ctx.in_dtype[1]) + " (rule: int64)");
  const Shape& x = ctx.in_shape[0];
  const size_t sp = x.rank() >= 2 ? x.rank() - 2 : 0;
  std::vector<int64_t> k = ctx.node.attrs.GetInts("kernel_shape");
  if (k.size() != sp || sp == 0) return ctx.Fail("kernel_shape has " + std::to_string(k.size()) + " entries for " + std::to_string(sp) + " spatial dims");
  std::vector<int64_t> s = ctx.node.attrs.GetInts("strides", std::vector<int64_t>(sp, 1));
  std::vector<int64_t> p = ctx.node.attrs.GetInts("pads", std::vector<int64_t>(2 * sp, 0));
  if (s.size() != sp || p.size() != 2 * sp) return ctx.Fail("strides/pads lengths do not match the spatial rank");
  if (ctx.HasInput(2)) {
    if (!ctx.in_value[2]) {
      ctx.SetOutput(0, ctx.in_dtype[0], Shape(std::vector<int64_t>(x.rank(), kDynamic)));
      return Status::Ok();
    }
    std::vector<int64_t> os = ToInt64Vector(*ctx.in_value[2]);
    if (os.size() != x.rank()) return ctx.Fail("output_shape " + LS(os) + " does not have the input's rank");
    ctx.SetOutput(0, ctx.in_dtype[0], Shape(os));
    return Status::Ok();
  }
  std::vector<int64_t> d = {x.dims[0], x.dims[1]};
  for (size_t i = 0; i < sp; ++i) {
    const int64_t in = x.dims[i + 2];
    d.push_back(in < 0 ? kDynamic : (in - 1) * s[i] - p[i] - p[i + sp] + k[i]);
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(d));
  return Status::Ok();
}

Status MaxUnpoolReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  Tensor& y = *out[0];
  const Tensor& x = *in[0];
  if (y.bytes()) std::memset(y.raw(), 0, y.bytes());
  // Indices are flat over the default output (what MaxPool saw); an explicit output_shape only
  // pads it, so each index is unravelled in the default dims and placed at the same coordinates.
  const size_t sp = x.rank() - 2;
  std::vector<int64_t> k = node.attrs.GetInts("kernel_shape");
  std::vector<int64_t> st = node.attrs.GetInts("strides", std::vector<int64_t>(sp, 1));
  std::vector<int64_t> p = node.attrs.GetInts("pads", std::vector<int64_t>(2 * sp, 0));
  std::vector<int64_t> def = {x.dim(0), x.dim(1)};
  for (size_t i = 0; i < sp; ++i) def.push_back((x.dim(i + 2) - 1) * st[i] - p[i] - p[i + sp] + k[i]);
  const int64_t def_n = Prod(def, 0, def.size());
  std::vector<int64_t> ys = ContiguousStrides(y.dims()), idx;
  const size_t es = DTypeSize(y.dtype());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t j = in[1]->GetAsInt64(i);
    if (j < 0 || j >= def_n) return NodeError(node, "index " + std::to_string(j) + " is outside the pooled input of " + std::to_string(def_n) + " elements");
    Unravel(j, def, idx);
    for (size_t a = 0; a < idx.size(); ++a) {
      if (idx[a] >= y.dim(a)) return NodeError(node, "output_shape " + Shape(y.dims()).ToString() + " is smaller than the unpooled " + Shape(def).ToString());
    }
    CopyElem(static_cast<uint8_t*>(y.raw()), Ravel(idx, ys), static_cast<const uint8_t*>(x.raw()), i, es);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Unique

namespace {
struct UniqueResult {
  std::vector<int64_t> first;     // per unique slice: index of its first occurrence
  std::vector<int64_t> inverse;   // per input slice: its unique slice
  std::vector<int64_t> counts;
};

// Slices along `axis` (or elements when flat) compared by value; sorted: lexicographic order.
UniqueResult UniqueOf(const Tensor& x, bool flat, int64_t axis, bool sorted) {
  const int64_t outer = flat ? 1 : Prod(x.dims(), 0, static_cast<size_t>(axis));
  const int64_t n = flat ? x.numel() : x.dim(static_cast<size_t>(axis));
  const int64_t inner = flat ? 1 : Prod(x.dims(), static_cast<size_t>(axis) + 1, x.rank());
  auto val = [&](int64_t s, int64_t o, int64_t i) { return x.GetAsDouble((o * n + s) * inner + i); };
  auto cmp = [&](int64_t a, int64_t b) {   // -1, 0, 1
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const double va = val(a, o, i), vb = val(b, o, i);
        if (va < vb) return -1;
        if (va > vb) return 1;
      }
    return 0;
  };
  UniqueResult r;
  r.inverse.assign(static_cast<size_t>(n), -1);
  for (int64_t s = 0; s < n; ++s) {   // first occurrences, in input order
    int64_t found = -1;
    for (size_t u = 0; u < r.first.size() && found < 0; ++u) if (cmp(r.first[u], s) == 0) found = static_cast<int64_t>(u);
    if (found < 0) { found = static_cast<int64_t>(r.first.size()); r.first.push_back(s); r.counts.push_back(0); }
    r.inverse[static_cast<size_t>(s)] = found;
    ++r.counts[static_cast<size_t>(found)];
  }
  if (sorted) {
    std::vector<int64_t> order(r.first.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(r.first[static_cast<size_t>(a)], r.first[static_cast<size_t>(b)]) < 0; });
    std::vector<int64_t> rank(order.size());
    for (size_t i = 0; i < order.size(); ++i) rank[static_cast<size_t>(order[i])] = static_cast<int64_t>(i);
    UniqueResult s;
    for (int64_t o : order) { s.first.push_back(r.first[static_cast<size_t>(o)]); s.counts.push_back(r.counts[static_cast<size_t>(o)]); }
    for (int64_t v : r.inverse) s.inverse.push_back(rank[static_cast<size_t>(v)]);
    return s;
  }
  return r;
}
}  // namespace

Status InferUnique(InferContext& ctx) {
  EI_RETURN_IF_ERROR(Fixed(ctx, 0));
  const Shape& s = ctx.in_shape[0];
  const bool flat = !ctx.node.attrs.Has("axis");
  int64_t axis = 0;
  if (!flat) {
    const int64_t a = ctx.node.attrs.GetInt("axis", 0);
    axis = NormalizeAxis(a, static_cast<int64_t>(s.rank()));
    if (axis < 0) return ctx.Fail("axis=" + std::to_string(a) + " is out of range for rank " + std::to_string(s.rank()) + " (rule: -r <= axis < r)");
  }
  int64_t u = kDynamic;
  if (ctx.in_value[0]) u = static_cast<int64_t>(UniqueOf(*ctx.in_value[0], flat, axis, true).first.size());
  std::vector<int64_t> yd = flat ? std::vector<int64_t>{u} : s.dims;
  if (!flat) yd[static_cast<size_t>(axis)] = u;
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(yd));
  const int64_t n = flat ? s.NumElements() : s.dims[static_cast<size_t>(axis)];
  if (ctx.out_dtype.size() > 1) ctx.SetOutput(1, DType::kInt64, Shape({u}));
  if (ctx.out_dtype.size() > 2) ctx.SetOutput(2, DType::kInt64, Shape({n}));
  if (ctx.out_dtype.size() > 3) ctx.SetOutput(3, DType::kInt64, Shape({u}));
  return Status::Ok();
}

Status UniqueReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  const bool flat = !node.attrs.Has("axis");
  const int64_t axis = flat ? 0 : NormalizeAxis(node.attrs.GetInt("axis", 0), static_cast<int64_t>(x.rank()));
  UniqueResult r = UniqueOf(x, flat, axis, node.attrs.GetInt("sorted", 1) != 0);
  const int64_t outer = flat ? 1 : Prod(x.dims(), 0, static_cast<size_t>(axis));
  const int64_t n = flat ? x.numel() : x.dim(static_cast<size_t>(axis));
  const int64_t inner = flat ? 1 : Prod(x.dims(), static_cast<size_t>(axis) + 1, x.rank());
  const int64_t u = static_cast<int64_t>(r.first.size());
  const size_t es = DTypeSize(x.dtype());
  if (out[0]) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < u; ++k)
        for (int64_t i = 0; i < inner; ++i)
          CopyElem(static_cast<uint8_t*>(out[0]->raw()), (o * u + k) * inner + i, static_cast<const uint8_t*>(x.raw()),
                   (o * n + r.first[static_cast<size_t>(k)]) * inner + i, es);
  }
  const std::vector<int64_t>* lists[] = {&r.first, &r.inverse, &r.counts};
  for (size_t j = 1; j < out.size() && j < 4; ++j) {
    if (!out[j]) continue;
    std::copy(lists[j - 1]->begin(), lists[j - 1]->end(), out[j]->data<int64_t>());
  }
  return Status::Ok();
}


// ---------------------------------------------------------------- DFT, STFT

Status InferDFT(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const Shape& s = ctx.in_shape[0];
  const int64_t r = static_cast<int64_t>(s.rank());
  if (r < 3 || (s.dims.back() >= 0 && s.dims.back() != 1 && s.dims.back() != 2)) {
    return ctx.Fail("input shape " + s.ToString() + " is not [batch, n..., 1 or 2] (rule: real or complex signal)");
  }
  const int64_t a = ctx.node.attrs.GetInt("axis", 1);
  const int64_t axis = NormalizeAxis(a, r);
  if (axis < 1 || axis >= r - 1) return ctx.Fail("axis=" + std::to_string(a) + " (rule: a signal axis, not batch or the last)");
  int64_t n = s.dims[static_cast<size_t>(axis)];
  if (ctx.HasInput(1)) n = ctx.in_value[1] ? ctx.in_value[1]->GetAsInt64(0) : kDynamic;
  if (ctx.HasInput(1) && ctx.in_value[1] && n < 1) return ctx.Fail("dft_length=" + std::to_string(n) + " (rule: >= 1)");
  const bool onesided = ctx.node.attrs.GetInt("onesided", 0) != 0;
  if (onesided && ctx.node.attrs.GetInt("inverse", 0) != 0) return ctx.Fail("onesided with inverse (rule: not both)");
  std::vector<int64_t> d = s.dims;
  d[static_cast<size_t>(axis)] = n < 0 ? kDynamic : onesided ? n / 2 + 1 : n;
  d.back() = 2;
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(d));
  return Status::Ok();
}

Status DFTReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  Tensor& y = *out[0];
  const size_t axis = static_cast<size_t>(NormalizeAxis(node.attrs.GetInt("axis", 1), static_cast<int64_t>(x.rank())));
  const bool inverse = node.attrs.GetInt("inverse", 0) != 0;
  const bool complex_in = x.dims().back() == 2;
  const int64_t outer = Prod(x.dims(), 0, axis), nin = x.dim(axis), inner = Prod(x.dims(), axis + 1, x.rank() - 1);
  const int64_t nout = y.dim(axis);
  const int64_t n = in.size() > 1 && in[1] ? in[1]->GetAsInt64(0) : nin;   // the transform length
  const double pi = 3.14159265358979323846, sign = inverse ? 1.0 : -1.0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      for (int64_t k = 0; k < nout; ++k) {
        double re = 0, im = 0;
        for (int64_t t = 0; t < std::min(n, nin); ++t) {   // beyond the input: zero padding
          const int64_t xi = ((o * nin + t) * inner + i) * (complex_in ? 2 : 1);
          const double xr = x.GetAsDouble(xi), xim = complex_in ? x.GetAsDouble(xi + 1) : 0.0;
          const double ang = sign * 2 * pi * static_cast<double>(k * t % n) / static_cast<double>(n);
          re += xr * std::cos(ang) - xim * std::sin(ang);
          im += xr * std::sin(ang) + xim * std::cos(ang);
        }
        if (inverse) { re /= static_cast<double>(n); im /= static_cast<double>(n); }
        const int64_t yi = ((o * nout + k) * inner + i) * 2;
        DispatchNumeric(y.dtype(), [&](auto tag) {
          using T = decltype(tag);
          using C = typename Compute<T>::type;
          Store<T>(y.data<T>(), yi, static_cast<C>(re));
          Store<T>(y.data<T>(), yi + 1, static_cast<C>(im));
        });
      }
  return Status::Ok();
}

namespace {
// STFT frame length: input 3, else the window's length.
int64_t StftFrameLength(const std::vector<const Tensor*>& v, const std::vector<Shape>* shapes) {
  if (v.size() > 3 && v[3]) return v[3]->GetAsInt64(0);
  if (shapes && shapes->size() > 2 && (*shapes)[2].rank() == 1) return (*shapes)[2].dims[0];
  if (v.size() > 2 && v[2]) return v[2]->dim(0);
  return kDynamic;
}
}  // namespace

Status InferSTFT(InferContext& ctx) {
  EI_RETURN_IF_ERROR(FloatOnly(ctx, 0));
  const Shape& s = ctx.in_shape[0];
  if (s.rank() != 3 || (s.dims[2] >= 0 && s.dims[2] != 1 && s.dims[2] != 2)) return ctx.Fail("signal shape " + s.ToString() + " is not [batch, length, 1 or 2]");
  if (!ctx.HasInput(2) && !ctx.HasInput(3)) return ctx.Fail("needs a window or a frame_length (rule: one gives the frame length)");
  std::vector<const Tensor*> vals = ctx.in_value;
  for (size_t i = 0; i < vals.size(); ++i) if (!ctx.HasInput(i)) vals[i] = nullptr;
  const int64_t fl = StftFrameLength(vals, &ctx.in_shape);
  const int64_t step = ctx.in_value[1] ? ctx.in_value[1]->GetAsInt64(0) : kDynamic;
  if (ctx.in_value[1] && step < 1) return ctx.Fail("frame_step=" + std::to_string(step) + " (rule: >= 1)");
  if (ctx.HasInput(2) && ctx.HasInput(3) && ctx.in_value[3] && ctx.in_shape[2].dims[0] >= 0 && ctx.in_shape[2].dims[0] != fl) {
    return ctx.Fail("window length " + std::to_string(ctx.in_shape[2].dims[0]) + " differs from frame_length " + std::to_string(fl));
  }
  const bool onesided = ctx.node.attrs.GetInt("onesided", 1) != 0;
  int64_t frames = kDynamic;
  if (fl > 0 && step > 0 && s.dims[1] >= 0) {
    if (fl > s.dims[1]) return ctx.Fail("frame_length " + std::to_string(fl) + " exceeds the signal length " + std::to_string(s.dims[1]));
    frames = (s.dims[1] - fl) / step + 1;
  }
  const int64_t bins = fl < 0 ? kDynamic : onesided ? fl / 2 + 1 : fl;
  ctx.SetOutput(0, ctx.in_dtype[0], Shape({s.dims[0], frames, bins, 2}));
  return Status::Ok();
}

Status STFTReference(const Node&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const Tensor& x = *in[0];
  Tensor& y = *out[0];
  const Tensor* window = in.size() > 2 ? in[2] : nullptr;
  const int64_t fl = StftFrameLength(in, nullptr);
  const int64_t step = in[1]->GetAsInt64(0);
  const bool complex_in = x.dim(2) == 2;
  const int64_t B = x.dim(0), L = x.dim(1), F = y.dim(1), K = y.dim(2);
  const double pi = 3.14159265358979323846;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t f = 0; f < F; ++f)
      for (int64_t k = 0; k < K; ++k) {
        double re = 0, im = 0;
        for (int64_t t = 0; t < fl; ++t) {
          const int64_t xi = (b * L + f * step + t) * (complex_in ? 2 : 1);
          const double w = window ? window->GetAsDouble(t) : 1.0;
          const double xr = x.GetAsDouble(xi) * w, xim = complex_in ? x.GetAsDouble(xi + 1) * w : 0.0;
          const double ang = -2 * pi * static_cast<double>(k * t % fl) / static_cast<double>(fl);
          re += xr * std::cos(ang) - xim * std::sin(ang);
          im += xr * std::sin(ang) + xim * std::cos(ang);
        }
        const int64_t yi = ((b * F + f) * K + k) * 2;
        DispatchNumeric(y.dtype(), [&](auto tag) {
          using T = decltype(tag);
          using C = typename Compute<T>::type;
          Store<T>(y.data<T>(), yi, static_cast<C>(re));
          Store<T>(y.data<T>(), yi + 1, static_cast<C>(im));
        });
      }
  return Status::Ok();
}

// ---------------------------------------------------------------- MelWeightMatrix

Status InferMelWeightMatrix(InferContext& ctx) {
  for (size_t i = 0; i < 3; ++i) {
    if (!IsIndexT(ctx.in_dtype[i])) return ctx.Fail("input " + std::to_string(i) + " must be an integer scalar (num_mel_bins, dft_length, sample_rate)");
  }
  for (size_t i = 3; i < 5; ++i) {
    if (!IsFloatT(ctx.in_dtype[i])) return ctx.Fail("input " + std::to_string(i) + " must be a float scalar (lower/upper edge hertz)");
  }
  const DType t = DTypeFromOnnx(static_cast<int32_t>(ctx.node.attrs.GetInt("output_datatype", 1)));
  if (!(IsFloatT(t) || IsInteger(t))) return ctx.Fail(std::string("output_datatype ") + DTypeName(t) + " is not supported (rule: numeric)");
  int64_t bins = kDynamic, mels = kDynamic;
  if (ctx.in_value[0]) mels = ctx.in_value[0]->GetAsInt64(0);
  if (ctx.in_value[1]) bins = ctx.in_value[1]->GetAsInt64(0) / 2 + 1;
  if ((ctx.in_value[0] && mels < 1) || (ctx.in_value[1] && bins < 1)) return ctx.Fail("num_mel_bins and dft_length must be >= 1");
  if (ctx.in_value[2] && ctx.in_value[2]->GetAsInt64(0) < 1) return ctx.Fail("sample_rate must be >= 1");
  ctx.SetOutput(0, t, Shape({bins, mels}));
  return Status::Ok();
}

Status MelWeightMatrixReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const int64_t mels = in[0]->GetAsInt64(0), dft = in[1]->GetAsInt64(0), rate = in[2]->GetAsInt64(0);
  const double lo = in[3]->GetAsDouble(0), hi = in[4]->GetAsDouble(0);
  const int64_t bins = dft / 2 + 1;
  const double lo_mel = 2595 * std::log10(1 + lo / 700), hi_mel = 2595 * std::log10(1 + hi / 700);
  const double step = (hi_mel - lo_mel) / static_cast<double>(mels + 2);
  std::vector<int64_t> edge(static_cast<size_t>(mels + 2));
  for (int64_t i = 0; i < mels + 2; ++i) {
    const double hz = 700 * (std::pow(10.0, (static_cast<double>(i) * step + lo_mel) / 2595) - 1);
    edge[static_cast<size_t>(i)] = static_cast<int64_t>(std::floor(static_cast<double>(dft + 1) * hz / static_cast<double>(rate)));
  }
  std::vector<double> w(static_cast<size_t>(bins * mels), 0.0);
  auto at = [&](int64_t j, int64_t i) -> double* {
    return j >= 0 && j < bins ? &w[static_cast<size_t>(j * mels + i)] : nullptr;
  };
  for (int64_t i = 0; i < mels; ++i) {
    const int64_t l = edge[static_cast<size_t>(i)], c = edge[static_cast<size_t>(i + 1)], h = edge[static_cast<size_t>(i + 2)];
    if (c - l == 0) {
      if (double* p = at(c, i)) *p = 1;
    } else {
      for (int64_t j = l; j <= c; ++j) if (double* p = at(j, i)) *p = static_cast<double>(j - l) / static_cast<double>(c - l);
    }
    if (h - c > 0) {
      for (int64_t j = c; j < h; ++j) if (double* p = at(j, i)) *p = static_cast<double>(h - j) / static_cast<double>(h - c);
    }
  }
  if (out[0]->numel() != bins * mels) return NodeError(node, "output size differs from the inferred shape");
  DispatchNumeric(out[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = typename Compute<T>::type;
    for (size_t i = 0; i < w.size(); ++i) Store<T>(out[0]->data<T>(), static_cast<int64_t>(i), static_cast<C>(w[i]));
  });
  return Status::Ok();
}

}  // namespace edgeinfer::ops
