// Resize reference. Steps: (1) output extents from sizes or floor(in*scale) (keep_aspect_ratio
// for sizes); (2) per axis and output coordinate, map to an input coordinate with the coordinate
// transformation mode and turn it into taps: nearest -> one index, linear -> 2, cubic -> 4
// (Keys kernel with coefficient a, optionally excluding outside taps and renormalising); indices
// are clamped to the edge, as ONNX's reference pads with edge values; (3) each output element is
// the sum over the product of its axes' taps (zero-weight taps are dropped, so unresized axes
// cost nothing). Doing the N-D sum directly (rather than one pass per axis) mirrors the ONNX
// definition and keeps tf_crop_and_resize's extrapolation exact.
#include "graph/ops/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace edgeinfer::ops {
namespace {

Status Fail(const Node& n, const std::string& rule) { return Status::Error(n.op + " '" + n.name + "': " + rule); }

bool Present(const Tensor* t) { return t != nullptr && t->numel() > 0; }

double CubicCoeff(double a, double x) {
  x = std::fabs(x);
  if (x <= 1.0) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2.0) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0.0;
}

}  // namespace

Result<ResizeParams> ParseResize(const Node& n, const Shape& x, const Tensor* roi, const Tensor* scales,
                                 const Tensor* sizes) {
  ResizeParams p;
  const std::string mode = n.attrs.GetString("mode", "nearest");
  if (mode == "nearest") p.mode = ResizeMode::kNearest;
  else if (mode == "linear" || mode == "bilinear" || mode == "trilinear") p.mode = ResizeMode::kLinear;
  else if (mode == "cubic" || mode == "bicubic") p.mode = ResizeMode::kCubic;
  else return Fail(n, "mode='" + mode + "' is not one of nearest, linear, cubic");
  p.coord_mode = n.attrs.GetString("coordinate_transformation_mode", "half_pixel");
  if (p.coord_mode == "tf_half_pixel_for_nn") p.coord_mode = "tf_half_pixel_for_nearest";  // spelling in early opset 11
  static const char* kCoordModes[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
                                      "asymmetric", "tf_half_pixel_for_nearest", "tf_crop_and_resize"};
  if (std::find_if(std::begin(kCoordModes), std::end(kCoordModes), [&](const char* m) { return p.coord_mode == m; }) ==
      std::end(kCoordModes)) {
    return Fail(n, "coordinate_transformation_mode='" + p.coord_mode + "' is not supported");
  }
  p.nearest_mode = n.attrs.GetString("nearest_mode", "round_prefer_floor");
  if (p.nearest_mode != "round_prefer_floor" && p.nearest_mode != "round_prefer_ceil" && p.nearest_mode != "floor" &&
      p.nearest_mode != "ceil") {
    return Fail(n, "nearest_mode='" + p.nearest_mode + "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");
  }
  p.cubic_a = n.attrs.GetFloat("cubic_coeff_a", -0.75f);
  p.exclude_outside = n.attrs.GetInt("exclude_outside", 0) != 0;
  p.extrapolation_value = n.attrs.GetFloat("extrapolation_value", 0.f);
  if (n.attrs.GetInt("antialias", 0) != 0) return Fail(n, "antialias=1 is not supported");

  const size_t r = x.rank();
  std::vector<int64_t> axes = n.attrs.GetInts("axes");
  if (axes.empty()) for (size_t i = 0; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
  for (int64_t& a : axes) {
    if (a < -static_cast<int64_t>(r) || a >= static_cast<int64_t>(r)) return Fail(n, "axes has an entry out of range for rank " + std::to_string(r));
    if (a < 0) a += static_cast<int64_t>(r);
  }
  p.in_dims = x.dims;
  p.out_dims = x.dims;
  p.scales.assign(r, 1.0);
  p.roi_start.assign(r, 0.0);
  p.roi_end.assign(r, 1.0);
  const bool has_scales = Present(scales), has_sizes = Present(sizes);
  if (has_scales == has_sizes) {
    return Fail(n, has_scales ? "both scales and sizes are given (rule: exactly one)"
                              : "neither scales nor sizes is given as a known value (rule: exactly one, constant)");
  }
  if (has_scales) {
    if (scales->numel() != static_cast<int64_t>(axes.size())) {
      return Fail(n, "scales has " + std::to_string(scales->numel()) + " entries; expected " + std::to_string(axes.size()));
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      const double s = scales->GetAsDouble(static_cast<int64_t>(i));
      if (!(s > 0)) return Fail(n, "scales[" + std::to_string(i) + "]=" + std::to_string(s) + " must be > 0");
      const size_t a = static_cast<size_t>(axes[i]);
      p.scales[a] = s;
      p.out_dims[a] = x[a] < 0 ? kDynamic : static_cast<int64_t>(std::floor(static_cast<double>(x[a]) * static_cast<float>(s)));
    }
  } else {
    if (sizes->numel() != static_cast<int64_t>(axes.size())) {
      return Fail(n, "sizes has " + std::to_string(sizes->numel()) + " entries; expected " + std::to_string(axes.size()));
    }
    const std::string policy = n.attrs.GetString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
      return Fail(n, "keep_aspect_ratio_policy='" + policy + "' is not one of stretch, not_larger, not_smaller");
    }
    double common = policy == "not_larger" ? 1e300 : 0.0;
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      const int64_t sz = sizes->GetAsInt64(static_cast<int64_t>(i));
      if (sz < 0) return Fail(n, "sizes[" + std::to_string(i) + "]=" + std::to_string(sz) + " is negative");
      if (x[a] <= 0) return Fail(n, "sizes needs a static, non-empty input extent on axis " + std::to_string(a));
      const double s = static_cast<double>(sz) / static_cast<double>(x[a]);
      p.scales[a] = s;
      p.out_dims[a] = sz;
      common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
    if (policy != "stretch") {
      for (int64_t a : axes) {
        p.scales[static_cast<size_t>(a)] = common;
        p.out_dims[static_cast<size_t>(a)] = static_cast<int64_t>(std::round(common * static_cast<double>(x[static_cast<size_t>(a)])));
      }
    }
  }
  if (p.coord_mode == "tf_crop_and_resize") {
    if (!Present(roi) || roi->numel() != static_cast<int64_t>(2 * axes.size())) {
      return Fail(n, "tf_crop_and_resize needs a constant roi of " + std::to_string(2 * axes.size()) + " entries");
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      p.roi_start[static_cast<size_t>(axes[i])] = roi->GetAsDouble(static_cast<int64_t>(i));
      p.roi_end[static_cast<size_t>(axes[i])] = roi->GetAsDouble(static_cast<int64_t>(axes.size() + i));
    }
  }
  return p;
}

