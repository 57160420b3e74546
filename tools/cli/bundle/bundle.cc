#include "bundle/bundle.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <set>

#include <unistd.h>

#include "bench_util.h"
#include "bundle/canonical_json.h"
#include "bundle/files.h"
#include "bundle/semver.h"
#include "runtime/session.h"

namespace edgeinfer::bundle {
namespace {

std::string rfc3339_utc(std::time_t t) {
  std::tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string created_now() {
  // Reproducible builds: SOURCE_DATE_EPOCH fixes the time (https://reproducible-builds.org/specs/source-date-epoch/).
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    const long long v = std::strtoll(sde, &end, 10);
    if (end && *end == '\0' && v >= 0) return rfc3339_utc(static_cast<std::time_t>(v));
  }
  return rfc3339_utc(std::time(nullptr));
}

json shape_json(const IoInfo& io) {
  json a = json::array();
  for (size_t i = 0; i < io.shape.size(); ++i) {
    if (io.shape[i] >= 0) a.push_back(io.shape[i]);
    else if (i < io.dim_names.size() && !io.dim_names[i].empty()) a.push_back(io.dim_names[i]);
    else a.push_back("?");
  }
  return a;
}

json io_json(const std::vector<IoInfo>& list) {
  json a = json::array();
  for (const IoInfo& io : list) a.push_back({{"name", io.name}, {"dtype", dtype_name(io.dtype)}, {"shape", shape_json(io)}});
  return a;
}

// "domain:Op" with the default domain spelt ai.onnx.
std::string op_key(const std::string& counted) {
  const size_t colon = counted.rfind(':');
  if (colon == std::string::npos) return "ai.onnx:" + counted;
  const std::string domain = counted.substr(0, colon);
  return (domain.empty() ? std::string("ai.onnx") : domain) + ":" + counted.substr(colon + 1);
}

std::string chunk_path(const std::string& dir, const std::string& sha) { return dir + "/chunks/" + sha; }

struct ModelFacts {
  json ops = json::array(), inputs, outputs, ci = json::object();
  int64_t params = 0;
  size_t peak_bytes = 0;
};

Result<ModelFacts> model_facts(const std::vector<uint8_t>& model, const PackOptions& opts) {
  ModelFacts f;
  EI_ASSIGN_OR_RETURN(ModelInfo info, inspect_model(model.data(), model.size()));
  if (!info.unsupported_ops.empty()) {
    std::string list;
    for (const auto& op : info.unsupported_ops) list += (list.empty() ? "" : ", ") + op;
    return unsupported("the model uses operators this runtime does not implement: " + list);
  }
  std::set<std::string> ops;
  for (const auto& [op, n] : info.op_counts) ops.insert(op_key(op));
  for (const auto& op : ops) f.ops.push_back(op);
  f.params = info.parameter_count;

  SessionOptions so;
  so.num_threads = 1;
  EI_ASSIGN_OR_RETURN(std::unique_ptr<Session> s, Session::create(model.data(), model.size(), so));
  f.inputs = io_json(s->inputs());
  f.outputs = io_json(s->outputs());
  f.ci["size_bytes"] = model.size();
  f.ci["params"] = f.params;
  f.ci["threads"] = 1;
  if (!opts.bench) return f;

  std::map<std::string, Shape> overrides;
  for (const auto& [name, shape] : opts.bench_shapes) {
    bool known = false;
    for (const IoInfo& in : s->inputs()) known = known || in.name == name;
    if (!known) return invalid_argument("--shape '" + name + "': the model has no such input");
    overrides[name] = shape;
  }
  std::vector<std::pair<std::string, Shape>> used;
  EI_ASSIGN_OR_RETURN(auto feeds, bench_feeds(s->inputs(), overrides, &used));
  for (int i = 0; i < 1 + opts.bench_warmup; ++i) {
    auto r = s->run(feeds);
    if (!r.is_ok()) return r.status().with_context("bench run: ");
  }
  std::vector<double> us;
  for (int i = 0; i < opts.bench_runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = s->run(feeds);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (!r.is_ok()) return r.status().with_context("bench run: ");
  }
  f.peak_bytes = s->memory().peak_bytes;
  f.ci["p50_us"] = static_cast<int64_t>(latency_stats(us).p50 + 0.5);
  f.ci["peak_memory_bytes"] = f.peak_bytes;
  f.ci["runs"] = opts.bench_runs;
  json shapes = json::object();
  for (const auto& [name, shape] : used) shapes[name] = shape;
  f.ci["input_shapes"] = shapes;
  return f;
}

}  // namespace

// ---------------------------------------------------------------------------------------------- pack
Result<PackResult> pack_bundle(const std::vector<uint8_t>& model, const PackOptions& opts, const std::string& out_dir) {
  EI_RETURN_IF_ERROR(check_model_name(opts.name).with_context("--name: "));
  EI_RETURN_IF_ERROR(parse_semver(opts.version).status().with_context("--version: "));
  if (opts.channel != "stable" && opts.channel != "beta")
    return invalid_argument("--channel: '" + opts.channel + "' is not stable or beta");
  EI_RETURN_IF_ERROR(parse_range(opts.runtime).status().with_context("--runtime: "));
  if (opts.rollout_percent < 0 || opts.rollout_percent > 100)
    return invalid_argument("--rollout: " + std::to_string(opts.rollout_percent) + " is not in 0..100");
  if (!opts.metadata.is_object()) return invalid_argument("--metadata: the file must hold a JSON object");
  EI_RETURN_IF_ERROR(canonical_json(opts.metadata).status().with_context("--metadata: "));
  if (opts.bench_runs < 1) return invalid_argument("bench runs must be at least 1");
  if (!opts.bench && !opts.bench_shapes.empty()) return invalid_argument("--shape has no effect with --no-bench");
  EI_RETURN_IF_ERROR(validate_chunking(opts.chunking));
  if (model.empty()) return invalid_argument("the model file is empty");

  const std::string manifest_path = out_dir + "/manifest.json";
  if (path_exists(manifest_path) && !opts.force)
    return invalid_argument(out_dir + " already holds a bundle (manifest.json); pass --force to replace it");

  EI_ASSIGN_OR_RETURN(ModelFacts facts, model_facts(model, opts));

  PackResult res;
  json m = json::object();
  m["schema"] = kSchemaVersion;
  m["name"] = opts.name;
  m["version"] = opts.version;
  m["channel"] = opts.channel;
  m["created"] = opts.created.empty() ? created_now() : opts.created;
  m["runtime"] = opts.runtime;
  int64_t min_mb = opts.min_memory_mb;
  if (min_mb < 0) {
    const uint64_t need = facts.peak_bytes ? facts.peak_bytes : 2 * static_cast<uint64_t>(model.size());
    min_mb = static_cast<int64_t>((need + (1u << 20) - 1) >> 20);
  }
  m["device"] = {{"min_memory_mb", min_mb}, {"simd", opts.require_simd}, {"threads", opts.require_threads}};
  m["rollout"] = {{"percent", opts.rollout_percent}};
  m["ops"] = facts.ops;
  m["inputs"] = facts.inputs;
  m["outputs"] = facts.outputs;
  m["payload"] = {{"format", "onnx"}, {"size", model.size()}, {"sha256", sha256_hex(model.data(), model.size())}};
  m["chunking"] = {{"algorithm", "fastcdc-gear64"},
                   {"min_size", opts.chunking.min_size},
                   {"avg_size", opts.chunking.avg_size},
                   {"max_size", opts.chunking.max_size}};
  m["metadata"] = opts.metadata;
  m["ci"] = facts.ci;

  EI_RETURN_IF_ERROR(make_dirs(out_dir + "/chunks"));
  json chunks = json::array();
  std::set<std::string> referenced;
  for (const ChunkSpan& c : fastcdc_chunks(model.data(), model.size(), opts.chunking)) {
    const std::string sha = sha256_hex(model.data() + c.offset, c.size);
    chunks.push_back({{"sha256", sha}, {"size", c.size}, {"offset", c.offset}});
    if (!referenced.insert(sha).second) continue;
    const std::string path = chunk_path(out_dir, sha);
    if (path_exists(path)) {
      auto existing = read_file_bytes(path);
      if (existing.is_ok() && existing->size() == c.size && sha256_hex(existing->data(), existing->size()) == sha) {
        ++res.chunks_present;
        continue;
      }
    }
    EI_RETURN_IF_ERROR(write_file_atomic(path, model.data() + c.offset, c.size));
    ++res.chunks_written;
  }
  m["chunks"] = chunks;
  EI_RETURN_IF_ERROR(validate_manifest(m).with_context("internal: "));
  EI_RETURN_IF_ERROR(canonical_json(m).status());
  EI_RETURN_IF_ERROR(write_manifest(out_dir, m));
  // A replaced bundle's chunks that the new one does not use.
  EI_ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(out_dir + "/chunks"));
  for (const std::string& n : names) {
    if (!referenced.count(n) && ::unlink(chunk_path(out_dir, n).c_str()) == 0) ++res.chunks_removed;
  }
  res.manifest = std::move(m);
  return res;
}

