// SoC profile loader: YAML (yaml-cpp) -> SocProfile, with validation.
//
// Steps: parse the text; walk each section with a Reader that records every key it reads (so an
// unknown key — usually a typo — is an error, not silently ignored); convert values, reporting the
// dotted key and the rule on failure; validate cross-field rules (atomic sizes are powers of two,
// pad < kernel limits, every mode's clocks positive and not above the engine's maximum); apply the
// default power mode. yaml-cpp throws on malformed input; the exceptions stay inside this file.
#include "devices/soc/soc_profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace edgeinfer::devices {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

std::string Num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Reads one YAML mapping; remembers the keys it was asked for; errors name "<origin>: <path>.<key>".
class Reader {
 public:
  Reader(YAML::Node node, std::string origin, std::string path)
      : node_(std::move(node)), origin_(std::move(origin)), path_(std::move(path)) {}

  bool Has(const std::string& key) {
    seen_.insert(key);
    return node_[key].IsDefined() && !node_[key].IsNull();
  }
  std::string Key(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  Status Error(const std::string& key, const std::string& rule) const {
    return Status::Error(origin_ + ": " + Key(key) + ": " + rule);
  }

  Status Double(const std::string& key, double* out, bool required, bool allow_zero = true) {
    if (!Has(key)) return required ? Error(key, "missing (required)") : Status::Ok();
    try {
      *out = node_[key].as<double>();
    } catch (const YAML::Exception&) {
      return Error(key, "'" + Scalar(key) + "' is not a number");
    }
    if (!std::isfinite(*out)) return Error(key, "must be finite");
    if (*out < 0) return Error(key, Num(*out) + " is negative");
    if (!allow_zero && *out == 0) return Error(key, "must be greater than 0");
    return Status::Ok();
  }
  Status Int(const std::string& key, int64_t* out, bool required, bool allow_zero = true) {
    if (!Has(key)) return required ? Error(key, "missing (required)") : Status::Ok();
    double d = 0;
    try {
      d = node_[key].as<double>();
    } catch (const YAML::Exception&) {
      return Error(key, "'" + Scalar(key) + "' is not a number");
    }
    if (d != std::floor(d) || std::fabs(d) > 9.0e15) return Error(key, Num(d) + " is not an integer");
    if (d < 0) return Error(key, Num(d) + " is negative");
    if (!allow_zero && d == 0) return Error(key, "must be greater than 0");
    *out = static_cast<int64_t>(d);
    return Status::Ok();
  }
  Status Int(const std::string& key, int* out, bool required, bool allow_zero = true) {
    int64_t v = *out;
    EI_RETURN_IF_ERROR(Int(key, &v, required, allow_zero));
    *out = static_cast<int>(v);
    return Status::Ok();
  }
  Status Bool(const std::string& key, bool* out, bool required) {
    if (!Has(key)) return required ? Error(key, "missing (required)") : Status::Ok();
    try {
      *out = node_[key].as<bool>();
    } catch (const YAML::Exception&) {
      return Error(key, "'" + Scalar(key) + "' is not true/false");
    }
    return Status::Ok();
  }
  Status String(const std::string& key, std::string* out, bool required) {
    if (!Has(key)) return required ? Error(key, "missing (required)") : Status::Ok();
    if (!node_[key].IsScalar()) return Error(key, "must be a string");
    *out = node_[key].as<std::string>();
    return Status::Ok();
  }
  Status Strings(const std::string& key, std::vector<std::string>* out, bool required) {
    if (!Has(key)) return required ? Error(key, "missing (required)") : Status::Ok();
    if (!node_[key].IsSequence()) return Error(key, "must be a list of strings");
    out->clear();
    for (const auto& item : node_[key]) {
      if (!item.IsScalar()) return Error(key, "must be a list of strings");
      out->push_back(item.as<std::string>());
    }
    return Status::Ok();
  }
  Result<Reader> Section(const std::string& key, bool required) {
    if (!Has(key)) {
      if (required) return Error(key, "missing section (required)");
      return Reader(YAML::Node(YAML::NodeType::Map), origin_, Key(key));
    }
    if (!node_[key].IsMap()) return Error(key, "must be a mapping");
    return Reader(node_[key], origin_, Key(key));
  }
  YAML::Node Raw(const std::string& key) {
    seen_.insert(key);
    return node_[key];
  }
  // Every key present must have been read: an unknown key is most often a typo.
  Status CheckNoUnknownKeys() const {
    if (!node_.IsMap()) return Status::Ok();
    for (const auto& kv : node_) {
      std::string k = kv.first.as<std::string>();
      if (!seen_.count(k)) return Error(k, "unknown key");
    }
    return Status::Ok();
  }
  const std::string& origin() const { return origin_; }

 private:
  std::string Scalar(const std::string& key) const {
    try {
      return node_[key].IsScalar() ? node_[key].as<std::string>() : std::string("<non-scalar>");
    } catch (const YAML::Exception&) {
      return "<unreadable>";
    }
  }
  YAML::Node node_;
  std::string origin_;
  std::string path_;
  std::set<std::string> seen_;
};

Status ReadModes(Reader& root, SocProfile* p) {
  if (!root.Has("power_modes")) return Status::Ok();
  YAML::Node modes = root.Raw("power_modes");
  if (!modes.IsMap()) return root.Error("power_modes", "must be a mapping from mode name to clocks");
  for (const auto& kv : modes) {
    PowerMode m;
    m.name = kv.first.as<std::string>();
    if (!kv.second.IsMap()) return root.Error("power_modes." + m.name, "must be a mapping");
    Reader r(kv.second, root.origin(), "power_modes." + m.name);
    EI_RETURN_IF_ERROR(r.Double("gpu_clock_hz", &m.gpu_clock_hz, true, false));
    EI_RETURN_IF_ERROR(r.Int("gpu_sms", &m.gpu_sms, false));
    EI_RETURN_IF_ERROR(r.Double("dla_clock_hz", &m.dla_clock_hz, true, false));
    EI_RETURN_IF_ERROR(r.Double("dla_falcon_clock_hz", &m.dla_falcon_clock_hz, false));
    EI_RETURN_IF_ERROR(r.Double("emc_clock_hz", &m.emc_clock_hz, true, false));
    EI_RETURN_IF_ERROR(r.Int("cpu_cores", &m.cpu_cores, false));
    EI_RETURN_IF_ERROR(r.Double("cpu_clock_hz", &m.cpu_clock_hz, false));
    EI_RETURN_IF_ERROR(r.Double("budget_w", &m.budget_w, false));
    EI_RETURN_IF_ERROR(r.Double("published_gpu_sparse_int8_tops", &m.published_gpu_sparse_int8_tops, false));
    EI_RETURN_IF_ERROR(r.Double("published_dla_sparse_int8_tops", &m.published_dla_sparse_int8_tops, false));
    EI_RETURN_IF_ERROR(r.CheckNoUnknownKeys());
    p->power_modes.push_back(m);
  }
  return Status::Ok();
}

Status ReadGpu(Reader& root, SocProfile* p) {
  EI_ASSIGN_OR_RETURN(Reader r, root.Section("gpu", true));
  GpuProfile& g = p->gpu;
  EI_RETURN_IF_ERROR(r.Bool("present", &g.present, true));
  if (g.present) {
    EI_RETURN_IF_ERROR(r.String("arch", &g.arch, true));
    EI_RETURN_IF_ERROR(r.Int("sms", &g.sms, true, false));
    EI_RETURN_IF_ERROR(r.Double("int8_macs_per_clock_per_sm", &g.int8_macs_per_clock_per_sm, true, false));
    EI_RETURN_IF_ERROR(r.Double("fp16_macs_per_clock_per_sm", &g.fp16_macs_per_clock_per_sm, true, false));
    EI_RETURN_IF_ERROR(r.Double("fp32_macs_per_clock_per_sm", &g.fp32_macs_per_clock_per_sm, true, false));
    EI_RETURN_IF_ERROR(r.Double("max_clock_hz", &g.max_clock_hz, true, false));
    EI_RETURN_IF_ERROR(r.Int("l2_bytes", &g.l2_bytes, true));
    EI_RETURN_IF_ERROR(r.Double("launch_overhead_s", &g.launch_overhead_s, true));
    EI_RETURN_IF_ERROR(r.Double("tensor_core_efficiency", &g.tensor_core_efficiency, true, false));
    EI_RETURN_IF_ERROR(r.Double("dram_efficiency", &g.dram_efficiency, true, false));
    EI_RETURN_IF_ERROR(r.Int("tile_m", &g.tile_m, true, false));
    EI_RETURN_IF_ERROR(r.Int("tile_n", &g.tile_n, true, false));
    EI_RETURN_IF_ERROR(r.Int("ctas_per_sm", &g.ctas_per_sm, true, false));
    EI_RETURN_IF_ERROR(r.Int("channel_align_int8", &g.channel_align_int8, true, false));
    EI_RETURN_IF_ERROR(r.Int("channel_align_fp16", &g.channel_align_fp16, true, false));
    if (g.tensor_core_efficiency > 1) return r.Error("tensor_core_efficiency", "must be at most 1");
    if (g.dram_efficiency > 1) return r.Error("dram_efficiency", "must be at most 1");
    g.clock_hz = g.max_clock_hz;
    g.enabled_sms = g.sms;
  }
  return r.CheckNoUnknownKeys();
}

Status ReadDla(Reader& root, SocProfile* p) {
  EI_ASSIGN_OR_RETURN(Reader r, root.Section("dla", true));
  DlaProfile& d = p->dla;
  EI_RETURN_IF_ERROR(r.Int("cores", &d.cores, true));
  if (d.cores == 0) return r.CheckNoUnknownKeys();
  EI_RETURN_IF_ERROR(r.Int("atomic_c", &d.atomic_c, true, false));
  EI_RETURN_IF_ERROR(r.Int("atomic_k", &d.atomic_k, true, false));
  if (!IsPowerOfTwo(d.atomic_c)) return r.Error("atomic_c", std::to_string(d.atomic_c) + " is not a power of two");
  if (!IsPowerOfTwo(d.atomic_k)) return r.Error("atomic_k", std::to_string(d.atomic_k) + " is not a power of two");
  EI_RETURN_IF_ERROR(r.Double("max_clock_hz", &d.max_clock_hz, true, false));
  d.clock_hz = d.max_clock_hz;
  EI_RETURN_IF_ERROR(r.Int("conv_buffer_bytes", &d.conv_buffer_bytes, true, false));
  EI_RETURN_IF_ERROR(r.Int("sram_bytes_per_core", &d.sram_bytes_per_core, true));
  EI_RETURN_IF_ERROR(r.Bool("sram_shared", &d.sram_shared, false));
  EI_RETURN_IF_ERROR(r.Int("sram_default_bytes", &d.sram_default_bytes, false));
  EI_RETURN_IF_ERROR(r.Double("sram_bytes_per_clock", &d.sram_bytes_per_clock, d.sram_bytes_per_core > 0));
  std::vector<std::string> precision_words;
  EI_RETURN_IF_ERROR(r.Strings("precisions", &precision_words, true));
  for (const auto& pr : precision_words) {
    auto p = ParsePrecision(pr);
    if (!p.ok() || *p == Precision::kFp32) return r.Error("precisions", "'" + pr + "' is not one of int8, fp16");
    d.precisions.push_back(*p);
  }
  EI_RETURN_IF_ERROR(r.Int("fp16_rate_divisor", &d.fp16_rate_divisor, true, false));
  if (r.Has("native_formats")) {
    EI_ASSIGN_OR_RETURN(Reader f, r.Section("native_formats", true));
    for (const std::string& pr : precision_words) {
      std::string fmt;
      EI_RETURN_IF_ERROR(f.String(pr, &fmt, true));
      d.native_formats[pr] = fmt;
    }
    EI_RETURN_IF_ERROR(f.CheckNoUnknownKeys());
  } else {
    return r.Error("native_formats", "missing section (required)");
  }
  {
    EI_ASSIGN_OR_RETURN(Reader l, r.Section("limits", true));
    DlaLimits& lim = d.limits;
    EI_RETURN_IF_ERROR(l.Int("kernel_min", &lim.kernel_min, true, false));
    EI_RETURN_IF_ERROR(l.Int("kernel_max", &lim.kernel_max, true, false));
    EI_RETURN_IF_ERROR(l.Int("stride_min", &lim.stride_min, true, false));
    EI_RETURN_IF_ERROR(l.Int("stride_max", &lim.stride_max, true, false));
    EI_RETURN_IF_ERROR(l.Int("pad_max", &lim.pad_max, true));
    EI_RETURN_IF_ERROR(l.Int("dilation_min", &lim.dilation_min, true, false));
    EI_RETURN_IF_ERROR(l.Int("dilation_max", &lim.dilation_max, true, false));
    EI_RETURN_IF_ERROR(l.Int("pool_window_min", &lim.pool_window_min, true, false));
    EI_RETURN_IF_ERROR(l.Int("pool_window_max", &lim.pool_window_max, true, false));
    EI_RETURN_IF_ERROR(l.Int("max_dim", &lim.max_dim, true, false));
    EI_RETURN_IF_ERROR(l.Int("max_batch", &lim.max_batch, true, false));
    EI_RETURN_IF_ERROR(l.Int("int8_group_channel_multiple", &lim.int8_group_channel_multiple, true, false));
    EI_RETURN_IF_ERROR(l.Int("max_loadables_per_core", &lim.max_loadables_per_core, true, false));
    EI_RETURN_IF_ERROR(l.Strings("ops", &lim.ops, true));
    EI_RETURN_IF_ERROR(l.Strings("activations", &lim.activations, true));
    auto range = [&](const char* lo, int a, const char* hi, int b) -> Status {
      if (a > b) return l.Error(lo, std::to_string(a) + " is greater than " + l.Key(hi) + " " + std::to_string(b));
      return Status::Ok();
    };
    EI_RETURN_IF_ERROR(range("kernel_min", lim.kernel_min, "kernel_max", lim.kernel_max));
    EI_RETURN_IF_ERROR(range("stride_min", lim.stride_min, "stride_max", lim.stride_max));
    EI_RETURN_IF_ERROR(range("dilation_min", lim.dilation_min, "dilation_max", lim.dilation_max));
    EI_RETURN_IF_ERROR(range("pool_window_min", lim.pool_window_min, "pool_window_max", lim.pool_window_max));
    if (lim.pad_max >= lim.kernel_max)
      return l.Error("pad_max", std::to_string(lim.pad_max) + " must be smaller than kernel_max " +
                                    std::to_string(lim.kernel_max) + " (padding must be smaller than the kernel)");
    EI_RETURN_IF_ERROR(l.CheckNoUnknownKeys());
  }
  EI_RETURN_IF_ERROR(r.Double("sdp_elements_per_clock", &d.sdp_elements_per_clock, true, false));
  EI_RETURN_IF_ERROR(r.Double("pdp_elements_per_clock", &d.pdp_elements_per_clock, true, false));
  EI_RETURN_IF_ERROR(r.Double("layer_overhead_cycles", &d.layer_overhead_cycles, true));
  EI_RETURN_IF_ERROR(r.Double("task_overhead_s", &d.task_overhead_s, true));
  EI_RETURN_IF_ERROR(r.Bool("weight_compression", &d.weight_compression, false));
  EI_RETURN_IF_ERROR(r.Double("dram_bandwidth_share", &d.dram_bandwidth_share, true, false));
  if (d.dram_bandwidth_share > 1) return r.Error("dram_bandwidth_share", Num(d.dram_bandwidth_share) + " is above 1");
  EI_RETURN_IF_ERROR(r.Double("port_bytes_per_clock", &d.port_bytes_per_clock, false));
  if (d.sram_default_bytes > d.sram_bytes_per_core)
    return r.Error("sram_default_bytes", "exceeds sram_bytes_per_core " + std::to_string(d.sram_bytes_per_core));
  return r.CheckNoUnknownKeys();
}

Status ReadDram(Reader& root, SocProfile* p) {
  EI_ASSIGN_OR_RETURN(Reader r, root.Section("dram", true));
  DramProfile& m = p->dram;
  EI_RETURN_IF_ERROR(r.String("type", &m.type, true));
  EI_RETURN_IF_ERROR(r.Double("fixed_bandwidth_bytes_per_s", &m.fixed_bandwidth_bytes_per_s, false));
  const bool fixed = m.fixed_bandwidth_bytes_per_s > 0;
  EI_RETURN_IF_ERROR(r.Int("bus_width_bits", &m.bus_width_bits, !fixed, fixed));
  EI_RETURN_IF_ERROR(r.Int("transfers_per_clock", &m.transfers_per_clock, false, false));
  EI_RETURN_IF_ERROR(r.Double("max_emc_clock_hz", &m.max_emc_clock_hz, !fixed, fixed));
  m.emc_clock_hz = m.max_emc_clock_hz;
  EI_RETURN_IF_ERROR(r.Double("latency_s", &m.latency_s, true));
  EI_RETURN_IF_ERROR(r.Double("efficiency", &m.efficiency, true, false));
  if (m.efficiency > 1) return r.Error("efficiency", Num(m.efficiency) + " is above 1");
  if (!fixed && m.bus_width_bits % 8 != 0)
    return r.Error("bus_width_bits", std::to_string(m.bus_width_bits) + " is not a whole number of bytes");
  return r.CheckNoUnknownKeys();
}

Status ReadPower(Reader& root, SocProfile* p) {
  EI_ASSIGN_OR_RETURN(Reader r, root.Section("power", true));
  PowerCoefficients& c = p->power;
  EI_RETURN_IF_ERROR(r.Double("soc_static_w", &c.soc_static_w, true));
  EI_RETURN_IF_ERROR(r.Double("gpu_static_w", &c.gpu_static_w, true));
  EI_RETURN_IF_ERROR(r.Double("dla_static_w", &c.dla_static_w, true));
  EI_RETURN_IF_ERROR(r.Double("cpu_static_w", &c.cpu_static_w, true));
  EI_RETURN_IF_ERROR(r.Double("gpu_j_per_mac_int8", &c.gpu_j_per_mac_int8, true));
  EI_RETURN_IF_ERROR(r.Double("gpu_j_per_mac_fp16", &c.gpu_j_per_mac_fp16, true));
  EI_RETURN_IF_ERROR(r.Double("dla_j_per_mac_int8", &c.dla_j_per_mac_int8, true));
  EI_RETURN_IF_ERROR(r.Double("dla_j_per_mac_fp16", &c.dla_j_per_mac_fp16, true));
  EI_RETURN_IF_ERROR(r.Double("cpu_j_per_mac_int8", &c.cpu_j_per_mac_int8, p->cpu.HasTimingModel()));
  EI_RETURN_IF_ERROR(r.Double("cpu_j_per_mac_fp32", &c.cpu_j_per_mac_fp32, p->cpu.HasTimingModel()));
  EI_RETURN_IF_ERROR(r.Double("dram_j_per_byte", &c.dram_j_per_byte, true));
  EI_RETURN_IF_ERROR(r.Double("sram_j_per_byte", &c.sram_j_per_byte, true));
  return r.CheckNoUnknownKeys();
}

Status ReadAll(const YAML::Node& doc, const std::string& origin, SocProfile* p) {
  if (!doc.IsMap()) return Status::Error(origin + ": the document must be a mapping of sections");
  Reader root(doc, origin, "");
  EI_RETURN_IF_ERROR(root.String("name", &p->name, true));
  EI_RETURN_IF_ERROR(root.String("description", &p->description, false));
  EI_RETURN_IF_ERROR(ReadModes(root, p));
  EI_RETURN_IF_ERROR(root.String("default_power_mode", &p->default_power_mode, !p->power_modes.empty()));
  {
    EI_ASSIGN_OR_RETURN(Reader c, root.Section("cpu", true));
    EI_RETURN_IF_ERROR(c.Int("cores", &p->cpu.cores, true));
    EI_RETURN_IF_ERROR(c.Double("clock_hz", &p->cpu.clock_hz, p->cpu.cores > 0));
    // The timing model's keys: all of the first four, or none.
    const bool timed = c.Has("fp32_macs_per_clock_per_core") || c.Has("efficiency");
    EI_RETURN_IF_ERROR(c.Double("fp32_macs_per_clock_per_core", &p->cpu.fp32_macs_per_clock_per_core, timed, !timed));
    EI_RETURN_IF_ERROR(c.Double("fp16_macs_per_clock_per_core", &p->cpu.fp16_macs_per_clock_per_core, false));
    EI_RETURN_IF_ERROR(c.Double("int8_macs_per_clock_per_core", &p->cpu.int8_macs_per_clock_per_core, false));
    EI_RETURN_IF_ERROR(c.Double("efficiency", &p->cpu.efficiency, timed, !timed));
    if (p->cpu.efficiency > 1) return c.Error("efficiency", Num(p->cpu.efficiency) + " is above 1");
    EI_RETURN_IF_ERROR(c.Double("layer_overhead_s", &p->cpu.layer_overhead_s, false));
    EI_RETURN_IF_ERROR(c.Double("dram_bandwidth_share", &p->cpu.dram_bandwidth_share, false));
    if (p->cpu.dram_bandwidth_share > 1) return c.Error("dram_bandwidth_share", Num(p->cpu.dram_bandwidth_share) + " is above 1");
    if (timed && p->cpu.cores <= 0) return c.Error("cores", "must be greater than 0 for the CPU timing model");
    EI_RETURN_IF_ERROR(c.CheckNoUnknownKeys());
  }
  EI_RETURN_IF_ERROR(ReadGpu(root, p));
  EI_RETURN_IF_ERROR(ReadDla(root, p));
  EI_RETURN_IF_ERROR(ReadDram(root, p));
  EI_RETURN_IF_ERROR(ReadPower(root, p));
  return root.CheckNoUnknownKeys();
}

std::string ModeList(const SocProfile& p) {
  std::string s;
  for (const auto& m : p.power_modes) s += (s.empty() ? "" : ", ") + m.name;
  return s.empty() ? "none" : s;
}

}  // namespace

