// ONNX backend node-test conformance (issue 2, deliverable 6), and the same package's model tests
// (pytorch-converted, pytorch-operator, simple).
//
// For every folder of /usr/share/libonnx-testdata/data/node/ (Debian's libonnx-testdata; override
// with EDGEINFER_ONNX_NODE_TESTS, restrict with EDGEINFER_CONFORMANCE_FILTER=substring), and of
// data/pytorch-converted, data/pytorch-operator and data/simple:
//   1. parse model.onnx and check every node's op is in the op table (FindOp); a model with an op
//      outside it, a non-default domain or a non-tensor input/output is SKIPPED, the op recorded;
//   2. import with ImportOnnx(fold_constants = false: conformance wants the kernels to run on the
//      test data; a test that fails so is retried with folding, see RunBoth);
//   3. for each test_data_set_*: read input_*.pb / output_*.pb TensorProtos, run
//      devices::RunReference (non-finite inputs allowed) and compare with the stored outputs:
//      floats |got - want| <= atol + rtol * |want| with rtol 1e-3, atol 1e-5 (ONNX's backend test
//      uses rtol 1e-3; our atol is looser than its 1e-7 for results near zero, which naive FP32
//      summation orders cannot meet), NaN equals NaN, infinities must match; integers and bools
//      exactly; dtypes and shapes exactly.
// Each test runs in a forked child (a crashing or hanging kernel fails that test, not the run).
// Prints "N passed, M failed, K skipped", the skipped op types with counts and every failure with
// its reason; writes the same to <build>/conformance_report.txt. Failures of tests listed in
// tests/conformance/known_gaps.txt ("test_name  # reason") are reported as known gaps and do not
// fail the gtest; any other failure does. The goal is an empty known_gaps.txt.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "devices/cpu/reference_executor.h"
#include "graph/onnx_import.h"
#include "graph/op_table.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-5;
constexpr int kTimeoutSeconds = 120;

