// The canonical bytes of a manifest (docs/BUNDLE_FORMAT.md): what Ed25519 signs, byte-identical to
// what the JavaScript side computes. RFC 8785 (JCS) restricted to integers: object keys sorted by
// UTF-16 code units, no whitespace, strings escaped exactly as JSON.stringify does, integers in
// plain decimal. Floats, integers beyond +-(2^53 - 1) (which JavaScript cannot hold exactly) and
// strings that are not valid UTF-8 are errors naming their JSON path.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace edgeinfer::bundle {

Result<std::string> canonical_json(const nlohmann::json& value);

// A string as JSON.stringify writes it (quotes included); s must be valid UTF-8.
std::string json_stringify_string(const std::string& s);

// a < b comparing UTF-16 code units (JavaScript's default sort); both valid UTF-8.
bool utf16_less(const std::string& a, const std::string& b);

// Status::ok() when s is well-formed UTF-8 (no surrogates, no overlong forms, <= U+10FFFF).
Status check_utf8(const std::string& s);

}  // namespace edgeinfer::bundle
