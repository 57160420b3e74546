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

namespace edgeinfer::testing {

// Raw protobuf fields. Methods append one field and return *this.
class ProtoWriter {
 public:
  static constexpr int kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5;

  ProtoWriter& tag(uint32_t field, int wire_type);  // just the key
  ProtoWriter& varint(uint32_t field, uint64_t v);
  ProtoWriter& int64(uint32_t field, int64_t v) { return varint(field, static_cast<uint64_t>(v)); }
  ProtoWriter& fixed32(uint32_t field, float v);
  ProtoWriter& fixed64(uint32_t field, double v);
  ProtoWriter& bytes(uint32_t field, const std::string& v);
  ProtoWriter& message(uint32_t field, const ProtoWriter& sub) { return bytes(field, sub.data()); }
  // Repeated scalars, packed into one length-delimited field or unpacked (one key per element).
  ProtoWriter& ints(uint32_t field, const std::vector<int64_t>& v, bool packed = true);
  ProtoWriter& uints(uint32_t field, const std::vector<uint64_t>& v, bool packed = true);
  ProtoWriter& floats(uint32_t field, const std::vector<float>& v, bool packed = true);
  ProtoWriter& doubles(uint32_t field, const std::vector<double>& v, bool packed = true);
  ProtoWriter& raw(const std::string& bytes_without_key);  // appended verbatim

  const std::string& data() const { return data_; }

  static std::string encode_varint(uint64_t v);

 private:
  std::string data_;
};

// How tensors and attributes are encoded; the loader must accept every combination.
struct WriterOptions {
  enum class TensorData { kRawData, kTypedFields };
  TensorData tensor_data = TensorData::kRawData;
  bool packed = true;                   // packed repeated scalars (dims, ints, floats, typed data)
  bool attribute_types = true;          // false: leave AttributeProto.type unset, as pre-IR-2 models do
  bool initializers_as_inputs = false;  // also list initializers in graph.input, as opset < 9 exporters do
};

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
std::string encode_tensor(const Tensor& t, const std::string& name, const WriterOptions& opts = {});
std::string encode_attribute(const Attribute& a, const WriterOptions& opts = {});
std::string encode_graph(const Graph& g, const WriterOptions& opts = {});
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
