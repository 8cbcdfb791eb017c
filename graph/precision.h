// The one precision vocabulary: what a model is compiled to (the pass list, compile reports,
// sessions, engine files) and what a DLA profile supports. Parse/Name are the only places the
// words "fp32", "fp16" and "int8" (and the I/O formats "float", "int8") are spelled.
#pragma once
#include <string>

#include "graph/dtype.h"
#include "graph/status.h"

namespace edgeinfer {

enum class Precision { kFp32, kFp16, kInt8 };

// "fp32", "fp16", "int8".
const char* PrecisionName(Precision p);
// The inverse of PrecisionName; an error names the word and the choices.
Result<Precision> ParsePrecision(const std::string& s);
// The element type a layer of that precision computes in (kFloat32, kFloat16, kInt8).
DType PrecisionDType(Precision p);
// The precision of a compute dtype: int8 -> kInt8, float16 -> kFp16, anything else kFp32.
Precision PrecisionOfDType(DType t);

// Network I/O format: float (FP32 in and out) or int8 (the caller quantizes the input and takes the
// output quantized at the graph's I/O scales; fusions/int8_io.cc).
enum class IoFormat { kFloat, kInt8 };
const char* IoFormatName(IoFormat f);   // "float", "int8"
// "" reads as float.
Result<IoFormat> ParseIoFormat(const std::string& s);

}  // namespace edgeinfer
