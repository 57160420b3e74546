// QDQ -> integer operators: a QDQ model (onnxruntime's quantizer default, `edgeinfer quantize`) wraps
// float ops in DequantizeLinear/QuantizeLinear pairs; this pass replaces each matched "node unit"
//   DQ(x) [, DQ(w) ...] -> Op [-> Relu|Clip] -> Q
// with the integer operator computing the same thing:
//   Conv -> QLinearConv (w constant, per tensor or per output channel; int32 bias from DQ(int32) or a
//           float constant quantized with scale x_scale * w_scale[n]),
//   MatMul -> QLinearMatMul (Q after it) or com.microsoft MatMulIntegerToFloat (float out, B constant;
//           a following Add of a constant [N] bias becomes its bias input),
//   Gemm (transA 0, transB 1, alpha 1, beta 1) -> QLinearConv on [M,K,1,1] between two Reshapes,
//   Add/Mul -> QLinearAdd/QLinearMul (when not part of an elementwise chain on one 8-bit tensor, which
//           runtime/q8_lookup_fusion.h turns into a lookup table first, as it does Sigmoid, LeakyRelu, ...),
//   GlobalAveragePool/AveragePool -> QLinearGlobalAveragePool/QLinearAveragePool,
//   Concat -> QLinearConcat (com.microsoft),
//   MaxPool/Reshape/Transpose/Flatten/Squeeze/Unsqueeze/Resize (nearest) with equal DQ and Q parameters -> the same op
//           on the integer tensor.
// Relu/Clip between Conv/MatMul/Gemm and Q: Q is monotone, so Q(max(v, lo)) = max(Q(v), Q(lo)); the
// activation is dropped when the integer range already saturates there (Relu with y_zero_point at
// the type's minimum, as onnxruntime's Relu/Clip-Q fusion requires), else kept as Max/Min on the
// integer tensor.
// Anything not matching every precondition (constant scalar scales and zero points or per-axis where
// the target allows it, consistent dtypes, the float intermediate read by that one node and not a
// graph output) is left as written. Results change only by the requantization rounding (1 unit).
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace edgeinfer {

// Rewrites `graph` in place; returns the number of float ops replaced by integer ones. Adds the
// com.microsoft opset import to `opsets` when it emits a contrib op. Leaves the graph sorted.
Result<int> rewrite_qdq(Graph& graph, std::map<std::string, int64_t>& opsets);

}  // namespace edgeinfer
