// NumPy .npy files in and out (format versions 1.0, 2.0 and 3.0; little-endian; C order).
// Used by the CLI (run --input/--output-dir), calibration data and tests.
#pragma once
#include <string>

#include "graph/status.h"
#include "graph/tensor.h"

namespace edgeinfer {

// Reads a whole .npy file. Errors name the file and the rule broken (bad magic, truncated header,
// unsupported dtype, Fortran order, big-endian, data shorter than the header says).
Result<Tensor> ReadNpy(const std::string& path);
Result<Tensor> ParseNpy(const std::string& bytes, const std::string& what);
// Writes a tensor as .npy version 1.0 (the file is replaced).
Status WriteNpy(const std::string& path, const Tensor& t);
std::string SerializeNpy(const Tensor& t);

}  // namespace edgeinfer
