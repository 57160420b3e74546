#include "onnx_test_writer.h"

#include <cstring>
#include <unordered_set>

namespace edgeinfer::testing {

// ------------------------------------------------------------------------------------------------
// ProtoWriter

std::string ProtoWriter::encode_varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

ProtoWriter& ProtoWriter::tag(uint32_t field, int wire_type) {
  data_ += encode_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
  return *this;
}

ProtoWriter& ProtoWriter::varint(uint32_t field, uint64_t v) {
  tag(field, kVarint);
  data_ += encode_varint(v);
  return *this;
}

ProtoWriter& ProtoWriter::fixed32(uint32_t field, float v) {
  tag(field, kFixed32);
  char b[4];
  std::memcpy(b, &v, 4);
  data_.append(b, 4);
  return *this;
}

ProtoWriter& ProtoWriter::fixed64(uint32_t field, double v) {
  tag(field, kFixed64);
  char b[8];
  std::memcpy(b, &v, 8);
  data_.append(b, 8);
  return *this;
}

ProtoWriter& ProtoWriter::bytes(uint32_t field, const std::string& v) {
  tag(field, kLen);
  data_ += encode_varint(v.size());
  data_ += v;
  return *this;
}

ProtoWriter& ProtoWriter::ints(uint32_t field, const std::vector<int64_t>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (int64_t x : v) int64(field, x);
    return *this;
  }
  std::string run;
  for (int64_t x : v) run += encode_varint(static_cast<uint64_t>(x));
  return bytes(field, run);
}

ProtoWriter& ProtoWriter::uints(uint32_t field, const std::vector<uint64_t>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (uint64_t x : v) varint(field, x);
    return *this;
  }
  std::string run;
  for (uint64_t x : v) run += encode_varint(x);
  return bytes(field, run);
}

ProtoWriter& ProtoWriter::floats(uint32_t field, const std::vector<float>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (float x : v) fixed32(field, x);
    return *this;
  }
  std::string run(v.size() * 4, '\0');
  std::memcpy(&run[0], v.data(), run.size());
  return bytes(field, run);
}

ProtoWriter& ProtoWriter::doubles(uint32_t field, const std::vector<double>& v, bool packed) {
  if (v.empty()) return *this;
  if (!packed) {
    for (double x : v) fixed64(field, x);
    return *this;
  }
  std::string run(v.size() * 8, '\0');
  std::memcpy(&run[0], v.data(), run.size());
  return bytes(field, run);
}

ProtoWriter& ProtoWriter::raw(const std::string& b) {
  data_ += b;
  return *this;
}

// ------------------------------------------------------------------------------------------------
// Messages