std::string ReadFile(const fs::path& p, bool* ok) {
  std::ifstream f(p, std::ios::binary);
  *ok = static_cast<bool>(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

float BFloat16ToFloat(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// A TensorProto file -> Tensor (raw_data or the typed fields).
Result<Tensor> ReadTensorPb(const fs::path& path) {
  bool ok = false;
  std::string bytes = ReadFile(path, &ok);
  if (!ok) return Status::Error("cannot read '" + path.string() + "'");
  onnx::TensorProto tp;
  if (!tp.ParseFromString(bytes)) return Status::Error("'" + path.string() + "' is not a TensorProto");
  DType dt = DTypeFromOnnx(tp.data_type());
  if (dt == DType::kUndefined || dt == DType::kString)
    return Status::Error("'" + path.string() + "': unsupported tensor type " + std::to_string(tp.data_type()));
  std::vector<int64_t> dims(tp.dims().begin(), tp.dims().end());
  Tensor t(dt, dims);
  const size_t n = static_cast<size_t>(t.numel());
  if (tp.has_raw_data()) {
    if (tp.raw_data().size() != t.bytes())
      return Status::Error("'" + path.string() + "': raw_data has " + std::to_string(tp.raw_data().size()) +
                           " bytes, expected " + std::to_string(t.bytes()));
    if (t.bytes()) std::memcpy(t.raw(), tp.raw_data().data(), t.bytes());
    return t;
  }
  auto bad = [&](size_t have) {
    return Status::Error("'" + path.string() + "': " + std::to_string(have) + " values for " + std::to_string(n) +
                         " elements");
  };
  switch (dt) {
    case DType::kFloat32:
      if (static_cast<size_t>(tp.float_data_size()) != n) return bad(tp.float_data_size());
      for (size_t i = 0; i < n; ++i) t.data<float>()[i] = tp.float_data(static_cast<int>(i));
      break;
    case DType::kFloat64:
      if (static_cast<size_t>(tp.double_data_size()) != n) return bad(tp.double_data_size());
      for (size_t i = 0; i < n; ++i) t.data<double>()[i] = tp.double_data(static_cast<int>(i));
      break;
    case DType::kInt64:
      if (static_cast<size_t>(tp.int64_data_size()) != n) return bad(tp.int64_data_size());
      for (size_t i = 0; i < n; ++i) t.data<int64_t>()[i] = tp.int64_data(static_cast<int>(i));
      break;
    case DType::kUInt32:
    case DType::kUInt64:
      if (static_cast<size_t>(tp.uint64_data_size()) != n) return bad(tp.uint64_data_size());
      for (size_t i = 0; i < n; ++i) {
        uint64_t v = tp.uint64_data(static_cast<int>(i));
        if (dt == DType::kUInt32) t.data<uint32_t>()[i] = static_cast<uint32_t>(v);
        else t.data<uint64_t>()[i] = v;
      }
      break;
    default: {   // int32, int16, int8, uint16, uint8, bool, float16, bfloat16: int32_data
      if (static_cast<size_t>(tp.int32_data_size()) != n) return bad(tp.int32_data_size());
      const size_t es = DTypeSize(dt);
      for (size_t i = 0; i < n; ++i) {
        int32_t v = tp.int32_data(static_cast<int>(i));
        std::memcpy(static_cast<char*>(t.raw()) + i * es, &v, es);   // little-endian low bytes
      }
    }
  }
  return t;
}

// NumPy has no bfloat16: ONNX stores bfloat16 test data as uint16 bit patterns. Relabel such a
// tensor when the model declares bfloat16 (same bits, no conversion).
Tensor AsDeclared(Tensor t, int32_t declared_elem_type) {
  if (declared_elem_type == onnx::TensorProto::BFLOAT16 && t.dtype() == DType::kUInt16)
    return Tensor::FromBytes(DType::kBFloat16, t.dims(), t.raw());
  return t;
}

double AsDouble(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kBFloat16) return BFloat16ToFloat(t.data<uint16_t>()[i]);
  return t.GetAsDouble(i);
}

// "" when equal within tolerance, else the reason.
std::string Compare(const std::string& name, const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype())
    return "output '" + name + "': dtype " + DTypeName(got.dtype()) + ", expected " + DTypeName(want.dtype());
  if (got.dims() != want.dims())
    return "output '" + name + "': shape " + got.shape().ToString() + ", expected " + want.shape().ToString();
  const bool floating = IsFloating(want.dtype()) || want.dtype() == DType::kBFloat16;
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    bool eq;
    if (floating) {
      double g = AsDouble(got, i), w = AsDouble(want, i);
      if (std::isnan(w) || std::isnan(g)) eq = std::isnan(w) && std::isnan(g);
      else if (std::isinf(w) || std::isinf(g)) eq = g == w;
      else {
        double err = std::fabs(g - w);
        eq = err <= kAtol + kRtol * std::fabs(w);
        if (!eq) worst = std::max(worst, err);
      }
    } else if (want.dtype() == DType::kUInt64) {
      eq = got.data<uint64_t>()[i] == want.data<uint64_t>()[i];
    } else {
      eq = got.GetAsInt64(i) == want.GetAsInt64(i);
    }
    if (!eq) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return "";
  std::ostringstream os;
  os << "output '" << name << "': " << bad << " of " << want.numel() << " elements differ; first at " << first
     << ": got " << AsDouble(got, first) << ", expected " << AsDouble(want, first);
  if (floating) os << " (max abs error " << worst << ", rtol " << kRtol << " atol " << kAtol << ")";
  return os.str();
}

enum class Outcome { kPass, kFail, kSkip };
struct TestResult {
  Outcome outcome = Outcome::kPass;
  std::string reason;             // failure or skip reason
  std::vector<std::string> ops;   // unsupported ops behind a skip
};

bool IsTensorType(const onnx::TypeProto& t) { return t.has_tensor_type(); }

// Step 1: the ops and types the test needs. Returns a skip result, or kPass when runnable.
TestResult CheckSupported(const onnx::ModelProto& m) {
  TestResult r;
  std::set<std::string> missing;
  for (const auto& n : m.graph().node()) {
    std::string op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      missing.insert(n.domain() + ":" + op);
      continue;
    }
    // As the importer decides: Constant nodes become constant values; Upsample becomes Resize
    // (helpers/RULES.md canonical forms).
    if (op == "Constant") continue;
    const std::string table_op = op == "Upsample" ? "Resize" : op;
    if (!FindOp(table_op)) missing.insert(op);
  }
  if (!missing.empty()) {
    r.outcome = Outcome::kSkip;
    r.ops.assign(missing.begin(), missing.end());
    r.reason = "unsupported op(s):";
    for (const std::string& o : r.ops) r.reason += " " + o;
    return r;
  }
  for (const auto& vi : m.graph().input())
    if (!IsTensorType(vi.type())) {
      r.outcome = Outcome::kSkip;
      r.ops = {"<non-tensor input>"};
      r.reason = "input '" + vi.name() + "' is not a tensor (sequence/optional/map types are not supported)";
      return r;
    }
  for (const auto& vi : m.graph().output())
    if (!IsTensorType(vi.type()) || vi.type().tensor_type().elem_type() == onnx::TensorProto::STRING) {
      r.outcome = Outcome::kSkip;
      r.ops = {"<non-tensor or string output>"};
      r.reason = "output '" + vi.name() + "' is not a numeric tensor";
      return r;
    }
  for (const auto& vi : m.graph().input())
    if (vi.type().tensor_type().elem_type() == onnx::TensorProto::STRING) {
      r.outcome = Outcome::kSkip;
      r.ops = {"<string input>"};
      r.reason = "input '" + vi.name() + "' is a string tensor";
      return r;
    }
  return r;
}

