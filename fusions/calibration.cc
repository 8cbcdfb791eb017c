#include "fusions/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace edgeinfer::fusions {

Result<CalibratorKind> ParseCalibrator(const std::string& s) {
  if (s == "minmax") return CalibratorKind::kMinMax;
  if (s == "entropy") return CalibratorKind::kEntropy;
  if (s == "percentile") return CalibratorKind::kPercentile;
  return Status::Error("calibrator '" + s + "' is not one of entropy, minmax, percentile");
}

const char* CalibratorName(CalibratorKind k) {
  switch (k) {
    case CalibratorKind::kMinMax: return "minmax";
    case CalibratorKind::kEntropy: return "entropy";
    case CalibratorKind::kPercentile: return "percentile";
  }
  return "?";
}

void AbsHistogram::Add(const float* x, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double a = std::fabs(static_cast<double>(x[i]));
    if (std::isfinite(a) && a > m) m = a;
  }
  if (m > amax_) amax_ = m;
  if (range_ == 0.0) {
    if (m == 0.0) { bins_[0] += static_cast<double>(n); total_ += static_cast<double>(n); return; }
    range_ = m * (1.0 + 1e-6);
  }
  while (m >= range_) {   // double the range: bin j of the new histogram = bins 2j, 2j+1 of the old
    for (int j = 0; j < kFineBins / 2; ++j) bins_[static_cast<size_t>(j)] = bins_[static_cast<size_t>(2 * j)] + bins_[static_cast<size_t>(2 * j + 1)];
    std::fill(bins_.begin() + kFineBins / 2, bins_.end(), 0.0);
    range_ *= 2.0;
  }
  const double inv = kFineBins / range_;
  for (int64_t i = 0; i < n; ++i) {
    double a = std::fabs(static_cast<double>(x[i]));
    if (!std::isfinite(a)) continue;
    int b = static_cast<int>(a * inv);
    if (b >= kFineBins) b = kFineBins - 1;
    bins_[static_cast<size_t>(b)] += 1.0;
  }
  total_ += static_cast<double>(n);
}

std::vector<double> AbsHistogram::Bins() const {
  std::vector<double> out(static_cast<size_t>(kBins), 0.0);
  if (amax_ == 0.0 || range_ == 0.0) {
    out[0] = total_;
    return out;
  }
  const double fine_w = range_ / kFineBins;
  const double w = amax_ / kBins;
  for (int f = 0; f < kFineBins; ++f) {
    const double c = bins_[static_cast<size_t>(f)];
    if (c == 0.0) continue;
    // The fine bin's values lie in [lo, hi): no value exceeds amax, so its mass is spread over
    // [lo, min(hi, amax)] (a point at amax when the bin starts there).
    const double lo = f * fine_w;
    const double hi = std::min((f + 1) * fine_w, amax_);
    int b0 = std::min(kBins - 1, static_cast<int>(lo / w));
    if (hi <= lo) { out[static_cast<size_t>(b0)] += c; continue; }
    for (int b = b0; b < kBins; ++b) {
      const double blo = b * w, bhi = b == kBins - 1 ? amax_ : (b + 1) * w;
      const double overlap = std::min(hi, bhi) - std::max(lo, blo);
      if (overlap > 0.0) out[static_cast<size_t>(b)] += c * overlap / (hi - lo);
      if (bhi >= hi) break;
    }
  }
  return out;
}

double EntropyThresholdOfBins(std::vector<double> hist, double width) {
  constexpr int kLevels = 128;
  const int n = static_cast<int>(hist.size());
  if (n <= kLevels) return n * width;
  hist[0] = hist[1];
  // suffix[i] = sum of hist[i:]: the outliers a threshold at bin i clips.
  std::vector<double> suffix(static_cast<size_t>(n) + 1, 0.0);
  for (int j = n - 1; j >= 0; --j) suffix[static_cast<size_t>(j)] = suffix[static_cast<size_t>(j + 1)] + hist[static_cast<size_t>(j)];
  double best_kl = INFINITY;
  int best_i = n;
  std::vector<double> level_sum(kLevels), level_nonzero(kLevels);
  for (int i = kLevels; i <= n; ++i) {
    std::fill(level_sum.begin(), level_sum.end(), 0.0);
    std::fill(level_nonzero.begin(), level_nonzero.end(), 0.0);
    for (int j = 0; j < i; ++j) {
      const double c = hist[static_cast<size_t>(j)];
      if (c == 0.0) continue;
      const int lvl = static_cast<int>(static_cast<int64_t>(j) * kLevels / i);
      level_sum[static_cast<size_t>(lvl)] += c;
      level_nonzero[static_cast<size_t>(lvl)] += 1.0;
    }
    // P and Q are both taken relative to all samples: Q lacks the clipped outliers, so it sums to
    // 1 - c (c = clipped fraction) and the divergence is the textbook KL of the normalised pair plus
    // log(1 / (1 - c)). Normalising Q by its own sum (as pytorch-quantization, MXNet and TVM do)
    // lets a threshold that clips nearly everything score KL = 0: when the in-range part is one
    // non-empty bin, normalised P and Q are the same point mass. That picked 0.14 for a
    // squeeze-excite gate whose values lie in [0.21, 0.70] (docs/compiler.md, "Calibrators on real models").
    const double ps = suffix[0];
    const double qs = suffix[0];
    if (ps <= 0.0 || suffix[0] - suffix[static_cast<size_t>(i)] <= 0.0) continue;
    double kl = 0.0;
    for (int j = 0; j < i && std::isfinite(kl); ++j) {
      double pj = hist[static_cast<size_t>(j)];
      if (j == i - 1) pj += suffix[static_cast<size_t>(i)];
      if (pj == 0.0) continue;
      const int lvl = static_cast<int>(static_cast<int64_t>(j) * kLevels / i);
      const double qj = hist[static_cast<size_t>(j)] == 0.0 ? 0.0 : level_sum[static_cast<size_t>(lvl)] / level_nonzero[static_cast<size_t>(lvl)];
      if (qj == 0.0) { kl = INFINITY; break; }   // P has mass where Q has none
      kl += (pj / ps) * std::log((pj / ps) / (qj / qs));
    }
    if (kl <= best_kl) { best_kl = kl; best_i = i; }   // ties: the last (largest) threshold
  }
  return best_i * width;
}

