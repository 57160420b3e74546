// A tiny ONNX (protobuf) writer for tests: build model bytes in C++ without libprotobuf or Python.
//
//   ModelBuilder mb;                                    // ir_version 8, opset {"": 17}
//   mb.add_input("x", DataType::kFloat32, {"N", 3, 224, 224})
//     .add_initializer("w", Tensor::from_vector<float>({8, 3, 3, 3}, weights))
//     .add_node("Conv", {"x", "w"}, {"y"}, {attr_ints("pads", {1, 1, 1, 1})})
//     .add_output("y", DataType::kFloat32);
//   std::string bytes = mb.serialize();
//   auto model = load_onnx_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
//
// Subgraphs (If/Loop bodies) are GraphBuilders passed as attributes with attr_graph("then_branch", body).
// Any IR Graph can also be serialized (encode_graph), so loaded models round-trip. ProtoWriter is the
// raw field writer, for hand-crafting malformed bytes in error tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"
#include "onnx/onnx_writer.h"
#include "onnx/wire_writer.h"

namespace edgeinfer::testing {

// Raw protobuf fields and encoding options: the core's writer (onnx/wire_writer.h, onnx/onnx_writer.h).
using ProtoWriter = WireWriter;
using WriterOptions = OnnxWriteOptions;

// A dimension: a fixed size, a symbolic name, or unknown (Dim()).
struct Dim {
  Dim() = default;
  Dim(int64_t v) : value(v) {}                     // NOLINT: {1, "N", 3} reads naturally
  Dim(int v) : value(v) {}                         // NOLINT
  Dim(const char* p) : param(p) {}                 // NOLINT
  Dim(std::string p) : param(std::move(p)) {}      // NOLINT
  int64_t value = -1;
  std::string param;
};

// Serialized messages from IR structs.
inline std::string encode_tensor(const Tensor& t, const std::string& name, const WriterOptions& opts = {}) {
  return encode_onnx_tensor(t, name, opts);
}
inline std::string encode_attribute(const Attribute& a, const WriterOptions& opts = {}) {
  return encode_onnx_attribute(a, opts);
}
inline std::string encode_graph(const Graph& g, const WriterOptions& opts = {}) { return encode_onnx_graph(g, opts); }
// A ValueInfoProto with a tensor type; has_shape false leaves TypeProto.Tensor.shape out.
std::string encode_value_info(const std::string& name, DataType dtype, bool has_shape, const std::vector<Dim>& dims);

// Builds an IR Graph (the body of a model or of an If/Loop subgraph) name by name.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name = "graph");

  GraphBuilder& add_input(const std::string& name, DataType dtype);  // no declared shape
  GraphBuilder& add_input(const std::string& name, DataType dtype, const std::vector<Dim>& dims);
  GraphBuilder& add_initializer(const std::string& name, Tensor t);
  // Empty names in inputs/outputs are omitted optionals. An empty node name stays empty in the file.
  GraphBuilder& add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs, std::vector<Attribute> attributes = {},
                         const std::string& domain = "", const std::string& name = "");
  GraphBuilder& add_output(const std::string& name);  // no declared type
  GraphBuilder& add_output(const std::string& name, DataType dtype);
  GraphBuilder& add_output(const std::string& name, DataType dtype, const std::vector<Dim>& dims);
  // Declares the type of an intermediate value (GraphProto.value_info).
  GraphBuilder& add_value_info(const std::string& name, DataType dtype, const std::vector<Dim>& dims);

  const Graph& graph() const { return *graph_; }
  std::shared_ptr<Graph> shared_graph() const { return graph_; }
  std::string serialize(const WriterOptions& opts = {}) const { return encode_graph(*graph_, opts); }

 private:
  Value& value(const std::string& name);
  std::shared_ptr<Graph> graph_;
};

class ModelBuilder {
 public:
  ModelBuilder();  // ir_version 8, opset {"": 17}, producer "edgeinfer-test"

  ModelBuilder& set_ir_version(int64_t v);
  ModelBuilder& set_opset(const std::string& domain, int64_t version);
  ModelBuilder& clear_opsets();
  ModelBuilder& set_producer(const std::string& name, const std::string& version);

  // Forwarders to the main graph.
  ModelBuilder& add_input(const std::string& name, DataType dtype) { g_.add_input(name, dtype); return *this; }
  ModelBuilder& add_input(const std::string& name, DataType dtype, const std::vector<Dim>& dims) {
    g_.add_input(name, dtype, dims);
    return *this;
  }
  ModelBuilder& add_initializer(const std::string& name, Tensor t) {
    g_.add_initializer(name, std::move(t));
    return *this;
  }
  ModelBuilder& add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs, std::vector<Attribute> attributes = {},
                         const std::string& domain = "", const std::string& name = "") {
    g_.add_node(op_type, inputs, outputs, std::move(attributes), domain, name);
    return *this;
  }
  ModelBuilder& add_output(const std::string& name) { g_.add_output(name); return *this; }
  ModelBuilder& add_output(const std::string& name, DataType dtype) { g_.add_output(name, dtype); return *this; }
  ModelBuilder& add_output(const std::string& name, DataType dtype, const std::vector<Dim>& dims) {
    g_.add_output(name, dtype, dims);
    return *this;
  }
  ModelBuilder& add_value_info(const std::string& name, DataType dtype, const std::vector<Dim>& dims) {
    g_.add_value_info(name, dtype, dims);
    return *this;
  }
  GraphBuilder& graph() { return g_; }

  std::string serialize(const WriterOptions& opts = {}) const;

 private:
  int64_t ir_version_ = 8;
  std::vector<std::pair<std::string, int64_t>> opsets_;
  std::string producer_name_ = "edgeinfer-test";
  std::string producer_version_ = "1";
  GraphBuilder g_;
};

// A whole ModelProto around an IR model (round trips: load -> serialize -> load).
std::string encode_model(const Model& m, const WriterOptions& opts = {});

// Attribute builders beyond those of test_util.h.
Attribute attr_graph(const std::string& name, const GraphBuilder& body);
Attribute attr_graphs(const std::string& name, const std::vector<GraphBuilder>& bodies);
Attribute attr_strings(const std::string& name, std::vector<std::string> v);
Attribute attr_tensors(const std::string& name, std::vector<Tensor> v);

}  // namespace edgeinfer::testing
