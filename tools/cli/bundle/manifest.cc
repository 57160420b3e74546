#include "bundle/manifest.h"

#include "bundle/canonical_json.h"
#include "bundle/files.h"
#include "bundle/semver.h"

namespace edgeinfer::bundle {
namespace {

bool is_hex64(const json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool is_int(const json& v) { return v.is_number_integer(); }

bool is_nonneg_int(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

Status field_error(const std::string& field, const std::string& what) {
  return invalid_argument("manifest: " + field + ": " + what);
}

Status need(const json& obj, const char* key, const std::string& path, bool (*check)(const json&),
            const char* expected) {
  if (!obj.contains(key)) return field_error(path + key, "missing");
  if (!check(obj.at(key))) return field_error(path + key, std::string("must be ") + expected);
  return Status::ok();
}

bool is_string(const json& v) { return v.is_string(); }
bool is_bool(const json& v) { return v.is_boolean(); }
bool is_object(const json& v) { return v.is_object(); }
bool is_array(const json& v) { return v.is_array(); }

Status check_io(const json& list, const std::string& field) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string p = field + "[" + std::to_string(i) + "].";
    if (!e.is_object()) return field_error(field + "[" + std::to_string(i) + "]", "must be an object");
    EI_RETURN_IF_ERROR(need(e, "name", p, is_string, "a string"));
    EI_RETURN_IF_ERROR(need(e, "dtype", p, is_string, "a string"));
    EI_RETURN_IF_ERROR(need(e, "shape", p, is_array, "an array"));
    for (const json& d : e.at("shape"))
      if (!is_nonneg_int(d) && !d.is_string()) return field_error(p + "shape", "dims must be integers >= 0 or strings");
  }
  return Status::ok();
}

}  // namespace

Status check_model_name(const std::string& name) {
  if (name.empty()) return invalid_argument("name is empty (expected [a-z0-9][a-z0-9._-]*)");
  if (name.size() > 128) return invalid_argument("name '" + name + "' is longer than 128 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!(alnum || (i > 0 && (c == '.' || c == '_' || c == '-'))))
      return invalid_argument("name '" + name + "': character " + std::to_string(i + 1) +
                              " is not allowed (expected [a-z0-9][a-z0-9._-]*: lowercase, digits, '.', '_', '-')");
  }
  return Status::ok();
}

Status validate_manifest(const json& m) {
  if (!m.is_object()) return invalid_argument("manifest: not a JSON object");
  // Integers only, within 2^53, valid UTF-8: what JavaScript reads back exactly (and what is signed).
  EI_RETURN_IF_ERROR(canonical_json(m).status().with_context("manifest: "));
  EI_RETURN_IF_ERROR(need(m, "schema", "", is_int, "an integer"));
  if (m.at("schema").get<int64_t>() != kSchemaVersion)
    return field_error("schema", std::to_string(m.at("schema").get<int64_t>()) + " is not supported (this tool reads schema " +
                                     std::to_string(kSchemaVersion) + ")");
  EI_RETURN_IF_ERROR(need(m, "name", "", is_string, "a string"));
  EI_RETURN_IF_ERROR(check_model_name(m.at("name").get<std::string>()).with_context("manifest: "));
  EI_RETURN_IF_ERROR(need(m, "version", "", is_string, "a string"));
  EI_RETURN_IF_ERROR(parse_semver(m.at("version").get<std::string>()).status().with_context("manifest: "));
  EI_RETURN_IF_ERROR(need(m, "channel", "", is_string, "a string"));
  const std::string channel = m.at("channel").get<std::string>();
  if (channel != "stable" && channel != "beta") return field_error("channel", "'" + channel + "' is not stable or beta");
  EI_RETURN_IF_ERROR(need(m, "created", "", is_string, "a string"));
  EI_RETURN_IF_ERROR(need(m, "runtime", "", is_string, "a string"));
  EI_RETURN_IF_ERROR(parse_range(m.at("runtime").get<std::string>()).status().with_context("manifest: "));

  EI_RETURN_IF_ERROR(need(m, "device", "", is_object, "an object"));
  EI_RETURN_IF_ERROR(need(m.at("device"), "min_memory_mb", "device.", is_nonneg_int, "an integer >= 0"));
  EI_RETURN_IF_ERROR(need(m.at("device"), "simd", "device.", is_bool, "a boolean"));
  EI_RETURN_IF_ERROR(need(m.at("device"), "threads", "device.", is_bool, "a boolean"));
  EI_RETURN_IF_ERROR(need(m, "rollout", "", is_object, "an object"));
  EI_RETURN_IF_ERROR(need(m.at("rollout"), "percent", "rollout.", is_int, "an integer"));
  const int64_t pct = m.at("rollout").at("percent").get<int64_t>();
  if (pct < 0 || pct > 100) return field_error("rollout.percent", std::to_string(pct) + " is not in 0..100");

  EI_RETURN_IF_ERROR(need(m, "ops", "", is_array, "an array"));
  for (size_t i = 0; i < m.at("ops").size(); ++i) {
    const json& op = m.at("ops")[i];
    if (!op.is_string() || op.get<std::string>().find(':') == std::string::npos)
      return field_error("ops[" + std::to_string(i) + "]", "must be a 'domain:OpType' string");
    if (i > 0 && !(m.at("ops")[i - 1].get<std::string>() < op.get<std::string>()))
      return field_error("ops", "must be sorted and without duplicates");
  }
  EI_RETURN_IF_ERROR(need(m, "inputs", "", is_array, "an array"));
  EI_RETURN_IF_ERROR(check_io(m.at("inputs"), "inputs"));
  EI_RETURN_IF_ERROR(need(m, "outputs", "", is_array, "an array"));
  EI_RETURN_IF_ERROR(check_io(m.at("outputs"), "outputs"));

  EI_RETURN_IF_ERROR(need(m, "payload", "", is_object, "an object"));
  const json& payload = m.at("payload");
  EI_RETURN_IF_ERROR(need(payload, "format", "payload.", is_string, "a string"));
  if (payload.at("format").get<std::string>() != "onnx") return field_error("payload.format", "must be \"onnx\"");
  EI_RETURN_IF_ERROR(need(payload, "size", "payload.", is_nonneg_int, "an integer >= 0"));
  EI_RETURN_IF_ERROR(need(payload, "sha256", "payload.", is_hex64, "64 lowercase hex digits"));

  EI_RETURN_IF_ERROR(need(m, "chunking", "", is_object, "an object"));
  const json& ch = m.at("chunking");
  EI_RETURN_IF_ERROR(need(ch, "algorithm", "chunking.", is_string, "a string"));
  EI_RETURN_IF_ERROR(need(ch, "min_size", "chunking.", is_nonneg_int, "an integer >= 0"));
  EI_RETURN_IF_ERROR(need(ch, "avg_size", "chunking.", is_nonneg_int, "an integer >= 0"));
  EI_RETURN_IF_ERROR(need(ch, "max_size", "chunking.", is_nonneg_int, "an integer >= 0"));
  const uint64_t max_size = ch.at("max_size").get<uint64_t>();

  EI_RETURN_IF_ERROR(need(m, "chunks", "", is_array, "an array"));
  uint64_t next = 0;
  const json& chunks = m.at("chunks");
  for (size_t i = 0; i < chunks.size(); ++i) {
    const json& c = chunks[i];
    const std::string p = "chunks[" + std::to_string(i) + "].";
    if (!c.is_object()) return field_error("chunks[" + std::to_string(i) + "]", "must be an object");
    EI_RETURN_IF_ERROR(need(c, "sha256", p, is_hex64, "64 lowercase hex digits"));
    EI_RETURN_IF_ERROR(need(c, "size", p, is_nonneg_int, "an integer >= 0"));
    EI_RETURN_IF_ERROR(need(c, "offset", p, is_nonneg_int, "an integer >= 0"));
    const uint64_t size = c.at("size").get<uint64_t>(), offset = c.at("offset").get<uint64_t>();
    if (size == 0) return field_error(p + "size", "is 0 (chunks are never empty)");
    if (size > max_size)
      return field_error(p + "size", std::to_string(size) + " exceeds chunking.max_size " + std::to_string(max_size));
    if (offset != next)
      return field_error(p + "offset", std::to_string(offset) + " is not contiguous (the previous chunks end at " +
                                           std::to_string(next) + ")");
    next += size;  // sizes are below 2^53 (checked above), so this cannot wrap before the check
    if (next > payload.at("size").get<uint64_t>())
      return field_error(p + "size", "the chunks run past payload.size " + std::to_string(payload.at("size").get<uint64_t>()));
  }
  const uint64_t payload_size = payload.at("size").get<uint64_t>();
  if (next != payload_size)
    return field_error("chunks", "sizes sum to " + std::to_string(next) + ", payload.size is " + std::to_string(payload_size));

  EI_RETURN_IF_ERROR(need(m, "metadata", "", is_object, "an object"));
  EI_RETURN_IF_ERROR(need(m, "ci", "", is_object, "an object"));
  for (auto it = m.at("ci").begin(); it != m.at("ci").end(); ++it) {
    if (it.key() == "input_shapes") continue;
    if (!is_nonneg_int(it.value())) return field_error("ci." + it.key(), "must be an integer >= 0");
  }
  if (m.contains("signature")) {
    const json& s = m.at("signature");
    if (!s.is_object()) return field_error("signature", "must be an object");
    EI_RETURN_IF_ERROR(need(s, "alg", "signature.", is_string, "a string"));
    EI_RETURN_IF_ERROR(need(s, "key_id", "signature.", is_string, "a string"));
    EI_RETURN_IF_ERROR(need(s, "value", "signature.", is_string, "a string"));
  }
  return Status::ok();
}

Result<json> parse_manifest_text(const std::string& text, const std::string& what) {
  // nlohmann reports the byte offset only through its exception; the tool catches it right here.
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return invalid_argument(what + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

Result<json> load_manifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  EI_ASSIGN_OR_RETURN(std::string text, read_file_text(path));
  EI_ASSIGN_OR_RETURN(json m, parse_manifest_text(text, path));
  EI_RETURN_IF_ERROR(validate_manifest(m).with_context(path + ": "));
  return m;
}

std::string manifest_file_text(const json& m) { return m.dump(2) + "\n"; }

Status write_manifest(const std::string& dir, const json& m) {
  return write_file_atomic(dir + "/manifest.json", manifest_file_text(m));
}

Result<std::string> signing_bytes(const json& m) {
  json unsigned_m = m;
  unsigned_m.erase("signature");
  return canonical_json(unsigned_m);
}

std::vector<ChunkRef> manifest_chunks(const json& m) {
  std::vector<ChunkRef> out;
  for (const json& c : m.at("chunks"))
    out.push_back({c.at("sha256").get<std::string>(), c.at("size").get<uint64_t>(), c.at("offset").get<uint64_t>()});
  return out;
}

}  // namespace edgeinfer::bundle
