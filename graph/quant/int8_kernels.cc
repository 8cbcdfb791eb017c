#include "graph/quant/int8_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace edgeinfer::int8 {

namespace {
// Resolves one spatial axis' pads for auto_pad SAME_UPPER / SAME_LOWER as ONNX defines them.
void SamePads(int64_t in, int64_t k, int64_t stride, int64_t dil, bool upper, int64_t* begin, int64_t* end) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>(0, (out - 1) * stride + (k - 1) * dil + 1 - in);
  *begin = upper ? total / 2 : total - total / 2;
  *end = total - *begin;
}
}  // namespace

Result<Conv2DGeometry> ResolveConv2D(const Attributes& attrs, const std::vector<int64_t>& x_dims,
                                     const std::vector<int64_t>& w_dims) {
  if (x_dims.size() != 4 || w_dims.size() != 4) {
    return Status::Error("INT8 convolution is defined for 2-D (NCHW) inputs; got rank " + std::to_string(x_dims.size()));
  }
  Conv2DGeometry g;
  g.n = x_dims[0];
  g.c = x_dims[1];
  g.h = x_dims[2];
  g.w = x_dims[3];
  g.k = w_dims[0];
  g.r = w_dims[2];
  g.s = w_dims[3];
  g.group = attrs.GetInt("group", 1);
  if (g.group <= 0 || g.c % g.group != 0 || g.k % g.group != 0) {
    return Status::Error("group=" + std::to_string(g.group) + " does not divide " + std::to_string(g.c) +
                         " input and " + std::to_string(g.k) + " output channels");
  }
  if (w_dims[1] * g.group != g.c) {
    return Status::Error("weights have " + std::to_string(w_dims[1]) + " input channels per group; input has " +
                         std::to_string(g.c) + " channels in " + std::to_string(g.group) + " groups");
  }
  auto strides = attrs.GetInts("strides", {1, 1});
  auto dil = attrs.GetInts("dilations", {1, 1});
  auto pads = attrs.GetInts("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) {
    return Status::Error("strides/dilations/pads must have 2/2/4 entries for a 2-D convolution");
  }
  g.stride_h = strides[0];
  g.stride_w = strides[1];
  g.dil_h = dil[0];
  g.dil_w = dil[1];
  g.pad_t = pads[0];
  g.pad_l = pads[1];
  g.pad_b = pads[2];
  g.pad_r = pads[3];
  const std::string auto_pad = attrs.GetString("auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    bool upper = auto_pad == "SAME_UPPER";
    SamePads(g.h, g.r, g.stride_h, g.dil_h, upper, &g.pad_t, &g.pad_b);
    SamePads(g.w, g.s, g.stride_w, g.dil_w, upper, &g.pad_l, &g.pad_r);
  } else if (auto_pad == "VALID") {
    g.pad_t = g.pad_l = g.pad_b = g.pad_r = 0;
  } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
    return Status::Error("auto_pad='" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  if (g.stride_h <= 0 || g.stride_w <= 0 || g.dil_h <= 0 || g.dil_w <= 0) {
    return Status::Error("strides and dilations must be positive");
  }
  g.oh = (g.h + g.pad_t + g.pad_b - g.dil_h * (g.r - 1) - 1) / g.stride_h + 1;
  g.ow = (g.w + g.pad_l + g.pad_r - g.dil_w * (g.s - 1) - 1) / g.stride_w + 1;
  if (g.oh <= 0 || g.ow <= 0) return Status::Error("the kernel is larger than the padded input");
  return g;
}

void ConvAccumulate(const Conv2DGeometry& g, const int8_t* x, const int8_t* w, const int32_t* bias, int32_t* acc) {
  const int64_t cg = g.c / g.group;   // input channels per group
  const int64_t kg = g.k / g.group;   // output channels per group
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t k = 0; k < g.k; ++k) {
      const int64_t grp = k / kg;
      const int8_t* wk = w + k * cg * g.r * g.s;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          int32_t sum = bias ? bias[k] : 0;
          for (int64_t c = 0; c < cg; ++c) {
            const int8_t* xc = x + ((n * g.c) + grp * cg + c) * g.h * g.w;
            for (int64_t r = 0; r < g.r; ++r) {
              const int64_t iy = oy * g.stride_h - g.pad_t + r * g.dil_h;
              if (iy < 0 || iy >= g.h) continue;
              for (int64_t s = 0; s < g.s; ++s) {
                const int64_t ix = ox * g.stride_w - g.pad_l + s * g.dil_w;
                if (ix < 0 || ix >= g.w) continue;
                sum += static_cast<int32_t>(xc[iy * g.w + ix]) * static_cast<int32_t>(wk[(c * g.r + r) * g.s + s]);
              }
            }
          }
          acc[((n * g.k + k) * g.oh + oy) * g.ow + ox] = sum;
        }
      }
    }
  }
}

void GemmAccumulate(int64_t m, int64_t n, int64_t k, const int8_t* a, const int8_t* b, bool b_transposed,
                    const int32_t* bias, int32_t* acc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int32_t sum = bias ? bias[j] : 0;
      for (int64_t p = 0; p < k; ++p) {
        const int8_t bv = b_transposed ? b[j * k + p] : b[p * n + j];
        sum += static_cast<int32_t>(a[i * k + p]) * static_cast<int32_t>(bv);
      }
      acc[i * n + j] = sum;
    }
  }
}

