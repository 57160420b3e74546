// Convolution and transposed convolution over the GEMM microkernels (see f32_conv.h).
#include "kernels/f32_conv/f32_conv.h"

#include <algorithm>
#include <cstring>

namespace edgeinfer {

int64_t ConvGeometry::in_size() const {
  int64_t s = 1;
  for (int64_t d : in) s *= d;
  return s;
}
int64_t ConvGeometry::out_size() const {
  int64_t s = 1;
  for (int64_t d : out) s *= d;
  return s;
}
int64_t ConvGeometry::kernel_size() const {
  int64_t s = 1;
  for (int64_t d : kernel) s *= d;
  return s;
}

namespace {

constexpr int64_t kPanelFloats = 32 * 1024;
constexpr size_t kAlignFloats = 16;
size_t align_up(size_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

// Pixels per panel: a multiple of nr so the panel (pixels x (rows + 1) floats) stays near kPanelFloats.
int64_t panel_pixels(int64_t rows, int64_t pixels, int64_t nr) {
  int64_t nt = kPanelFloats / (rows + 1) / nr * nr;
  nt = std::max(nr, std::min<int64_t>(nt, 512));
  return std::min(nt, (pixels + nr - 1) / nr * nr);
}

bool is_pointwise(const ConvGeometry& g) {
  for (int d = 0; d < g.nd; ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad_begin[d] != 0 || g.in[d] != g.out[d]) return false;
  return true;
}

// Per-pixel starting input coordinate (o * stride - pad) of `count` output pixels from p0, per dim.
void pixel_bases(const ConvGeometry& g, const std::vector<int64_t>& out_dims, int64_t p0, int64_t count,
                 int32_t* bases) {
  for (int64_t j = 0; j < count; ++j) {
    int64_t p = p0 + j;
    for (int d = g.nd - 1; d >= 0; --d) {
      const int64_t o = p % out_dims[d];
      p /= out_dims[d];
      bases[d * count + j] = static_cast<int32_t>(o * g.stride[d] - g.pad_begin[d]);
    }
  }
}

// Builds the im2col panel for output pixels [p0, p0 + count) of image/group x_g in packed-B layout:
// per block of nr pixels: nr zeros (bias), nr ones, then K rows.
void pack_im2col_panel(const ConvGeometry& g, const float* x_g, int64_t p0, int64_t count, int64_t nr,
                       float* panel, int32_t* bases) {
  const int64_t cg = g.c_in / g.group, kk = g.kernel_size(), krows = cg * kk;
  const int64_t block = nr * (krows + 2), blocks = (count + nr - 1) / nr;
  for (int64_t b = 0; b < blocks; ++b) {
    float* blk = panel + b * block;
    std::fill(blk, blk + nr, 0.0f);
    std::fill(blk + nr, blk + 2 * nr, 1.0f);
  }
  auto dst = [&](int64_t row, int64_t j) { return panel + (j / nr) * block + (row + 2) * nr + (j % nr); };
  const int64_t padded = blocks * nr;
  if (is_pointwise(g)) {
    const int64_t P = g.in_size();
    for (int64_t c = 0; c < cg; ++c) {
      const float* src = x_g + c * P + p0;
      for (int64_t j0 = 0; j0 < padded; j0 += nr) {
        float* o = dst(c, j0);
        const int64_t n = std::min(nr, count - j0);
        std::memcpy(o, src + j0, static_cast<size_t>(std::max<int64_t>(n, 0)) * sizeof(float));
        for (int64_t j = std::max<int64_t>(n, 0); j < nr; ++j) o[j] = 0.0f;
      }
    }
    return;
  }
  pixel_bases(g, g.out, p0, count, bases);
  const int64_t P = g.in_size();
  if (g.nd == 2) {
    const int64_t kh_n = g.kernel[0], kw_n = g.kernel[1], ih_n = g.in[0], iw_n = g.in[1];
    const int32_t* hb = bases;
    const int32_t* wb = bases + count;
    for (int64_t c = 0; c < cg; ++c) {
      const float* xc = x_g + c * P;
      for (int64_t kh = 0; kh < kh_n; ++kh)
        for (int64_t kw = 0; kw < kw_n; ++kw) {
          const int64_t row = (c * kh_n + kh) * kw_n + kw;
          const int64_t dh = kh * g.dilation[0], dw = kw * g.dilation[1];
          for (int64_t j0 = 0; j0 < padded; j0 += nr) {
            float* o = dst(row, j0);
            const int64_t n = std::min(nr, count - j0);
            for (int64_t j = 0; j < n; ++j) {
              const int64_t ih = hb[j0 + j] + dh, iw = wb[j0 + j] + dw;
              o[j] = (static_cast<uint64_t>(ih) < static_cast<uint64_t>(ih_n) &&
                      static_cast<uint64_t>(iw) < static_cast<uint64_t>(iw_n))
                         ? xc[ih * iw_n + iw]
                         : 0.0f;
            }
            for (int64_t j = n; j < nr; ++j) o[j] = 0.0f;
          }
        }
    }
    return;
  }
  // Any rank: decompose the kernel position per row.
  std::vector<int64_t> kc(static_cast<size_t>(g.nd));
  for (int64_t c = 0; c < cg; ++c) {
    const float* xc = x_g + c * P;
    for (int64_t kp = 0; kp < kk; ++kp) {
      int64_t r = kp;
      for (int d = g.nd - 1; d >= 0; --d) {
        kc[d] = r % g.kernel[d] * g.dilation[d];
        r /= g.kernel[d];
      }
      const int64_t row = c * kk + kp;
      for (int64_t j0 = 0; j0 < padded; j0 += nr) {
        float* o = dst(row, j0);
        const int64_t n = std::min(nr, count - j0);
        for (int64_t j = 0; j < n; ++j) {
          int64_t off = 0;
          bool inside = true;
          for (int d = 0; d < g.nd; ++d) {
            const int64_t i = bases[d * count + j0 + j] + kc[d];
            inside &= static_cast<uint64_t>(i) < static_cast<uint64_t>(g.in[d]);
            off = off * g.in[d] + i;
          }
          o[j] = inside ? xc[off] : 0.0f;
        }
        for (int64_t j = n; j < nr; ++j) o[j] = 0.0f;
      }
    }
  }
}

struct ConvPlan {
  int64_t krow, nt, panel_floats, slot_floats;
};

ConvPlan conv_plan(const ConvGeometry& g) {
  const F32GemmConfig& cfg = f32_gemm_config();
  ConvPlan p;
  p.krow = conv_packed_row(g);
  p.nt = panel_pixels(p.krow, g.out_size(), cfg.nr);
  p.panel_floats = static_cast<int64_t>(align_up(static_cast<size_t>(p.nt * (p.krow + 1))));
  // Coordinate bases (int32, nd per pixel) share the slot.
  p.slot_floats = p.panel_floats + static_cast<int64_t>(align_up(static_cast<size_t>(p.nt * g.nd)));
  return p;
}

}  // namespace

void f32_conv_pack_weights(const ConvGeometry& g, const float* w, const float* bias, float* packed) {
  const int64_t krow = conv_packed_row(g);
  for (int64_t m = 0; m < g.c_out; ++m) {
    float* row = packed + m * krow;
    row[0] = bias ? bias[m] : 0.0f;
    std::memcpy(row + 1, w + m * (krow - 1), static_cast<size_t>(krow - 1) * sizeof(float));
  }
}

size_t f32_conv_scratch_bytes(const ConvGeometry& g) {
  return static_cast<size_t>(conv_plan(g).slot_floats) * kConvMaxSlots * sizeof(float);
}

void f32_conv(const ConvGeometry& g, const float* x, const float* packed, float* y, const Activation& act,
              ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const F32GemmConfig& cfg = f32_gemm_config();
  const ConvPlan plan = conv_plan(g);
  const int64_t P = g.out_size(), Pin = g.in_size();
  if (P == 0 || g.batch == 0 || g.c_out == 0) return;
  const int64_t mg = g.c_out / g.group, cg = g.c_in / g.group;
  const int slots = static_cast<int>(std::min<size_t>(
      kConvMaxSlots, scratch_bytes / (static_cast<size_t>(plan.slot_floats) * sizeof(float))));
  if (slots < 1) return;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t ptiles = (P + plan.nt - 1) / plan.nt;
  // Split output channels too when pixels alone give the threads too little to share.
  int64_t mc = mg;
  const int64_t base_items = g.batch * g.group * ptiles;
  if (threads > 1 && base_items < 4 * threads) {
    const int64_t parts = (4 * threads + base_items - 1) / base_items;
    mc = std::max<int64_t>(cfg.mr, ((mg + parts - 1) / parts + cfg.mr - 1) / cfg.mr * cfg.mr);
  }
  const int64_t mtiles = (mg + mc - 1) / mc;
  float* slot_base = static_cast<float*>(scratch);
  conv_for_each_with_slot(pool, base_items * mtiles, slots, [&](int slot, int64_t item) {
    const int64_t mt = item % mtiles;
    int64_t rest = item / mtiles;
    const int64_t pt = rest % ptiles;
    rest /= ptiles;
    const int64_t grp = rest % g.group, n = rest / g.group;
    float* panel = slot_base + slot * plan.slot_floats;
    int32_t* bases = reinterpret_cast<int32_t*>(panel + plan.panel_floats);
    const int64_t p0 = pt * plan.nt, count = std::min(plan.nt, P - p0);
    pack_im2col_panel(g, x + (n * g.c_in + grp * cg) * Pin, p0, count, cfg.nr, panel, bases);
    const int64_t m0 = mt * mc;
    f32_gemm_tile(cfg, m0, std::min(mc, mg - m0), 0, count, plan.krow, packed + grp * mg * plan.krow, plan.krow,
                  panel, y + (n * g.c_out + grp * mg) * P + p0, P, act);
  });
}

void f32_conv_reference(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t P = g.out_size(), Pin = g.in_size(), kk = g.kernel_size();
  const int64_t mg = g.c_out / g.group, cg = g.c_in / g.group;
  std::vector<int64_t> oc(g.nd), kc(g.nd);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t m = 0; m < g.c_out; ++m) {
      const int64_t grp = m / mg;
      for (int64_t p = 0; p < P; ++p) {
        int64_t r = p;
        for (int d = g.nd - 1; d >= 0; --d) { oc[d] = r % g.out[d]; r /= g.out[d]; }
        double acc = bias ? bias[m] : 0.0;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t kp = 0; kp < kk; ++kp) {
            int64_t rk = kp;
            for (int d = g.nd - 1; d >= 0; --d) { kc[d] = rk % g.kernel[d]; rk /= g.kernel[d]; }
            int64_t off = 0;
            bool inside = true;
            for (int d = 0; d < g.nd; ++d) {
              const int64_t i = oc[d] * g.stride[d] - g.pad_begin[d] + kc[d] * g.dilation[d];
              inside = inside && i >= 0 && i < g.in[d];
              off = off * g.in[d] + i;
            }
            if (inside)
              acc += double(x[(n * g.c_in + grp * cg + c) * Pin + off]) * w[(m * cg + c) * kk + kp];
          }
        y[(n * g.c_out + m) * P + p] = static_cast<float>(acc);
      }
    }
}

