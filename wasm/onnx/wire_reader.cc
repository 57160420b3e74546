#include "onnx/wire_reader.h"

#include <cstring>

namespace edgeinfer {

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kLengthDelimited: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kFixed32: return "fixed32";
  }
  return "invalid";
}

std::string WireReader::path() const {
  std::string p;
  if (parent_) p = parent_->path() + " > ";
  p += message_;
  if (field_name_) {
    p += '.';
    p += field_name_;
  }
  return p;
}

Status WireReader::error_at(const std::string& what, size_t offset) const {
  return invalid_model(what + " at byte " + std::to_string(offset) + " in " + path());
}

Status WireReader::raw_varint(uint64_t* v) {
  const size_t start = pos_;
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= size_) return error_at("truncated varint", base_ + start);
    const uint8_t b = data_[pos_++];
    // The 10th byte holds only bit 63; anything more overflows 64 bits.
    if (i == 9 && (b & 0xFE) != 0) return error_at("varint overflows 64 bits", base_ + start);
    result |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      *v = result;
      return Status::ok();
    }
  }
  return error_at("varint longer than 10 bytes", base_ + start);
}

Status WireReader::next_field() {
  field_name_ = nullptr;
  field_start_ = byte_offset();
  uint64_t key = 0;
  EI_RETURN_IF_ERROR(raw_varint(&key));
  const uint64_t number = key >> 3;
  const uint32_t type = static_cast<uint32_t>(key & 7);
  if (number == 0 || number > 0x1FFFFFFF)
    return error_at("invalid field number " + std::to_string(number), field_start_);
  if (type == 6 || type == 7) return error_at("invalid wire type " + std::to_string(type), field_start_);
  field_ = static_cast<uint32_t>(number);
  wire_type_ = static_cast<WireType>(type);
  if (wire_type_ == WireType::kStartGroup || wire_type_ == WireType::kEndGroup)
    return error_at("field " + std::to_string(number) + " uses the unsupported group wire type", field_start_);
  return Status::ok();
}

Status WireReader::skip_field() {
  switch (wire_type_) {
    case WireType::kVarint: {
      uint64_t v;
      return raw_varint(&v);
    }
    case WireType::kFixed64:
    case WireType::kFixed32: {
      const size_t n = wire_type_ == WireType::kFixed64 ? 8 : 4;
      if (size_ - pos_ < n) return error("truncated " + std::string(wire_type_name(wire_type_)) + " value");
      pos_ += n;
      return Status::ok();
    }
    case WireType::kLengthDelimited: {
      const uint8_t* p;
      size_t n;
      return read_bytes(nullptr, &p, &n);
    }
    default: return error_at("cannot skip wire type " + std::to_string(static_cast<int>(wire_type_)), field_start_);
  }
}

Status WireReader::expect(WireType want, const char* name) {
  field_name_ = name;
  if (wire_type_ == want) return Status::ok();
  return error_at("field " + std::to_string(field_) + " has wire type " + wire_type_name(wire_type_) +
                      ", expected " + wire_type_name(want),
                  field_start_);
}

Status WireReader::read_uint64(const char* name, uint64_t* v) {
  EI_RETURN_IF_ERROR(expect(WireType::kVarint, name));
  return raw_varint(v);
}

Status WireReader::read_int64(const char* name, int64_t* v) {
  uint64_t u = 0;
  EI_RETURN_IF_ERROR(read_uint64(name, &u));
  *v = static_cast<int64_t>(u);
  return Status::ok();
}

Status WireReader::read_int32(const char* name, int32_t* v) {
  uint64_t u = 0;
  EI_RETURN_IF_ERROR(read_uint64(name, &u));
  *v = static_cast<int32_t>(static_cast<uint32_t>(u));
  return Status::ok();
}

Status WireReader::read_float(const char* name, float* v) {
  EI_RETURN_IF_ERROR(expect(WireType::kFixed32, name));
  if (size_ - pos_ < 4) return error("truncated fixed32 value");
  std::memcpy(v, data_ + pos_, 4);
  pos_ += 4;
  return Status::ok();
}

