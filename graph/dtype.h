// Element types of tensors. Values follow ONNX TensorProto.DataType so import is a cast.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace edgeinfer {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

// Bytes per element; 0 for kUndefined and kString.
size_t DTypeSize(DType t);
// Lower-case name as ONNX spells it ("float", "int8", "float16").
const char* DTypeName(DType t);
bool IsFloating(DType t);
bool IsInteger(DType t);
// Maps an ONNX TensorProto.DataType number; kUndefined when unknown.
DType DTypeFromOnnx(int32_t onnx_type);

// IEEE half <-> float, round to nearest even.
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);

}  // namespace edgeinfer
