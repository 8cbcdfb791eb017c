#include "graph/attributes.h"

#include <sstream>

namespace edgeinfer {

int64_t Attributes::GetInt(const std::string& name, int64_t def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  if (auto* f = std::get_if<float>(&it->second)) return static_cast<int64_t>(*f);
  return def;
}

float Attributes::GetFloat(const std::string& name, float def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<float>(&it->second)) return *v;
  if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  return def;
}

std::string Attributes::GetString(const std::string& name, const std::string& def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return def;
}

std::vector<int64_t> Attributes::GetInts(const std::string& name, std::vector<int64_t> def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  if (auto* i = std::get_if<int64_t>(&it->second)) return {*i};
  return def;
}

std::vector<float> Attributes::GetFloats(const std::string& name, std::vector<float> def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<std::vector<float>>(&it->second)) return *v;
  if (auto* f = std::get_if<float>(&it->second)) return {*f};
  return def;
}

const Tensor* Attributes::GetTensor(const std::string& name) const {
  auto it = map_.find(name);
  if (it == map_.end()) return nullptr;
  return std::get_if<Tensor>(&it->second);
}

std::string Attributes::ToString() const {
  std::ostringstream os;
  bool first = true;
  for (const auto& [k, v] : map_) {
    if (!first) os << ' ';
    first = false;
    os << k << '=';
    std::visit(
        [&os](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, float>) {
            os << x;
          } else if constexpr (std::is_same_v<T, std::string>) {
            os << '"' << x << '"';
          } else if constexpr (std::is_same_v<T, Tensor>) {
            os << "tensor" << x.shape().ToString();
          } else {
            os << '[';
            for (size_t i = 0; i < x.size(); ++i) os << (i ? "," : "") << x[i];
            os << ']';
          }
        },
        v);
  }
  return os.str();
}

}  // namespace edgeinfer