// ------------------------------------------------------------------------------------------- keys
Result<KeygenResult> keygen(const std::string& prefix, bool force) {
  KeygenResult r;
  r.private_path = prefix + ".key";
  r.public_path = prefix + ".pub";
  if (!force && (path_exists(r.private_path) || path_exists(r.public_path)))
    return invalid_argument(r.private_path + " or " + r.public_path + " exists; pass --force to overwrite");
  EI_ASSIGN_OR_RETURN(Ed25519Key key, Ed25519Key::generate());
  EI_ASSIGN_OR_RETURN(std::string priv, key.private_pem());
  EI_ASSIGN_OR_RETURN(std::string pub, key.public_pem());
  EI_ASSIGN_OR_RETURN(std::vector<uint8_t> raw, key.raw_public());
  EI_ASSIGN_OR_RETURN(r.key_id, key.key_id());
  EI_RETURN_IF_ERROR(write_file_atomic(r.private_path, priv, /*private_mode=*/true));
  EI_RETURN_IF_ERROR(write_file_atomic(r.public_path, pub));
  r.public_base64 = base64_encode(raw.data(), raw.size());
  return r;
}

Result<Ed25519Key> load_public_key(const std::string& path_or_base64) {
  if (path_exists(path_or_base64)) {
    EI_ASSIGN_OR_RETURN(std::string text, read_file_text(path_or_base64));
    auto k = Ed25519Key::from_public_pem(text);
    if (!k.is_ok()) return k.status().with_context(path_or_base64 + ": ");
    return k;
  }
  auto raw = base64_decode(path_or_base64);
  if (!raw.is_ok())
    return invalid_argument("--pubkey '" + path_or_base64 + "' is neither a file nor a base64 public key (" +
                            raw.status().message() + ")");
  return Ed25519Key::from_raw_public(raw.value());
}

