// The ONNX writer (onnx/onnx_writer.h): read(write(m)) == m on the repository's test models and the
// real models in models/cache, write is a fixed point (write(read(write(m))) == write(m) byte for
// byte), and every encoding option reads back the same. onnxruntime-node runs the written files in
// tests/js/onnx_writer.test.mjs.
#include "onnx/onnx_writer.h"

#include <dirent.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#ifndef __EMSCRIPTEN__
#include "cli_runner.h"
#endif
#include "onnx/onnx_loader.h"
#include "onnx_test_writer.h"
#include "test_util.h"

namespace edgeinfer::testing {
namespace {

[[maybe_unused]] std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

[[maybe_unused]] std::vector<std::string> onnx_files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".onnx") == 0) out.push_back(dir + "/" + n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Model load(const std::string& bytes) {
  auto m = load_onnx_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return m.is_ok() ? std::move(m).value() : Model();
}

std::string name_of(const Graph& g, int id) { return id < 0 ? "" : g.values[static_cast<size_t>(id)].name; }
std::vector<std::string> names(const Graph& g, const std::vector<int>& ids) {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(name_of(g, id));
  return out;
}
bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}
bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

void expect_equal_graph(const Graph& a, const Graph& b, const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(names(a, a.inputs), names(b, b.inputs));
  EXPECT_EQ(names(a, a.outputs), names(b, b.outputs));
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(names(a, x.inputs), names(b, y.inputs));
    EXPECT_EQ(names(a, x.outputs), names(b, y.outputs));
    ASSERT_EQ(x.attrs.all().size(), y.attrs.all().size()) << x.name;
    for (size_t k = 0; k < x.attrs.all().size(); ++k) {
      const Attribute& p = x.attrs.all()[k];
      const Attribute& q = y.attrs.all()[k];
      SCOPED_TRACE(x.name + "." + p.name);
      EXPECT_EQ(p.name, q.name);
      EXPECT_EQ(p.type, q.type);
      EXPECT_EQ(p.i, q.i);
      EXPECT_EQ(p.s, q.s);
      EXPECT_EQ(std::memcmp(&p.f, &q.f, 4), 0);  // bitwise: NaN attributes too
      EXPECT_TRUE(same_floats(p.floats, q.floats));
      EXPECT_EQ(p.ints, q.ints);
      EXPECT_EQ(p.strings, q.strings);
      EXPECT_TRUE(same_bytes(p.t, q.t));
      ASSERT_EQ(p.tensors.size(), q.tensors.size());
      for (size_t t = 0; t < p.tensors.size(); ++t) EXPECT_TRUE(same_bytes(p.tensors[t], q.tensors[t]));
      ASSERT_EQ(p.g == nullptr, q.g == nullptr);
      if (p.g) expect_equal_graph(*p.g, *q.g, where + "/" + x.name + "." + p.name);
      ASSERT_EQ(p.graphs.size(), q.graphs.size());
      for (size_t t = 0; t < p.graphs.size(); ++t)
        expect_equal_graph(*p.graphs[t], *q.graphs[t], where + "/" + x.name + "." + p.name + std::to_string(t));
    }
  }
  EXPECT_EQ(a.values.size(), b.values.size());
  for (const Value& v : a.values) {
    const int id = b.find_value(v.name);
    ASSERT_GE(id, 0) << v.name;
    const Value& w = b.values[static_cast<size_t>(id)];
    SCOPED_TRACE(v.name);
    EXPECT_EQ(v.dtype, w.dtype);
    EXPECT_EQ(v.has_shape, w.has_shape);
    EXPECT_EQ(v.dims, w.dims);
    EXPECT_EQ(v.dim_params, w.dim_params);
    EXPECT_EQ(v.is_initializer, w.is_initializer);
    EXPECT_EQ(v.is_outer_scope, w.is_outer_scope);
    EXPECT_EQ(v.producer < 0, w.producer < 0);
    if (v.is_initializer) EXPECT_TRUE(same_bytes(v.initializer, w.initializer));
  }
}

void expect_equal_model(const Model& a, const Model& b) {
  EXPECT_EQ(a.ir_version, b.ir_version);
  EXPECT_EQ(a.opsets, b.opsets);
  EXPECT_EQ(a.producer_name, b.producer_name);
  EXPECT_EQ(a.producer_version, b.producer_version);
  expect_equal_graph(a.graph, b.graph, "main");
}

[[maybe_unused]] void round_trip(const std::string& path) {
  SCOPED_TRACE(path);
  const Model m = load(slurp(path));
  auto bytes = save_onnx_model(m);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  const Model again = load(bytes.value());
  expect_equal_model(m, again);
  auto bytes2 = save_onnx_model(again);
  ASSERT_TRUE(bytes2.is_ok());
  EXPECT_TRUE(bytes.value() == bytes2.value()) << "write(read(write(m))) differs from write(m)";
  // Every encoding the options allow reads back the same model.
  for (int variant = 0; variant < 3; ++variant) {
    OnnxWriteOptions o;
    if (variant == 0) o.tensor_data = OnnxWriteOptions::TensorData::kTypedFields;
    if (variant == 1) o.packed = false, o.attribute_types = false;
    if (variant == 2) o.initializers_as_inputs = true;
    auto b = save_onnx_model(m, o);
    ASSERT_TRUE(b.is_ok());
    expect_equal_model(m, load(b.value()));
  }
}

