// Small helpers shared by the optimizer passes (runtime/optimizer.cc, runtime/qdq_rewrite.cc) to
// read and edit a Graph: use counts, constants, producers, adding initializers, erasing nodes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer {

// Use counts and the values that must keep their identity (graph outputs, subgraph references).
struct Uses {
  std::vector<int> count;
  std::vector<bool> pinned;
  // Read by exactly one node input and not pinned: a value a rewrite may fold away.
  bool single(int id) const {
    return id >= 0 && count[static_cast<size_t>(id)] == 1 && !pinned[static_cast<size_t>(id)];
  }
};
Uses count_uses(const Graph& g);

// The node's opset: its domain's entry in the model's opset imports, 0 when absent.
int64_t node_opset(const Node& n, const std::map<std::string, int64_t>& opsets);

// Every reader of `from` reads `to` instead.
void replace_uses(Graph& g, int from, int to);
// Removes the nodes marked dead, keeping the order of the others.
void erase_nodes(Graph& g, const std::vector<bool>& dead);
// A new initializer named `base` (or base_1, base_2, ... when taken); returns its value id.
int add_initializer(Graph& g, const std::string& base, Tensor t);
// The initializer's tensor, or null when the value is not a constant (or id < 0).
const Tensor* constant(const Graph& g, int id);
// Producer node index of every value (-1 for inputs and initializers).
std::vector<int> producers(const Graph& g);

}  // namespace edgeinfer
