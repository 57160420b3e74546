// A bounds-checked decoder of the protobuf wire format, enough for ONNX without libprotobuf.
// Every read checks the remaining bytes first; every failure is a kInvalidModel Status that says what
// is wrong, the absolute byte offset, and the message path, e.g.
//   "truncated varint at byte 1234 in ModelProto.graph > GraphProto.node > NodeProto.input".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgeinfer {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,  // deprecated groups: ONNX never uses them, the reader rejects them
  kEndGroup = 4,
  kFixed32 = 5,
};

const char* wire_type_name(WireType t);

class WireReader {
 public:
  // Nested messages deeper than this fail cleanly instead of exhausting the stack.
  static constexpr int kMaxDepth = 100;

  WireReader() = default;
  // `data` must outlive the reader. `message` names the proto type for error messages.
  WireReader(const uint8_t* data, size_t size, const char* message)
      : WireReader(data, size, message, 0, nullptr, 0) {}

  bool at_end() const { return pos_ >= size_; }
  // Absolute offset in the outermost buffer.
  size_t byte_offset() const { return base_ + pos_; }
  int depth() const { return depth_; }
  const char* message() const { return message_; }

  // Reads the next field's key. Afterwards field() and wire_type() describe it and exactly one of the
  // read_* / skip_field calls below must consume its payload.
  Status next_field();
  uint32_t field() const { return field_; }
  WireType wire_type() const { return wire_type_; }
  // Skips the payload of a field this decoder does not know.
  Status skip_field();

  // Scalar payloads. `name` is the field's name, used in errors and in the path of nested messages.
  // Each checks the wire type of the current field.
  Status read_uint64(const char* name, uint64_t* v);
  Status read_int64(const char* name, int64_t* v);  // int64/enum: the varint's two's complement
  Status read_int32(const char* name, int32_t* v);  // int32/enum: low 32 bits, as protobuf does
  Status read_float(const char* name, float* v);    // fixed32
  Status read_double(const char* name, double* v);  // fixed64
  // Length-delimited payload; `*p` points into the buffer.
  Status read_bytes(const char* name, const uint8_t** p, size_t* n);
  Status read_string(const char* name, std::string* s);
  // Opens the current length-delimited field as a nested message of type `sub_message`.
  Status read_message(const char* name, const char* sub_message, WireReader* sub);

  // Repeated scalars, accepting both packed (one length-delimited run) and unpacked (one key per
  // element) encodings, as protobuf parsers must. Appends to *out.
  Status read_repeated_int64(const char* name, std::vector<int64_t>* out);
  Status read_repeated_uint64(const char* name, std::vector<uint64_t>* out);
  Status read_repeated_int32(const char* name, std::vector<int32_t>* out);
  Status read_repeated_float(const char* name, std::vector<float>* out);
  Status read_repeated_double(const char* name, std::vector<double>* out);

  // kInvalidModel: "<what> at byte <offset> in <path>" for the current position.
  Status error(const std::string& what) const { return error_at(what, byte_offset()); }
  Status error_at(const std::string& what, size_t offset) const;
  // "ModelProto.graph > GraphProto.node > NodeProto" (+ ".<field>" of this reader when known).
  std::string path() const;

 private:
  WireReader(const uint8_t* data, size_t size, const char* message, size_t base, const WireReader* parent,
             int depth)
      : data_(data), size_(size), base_(base), message_(message), parent_(parent), depth_(depth) {}

  Status raw_varint(uint64_t* v);
  Status expect(WireType want, const char* name);
  template <typename T, typename ReadOne>
  Status read_repeated(const char* name, WireType element_type, size_t fixed_size, std::vector<T>* out,
                       ReadOne read_one);

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  size_t base_ = 0;
  const char* message_ = "";
  const WireReader* parent_ = nullptr;
  int depth_ = 0;
  uint32_t field_ = 0;
  WireType wire_type_ = WireType::kVarint;
  size_t field_start_ = 0;        // absolute offset of the current field's key
  const char* field_name_ = nullptr;  // set by the read_* call consuming the current field
};

}  // namespace edgeinfer