ResizeTaps ComputeResizeTaps(const ResizeParams& p, size_t axis) {
  const int64_t in = p.in_dims[axis], out = p.out_dims[axis];
  const double scale = p.scales[axis];
  // ONNX's length_resized is in * scale before flooring (e.g. 2.4 for 4 * 0.6), so align_corners
  // and friends divide by it, not by the integer output extent; with sizes, scale = sizes/in.
  const double len_in = static_cast<double>(in), len_out = scale * len_in;
  ResizeTaps taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const double xo = static_cast<double>(o);
    double xi;
    const std::string& m = p.coord_mode;
    if (m == "half_pixel") {
      xi = (xo + 0.5) / scale - 0.5;
    } else if (m == "half_pixel_symmetric") {
      const double adj = static_cast<double>(out) / len_out;
      xi = len_in / 2 * (1 - adj) + (xo + 0.5) / scale - 0.5;
    } else if (m == "pytorch_half_pixel") {
      xi = len_out > 1 ? (xo + 0.5) / scale - 0.5 : 0.0;
    } else if (m == "align_corners") {
      xi = len_out == 1 ? 0.0 : xo * (len_in - 1) / (len_out - 1);
    } else if (m == "asymmetric") {
      xi = xo / scale;
    } else if (m == "tf_half_pixel_for_nearest") {
      xi = (xo + 0.5) / scale;
    } else {  // tf_crop_and_resize
      const double s = p.roi_start[axis], e = p.roi_end[axis];
      xi = len_out > 1 ? s * (len_in - 1) + xo * (e - s) * (len_in - 1) / (len_out - 1) : 0.5 * (s + e) * (len_in - 1);
      if (xi < 0 || xi > len_in - 1) continue;  // empty taps: extrapolate
    }
    auto& t = taps[static_cast<size_t>(o)];
    auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
    if (p.mode == ResizeMode::kNearest) {
      int64_t i;
      const double fl = std::floor(xi);
      if (p.nearest_mode == "floor") i = static_cast<int64_t>(fl);
      else if (p.nearest_mode == "ceil") i = static_cast<int64_t>(std::ceil(xi));
      else if (xi - fl == 0.5) i = static_cast<int64_t>(p.nearest_mode == "round_prefer_floor" ? fl : fl + 1);
      else i = static_cast<int64_t>(std::round(xi));
      t.emplace_back(clamp(i), 1.0);
    } else if (p.mode == ResizeMode::kLinear) {
      const double fl = std::floor(xi), f = xi - fl;
      const int64_t i0 = static_cast<int64_t>(fl);
      t.emplace_back(clamp(i0), 1.0 - f);
      t.emplace_back(clamp(i0 + 1), f);
    } else {
      const double fl = std::floor(xi), f = xi - fl;
      const int64_t i0 = static_cast<int64_t>(fl);
      double sum = 0;
      for (int64_t k = -1; k <= 2; ++k) {
        double w = CubicCoeff(p.cubic_a, static_cast<double>(k) - f);
        const int64_t i = i0 + k;
        if (p.exclude_outside && (i < 0 || i >= in)) w = 0;
        sum += w;
        t.emplace_back(clamp(i), w);
      }
      if (p.exclude_outside && sum != 0) for (auto& tw : t) tw.second /= sum;
    }
    t.erase(std::remove_if(t.begin(), t.end(), [](const auto& tw) { return tw.second == 0.0; }), t.end());
    if (t.empty()) t.emplace_back(clamp(static_cast<int64_t>(std::floor(xi))), 0.0);  // all-zero weights: value 0
  }
  return taps;
}