Result<std::string> sign_bundle(const std::string& dir, const Ed25519Key& key) {
  if (!key.has_private()) return invalid_argument("signing needs a private key");
  EI_ASSIGN_OR_RETURN(json m, load_manifest(dir));
  EI_ASSIGN_OR_RETURN(std::string bytes, signing_bytes(m));
  EI_ASSIGN_OR_RETURN(std::vector<uint8_t> sig, key.sign(bytes));
  EI_ASSIGN_OR_RETURN(std::string key_id, key.key_id());
  m["signature"] = {{"alg", "Ed25519"}, {"key_id", key_id}, {"value", base64_encode(sig.data(), sig.size())}};
  EI_RETURN_IF_ERROR(write_manifest(dir, m));
  return key_id;
}

// ----------------------------------------------------------------------------------------- verify
VerifyReport verify_bundle(const std::string& dir, const Ed25519Key* pubkey) {
  VerifyReport rep;
  auto loaded = load_manifest(dir);
  if (!loaded.is_ok()) {
    rep.problems.push_back(loaded.status().message());
    return rep;
  }
  const json& m = loaded.value();

  if (pubkey) {
    rep.signature_checked = true;
    auto want_id = pubkey->key_id();
    if (want_id.is_ok()) rep.key_id = want_id.value();
    if (!m.contains("signature")) {
      rep.problems.push_back("signature: missing (the bundle is not signed)");
    } else {
      const json& s = m.at("signature");
      const std::string alg = s.at("alg").get<std::string>(), key_id = s.at("key_id").get<std::string>();
      auto sig = base64_decode(s.at("value").get<std::string>());
      auto bytes = signing_bytes(m);
      if (alg != "Ed25519") {
        rep.problems.push_back("signature.alg: '" + alg + "' is not Ed25519");
      } else if (!sig.is_ok()) {
        rep.problems.push_back("signature.value: not valid base64 (" + sig.status().message() + ")");
      } else if (sig->size() != 64) {
        rep.problems.push_back("signature.value: " + std::to_string(sig->size()) + " bytes, an Ed25519 signature is 64");
      } else if (!bytes.is_ok()) {
        rep.problems.push_back("manifest: no canonical form: " + bytes.status().message());
      } else {
        if (key_id != rep.key_id)
          rep.problems.push_back("signature.key_id: signed by key " + key_id + ", verifying with key " + rep.key_id);
        auto good = pubkey->verify(bytes.value(), sig.value());
        if (!good.is_ok()) rep.problems.push_back("signature: " + good.status().message());
        else if (!good.value())
          rep.problems.push_back("signature: does not match the manifest (a field changed after signing, or another key)");
      }
    }
  }

  const std::vector<ChunkRef> chunks = manifest_chunks(m);
  rep.chunks = chunks.size();
  rep.payload_size = m.at("payload").at("size").get<uint64_t>();
  Sha256 payload;
  bool payload_complete = true;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkRef& c = chunks[i];
    const std::string label = "chunk " + std::to_string(i) + " (" + c.sha256.substr(0, 12) + ", offset " +
                              std::to_string(c.offset) + ")";
    const std::string path = chunk_path(dir, c.sha256);
    if (!path_exists(path)) {
      rep.problems.push_back(label + ": missing file chunks/" + c.sha256);
      payload_complete = false;
      continue;
    }
    auto bytes = read_file_bytes(path);
    if (!bytes.is_ok()) {
      rep.problems.push_back(label + ": " + bytes.status().message());
      payload_complete = false;
      continue;
    }
    bool good = true;
    if (bytes->size() != c.size) {
      rep.problems.push_back(label + ": size " + std::to_string(bytes->size()) + " on disk, the manifest says " +
                             std::to_string(c.size));
      good = false;
    }
    const std::string actual = sha256_hex(bytes->data(), bytes->size());
    if (actual != c.sha256) {
      rep.problems.push_back(label + ": content hash is " + actual + ", the manifest says " + c.sha256);
      good = false;
    }
    if (good) payload.update(bytes->data(), bytes->size());
    else payload_complete = false;
  }
  if (payload_complete) {
    const std::string sha = payload.final_hex();
    const std::string want = m.at("payload").at("sha256").get<std::string>();
    if (sha != want) rep.problems.push_back("payload.sha256: the chunks join to " + sha + ", the manifest says " + want);
  }
  return rep;
}

