#include "graph/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace edgeinfer {

namespace {
std::shared_ptr<void> AlignedAlloc(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();   // callers at library boundaries (the C API) turn it into a status
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}
}  // namespace

Tensor::Tensor(DType dtype, std::vector<int64_t> dims) : dtype_(dtype), dims_(std::move(dims)) {
  storage_ = AlignedAlloc(bytes());
  data_ = storage_.get();
}

Tensor Tensor::Borrow(DType dtype, std::vector<int64_t> dims, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.data_ = data;
  return t;
}

Tensor Tensor::FromBytes(DType dtype, std::vector<int64_t> dims, const void* src) {
  Tensor t(dtype, std::move(dims));
  if (t.bytes()) std::memcpy(t.data_, src, t.bytes());
  return t;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

Tensor Tensor::Clone() const { return FromBytes(dtype_, dims_, data_); }

Result<Tensor> Tensor::Reshaped(std::vector<int64_t> dims) const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (n != numel()) {
    return Status::Error("cannot reshape " + Shape(dims_).ToString() + " to " + Shape(dims).ToString() +
                         ": element counts differ");
  }
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

double Tensor::GetAsDouble(int64_t i) const {
  switch (dtype_) {
    case DType::kFloat32: return data<float>()[i];
    case DType::kFloat64: return data<double>()[i];
    case DType::kFloat16: return HalfToFloat(data<uint16_t>()[i]);
    case DType::kInt8: return data<int8_t>()[i];
    case DType::kUInt8: return data<uint8_t>()[i];
    case DType::kInt16: return data<int16_t>()[i];
    case DType::kUInt16: return data<uint16_t>()[i];
    case DType::kInt32: return data<int32_t>()[i];
    case DType::kUInt32: return data<uint32_t>()[i];
    case DType::kInt64: return static_cast<double>(data<int64_t>()[i]);
    case DType::kUInt64: return static_cast<double>(data<uint64_t>()[i]);
    case DType::kBool: return data<uint8_t>()[i] ? 1.0 : 0.0;
    default: return 0.0;
  }
}

int64_t Tensor::GetAsInt64(int64_t i) const {
  switch (dtype_) {
    case DType::kInt64: return data<int64_t>()[i];
    case DType::kUInt64: return static_cast<int64_t>(data<uint64_t>()[i]);
    case DType::kInt32: return data<int32_t>()[i];
    case DType::kUInt32: return data<uint32_t>()[i];
    default: return static_cast<int64_t>(GetAsDouble(i));
  }
}

Tensor Tensor::CastTo(DType to) const {
  Tensor out(to, dims_);
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) {
    switch (to) {
      case DType::kFloat32: out.data<float>()[i] = static_cast<float>(GetAsDouble(i)); break;
      case DType::kFloat64: out.data<double>()[i] = GetAsDouble(i); break;
      case DType::kFloat16: out.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(GetAsDouble(i))); break;
      case DType::kInt8: out.data<int8_t>()[i] = static_cast<int8_t>(GetAsInt64(i)); break;
      case DType::kUInt8: out.data<uint8_t>()[i] = static_cast<uint8_t>(GetAsInt64(i)); break;
      case DType::kInt16: out.data<int16_t>()[i] = static_cast<int16_t>(GetAsInt64(i)); break;
      case DType::kUInt16: out.data<uint16_t>()[i] = static_cast<uint16_t>(GetAsInt64(i)); break;
      case DType::kInt32: out.data<int32_t>()[i] = static_cast<int32_t>(GetAsInt64(i)); break;
      case DType::kUInt32: out.data<uint32_t>()[i] = static_cast<uint32_t>(GetAsInt64(i)); break;
      case DType::kInt64: out.data<int64_t>()[i] = GetAsInt64(i); break;
      case DType::kUInt64: out.data<uint64_t>()[i] = static_cast<uint64_t>(GetAsInt64(i)); break;
      case DType::kBool: out.data<uint8_t>()[i] = GetAsDouble(i) != 0.0; break;
      default: break;
    }
  }
  return out;
}

}  // namespace edgeinfer