void ResizeRef(const ResizeParams& p, const float* x, float* y) {
  const size_t r = p.in_dims.size();
  std::vector<ResizeTaps> taps;
  for (size_t a = 0; a < r; ++a) taps.push_back(ComputeResizeTaps(p, a));
  const std::vector<int64_t> st = ContiguousStrides(p.in_dims);
  int64_t total = 1;
  for (int64_t d : p.out_dims) total *= d;
  std::vector<int64_t> idx(r, 0);
  for (int64_t o = 0; o < total; ++o) {
    bool outside = false;
    for (size_t a = 0; a < r; ++a) outside |= taps[a][static_cast<size_t>(idx[a])].empty();
    if (outside) {
      y[o] = p.extrapolation_value;
    } else {
      // Odometer over the taps of every axis.
      double acc = 0;
      std::vector<size_t> k(r, 0);
      while (true) {
        double w = 1;
        int64_t off = 0;
        for (size_t a = 0; a < r; ++a) {
          const auto& tw = taps[a][static_cast<size_t>(idx[a])][k[a]];
          w *= tw.second;
          off += tw.first * st[a];
        }
        acc += w * static_cast<double>(x[off]);
        size_t a = r;
        while (a-- > 0) {
          if (++k[a] < taps[a][static_cast<size_t>(idx[a])].size()) break;
          k[a] = 0;
        }
        if (a == static_cast<size_t>(-1)) break;
      }
      y[o] = static_cast<float>(acc);
    }
    for (size_t a = r; a-- > 0;) {
      if (++idx[a] < p.out_dims[a]) break;
      idx[a] = 0;
    }
  }
}

void ResizeNearestBytes(const ResizeParams& p, const void* x, void* y, size_t elem_size) {
  const size_t r = p.in_dims.size();
  std::vector<ResizeTaps> taps;
  for (size_t a = 0; a < r; ++a) taps.push_back(ComputeResizeTaps(p, a));
  const std::vector<int64_t> st = ContiguousStrides(p.in_dims);
  int64_t total = 1;
  for (int64_t d : p.out_dims) total *= d;
  std::vector<int64_t> idx(r, 0);
  const auto* xb = static_cast<const unsigned char*>(x);
  auto* yb = static_cast<unsigned char*>(y);
  for (int64_t o = 0; o < total; ++o) {
    int64_t off = 0;
    for (size_t a = 0; a < r; ++a) off += taps[a][static_cast<size_t>(idx[a])][0].first * st[a];
    std::memcpy(yb + static_cast<size_t>(o) * elem_size, xb + static_cast<size_t>(off) * elem_size, elem_size);
    for (size_t a = r; a-- > 0;) {
      if (++idx[a] < p.out_dims[a]) break;
      idx[a] = 0;
    }
  }
}

