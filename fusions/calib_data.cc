#include "fusions/calib_data.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include <yaml-cpp/yaml.h>

#include "graph/npy.h"

#include "fusions/imageio_abi.h"
#include "graph/plugin_loader.h"

namespace edgeinfer::fusions {

namespace fs = std::filesystem;

bool ProgressOnTerminal() {
  static const bool tty = ::isatty(::fileno(stderr)) == 1;
  return tty;
}

void ProgressBar(const std::string& label, int64_t done, int64_t total) {
  if (!ProgressOnTerminal()) return;
  constexpr int kWidth = 30;
  int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  // "\033[K" erases what a longer earlier label left to the right.
  if (done >= total) std::fprintf(stderr, "\r\033[K");
  else std::fprintf(stderr, "\r[%s] %lld/%lld %s\033[K", bar.c_str(), static_cast<long long>(done), static_cast<long long>(total), label.c_str());
  std::fflush(stderr);
}

Result<Preprocess> ParsePreprocess(const std::string& yaml_text, const std::string& what) {
  Preprocess p;
  YAML::Node y;
  try {
    y = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return Status::Error("preprocessing '" + what + "': not valid YAML: " + e.what());
  }
  if (!y || y.IsNull()) return p;
  if (!y.IsMap()) return Status::Error("preprocessing '" + what + "': expected a mapping of keys");
  auto ints = [&](const char* key, std::vector<int64_t>* out) -> Status {
    if (!y[key]) return Status::Ok();
    try {
      if (y[key].IsScalar()) *out = {y[key].as<int64_t>()};
      else *out = y[key].as<std::vector<int64_t>>();
    } catch (const YAML::Exception&) {
      return Status::Error("preprocessing '" + what + "': '" + key + "' must be an integer or [H, W]");
    }
    if (out->empty() || out->size() > 2) return Status::Error("preprocessing '" + what + "': '" + key + "' must be an integer or [H, W]");
    for (int64_t v : *out) if (v <= 0) return Status::Error("preprocessing '" + what + "': '" + key + "' must be positive");
    return Status::Ok();
  };
  try {
    for (auto it = y.begin(); it != y.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (k != "resize" && k != "crop" && k != "scale" && k != "mean" && k != "std" && k != "color" && k != "layout") {
        return Status::Error("preprocessing '" + what + "': unknown key '" + k + "' (resize, crop, scale, mean, std, color, layout)");
      }
    }
    EI_RETURN_IF_ERROR(ints("resize", &p.resize));
    EI_RETURN_IF_ERROR(ints("crop", &p.crop));
    if (y["scale"]) p.scale = y["scale"].as<float>();
    if (y["mean"]) p.mean = y["mean"].as<std::vector<float>>();
    if (y["std"]) p.std = y["std"].as<std::vector<float>>();
    if (y["color"]) {
      std::string c = y["color"].as<std::string>();
      if (c != "RGB" && c != "BGR") return Status::Error("preprocessing '" + what + "': color must be RGB or BGR, not '" + c + "'");
      p.rgb = c == "RGB";
    }
    if (y["layout"]) {
      std::string l = y["layout"].as<std::string>();
      if (l != "NCHW" && l != "NHWC") return Status::Error("preprocessing '" + what + "': layout must be NCHW or NHWC, not '" + l + "'");
      p.nchw = l == "NCHW";
    }
  } catch (const YAML::Exception& e) {
    return Status::Error("preprocessing '" + what + "': " + e.what());
  }
  if (p.mean.size() != 3 || p.std.size() != 3) return Status::Error("preprocessing '" + what + "': mean and std need 3 values");
  for (float s : p.std) if (!(s > 0.f)) return Status::Error("preprocessing '" + what + "': std values must be positive");
  if (!(p.scale > 0.f)) return Status::Error("preprocessing '" + what + "': scale must be positive");
  return p;
}

Result<Preprocess> LoadPreprocess(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::Error("cannot read preprocessing file '" + path + "'");
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  return ParsePreprocess(text, path);
}

namespace {

bool HasExt(const fs::path& p, std::initializer_list<const char*> exts) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  for (const char* x : exts) if (e == x) return true;
  return false;
}

Result<std::vector<Tensor>> SplitBatches(const Tensor& t, int64_t batch, int64_t max_samples) {
  std::vector<Tensor> out;
  if (t.rank() == 0) return Status::Error("calibration array is a scalar");
  int64_t n = t.dim(0);
  if (max_samples > 0) n = std::min(n, max_samples);
  const int64_t b = batch > 0 ? batch : n;
  const int64_t per = t.numel() / std::max<int64_t>(t.dim(0), 1);
  const size_t esize = DTypeSize(t.dtype());
  for (int64_t s = 0; s < n; s += b) {
    std::vector<int64_t> dims = t.dims();
    dims[0] = std::min(b, n - s);
    out.push_back(Tensor::FromBytes(t.dtype(), dims, static_cast<const char*>(t.raw()) + static_cast<size_t>(s * per) * esize));
  }
  return out;
}

}  // namespace

