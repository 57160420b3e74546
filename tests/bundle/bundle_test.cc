// Model bundles (tools/cli/bundle): FastCDC chunking, canonical JSON, SemVer, base64, Ed25519, and
// pack / sign / verify / diff / gate on real and generated models, including corrupted bundles.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "bundle/bundle.h"
#include "bundle/canonical_json.h"
#include "bundle/crypto.h"
#include "bundle/fastcdc.h"
#include "bundle/files.h"
#include "bundle/manifest.h"
#include "bundle/semver.h"
#include "bundle_fixtures.h"

namespace edgeinfer::bundle {
namespace {

using bundle_test::temp_dir;
using bundle_test::weights_model;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t r = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) v[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  return v;
}

std::string from_hex(const std::string& hex) {
  std::string s;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) s.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return s;
}

std::vector<size_t> cut_points(const std::vector<ChunkSpan>& chunks) {
  std::vector<size_t> v;
  for (const ChunkSpan& c : chunks) v.push_back(c.offset + c.size);
  return v;
}

void expect_well_formed(const std::vector<ChunkSpan>& chunks, size_t n, const ChunkingParams& p) {
  size_t off = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].offset, off) << "chunk " << i;
    EXPECT_LE(chunks[i].size, p.max_size) << "chunk " << i;
    if (i + 1 < chunks.size()) {
      EXPECT_GE(chunks[i].size, p.min_size) << "chunk " << i;
    } else {
      EXPECT_GT(chunks[i].size, 0u);
    }
    off += chunks[i].size;
  }
  EXPECT_EQ(off, n);
}

// ------------------------------------------------------------------------------------------ FastCDC
TEST(FastCdc, GearTableIsSplitMix64FromTheDocumentedSeed) {
  uint64_t s = 0x45646765696e6665ULL;
  for (int i = 0; i < 256; ++i) {
    s += 0x9E3779B97F4A7C15ULL;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    ASSERT_EQ(gear_table()[i], z) << "entry " << i;
  }
}

TEST(FastCdc, DeterministicAndWithinBoundsOnRandomData) {
  const ChunkingParams p;  // 16/64/256 KiB
  const auto data = random_bytes(8 << 20, 1);
  const auto a = fastcdc_chunks(data.data(), data.size(), p);
  const auto b = fastcdc_chunks(data.data(), data.size(), p);
  ASSERT_EQ(cut_points(a), cut_points(b));
  expect_well_formed(a, data.size(), p);
  // Normalized chunking keeps the mean near the target (8 MiB / 64 KiB = 128 chunks).
  EXPECT_GT(a.size(), 128u * 2 / 3);
  EXPECT_LT(a.size(), 128u * 3 / 2);
}

TEST(FastCdc, SmallParametersAndEdgeCases) {
  ChunkingParams p;
  p.min_size = 256;
  p.avg_size = 1024;
  p.max_size = 4096;
  ASSERT_TRUE(validate_chunking(p).is_ok());
  for (size_t n : {size_t{0}, size_t{1}, size_t{255}, size_t{256}, size_t{257}, size_t{4096}, size_t{4097}, size_t{100003}}) {
    const auto data = random_bytes(n, 7);
    const auto chunks = fastcdc_chunks(data.data(), n, p);
    expect_well_formed(chunks, n, p);
    if (n == 0) {
      EXPECT_TRUE(chunks.empty());
    }
    if (n > 0 && n <= p.min_size) {
      EXPECT_EQ(chunks.size(), 1u);
    }
  }
  // Constant data (zero-filled tensors) never finds a content boundary: max-size chunks.
  const std::vector<uint8_t> zeros(50000, 0);
  const auto z = fastcdc_chunks(zeros.data(), zeros.size(), p);
  expect_well_formed(z, zeros.size(), p);
}

TEST(FastCdc, RejectsBadParameters) {
  ChunkingParams p;
  p.avg_size = 60000;
  EXPECT_FALSE(validate_chunking(p).is_ok());
  p = ChunkingParams();
  p.min_size = p.avg_size * 2;
  EXPECT_FALSE(validate_chunking(p).is_ok());
  p = ChunkingParams();
  p.max_size = p.avg_size / 2;
  EXPECT_FALSE(validate_chunking(p).is_ok());
}

