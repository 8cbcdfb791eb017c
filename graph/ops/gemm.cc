// Gemm / MatMul reference: triple loops with float accumulation in k order. Batch broadcasting for
// MatMul maps each output batch index to an operand batch index with stride 0 on broadcast dims.
#include "graph/ops/gemm.h"

#include "graph/ops/conv.h"

namespace edgeinfer::ops {
namespace {

Status Fail(const Node& n, const std::string& rule) { return Status::Error(n.op + " '" + n.name + "': " + rule); }

bool Known(int64_t d) { return d >= 0; }

}  // namespace

Result<GemmParams> ParseGemm(const Node& n, const Shape& a, const Shape& b, const Shape* c) {
  if (a.rank() != 2) return Fail(n, "input A " + a.ToString() + " must be 2-D");
  if (b.rank() != 2) return Fail(n, "input B " + b.ToString() + " must be 2-D");
  GemmParams p;
  p.trans_a = n.attrs.GetInt("transA", 0) != 0;
  p.trans_b = n.attrs.GetInt("transB", 0) != 0;
  p.alpha = n.attrs.GetFloat("alpha", 1.f);
  p.beta = n.attrs.GetFloat("beta", 1.f);
  p.m = p.trans_a ? a[1] : a[0];
  p.k = p.trans_a ? a[0] : a[1];
  const int64_t kb = p.trans_b ? b[1] : b[0];
  p.n = p.trans_b ? b[0] : b[1];
  if (Known(p.k) && Known(kb) && p.k != kb) {
    return Fail(n, "inner dims differ: op(A) is [" + std::to_string(p.m) + "," + std::to_string(p.k) + "], op(B) is [" +
                       std::to_string(kb) + "," + std::to_string(p.n) + "] (A " + a.ToString() + ", B " + b.ToString() +
                       ", transA=" + std::to_string(p.trans_a) + ", transB=" + std::to_string(p.trans_b) + ")");
  }
  if (c) {
    if (c->rank() > 2) return Fail(n, "input C " + c->ToString() + " has rank > 2");
    p.c_rows = c->rank() == 2 ? (*c)[0] : 1;
    p.c_cols = c->rank() >= 1 ? (*c)[c->rank() - 1] : 1;
    auto ok = [](int64_t cd, int64_t d) { return cd == 1 || !Known(cd) || !Known(d) || cd == d; };
    if (!ok(p.c_rows, p.m) || !ok(p.c_cols, p.n)) {
      return Fail(n, "input C " + c->ToString() + " does not broadcast to [" + std::to_string(p.m) + "," +
                         std::to_string(p.n) + "] (rule: unidirectional broadcasting)");
    }
  }
  return p;
}

void GemmRef(const GemmParams& p, const float* a, const float* b, const float* c, float* y) {
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      float acc = 0.f;
      for (int64_t t = 0; t < p.k; ++t) {
        const float av = p.trans_a ? a[t * p.m + i] : a[i * p.k + t];
        const float bv = p.trans_b ? b[j * p.k + t] : b[t * p.n + j];
        acc += av * bv;
      }
      float v = p.alpha * acc;
      if (c) {
        const int64_t ci = p.c_rows == 1 ? 0 : i, cj = p.c_cols == 1 ? 0 : j;
        v += p.beta * c[ci * p.c_cols + cj];
      }
      y[i * p.n + j] = v;
    }
  }
}

