#include "devices/device.h"

#include <cmath>
#include <set>

namespace edgeinfer::devices {

Status ValidateInputs(const Graph& g, const TensorMap& inputs, bool reject_non_finite) {
  std::set<std::string> known;
  for (ValueId id : g.inputs()) {
    const Value& v = g.value(id);
    known.insert(v.name);
    auto it = inputs.find(v.name);
    if (it == inputs.end()) return Status::Error("input '" + v.name + "' is not given (the model needs it)");
    const Tensor& t = it->second;
    if (t.dtype() != v.dtype) {
      return Status::Error(std::string("input '") + v.name + "' has dtype " + DTypeName(t.dtype()) +
                           "; the model expects " + DTypeName(v.dtype));
    }
    bool shape_ok = t.rank() == v.shape.rank();
    for (size_t i = 0; shape_ok && i < t.rank(); ++i) {
      if (v.shape.dims[i] >= 0 && v.shape.dims[i] != t.dim(i)) shape_ok = false;
    }
    if (!shape_ok) {
      return Status::Error("input '" + v.name + "' has shape " + t.shape().ToString() + "; the model expects " +
                           v.shape.ToString());
    }
    if (reject_non_finite && t.dtype() == DType::kFloat32) {
      const float* p = t.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) {
        if (!std::isfinite(p[i])) {
          return Status::Error("input '" + v.name + "' element " + std::to_string(i) + " is " +
                               (std::isnan(p[i]) ? "NaN" : "infinite") + " (rule: inputs must be finite)");
        }
      }
    }
  }
  for (const auto& [name, t] : inputs) {
    if (!known.count(name)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::Error("unknown input name '" + name + "'; the model's inputs are: " + list);
    }
  }
  return Status::Ok();
}

}  // namespace edgeinfer::devices
