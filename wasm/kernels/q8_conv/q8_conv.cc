// Quantized convolution: im2row panels through the q8_gemm microkernels (see q8_conv.h).
#include "kernels/q8_conv/q8_conv.h"

#include <algorithm>
#include <cstring>

namespace edgeinfer {
namespace {

constexpr int64_t kPanelPixels = 128;  // rows of A per work item: a multiple of every MR

int64_t group_k(const ConvGeometry& g) { return g.c_in / g.group * g.kernel_size(); }

// Input coordinate of output index `o` and kernel offset `kk` along dim d, or -1 when it is padding.
inline int64_t in_coord(const ConvGeometry& g, int d, int64_t o, int64_t kk) {
  const int64_t i = o * g.stride[d] - g.pad_begin[d] + kk * g.dilation[d];
  return (i >= 0 && i < g.in[d]) ? i : -1;
}

// Offset within one input plane of output pixel p and kernel position kp, or -1 for padding.
int64_t plane_offset(const ConvGeometry& g, int64_t p, int64_t kp) {
  int64_t off = 0;
  int64_t prest = p, krest = kp;
  int64_t pstride = 1, kstride = 1;
  for (int d = 0; d < g.nd; ++d) {
    pstride *= g.out[d];
    kstride *= g.kernel[d];
  }
  int64_t istride = g.in_size();
  for (int d = 0; d < g.nd; ++d) {
    pstride /= g.out[d];
    kstride /= g.kernel[d];
    istride /= g.in[d];
    const int64_t o = prest / pstride, kk = krest / kstride;
    prest %= pstride;
    krest %= kstride;
    const int64_t i = in_coord(g, d, o, kk);
    if (i < 0) return -1;
    off += i * istride;
  }
  return off;
}

}  // namespace

size_t q8_conv_packed_size(const ConvGeometry& g) {
  return static_cast<size_t>(g.group) * q8_gemm_packed_size(static_cast<size_t>(group_k(g)),
                                                            static_cast<size_t>(g.c_out / g.group));
}

void q8_conv_pack_weights(const ConvGeometry& g, const void* w, Q8Type w_type, const void* w_zp, size_t w_zp_stride,
                          const int32_t* bias, Q8Type x_type, int32_t x_zp, int16_t* packed) {
  const int64_t k = group_k(g), mg = g.c_out / g.group;
  const size_t per = q8_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(mg));
  for (int64_t gi = 0; gi < g.group; ++gi) {
    const uint8_t* wg = static_cast<const uint8_t*>(w) + gi * mg * k;
    const uint8_t* zg = w_zp ? static_cast<const uint8_t*>(w_zp) + gi * mg * w_zp_stride : nullptr;
    q8_gemm_pack_b(static_cast<size_t>(k), static_cast<size_t>(mg), wg, w_type, 1, static_cast<size_t>(k), zg,
                   w_zp_stride, bias ? bias + gi * mg : nullptr, x_type, x_zp, packed + gi * per);
  }
}

size_t q8_conv_scratch_bytes(const ConvGeometry& g, Q8Type out_type, int slots) {
  const size_t k = static_cast<size_t>(group_k(g)), mg = static_cast<size_t>(g.c_out / g.group);
  const size_t slot = (kPanelPixels * k + 15) / 16 * 16 + kPanelPixels * mg * q8_type_size(out_type);
  return slot * static_cast<size_t>(std::max(1, std::min(slots, kConvMaxSlots)));
}

