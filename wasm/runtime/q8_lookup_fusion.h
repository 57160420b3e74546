// Elementwise chains on one 8-bit tensor -> one 256-entry lookup table (com.edgeinfer Q8Lookup).
//
// QDQ models keep the activations their quantizer has no integer operator for as float islands, each
// op between a DequantizeLinear and a QuantizeLinear. PP-OCR's learnable affine blocks and hardswish
// are such a chain,
//   x -> DQ -> Mul w -> Q -> DQ -> Add b -> Q -> DQ -> Add 3 -> Q -> DQ -> Mul (with itself) -> Q -> DQ -> Div 6 -> Q,
// and so is a transformer's GELU. Every value along it is a function of the one 8-bit tensor x, which
// has only 256 possible values: the pass evaluates the chain on all 256 with the model's own kernels
// (runtime/node_eval.h) and replaces it by Q8Lookup(x, table). The result is exactly what the chain
// computes, every intermediate rounding included, at one byte load and store per element.
//
// A region grows from an 8-bit value x, in topological order, through nodes of the elementwise ops
// listed in q8_lookup_fusion.cc whose inputs are x, values of the region, or one-element constants
// (initializers, or DequantizeLinear of them). Nodes whose outputs other nodes read (or that are graph
// outputs) and are not 8-bit are then dropped from the region, repeatedly, so that every value leaving
// it is 8-bit; each such value becomes the output of one Q8Lookup. Runs before the QDQ rewrite
// (runtime/qdq_rewrite.h), which then sees the lookups' outputs as the quantized tensors they are.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace edgeinfer {

// Rewrites `graph` in place; returns the number of nodes replaced. Adds the com.edgeinfer opset import
// when it emits a Q8Lookup. Leaves the graph sorted.
Result<int> fuse_q8_lookups(Graph& graph, std::map<std::string, int64_t>& opsets);

}  // namespace edgeinfer