double DramProfile::PeakBytesPerSec() const {
  if (fixed_bandwidth_bytes_per_s > 0) return fixed_bandwidth_bytes_per_s;
  return bus_width_bits / 8.0 * transfers_per_clock * emc_clock_hz;
}

const PowerMode* SocProfile::FindMode(const std::string& mode) const {
  for (const auto& m : power_modes)
    if (Lower(m.name) == Lower(mode)) return &m;
  return nullptr;
}

Status ValidateSocProfile(const SocProfile& p) {
  const std::string o = p.source_path.empty() ? p.name : p.source_path;
  if (p.name.empty()) return Status::Error(o + ": name: must not be empty");
  if (p.dla.cores > 0) {
    if (!IsPowerOfTwo(p.dla.atomic_c)) return Status::Error(o + ": dla.atomic_c: " + std::to_string(p.dla.atomic_c) + " is not a power of two");
    if (!IsPowerOfTwo(p.dla.atomic_k)) return Status::Error(o + ": dla.atomic_k: " + std::to_string(p.dla.atomic_k) + " is not a power of two");
    if (!(p.dla.clock_hz > 0)) return Status::Error(o + ": dla clock must be greater than 0");
  }
  if (p.gpu.present && !(p.gpu.clock_hz > 0)) return Status::Error(o + ": gpu clock must be greater than 0");
  if (!(p.dram.PeakBytesPerSec() > 0)) return Status::Error(o + ": dram peak bandwidth must be greater than 0");
  std::set<std::string> names;
  for (const auto& m : p.power_modes) {
    const std::string k = o + ": power_modes." + m.name;
    if (!names.insert(Lower(m.name)).second) return Status::Error(k + ": duplicate power mode");
    if (p.gpu.present && p.gpu.max_clock_hz > 0 && m.gpu_clock_hz > p.gpu.max_clock_hz * 1.0001)
      return Status::Error(k + ".gpu_clock_hz: " + Num(m.gpu_clock_hz) + " is above gpu.max_clock_hz " + Num(p.gpu.max_clock_hz));
    if (p.dla.cores > 0 && m.dla_clock_hz > p.dla.max_clock_hz * 1.0001)
      return Status::Error(k + ".dla_clock_hz: " + Num(m.dla_clock_hz) + " is above dla.max_clock_hz " + Num(p.dla.max_clock_hz));
    if (p.dram.max_emc_clock_hz > 0 && m.emc_clock_hz > p.dram.max_emc_clock_hz * 1.0001)
      return Status::Error(k + ".emc_clock_hz: " + Num(m.emc_clock_hz) + " is above dram.max_emc_clock_hz " + Num(p.dram.max_emc_clock_hz));
    if (p.gpu.present && m.gpu_sms > p.gpu.sms)
      return Status::Error(k + ".gpu_sms: " + std::to_string(m.gpu_sms) + " is above gpu.sms " + std::to_string(p.gpu.sms));
  }
  if (!p.power_modes.empty() && !p.FindMode(p.default_power_mode))
    return Status::Error(o + ": default_power_mode: unknown power mode '" + p.default_power_mode + "' (modes: " + ModeList(p) + ")");
  return Status::Ok();
}

