#include "kernels/elementwise/elementwise.h"

namespace edgeinfer {
namespace elementwise {

void f32_unary__reference(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = unary_scalar<float>(op, p, x[i]);
}

void f32_binary__reference(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                           int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = binary_scalar<float>(op, a[i * sa], b[i * sb]);
}

}  // namespace elementwise
}  // namespace edgeinfer
