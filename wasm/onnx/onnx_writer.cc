#include "onnx/onnx_writer.h"

#include <cstdio>
#include <unordered_set>

#include "onnx/wire_writer.h"

namespace edgeinfer {
namespace {

// Field numbers from onnx.proto, as in onnx_loader.cc.
template <typename T>
std::vector<T> elements(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

template <typename T>
std::vector<int64_t> as_int64(const Tensor& t) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(t.numel()));
  for (T v : elements<T>(t)) out.push_back(static_cast<int64_t>(v));
  return out;
}

std::string encode_type(const Value& v) {
  WireWriter tensor_type;
  if (v.dtype != DataType::kUndefined) tensor_type.varint(1, static_cast<uint64_t>(v.dtype));  // elem_type
  if (v.has_shape) {
    WireWriter shape;
    for (size_t i = 0; i < v.dims.size(); ++i) {
      WireWriter dim;
      if (i < v.dim_params.size() && !v.dim_params[i].empty()) dim.bytes(2, v.dim_params[i]);  // dim_param
      else if (v.dims[i] >= 0) dim.int64(1, v.dims[i]);                                      // dim_value
      shape.message(1, dim);
    }
    tensor_type.message(2, shape);
  }
  return WireWriter().message(1, tensor_type).take();  // TypeProto.tensor_type
}

}  // namespace

std::string encode_onnx_value_info(const Value& v) {
  WireWriter w;
  w.bytes(1, v.name);
  if (v.dtype != DataType::kUndefined || v.has_shape) w.bytes(2, encode_type(v));
  return w.take();
}

std::string encode_onnx_tensor(const Tensor& t, const std::string& name, const OnnxWriteOptions& opts) {
  WireWriter w;
  w.ints(1, t.shape(), opts.packed);
  w.varint(2, static_cast<uint64_t>(t.dtype()));
  if (!name.empty()) w.bytes(8, name);
  if (opts.tensor_data == OnnxWriteOptions::TensorData::kRawData) {
    // raw_data is little-endian, like every target we build for.
    w.bytes(9, t.raw(), t.nbytes());
    return w.take();
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
  return w.take();
}

std::string encode_onnx_attribute(const Attribute& a, const OnnxWriteOptions& opts) {
  WireWriter w;
  w.bytes(1, a.name);
  switch (a.type) {
    case AttrType::kFloat: w.fixed32(2, a.f); break;
    case AttrType::kInt: w.int64(3, a.i); break;
    case AttrType::kString: w.bytes(4, a.s); break;
    case AttrType::kTensor: w.bytes(5, encode_onnx_tensor(a.t, "", opts)); break;
    case AttrType::kGraph: if (a.g) w.bytes(6, encode_onnx_graph(*a.g, opts)); break;
    case AttrType::kFloats: w.floats(7, a.floats, opts.packed); break;
    case AttrType::kInts: w.ints(8, a.ints, opts.packed); break;
    case AttrType::kStrings: for (const std::string& s : a.strings) w.bytes(9, s); break;
    case AttrType::kTensors: for (const Tensor& t : a.tensors) w.bytes(10, encode_onnx_tensor(t, "", opts)); break;
    case AttrType::kGraphs:
      for (const auto& g : a.graphs)
        if (g) w.bytes(11, encode_onnx_graph(*g, opts));
      break;
    default: break;
  }
  if (opts.attribute_types) w.varint(20, static_cast<uint64_t>(a.type));
  return w.take();
}

std::string encode_onnx_graph(const Graph& g, const OnnxWriteOptions& opts) {
  auto name_of = [&](int id) { return id < 0 ? std::string() : g.values[static_cast<size_t>(id)].name; };
  WireWriter w;
  for (const Node& n : g.nodes) {
    WireWriter nw;
    for (int in : n.inputs) nw.bytes(1, name_of(in));
    for (int out : n.outputs) nw.bytes(2, name_of(out));
    if (!n.name.empty()) nw.bytes(3, n.name);
    nw.bytes(4, n.op_type);
    for (const Attribute& a : n.attrs.all()) nw.bytes(5, encode_onnx_attribute(a, opts));
    if (!n.domain.empty()) nw.bytes(7, n.domain);
    w.message(1, nw);
  }
  w.bytes(2, g.name);
  std::unordered_set<int> io;
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].is_initializer) w.bytes(5, encode_onnx_tensor(g.values[i].initializer, g.values[i].name, opts));
  for (int id : g.inputs) {
    w.bytes(11, encode_onnx_value_info(g.values[static_cast<size_t>(id)]));
    io.insert(id);
  }
  if (opts.initializers_as_inputs)
    for (const Value& v : g.values)
      if (v.is_initializer) w.bytes(11, encode_onnx_value_info(v));
  for (int id : g.outputs) {
    w.bytes(12, encode_onnx_value_info(g.values[static_cast<size_t>(id)]));
    io.insert(id);
  }
  // Declared types of intermediates (and of outer-scope references' local uses) go to value_info.
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    if (io.count(static_cast<int>(i)) || v.is_initializer || v.is_outer_scope) continue;
    if (v.dtype != DataType::kUndefined || v.has_shape) w.bytes(13, encode_onnx_value_info(v));
  }
  return w.take();
}

Result<std::string> save_onnx_model(const Model& m, const OnnxWriteOptions& opts) {
  if (m.opsets.empty()) return invalid_model("the model imports no operator set (opset_import is empty)");
  size_t init_bytes = 0;
  for (const Value& v : m.graph.values)
    if (v.is_initializer) init_bytes += v.initializer.nbytes();
  constexpr size_t kMaxProtoBytes = (size_t{1} << 31) - 1;
  if (init_bytes > kMaxProtoBytes)
    return resource_exhausted("the model's initializers hold " + std::to_string(init_bytes) +
                              " bytes, beyond protobuf's 2 GiB limit for one .onnx file");
  WireWriter w;
  w.int64(1, m.ir_version);
  if (!m.producer_name.empty()) w.bytes(2, m.producer_name);
  if (!m.producer_version.empty()) w.bytes(3, m.producer_version);
  w.bytes(7, encode_onnx_graph(m.graph, opts));
  for (const auto& [domain, version] : m.opsets) w.message(8, WireWriter().bytes(1, domain).int64(2, version));
  if (w.data().size() > kMaxProtoBytes)
    return resource_exhausted("the serialized model has " + std::to_string(w.data().size()) +
                              " bytes, beyond protobuf's 2 GiB limit");
  return w.take();
}

Status save_onnx_file(const Model& m, const std::string& path, const OnnxWriteOptions& opts) {
  EI_ASSIGN_OR_RETURN(std::string bytes, save_onnx_model(m, opts));
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return invalid_argument("cannot open '" + path + "' for writing");
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return invalid_argument("cannot write '" + path + "' (disk full?)");
  return Status::ok();
}

}  // namespace edgeinfer