// ------------------------------------------------------------------------------------------- diff
DiffReport diff_manifests(const json& old_m, const json& new_m) {
  DiffReport d;
  std::set<std::string> have;
  for (const ChunkRef& c : manifest_chunks(old_m)) have.insert(c.sha256);
  std::set<std::string> seen;
  d.new_bytes = new_m.at("payload").at("size").get<uint64_t>();
  for (const ChunkRef& c : manifest_chunks(new_m)) {
    const bool first = seen.insert(c.sha256).second;
    if (have.count(c.sha256)) {
      d.reused_bytes += c.size;
      if (first) ++d.reused_chunks;
    } else if (first) {
      ++d.download_chunks;
      d.download_bytes += c.size;
    }
  }
  d.new_chunks = seen.size();
  return d;
}

Result<DiffReport> diff_bundles(const std::string& old_dir, const std::string& new_dir) {
  EI_ASSIGN_OR_RETURN(json old_m, load_manifest(old_dir));
  EI_ASSIGN_OR_RETURN(json new_m, load_manifest(new_dir));
  return diff_manifests(old_m, new_m);
}

// ------------------------------------------------------------------------------------------- gate
namespace {
const char* const kBudgetInts[] = {"max_size_bytes", "max_params", "max_p50_us", "max_peak_memory_bytes"};

std::string normalize_op(const std::string& op) { return op.find(':') == std::string::npos ? "ai.onnx:" + op : op; }
}  // namespace

