// The ONNX model reader: ModelProto bytes -> the graph IR (ir/graph.h), with our own bounds-checked
// protobuf decoder (onnx/wire_reader.h) instead of libprotobuf.
//
// What it guarantees:
//  - malformed bytes give kInvalidModel naming the problem, the byte offset and the message path;
//    nothing allocates more than a small multiple of the input size (tensor data is checked against
//    its dims before any allocation);
//  - valid ONNX that the runtime cannot represent (external data, sparse tensors, string tensors,
//    bfloat16/float8/int4 data, function attribute references) gives kUnsupported naming it;
//  - the returned graphs (and every subgraph) are topologically sorted, with each subgraph's references
//    to enclosing-graph values as Values with is_outer_scope = true. A node that owns subgraphs is
//    ordered after the producers of every outer value its subgraphs (at any depth) use.
//  - graph inputs that also have an initializer (opset < 9 exporters) are constants: they are kept
//    out of Graph::inputs. Empty input/output names become -1 (omitted optional). Nodes without a
//    name get a unique "<op_type>_<index>" so errors can name them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer {

Result<Model> load_onnx_model(const uint8_t* data, size_t size);

// One serialized TensorProto (the input_0.pb / output_0.pb files of ONNX test data sets).
Result<Tensor> load_onnx_tensor(const uint8_t* data, size_t size);

}  // namespace edgeinfer
