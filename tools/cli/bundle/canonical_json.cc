#include "bundle/canonical_json.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace edgeinfer::bundle {
namespace {

constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1, Number.MAX_SAFE_INTEGER

// Decodes one code point at s[i]; returns its length, 0 when malformed.
size_t decode_utf8(const std::string& s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const size_t n = s.size() - i;
  const uint8_t c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

std::vector<uint16_t> to_utf16(const std::string& s) {
  std::vector<uint16_t> out;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0xFFFD;
    size_t len = decode_utf8(s, i, &cp);
    if (len == 0) len = 1;  // callers validate first; keep going deterministically anyway
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<uint16_t>(cp));
    }
    i += len;
  }
  return out;
}

Status write(const nlohmann::json& v, const std::string& path, std::string* out) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null: *out += "null"; return Status::ok();
    case T::boolean: *out += v.get<bool>() ? "true" : "false"; return Status::ok();
    case T::number_integer: {
      const int64_t x = v.get<int64_t>();
      if (x > kMaxSafeInteger || x < -kMaxSafeInteger)
        return invalid_argument(path + ": integer " + std::to_string(x) + " is beyond 2^53-1 (not exact in JavaScript)");
      *out += std::to_string(x);
      return Status::ok();
    }
    case T::number_unsigned: {
      const uint64_t x = v.get<uint64_t>();
      if (x > static_cast<uint64_t>(kMaxSafeInteger))
        return invalid_argument(path + ": integer " + std::to_string(x) + " is beyond 2^53-1 (not exact in JavaScript)");
      *out += std::to_string(x);
      return Status::ok();
    }
    case T::number_float:
      return invalid_argument(path + ": a non-integer number; the manifest allows integers only (write it as a string)");
    case T::string: {
      const std::string& s = v.get_ref<const std::string&>();
      EI_RETURN_IF_ERROR(check_utf8(s).with_context(path + ": "));
      *out += json_stringify_string(s);
      return Status::ok();
    }
    case T::array: {
      *out += '[';
      size_t i = 0;
      for (const auto& e : v) {
        if (i) *out += ',';
        EI_RETURN_IF_ERROR(write(e, path + "[" + std::to_string(i) + "]", out));
        ++i;
      }
      *out += ']';
      return Status::ok();
    }
    case T::object: {
      std::vector<const std::string*> keys;
      for (auto it = v.begin(); it != v.end(); ++it) {
        EI_RETURN_IF_ERROR(check_utf8(it.key()).with_context(path + ": key: "));
        keys.push_back(&it.key());
      }
      std::sort(keys.begin(), keys.end(), [](const std::string* a, const std::string* b) { return utf16_less(*a, *b); });
      *out += '{';
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) *out += ',';
        *out += json_stringify_string(*keys[i]);
        *out += ':';
        EI_RETURN_IF_ERROR(write(v.at(*keys[i]), path + "." + *keys[i], out));
      }
      *out += '}';
      return Status::ok();
    }
    case T::binary:
    case T::discarded:
      break;
  }
  return invalid_argument(path + ": a value JSON cannot hold");
}

}  // namespace

Status check_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t len = decode_utf8(s, i, &cp);
    if (len == 0) return invalid_argument("invalid UTF-8 at byte " + std::to_string(i));
    i += len;
  }
  return Status::ok();
}

bool utf16_less(const std::string& a, const std::string& b) {
  const std::vector<uint16_t> ua = to_utf16(a), ub = to_utf16(b);
  return std::lexicographical_compare(ua.begin(), ua.end(), ub.begin(), ub.end());
}

std::string json_stringify_string(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;  // DEL, U+2028/2029 and all other text stay literal, as in JSON.stringify
        }
    }
  }
  return out + "\"";
}

Result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  EI_RETURN_IF_ERROR(write(value, "$", &out));
  return out;
}

}  // namespace edgeinfer::bundle