Result<MatMulParams> ParseMatMul(const Node& n, const Shape& a_in, const Shape& b_in) {
  if (a_in.rank() == 0 || b_in.rank() == 0) return Fail(n, "inputs must have rank >= 1 (A " + a_in.ToString() + ", B " + b_in.ToString() + ")");
  std::vector<int64_t> a = a_in.dims, b = b_in.dims;
  const bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  MatMulParams p;
  p.m = a[a.size() - 2];
  p.k = a[a.size() - 1];
  p.n = b[b.size() - 1];
  const int64_t kb = b[b.size() - 2];
  if (Known(p.k) && Known(kb) && p.k != kb) {
    return Fail(n, "inner dims differ: A " + a_in.ToString() + " has K=" + std::to_string(p.k) + ", B " +
                       b_in.ToString() + " has K=" + std::to_string(kb));
  }
  const size_t ra = a.size() - 2, rb = b.size() - 2, r = std::max(ra, rb);
  p.a_batch.assign(r - ra, 1);
  p.a_batch.insert(p.a_batch.end(), a.begin(), a.end() - 2);
  p.b_batch.assign(r - rb, 1);
  p.b_batch.insert(p.b_batch.end(), b.begin(), b.end() - 2);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = p.a_batch[i], db = p.b_batch[i];
    int64_t d;
    if (da == 1) d = db;
    else if (db == 1) d = da;
    else if (!Known(da) || !Known(db)) d = Known(da) ? da : db;
    else if (da == db) d = da;
    else {
      return Fail(n, "batch dims of A " + a_in.ToString() + " and B " + b_in.ToString() + " do not broadcast (" +
                         std::to_string(da) + " vs " + std::to_string(db) + ")");
    }
    p.batch.push_back(d);
  }
  std::vector<int64_t> out = p.batch;
  if (!a1) out.push_back(p.m);
  if (!b1) out.push_back(p.n);
  p.out = Shape(out);
  return p;
}

void MatMulRef(const MatMulParams& p, const float* a, const float* b, float* y) {
  const size_t r = p.batch.size();
  int64_t nb = 1;
  for (int64_t d : p.batch) nb *= d;
  std::vector<int64_t> idx(r, 0);
  for (int64_t bi = 0; bi < nb; ++bi) {
    // Operand batch offsets from the output batch index (broadcast dims contribute 0).
    int64_t ao = 0, bo = 0;
    for (size_t i = 0; i < r; ++i) {
      ao = ao * p.a_batch[i] + (p.a_batch[i] == 1 ? 0 : idx[i]);
      bo = bo * p.b_batch[i] + (p.b_batch[i] == 1 ? 0 : idx[i]);
    }
    const float* ab = a + ao * p.m * p.k;
    const float* bb = b + bo * p.k * p.n;
    float* yb = y + bi * p.m * p.n;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        float acc = 0.f;
        for (int64_t t = 0; t < p.k; ++t) acc += ab[i * p.k + t] * bb[t * p.n + j];
        yb[i * p.n + j] = acc;
      }
    }
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < p.batch[i]) break;
      idx[i] = 0;
    }
  }
}

Status InferGemm(InferContext& ctx) {
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 0, "A"));
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 1, "B"));
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 2, "C"));
  EI_ASSIGN_OR_RETURN(GemmParams p, ParseGemm(ctx.node, ctx.in_shape[0], ctx.in_shape[1],
                                              ctx.HasInput(2) ? &ctx.in_shape[2] : nullptr));
  ctx.SetOutput(0, DType::kFloat32, Shape{p.m, p.n});
  return Status::Ok();
}

Status InferMatMul(InferContext& ctx) {
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 0, "A"));
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 1, "B"));
  EI_ASSIGN_OR_RETURN(MatMulParams p, ParseMatMul(ctx.node, ctx.in_shape[0], ctx.in_shape[1]));
  ctx.SetOutput(0, DType::kFloat32, p.out);
  return Status::Ok();
}

Status GemmReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  const bool has_c = in.size() > 2 && in[2];
  Shape cs = has_c ? in[2]->shape() : Shape();
  EI_ASSIGN_OR_RETURN(GemmParams p, ParseGemm(node, in[0]->shape(), in[1]->shape(), has_c ? &cs : nullptr));
  GemmRef(p, in[0]->data<float>(), in[1]->data<float>(), has_c ? in[2]->data<float>() : nullptr,
          out[0]->data<float>());
  return Status::Ok();
}

Status MatMulReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  EI_ASSIGN_OR_RETURN(MatMulParams p, ParseMatMul(node, in[0]->shape(), in[1]->shape()));
  MatMulRef(p, in[0]->data<float>(), in[1]->data<float>(), out[0]->data<float>());
  return Status::Ok();
}

}  // namespace edgeinfer::ops