Result<std::vector<Tensor>> LoadCalibrationBatches(const std::string& path, const Shape& input_shape, int64_t batch,
                                                   const Preprocess& pre, int64_t max_samples, bool progress) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    if (!HasExt(path, {".npy"})) return Status::Error("calibration data '" + path + "': a file must be .npy (or give a folder)");
    EI_ASSIGN_OR_RETURN(Tensor t, ReadNpy(path));
    if (t.dtype() != DType::kFloat32) t = t.CastTo(DType::kFloat32);
    return SplitBatches(t, batch, max_samples);
  }
  if (!fs::is_directory(path, ec)) return Status::Error("calibration data '" + path + "' is neither a .npy file nor a folder");
  std::vector<fs::path> npys, images;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (!e.is_regular_file()) continue;
    if (HasExt(e.path(), {".npy"})) npys.push_back(e.path());
    if (HasExt(e.path(), {".jpg", ".jpeg", ".png", ".bmp"})) images.push_back(e.path());
  }
  std::sort(npys.begin(), npys.end());
  std::sort(images.begin(), images.end());
  std::vector<Tensor> out;
  if (!npys.empty()) {
    int64_t samples = 0;
    for (const fs::path& p : npys) {
      if (max_samples > 0 && samples >= max_samples) break;
      EI_ASSIGN_OR_RETURN(Tensor t, ReadNpy(p.string()));
      if (t.dtype() != DType::kFloat32) t = t.CastTo(DType::kFloat32);
      samples += t.rank() ? t.dim(0) : 1;
      out.push_back(std::move(t));
    }
    return out;
  }
  if (images.empty()) return Status::Error("calibration data '" + path + "': the folder has no .npy files and no images");
#ifndef EDGEINFER_IMAGEIO_PLUGIN_BUILT
  return Status::Error("calibration data '" + path + "': images need OpenCV, which this build does not have");
