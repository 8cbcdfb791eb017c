// Node attributes: a small ordered map from ONNX attribute name to a typed value.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer {

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>, Tensor>;

class Attributes {
 public:
  bool Has(const std::string& name) const { return map_.count(name) != 0; }
  void Set(const std::string& name, AttrValue v) { map_[name] = std::move(v); }
  void Erase(const std::string& name) { map_.erase(name); }
  const std::map<std::string, AttrValue>& all() const { return map_; }

  // Getters return the default when absent; a present attribute of the wrong kind is an error
  // reported by the Checked* variants (used by shape inference, which runs before any kernel).
  int64_t GetInt(const std::string& name, int64_t def) const;
  float GetFloat(const std::string& name, float def) const;
  std::string GetString(const std::string& name, const std::string& def) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> def = {}) const;
  std::vector<float> GetFloats(const std::string& name, std::vector<float> def = {}) const;
  const Tensor* GetTensor(const std::string& name) const;

  // "kernel_shape=[3,3] strides=[1,1]" (sorted by name), for dumps.
  std::string ToString() const;

 private:
  std::map<std::string, AttrValue> map_;
};

}  // namespace edgeinfer