std::vector<fs::path> SortedDirs(const fs::path& root, const std::string& prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory() && e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Steps 2 and 3 (runs in the child).
TestResult RunOne(const fs::path& dir, const onnx::ModelProto& m, bool fold_constants) {
  TestResult r;
  r.outcome = Outcome::kFail;
  ImportOptions io;
  io.fold_constants = fold_constants;
  Result<Graph> g = ImportOnnx((dir / "model.onnx").string(), io);
  if (!g.ok()) {
    r.reason = "import: " + g.status().message();
    return r;
  }
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  std::vector<std::string> in_names, out_names;
  std::vector<int32_t> in_types, out_types;
  for (const auto& vi : m.graph().input())
    if (!inits.count(vi.name())) {
      in_names.push_back(vi.name());
      in_types.push_back(vi.type().tensor_type().elem_type());
    }
  for (const auto& vi : m.graph().output()) {
    out_names.push_back(vi.name());
    out_types.push_back(vi.type().tensor_type().elem_type());
  }

  std::vector<fs::path> sets = SortedDirs(dir, "test_data_set_");
  if (sets.empty()) {
    r.reason = "no test_data_set_* folder";
    return r;
  }
  for (const fs::path& set : sets) {
    const std::string set_name = set.filename().string();
    devices::TensorMap inputs;
    for (size_t i = 0; i < in_names.size(); ++i) {
      fs::path p = set / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;   // trailing optional inputs may be left out
      Result<Tensor> t = ReadTensorPb(p);
      if (!t.ok()) {
        r.reason = set_name + ": " + t.status().message();
        return r;
      }
      inputs[in_names[i]] = AsDeclared(std::move(*t), in_types[i]);
    }
    devices::ReferenceOptions ro;
    ro.reject_non_finite_inputs = false;
    Result<devices::TensorMap> out = devices::RunReference(*g, inputs, ro);
    if (!out.ok()) {
      r.reason = set_name + ": run: " + out.status().message();
      return r;
    }
    int compared = 0;
    for (size_t i = 0; i < out_names.size(); ++i) {
      fs::path p = set / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) continue;
      ++compared;
      Result<Tensor> want = ReadTensorPb(p);
      if (!want.ok()) {
        r.reason = set_name + ": " + want.status().message();
        return r;
      }
      auto it = out->find(out_names[i]);
      if (it == out->end()) {
        r.reason = set_name + ": output '" + out_names[i] + "' was not produced";
        return r;
      }
      std::string why = Compare(out_names[i], it->second, AsDeclared(std::move(*want), out_types[i]));
      if (!why.empty()) {
        r.reason = set_name + ": " + why;
        return r;
      }
    }
    if (compared == 0) {
      r.reason = set_name + ": no output_*.pb to compare with";
      return r;
    }
  }
  r.outcome = Outcome::kPass;
  return r;
}

// Without import-time folding first, so the kernels run on the test data. A test that needs
// folding (a function body computing a Reshape target through Shape/Size/ConstantOfShape chains
// that only folding makes static) is retried with it, as every real model is imported: the same
// reference kernels then run at import time. Such a pass says so in its reason.
TestResult RunBoth(const fs::path& dir, const onnx::ModelProto& m) {
  TestResult r = RunOne(dir, m, false);
  if (r.outcome == Outcome::kPass) return r;
  TestResult folded = RunOne(dir, m, true);
  if (folded.outcome != Outcome::kPass) return r;
  folded.reason = "passes with import-time constant folding only; without: " + r.reason;
  return folded;
}

