#include "bundle/commands.h"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "bench_util.h"
#include "bundle/bundle.h"
#include "bundle/files.h"

namespace edgeinfer::bundle {
namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "edgeinfer bundle: %s\n", s.to_string().c_str());
  return 1;
}

Result<json> read_json_file(const std::string& path) {
  EI_ASSIGN_OR_RETURN(std::string text, read_file_text(path));
  return parse_manifest_text(text, path);
}

}  // namespace

struct BundleCommands::State {
  CLI::App* bundle = nullptr;
  CLI::App *pack = nullptr, *keygen = nullptr, *sign = nullptr, *verify = nullptr, *diff = nullptr, *gate = nullptr;
  std::string model, out, name, version, channel = "stable", metadata, runtime = kDefaultRuntimeRange;
  std::vector<std::string> shapes;
  int rollout = 100, runs = 5, min_memory_mb = -1;
  bool no_bench = false, simd = false, threads = false, force = false, as_json = false, no_signature = false;
  std::string dir, key, pubkey, old_dir, new_dir, budget, prefix;

  int run_pack();
  int run_keygen();
  int run_sign();
  int run_verify();
  int run_diff();
  int run_gate();
};

BundleCommands::BundleCommands(CLI::App& app) : st_(new State) {
  State& s = *st_;
  s.bundle = app.add_subcommand("bundle", "Model bundles: pack, sign, verify, diff, gate (docs/BUNDLE_FORMAT.md)");
  s.bundle->require_subcommand(1);

  s.pack = s.bundle->add_subcommand("pack", "Write a bundle: manifest.json + content-defined chunks of the model");
  s.pack->add_option("model", s.model, "ONNX model file")->required();
  s.pack->add_option("--name", s.name, "Model name, [a-z0-9][a-z0-9._-]*")->required();
  s.pack->add_option("--version", s.version, "SemVer 2.0 version (1.4.0, 2.0.0-beta.1)")->required();
  s.pack->add_option("-o,--out", s.out, "Bundle directory")->required();
  s.pack->add_option("--channel", s.channel, "stable or beta")->check(CLI::IsMember({"stable", "beta"}));
  s.pack->add_option("--metadata", s.metadata, "JSON file with a free-form object (labels, pre/post-processing)");
  s.pack->add_option("--runtime", s.runtime, "Runtime version range (default \">=0.1.0 <1.0.0\")");
  s.pack->add_option("--rollout", s.rollout, "Staged rollout percentage 0..100 (default 100)");
  s.pack->add_option("-s,--shape", s.shapes, "Bench input shape NAME=1x3x224x224 (symbolic dims default to 1)");
  s.pack->add_option("--runs", s.runs, "Timed bench runs (default 5, after 1 warm-up)")->check(CLI::Range(1, 100000));
  s.pack->add_flag("--no-bench", s.no_bench, "Do not run the model: ci gets no p50_us / peak_memory_bytes");
  s.pack->add_option("--min-memory-mb", s.min_memory_mb, "device.min_memory_mb (default: the measured peak)");
  s.pack->add_flag("--require-simd", s.simd, "device.simd = true");
  s.pack->add_flag("--require-threads", s.threads, "device.threads = true");
  s.pack->add_flag("--force", s.force, "Replace a bundle already in DIR (deletes its chunks the new one does not use)");
  s.pack->add_flag("--json", s.as_json, "Print the manifest");

  s.keygen = s.bundle->add_subcommand("keygen", "Make an Ed25519 key pair: PREFIX.key (PKCS#8 PEM), PREFIX.pub (SPKI PEM)");
  s.keygen->add_option("-o,--out", s.prefix, "Path prefix of the two files")->required();
  s.keygen->add_flag("--force", s.force, "Overwrite existing key files");

  s.sign = s.bundle->add_subcommand("sign", "Sign a bundle's canonical manifest with an Ed25519 private key");
  s.sign->add_option("dir", s.dir, "Bundle directory")->required();
  s.sign->add_option("--key", s.key, "PKCS#8 PEM private key (from bundle keygen)")->required();

  s.verify = s.bundle->add_subcommand("verify", "Check the signature, every chunk's hash and size and the payload hash");
  s.verify->add_option("dir", s.dir, "Bundle directory")->required();
  s.verify->add_option("--pubkey", s.pubkey, "SPKI PEM public key file, or the raw public key in base64");
  s.verify->add_flag("--no-signature", s.no_signature, "Check integrity only (no --pubkey)");
  s.verify->add_flag("--json", s.as_json, "Machine-readable output");

  s.diff = s.bundle->add_subcommand("diff", "Chunks and bytes a client holding OLD downloads to get NEW");
  s.diff->add_option("old", s.old_dir, "Bundle directory of the installed version")->required();
  s.diff->add_option("new", s.new_dir, "Bundle directory of the new version")->required();
  s.diff->add_flag("--json", s.as_json, "Machine-readable output");

  s.gate = s.bundle->add_subcommand("gate", "Fail when the bundle exceeds its budgets (size, latency, memory, ops)");
  s.gate->add_option("dir", s.dir, "Bundle directory")->required();
  s.gate->add_option("--budget", s.budget, "Budget JSON file (README: Model bundles)")->required();
  s.gate->add_flag("--json", s.as_json, "Machine-readable output");
}