// Model files and onnxruntime-node: native only (the wasm test binary has no executable path to find
// the repository from, and no popen).
#ifndef __EMSCRIPTEN__
TEST(OnnxWriter, RoundTripsTestModels) {
  const auto files = onnx_files(repo_root() + "/models/test");
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) round_trip(f);
}

TEST(OnnxWriter, RoundTripsRealModels) {
  const auto files = onnx_files(repo_root() + "/models/cache");
  if (files.empty()) GTEST_SKIP() << "models/cache is empty (run models/prepare.sh)";
  for (const auto& f : files) round_trip(f);
}

// onnxruntime-node loads every written file and gives bitwise the same outputs as for the original.
TEST(OnnxWriter, OnnxruntimeRunsWrittenModels) {
  const std::string root = repo_root();
  if (!path_exists_for_test(root + "/node_modules/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node is not installed";
  char tmpl[] = "/tmp/onnx_writer_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::string args;
  std::vector<std::string> files = onnx_files(root + "/models/test");
  for (const auto& f : onnx_files(root + "/models/cache")) files.push_back(f);
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string out = dir + "/" + std::to_string(i) + ".onnx";
    Status s = save_onnx_file(load(slurp(files[i])), out);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    args += " '" + files[i] + "' '" + out + "'";
  }
  FILE* p = popen(("cd '" + root + "' && node tests/js/ort_same_outputs.mjs" + args + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string log;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) log.append(buf, n);
  const int status = pclose(p);
  EXPECT_EQ(status, 0) << log;
  size_t same = 0;
  for (size_t at = log.find("same outputs"); at != std::string::npos; at = log.find("same outputs", at + 1)) ++same;
  EXPECT_EQ(same, files.size()) << log;
  std::system(("rm -rf '" + dir + "'").c_str());
}

#endif  // __EMSCRIPTEN__

TEST(OnnxWriter, EveryAttributeTypeAndComMicrosoftOpset) {
  GraphBuilder then_b("then");
  then_b.add_node("Identity", {"x"}, {"t"}).add_output("t", DataType::kFloat32);
  GraphBuilder else_b("else");
  else_b.add_node("Neg", {"x"}, {"e"}).add_output("e", DataType::kFloat32);
  ModelBuilder mb;
  mb.set_opset("com.microsoft", 1).set_producer("p", "v9").set_ir_version(9);
  mb.add_input("x", DataType::kFloat32, {"N", 3, Dim()})
      .add_input("c", DataType::kBool, {})
      .add_initializer("w8", Tensor::from_vector<int8_t>({2, 2}, {-128, -1, 0, 127}))
      .add_initializer("h", Tensor::from_vector<uint16_t>({2}, {0x3c00, 0x7e00}))
      .add_node("If", {"c"}, {"y"}, {attr_graph("then_branch", then_b), attr_graph("else_branch", else_b)})
      .add_node("Custom", {"y", "", "w8"}, {"z", ""},
                {attr_int("i", -7), attr_float("f", NAN), attr_string("s", std::string("a\0b", 3)),
                 attr_ints("is", {-1, 1LL << 40}), attr_floats("fs", {0.5f, -0.0f}),
                 attr_strings("ss", {"", "x"}), attr_tensor("t", Tensor::from_vector<int64_t>({3}, {1, -2, 3})),
                 attr_graphs("gs", {then_b})},
                "com.microsoft", "custom0")
      .add_value_info("y", DataType::kFloat32, {"N", 3, 5})
      .add_output("z", DataType::kFloat32);
  Model m = load(mb.serialize());
  // Tensors attribute: not expressible with the builder's helpers.
  Attribute ts;
  ts.name = "ts";
  ts.type = AttrType::kTensors;
  ts.tensors = {Tensor::from_vector<float>({1}, {2.5f}), Tensor::from_vector<uint8_t>({2}, {0, 255})};
  for (Node& n : m.graph.nodes)
    if (n.op_type == "Custom") n.attrs.set(ts);
  auto bytes = save_onnx_model(m);
  ASSERT_TRUE(bytes.is_ok());
  Model again = load(bytes.value());
  expect_equal_model(m, again);
  EXPECT_EQ(again.opset("com.microsoft"), 1);
  EXPECT_EQ(again.producer_version, "v9");
}

TEST(OnnxWriter, RefusesModelsWithoutOpsetAndUnwritablePaths) {
  Model m;
  EXPECT_EQ(save_onnx_model(m).status().code(), StatusCode::kInvalidModel);
  m.opsets[""] = 17;
  Status s = save_onnx_file(m, "/nonexistent-dir/x.onnx");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("/nonexistent-dir/x.onnx"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing
