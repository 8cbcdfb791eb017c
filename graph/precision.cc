#include "graph/precision.h"

namespace edgeinfer {

const char* PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp32: return "fp32";
    case Precision::kFp16: return "fp16";
    case Precision::kInt8: return "int8";
  }
  return "?";
}

Result<Precision> ParsePrecision(const std::string& s) {
  for (Precision p : {Precision::kFp32, Precision::kFp16, Precision::kInt8})
    if (s == PrecisionName(p)) return p;
  return Status::Error("precision '" + s + "' is not one of fp32, fp16, int8");
}

DType PrecisionDType(Precision p) {
  switch (p) {
    case Precision::kFp32: return DType::kFloat32;
    case Precision::kFp16: return DType::kFloat16;
    case Precision::kInt8: return DType::kInt8;
  }
  return DType::kFloat32;
}

Precision PrecisionOfDType(DType t) {
  if (t == DType::kInt8) return Precision::kInt8;
  if (t == DType::kFloat16) return Precision::kFp16;
  return Precision::kFp32;
}

const char* IoFormatName(IoFormat f) { return f == IoFormat::kInt8 ? "int8" : "float"; }

Result<IoFormat> ParseIoFormat(const std::string& s) {
  if (s.empty() || s == IoFormatName(IoFormat::kFloat)) return IoFormat::kFloat;
  if (s == IoFormatName(IoFormat::kInt8)) return IoFormat::kInt8;
  return Status::Error("io_format '" + s + "': must be float or int8");
}

}  // namespace edgeinfer