// ---- ConvTranspose

namespace {

struct ConvTPlan {
  int64_t cg, mg, kk, mb, rows, nt, panel_floats, col_floats, slot_floats;
};

ConvTPlan convt_plan(const ConvGeometry& g) {
  const F32GemmConfig& cfg = f32_gemm_config();
  ConvTPlan p;
  p.cg = g.c_in / g.group;
  p.mg = g.c_out / g.group;
  p.kk = g.kernel_size();
  p.mb = std::max<int64_t>(1, std::min<int64_t>(p.mg, 64 / std::max<int64_t>(1, p.kk)));
  p.rows = p.mb * p.kk;
  p.nt = panel_pixels(std::max(p.cg, p.rows), g.in_size(), cfg.nr);
  p.panel_floats = static_cast<int64_t>(align_up(f32_gemm_packed_size(p.cg, p.nt, cfg.nr)));
  p.col_floats = static_cast<int64_t>(align_up(static_cast<size_t>(p.rows * p.nt)));
  p.slot_floats = p.panel_floats + p.col_floats + static_cast<int64_t>(align_up(static_cast<size_t>(p.nt * g.nd)));
  return p;
}

}  // namespace

void f32_conv_transpose_pack_weights(const ConvGeometry& g, const float* w, float* packed) {
  const int64_t cg = g.c_in / g.group, mg = g.c_out / g.group, kk = g.kernel_size();
  // A row (grp, m, kpos) holds W[grp*cg + c, m, kpos] over c.
  for (int64_t grp = 0; grp < g.group; ++grp)
    for (int64_t m = 0; m < mg; ++m)
      for (int64_t kp = 0; kp < kk; ++kp) {
        float* row = packed + ((grp * mg + m) * kk + kp) * cg;
        for (int64_t c = 0; c < cg; ++c) row[c] = w[((grp * cg + c) * mg + m) * kk + kp];
      }
}