// Runs RunBoth in a forked child so a crash or a hang fails one test only.
TestResult RunIsolated(const fs::path& dir, const onnx::ModelProto& m) {
  int fds[2];
  if (pipe(fds) != 0) return RunBoth(dir, m);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return RunBoth(dir, m);
  }
  if (pid == 0) {
    close(fds[0]);
    TestResult r = RunBoth(dir, m);
    std::string msg = (r.outcome == Outcome::kPass ? "P" : "F") + r.reason;
    size_t off = 0;
    while (off < msg.size()) {
      ssize_t w = write(fds[1], msg.data() + off, msg.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
  bool timed_out = false;
  for (;;) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pf{fds[0], POLLIN, 0};
    int pr = poll(&pf, 1, left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      timed_out = pr == 0;
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  TestResult r;
  r.outcome = Outcome::kFail;
  if (timed_out) {
    r.reason = "timed out after " + std::to_string(kTimeoutSeconds) + " s";
  } else if (WIFSIGNALED(status)) {
    r.reason = std::string("crashed: ") + strsignal(WTERMSIG(status));
  } else if (msg.empty()) {
    r.reason = "child exited with status " + std::to_string(WEXITSTATUS(status)) + " and no result";
  } else {
    r.outcome = msg[0] == 'P' ? Outcome::kPass : Outcome::kFail;
    r.reason = msg.substr(1);
  }
  return r;
}

// known_gaps.txt: "test_name  # reason" per line; blank lines and lines starting with # ignored.
std::map<std::string, std::string> ReadKnownGaps(const fs::path& p) {
  std::map<std::string, std::string> gaps;
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line)) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    size_t hash = line.find('#');
    std::string name = line.substr(start, hash == std::string::npos ? std::string::npos : hash - start);
    name.erase(name.find_last_not_of(" \t\r") + 1);
    std::string reason = hash == std::string::npos ? "" : line.substr(hash + 1);
    size_t rs = reason.find_first_not_of(" \t");
    reason = rs == std::string::npos ? "" : reason.substr(rs);
    gaps[name] = reason;
  }
  return gaps;
}