BundleCommands::~BundleCommands() = default;

bool BundleCommands::parsed() const { return st_->bundle->parsed(); }

int BundleCommands::run() {
  State& s = *st_;
  if (s.pack->parsed()) return s.run_pack();
  if (s.keygen->parsed()) return s.run_keygen();
  if (s.sign->parsed()) return s.run_sign();
  if (s.verify->parsed()) return s.run_verify();
  if (s.diff->parsed()) return s.run_diff();
  if (s.gate->parsed()) return s.run_gate();
  return 1;
}

int BundleCommands::State::run_pack() {
  PackOptions o;
  o.name = name;
  o.version = version;
  o.channel = channel;
  o.runtime = runtime;
  o.rollout_percent = rollout;
  o.bench = !no_bench;
  o.bench_runs = runs;
  o.min_memory_mb = min_memory_mb;
  o.require_simd = simd;
  o.require_threads = threads;
  o.force = force;
  for (const std::string& arg : shapes) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) return fail(invalid_argument("--shape '" + arg + "' is not NAME=1x3x224x224"));
    auto dims = parse_dims(arg.substr(eq + 1));
    if (!dims.is_ok()) return fail(dims.status().with_context("--shape " + arg.substr(0, eq) + ": "));
    o.bench_shapes[arg.substr(0, eq)] = dims.value();
  }
  if (!metadata.empty()) {
    auto md = read_json_file(metadata);
    if (!md.is_ok()) return fail(md.status().with_context("--metadata: "));
    o.metadata = md.value();
  }
  auto bytes = read_file_bytes(model);
  if (!bytes.is_ok()) return fail(bytes.status());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = pack_bundle(bytes.value(), o, out);
  if (!r.is_ok()) return fail(r.status().with_context(model + ": "));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (as_json) {
    std::cout << r->manifest.dump(2) << "\n";
    return 0;
  }
  const json& m = r->manifest;
  std::printf("bundle:   %s %s (%s) -> %s\n", name.c_str(), version.c_str(), channel.c_str(), out.c_str());
  std::printf("payload:  %llu bytes, sha256 %s\n", static_cast<unsigned long long>(bytes->size()),
              m["payload"]["sha256"].get<std::string>().c_str());
  std::printf("chunks:   %zu (%zu written, %zu already present, %zu stale removed)\n", m["chunks"].size(),
              r->chunks_written, r->chunks_present, r->chunks_removed);
  std::printf("ops:      %zu, params %lld\n", m["ops"].size(), static_cast<long long>(m["ci"]["params"].get<int64_t>()));
  if (m["ci"].contains("p50_us"))
    std::printf("bench:    p50 %lld us, peak memory %lld bytes (1 thread, %d runs)\n",
                static_cast<long long>(m["ci"]["p50_us"].get<int64_t>()),
                static_cast<long long>(m["ci"]["peak_memory_bytes"].get<int64_t>()), runs);
  std::printf("packed in %.2f s\n", secs);
  return 0;
}

int BundleCommands::State::run_keygen() {
  auto r = bundle::keygen(prefix, force);
  if (!r.is_ok()) return fail(r.status());
  std::printf("private key: %s (PKCS#8 PEM; keep it off devices and out of the browser)\n", r->private_path.c_str());
  std::printf("public key:  %s (SPKI PEM)\n", r->public_path.c_str());
  std::printf("public key (raw, base64): %s\n", r->public_base64.c_str());
  std::printf("key_id: %s\n", r->key_id.c_str());
  return 0;
}

