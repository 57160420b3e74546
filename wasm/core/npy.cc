#include "core/npy.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

namespace edgeinfer {
namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kPreludeV1 = 10;  // magic(6) + version(2) + header_len(2)
constexpr size_t kPreludeV2 = 12;  // magic(6) + version(2) + header_len(4)
// A header is a short Python dict literal; anything larger is corrupt, not a real header.
constexpr uint32_t kMaxHeaderLen = 1u << 20;

struct DescrEntry {
  char kind;  // numpy type kind: 'f', 'i', 'u', 'b'
  int size;
  DataType dtype;
};

constexpr DescrEntry kDescrs[] = {
    {'f', 4, DataType::kFloat32}, {'f', 8, DataType::kFloat64}, {'f', 2, DataType::kFloat16},
    {'i', 8, DataType::kInt64},   {'i', 4, DataType::kInt32},   {'i', 2, DataType::kInt16},
    {'i', 1, DataType::kInt8},    {'u', 8, DataType::kUint64},  {'u', 4, DataType::kUint32},
    {'u', 2, DataType::kUint16},  {'u', 1, DataType::kUint8},   {'b', 1, DataType::kBool},
};

// One value of the header dict.
struct HeaderValue {
  enum Kind { kString, kBool, kTuple } kind = kString;
  std::string str;
  bool b = false;
  std::vector<int64_t> ints;
};

// Parses the Python dict literal numpy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  Result<std::map<std::string, HeaderValue>> parse() {
    std::map<std::string, HeaderValue> out;
    skip_ws();
    if (!eat('{')) return error("expected '{' at the start of the header");
    while (true) {
      skip_ws();
      if (eat('}')) break;
      std::string key;
      EI_RETURN_IF_ERROR(parse_string(&key));
      skip_ws();
      if (!eat(':')) return error("expected ':' after key '" + key + "'");
      skip_ws();
      HeaderValue v;
      EI_RETURN_IF_ERROR(parse_value(key, &v));
      if (out.count(key)) return error("duplicate key '" + key + "'");
      out[key] = std::move(v);
      skip_ws();
      if (eat(',')) continue;
      skip_ws();
      if (eat('}')) break;
      return error("expected ',' or '}' after the value of '" + key + "'");
    }
    skip_ws();
    if (pos_ != s_.size()) return error("unexpected text after the header dict");
    return out;
  }

 private:
  Status error(const std::string& what) const {
    return invalid_argument(source_ + ": malformed .npy header (" + what + " at offset " +
                            std::to_string(pos_) + "): " + s_);
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool eat_word(const char* w) {
    size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }
  Status parse_string(std::string* out) {
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) return error("expected a quoted string");
    char q = s_[pos_++];
    size_t end = s_.find(q, pos_);
    if (end == std::string::npos) return error("unterminated string");
    *out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return Status::ok();
  }
  Status parse_int(int64_t* out) {
    bool neg = eat('-');
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return error("expected an integer");
    int64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      int d = s_[pos_++] - '0';
      if (v > (INT64_MAX - d) / 10) return error("integer too large");
      v = v * 10 + d;
    }
    eat('L');  // Python 2 longs in files written by old numpy
    *out = neg ? -v : v;
    return Status::ok();
  }
  Status parse_value(const std::string& key, HeaderValue* v) {
    if (pos_ >= s_.size()) return error("missing value for '" + key + "'");
    char c = s_[pos_];
    if (c == '\'' || c == '"') {
      v->kind = HeaderValue::kString;
      return parse_string(&v->str);
    }
    if (eat_word("True")) {
      v->kind = HeaderValue::kBool;
      v->b = true;
      return Status::ok();
    }
    if (eat_word("False")) {
      v->kind = HeaderValue::kBool;
      v->b = false;
      return Status::ok();
    }
    if (c == '(' || c == '[') {
      char close = c == '(' ? ')' : ']';
      ++pos_;
      v->kind = HeaderValue::kTuple;
      while (true) {
        skip_ws();
        if (eat(close)) break;
        if (pos_ < s_.size() && (s_[pos_] == '(' || s_[pos_] == '[' || s_[pos_] == '\'' || s_[pos_] == '"'))
          return unsupported(source_ + ": structured .npy dtypes are not supported (key '" + key + "')");
        int64_t d = 0;
        EI_RETURN_IF_ERROR(parse_int(&d));
        v->ints.push_back(d);
        if (v->ints.size() > 64) return error("tuple of more than 64 elements");
        skip_ws();
        if (eat(',')) continue;
        skip_ws();
        if (eat(close)) break;
        return error("expected ',' or '" + std::string(1, close) + "' in '" + key + "'");
      }
      return Status::ok();
    }
    return error("unsupported value for '" + key + "'");
  }

  const std::string& s_;
  const std::string& source_;
  size_t pos_ = 0;
};

uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void byteswap_inplace(uint8_t* data, size_t count, size_t item) {
  for (size_t i = 0; i < count; ++i) {
    uint8_t* p = data + i * item;
    for (size_t a = 0, b = item - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
  }
}

}  // namespace

std::string npy_descr(DataType dtype) {
  for (const DescrEntry& e : kDescrs) {
    if (e.dtype == dtype) return std::string(1, e.size == 1 ? '|' : '<') + e.kind + std::to_string(e.size);
  }
  return "";
}

Result<Tensor> parse_npy(const uint8_t* data, size_t size, const std::string& source) {
  auto fail = [&](const std::string& what) { return invalid_argument(source + ": " + what); };
  if (data == nullptr && size != 0) return fail("null buffer");
  if (size < kPreludeV1) return fail("too short to be a .npy file (" + std::to_string(size) + " bytes)");
  if (std::memcmp(data, kMagic, sizeof(kMagic)) != 0) return fail("not a .npy file (bad magic bytes)");
  const int major = data[6], minor = data[7];
  size_t prelude = 0;
  uint32_t header_len = 0;
  if (major == 1) {
    prelude = kPreludeV1;
    header_len = read_le(data + 8, 2);
  } else if (major == 2 || major == 3) {
    if (size < kPreludeV2) return fail("truncated .npy v" + std::to_string(major) + " prelude");
    prelude = kPreludeV2;
    header_len = read_le(data + 8, 4);
  } else {
    return unsupported(source + ": .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                       " is not supported (1.0, 2.0 and 3.0 are)");
  }
  if (header_len > kMaxHeaderLen) return fail("header length " + std::to_string(header_len) + " is implausibly large");
  if (header_len > size - prelude)
    return fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  std::string header(reinterpret_cast<const char*>(data + prelude), header_len);
  // v1/v2 headers are latin1, v3 is utf8; only ASCII matters for the keys and values we read.
  if (header.find('\0') != std::string::npos) return fail("header contains a NUL byte");

  EI_ASSIGN_OR_RETURN(auto dict, HeaderParser(header, source).parse());
  for (const char* key : {"descr", "fortran_order", "shape"}) {
    if (!dict.count(key)) return fail(std::string("header has no '") + key + "' key");
  }
  const HeaderValue& descr_v = dict["descr"];
  const HeaderValue& fortran_v = dict["fortran_order"];
  const HeaderValue& shape_v = dict["shape"];
  if (descr_v.kind != HeaderValue::kString) return fail("'descr' is not a string");
  if (fortran_v.kind != HeaderValue::kBool) return fail("'fortran_order' is not True or False");
  if (shape_v.kind != HeaderValue::kTuple) return fail("'shape' is not a tuple");
  if (fortran_v.b)
    return unsupported(source + ": fortran_order=True is not supported; save the array in C order "
                                "(numpy.ascontiguousarray)");

  const std::string& descr = descr_v.str;
  if (descr.size() < 3) return unsupported(source + ": unsupported dtype '" + descr + "'");
  const char order = descr[0];
  const char kind = descr[1];
  int item_size = 0;
  for (size_t i = 2; i < descr.size(); ++i) {
    if (descr[i] < '0' || descr[i] > '9' || item_size > 1000) {
      return unsupported(source + ": unsupported dtype '" + descr + "'");
    }
    item_size = item_size * 10 + (descr[i] - '0');
  }
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return fail("bad byte-order character in dtype '" + descr + "'");
  DataType dtype = DataType::kUndefined;
  for (const DescrEntry& e : kDescrs) {
    if (e.kind == kind && e.size == item_size) dtype = e.dtype;
  }
  if (dtype == DataType::kUndefined)
    return unsupported(source + ": unsupported dtype '" + descr +
                       "' (supported: float16/32/64, int8/16/32/64, uint8/16/32/64, bool)");
  const bool big_endian = order == '>' && item_size > 1;

  Shape shape(shape_v.ints.begin(), shape_v.ints.end());
  for (int64_t d : shape) {
    if (d < 0) return fail("negative dimension in shape " + shape_to_string(shape));
  }
  auto counted = checked_numel(shape);
  if (!counted.is_ok()) return counted.status().with_context(source + ": ");
  const int64_t count = counted.value();
  const uint64_t nbytes = static_cast<uint64_t>(count) * static_cast<uint64_t>(item_size);
  if (nbytes > static_cast<uint64_t>(kMaxTensorBytes))
    return resource_exhausted(source + ": tensor of shape " + shape_to_string(shape) + " is larger than 2 GiB");
  const size_t data_offset = prelude + header_len;
  const size_t available = size - data_offset;
  if (available < nbytes)
    return fail("data truncated: shape " + shape_to_string(shape) + " of " + descr + " needs " +
                std::to_string(nbytes) + " bytes, the file has " + std::to_string(available));
  if (available > nbytes)
    return fail(std::to_string(available - nbytes) + " unexpected bytes after the data of shape " +
                shape_to_string(shape));

  auto allocated = Tensor::allocate(dtype, shape);
  if (!allocated.is_ok()) return allocated.status().with_context(source + ": ");
  Tensor t = std::move(allocated).value();
  if (nbytes) {
    uint8_t* dst = static_cast<uint8_t*>(t.raw());
    std::memcpy(dst, data + data_offset, nbytes);
    if (big_endian) byteswap_inplace(dst, static_cast<size_t>(count), static_cast<size_t>(item_size));
    // Any non-zero byte is True in numpy; keep bools canonical (0/1) so C++ bool reads stay defined.
    if (dtype == DataType::kBool) {
      for (int64_t i = 0; i < count; ++i) dst[i] = dst[i] ? 1 : 0;
    }
  }
  return t;
}

Result<Tensor> read_npy(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return invalid_argument(path + ": cannot open file: " + std::strerror(errno));
  if (std::fseek(f.get(), 0, SEEK_END) != 0) return invalid_argument(path + ": cannot seek");
  long len = std::ftell(f.get());
  if (len < 0) return invalid_argument(path + ": cannot determine file size");
  if (static_cast<uint64_t>(len) > static_cast<uint64_t>(kMaxTensorBytes) + kMaxHeaderLen + kPreludeV2)
    return resource_exhausted(path + ": file is larger than the runtime's 2 GiB tensor limit");
  std::rewind(f.get());
  std::vector<uint8_t> bytes(static_cast<size_t>(len));
  if (len > 0 && std::fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
    return invalid_argument(path + ": read error");
  return parse_npy(bytes.data(), bytes.size(), path);
}

Result<std::vector<uint8_t>> encode_npy(const Tensor& tensor) {
  const std::string descr = npy_descr(tensor.dtype());
  if (descr.empty())
    return unsupported(std::string("cannot write a ") + dtype_name(tensor.dtype()) + " tensor as .npy");
  EI_ASSIGN_OR_RETURN(int64_t count, checked_numel(tensor.shape()));
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.shape().size(); ++i) {
    header += std::to_string(tensor.shape()[i]);
    if (tensor.shape().size() == 1 || i + 1 < tensor.shape().size()) header += ",";
    if (i + 1 < tensor.shape().size()) header += " ";
  }
  header += "), }";
  // Pad with spaces and end with '\n' so the data starts on a 64-byte boundary, as numpy does.
  size_t prelude = kPreludeV1;
  if (header.size() + 1 + kPreludeV1 > 65535) prelude = kPreludeV2;
  size_t total = prelude + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  const size_t nbytes = static_cast<size_t>(count) * dtype_size(tensor.dtype());
  std::vector<uint8_t> out;
  out.reserve(prelude + header.size() + nbytes);
  out.insert(out.end(), kMagic, kMagic + sizeof(kMagic));
  out.push_back(prelude == kPreludeV1 ? 1 : 2);
  out.push_back(0);
  const uint32_t hl = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < prelude - 8; ++i) out.push_back(static_cast<uint8_t>(hl >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  if (nbytes) {
    if (tensor.raw() == nullptr) return invalid_argument("tensor has no data");
    const uint8_t* src = static_cast<const uint8_t*>(tensor.raw());
    out.insert(out.end(), src, src + nbytes);
  }
  return out;
}

Status write_npy(const std::string& path, const Tensor& tensor) {
  auto bytes = encode_npy(tensor);
  if (!bytes.is_ok()) return bytes.status().with_context(path + ": ");
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return invalid_argument(path + ": cannot create file: " + std::strerror(errno));
  const std::vector<uint8_t>& b = bytes.value();
  if (!b.empty() && std::fwrite(b.data(), 1, b.size(), f.get()) != b.size())
    return invalid_argument(path + ": write error: " + std::strerror(errno));
  if (std::fclose(f.release()) != 0) return invalid_argument(path + ": write error on close");
  return Status::ok();
}

}  // namespace edgeinfer