// Runs every test_* folder under `root`; returns the failures outside known_gaps.txt (the report
// goes to the console and to <build>/<report_name>).
std::vector<std::pair<std::string, std::string>> RunSuite(const fs::path& root, const std::string& what,
                                                          const std::string& report_name) {
  const char* filter_env = std::getenv("EDGEINFER_CONFORMANCE_FILTER");
  const std::string filter = filter_env ? filter_env : "";
  const auto gaps = ReadKnownGaps(fs::path(EDGEINFER_SOURCE_DIR) / "tests/conformance/known_gaps.txt");

  int passed = 0, failed = 0, skipped = 0, known = 0;
  std::map<std::string, int> skipped_ops;                       // op -> tests it blocks
  std::map<std::string, int> passed_ops;                        // op -> passing tests using it
  std::vector<std::pair<std::string, std::string>> failures;    // test -> reason (not known gaps)
  std::vector<std::pair<std::string, std::string>> known_failures;
  std::vector<std::string> gaps_now_passing;
  std::vector<std::pair<std::string, std::string>> passed_folded;   // passes that needed folding
  std::vector<std::pair<std::string, std::string>> skips;
  auto t0 = std::chrono::steady_clock::now();
  for (const fs::path& dir : SortedDirs(root, "test_")) {
    const std::string name = dir.filename().string();
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    onnx::ModelProto m;
    bool ok = false;
    std::string bytes = ReadFile(dir / "model.onnx", &ok);
    TestResult r;
    if (!ok || !m.ParseFromString(bytes)) {
      r.outcome = Outcome::kFail;
      r.reason = "cannot read or parse model.onnx";
    } else {
      r = CheckSupported(m);
      if (r.outcome == Outcome::kPass) r = RunIsolated(dir, m);
    }
    switch (r.outcome) {
      case Outcome::kPass:
        ++passed;
        if (!r.reason.empty()) passed_folded.emplace_back(name, r.reason);
        {
          std::set<std::string> used;
          for (const auto& n : m.graph().node()) used.insert(n.op_type() == "Upsample" ? "Resize" : n.op_type());
          for (const std::string& op : used) passed_ops[op] += 1;
        }
        if (gaps.count(name)) gaps_now_passing.push_back(name);
        break;
      case Outcome::kSkip:
        ++skipped;
        for (const std::string& op : r.ops) skipped_ops[op] += 1;
        skips.emplace_back(name, r.reason);
        break;
      case Outcome::kFail:
        ++failed;
        if (gaps.count(name)) {
          ++known;
          known_failures.emplace_back(name, r.reason + "  [known gap: " + gaps.at(name) + "]");
        } else {
          failures.emplace_back(name, r.reason);
        }
        break;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::ostringstream rep;
  rep << what << " from " << root.string() << (filter.empty() ? "" : " (filter '" + filter + "')")
      << ", " << secs << " s\n";
  rep << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  rep << "known gaps among the failures: " << known << "\n";
  rep << "passes that needed import-time constant folding: " << passed_folded.size() << "\n";
  rep << "\nskipped op types (op: tests needing it):\n";
  std::vector<std::pair<std::string, int>> ops(skipped_ops.begin(), skipped_ops.end());
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (const auto& [op, count] : ops) rep << "  " << op << ": " << count << "\n";
  // Coverage of the op table: ops that no passing node test exercises (fused ops have no ONNX test).
  std::vector<std::string> unexercised;
  for (const OpDef& d : OpTable())
    if (!passed_ops.count(d.name)) unexercised.push_back(d.name);
  rep << "\nop table: " << OpTable().size() - unexercised.size() << " of " << OpTable().size()
      << " ops exercised by passing node tests; not exercised:";
  for (const std::string& op : unexercised) rep << " " << op;
  rep << "\n";
  rep << "\nfailures (" << failures.size() << "):\n";
  for (const auto& [n, why] : failures) rep << "  FAIL " << n << ": " << why << "\n";
  if (!known_failures.empty()) {
    rep << "\nknown gaps (" << known_failures.size() << "):\n";
    for (const auto& [n, why] : known_failures) rep << "  GAP  " << n << ": " << why << "\n";
  }
  if (!gaps_now_passing.empty()) {
    rep << "\nlisted in known_gaps.txt but passing now (remove them):\n";
    for (const std::string& n : gaps_now_passing) rep << "  " << n << "\n";
  }
  if (!passed_folded.empty()) {
    rep << "\npassed with import-time constant folding only (" << passed_folded.size() << "):\n";
    for (const auto& [n, why] : passed_folded) rep << "  " << n << ": " << why << "\n";
  }
  rep << "\nskipped tests (" << skips.size() << "):\n";
  for (const auto& [n, why] : skips) rep << "  SKIP " << n << ": " << why << "\n";

  // The console gets everything but the per-test skip list (in the report file).
  std::string text = rep.str();
  std::string console = text.substr(0, text.find("\nskipped tests ("));
  std::printf("%s\n", console.c_str());
  const fs::path report = fs::path(EDGEINFER_BINARY_DIR) / report_name;
  std::ofstream(report) << text;
  std::printf("full report: %s\n", report.string().c_str());
  return failures;
}

TEST(Conformance, OnnxBackendNodeTests) {
  const char* env_root = std::getenv("EDGEINFER_ONNX_NODE_TESTS");
  const fs::path root = env_root ? env_root : "/usr/share/libonnx-testdata/data/node";
  if (!fs::is_directory(root))
    GTEST_SKIP() << "no ONNX node tests at " << root << " (install libonnx-testdata; scripts/bootstrap.sh does)";
  const auto failures = RunSuite(root, "ONNX backend node tests", "conformance_report.txt");
  EXPECT_TRUE(failures.empty()) << failures.size()
                                << " node tests failed outside tests/conformance/known_gaps.txt (listed above)";
}

// The same package's small-model tests: PyTorch's exports of its modules and operators (opset 6,
// the legacy forms the importer rewrites) and the "simple" models. Same runner, same rules.
TEST(Conformance, OnnxBackendModelTests) {
  const fs::path base = "/usr/share/libonnx-testdata/data";
  int suites = 0;
  for (const char* suite : {"pytorch-converted", "pytorch-operator", "simple"}) {
    const fs::path root = base / suite;
    if (!fs::is_directory(root)) continue;
    ++suites;
    const auto failures = RunSuite(root, std::string("ONNX backend model tests (") + suite + ")",
                                   std::string("conformance_report_") + suite + ".txt");
    EXPECT_TRUE(failures.empty()) << failures.size() << " " << suite << " tests failed (listed above)";
  }
  if (suites == 0) GTEST_SKIP() << "no ONNX model tests under " << base << " (install libonnx-testdata; scripts/bootstrap.sh does)";
}

}  // namespace
}  // namespace edgeinfer