Result<SocProfile> ParseSocProfile(const std::string& yaml_text, const std::string& origin) {
  SocProfile p;
  p.source_path = origin;
  try {
    YAML::Node doc = YAML::Load(yaml_text);
    EI_RETURN_IF_ERROR(ReadAll(doc, origin, &p));
  } catch (const YAML::Exception& e) {
    return Status::Error(origin + ": YAML syntax error at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  EI_RETURN_IF_ERROR(ValidateSocProfile(p));
  if (!p.power_modes.empty()) return ApplyPowerMode(p, p.default_power_mode);
  return p;
}

std::vector<std::string> SocProfileSearchPath() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("EDGEINFER_CONFIG_DIR"); env && *env) dirs.push_back(env);
#ifdef EDGEINFER_SOURCE_CONFIG_DIR
  dirs.push_back(EDGEINFER_SOURCE_CONFIG_DIR);
#endif
#ifdef EDGEINFER_INSTALL_CONFIG_DIR
  dirs.push_back(EDGEINFER_INSTALL_CONFIG_DIR);
#endif
  return dirs;
}

Result<SocProfile> LoadSocProfile(const std::string& path_or_name) {
  namespace fs = std::filesystem;
  if (path_or_name.empty()) return Status::Error("SoC profile: empty name");
  std::string path;
  const bool looks_like_path = path_or_name.find('/') != std::string::npos ||
                               (path_or_name.size() > 5 && path_or_name.substr(path_or_name.size() - 5) == ".yaml");
  if (looks_like_path) {
    path = path_or_name;
    if (!fs::exists(path)) return Status::Error("SoC profile '" + path + "': file not found");
  } else {
    std::string searched;
    for (const auto& dir : SocProfileSearchPath()) {
      fs::path candidate = fs::path(dir) / (path_or_name + ".yaml");
      searched += (searched.empty() ? "" : ", ") + candidate.string();
      if (fs::exists(candidate)) {
        path = candidate.string();
        break;
      }
    }
    if (path.empty())
      return Status::Error("SoC profile '" + path_or_name + "': not found (searched " +
                           (searched.empty() ? std::string("nothing: no config directory known") : searched) +
                           "; set EDGEINFER_CONFIG_DIR or pass a path)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("SoC profile '" + path + "': cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseSocProfile(ss.str(), fs::path(path).filename().string());
}

Result<SocProfile> ApplyPowerMode(const SocProfile& profile, const std::string& mode) {
  if (profile.power_modes.empty()) {
    if (mode.empty() || Lower(mode) == "default") return profile;
    return Status::Error("SoC profile '" + profile.name + "': unknown power mode '" + mode +
                         "' (this profile has a single clock set; use 'default')");
  }
  const PowerMode* m = profile.FindMode(mode);
  if (!m) return Status::Error("SoC profile '" + profile.name + "': unknown power mode '" + mode + "' (modes: " + ModeList(profile) + ")");
  SocProfile p = profile;
  p.active_power_mode = m->name;
  if (p.gpu.present) {
    p.gpu.clock_hz = m->gpu_clock_hz;
    p.gpu.enabled_sms = m->gpu_sms > 0 ? m->gpu_sms : p.gpu.sms;
  }
  if (p.dla.cores > 0) p.dla.clock_hz = m->dla_clock_hz;
  p.dram.emc_clock_hz = m->emc_clock_hz;
  if (m->cpu_cores > 0) p.cpu.cores = m->cpu_cores;
  if (m->cpu_clock_hz > 0) p.cpu.clock_hz = m->cpu_clock_hz;
  return p;
}

}  // namespace edgeinfer::devices
