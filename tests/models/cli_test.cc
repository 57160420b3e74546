// End-to-end tests of the edgeinfer CLI binary (target edgeinfer_cli, built next to this test as
// tools/edgeinfer) on the committed models/test/ models: info --json, run (outputs equal an in-process
// Session::run), bench --json, and error exits.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>


#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "runtime/session.h"
#include "cli_runner.h"
#include "test_util.h"

namespace edgeinfer {
namespace {

using json = nlohmann::json;

using testing::cli_path;
using testing::CmdResult;
using testing::exe_dir;
using testing::repo_root;
bool exists(const std::string& p) { return testing::path_exists_for_test(p); }
CmdResult run_cmd(const std::string& args) { return testing::run_cli(args); }

std::string temp_dir() {
  char tmpl[] = "/tmp/edgeinfer_cli_test_XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = repo_root();
    ASSERT_FALSE(root_.empty()) << "models/test/ not found above " << exe_dir();
    ASSERT_TRUE(exists(cli_path())) << cli_path() << " is missing: build the edgeinfer_cli target";
    tmp_ = temp_dir();
  }
  void TearDown() override {
    if (!tmp_.empty() && tmp_ != "/tmp") std::system(("rm -rf '" + tmp_ + "'").c_str());
  }
  std::string model(const std::string& name) const { return root_ + "/models/test/" + name + ".onnx"; }
  std::string root_, tmp_;
};

TEST_F(Cli, InfoJsonDescribesTheModel) {
  CmdResult r = run_cmd("info --json " + model("if_model"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["opsets"]["ai.onnx"], 13);
  ASSERT_EQ(j["inputs"].size(), 2u);
  EXPECT_EQ(j["inputs"][0]["name"], "x");
  EXPECT_EQ(j["inputs"][0]["dtype"], "float32");
  EXPECT_EQ(j["inputs"][0]["shape"], json::parse(R"(["N", 4])"));
  EXPECT_EQ(j["inputs"][1]["dtype"], "bool");
  EXPECT_EQ(j["inputs"][1]["shape"], json::array());
  EXPECT_EQ(j["outputs"][0]["name"], "out");
  EXPECT_EQ(j["op_counts"]["If"], 1);
  EXPECT_EQ(j["parameter_count"], 6);  // scalar 'zero' + 4-element 'bias' + the then-branch's 'two'
  EXPECT_TRUE(j["unsupported_ops"].empty());

  CmdResult text = run_cmd("info " + model("transformer_block"));
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("[batch,seq]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("ai.onnx=20"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("unsupported ops: none"), std::string::npos) << text.out;
}

TEST_F(Cli, RunWritesOutputsEqualToSessionRun) {
  Tensor ids = testing::random_int(DataType::kInt64, {2, 9}, 5, 0, 39);
  ASSERT_TRUE(write_npy(tmp_ + "/ids.npy", ids).is_ok());
  CmdResult r = run_cmd("run " + model("transformer_block") + " --input input_ids=" + tmp_ + "/ids.npy --output-dir " +
                        tmp_ + "/out --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;

  std::ifstream f(model("transformer_block"), std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto session = Session::create(bytes.data(), bytes.size(), SessionOptions{});
  ASSERT_TRUE(session.is_ok()) << session.status().to_string();
  auto outs = session.value()->run({{"input_ids", ids}});
  ASSERT_TRUE(outs.is_ok()) << outs.status().to_string();
  const auto& names = session.value()->outputs();
  ASSERT_EQ(names.size(), 3u);
  for (size_t i = 0; i < names.size(); ++i) {
    auto written = read_npy(tmp_ + "/out/" + names[i].name + ".npy");
    ASSERT_TRUE(written.is_ok()) << written.status().to_string();
    // Different thread counts may reorder float sums slightly.
    EXPECT_TENSOR_NEAR(*written, (*outs)[i], 1e-5f, 1e-5f);
  }
}

TEST_F(Cli, RunErrorsExitNonZeroWithStatus) {
  CmdResult missing = run_cmd("run " + model("if_model") + " --output-dir " + tmp_);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.out.find("InvalidArgument: missing --input x=FILE.npy"), std::string::npos) << missing.out;

  ASSERT_TRUE(write_npy(tmp_ + "/x.npy", Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6})).is_ok());
  CmdResult bad_name = run_cmd("run " + model("if_model") + " --input nope=" + tmp_ + "/x.npy --output-dir " + tmp_);
  EXPECT_NE(bad_name.exit_code, 0);
  EXPECT_NE(bad_name.out.find("no such input"), std::string::npos) << bad_name.out;

  ASSERT_TRUE(write_npy(tmp_ + "/flag.npy", Tensor::from_vector<bool>({}, {true})).is_ok());
  CmdResult bad_shape = run_cmd("run " + model("if_model") + " --input x=" + tmp_ + "/x.npy --input flag=" + tmp_ +
                                "/flag.npy --output-dir " + tmp_);
  EXPECT_NE(bad_shape.exit_code, 0);
  EXPECT_NE(bad_shape.out.find("InvalidArgument"), std::string::npos) << bad_shape.out;

  CmdResult not_npy = run_cmd("run " + model("if_model") + " --input x=" + model("if_model") + " --input flag=" + tmp_ +
                              "/flag.npy --output-dir " + tmp_);
  EXPECT_NE(not_npy.exit_code, 0);
  EXPECT_NE(not_npy.out.find("bad magic"), std::string::npos) << not_npy.out;

  CmdResult no_model = run_cmd("run " + tmp_ + "/none.onnx --output-dir " + tmp_);
  EXPECT_NE(no_model.exit_code, 0);
  EXPECT_NE(no_model.out.find("cannot open"), std::string::npos) << no_model.out;
}

TEST_F(Cli, BenchJsonReportsTimingsAndMemory) {
  CmdResult r = run_cmd("bench " + model("reductions") +
                        " --shape x=3x6x10 --warmup 1 --runs 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["inputs"][0]["shape"], json::parse("[3, 6, 10]"));
  EXPECT_EQ(j["runs"], 4);
  for (const char* k : {"min", "p50", "p95"}) EXPECT_GE(j["latency_ms"][k].get<double>(), 0.0) << k;
  EXPECT_LE(j["latency_ms"]["min"].get<double>(), j["latency_ms"]["p95"].get<double>());
  EXPECT_GT(j["session_create_ms"].get<double>(), 0.0);
  EXPECT_GT(j["memory_bytes"]["peak"].get<int64_t>(), 0);

  // Symbolic dims default to 1.
  CmdResult d = run_cmd("bench " + model("reductions") + " --runs 1 --warmup 0 --json");
  ASSERT_EQ(d.exit_code, 0) << d.out;
  EXPECT_EQ(json::parse(d.out)["inputs"][0]["shape"], json::parse("[1, 6, 10]"));

  CmdResult bad = run_cmd("bench " + model("reductions") + " --shape x=3xx10");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("bad dimension"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace edgeinfer
