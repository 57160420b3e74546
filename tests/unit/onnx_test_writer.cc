#include "onnx_test_writer.h"

#include <cstring>
#include <unordered_set>

namespace edgeinfer::testing {

std::string encode_value_info(const std::string& name, DataType dtype, bool has_shape, const std::vector<Dim>& dims) {
  Value v;
  v.name = name;
  v.dtype = dtype;
  v.has_shape = has_shape;
  for (const Dim& d : dims) {
    v.dims.push_back(d.param.empty() ? d.value : -1);
    v.dim_params.push_back(d.param);
  }
  return encode_onnx_value_info(v);
}

std::string encode_model(const Model& m, const WriterOptions& opts) {
  // Tests also encode models the core writer refuses (no opset import) to check the reader's errors.
  WireWriter w;
  w.int64(1, m.ir_version);
  if (!m.producer_name.empty()) w.bytes(2, m.producer_name);
  if (!m.producer_version.empty()) w.bytes(3, m.producer_version);
  w.bytes(7, encode_onnx_graph(m.graph, opts));
  for (const auto& [domain, version] : m.opsets) w.message(8, WireWriter().bytes(1, domain).int64(2, version));
  return w.data();
}

// ------------------------------------------------------------------------------------------------
// Builders

GraphBuilder::GraphBuilder(std::string name) : graph_(std::make_shared<Graph>()) { graph_->name = std::move(name); }

Value& GraphBuilder::value(const std::string& name) {
  const int id = graph_->add_value(name);
  return graph_->values[static_cast<size_t>(id)];
}

GraphBuilder& GraphBuilder::add_input(const std::string& name, DataType dtype) {
  value(name).dtype = dtype;
  graph_->inputs.push_back(graph_->find_value(name));
  return *this;
}

GraphBuilder& GraphBuilder::add_input(const std::string& name, DataType dtype, const std::vector<Dim>& dims) {
  add_value_info(name, dtype, dims);
  graph_->inputs.push_back(graph_->find_value(name));
  return *this;
}

GraphBuilder& GraphBuilder::add_initializer(const std::string& name, Tensor t) {
  Value& v = value(name);
  v.is_initializer = true;
  v.dtype = t.dtype();
  v.has_shape = true;
  v.dims = t.shape();
  v.dim_params.assign(v.dims.size(), "");
  v.initializer = std::move(t);
  return *this;
}

GraphBuilder& GraphBuilder::add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                                     const std::vector<std::string>& outputs, std::vector<Attribute> attributes,
                                     const std::string& domain, const std::string& name) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.name = name;
  for (const std::string& s : inputs) n.inputs.push_back(s.empty() ? -1 : graph_->add_value(s));
  for (const std::string& s : outputs) n.outputs.push_back(s.empty() ? -1 : graph_->add_value(s));
  for (Attribute& a : attributes) n.attrs.set(std::move(a));
  graph_->nodes.push_back(std::move(n));
  return *this;
}

GraphBuilder& GraphBuilder::add_output(const std::string& name) {
  graph_->outputs.push_back(graph_->add_value(name));
  return *this;
}

GraphBuilder& GraphBuilder::add_output(const std::string& name, DataType dtype) {
  value(name).dtype = dtype;
  graph_->outputs.push_back(graph_->find_value(name));
  return *this;
}

GraphBuilder& GraphBuilder::add_output(const std::string& name, DataType dtype, const std::vector<Dim>& dims) {
  add_value_info(name, dtype, dims);
  graph_->outputs.push_back(graph_->find_value(name));
  return *this;
}

GraphBuilder& GraphBuilder::add_value_info(const std::string& name, DataType dtype, const std::vector<Dim>& dims) {
  Value& v = value(name);
  v.dtype = dtype;
  v.has_shape = true;
  v.dims.clear();
  v.dim_params.clear();
  for (const Dim& d : dims) {
    v.dims.push_back(d.param.empty() ? d.value : -1);
    v.dim_params.push_back(d.param);
  }
  return *this;
}

ModelBuilder::ModelBuilder() : opsets_{{"", 17}}, g_("main") {}

ModelBuilder& ModelBuilder::set_ir_version(int64_t v) {
  ir_version_ = v;
  return *this;
}

ModelBuilder& ModelBuilder::set_opset(const std::string& domain, int64_t version) {
  for (auto& o : opsets_) {
    if (o.first == domain) {
      o.second = version;
      return *this;
    }
  }
  opsets_.emplace_back(domain, version);
  return *this;
}

ModelBuilder& ModelBuilder::clear_opsets() {
  opsets_.clear();
  return *this;
}

ModelBuilder& ModelBuilder::set_producer(const std::string& name, const std::string& version) {
  producer_name_ = name;
  producer_version_ = version;
  return *this;
}

std::string ModelBuilder::serialize(const WriterOptions& opts) const {
  ProtoWriter w;
  w.int64(1, ir_version_);
  w.bytes(2, producer_name_);
  w.bytes(3, producer_version_);
  w.bytes(7, g_.serialize(opts));
  for (const auto& [domain, version] : opsets_) w.message(8, ProtoWriter().bytes(1, domain).int64(2, version));
  return w.data();
}

Attribute attr_graph(const std::string& name, const GraphBuilder& body) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kGraph;
  a.g = body.shared_graph();
  return a;
}

Attribute attr_graphs(const std::string& name, const std::vector<GraphBuilder>& bodies) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kGraphs;
  for (const GraphBuilder& b : bodies) a.graphs.push_back(b.shared_graph());
  return a;
}

Attribute attr_strings(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}

Attribute attr_tensors(const std::string& name, std::vector<Tensor> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kTensors;
  a.tensors = std::move(v);
  return a;
}

}  // namespace edgeinfer::testing
