// The direct depthwise loop every fast path is tested against.
#include "kernels/f32_dwconv/f32_dwconv.h"

namespace edgeinfer {

void f32_dwconv2d_reference(const DwConv2dParams& p, const float* x, const float* w, const float* bias, float* y) {
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t c = 0; c < p.channels; ++c) {
      const float* xc = x + (n * p.channels + c) * p.ih * p.iw;
      const float* wc = w + c * p.kh * p.kw;
      float* yc = y + (n * p.channels + c) * p.oh * p.ow;
      for (int64_t oy = 0; oy < p.oh; ++oy)
        for (int64_t ox = 0; ox < p.ow; ++ox) {
          double acc = bias ? bias[c] : 0.0;
          for (int64_t ky = 0; ky < p.kh; ++ky)
            for (int64_t kx = 0; kx < p.kw; ++kx) {
              const int64_t iy = oy * p.sh - p.pad_top + ky * p.dh, ix = ox * p.sw - p.pad_left + kx * p.dw;
              if (iy >= 0 && iy < p.ih && ix >= 0 && ix < p.iw) acc += double(xc[iy * p.iw + ix]) * wc[ky * p.kw + kx];
            }
          yc[oy * p.ow + ox] = static_cast<float>(acc);
        }
    }
}

}  // namespace edgeinfer
