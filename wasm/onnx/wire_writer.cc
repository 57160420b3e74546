#include "onnx/wire_writer.h"

#include <cstring>

namespace edgeinfer {

std::string WireWriter::encode_varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

WireWriter& WireWriter::tag(uint32_t field, int wire_type) {
  data_ += encode_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
  return *this;
}

WireWriter& WireWriter::varint(uint32_t field, uint64_t v) {
  tag(field, kVarint);
  data_ += encode_varint(v);
  return *this;
}

WireWriter& WireWriter::fixed32(uint32_t field, float v) {
  tag(field, kFixed32);
  char b[4];
  std::memcpy(b, &v, 4);
  data_.append(b, 4);
  return *this;
}

WireWriter& WireWriter::fixed64(uint32_t field, double v) {
  tag(field, kFixed64);
  char b[8];
  std::memcpy(b, &v, 8);
  data_.append(b, 8);
  return *this;
}

WireWriter& WireWriter::bytes(uint32_t field, const std::string& v) {
  tag(field, kLen);
  data_ += encode_varint(v.size());
  data_ += v;
  return *this;
}

WireWriter& WireWriter::bytes(uint32_t field, const void* data, size_t n) {
  tag(field, kLen);
  data_ += encode_varint(n);
  data_.append(static_cast<const char*>(data), n);
  return *this;
}

WireWriter& WireWriter::ints(uint32_t field, const std::vector<int64_t>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (int64_t x : v) int64(field, x);
    return *this;
  }
  std::string run;
  for (int64_t x : v) run += encode_varint(static_cast<uint64_t>(x));
  return bytes(field, run);
}

WireWriter& WireWriter::uints(uint32_t field, const std::vector<uint64_t>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (uint64_t x : v) varint(field, x);
    return *this;
  }
  std::string run;
  for (uint64_t x : v) run += encode_varint(x);
  return bytes(field, run);
}

WireWriter& WireWriter::floats(uint32_t field, const std::vector<float>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (float x : v) fixed32(field, x);
    return *this;
  }
  std::string run(v.size() * 4, '\0');
  std::memcpy(&run[0], v.data(), run.size());
  return bytes(field, run);
}

WireWriter& WireWriter::doubles(uint32_t field, const std::vector<double>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (double x : v) fixed64(field, x);
    return *this;
  }
  std::string run(v.size() * 8, '\0');
  std::memcpy(&run[0], v.data(), run.size());
  return bytes(field, run);
}

WireWriter& WireWriter::raw(const std::string& b) {
  data_ += b;
  return *this;
}

}  // namespace edgeinfer
