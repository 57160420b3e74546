// manifest.json of a model bundle (schema 1, docs/BUNDLE_FORMAT.md): structural checks and I/O.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace edgeinfer::bundle {

using json = nlohmann::json;

constexpr int kSchemaVersion = 1;
// The version of this runtime; `bundle pack` defaults its range to ">=0.1.0 <1.0.0".
constexpr const char* kRuntimeVersion = "0.1.0";
constexpr const char* kDefaultRuntimeRange = ">=0.1.0 <1.0.0";

// [a-z0-9][a-z0-9._-]*, at most 128 characters.
Status check_model_name(const std::string& name);

// Every field of the schema with its type and range, chunk offsets contiguous from 0 and sizes
// summing to payload.size. The message names the field ("chunks[3].offset: ...").
Status validate_manifest(const json& m);

// DIR/manifest.json parsed (errors name the byte where parsing stopped) and validated.
Result<json> load_manifest(const std::string& dir);
// Parses manifest text without validating it.
Result<json> parse_manifest_text(const std::string& text, const std::string& what);
// Pretty-printed (2 spaces, keys sorted) plus a newline; the signature covers the canonical form,
// not these bytes.
std::string manifest_file_text(const json& m);
Status write_manifest(const std::string& dir, const json& m);

// The canonical bytes that are signed: the manifest without its "signature" field.
Result<std::string> signing_bytes(const json& m);

struct ChunkRef {
  std::string sha256;
  uint64_t size = 0;
  uint64_t offset = 0;
};
// chunks[] of a validated manifest.
std::vector<ChunkRef> manifest_chunks(const json& m);

}  // namespace edgeinfer::bundle
