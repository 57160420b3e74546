// Model bundles (docs/BUNDLE_FORMAT.md): pack, sign, verify, diff and gate, as library calls that
// the CLI (`edgeinfer bundle ...`, commands.cc) and the tests share. Native only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bundle/crypto.h"
#include "bundle/fastcdc.h"
#include "bundle/manifest.h"
#include "core/status.h"
#include "core/tensor.h"

namespace edgeinfer::bundle {

struct PackOptions {
  std::string name;
  std::string version;
  std::string channel = "stable";
  std::string runtime = kDefaultRuntimeRange;
  json metadata = json::object();
  int rollout_percent = 100;
  bool bench = true;                        // false: ci has no p50_us / peak_memory_bytes
  std::map<std::string, Shape> bench_shapes;  // symbolic dims not given here are 1
  int bench_warmup = 1;
  int bench_runs = 5;
  int min_memory_mb = -1;                   // -1: from the measured peak (or 2x the payload without bench)
  bool require_simd = false;
  bool require_threads = false;
  ChunkingParams chunking;
  std::string created;                      // empty: now, or SOURCE_DATE_EPOCH when set
  bool force = false;                       // replace a bundle already in the directory
};

struct PackResult {
  json manifest;
  size_t chunks_written = 0;   // new chunk files
  size_t chunks_present = 0;   // already in DIR/chunks with the right content
  size_t chunks_removed = 0;   // files of a replaced bundle no chunk refers to
};

Result<PackResult> pack_bundle(const std::vector<uint8_t>& model, const PackOptions& opts, const std::string& out_dir);

struct KeygenResult {
  std::string private_path, public_path, public_base64, key_id;
};
Result<KeygenResult> keygen(const std::string& prefix, bool force);

// Adds (or replaces) the manifest's signature; returns the key_id.
Result<std::string> sign_bundle(const std::string& dir, const Ed25519Key& key);

// A public key given as a path to a SPKI PEM file or as the raw 32-byte key in base64.
Result<Ed25519Key> load_public_key(const std::string& path_or_base64);

struct VerifyReport {
  std::vector<std::string> problems;  // empty: the bundle is intact (and signed by the key when given)
  bool signature_checked = false;
  std::string key_id;
  size_t chunks = 0;
  uint64_t payload_size = 0;
  bool ok() const { return problems.empty(); }
};
// pubkey null: integrity only. Every problem is listed, each naming the chunk or field.
VerifyReport verify_bundle(const std::string& dir, const Ed25519Key* pubkey);

struct DiffReport {
  size_t new_chunks = 0;          // distinct chunks of NEW
  uint64_t new_bytes = 0;         // NEW's payload size
  size_t download_chunks = 0;     // distinct chunks of NEW that OLD does not have
  uint64_t download_bytes = 0;
  size_t reused_chunks = 0;
  uint64_t reused_bytes = 0;      // bytes of NEW's payload covered by chunks OLD has
  double ratio() const { return new_bytes ? static_cast<double>(download_bytes) / static_cast<double>(new_bytes) : 0.0; }
};
Result<DiffReport> diff_bundles(const std::string& old_dir, const std::string& new_dir);
// Both manifests validated (validate_manifest / load_manifest).
DiffReport diff_manifests(const json& old_m, const json& new_m);

struct GateReport {
  std::vector<std::string> checks;      // one line per budget, passed or not
  std::vector<std::string> violations;  // one line per exceeded budget
  bool ok() const { return violations.empty(); }
};
// Budget schema: README "Model bundles". Unknown keys are errors (a misspelt budget must not pass).
Status validate_budget(const json& budget);
// manifest validated (validate_manifest / load_manifest); budget is checked here.
Result<GateReport> gate_manifest(const json& manifest, const json& budget);

}  // namespace edgeinfer::bundle