// An insertion changes only the chunks around it: every cut point before the insertion stays, and
// every cut point after it (beyond a max_size window) reappears shifted by the inserted length.
TEST(FastCdc, ShiftResilientAfterAnInsertion) {
  const ChunkingParams p;
  for (uint32_t seed : {3u, 4u, 5u}) {
    const auto data = random_bytes(6 << 20, seed);
    const size_t at = 2 * 1024 * 1024 + seed * 1237;
    const std::vector<uint8_t> ins = random_bytes(100 + seed, seed + 100);
    std::vector<uint8_t> edited(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(at));
    edited.insert(edited.end(), ins.begin(), ins.end());
    edited.insert(edited.end(), data.begin() + static_cast<std::ptrdiff_t>(at), data.end());

    const auto a = cut_points(fastcdc_chunks(data.data(), data.size(), p));
    const auto b = cut_points(fastcdc_chunks(edited.data(), edited.size(), p));
    std::set<size_t> bset(b.begin(), b.end());
    size_t kept_before = 0, before = 0, kept_after = 0, after = 0;
    for (size_t c : a) {
      if (c < at) {
        ++before;
        kept_before += bset.count(c);
      } else if (c > at + p.max_size) {
        ++after;
        kept_after += bset.count(c + ins.size());
      }
    }
    EXPECT_EQ(kept_before, before) << "seed " << seed;
    EXPECT_EQ(kept_after, after) << "seed " << seed;
    EXPECT_GT(after, 40u);
    // In chunk terms: only a few chunks of the edited data are new.
    std::set<std::string> old_hashes;
    const auto ac = fastcdc_chunks(data.data(), data.size(), p);
    for (const ChunkSpan& c : ac) old_hashes.insert(sha256_hex(data.data() + c.offset, c.size));
    size_t fresh = 0;
    for (const ChunkSpan& c : fastcdc_chunks(edited.data(), edited.size(), p))
      fresh += old_hashes.count(sha256_hex(edited.data() + c.offset, c.size)) ? 0 : 1;
    EXPECT_LE(fresh, 3u) << "seed " << seed;
    EXPECT_GE(fresh, 1u) << "seed " << seed;
  }
}

// ------------------------------------------------------------------------------------ canonical JSON
// Expected bytes computed by JavaScript: JSON.stringify with keys sorted by Array.prototype.sort().
TEST(CanonicalJson, SortsKeysAndWritesNoWhitespace) {
  const json v = json::parse(R"({"b":1,"a":[true,false,null,"x"],"":0,"c":{"z":-5,"y":9007199254740991}})");
  auto c = canonical_json(v);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c.value(), from_hex("7b22223a302c2261223a5b747275652c66616c73652c6e756c6c2c2278225d2c2262223a312c2263223a7b2279223a"
                                "393030373139393235343734303939312c227a223a2d357d7d"));
}

TEST(CanonicalJson, EscapesStringsLikeJsonStringify) {
  // "\"\\\b\f\n\r\t\u0001\u001f\u007f/é€😀\u2028<>&'"
  json v = json::object();
  v["s"] = from_hex("225c080c0a0d09011f7f2fc3a9e282acf09f9880e280a83c3e2627");
  auto c = canonical_json(v);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c.value(), from_hex("7b2273223a225c225c5c5c625c665c6e5c725c745c75303030315c75303031667f2fc3a9e282acf09f9880e280a83c3e"
                                "2627227d"));
  // Every control character: \u00xx in lowercase hex unless it has a short form.
  for (int ch = 0; ch < 0x20; ++ch) {
    const std::string s(1, static_cast<char>(ch));
    const std::string out = json_stringify_string(s);
    const std::string shorts = "\b\f\n\r\t";
    if (shorts.find(static_cast<char>(ch)) != std::string::npos) {
      EXPECT_EQ(out.size(), 4u) << ch;
    } else {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "\"\\u%04x\"", ch);
      EXPECT_EQ(out, buf);
    }
  }
}

TEST(CanonicalJson, OrdersKeysByUtf16CodeUnitsNotUtf8Bytes) {
  // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D) but before it in UTF-8 (EF < F0).
  json v = json::object();
  v[from_hex("efbda1")] = 2;
  v[from_hex("f09f9880")] = 1;
  v[from_hex("c3a9")] = 3;
  v["z"] = 4;
  v["Z"] = 5;
  v["a"] = 6;
  auto c = canonical_json(v);
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c.value(), from_hex("7b225a223a352c2261223a362c227a223a342c22c3a9223a332c22f09f9880223a312c22efbda1223a327d"));
  EXPECT_TRUE(utf16_less(from_hex("f09f9880"), from_hex("efbda1")));
  EXPECT_FALSE(utf16_less(from_hex("efbda1"), from_hex("f09f9880")));
}