double EntropyThreshold(const AbsHistogram& h) {
  if (h.amax() == 0.0) return 0.0;
  return std::min(h.amax(), EntropyThresholdOfBins(h.Bins(), h.amax() / AbsHistogram::kBins));
}

double PercentileThreshold(const AbsHistogram& h, double fraction) {
  if (h.amax() == 0.0) return 0.0;
  const std::vector<double> bins = h.Bins();
  const double width = h.amax() / AbsHistogram::kBins;
  const double want = fraction * h.total();
  double cum = 0.0;
  for (int j = 0; j < AbsHistogram::kBins; ++j) {
    cum += bins[static_cast<size_t>(j)];
    if (cum >= want) return std::min(h.amax(), (j + 1) * width);
  }
  return h.amax();
}

float CalibrationTable::Scale(const std::string& tensor) const {
  auto it = amax.find(tensor);
  if (it == amax.end()) return 0.f;
  return it->second > 0.f ? it->second / 127.f : 1.f / 127.f;
}

std::string CalibrationTable::ToText() const {
  std::ostringstream os;
  os << "# edgeinfer calibration cache v1: one line per tensor, 'tensor<TAB>amax<TAB>name'; scale = amax/127\n";
  os << "model_hash " << model_hash << "\n";
  os << "calibrator " << calibrator << "\n";
  os << "batches " << batches << "\n";
  char buf[64];
  for (const auto& [name, a] : amax) {
    std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(a));
    os << "tensor\t" << buf << "\t" << name << "\n";
  }
  return os.str();
}

Result<CalibrationTable> CalibrationTable::FromText(const std::string& text, const std::string& what) {
  CalibrationTable t;
  std::istringstream is(text);
  std::string line;
  int lineno = 0;
  bool header = false;
  while (std::getline(is, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') { header = header || line.rfind("# edgeinfer calibration cache v1", 0) == 0; continue; }
    auto bad = [&](const std::string& rule) {
      return Status::Error("calibration cache '" + what + "' line " + std::to_string(lineno) + ": " + rule);
    };
    if (line.rfind("model_hash ", 0) == 0) { t.model_hash = line.substr(11); continue; }
    if (line.rfind("calibrator ", 0) == 0) { t.calibrator = line.substr(11); continue; }
    if (line.rfind("batches ", 0) == 0) { t.batches = std::atoi(line.c_str() + 8); continue; }
    if (line.rfind("tensor\t", 0) == 0) {
      size_t tab = line.find('\t', 7);
      if (tab == std::string::npos) return bad("expected 'tensor<TAB>amax<TAB>name'");
      char* end = nullptr;
      const std::string num = line.substr(7, tab - 7);
      float a = std::strtof(num.c_str(), &end);
      if (end == num.c_str() || !(a >= 0.f) || !std::isfinite(a)) return bad("amax '" + num + "' is not a finite non-negative number");
      t.amax[line.substr(tab + 1)] = a;
      continue;
    }
    return bad("unknown line '" + line.substr(0, 40) + "'");
  }
  if (!header) return Status::Error("calibration cache '" + what + "': missing the '# edgeinfer calibration cache v1' header");
  return t;
}

Status CalibrationTable::Save(const std::string& path) const {
  std::ofstream f(path);
  if (!f) return Status::Error("cannot write calibration cache '" + path + "'");
  f << ToText();
  return f ? Status::Ok() : Status::Error("error writing calibration cache '" + path + "'");
}

Result<CalibrationTable> CalibrationTable::Load(const std::string& path, const std::string& expected_hash) {
  std::ifstream f(path);
  if (!f) return Status::Error("cannot read calibration cache '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  EI_ASSIGN_OR_RETURN(CalibrationTable t, FromText(ss.str(), path));
  if (!expected_hash.empty() && t.model_hash != expected_hash) {
    return Status::Error("calibration cache '" + path + "' was made for model " + t.model_hash + ", not this model (" +
                         expected_hash + "); recalibrate or pass the matching model");
  }
  return t;
}

std::string HashModelBytes(const std::string& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Result<std::string> HashModelFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("cannot read model '" + path + "' to hash it");
  std::stringstream ss;
  ss << f.rdbuf();
  return HashModelBytes(ss.str());
}

void Calibrator::Observe(const std::string& name, const Tensor& t) {
  if (t.dtype() != DType::kFloat32 || t.numel() == 0) return;
  hist_[name].Add(t.data<float>(), t.numel());
}

CalibrationTable Calibrator::Finish(const std::string& model_hash) const {
  CalibrationTable t;
  t.model_hash = model_hash;
  t.calibrator = CalibratorName(kind_);
  t.batches = batches_;
  for (const auto& [name, h] : hist_) {
    double a = h.amax();
    if (kind_ == CalibratorKind::kEntropy) a = EntropyThreshold(h);
    if (kind_ == CalibratorKind::kPercentile) a = PercentileThreshold(h, percentile_);
    t.amax[name] = static_cast<float>(a);
  }
  return t;
}

}  // namespace edgeinfer::fusions