Status WireReader::read_double(const char* name, double* v) {
  EI_RETURN_IF_ERROR(expect(WireType::kFixed64, name));
  if (size_ - pos_ < 8) return error("truncated fixed64 value");
  std::memcpy(v, data_ + pos_, 8);
  pos_ += 8;
  return Status::ok();
}

Status WireReader::read_bytes(const char* name, const uint8_t** p, size_t* n) {
  EI_RETURN_IF_ERROR(expect(WireType::kLengthDelimited, name));
  const size_t len_at = byte_offset();
  uint64_t len = 0;
  EI_RETURN_IF_ERROR(raw_varint(&len));
  const size_t left = size_ - pos_;
  if (len > left)
    return error_at("length " + std::to_string(len) + " runs past the end of the message (" + std::to_string(left) +
                        " bytes left)",
                    len_at);
  *p = data_ + pos_;
  *n = static_cast<size_t>(len);
  pos_ += static_cast<size_t>(len);
  return Status::ok();
}

Status WireReader::read_string(const char* name, std::string* s) {
  const uint8_t* p = nullptr;
  size_t n = 0;
  EI_RETURN_IF_ERROR(read_bytes(name, &p, &n));
  s->assign(reinterpret_cast<const char*>(p), n);
  return Status::ok();
}

Status WireReader::read_message(const char* name, const char* sub_message, WireReader* sub) {
  const uint8_t* p = nullptr;
  size_t n = 0;
  EI_RETURN_IF_ERROR(read_bytes(name, &p, &n));
  if (depth_ + 1 > kMaxDepth)
    return error_at("messages nested deeper than " + std::to_string(kMaxDepth), field_start_);
  *sub = WireReader(p, n, sub_message, base_ + static_cast<size_t>(p - data_), this, depth_ + 1);
  return Status::ok();
}

template <typename T, typename ReadOne>
Status WireReader::read_repeated(const char* name, WireType element_type, size_t fixed_size, std::vector<T>* out,
                                 ReadOne read_one) {
  if (wire_type_ != WireType::kLengthDelimited) {
    T v{};
    EI_RETURN_IF_ERROR(read_one(this, &v));
    out->push_back(v);
    return Status::ok();
  }
  const uint8_t* p = nullptr;
  size_t n = 0;
  EI_RETURN_IF_ERROR(read_bytes(name, &p, &n));
  if (fixed_size && n % fixed_size != 0)
    return error_at("packed " + std::string(wire_type_name(element_type)) + " run of " + std::to_string(n) +
                        " bytes is not a multiple of " + std::to_string(fixed_size),
                    field_start_);
  // Each element takes at least one byte, so the reservation is bounded by the input size.
  out->reserve(out->size() + (fixed_size ? n / fixed_size : n));
  WireReader packed(p, n, message_, base_ + static_cast<size_t>(p - data_), parent_, depth_);
  packed.field_ = field_;
  packed.wire_type_ = element_type;
  packed.field_start_ = field_start_;
  while (!packed.at_end()) {
    T v{};
    EI_RETURN_IF_ERROR(read_one(&packed, &v));
    out->push_back(v);
  }
  return Status::ok();
}

Status WireReader::read_repeated_int64(const char* name, std::vector<int64_t>* out) {
  return read_repeated(name, WireType::kVarint, 0, out,
                       [name](WireReader* r, int64_t* v) { return r->read_int64(name, v); });
}

Status WireReader::read_repeated_uint64(const char* name, std::vector<uint64_t>* out) {
  return read_repeated(name, WireType::kVarint, 0, out,
                       [name](WireReader* r, uint64_t* v) { return r->read_uint64(name, v); });
}

Status WireReader::read_repeated_int32(const char* name, std::vector<int32_t>* out) {
  return read_repeated(name, WireType::kVarint, 0, out,
                       [name](WireReader* r, int32_t* v) { return r->read_int32(name, v); });
}

Status WireReader::read_repeated_float(const char* name, std::vector<float>* out) {
  return read_repeated(name, WireType::kFixed32, 4, out,
                       [name](WireReader* r, float* v) { return r->read_float(name, v); });
}

Status WireReader::read_repeated_double(const char* name, std::vector<double>* out) {
  return read_repeated(name, WireType::kFixed64, 8, out,
                       [name](WireReader* r, double* v) { return r->read_double(name, v); });
}

}  // namespace edgeinfer
