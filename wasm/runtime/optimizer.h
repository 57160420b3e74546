// Graph rewrites at session creation, each a small pass over the IR:
//   remove Identity/Dropout, fold constants, fold BatchNormalization into the preceding Conv/Gemm,
//   fuse activations into the producer's epilogue, drop dead nodes and unused initializers.
// Prepacking of weights is not a pass: kernel factories pack constant weights when created.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace edgeinfer {

struct OptimizerReport {
  int removed_identity = 0;
  int folded_constants = 0;
  int folded_batchnorm = 0;
  int fused_activations = 0;
  int removed_dead = 0;
};

Result<OptimizerReport> optimize_graph(Graph& graph, const std::map<std::string, int64_t>& opsets);

}  // namespace edgeinfer