TEST(CanonicalJson, RejectsWhatJavaScriptCannotReproduce) {
  auto f = canonical_json(json::parse(R"({"a":{"b":[1,2.5]}})"));
  ASSERT_FALSE(f.is_ok());
  EXPECT_NE(f.status().message().find("$.a.b[1]"), std::string::npos) << f.status().message();
  EXPECT_FALSE(canonical_json(json::parse("9007199254740992")).is_ok());
  EXPECT_FALSE(canonical_json(json::parse("-9007199254740992")).is_ok());
  EXPECT_TRUE(canonical_json(json::parse("-9007199254740991")).is_ok());
  json bad = json::object();
  bad["k"] = from_hex("c0af");  // overlong '/'
  EXPECT_FALSE(canonical_json(bad).is_ok());
  bad = json::object();
  bad["k"] = from_hex("eda080");  // a surrogate in UTF-8
  EXPECT_FALSE(canonical_json(bad).is_ok());
  bad = json::object();
  bad[from_hex("ff")] = 1;  // invalid key
  EXPECT_FALSE(canonical_json(bad).is_ok());
}

// ---------------------------------------------------------------------------------------- SemVer
TEST(SemVer, AcceptsAndRejectsPerTheSpec) {
  for (const char* ok : {"0.0.0", "1.4.0", "2.0.0-beta.1", "1.0.0-alpha+001", "1.0.0+20130313144700", "1.0.0-0.3.7",
                         "1.0.0-x-y-z.--", "10.20.30"})
    EXPECT_TRUE(parse_semver(ok).is_ok()) << ok;
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3", "1.2.3-", "1.2.3-01",
                          "1.2.3+", "1.2.3-a..b", "1.2.3 ", "1.2.-3", "1.2.3-é"})
    EXPECT_FALSE(parse_semver(bad).is_ok()) << bad;
  EXPECT_NE(parse_semver("1.02.3").status().message().find("leading zero"), std::string::npos);
}

TEST(SemVer, PrecedenceAndRanges) {
  const char* ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"};
  for (size_t i = 0; i + 1 < std::size(ordered); ++i)
    EXPECT_LT(compare_semver(parse_semver(ordered[i]).value(), parse_semver(ordered[i + 1]).value()), 0) << ordered[i];
  EXPECT_EQ(compare_semver(parse_semver("1.0.0+a").value(), parse_semver("1.0.0+b").value()), 0);
  auto r = parse_range(">=0.1.0 <1.0.0");
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(satisfies(parse_semver("0.1.0").value(), r.value()));
  EXPECT_TRUE(satisfies(parse_semver("0.9.9").value(), r.value()));
  EXPECT_FALSE(satisfies(parse_semver("1.0.0").value(), r.value()));
  EXPECT_FALSE(satisfies(parse_semver("0.0.9").value(), r.value()));
  for (const char* bad : {"", "0.1.0", ">=0.1", "~1.0.0", ">=0.1.0  <1.0.0", " >=0.1.0", ">=0.1.0\t<1.0.0"})
    EXPECT_FALSE(parse_range(bad).is_ok()) << bad;
}

// ---------------------------------------------------------------------------------- base64, keys
TEST(Base64, RoundTripsAndIsStrict) {
  for (size_t n = 0; n < 40; ++n) {
    const auto b = random_bytes(n, static_cast<uint32_t>(n));
    auto d = base64_decode(base64_encode(b.data(), b.size()));
    ASSERT_TRUE(d.is_ok());
    EXPECT_EQ(d.value(), b);
  }
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("foobar"), 6), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("fo"), 2), "Zm8=");
  for (const char* bad : {"Zm8", "Zm8=\n", "Zm9=", "Z===", "Zm!v", "Zm 8="}) EXPECT_FALSE(base64_decode(bad).is_ok()) << bad;
}