Status validate_budget(const json& b) {
  if (!b.is_object()) return invalid_argument("budget: not a JSON object");
  if (b.empty()) return invalid_argument("budget: no budgets given");
  for (auto it = b.begin(); it != b.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    bool known = false;
    for (const char* name : kBudgetInts) {
      if (k == name) {
        known = true;
        if (!(v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)))
          return invalid_argument("budget: " + k + " must be an integer >= 0");
      }
    }
    if (k == "required_ops" || k == "allowed_ops") {
      known = true;
      if (!v.is_array()) return invalid_argument("budget: " + k + " must be an array of op names");
      for (const json& op : v)
        if (!op.is_string() || op.get<std::string>().empty())
          return invalid_argument("budget: " + k + " must hold op names ('Conv' or 'domain:OpType')");
    }
    if (k == "$comment") known = true;
    if (!known)
      return invalid_argument("budget: unknown key '" + k +
                              "' (known: max_size_bytes, max_params, max_p50_us, max_peak_memory_bytes, "
                              "required_ops, allowed_ops, $comment)");
  }
  return Status::ok();
}

Result<GateReport> gate_manifest(const json& m, const json& budget) {
  EI_RETURN_IF_ERROR(validate_budget(budget));
  GateReport rep;
  const json& ci = m.at("ci");
  struct Figure {
    const char* budget;
    const char* ci_field;
    const char* what;
  };
  const Figure figures[] = {{"max_size_bytes", "size_bytes", "size"},
                            {"max_params", "params", "parameters"},
                            {"max_p50_us", "p50_us", "p50 latency (us)"},
                            {"max_peak_memory_bytes", "peak_memory_bytes", "peak memory (bytes)"}};
  for (const Figure& f : figures) {
    if (!budget.contains(f.budget)) continue;
    const uint64_t limit = budget.at(f.budget).get<uint64_t>();
    if (!ci.contains(f.ci_field)) {
      rep.violations.push_back(std::string(f.budget) + ": the bundle has no ci." + f.ci_field +
                               " (packed with --no-bench?), so the budget cannot be checked");
      continue;
    }
    const uint64_t value = ci.at(f.ci_field).get<uint64_t>();
    const std::string line = std::string(f.what) + " " + std::to_string(value) + " vs " + f.budget + " " +
                             std::to_string(limit);
    if (value > limit) {
      rep.violations.push_back(std::string(f.budget) + " exceeded: " + f.what + " is " + std::to_string(value) +
                               ", the budget is " + std::to_string(limit));
      rep.checks.push_back("FAIL " + line);
    } else {
      rep.checks.push_back("ok   " + line);
    }
  }
  std::set<std::string> ops;
  for (const json& op : m.at("ops")) ops.insert(op.get<std::string>());
  if (budget.contains("required_ops")) {
    std::string missing;
    for (const json& op : budget.at("required_ops")) {
      const std::string o = normalize_op(op.get<std::string>());
      if (!ops.count(o)) missing += (missing.empty() ? "" : ", ") + o;
    }
    if (!missing.empty()) {
      rep.violations.push_back("required_ops: the model does not use " + missing);
      rep.checks.push_back("FAIL required_ops: missing " + missing);
    } else {
      rep.checks.push_back("ok   required_ops: all " + std::to_string(budget.at("required_ops").size()) + " present");
    }
  }
  if (budget.contains("allowed_ops")) {
    std::set<std::string> allowed;
    for (const json& op : budget.at("allowed_ops")) allowed.insert(normalize_op(op.get<std::string>()));
    std::string extra;
    for (const std::string& o : ops)
      if (!allowed.count(o)) extra += (extra.empty() ? "" : ", ") + o;
    if (!extra.empty()) {
      rep.violations.push_back("allowed_ops: the model uses ops outside the allowed set: " + extra);
      rep.checks.push_back("FAIL allowed_ops: not allowed " + extra);
    } else {
      rep.checks.push_back("ok   allowed_ops: all " + std::to_string(ops.size()) + " model ops allowed");
    }
  }
  return rep;
}

}  // namespace edgeinfer::bundle
