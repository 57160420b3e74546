// `edgeinfer bundle ...` end to end: the CLI binary (built next to this test as tools/edgeinfer) on a
// model from models/test/ and a generated two-version model; exit codes and the messages users see.
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bundle/crypto.h"
#include "bundle/files.h"
#include "bundle_fixtures.h"
#include "cli_runner.h"

namespace edgeinfer::bundle {
namespace {

using bundle_test::temp_dir;

using edgeinfer::testing::CmdResult;
CmdResult cli(const std::string& args) { return edgeinfer::testing::run_cli("bundle " + args); }

#define EXPECT_EXIT_CODE(r, code) EXPECT_EQ((r).exit_code, code) << (r).out
#define EXPECT_OUT_HAS(r, text) EXPECT_NE((r).out.find(text), std::string::npos) << (r).out

class BundleCli : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = bundle_test::repo_root();
    ASSERT_FALSE(root_.empty()) << "models/test/ not found above the test binary";
    tmp_ = temp_dir();
    model_ = root_ + "/models/test/cnn_ops.onnx";
  }
  std::string root_, tmp_, model_;
};

TEST_F(BundleCli, PackSignVerifyRoundTrip) {
  ASSERT_TRUE(write_file_atomic(tmp_ + "/meta.json", R"({"labels":["a","b"],"note":"caf\u00e9"})").is_ok());
  CmdResult r = cli("pack " + model_ + " --name cnn-ops --version 1.2.3 --channel beta --rollout 10 --runs 2 --metadata " +
                    tmp_ + "/meta.json --out " + tmp_ + "/b");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_OUT_HAS(r, "chunks:   1 (1 written");
  EXPECT_OUT_HAS(r, "bench:    p50 ");

  r = cli("keygen --out " + tmp_ + "/k");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_OUT_HAS(r, "key_id: ");
  const size_t at = r.out.find("(raw, base64): ");
  ASSERT_NE(at, std::string::npos);
  const std::string b64 = r.out.substr(at + 15, 44);
  EXPECT_EQ(base64_decode(b64).value().size(), 32u);
  struct stat st {};
  ASSERT_EQ(stat((tmp_ + "/k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u) << "the private key must not be readable by others";
  EXPECT_EXIT_CODE(cli("keygen --out " + tmp_ + "/k"), 1);  // no silent overwrite

  r = cli("sign " + tmp_ + "/b --key " + tmp_ + "/k.key");
  EXPECT_EXIT_CODE(r, 0);
  r = cli("verify " + tmp_ + "/b --pubkey " + tmp_ + "/k.pub");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_OUT_HAS(r, "OK: 1 chunks");
  r = cli("verify " + tmp_ + "/b --pubkey " + b64 + " --json");
  EXPECT_EXIT_CODE(r, 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["signature_checked"], true);

  // Tampering: a flipped byte in the chunk.
  auto m = nlohmann::json::parse(read_file_text(tmp_ + "/b/manifest.json").value());
  const std::string chunk = tmp_ + "/b/chunks/" + m["chunks"][0]["sha256"].get<std::string>();
  auto bytes = read_file_bytes(chunk).value();
  bytes[100] ^= 0x80;
  ASSERT_TRUE(write_file_atomic(chunk, bytes.data(), bytes.size()).is_ok());
  r = cli("verify " + tmp_ + "/b --pubkey " + tmp_ + "/k.pub");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "chunk 0 (");
  EXPECT_OUT_HAS(r, "FAILED (1 problem)");

  // Wrong key.
  ASSERT_EQ(cli("keygen --out " + tmp_ + "/other").exit_code, 0);
  bytes[100] ^= 0x80;
  ASSERT_TRUE(write_file_atomic(chunk, bytes.data(), bytes.size()).is_ok());
  r = cli("verify " + tmp_ + "/b --pubkey " + tmp_ + "/other.pub");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "signature");
}

TEST_F(BundleCli, ArgumentErrorsExitNonZero) {
  CmdResult r = cli("pack " + model_ + " --name Bad --version 1.0.0 --out " + tmp_ + "/x");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "name 'Bad'");
  r = cli("pack " + model_ + " --name ok --version 1.0 --out " + tmp_ + "/x");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "MAJOR.MINOR.PATCH");
  r = cli("pack " + model_ + " --name ok --version 1.0.0 --rollout 150 --out " + tmp_ + "/x");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "--rollout");
  r = cli("pack " + tmp_ + "/missing.onnx --name ok --version 1.0.0 --out " + tmp_ + "/x");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "cannot open");
  r = cli("pack " + model_ + " --name ok --version 1.0.0 --out " + tmp_ + "/x --metadata " + tmp_ + "/nope.json");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "--metadata");
  EXPECT_NE(cli("pack " + model_ + " --version 1.0.0 --out " + tmp_ + "/x").exit_code, 0);  // --name required
  r = cli("verify " + tmp_);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "--pubkey");
  r = cli("verify " + tmp_ + " --no-signature");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "manifest.json");
  r = cli("verify " + tmp_ + " --pubkey not-a-key");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "neither a file nor a base64 public key");
  EXPECT_NE(cli("frobnicate").exit_code, 0);
}