std::array<int8_t, 256> BuildActivationLut(const ops::ActParams& act, float in_scale, float out_scale) {
  std::array<int8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) {
    const float x = static_cast<float>(i - 128) * in_scale;
    lut[static_cast<size_t>(i)] = QuantizeToInt8(ops::ApplyActivation(act, x), out_scale);
  }
  return lut;
}

namespace {
int32_t BoundToInt8Domain(float real, float scale) {
  if (std::isinf(real)) return real < 0 ? -128 : 127;
  double q = std::nearbyint(static_cast<double>(real) / static_cast<double>(scale));
  if (q < -128.0) return -128;
  if (q > 127.0) return 127;
  return static_cast<int32_t>(q);
}
}  // namespace

Result<Epilogue> MakeEpilogue(const ops::ActParams& act, bool has_act, float x_scale, const std::vector<float>& w_scale,
                              float y_scale, float act_in_scale, bool has_residual, float r_scale) {
  if (!(x_scale > 0.f) || !(y_scale > 0.f) || w_scale.empty()) {
    return Status::Error("INT8 node needs positive x_scale, y_scale and a w_scale per output channel");
  }
  Epilogue e;
  float t_scale = y_scale;
  if (has_act) {
    switch (act.kind) {
      case ops::ActKind::kRelu: e.mode = Epilogue::Mode::kRelu; break;
      case ops::ActKind::kClip:
        e.mode = Epilogue::Mode::kClamp;
        e.lo = BoundToInt8Domain(act.min, y_scale);
        e.hi = BoundToInt8Domain(act.max, y_scale);
        break;
      case ops::ActKind::kIdentity: e.mode = Epilogue::Mode::kNone; break;
      default:
        if (!(act_in_scale > 0.f)) {
          return Status::Error("INT8 activation through a LUT needs a positive act_in_scale (the scale of the "
                               "pre-activation tensor)");
        }
        e.mode = Epilogue::Mode::kLut;
        t_scale = act_in_scale;
        e.lut = BuildActivationLut(act, act_in_scale, y_scale);
        break;
    }
  }
  for (float ws : w_scale) {
    if (!(ws > 0.f)) return Status::Error("INT8 weight scales must be positive");
    e.m.push_back(QuantizeMultiplier(static_cast<double>(x_scale) * static_cast<double>(ws) / static_cast<double>(t_scale)));
  }
  e.has_residual = has_residual;
  if (has_residual) {
    if (!(r_scale > 0.f)) return Status::Error("INT8 residual needs a positive r_scale");
    e.m_r = QuantizeMultiplier(static_cast<double>(r_scale) / static_cast<double>(t_scale));
  }
  return e;
}

void GlobalAveragePoolRequant(int64_t planes, int64_t hw, const int8_t* x, Multiplier m, int8_t* y) {
  for (int64_t i = 0; i < planes; ++i) {
    int32_t sum = 0;
    for (int64_t k = 0; k < hw; ++k) sum += x[i * hw + k];
    y[i] = SaturateInt8(MulByQuantizedMultiplier(sum, m));
  }
}

Result<Multiplier> GlobalAveragePoolMultiplier(float x_scale, float y_scale, int64_t hw) {
  if (!(x_scale > 0.f) || !(y_scale > 0.f)) return Status::Error("INT8 GlobalAveragePool needs positive x_scale and y_scale");
  if (hw <= 0 || hw > (int64_t{1} << 24)) return Status::Error("INT8 GlobalAveragePool: " + std::to_string(hw) + " elements per map (1 to 2^24)");
  return QuantizeMultiplier(static_cast<double>(x_scale) / (static_cast<double>(hw) * static_cast<double>(y_scale)));
}

void Pool2D(const Pool2DParams& p, int64_t n, int64_t c, int64_t h, int64_t w, const int8_t* x, int64_t oh, int64_t ow,
            int8_t* y) {
  for (int64_t nc = 0; nc < n * c; ++nc) {
    const int8_t* xp = x + nc * h * w;
    int8_t* yp = y + nc * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t y0 = oy * p.stride_h - p.pad_t, x0 = ox * p.stride_w - p.pad_l;
        const int64_t y1 = y0 + p.kh, x1 = x0 + p.kw;
        if (p.is_max) {
          int32_t best = -129;
          for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y1, h); ++iy)
            for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x1, w); ++ix) best = std::max<int32_t>(best, xp[iy * w + ix]);
          yp[oy * ow + ox] = static_cast<int8_t>(best < -128 ? -128 : best);   // an all-padding window gives -128
        } else {
          int32_t sum = 0, valid = 0;
          for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y1, h); ++iy)
            for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x1, w); ++ix) { sum += xp[iy * w + ix]; ++valid; }
          int32_t count = valid;
          if (p.count_include_pad) {
            // Elements inside the padded input count; ceil_mode overhang beyond the pads does not.
            const int64_t cy = std::min(y1, h + p.pad_b) - std::max(y0, -p.pad_t);
            const int64_t cx = std::min(x1, w + p.pad_r) - std::max(x0, -p.pad_l);
            count = static_cast<int32_t>(cy * cx);
          }
          yp[oy * ow + ox] = count > 0 ? SaturateInt8(RoundedDivide(sum, count)) : 0;
        }
      }
    }
  }
}

}  // namespace edgeinfer::int8