int BundleCommands::State::run_sign() {
  auto pem = read_file_text(key);
  if (!pem.is_ok()) return fail(pem.status());
  auto k = Ed25519Key::from_private_pem(pem.value());
  if (!k.is_ok()) return fail(k.status().with_context(key + ": "));
  auto id = sign_bundle(dir, k.value());
  if (!id.is_ok()) return fail(id.status());
  std::printf("signed %s/manifest.json with key %s\n", dir.c_str(), id->c_str());
  return 0;
}

int BundleCommands::State::run_verify() {
  if (pubkey.empty() && !no_signature)
    return fail(invalid_argument("verify needs --pubkey KEY.pub|BASE64 (or --no-signature to check integrity only)"));
  if (!pubkey.empty() && no_signature) return fail(invalid_argument("--pubkey and --no-signature exclude each other"));
  Ed25519Key k;
  if (!pubkey.empty()) {
    auto loaded = load_public_key(pubkey);
    if (!loaded.is_ok()) return fail(loaded.status());
    k = std::move(loaded).value();
  }
  const VerifyReport rep = verify_bundle(dir, pubkey.empty() ? nullptr : &k);
  if (as_json) {
    json j = {{"ok", rep.ok()}, {"problems", rep.problems}, {"signature_checked", rep.signature_checked},
              {"chunks", rep.chunks}, {"payload_size", rep.payload_size}};
    if (rep.signature_checked) j["key_id"] = rep.key_id;
    std::cout << j.dump(2) << "\n";
    return rep.ok() ? 0 : 1;
  }
  if (!rep.ok()) {
    for (const std::string& p : rep.problems) std::fprintf(stderr, "edgeinfer bundle verify: %s: %s\n", dir.c_str(), p.c_str());
    std::fprintf(stderr, "edgeinfer bundle verify: %s: FAILED (%zu problem%s)\n", dir.c_str(), rep.problems.size(),
                 rep.problems.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%s: OK: %zu chunks, %llu bytes, %s\n", dir.c_str(), rep.chunks,
              static_cast<unsigned long long>(rep.payload_size),
              rep.signature_checked ? ("signature by key " + rep.key_id).c_str() : "signature not checked");
  return 0;
}

int BundleCommands::State::run_diff() {
  auto d = diff_bundles(old_dir, new_dir);
  if (!d.is_ok()) return fail(d.status());
  if (as_json) {
    json j = {{"new_chunks", d->new_chunks},         {"new_bytes", d->new_bytes},
              {"download_chunks", d->download_chunks}, {"download_bytes", d->download_bytes},
              {"reused_chunks", d->reused_chunks},   {"reused_bytes", d->reused_bytes},
              {"download_ratio", d->ratio()}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("new version:  %zu chunks, %llu bytes\n", d->new_chunks, static_cast<unsigned long long>(d->new_bytes));
  std::printf("download:     %zu chunks, %llu bytes (%.2f%% of the full size)\n", d->download_chunks,
              static_cast<unsigned long long>(d->download_bytes), 100.0 * d->ratio());
  std::printf("reused:       %zu chunks, %llu bytes\n", d->reused_chunks, static_cast<unsigned long long>(d->reused_bytes));
  return 0;
}

int BundleCommands::State::run_gate() {
  auto m = load_manifest(dir);
  if (!m.is_ok()) return fail(m.status());
  auto b = read_json_file(budget);
  if (!b.is_ok()) return fail(b.status());
  auto rep = gate_manifest(m.value(), b.value());
  if (!rep.is_ok()) return fail(rep.status().with_context(budget + ": "));
  if (as_json) {
    std::cout << json({{"ok", rep->ok()}, {"checks", rep->checks}, {"violations", rep->violations}}).dump(2) << "\n";
    return rep->ok() ? 0 : 1;
  }
  for (const std::string& c : rep->checks) std::printf("%s\n", c.c_str());
  for (const std::string& v : rep->violations) std::fprintf(stderr, "edgeinfer bundle gate: %s: %s\n", dir.c_str(), v.c_str());
  if (!rep->ok()) {
    std::fprintf(stderr, "edgeinfer bundle gate: %s: FAILED (%zu budget%s exceeded)\n", dir.c_str(), rep->violations.size(),
                 rep->violations.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%s: within budget\n", dir.c_str());
  return 0;
}

}  // namespace edgeinfer::bundle
