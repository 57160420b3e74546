// The ONNX model writer: the graph IR (ir/graph.h) -> ModelProto bytes, with our own protobuf encoder
// (onnx/wire_writer.h) instead of libprotobuf. The inverse of onnx/onnx_loader.h:
// load_onnx_model(save_onnx_model(m)) gives back m (the same values with their declared dtypes/shapes,
// initializers, nodes with every attribute and subgraph, inputs/outputs, opset imports, ir_version and
// producer). Nodes are written in the graph's order; names the loader generated for unnamed nodes are
// written as names.
//
// Native tools (edgeinfer quantize) use it; the wasm module does not reference it, so the linker
// drops it from the shipped .wasm.
#pragma once

#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer {

// Encoding choices. The defaults are what onnx.save writes; the others exist so tests can check that
// the reader accepts every legal encoding.
struct OnnxWriteOptions {
  enum class TensorData { kRawData, kTypedFields };
  TensorData tensor_data = TensorData::kRawData;
  bool packed = true;                   // packed repeated scalars (dims, ints, floats, typed data)
  bool attribute_types = true;          // false: leave AttributeProto.type unset, as pre-IR-2 models do
  bool initializers_as_inputs = false;  // also list initializers in graph.input, as opset < 9 exporters do
};

// Whole model. Fails with kResourceExhausted beyond protobuf's 2 GiB message limit and kInvalidModel
// when the model has no opset import.
Result<std::string> save_onnx_model(const Model& m, const OnnxWriteOptions& opts = {});
// Writes save_onnx_model(m) to `path`; kInvalidArgument naming the path when it cannot be written.
Status save_onnx_file(const Model& m, const std::string& path, const OnnxWriteOptions& opts = {});

// Single messages (TensorProto, AttributeProto, GraphProto, ValueInfoProto).
std::string encode_onnx_tensor(const Tensor& t, const std::string& name, const OnnxWriteOptions& opts = {});
std::string encode_onnx_attribute(const Attribute& a, const OnnxWriteOptions& opts = {});
std::string encode_onnx_graph(const Graph& g, const OnnxWriteOptions& opts = {});
std::string encode_onnx_value_info(const Value& v);

}  // namespace edgeinfer