size_t f32_conv_transpose_scratch_bytes(const ConvGeometry& g) {
  return static_cast<size_t>(convt_plan(g).slot_floats) * kConvMaxSlots * sizeof(float);
}

void f32_conv_transpose(const ConvGeometry& g, const float* x, const float* packed, const float* bias, float* y,
                        const Activation& act, ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const F32GemmConfig& cfg = f32_gemm_config();
  const ConvTPlan plan = convt_plan(g);
  const int64_t P = g.out_size(), Pin = g.in_size();
  if (P == 0 || g.batch == 0 || g.c_out == 0) return;
  const int slots = static_cast<int>(std::min<size_t>(
      kConvMaxSlots, scratch_bytes / (static_cast<size_t>(plan.slot_floats) * sizeof(float))));
  if (slots < 1) return;
  const int64_t mblocks = (plan.mg + plan.mb - 1) / plan.mb;
  const Activation none;
  float* slot_base = static_cast<float*>(scratch);
  conv_for_each_with_slot(pool, g.batch * g.group * mblocks, slots, [&](int slot, int64_t item) {
    const int64_t mblk = item % mblocks, grp = (item / mblocks) % g.group, n = item / mblocks / g.group;
    const int64_t m0 = mblk * plan.mb, mcount = std::min(plan.mb, plan.mg - m0), rows = mcount * plan.kk;
    float* panel = slot_base + slot * plan.slot_floats;
    float* col = panel + plan.panel_floats;
    int32_t* bases = reinterpret_cast<int32_t*>(col + plan.col_floats);
    float* yb = y + (n * g.c_out + grp * plan.mg + m0) * P;
    for (int64_t m = 0; m < mcount; ++m)
      std::fill(yb + m * P, yb + (m + 1) * P, bias ? bias[grp * plan.mg + m0 + m] : 0.0f);
    const float* xg = x + (n * g.c_in + grp * plan.cg) * Pin;
    const float* a = packed + (grp * plan.mg + m0) * plan.kk * plan.cg;
    std::vector<int64_t> kc(static_cast<size_t>(g.nd));
    for (int64_t p0 = 0; p0 < Pin; p0 += plan.nt) {
      const int64_t count = std::min(plan.nt, Pin - p0);
      f32_gemm_pack_b(static_cast<size_t>(plan.cg), static_cast<size_t>(count), cfg.nr, xg + p0,
                      static_cast<size_t>(Pin), 1, 1.0f, nullptr, 0, 0.0f, panel);
      f32_gemm_tile(cfg, 0, rows, 0, count, plan.cg, a, plan.cg, panel, col, plan.nt, none);
      pixel_bases(g, g.in, p0, count, bases);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t m = r / plan.kk;
        int64_t kp = r % plan.kk;
        for (int d = g.nd - 1; d >= 0; --d) {
          kc[d] = kp % g.kernel[d] * g.dilation[d];
          kp /= g.kernel[d];
        }
        const float* cr = col + r * plan.nt;
        float* ym = yb + m * P;
        if (g.nd == 2) {
          const int64_t oh_n = g.out[0], ow_n = g.out[1];
          for (int64_t j = 0; j < count; ++j) {
            const int64_t oh = bases[j] + kc[0], ow = bases[count + j] + kc[1];
            if (static_cast<uint64_t>(oh) < static_cast<uint64_t>(oh_n) &&
                static_cast<uint64_t>(ow) < static_cast<uint64_t>(ow_n))
              ym[oh * ow_n + ow] += cr[j];
          }
        } else {
          for (int64_t j = 0; j < count; ++j) {
            int64_t off = 0;
            bool inside = true;
            for (int d = 0; d < g.nd; ++d) {
              const int64_t o = bases[d * count + j] + kc[d];
              inside &= static_cast<uint64_t>(o) < static_cast<uint64_t>(g.out[d]);
              off = off * g.out[d] + o;
            }
            if (inside) ym[off] += cr[j];
          }
        }
      }
    }
    if (act.kind != Activation::kNone) act.apply(yb, static_cast<long>(mcount * P));
  });
}

void f32_conv_transpose_reference(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t P = g.out_size(), Pin = g.in_size(), kk = g.kernel_size();
  const int64_t mg = g.c_out / g.group, cg = g.c_in / g.group;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t m = 0; m < g.c_out; ++m)
      for (int64_t p = 0; p < P; ++p) y[(n * g.c_out + m) * P + p] = bias ? bias[m] : 0.0f;
  std::vector<int64_t> ic(g.nd), kc(g.nd);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t ci = 0; ci < g.c_in; ++ci) {
      const int64_t grp = ci / cg, c = ci % cg;
      for (int64_t p = 0; p < Pin; ++p) {
        int64_t r = p;
        for (int d = g.nd - 1; d >= 0; --d) { ic[d] = r % g.in[d]; r /= g.in[d]; }
        const float xv = x[(n * g.c_in + ci) * Pin + p];
        for (int64_t m = 0; m < mg; ++m)
          for (int64_t kp = 0; kp < kk; ++kp) {
            int64_t rk = kp;
            for (int d = g.nd - 1; d >= 0; --d) { kc[d] = rk % g.kernel[d]; rk /= g.kernel[d]; }
            int64_t off = 0;
            bool inside = true;
            for (int d = 0; d < g.nd; ++d) {
              const int64_t o = ic[d] * g.stride[d] - g.pad_begin[d] + kc[d] * g.dilation[d];
              inside = inside && o >= 0 && o < g.out[d];
              off = off * g.out[d] + o;
            }
            if (inside) y[(n * g.c_out + grp * mg + m) * P + off] += xv * w[((grp * cg + c) * mg + m) * kk + kp];
          }
      }
    }
}

}  // namespace edgeinfer