#else
  // Decoding is OpenCV's, in the plugin libedgeinfer_imageio.so, loaded only now.
  auto sym = LoadPluginSymbol(EDGEINFER_IMAGEIO_PLUGIN_FILE, "fusions/imageio", EDGEINFER_IMAGEIO_PLUGIN_ENTRY);
  if (!sym.ok()) return Status::Error("calibration data '" + path + "': images need the image-decoding plugin: " + sym.status().message());
  const EiImageioApi* io = reinterpret_cast<EiImageioEntry>(sym.value())();
  if (!io || io->abi_version != EDGEINFER_IMAGEIO_PLUGIN_ABI || io->struct_size != sizeof(EiImageioApi))
    return Status::Error("calibration data '" + path + "': " EDGEINFER_IMAGEIO_PLUGIN_FILE " speaks another plugin ABI (from another edgeinfer build?)");
  if (input_shape.rank() != 4) return Status::Error("image calibration needs a 4-D model input; it has " + input_shape.ToString());
  const int64_t H = pre.nchw ? input_shape.dims[2] : input_shape.dims[1];
  const int64_t W = pre.nchw ? input_shape.dims[3] : input_shape.dims[2];
  const int64_t C = pre.nchw ? input_shape.dims[1] : input_shape.dims[3];
  if (H <= 0 || W <= 0 || C != 3) return Status::Error("image calibration needs a static 3-channel input; it has " + input_shape.ToString());
  int64_t n = static_cast<int64_t>(images.size());
  if (max_samples > 0) n = std::min(n, max_samples);
  const int64_t b = batch > 0 ? batch : 1;
  std::vector<float> sample(static_cast<size_t>(3 * H * W));
  std::vector<uint8_t> bgr(static_cast<size_t>(3 * H * W));
  Tensor cur;
  int64_t in_cur = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ch = pre.crop.empty() ? H : pre.crop[0], cw = pre.crop.empty() ? W : pre.crop.back();
    char err[1024] = {0};
    if (io->load_bgr(images[static_cast<size_t>(i)].string().c_str(), static_cast<int>(pre.resize.size()), pre.resize.data(), ch, cw, H, W,
                     bgr.data(), err, sizeof(err)) != 0)
      return Status::Error(err);
    for (int64_t y = 0; y < H; ++y) {
      const uint8_t* row = bgr.data() + y * W * 3;
      for (int64_t x = 0; x < W; ++x) {
        for (int64_t c = 0; c < 3; ++c) {
          // OpenCV gives BGR; output channel c is R,G,B (rgb) or B,G,R.
          const int64_t src = pre.rgb ? 2 - c : c;
          const size_t mc = static_cast<size_t>(pre.rgb ? c : 2 - c);   // mean/std are given in RGB order
          float v = (row[x * 3 + src] / pre.scale - pre.mean[mc]) / pre.std[mc];
          sample[static_cast<size_t>(pre.nchw ? (c * H + y) * W + x : (y * W + x) * 3 + c)] = v;
        }
      }
    }
    if (in_cur == 0) {
      std::vector<int64_t> dims = pre.nchw ? std::vector<int64_t>{std::min(b, n - i), 3, H, W} : std::vector<int64_t>{std::min(b, n - i), H, W, 3};
      cur = Tensor(DType::kFloat32, dims);
    }
    std::copy(sample.begin(), sample.end(), cur.data<float>() + in_cur * 3 * H * W);
    if (++in_cur == cur.dim(0)) { out.push_back(cur); in_cur = 0; }
    if (progress) ProgressBar("images decoded", i + 1, n);
  }
  return out;
#endif
}

Result<std::vector<Tensor>> SeededRandomBatches(const Graph& g, int64_t count, uint32_t seed) {
  if (g.inputs().size() != 1) return Status::Error("random calibration feeds single-input models; the model has " + std::to_string(g.inputs().size()) + " inputs");
  const Value& v = g.value(g.inputs()[0]);
  if (v.dtype != DType::kFloat32 && v.dtype != DType::kFloat16)
    return Status::Error("random calibration needs a float32 or float16 input; '" + v.name + "' is " + DTypeName(v.dtype));
  std::vector<int64_t> dims = v.shape.dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] >= 0) continue;
    if (i != 0) return Status::Error("input '" + v.name + "' has a dynamic non-batch dimension (rule: random calibration binds only the batch)");
    dims[i] = 1;
  }
  std::vector<Tensor> out;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int64_t k = 0; k < count; ++k) {
    Tensor t(v.dtype, dims);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (v.dtype == DType::kFloat16) t.data<uint16_t>()[i] = FloatToHalf(d(rng));
      else t.data<float>()[i] = d(rng);
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace edgeinfer::fusions