// RFC 8032 section 7.1, test 2 (one-byte message): signing is deterministic, so the bytes must match.
TEST(Ed25519, MatchesRfc8032TestVector) {
  const std::string der = from_hex("302e020100300506032b657004220420") +
                          from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  const std::string pem = "-----BEGIN PRIVATE KEY-----\n" +
                          base64_encode(reinterpret_cast<const uint8_t*>(der.data()), der.size()) +
                          "\n-----END PRIVATE KEY-----\n";
  auto key = Ed25519Key::from_private_pem(pem);
  ASSERT_TRUE(key.is_ok()) << key.status().to_string();
  auto raw = key->raw_public();
  ASSERT_TRUE(raw.is_ok());
  EXPECT_EQ(hex_encode(raw.value()), "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  auto sig = key->sign(from_hex("72"));
  ASSERT_TRUE(sig.is_ok());
  EXPECT_EQ(hex_encode(sig.value()),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  auto pub = Ed25519Key::from_raw_public(raw.value());
  ASSERT_TRUE(pub.is_ok());
  EXPECT_TRUE(pub->verify(from_hex("72"), sig.value()).value());
  EXPECT_FALSE(pub->verify(from_hex("73"), sig.value()).value());
  EXPECT_EQ(pub->key_id().value(), sha256_hex(raw->data(), raw->size()).substr(0, 16));
}

TEST(Ed25519, PemRoundTripAndBadKeys) {
  auto k = Ed25519Key::generate();
  ASSERT_TRUE(k.is_ok());
  auto pub = Ed25519Key::from_public_pem(k->public_pem().value());
  ASSERT_TRUE(pub.is_ok());
  auto priv = Ed25519Key::from_private_pem(k->private_pem().value());
  ASSERT_TRUE(priv.is_ok());
  EXPECT_EQ(pub->key_id().value(), k->key_id().value());
  EXPECT_NE(k->private_pem().value().find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(k->public_pem().value().find("BEGIN PUBLIC KEY"), std::string::npos);
  auto sig = priv->sign("hello").value();
  EXPECT_TRUE(pub->verify("hello", sig).value());
  EXPECT_FALSE(pub->sign("hello").is_ok());  // public-only
  EXPECT_FALSE(Ed25519Key::from_public_pem("garbage").is_ok());
  EXPECT_FALSE(Ed25519Key::from_private_pem(k->public_pem().value()).is_ok());
  EXPECT_FALSE(Ed25519Key::from_raw_public(std::vector<uint8_t>(31, 1)).is_ok());
}

// ------------------------------------------------------------------------------------ pack, verify
PackOptions quick(const std::string& version = "1.0.0") {
  PackOptions o;
  o.name = "test-model";
  o.version = version;
  o.bench = false;
  o.created = "2026-12-03T10:00:00Z";
  return o;
}

std::string write_bytes_file(const std::string& path, const std::vector<uint8_t>& b) {
  EXPECT_TRUE(write_file_atomic(path, b.data(), b.size()).is_ok());
  return path;
}

std::vector<uint8_t> join_chunks(const std::string& dir, const json& m) {
  std::vector<uint8_t> out;
  for (const ChunkRef& c : manifest_chunks(m)) {
    auto b = read_file_bytes(dir + "/chunks/" + c.sha256);
    EXPECT_TRUE(b.is_ok());
    if (b.is_ok()) out.insert(out.end(), b->begin(), b->end());
  }
  return out;
}

TEST(BundlePack, RealTestModelWithBench) {
  const std::string root = bundle_test::repo_root();
  ASSERT_FALSE(root.empty()) << "models/test/ not found above the test binary";
  auto model = read_file_bytes(root + "/models/test/cnn_ops.onnx");
  ASSERT_TRUE(model.is_ok());
  PackOptions o = quick("2.0.0-beta.1");
  o.bench = true;
  o.bench_runs = 2;
  o.channel = "beta";
  o.rollout_percent = 25;
  o.metadata = json::parse(R"({"labels":["background","text"],"preprocess":{"mean":[123,117,104]}})");
  const std::string dir = temp_dir() + "/b";
  auto r = pack_bundle(model.value(), o, dir);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  auto m = load_manifest(dir);
  ASSERT_TRUE(m.is_ok()) << m.status().to_string();
  EXPECT_EQ(m->at("schema"), 1);
  EXPECT_EQ(m->at("name"), "test-model");
  EXPECT_EQ(m->at("version"), "2.0.0-beta.1");
  EXPECT_EQ(m->at("channel"), "beta");
  EXPECT_EQ(m->at("created"), "2026-12-03T10:00:00Z");
  EXPECT_EQ(m->at("runtime"), ">=0.1.0 <1.0.0");
  EXPECT_EQ(m->at("rollout").at("percent"), 25);
  EXPECT_EQ(m->at("metadata"), o.metadata);
  EXPECT_EQ(m->at("payload").at("size"), model->size());
  EXPECT_EQ(m->at("payload").at("sha256"), sha256_hex(model->data(), model->size()));
  const json ops = m->at("ops");
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  EXPECT_NE(std::find(ops.begin(), ops.end(), "ai.onnx:Conv"), ops.end());
  EXPECT_EQ(m->at("inputs")[0].at("name"), "image");
  EXPECT_EQ(m->at("inputs")[0].at("dtype"), "float32");
  EXPECT_EQ(m->at("inputs")[0].at("shape"), json::parse(R"(["N",3,"H","W"])"));
  const json& ci = m->at("ci");
  EXPECT_EQ(ci.at("size_bytes"), model->size());
  EXPECT_EQ(ci.at("params"), 1553);
  EXPECT_EQ(ci.at("threads"), 1);
  EXPECT_GT(ci.at("p50_us").get<int64_t>(), 0);
  EXPECT_GT(ci.at("peak_memory_bytes").get<int64_t>(), 0);
  EXPECT_GE(m->at("device").at("min_memory_mb").get<int64_t>(), 1);
  EXPECT_EQ(join_chunks(dir, m.value()), model.value());
  EXPECT_TRUE(verify_bundle(dir, nullptr).ok());

  // Packing again into the same directory needs --force.
  EXPECT_FALSE(pack_bundle(model.value(), o, dir).is_ok());
  o.force = true;
  auto again = pack_bundle(model.value(), o, dir);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->chunks_present, 1u);
  EXPECT_EQ(again->chunks_written, 0u);
}

TEST(BundlePack, ChunksAGeneratedModelAndIsReproducible) {
  const auto model = weights_model(8, 11);
  ASSERT_GT(model.size(), 2u << 20);
  const std::string a = temp_dir(), b = temp_dir();
  auto ra = pack_bundle(model, quick(), a);
  auto rb = pack_bundle(model, quick(), b);
  ASSERT_TRUE(ra.is_ok()) << ra.status().to_string();
  ASSERT_TRUE(rb.is_ok());
  EXPECT_GT(ra->manifest.at("chunks").size(), 10u);
  EXPECT_EQ(ra->manifest.dump(), rb->manifest.dump());
  EXPECT_FALSE(ra->manifest.at("ci").contains("p50_us"));  // --no-bench
  EXPECT_EQ(join_chunks(a, ra->manifest), model);
}

TEST(BundlePack, ValidatesArgumentsWithClearErrors) {
  const auto model = weights_model(1, 1);
  const std::string dir = temp_dir();
  struct Case {
    const char* field;
    void (*edit)(PackOptions&);
  } cases[] = {
      {"name", [](PackOptions& o) { o.name = "Bad Name"; }},
      {"name", [](PackOptions& o) { o.name = "-x"; }},
      {"name", [](PackOptions& o) { o.name = ""; }},
      {"version", [](PackOptions& o) { o.version = "1.0"; }},
      {"version", [](PackOptions& o) { o.version = "1.0.0-01"; }},
      {"channel", [](PackOptions& o) { o.channel = "nightly"; }},
      {"runtime", [](PackOptions& o) { o.runtime = "^1.0.0"; }},
      {"rollout", [](PackOptions& o) { o.rollout_percent = 101; }},
      {"metadata", [](PackOptions& o) { o.metadata = json::parse(R"({"scale":0.5})"); }},
      {"metadata", [](PackOptions& o) { o.metadata = json::array(); }},
  };
  for (const Case& c : cases) {
    PackOptions o = quick();
    c.edit(o);
    auto r = pack_bundle(model, o, dir + "/x");
    ASSERT_FALSE(r.is_ok()) << c.field;
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(path_exists(dir + "/x/manifest.json"));
  // A model the runtime cannot load is refused.
  const std::vector<uint8_t> junk = {1, 2, 3, 4};
  EXPECT_FALSE(pack_bundle(junk, quick(), dir + "/y").is_ok());
}

class SignedBundle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    model_ = weights_model(4, 21);
    auto r = pack_bundle(model_, quick(), dir_);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    auto k = Ed25519Key::generate();
    ASSERT_TRUE(k.is_ok());
    key_ = std::move(k).value();
    pub_ = Ed25519Key::from_raw_public(key_.raw_public().value()).value();
    auto id = sign_bundle(dir_, key_);
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    manifest_ = load_manifest(dir_).value();
    chunks_ = manifest_chunks(manifest_);
    ASSERT_GE(chunks_.size(), 3u);
  }

  // Verifies and returns every problem joined by newlines ("" when the bundle is good).
  std::string problems(const Ed25519Key* key) {
    const VerifyReport r = verify_bundle(dir_, key);
    std::string s;
    for (const auto& p : r.problems) s += p + "\n";
    return s;
  }
  std::string chunk_file(size_t i) { return dir_ + "/chunks/" + chunks_[i].sha256; }
  void rewrite_manifest(const std::string& text) { ASSERT_TRUE(write_file_atomic(dir_ + "/manifest.json", text).is_ok()); }

  std::string dir_;
  std::vector<uint8_t> model_;
  Ed25519Key key_, pub_;
  json manifest_;
  std::vector<ChunkRef> chunks_;
};

TEST_F(SignedBundle, VerifiesWithTheRightKey) {
  EXPECT_EQ(problems(&pub_), "");
  const VerifyReport r = verify_bundle(dir_, &pub_);
  EXPECT_TRUE(r.signature_checked);
  EXPECT_EQ(r.key_id, key_.key_id().value());
  EXPECT_EQ(manifest_.at("signature").at("key_id"), key_.key_id().value());
  EXPECT_EQ(manifest_.at("signature").at("alg"), "Ed25519");
  // Re-signing replaces the signature instead of signing it.
  ASSERT_TRUE(sign_bundle(dir_, key_).is_ok());
  EXPECT_EQ(problems(&pub_), "");
}

TEST_F(SignedBundle, FailsOnATamperedChunkByte) {
  auto b = read_file_bytes(chunk_file(1)).value();
  b[b.size() / 2] ^= 0x01;
  write_bytes_file(chunk_file(1), b);
  const std::string p = problems(&pub_);
  EXPECT_NE(p.find("chunk 1 (" + chunks_[1].sha256.substr(0, 12)), std::string::npos) << p;
  EXPECT_NE(p.find("content hash"), std::string::npos) << p;
  EXPECT_EQ(p.find("signature"), std::string::npos) << p;  // the manifest itself is intact
}

TEST_F(SignedBundle, FailsOnAMissingChunk) {
  ASSERT_EQ(::unlink(chunk_file(2).c_str()), 0);
  const std::string p = problems(&pub_);
  EXPECT_NE(p.find("chunk 2"), std::string::npos) << p;
  EXPECT_NE(p.find("missing file chunks/" + chunks_[2].sha256), std::string::npos) << p;
}

TEST_F(SignedBundle, FailsOnAChunkOfTheWrongSize) {
  auto b = read_file_bytes(chunk_file(0)).value();
  b.push_back(0);
  write_bytes_file(chunk_file(0), b);
  const std::string p = problems(&pub_);
  EXPECT_NE(p.find("chunk 0"), std::string::npos) << p;
  EXPECT_NE(p.find("size " + std::to_string(chunks_[0].size + 1) + " on disk"), std::string::npos) << p;
}

TEST_F(SignedBundle, FailsWhenAFieldChangesAfterSigning) {
  for (const char* edit : {"rollout", "metadata", "ops", "chunk_size"}) {
    json m = manifest_;
    const std::string e = edit;
    if (e == "rollout") m["rollout"]["percent"] = 50;
    if (e == "metadata") m["metadata"]["note"] = "x";
    if (e == "ops") m["ops"].push_back("com.evil:Op");
    if (e == "chunk_size") {
      // Swap two chunks' order in the list: still structurally valid only if sizes match, so instead
      // shift the split between chunks 0 and 1 (sizes and offsets stay contiguous).
      m["chunks"][0]["size"] = chunks_[0].size - 1;
      m["chunks"][1]["size"] = chunks_[1].size + 1;
      m["chunks"][1]["offset"] = chunks_[1].offset - 1;
    }
    rewrite_manifest(manifest_file_text(m));
    const std::string p = problems(&pub_);
    EXPECT_NE(p.find("signature: does not match the manifest"), std::string::npos) << edit << ": " << p;
    if (e == "chunk_size") {
      EXPECT_NE(p.find("chunk 0"), std::string::npos) << p;
    }
  }
}

TEST_F(SignedBundle, FailsWithTheWrongKey) {
  auto other = Ed25519Key::generate().value();
  const std::string p = problems(&other);
  EXPECT_NE(p.find("signature.key_id: signed by key " + key_.key_id().value()), std::string::npos) << p;
  EXPECT_NE(p.find("does not match"), std::string::npos) << p;
}

TEST_F(SignedBundle, FailsOnTruncatedOrGarbageManifest) {
  const std::string text = manifest_file_text(manifest_);
  rewrite_manifest(text.substr(0, text.size() / 2));
  std::string p = problems(&pub_);
  EXPECT_NE(p.find("manifest.json: not valid JSON"), std::string::npos) << p;
  rewrite_manifest("\x01\x02garbage");
  p = problems(&pub_);
  EXPECT_NE(p.find("not valid JSON"), std::string::npos) << p;
  rewrite_manifest("[1,2,3]");
  p = problems(&pub_);
  EXPECT_NE(p.find("not a JSON object"), std::string::npos) << p;
  rewrite_manifest("");
  EXPECT_NE(problems(&pub_), "");
  ASSERT_EQ(::unlink((dir_ + "/manifest.json").c_str()), 0);
  p = problems(&pub_);
  EXPECT_NE(p.find("manifest.json: cannot open"), std::string::npos) << p;
}

TEST_F(SignedBundle, FailsOnBadSignatureEncoding) {
  const std::pair<const char*, const char*> cases[] = {
      {"!!!notbase64!!!", "signature.value: not valid base64"},
      {"AAAA", "signature.value: 3 bytes"},
      {"", "signature.value: 0 bytes"}};
  for (const auto& [value, want] : cases) {
    json m = manifest_;
    m["signature"]["value"] = value;
    rewrite_manifest(manifest_file_text(m));
    const std::string p = problems(&pub_);
    EXPECT_NE(p.find(want), std::string::npos) << value << ": " << p;
  }
  json m = manifest_;
  m["signature"]["alg"] = "RSA";
  rewrite_manifest(manifest_file_text(m));
  EXPECT_NE(problems(&pub_).find("signature.alg"), std::string::npos);
  m = manifest_;
  m["signature"] = "abc";
  rewrite_manifest(manifest_file_text(m));
  EXPECT_NE(problems(&pub_).find("signature: must be an object"), std::string::npos);
  m = manifest_;
  m.erase("signature");
  rewrite_manifest(manifest_file_text(m));
  EXPECT_NE(problems(&pub_).find("signature: missing"), std::string::npos);
  EXPECT_EQ(problems(nullptr), "");  // integrity alone still holds
}

TEST_F(SignedBundle, FailsOnStructuralManifestErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"offset", "chunks[1].offset"},      {"payload_size", "payload.size"}, {"hash", "chunks[0].sha256"},
      {"schema", "schema: 2 is not supported"}, {"name", "name"},          {"percent", "rollout.percent"},
      {"float", "$.metadata.scale: a non-integer number"}, {"huge", "beyond 2^53-1"},
      {"overrun", "chunks[0].size: the chunks run past payload.size"}};
  for (const auto& [edit, want] : cases) {
    json m = manifest_;
    if (edit == "offset") m["chunks"][1]["offset"] = chunks_[1].offset + 1;
    if (edit == "payload_size") m["payload"]["size"] = model_.size() + 1;
    if (edit == "hash") m["chunks"][0]["sha256"] = "ABC";
    if (edit == "schema") m["schema"] = 2;
    if (edit == "name") m["name"] = "UPPER";
    if (edit == "percent") m["rollout"]["percent"] = 200;
    if (edit == "float") m["metadata"]["scale"] = 0.5;
    if (edit == "huge") m["chunks"][0]["size"] = uint64_t{1} << 60;
    if (edit == "overrun") {
      m["chunking"]["max_size"] = model_.size() * 2;
      m["chunks"][0]["size"] = model_.size() + 1;
    }
    rewrite_manifest(manifest_file_text(m));
    const std::string p = problems(&pub_);
    EXPECT_NE(p.find(want), std::string::npos) << edit << ": " << p;
  }
}

