#include "graph/shape.h"

namespace edgeinfer {

bool Shape::IsStatic() const {
  for (int64_t d : dims) if (d < 0) return false;
  return true;
}

int64_t Shape::NumElements() const {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

std::string Shape::ToString() const {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    if (dims[i] >= 0) {
      s += std::to_string(dims[i]);
    } else if (i < symbols.size() && !symbols[i].empty()) {
      s += symbols[i];
    } else {
      s += "?";
    }
  }
  return s + "]";
}

std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> st(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * dims[i + 1];
  return st;
}

}  // namespace edgeinfer
