// Tensor shapes. A dimension may be symbolic (the batch, usually): its extent is kDynamic and its
// name is kept so dumps and errors can say "N".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace edgeinfer {

constexpr int64_t kDynamic = -1;

struct Shape {
  std::vector<int64_t> dims;          // extents in elements; kDynamic where symbolic/unknown
  std::vector<std::string> symbols;   // empty, or one per dim ("" where the dim is static)

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) : dims(d) {}
  explicit Shape(std::vector<int64_t> d) : dims(std::move(d)) {}

  size_t rank() const { return dims.size(); }
  int64_t operator[](size_t i) const { return dims[i]; }
  bool IsStatic() const;
  // Product of the dims; -1 when any dim is dynamic. 1 for a scalar.
  int64_t NumElements() const;
  // "[N,3,224,224]" ("?" for an unnamed dynamic dim).
  std::string ToString() const;
  bool operator==(const Shape& o) const { return dims == o.dims; }
  bool operator!=(const Shape& o) const { return dims != o.dims; }
};

// Row-major strides in elements.
std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& dims);

}  // namespace edgeinfer
