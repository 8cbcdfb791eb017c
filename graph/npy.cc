#include "graph/npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace edgeinfer {

namespace {

const char kMagic[] = "\x93NUMPY";

Result<DType> DTypeFromDescr(const std::string& d, const std::string& what) {
  if (d.size() < 2) return Status::Error(what + ": dtype descr '" + d + "' is malformed");
  char order = d[0];
  std::string code = d.substr(1);
  if (order == '>' && code != "i1" && code != "u1" && code != "b1") {
    return Status::Error(what + ": big-endian dtype '" + d + "' is not supported (rule: little-endian data)");
  }
  if (code == "f4") return DType::kFloat32;
  if (code == "f8") return DType::kFloat64;
  if (code == "f2") return DType::kFloat16;
  if (code == "i1") return DType::kInt8;
  if (code == "u1") return DType::kUInt8;
  if (code == "i2") return DType::kInt16;
  if (code == "u2") return DType::kUInt16;
  if (code == "i4") return DType::kInt32;
  if (code == "u4") return DType::kUInt32;
  if (code == "i8") return DType::kInt64;
  if (code == "u8") return DType::kUInt64;
  if (code == "b1") return DType::kBool;
  return Status::Error(what + ": dtype '" + d + "' is not supported");
}

const char* DescrOf(DType t) {
  switch (t) {
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kFloat16: return "<f2";
    case DType::kInt8: return "|i1";
    case DType::kUInt8: return "|u1";
    case DType::kInt16: return "<i2";
    case DType::kUInt16: return "<u2";
    case DType::kInt32: return "<i4";
    case DType::kUInt32: return "<u4";
    case DType::kInt64: return "<i8";
    case DType::kUInt64: return "<u8";
    case DType::kBool: return "|b1";
    default: return nullptr;
  }
}

// Finds the value text after 'key': in the header dict.
bool FindKey(const std::string& h, const std::string& key, size_t* pos) {
  size_t p = h.find("'" + key + "'");
  if (p == std::string::npos) p = h.find("\"" + key + "\"");
  if (p == std::string::npos) return false;
  p = h.find(':', p);
  if (p == std::string::npos) return false;
  *pos = p + 1;
  while (*pos < h.size() && h[*pos] == ' ') ++*pos;
  return true;
}

}  // namespace

Result<Tensor> ParseNpy(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    return Status::Error(what + ": not a .npy file (rule: starts with \\x93NUMPY)");
  }
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, off = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Status::Error(what + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    off = 12;
  } else {
    return Status::Error(what + ": .npy format version " + std::to_string(major) + " is not supported");
  }
  if (off + header_len > bytes.size()) return Status::Error(what + ": truncated .npy header");
  std::string h = bytes.substr(off, header_len);
  size_t p = 0;
  if (!FindKey(h, "descr", &p) || p >= h.size() || (h[p] != '\'' && h[p] != '"')) {
    return Status::Error(what + ": .npy header has no 'descr'");
  }
  size_t q = h.find(h[p], p + 1);
  if (q == std::string::npos) return Status::Error(what + ": .npy header 'descr' is malformed");
  EI_ASSIGN_OR_RETURN(DType dtype, DTypeFromDescr(h.substr(p + 1, q - p - 1), what));
  if (!FindKey(h, "fortran_order", &p)) return Status::Error(what + ": .npy header has no 'fortran_order'");
  if (h.compare(p, 4, "True") == 0) {
    return Status::Error(what + ": Fortran-ordered arrays are not supported (rule: C order; use np.ascontiguousarray)");
  }
  if (!FindKey(h, "shape", &p) || p >= h.size() || h[p] != '(') return Status::Error(what + ": .npy header has no 'shape'");
  q = h.find(')', p);
  if (q == std::string::npos) return Status::Error(what + ": .npy header 'shape' is malformed");
  std::vector<int64_t> dims;
  std::string inner = h.substr(p + 1, q - p - 1);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t a = item.find_first_not_of(" \t");
    if (a == std::string::npos) continue;
    item = item.substr(a);
    char* end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (end == item.c_str() || v < 0) return Status::Error(what + ": .npy shape entry '" + item + "' is not a size");
    dims.push_back(v);
  }
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d > 0 && n > (int64_t{1} << 40) / d) return Status::Error(what + ": .npy shape is too large");
    n *= d;
  }
  size_t need = static_cast<size_t>(n) * DTypeSize(dtype);
  size_t data_off = off + header_len;
  if (bytes.size() - data_off < need) {
    return Status::Error(what + ": .npy data is truncated: header says " + std::to_string(need) + " bytes, file has " +
                         std::to_string(bytes.size() - data_off));
  }
  return Tensor::FromBytes(dtype, dims, bytes.data() + data_off);
}

Result<Tensor> ReadNpy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseNpy(ss.str(), "'" + path + "'");
}

std::string SerializeNpy(const Tensor& t) {
  const char* descr = DescrOf(t.dtype());
  std::string dict = std::string("{'descr': '") + (descr ? descr : "<f4") + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.rank(); ++i) dict += std::to_string(t.dim(i)) + (t.rank() == 1 || i + 1 < t.rank() ? "," : "");
  dict += "), }";
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  out.append(static_cast<const char*>(t.raw()), t.bytes());
  return out;
}

Status WriteNpy(const std::string& path, const Tensor& t) {
  if (!DescrOf(t.dtype())) return Status::Error(std::string("cannot write dtype ") + DTypeName(t.dtype()) + " as .npy");
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::Error("cannot write '" + path + "'");
  std::string s = SerializeNpy(t);
  f.write(s.data(), static_cast<std::streamsize>(s.size()));
  if (!f) return Status::Error("write to '" + path + "' failed");
  return Status::Ok();
}

}  // namespace edgeinfer
