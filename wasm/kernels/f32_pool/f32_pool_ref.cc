#include "kernels/f32_pool/f32_pool.h"

namespace edgeinfer::kernels {

void f32_pool2d__ref(const float* x, float* y, const F32Pool2dParams& p) {
  for (int64_t oy = 0; oy < p.out_h; ++oy)
    for (int64_t ox = 0; ox < p.out_w; ++ox) y[oy * p.out_w + ox] = f32_pool2d_at(x, p, oy, ox);
}

}  // namespace edgeinfer::kernels