TEST_F(SignedBundle, FailsWhenTheJoinedPayloadDiffersFromItsHash) {
  json m = manifest_;
  m["payload"]["sha256"] = std::string(64, 'a');
  rewrite_manifest(manifest_file_text(m));
  const std::string p = problems(nullptr);
  EXPECT_NE(p.find("payload.sha256: the chunks join to " + sha256_hex(model_.data(), model_.size())), std::string::npos)
      << p;
}

// ---------------------------------------------------------------------------------------------- diff
TEST(BundleDiff, OneChangedInitializerChangesOnlyAFewChunks) {
  const auto v1 = weights_model(8, 5);
  const auto v2 = weights_model(8, 5, /*change_layer=*/3);
  ASSERT_EQ(v1.size(), v2.size());
  ASSERT_NE(v1, v2);
  const std::string a = temp_dir(), b = temp_dir();
  ASSERT_TRUE(pack_bundle(v1, quick("1.0.0"), a).is_ok());
  ASSERT_TRUE(pack_bundle(v2, quick("1.0.1"), b).is_ok());
  auto d = diff_bundles(a, b);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->new_bytes, v2.size());
  EXPECT_GE(d->download_chunks, 1u);
  EXPECT_LE(d->download_chunks, 2u);
  EXPECT_LE(d->download_bytes, 2 * ChunkingParams().max_size);
  EXPECT_LT(d->ratio(), 0.2);
  EXPECT_EQ(d->download_bytes + d->reused_bytes, d->new_bytes);
  EXPECT_EQ(d->download_chunks + d->reused_chunks, d->new_chunks);

  auto same = diff_bundles(a, a);
  ASSERT_TRUE(same.is_ok());
  EXPECT_EQ(same->download_chunks, 0u);
  EXPECT_EQ(same->download_bytes, 0u);

  const std::string c = temp_dir();
  ASSERT_TRUE(pack_bundle(weights_model(8, 99), quick("2.0.0"), c).is_ok());
  auto other = diff_bundles(a, c);
  ASSERT_TRUE(other.is_ok());
  EXPECT_GT(other->ratio(), 0.95);

  EXPECT_FALSE(diff_bundles(a, temp_dir()).is_ok());  // no manifest
}

