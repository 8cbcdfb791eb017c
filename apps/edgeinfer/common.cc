#include "apps/edgeinfer/common.h"

#include "runtime/engine_instance.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <random>

#include "graph/npy.h"
#include "graph/quant/int8_math.h"
#include "graph/onnx_import.h"

namespace edgeinfer::apps {

Result<Graph> LoadModel(const std::string& path, int64_t batch) {
  ImportOptions opts;
  opts.batch = batch;
  EI_ASSIGN_OR_RETURN(Graph g, ImportOnnx(path, opts));
  // --batch binds a symbolic batch; a model exported with a fixed one cannot be bound to another.
  if (batch > 0 && !g.inputs().empty()) {
    const Shape& s = g.value(g.inputs()[0]).shape;
    if (s.rank() > 0 && s.dims[0] != batch)
      return runtime::FixedBatchError(g, s.dims[0], batch, "--batch").WithContext(path);
  }
  return g;
}

Result<devices::TensorMap> LoadInputs(const Graph& g, const std::vector<std::string>& specs, int64_t batch) {
  devices::TensorMap m;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return Status::Error("--input '" + spec + "': expected NAME=FILE.npy");
    }
    std::string name = spec.substr(0, eq);
    if (!g.FindValue(name)) {
      std::string list;
      for (ValueId v : g.inputs()) list += (list.empty() ? "" : ", ") + g.value(v).name;
      return Status::Error("--input '" + spec + "': the model has no input named '" + name + "' (inputs: " + list + ")");
    }
    EI_ASSIGN_OR_RETURN(Tensor t, ReadNpy(spec.substr(eq + 1)));
    const Value& v = g.value(*g.FindValue(name));
    if (v.dtype == DType::kInt8 && v.quant && v.quant->scale.size() == 1 && t.dtype() == DType::kFloat32) {
      // An INT8 network input (engine compiled with --io-format int8) given as float data: quantize
      // it on the host exactly as the engine's input expects (docs/int8-arithmetic.md).
      const float scale = v.quant->scale[0];
      Tensor q(DType::kInt8, t.dims());
      for (int64_t i = 0; i < t.numel(); ++i) {
        const float x = t.data<float>()[i];
        if (!std::isfinite(x)) {
          return Status::Error("--input '" + spec + "': element " + std::to_string(i) + " is not finite; it cannot be quantized to the int8 input");
        }
        q.data<int8_t>()[i] = int8::QuantizeToInt8(x, scale);
      }
      std::cerr << "edgeinfer: note: input '" << name << "' is int8 (scale " << scale
                << "); the float data of " << spec.substr(eq + 1) << " was quantized on the host\n";
      t = std::move(q);
    }
    m[name] = std::move(t);
  }
  return m;
}

bool HasSymbolicBatch(const Graph& g) {
  for (ValueId id : g.inputs()) {
    const Shape& sh = g.value(id).shape;
    if (sh.rank() > 0 && sh.dims[0] < 0) return true;
  }
  return false;
}

int64_t BatchOfInputs(const Graph& g, const devices::TensorMap& inputs) {
  for (ValueId id : g.inputs()) {
    const Value& v = g.value(id);
    auto it = inputs.find(v.name);
    if (it != inputs.end() && v.shape.rank() > 0 && v.shape.dims[0] < 0 && it->second.rank() > 0) return it->second.dim(0);
  }
  return 1;
}

Status FillRandomInputs(const Graph& g, int64_t batch, uint32_t seed, devices::TensorMap* given) {
  for (ValueId id : g.inputs()) {
    const Value& v = g.value(id);
    if (given->count(v.name)) continue;
    std::vector<int64_t> dims = v.shape.dims;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] < 0) {
        if (i != 0) {
          return Status::Error("input '" + v.name + "' has a dynamic non-batch dimension " + std::to_string(i) +
                               " in " + v.shape.ToString() + "; give it with --input");
        }
        dims[i] = batch > 0 ? batch : 1;
      }
    }
    Tensor t(v.dtype, dims);
    std::mt19937 rng(seed ^ static_cast<uint32_t>(std::hash<std::string>{}(v.name)));
    const int64_t n = t.numel();
    if (v.dtype == DType::kFloat32) {
      std::uniform_real_distribution<float> d(-1.f, 1.f);
      for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = d(rng);
    } else if (v.dtype == DType::kInt8 && v.quant && v.quant->scale.size() == 1) {
      // An INT8 network input (--io-format int8): the same uniform [-1, 1) data, quantized at its scale.
      std::uniform_real_distribution<float> d(-1.f, 1.f);
      for (int64_t i = 0; i < n; ++i) t.data<int8_t>()[i] = int8::QuantizeToInt8(d(rng), v.quant->scale[0]);
    } else if (IsInteger(v.dtype) || v.dtype == DType::kFloat16 || v.dtype == DType::kFloat64) {
      std::uniform_int_distribution<int> d(0, 9);
      Tensor f(DType::kFloat32, dims);
      for (int64_t i = 0; i < n; ++i) f.data<float>()[i] = static_cast<float>(d(rng));
      t = f.CastTo(v.dtype);
    } else {
      return Status::Error(std::string("input '") + v.name + "' of dtype " + DTypeName(v.dtype) +
                           " cannot be generated; give it with --input");
    }
    (*given)[v.name] = std::move(t);
  }
  return Status::Ok();
}

nlohmann::json TensorSummary(const Tensor& t) {
  nlohmann::json j;
  j["shape"] = t.dims();
  j["dtype"] = DTypeName(t.dtype());
  double mn = INFINITY, mx = -INFINITY, sum = 0;
  int64_t finite = 0, n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    double x = t.GetAsDouble(i);
    if (!std::isfinite(x)) continue;
    mn = std::min(mn, x);
    mx = std::max(mx, x);
    sum += x;
    ++finite;
  }
  j["min"] = finite ? mn : 0.0;
  j["max"] = finite ? mx : 0.0;
  j["mean"] = finite ? sum / static_cast<double>(finite) : 0.0;
  j["non_finite"] = n - finite;
  std::vector<double> first;
  for (int64_t i = 0; i < std::min<int64_t>(n, 5); ++i) first.push_back(t.GetAsDouble(i));
  j["first"] = first;
  return j;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

int Fail(const std::string& cmd, const Status& s) {
  std::cerr << "edgeinfer " << cmd << ": error: " << s.message() << "\n";
  return 1;
}

}  // namespace edgeinfer::apps
