// The encoder side of onnx/wire_reader.h: appends protobuf wire-format fields to a byte string.
// Used by the ONNX writer (onnx/onnx_writer.h) and, through tag()/raw(), by tests that hand-craft
// malformed bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeinfer {

// Methods append one field and return *this.
class WireWriter {
 public:
  static constexpr int kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;

  WireWriter& tag(uint32_t field, int wire_type);  // just the key
  WireWriter& varint(uint32_t field, uint64_t v);
  WireWriter& int64(uint32_t field, int64_t v) { return varint(field, static_cast<uint64_t>(v)); }
  WireWriter& fixed32(uint32_t field, float v);
  WireWriter& fixed64(uint32_t field, double v);
  WireWriter& bytes(uint32_t field, const std::string& v);
  WireWriter& bytes(uint32_t field, const void* data, size_t n);
  WireWriter& message(uint32_t field, const WireWriter& sub) { return bytes(field, sub.data()); }
  // Repeated scalars, packed into one length-delimited field or unpacked (one key per element).
  // Empty lists write nothing.
  WireWriter& ints(uint32_t field, const std::vector<int64_t>& v, bool packed = true);
  WireWriter& uints(uint32_t field, const std::vector<uint64_t>& v, bool packed = true);
  WireWriter& floats(uint32_t field, const std::vector<float>& v, bool packed = true);
  WireWriter& doubles(uint32_t field, const std::vector<double>& v, bool packed = true);
  WireWriter& raw(const std::string& bytes_without_key);  // appended verbatim

  const std::string& data() const { return data_; }
  std::string take() { return std::move(data_); }

  static std::string encode_varint(uint64_t v);

 private:
  std::string data_;
};

}  // namespace edgeinfer
