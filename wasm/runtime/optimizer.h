// Graph rewrites at session creation, each a small pass over the IR:
//   remove Identity/Dropout, fold constants, rewrite QDQ node units into integer operators
//   (runtime/qdq_rewrite.h), fold BatchNormalization into the preceding Conv/Gemm,
//   fold Mul/Add by constants into the preceding Conv, rewrite x * Clip(x + 3, 0, 6) / 6 as HardSwish,
//   fuse activations into the producer's epilogue (and a scalar Mul/Add after a tile-pass activation),
//   drop dead nodes and unused initializers.
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
  int folded_affine = 0;        // Mul/Add by constants folded into the preceding Conv
  int fused_activations = 0;
  int removed_dead = 0;
  int qdq_rewritten = 0;        // float ops of DQ -> op -> Q units replaced by integer operators
};

struct OptimizerOptions {
  bool qdq_rewrite = true;      // QDQ node units -> integer operators (runtime/qdq_rewrite.h)
};

// May add an opset import (com.microsoft, for the integer contrib ops the QDQ rewrite emits).
Result<OptimizerReport> optimize_graph(Graph& graph, std::map<std::string, int64_t>& opsets,
                                       const OptimizerOptions& options = {});

}  // namespace edgeinfer
