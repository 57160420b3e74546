// Graph rewrites at session creation, each a small pass over the IR:
//   remove Identity/Dropout, fold constants, replace elementwise chains on 8-bit tensors by lookup
//   tables (runtime/q8_lookup_fusion.h), rewrite QDQ node units into integer operators
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
  int q8_lookups = 0;           // nodes of elementwise chains on 8-bit tensors replaced by lookup tables
};

struct OptimizerOptions {
  bool qdq_rewrite = true;      // QDQ node units -> integer operators (runtime/qdq_rewrite.h)
};

// May add opset imports (com.microsoft, com.edgeinfer) for the integer ops the QDQ passes emit.
Result<OptimizerReport> optimize_graph(Graph& graph, std::map<std::string, int64_t>& opsets,
                                       const OptimizerOptions& options = {});

}  // namespace edgeinfer
