// Tensor: a typed, shaped, contiguous (row-major) buffer with shared ownership.
// Weights are held as std::shared_ptr<const Tensor>: loaded once and shared by every engine and
// plan without copies. Kernels take TensorView/const Tensor& and never allocate.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/status.h"

namespace edgeinfer {

// Quantization parameters of a value: per tensor (one scale) or per channel along `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;   // same length as scale (or empty = all zero)
  int axis = -1;                     // -1: per tensor
  bool PerChannel() const { return scale.size() > 1; }
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled storage, 64-byte aligned. Shape must be static.
  Tensor(DType dtype, std::vector<int64_t> dims);
  // Wraps external memory without owning it (the caller keeps it alive).
  static Tensor Borrow(DType dtype, std::vector<int64_t> dims, void* data);
  // Copies `bytes` from `src`.
  static Tensor FromBytes(DType dtype, std::vector<int64_t> dims, const void* src);
  template <class T>
  static Tensor FromVector(DType dtype, std::vector<int64_t> dims, const std::vector<T>& v) {
    return FromBytes(dtype, std::move(dims), v.data());
  }

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  Shape shape() const { return Shape(dims_); }
  size_t rank() const { return dims_.size(); }
  int64_t dim(size_t i) const { return dims_[i]; }
  int64_t numel() const;
  size_t bytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }
  bool empty() const { return data_ == nullptr && numel() != 0; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T> T* data() { return static_cast<T*>(data_); }
  template <class T> const T* data() const { return static_cast<const T*>(data_); }

  // Deep copy.
  Tensor Clone() const;
  // Same storage, new dims of the same element count (shares ownership).
  Result<Tensor> Reshaped(std::vector<int64_t> dims) const;
  // Element i converted to double / int64 (any numeric dtype); for constant folding and tests.
  double GetAsDouble(int64_t i) const;
  int64_t GetAsInt64(int64_t i) const;
  // Converts element-wise to another numeric dtype (saturation is not applied: a plain cast).
  Tensor CastTo(DType to) const;

 private:
  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> dims_;
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
};

using TensorPtr = std::shared_ptr<const Tensor>;

}  // namespace edgeinfer