TEST_F(BundleCli, DiffAndGate) {
  const auto v1 = bundle_test::weights_model(6, 8), v2 = bundle_test::weights_model(6, 8, 2);
  ASSERT_TRUE(write_file_atomic(tmp_ + "/v1.onnx", v1.data(), v1.size()).is_ok());
  ASSERT_TRUE(write_file_atomic(tmp_ + "/v2.onnx", v2.data(), v2.size()).is_ok());
  ASSERT_EQ(cli("pack " + tmp_ + "/v1.onnx --name mlp --version 1.0.0 --runs 1 --out " + tmp_ + "/b1").exit_code, 0);
  ASSERT_EQ(cli("pack " + tmp_ + "/v2.onnx --name mlp --version 1.1.0 --runs 1 --out " + tmp_ + "/b2").exit_code, 0);
  CmdResult r = cli("diff " + tmp_ + "/b1 " + tmp_ + "/b2 --json");
  EXPECT_EXIT_CODE(r, 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["new_bytes"], v2.size());
  EXPECT_GE(j["download_chunks"].get<int>(), 1);
  EXPECT_LE(j["download_chunks"].get<int>(), 2);
  EXPECT_LT(j["download_ratio"].get<double>(), 0.3);
  r = cli("diff " + tmp_ + "/b1 " + tmp_ + "/b2");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_OUT_HAS(r, "% of the full size");
  EXPECT_EXIT_CODE(cli("diff " + tmp_ + "/b1 " + tmp_ + "/none"), 1);

  ASSERT_TRUE(write_file_atomic(tmp_ + "/ok.json", R"({"max_size_bytes":100000000,"max_p50_us":100000000,
      "max_peak_memory_bytes":1000000000,"required_ops":["MatMul"],"allowed_ops":["MatMul"]})").is_ok());
  r = cli("gate " + tmp_ + "/b2 --budget " + tmp_ + "/ok.json");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_OUT_HAS(r, "within budget");
  ASSERT_TRUE(write_file_atomic(tmp_ + "/tight.json", R"({"max_size_bytes":1000,"max_peak_memory_bytes":1000,
      "required_ops":["Conv"]})").is_ok());
  r = cli("gate " + tmp_ + "/b2 --budget " + tmp_ + "/tight.json");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "max_size_bytes exceeded");
  EXPECT_OUT_HAS(r, "max_peak_memory_bytes exceeded");
  EXPECT_OUT_HAS(r, "does not use ai.onnx:Conv");
  EXPECT_OUT_HAS(r, "FAILED (3 budgets exceeded)");
  ASSERT_TRUE(write_file_atomic(tmp_ + "/typo.json", R"({"max_sizebytes":1})").is_ok());
  r = cli("gate " + tmp_ + "/b2 --budget " + tmp_ + "/typo.json");
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_OUT_HAS(r, "unknown key 'max_sizebytes'");
}

}  // namespace
}  // namespace edgeinfer::bundle