TEST(BundleDiff, RepeatedChunksAreDownloadedOnce) {
  json old_m = json::parse(R"({"chunks":[],"payload":{"size":0}})");
  json new_m = json::parse(R"({"payload":{"size":30},"chunks":[
    {"sha256":"a","size":10,"offset":0},{"sha256":"a","size":10,"offset":10},{"sha256":"b","size":10,"offset":20}]})");
  const DiffReport d = diff_manifests(old_m, new_m);
  EXPECT_EQ(d.download_chunks, 2u);
  EXPECT_EQ(d.download_bytes, 20u);
  EXPECT_EQ(d.new_chunks, 2u);
}

// ---------------------------------------------------------------------------------------------- gate
json gate_manifest_fixture() {
  return json::parse(R"({"ops":["ai.onnx:Conv","ai.onnx:Relu","com.microsoft:FusedConv"],
    "ci":{"size_bytes":1000,"params":200,"p50_us":5000,"peak_memory_bytes":80000,"threads":1}})");
}

TEST(BundleGate, PassesWithinBudget) {
  auto r = gate_manifest(gate_manifest_fixture(), json::parse(R"({"max_size_bytes":1000,"max_params":200,
    "max_p50_us":5000,"max_peak_memory_bytes":80000,"required_ops":["Conv","com.microsoft:FusedConv"],
    "allowed_ops":["Conv","ai.onnx:Relu","com.microsoft:FusedConv","Add"],"$comment":"limits for phones"})"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->checks.size(), 6u);
}

