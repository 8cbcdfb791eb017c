// Conv / ConvTranspose reference. Steps: ParseConv validates attributes against shapes and resolves
// auto_pad into explicit pads; the kernels are direct loop nests (gather for Conv, scatter for
// ConvTranspose) over a 3-D normalised spatial index. Naive on purpose: this is the golden.
#include "graph/ops/conv.h"

#include <algorithm>
#include <array>

namespace edgeinfer::ops {
namespace {

std::string Join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

Status Fail(const Node& n, const std::string& rule) { return Status::Error(n.op + " '" + n.name + "': " + rule); }

// Reads an int list attribute of `len` entries (default `def` each); checks length and minimum.
Result<std::vector<int64_t>> SpatialAttr(const Node& n, const char* name, size_t len, int64_t def, int64_t min) {
  std::vector<int64_t> v = n.attrs.GetInts(name, std::vector<int64_t>(len, def));
  if (v.size() != len) {
    return Fail(n, std::string(name) + "=" + Join(v) + " has " + std::to_string(v.size()) + " entries; expected " +
                       std::to_string(len) + " (one per spatial axis" + (std::string(name) == "pads" ? ", begin then end)" : ")"));
  }
  for (int64_t x : v) {
    if (x < min) return Fail(n, std::string(name) + "=" + Join(v) + " has an entry below " + std::to_string(min));
  }
  return v;
}

// Normalised 3-D view of a spatial vector: leading entries get `fill`.
std::array<int64_t, 3> To3(const std::vector<int64_t>& v, int64_t fill) {
  std::array<int64_t, 3> a{fill, fill, fill};
  size_t off = 3 - v.size();
  for (size_t i = 0; i < v.size(); ++i) a[off + i] = v[i];
  return a;
}

// Checks shared by Conv and ConvTranspose: ranks, kernel_shape vs W, strides/dilations/pads.
Status CommonParse(const Node& n, const Shape& x, const Shape& w, ConvParams* p) {
  if (x.rank() < 3 || x.rank() > 5) {
    return Fail(n, "input X has rank " + std::to_string(x.rank()) + " " + x.ToString() +
                       "; supported are 3 to 5 (N, C and 1 to 3 spatial dims)");
  }
  if (w.rank() != x.rank()) {
    return Fail(n, "weight W has rank " + std::to_string(w.rank()) + " " + w.ToString() + " but X has rank " +
                       std::to_string(x.rank()) + " " + x.ToString() + " (rule: W rank equals X rank)");
  }
  p->spatial = x.rank() - 2;
  size_t sp = p->spatial;
  p->batch = x[0];
  p->in_channels = x[1];
  p->group = n.attrs.GetInt("group", 1);
  if (p->group < 1) return Fail(n, "group=" + std::to_string(p->group) + " must be >= 1");
  p->kernel.assign(w.dims.begin() + 2, w.dims.end());
  for (int64_t k : p->kernel) {
    if (k < 1) return Fail(n, "weight W " + w.ToString() + " must have static positive kernel dims");
  }
  if (n.attrs.Has("kernel_shape")) {
    std::vector<int64_t> ks = n.attrs.GetInts("kernel_shape");
    if (ks != p->kernel) {
      return Fail(n, "kernel_shape=" + Join(ks) + " disagrees with weight W " + w.ToString() +
                         " (rule: kernel_shape equals W's spatial dims)");
    }
  }
  EI_ASSIGN_OR_RETURN(p->strides, SpatialAttr(n, "strides", sp, 1, 1));
  EI_ASSIGN_OR_RETURN(p->dilations, SpatialAttr(n, "dilations", sp, 1, 1));
  std::vector<int64_t> pads = n.attrs.GetInts("pads", std::vector<int64_t>(2 * sp, 0));
  if (pads.size() != 2 * sp) {
    return Fail(n, "pads=" + Join(pads) + " has " + std::to_string(pads.size()) + " entries; expected " +
                       std::to_string(2 * sp) + " (begin and end per spatial axis)");
  }
  for (int64_t v : pads) {
    if (v < 0) return Fail(n, "pads=" + Join(pads) + " has a negative entry");
  }
  p->pads_begin.assign(pads.begin(), pads.begin() + static_cast<long>(sp));
  p->pads_end.assign(pads.begin() + static_cast<long>(sp), pads.end());
  p->in_dims.assign(x.dims.begin() + 2, x.dims.end());
  return Status::Ok();
}

}  // namespace

Result<AutoPad> ParseAutoPad(const Node& node) {
  std::string s = node.attrs.GetString("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  return Fail(node, "auto_pad='" + s + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
}

int64_t WindowOutDim(int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t pad_begin, int64_t pad_end,
                     bool ceil_mode) {
  if (in < 0) return kDynamic;
  int64_t span = in + pad_begin + pad_end - DilatedKernel(k, dilation);
  if (span < 0) return 0;
  if (!ceil_mode) return span / stride + 1;
  int64_t out = (span + stride - 1) / stride + 1;
  // The last window must start inside the input or the left padding.
  if ((out - 1) * stride >= in + pad_begin) --out;
  return out;
}

void ResolveAutoPad(AutoPad mode, int64_t in, int64_t k, int64_t stride, int64_t dilation, int64_t* pad_begin,
                    int64_t* pad_end) {
  if (mode == AutoPad::kNotSet) return;
  if (mode == AutoPad::kValid || in < 0) {
    *pad_begin = *pad_end = 0;
    return;
  }
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>(0, (out - 1) * stride + DilatedKernel(k, dilation) - in);
  if (mode == AutoPad::kSameUpper) {
    *pad_begin = total / 2;
    *pad_end = total - total / 2;
  } else {
    *pad_begin = total - total / 2;
    *pad_end = total / 2;
  }
}

Shape ConvParams::OutputShape() const {
  std::vector<int64_t> d = {batch, out_channels};
  d.insert(d.end(), out_dims.begin(), out_dims.end());
  return Shape(d);
}

Result<ConvParams> ParseConv(const Node& n, const Shape& x, const Shape& w) {
  ConvParams p;
  EI_RETURN_IF_ERROR(CommonParse(n, x, w, &p));
  p.out_channels = w[0];
  if (p.in_channels >= 0 && p.in_channels % p.group != 0) {
    return Fail(n, "group=" + std::to_string(p.group) + " does not divide " + std::to_string(p.in_channels) +
                       " input channels");
  }
  if (p.out_channels % p.group != 0) {
    return Fail(n, "group=" + std::to_string(p.group) + " does not divide " + std::to_string(p.out_channels) +
                       " output channels (W " + w.ToString() + ")");
  }
  if (p.in_channels >= 0 && w[1] * p.group != p.in_channels) {
    return Fail(n, "weight W " + w.ToString() + " has " + std::to_string(w[1]) + " channels per group but X " +
                       x.ToString() + " has " + std::to_string(p.in_channels) + " channels / group=" +
                       std::to_string(p.group) + " (rule: W[1] * group == C)");
  }
  EI_ASSIGN_OR_RETURN(AutoPad ap, ParseAutoPad(n));
  for (size_t i = 0; i < p.spatial; ++i) {
    ResolveAutoPad(ap, p.in_dims[i], p.kernel[i], p.strides[i], p.dilations[i], &p.pads_begin[i], &p.pads_end[i]);
    if (p.in_dims[i] >= 0 && p.in_dims[i] + p.pads_begin[i] + p.pads_end[i] <
                                 DilatedKernel(p.kernel[i], p.dilations[i])) {
      return Fail(n, "kernel " + std::to_string(p.kernel[i]) + " (dilation " + std::to_string(p.dilations[i]) +
                         ") on spatial axis " + std::to_string(i) + " is larger than the padded input " +
                         std::to_string(p.in_dims[i] + p.pads_begin[i] + p.pads_end[i]) +
                         " (rule: (k-1)*dilation+1 <= in + pads)");
    }
    p.out_dims.push_back(
        WindowOutDim(p.in_dims[i], p.kernel[i], p.strides[i], p.dilations[i], p.pads_begin[i], p.pads_end[i]));
  }
  return p;
}

Result<ConvParams> ParseConvTranspose(const Node& n, const Shape& x, const Shape& w) {
  ConvParams p;
  p.transpose = true;
  EI_RETURN_IF_ERROR(CommonParse(n, x, w, &p));
  if (p.in_channels >= 0 && w[0] != p.in_channels) {
    return Fail(n, "weight W " + w.ToString() + " has " + std::to_string(w[0]) + " input channels but X " +
                       x.ToString() + " has " + std::to_string(p.in_channels) + " (rule: W[0] == C)");
  }
  if (w[0] % p.group != 0) {
    return Fail(n, "group=" + std::to_string(p.group) + " does not divide " + std::to_string(w[0]) +
                       " input channels");
  }
  p.out_channels = w[1] * p.group;
  size_t sp = p.spatial;
  EI_ASSIGN_OR_RETURN(p.output_padding, SpatialAttr(n, "output_padding", sp, 0, 0));
  for (size_t i = 0; i < sp; ++i) {
    if (p.output_padding[i] >= std::max(p.strides[i], p.dilations[i])) {
      return Fail(n, "output_padding=" + Join(p.output_padding) + " must be below the stride or dilation on axis " +
                         std::to_string(i));
    }
  }
  EI_ASSIGN_OR_RETURN(AutoPad ap, ParseAutoPad(n));
  std::vector<int64_t> out_shape = n.attrs.GetInts("output_shape");
  if (out_shape.size() == sp + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty() && out_shape.size() != sp) {
    return Fail(n, "output_shape=" + Join(out_shape) + " has " + std::to_string(out_shape.size()) +
                       " entries; expected " + std::to_string(sp));
  }
  if (out_shape.empty() && (ap == AutoPad::kSameUpper || ap == AutoPad::kSameLower)) {
    for (size_t i = 0; i < sp; ++i) out_shape.push_back(p.in_dims[i] < 0 ? kDynamic : p.in_dims[i] * p.strides[i]);
  }
  for (size_t i = 0; i < sp; ++i) {
    int64_t full = p.in_dims[i] < 0 ? kDynamic
                                    : p.strides[i] * (p.in_dims[i] - 1) + p.output_padding[i] +
                                          DilatedKernel(p.kernel[i], p.dilations[i]);
    if (ap == AutoPad::kValid) p.pads_begin[i] = p.pads_end[i] = 0;
    if (!out_shape.empty()) {
      if (full >= 0 && out_shape[i] >= 0) {
        // ONNX splits total padding with floor division; a negative total (output_shape larger
        // than the full result) acts as extra output padding at the end, as in ONNX's reference.
        const int64_t total = full - out_shape[i];
        const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
        if (ap == AutoPad::kSameUpper) {
          p.pads_begin[i] = half;
          p.pads_end[i] = total - half;
        } else {
          p.pads_begin[i] = total - half;
          p.pads_end[i] = half;
        }
        if (out_shape[i] < 1) return Fail(n, "output_shape=" + Join(out_shape) + " has a non-positive entry");
      }
      p.out_dims.push_back(out_shape[i]);
    } else {
      int64_t o = full < 0 ? kDynamic : full - p.pads_begin[i] - p.pads_end[i];
      if (full >= 0 && o < 1) {
        return Fail(n, "pads remove the whole output on axis " + std::to_string(i) + " (full extent " +
                           std::to_string(full) + ")");
      }
      p.out_dims.push_back(o);
    }
  }
  return p;
}

// Valid output range [lo, hi) along one axis for kernel tap t: 0 <= o*s - pb + t*d < in.
static void TapRange(int64_t in, int64_t out, int64_t s, int64_t d, int64_t pb, int64_t t, int64_t* lo, int64_t* hi) {
  const int64_t off = t * d - pb;  // input index = o*s + off
  *lo = off >= 0 ? 0 : (-off + s - 1) / s;
  *hi = in - off <= 0 ? 0 : std::min(out, (in - off + s - 1) / s);
  if (*hi < *lo) *hi = *lo;
}

// Direct convolution, weight-stationary: each output plane starts at the bias and receives
// w[m,c,k] * (shifted, strided input plane) for c, then k in row-major order, so every output
// element sums its terms in (c, k0, k1, k2) order. Tap ranges are computed per row instead of a
// bounds test per multiply; the arithmetic is the plain definition.
void ConvRef(const ConvParams& p, const float* x, const float* w, const float* b, float* y) {
  const auto id = To3(p.in_dims, 1), od = To3(p.out_dims, 1), k = To3(p.kernel, 1), s = To3(p.strides, 1),
             d = To3(p.dilations, 1), pb = To3(p.pads_begin, 0);
  const int64_t cg = p.in_channels / p.group, mg = p.out_channels / p.group;
  const int64_t in_sz = id[0] * id[1] * id[2], out_sz = od[0] * od[1] * od[2], k_sz = k[0] * k[1] * k[2];
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.out_channels; ++m) {
      const int64_t g = m / mg;
      float* ym = y + (n * p.out_channels + m) * out_sz;
      std::fill(ym, ym + out_sz, b ? b[m] : 0.f);
      for (int64_t c = 0; c < cg; ++c) {
        const float* xc = x + (n * p.in_channels + g * cg + c) * in_sz;
        const float* wc = w + (m * cg + c) * k_sz;
        for (int64_t k0 = 0; k0 < k[0]; ++k0) {
          int64_t lo0, hi0;
          TapRange(id[0], od[0], s[0], d[0], pb[0], k0, &lo0, &hi0);
          for (int64_t k1 = 0; k1 < k[1]; ++k1) {
            int64_t lo1, hi1;
            TapRange(id[1], od[1], s[1], d[1], pb[1], k1, &lo1, &hi1);
            for (int64_t k2 = 0; k2 < k[2]; ++k2) {
              int64_t lo2, hi2;
              TapRange(id[2], od[2], s[2], d[2], pb[2], k2, &lo2, &hi2);
              const float wv = wc[(k0 * k[1] + k1) * k[2] + k2];
              for (int64_t o0 = lo0; o0 < hi0; ++o0) {
                const int64_t i0 = o0 * s[0] - pb[0] + k0 * d[0];
                for (int64_t o1 = lo1; o1 < hi1; ++o1) {
                  const int64_t i1 = o1 * s[1] - pb[1] + k1 * d[1];
                  const int64_t xr = (i0 * id[1] + i1) * id[2] - pb[2] + k2 * d[2];  // + o2*s2: input index
                  float* yr = ym + (o0 * od[1] + o1) * od[2];
                  if (s[2] == 1) {
                    for (int64_t o2 = lo2; o2 < hi2; ++o2) yr[o2] += wv * xc[xr + o2];
                  } else {
                    for (int64_t o2 = lo2; o2 < hi2; ++o2) yr[o2] += wv * xc[xr + o2 * s[2]];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

void ConvTransposeRef(const ConvParams& p, const float* x, const float* w, const float* b, float* y) {
  const auto id = To3(p.in_dims, 1), od = To3(p.out_dims, 1), k = To3(p.kernel, 1), s = To3(p.strides, 1),
             d = To3(p.dilations, 1), pb = To3(p.pads_begin, 0);
  const int64_t cg = p.in_channels / p.group, mg = p.out_channels / p.group;
  const int64_t in_sz = id[0] * id[1] * id[2], out_sz = od[0] * od[1] * od[2], k_sz = k[0] * k[1] * k[2];
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.out_channels; ++m) {
      float* ym = y + (n * p.out_channels + m) * out_sz;
      std::fill(ym, ym + out_sz, b ? b[m] : 0.f);
    }
    for (int64_t c = 0; c < p.in_channels; ++c) {
      const int64_t g = c / cg;
      const float* xc = x + (n * p.in_channels + c) * in_sz;
      for (int64_t mi = 0; mi < mg; ++mi) {
        const int64_t m = g * mg + mi;
        const float* wc = w + (c * mg + mi) * k_sz;
        float* ym = y + (n * p.out_channels + m) * out_sz;
        for (int64_t i0 = 0; i0 < id[0]; ++i0) {
          for (int64_t i1 = 0; i1 < id[1]; ++i1) {
            for (int64_t i2 = 0; i2 < id[2]; ++i2) {
              const float xv = xc[(i0 * id[1] + i1) * id[2] + i2];
              for (int64_t k0 = 0; k0 < k[0]; ++k0) {
                const int64_t o0 = i0 * s[0] - pb[0] + k0 * d[0];
                if (o0 < 0 || o0 >= od[0]) continue;
                for (int64_t k1 = 0; k1 < k[1]; ++k1) {
                  const int64_t o1 = i1 * s[1] - pb[1] + k1 * d[1];
                  if (o1 < 0 || o1 >= od[1]) continue;
                  for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                    const int64_t o2 = i2 * s[2] - pb[2] + k2 * d[2];
                    if (o2 < 0 || o2 >= od[2]) continue;
                    ym[(o0 * od[1] + o1) * od[2] + o2] += xv * wc[(k0 * k[1] + k1) * k[2] + k2];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

Status RequireFloat32(const InferContext& ctx, size_t input, const char* what) {
  if (!ctx.HasInput(input) || ctx.in_dtype[input] == DType::kFloat32) return Status::Ok();
  return ctx.Fail(std::string("input ") + what + " is " + DTypeName(ctx.in_dtype[input]) +
                  "; the reference kernel runs float only");
}

namespace {

Status InferConvCommon(InferContext& ctx, bool transpose) {
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 0, "X"));
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 1, "W"));
  EI_RETURN_IF_ERROR(RequireFloat32(ctx, 2, "B"));
  const Shape& x = ctx.in_shape[0];
  const Shape& w = ctx.in_shape[1];
  EI_ASSIGN_OR_RETURN(ConvParams p, transpose ? ParseConvTranspose(ctx.node, x, w) : ParseConv(ctx.node, x, w));
  if (ctx.HasInput(2)) {
    const Shape& b = ctx.in_shape[2];
    if (b.rank() != 1 || b[0] != p.out_channels) {
      return ctx.Fail("bias B " + b.ToString() + " must be [" + std::to_string(p.out_channels) +
                      "] (one per output channel)");
    }
  }
  ctx.SetOutput(0, DType::kFloat32, p.OutputShape());
  return Status::Ok();
}

Status RunConv(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
               bool transpose) {
  auto pr = transpose ? ParseConvTranspose(node, in[0]->shape(), in[1]->shape())
                      : ParseConv(node, in[0]->shape(), in[1]->shape());
  if (!pr.ok()) return pr.status();
  const float* b = in.size() > 2 && in[2] ? in[2]->data<float>() : nullptr;
  if (transpose) {
    ConvTransposeRef(*pr, in[0]->data<float>(), in[1]->data<float>(), b, out[0]->data<float>());
  } else {
    ConvRef(*pr, in[0]->data<float>(), in[1]->data<float>(), b, out[0]->data<float>());
  }
  return Status::Ok();
}

}  // namespace

Status InferConv(InferContext& ctx) { return InferConvCommon(ctx, false); }
Status InferConvTranspose(InferContext& ctx) { return InferConvCommon(ctx, true); }
Status ConvReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  return RunConv(node, in, out, false);
}
Status ConvTransposeReference(const Node& node, const std::vector<const Tensor*>& in,
                              const std::vector<Tensor*>& out) {
  return RunConv(node, in, out, true);
}

}  // namespace edgeinfer::ops
