// Activations that the optimizer fuses into the epilogue of Conv, ConvTranspose, Gemm and MatMul.
// The fused node carries them as attributes "_activation" (string) and "_activation_params" (floats).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace edgeinfer {

struct Activation {
  enum Kind { kNone, kRelu, kClip, kLeakyRelu, kHardSigmoid, kHardSwish, kSigmoid };
  Kind kind = kNone;
  float a = 0.0f;  // Clip: min; LeakyRelu: alpha; HardSigmoid: alpha
  float b = 0.0f;  // Clip: max; HardSigmoid: beta; LeakyRelu: a floor (from a following Max by a scalar)
  // An affine map after the activation (y = act(x) * scale + shift), from a following Mul/Add by
  // scalars (PP-LCNet's learnable affine blocks). Only set on kinds that every kernel applies in a
  // pass over the finished tile (HardSigmoid, HardSwish, Sigmoid), never in a microkernel's store.
  float scale = 1.0f;
  float shift = 0.0f;

  bool has_affine() const { return scale != 1.0f || shift != 0.0f; }
  float apply(float x) const { return base(x) * scale + shift; }
  float base(float x) const {
    switch (kind) {
      case kNone: return x;
      case kRelu: return x > 0.0f ? x : 0.0f;
      case kClip: return std::min(std::max(x, a), b);
      case kLeakyRelu: return std::max(x >= 0.0f ? x : a * x, b);
      case kHardSigmoid: return std::min(1.0f, std::max(0.0f, a * x + b));
      case kHardSwish: return x * std::min(1.0f, std::max(0.0f, x / 6.0f + 0.5f));
      case kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    }
    return x;
  }
  // Applies in place to n floats (SIMD where available).
  void apply(float* x, long n) const;

  // Reads the fused activation attributes of a node (kNone when absent).
  static Result<Activation> from_attrs(const Attributes& attrs);
  // Writes them (used by the optimizer).
  void to_attrs(Attributes& attrs) const;
};

}  // namespace edgeinfer