void q8_conv(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const int16_t* packed, void* y,
             const Q8GemmOutput& out, ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const int64_t k = group_k(g), mg = g.c_out / g.group, cg = g.c_in / g.group, ks = g.kernel_size();
  const int64_t P = g.out_size(), I = g.in_size();
  if (P <= 0 || mg <= 0) return;
  const size_t per_group = q8_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(mg));
  const size_t es = q8_type_size(out.type);
  const size_t slot_bytes = q8_conv_scratch_bytes(g, out.type, 1);
  const int slots = static_cast<int>(std::max<size_t>(1, std::min<size_t>(kConvMaxSlots, scratch_bytes / slot_bytes)));
  const int64_t pblocks = (P + kPanelPixels - 1) / kPanelPixels;
  const Q8GemmConfig& cfg = q8_gemm_config();
  const uint8_t pad = static_cast<uint8_t>(x_zp);
  // Offsets of each (pixel, kernel position) inside a plane, shared by every channel; computed per item
  // (cheap next to the GEMM) to keep the scratch per thread bounded.
  conv_for_each_with_slot(pool, g.batch * g.group * pblocks, slots, [&](int slot, int64_t item) {
    const int64_t pb = item % pblocks, gi = (item / pblocks) % g.group, b = item / pblocks / g.group;
    const int64_t p0 = pb * kPanelPixels, np = std::min(kPanelPixels, P - p0);
    uint8_t* panel = static_cast<uint8_t*>(scratch) + static_cast<size_t>(slot) * slot_bytes;
    uint8_t* res = panel + (kPanelPixels * k + 15) / 16 * 16;
    const uint8_t* xg = static_cast<const uint8_t*>(x) + (b * g.c_in + gi * cg) * I;
    if (g.nd == 2) {
      // 2-D: walk the output pixels and kernel taps with plain increments (plane_offset's divisions
      // cost more than the GEMM itself when the group has few channels).
      const int64_t OW = g.out[1], IH = g.in[0], IW = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
      int64_t oy = p0 / OW, ox = p0 % OW;
      for (int64_t p = 0; p < np; ++p) {
        uint8_t* row = panel + p * k;
        const int64_t iy0 = oy * g.stride[0] - g.pad_begin[0], ix0 = ox * g.stride[1] - g.pad_begin[1];
        int64_t kp = 0;
        for (int64_t ky = 0; ky < KH; ++ky) {
          const int64_t iy = iy0 + ky * g.dilation[0];
          const bool y_in = iy >= 0 && iy < IH;
          for (int64_t kx = 0; kx < KW; ++kx, ++kp) {
            const int64_t ix = ix0 + kx * g.dilation[1];
            if (y_in && ix >= 0 && ix < IW) {
              const uint8_t* src = xg + iy * IW + ix;
              for (int64_t c = 0; c < cg; ++c) row[c * ks + kp] = src[c * I];
            } else {
              for (int64_t c = 0; c < cg; ++c) row[c * ks + kp] = pad;
            }
          }
        }
        if (++ox == OW) {
          ox = 0;
          ++oy;
        }
      }
    } else {
      for (int64_t p = 0; p < np; ++p) {
        uint8_t* row = panel + p * k;
        for (int64_t kp = 0; kp < ks; ++kp) {
          const int64_t off = plane_offset(g, p0 + p, kp);
          if (off < 0)
            for (int64_t c = 0; c < cg; ++c) row[c * ks + kp] = pad;
          else
            for (int64_t c = 0; c < cg; ++c) row[c * ks + kp] = xg[c * I + off];
        }
      }
    }
    Q8GemmOutput o = out;
    if (o.per_column && o.scale) o.scale += gi * mg;
    if (o.fbias) o.fbias += gi * mg;
    q8_gemm_tile(cfg, 0, np, 0, mg, k, panel, x_type, k, packed + gi * per_group, res, mg, o);
    uint8_t* yg = static_cast<uint8_t*>(y) + ((b * g.c_out + gi * mg) * P + p0) * es;
    if (es == 1) {
      for (int64_t m = 0; m < mg; ++m)
        for (int64_t p = 0; p < np; ++p) yg[m * P + p] = res[p * mg + m];
    } else {
      for (int64_t m = 0; m < mg; ++m)
        for (int64_t p = 0; p < np; ++p) std::memcpy(yg + (m * P + p) * es, res + (p * mg + m) * es, es);
    }
  });
}

void q8_conv_reference(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const void* w, Q8Type w_type,
                       const void* w_zp, size_t w_zp_stride, const int32_t* bias, void* y, const Q8GemmOutput& out) {
  const int64_t mg = g.c_out / g.group, cg = g.c_in / g.group, ks = g.kernel_size();
  const int64_t P = g.out_size(), I = g.in_size();
  auto ld = [](const void* p, Q8Type t, int64_t i) -> int32_t {
    return t == Q8Type::kU8 ? static_cast<const uint8_t*>(p)[i] : static_cast<const int8_t*>(p)[i];
  };
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t m = 0; m < g.c_out; ++m) {
      const int64_t gi = m / mg;
      const int32_t wz = w_zp ? ld(w_zp, w_type, m * static_cast<int64_t>(w_zp_stride)) : 0;
      for (int64_t p = 0; p < P; ++p) {
        uint32_t acc = bias ? static_cast<uint32_t>(bias[m]) : 0u;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t kp = 0; kp < ks; ++kp) {
            const int64_t off = plane_offset(g, p, kp);
            if (off < 0) continue;
            const int32_t xv = ld(x, x_type, (b * g.c_in + gi * cg + c) * I + off) - x_zp;
            const int32_t wv = ld(w, w_type, (m * cg + c) * ks + kp) - wz;
            acc += static_cast<uint32_t>(xv * wv);
          }
        q8_store_scalar(static_cast<int32_t>(acc), static_cast<size_t>(m), out, y,
                        static_cast<size_t>((b * g.c_out + m) * P + p));
      }
    }
}

}  // namespace edgeinfer