Status InferResize(InferContext& ctx) {
  if (ctx.in_dtype[0] != DType::kFloat32) {
    // Nearest only picks elements, so it runs on any dtype; interpolation is float only.
    const bool nearest = ctx.node.attrs.GetString("mode", "nearest") == "nearest" &&
                         ctx.node.attrs.GetString("coordinate_transformation_mode", "") != "tf_crop_and_resize";
    if (!nearest || DTypeSize(ctx.in_dtype[0]) == 0) {
      return ctx.Fail(std::string("input X is ") + DTypeName(ctx.in_dtype[0]) +
                      "; the reference kernel runs float, or any numeric dtype in nearest mode without tf_crop_and_resize");
    }
  }
  // roi/scales/sizes known (constants at compile time, always at run time): the exact shape.
  // Otherwise (a graph input, as in ONNX's node tests) the attributes are still validated against
  // stand-in values and the resized dims are left dynamic until run time.
  auto present = [&](size_t i) { return ctx.HasInput(i) && ctx.in_shape[i].NumElements() != 0; };
  auto known = [&](size_t i) { return !present(i) || ctx.in_value[i] != nullptr; };
  if (known(1) && known(2) && known(3)) {
    auto val = [&](size_t i) -> const Tensor* { return present(i) ? ctx.in_value[i] : nullptr; };
    EI_ASSIGN_OR_RETURN(ResizeParams p, ParseResize(ctx.node, ctx.in_shape[0], val(1), val(2), val(3)));
    ctx.SetOutput(0, ctx.in_dtype[0], Shape(p.out_dims));
    return Status::Ok();
  }
  const Shape& x = ctx.in_shape[0];
  std::vector<int64_t> axes = ctx.node.attrs.GetInts("axes");
  if (axes.empty()) for (size_t i = 0; i < x.rank(); ++i) axes.push_back(static_cast<int64_t>(i));
  const int64_t na = static_cast<int64_t>(axes.size());
  Tensor roi(DType::kFloat32, {2 * na}), scales(DType::kFloat32, {na});
  for (int64_t i = 0; i < na; ++i) {
    roi.data<float>()[na + i] = 1.f;
    scales.data<float>()[i] = 1.f;
  }
  EI_ASSIGN_OR_RETURN(ResizeParams p, ParseResize(ctx.node, x, &roi, &scales, nullptr));
  (void)p;
  std::vector<int64_t> out = x.dims;
  if (!known(2) || !known(3)) {
    for (int64_t a : axes) out[static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(x.rank()) : a)] = kDynamic;
  } else {
    auto val = [&](size_t i) -> const Tensor* { return present(i) ? ctx.in_value[i] : nullptr; };
    EI_ASSIGN_OR_RETURN(ResizeParams q, ParseResize(ctx.node, x, &roi, val(2), val(3)));
    out = q.out_dims;
  }
  ctx.SetOutput(0, ctx.in_dtype[0], Shape(out));
  return Status::Ok();
}

Status ResizeReference(const Node& node, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
  auto val = [&](size_t i) -> const Tensor* { return i < in.size() ? in[i] : nullptr; };
  EI_ASSIGN_OR_RETURN(ResizeParams p, ParseResize(node, in[0]->shape(), val(1), val(2), val(3)));
  if (in[0]->dtype() == DType::kFloat32) {
    ResizeRef(p, in[0]->data<float>(), out[0]->data<float>());
  } else {
    ResizeNearestBytes(p, in[0]->raw(), out[0]->raw(), DTypeSize(in[0]->dtype()));
  }
  return Status::Ok();
}

}  // namespace edgeinfer::ops