TEST(BundleGate, NamesEveryExceededBudget) {
  auto r = gate_manifest(gate_manifest_fixture(), json::parse(R"({"max_size_bytes":999,"max_params":200,
    "max_p50_us":4999,"max_peak_memory_bytes":79999,"required_ops":["Softmax"],"allowed_ops":["Conv","Relu"]})"));
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->violations.size(), 5u);
  std::string all;
  for (const auto& v : r->violations) all += v + "\n";
  for (const char* want : {"max_size_bytes exceeded: size is 1000, the budget is 999", "max_p50_us exceeded",
                           "max_peak_memory_bytes exceeded", "required_ops: the model does not use ai.onnx:Softmax",
                           "allowed_ops: the model uses ops outside the allowed set: com.microsoft:FusedConv"})
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  EXPECT_EQ(all.find("max_params"), std::string::npos);
}

TEST(BundleGate, UnmeasuredLatencyFailsItsBudget) {
  json m = gate_manifest_fixture();
  m["ci"].erase("p50_us");
  auto r = gate_manifest(m, json::parse(R"({"max_p50_us":100000})"));
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->violations.size(), 1u);
  EXPECT_NE(r->violations[0].find("--no-bench"), std::string::npos);
}

TEST(BundleGate, RejectsMalformedBudgets) {
  for (const char* bad : {R"({"max_size":10})", R"({})", R"([])", R"({"max_size_bytes":-1})", R"({"max_p50_us":1.5})",
                          R"({"required_ops":"Conv"})", R"({"allowed_ops":[1]})"}) {
    auto r = gate_manifest(gate_manifest_fixture(), json::parse(bad));
    EXPECT_FALSE(r.is_ok()) << bad;
  }
  auto r = gate_manifest(gate_manifest_fixture(), json::parse(R"({"max_size":10})"));
  EXPECT_NE(r.status().message().find("unknown key 'max_size'"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::bundle