namespace {

template <typename T>
std::vector<T> elements(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

template <typename T>
std::vector<int64_t> as_int64(const Tensor& t) {
  std::vector<int64_t> out;
  for (T v : elements<T>(t)) out.push_back(static_cast<int64_t>(v));
  return out;
}

std::string encode_type(DataType dtype, bool has_shape, const std::vector<Dim>& dims) {
  ProtoWriter tensor_type;
  if (dtype != DataType::kUndefined) tensor_type.varint(1, static_cast<uint64_t>(dtype));
  if (has_shape) {
    ProtoWriter shape;
    for (const Dim& d : dims) {
      ProtoWriter dim;
      if (!d.param.empty()) dim.bytes(2, d.param);
      else if (d.value >= 0) dim.int64(1, d.value);
      shape.message(1, dim);
    }
    tensor_type.message(2, shape);
  }
  return ProtoWriter().message(1, tensor_type).data();
}

std::vector<Dim> value_dims(const Value& v) {
  std::vector<Dim> dims;
  for (size_t i = 0; i < v.dims.size(); ++i) {
    Dim d(v.dims[i]);
    if (i < v.dim_params.size() && !v.dim_params[i].empty()) d.param = v.dim_params[i];
    dims.push_back(d);
  }
  return dims;
}

std::string value_info_of(const Value& v) {
  return encode_value_info(v.name, v.dtype, v.has_shape, value_dims(v));
}

}  // namespace

std::string encode_value_info(const std::string& name, DataType dtype, bool has_shape, const std::vector<Dim>& dims) {
  ProtoWriter w;
  w.bytes(1, name);
  if (dtype != DataType::kUndefined || has_shape) w.bytes(2, encode_type(dtype, has_shape, dims));
  return w.data();
}

std::string encode_tensor(const Tensor& t, const std::string& name, const WriterOptions& opts) {
  ProtoWriter w;
  w.ints(1, t.shape(), opts.packed);
  w.varint(2, static_cast<uint64_t>(t.dtype()));
  if (!name.empty()) w.bytes(8, name);
  if (opts.tensor_data == WriterOptions::TensorData::kRawData) {
    w.bytes(9, std::string(static_cast<const char*>(t.raw()), t.nbytes()));
    return w.data();
  }
  switch (t.dtype()) {
    case DataType::kFloat32: w.floats(4, elements<float>(t), opts.packed); break;
    case DataType::kInt32: w.ints(5, as_int64<int32_t>(t), opts.packed); break;
    case DataType::kInt16: w.ints(5, as_int64<int16_t>(t), opts.packed); break;
    case DataType::kInt8: w.ints(5, as_int64<int8_t>(t), opts.packed); break;
    case DataType::kUint16: case DataType::kFloat16: w.ints(5, as_int64<uint16_t>(t), opts.packed); break;
    case DataType::kUint8: case DataType::kBool: w.ints(5, as_int64<uint8_t>(t), opts.packed); break;
    case DataType::kInt64: w.ints(7, elements<int64_t>(t), opts.packed); break;
    case DataType::kFloat64: w.doubles(10, elements<double>(t), opts.packed); break;
    case DataType::kUint32: {
      std::vector<uint64_t> v;
      for (uint32_t x : elements<uint32_t>(t)) v.push_back(x);
      w.uints(11, v, opts.packed);
      break;
    }
    case DataType::kUint64: w.uints(11, elements<uint64_t>(t), opts.packed); break;
    default: break;
  }
  return w.data();
}

std::string encode_attribute(const Attribute& a, const WriterOptions& opts) {
  ProtoWriter w;
  w.bytes(1, a.name);
  switch (a.type) {
    case AttrType::kFloat: w.fixed32(2, a.f); break;
    case AttrType::kInt: w.int64(3, a.i); break;
    case AttrType::kString: w.bytes(4, a.s); break;
    case AttrType::kTensor: w.bytes(5, encode_tensor(a.t, "", opts)); break;
    case AttrType::kGraph: if (a.g) w.bytes(6, encode_graph(*a.g, opts)); break;
    case AttrType::kFloats: w.floats(7, a.floats, opts.packed); break;
    case AttrType::kInts: w.ints(8, a.ints, opts.packed); break;
    case AttrType::kStrings: for (const std::string& s : a.strings) w.bytes(9, s); break;
    case AttrType::kTensors: for (const Tensor& t : a.tensors) w.bytes(10, encode_tensor(t, "", opts)); break;
    case AttrType::kGraphs: for (const auto& g : a.graphs) w.bytes(11, encode_graph(*g, opts)); break;
    default: break;
  }
  if (opts.attribute_types) w.varint(20, static_cast<uint64_t>(a.type));
  return w.data();
}

std::string encode_graph(const Graph& g, const WriterOptions& opts) {
  auto name_of = [&](int id) { return id < 0 ? std::string() : g.values[static_cast<size_t>(id)].name; };
  ProtoWriter w;
  for (const Node& n : g.nodes) {
    ProtoWriter nw;
    for (int in : n.inputs) nw.bytes(1, name_of(in));
    for (int out : n.outputs) nw.bytes(2, name_of(out));
    if (!n.name.empty()) nw.bytes(3, n.name);
    nw.bytes(4, n.op_type);
    for (const Attribute& a : n.attrs.all()) nw.bytes(5, encode_attribute(a, opts));
    if (!n.domain.empty()) nw.bytes(7, n.domain);
    w.message(1, nw);
  }
  w.bytes(2, g.name);
  std::unordered_set<int> io;
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].is_initializer) w.bytes(5, encode_tensor(g.values[i].initializer, g.values[i].name, opts));
  for (int id : g.inputs) {
    w.bytes(11, value_info_of(g.values[static_cast<size_t>(id)]));
    io.insert(id);
  }
  if (opts.initializers_as_inputs)
    for (const Value& v : g.values)
      if (v.is_initializer) w.bytes(11, value_info_of(v));
  for (int id : g.outputs) {
    w.bytes(12, value_info_of(g.values[static_cast<size_t>(id)]));
    io.insert(id);
  }
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    if (io.count(static_cast<int>(i)) || v.is_initializer || v.is_outer_scope) continue;
    if (v.dtype != DataType::kUndefined || v.has_shape) w.bytes(13, value_info_of(v));
  }
  return w.data();
}

std::string encode_model(const Model& m, const WriterOptions& opts) {
  ProtoWriter w;
  w.int64(1, m.ir_version);
  if (!m.producer_name.empty()) w.bytes(2, m.producer_name);
  if (!m.producer_version.empty()) w.bytes(3, m.producer_version);
  w.bytes(7, encode_graph(m.graph, opts));
  for (const auto& [domain, version] : m.opsets) w.message(8, ProtoWriter().bytes(1, domain).int64(2, version));
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
