// Runs one node on given tensors at session creation, single-threaded, through its registered kernel:
// constant folding (runtime/optimizer.cc) and the 8-bit lookup tables (runtime/q8_lookup_fusion.h)
// compute what the model's own operators would.
#pragma once

#include <optional>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer {

// inputs: one per node input, null where the input is absent. Returns the outputs (an empty tensor
// for an omitted output), or nullopt when the node is not evaluated: its kernel defers shape
// inference, an output shape depends on data it was not given, or the outputs would hold more than
// max_output_elements elements (< 0: no limit). Errors name the node.
Result<std::optional<std::vector<Tensor>>> evaluate_node(const Graph& g, const Node& n, int64_t opset,
                                                         const std::vector<const Tensor*>& inputs,
                                                         int64_t max_output_elements = -1);

}  // namespace edgeinfer
