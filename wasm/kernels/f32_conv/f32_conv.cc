// Convolution and transposed convolution over the GEMM microkernels (see f32_conv.h).
#include "kernels/f32_conv/f32_conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/simd.h"

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

// ---- forward convolution: three ways to present the input to the offset microkernel

// Rows of an im2col panel for output pixels [p0, p0 + count): row k = (c, kernel position) holds the
// input each pixel sees (zero outside), row-major with row stride `pitch` (>= round_up(count, 8));
// columns past count are zero.
void fill_im2col_panel(const ConvGeometry& g, const float* x_g, int64_t p0, int64_t count, int64_t pitch,
                       float* panel, int32_t* bases) {
  const int64_t cg = g.c_in / g.group, kk = g.kernel_size(), P = g.in_size();
  if (g.nd == 2) {
    // Runs of pixels within one output row: at stride 1 a run reads consecutive input floats, so it
    // is a zero-padded copy, not a per-pixel coordinate decomposition.
    const int64_t ih_n = g.in[0], iw_n = g.in[1], ow_n = g.out[1], kh_n = g.kernel[0], kw_n = g.kernel[1];
    const int64_t sh = g.stride[0], sw = g.stride[1], dh = g.dilation[0], dw = g.dilation[1];
    for (int64_t c = 0; c < cg; ++c) {
      const float* xc = x_g + c * P;
      for (int64_t a = 0; a < kh_n; ++a)
        for (int64_t b = 0; b < kw_n; ++b) {
          float* o = panel + ((c * kh_n + a) * kw_n + b) * pitch;
          for (int64_t j = 0; j < count;) {
            const int64_t p = p0 + j, oh = p / ow_n, ow0 = p % ow_n, run = std::min(count - j, ow_n - ow0);
            const int64_t ih = oh * sh - g.pad_begin[0] + a * dh;
            if (static_cast<uint64_t>(ih) >= static_cast<uint64_t>(ih_n)) {
              std::fill(o + j, o + j + run, 0.0f);
            } else {
              const float* row = xc + ih * iw_n;
              const int64_t iw0 = ow0 * sw - g.pad_begin[1] + b * dw;
              for (int64_t t = 0; t < run; ++t) {
                const int64_t iw = iw0 + t * sw;
                o[j + t] = static_cast<uint64_t>(iw) < static_cast<uint64_t>(iw_n) ? row[iw] : 0.0f;
              }
            }
            j += run;
          }
          std::fill(o + count, o + pitch, 0.0f);
        }
    }
    return;
  }
  pixel_bases(g, g.out, p0, count, bases);
  std::vector<int64_t> kc(static_cast<size_t>(g.nd));
  for (int64_t c = 0; c < cg; ++c) {
    const float* xc = x_g + c * P;
    for (int64_t kp = 0; kp < kk; ++kp) {
      int64_t r = kp;
      for (int d = g.nd - 1; d >= 0; --d) {
        kc[d] = r % g.kernel[d] * g.dilation[d];
        r /= g.kernel[d];
      }
      float* o = panel + (c * kk + kp) * pitch;
      for (int64_t j = 0; j < count; ++j) {
        int64_t off = 0;
        bool inside = true;
        for (int d = 0; d < g.nd; ++d) {
          const int64_t i = bases[d * count + j] + kc[d];
          inside &= static_cast<uint64_t>(i) < static_cast<uint64_t>(g.in[d]);
          off = off * g.in[d] + i;
        }
        o[j] = inside ? xc[off] : 0.0f;
      }
      std::fill(o + count, o + pitch, 0.0f);
    }
  }
}

enum class ConvPath {
  kPointwise,  // 1x1, stride 1, no pads: the input planes are the operand as they are
  kBand,       // 1-D/2-D: a few zero-padded input rows per item, split by stride phase
  kPanel,      // anything else (3-D, rows too narrow for 8-pixel tiles): im2col panels
};

constexpr int64_t kNR = 8;
int64_t round_nr(int64_t n) { return (n + kNR - 1) / kNR * kNR; }

struct ConvPlan {
  ConvPath path;
  int64_t mr, k, mg, mtiles;   // tile rows, reduction length, channels per group, MR tiles per group
  int64_t chunk;               // pointwise/panel: output pixels per item (a multiple of 8)
  int64_t pitch = 0;           // pointwise: row pitch of the copied chunk, 0 when read in place
  // Band geometry (2-D view; 1-D convolutions are 1 x W): output rows per item, input rows per band,
  // stride-phase row width, and the per-dim parameters.
  int64_t rows = 1, band_rows = 1, wq = 0;
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t shared_floats;       // offset tables shared by all items (int32, aligned)
  int64_t slot_floats;         // per-thread slot
};

bool pointwise(const ConvGeometry& g) {
  for (int d = 0; d < g.nd; ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad_begin[d] != 0 || g.in[d] != g.out[d]) return false;
  return true;
}

// Inputs per item stay within this many floats so they are reread from L2 by every tile of rows.
constexpr int64_t kOperandFloats = 24 * 1024;

ConvPlan conv_plan(const ConvGeometry& g, int threads) {
  const F32ConvUConfig& cfg = f32_conv_ukernel_config();
  ConvPlan p;
  p.mr = cfg.mr;
  p.mg = g.c_out / g.group;
  p.mtiles = (p.mg + p.mr - 1) / p.mr;
  const int64_t cg = g.c_in / g.group;
  p.k = cg * g.kernel_size();
  const int64_t P = g.out_size();
  const bool d2 = g.nd == 2;
  p.ih = d2 ? g.in[0] : 1;
  p.oh = d2 ? g.out[0] : 1;
  p.kh = d2 ? g.kernel[0] : 1;
  p.sh = d2 ? g.stride[0] : 1;
  p.dh = d2 ? g.dilation[0] : 1;
  p.pt = d2 ? g.pad_begin[0] : 0;
  p.iw = g.in[g.nd - 1];
  p.ow = g.out[g.nd - 1];
  p.kw = g.kernel[g.nd - 1];
  p.sw = g.stride[g.nd - 1];
  p.dw = g.dilation[g.nd - 1];
  p.pl = g.pad_begin[g.nd - 1];
  const int64_t items_wanted = threads > 1 ? 4 * threads : 1;
  const int64_t images = g.batch * g.group;
  if (pointwise(g)) {
    p.path = ConvPath::kPointwise;
    p.chunk = std::max<int64_t>(kNR, std::min<int64_t>(1024, kOperandFloats / p.k / kNR * kNR));
    p.chunk = std::min(p.chunk, round_nr(P));
    while (p.chunk > 4 * kNR && images * ((P + p.chunk - 1) / p.chunk) < items_wanted) p.chunk = round_nr(p.chunk / 2);
    // Planes whose size is (nearly) a multiple of 4 KiB (160x160, 320x320) put the K input rows a
    // tile reads into the same few L1 sets, which then thrash; such chunks are copied first, with a
    // pitch that staggers the rows.
    const int64_t skew = (P * 4) % 4096;
    p.pitch = std::min(skew, 4096 - skew) < 256 ? p.chunk + kNR : 0;
    p.shared_floats = static_cast<int64_t>(align_up(static_cast<size_t>(2 * p.k)));
    p.slot_floats = static_cast<int64_t>(align_up(static_cast<size_t>(p.k * std::max(kNR, p.pitch))));
    return p;
  }
  // Tiles of 8 pixels along a row: rows much narrower than a multiple of 8 waste lanes.
  if (g.nd <= 2 && p.ow * 4 >= round_nr(p.ow) * 3) {
    p.path = ConvPath::kBand;
    p.wq = round_nr(p.ow) + (p.kw - 1) * p.dw / p.sw;
    auto band_floats = [&](int64_t r) { return cg * ((r - 1) * p.sh + (p.kh - 1) * p.dh + 1) * p.sw * p.wq; };
    p.rows = 1;
    while (p.rows < p.oh && band_floats(p.rows + 1) <= kOperandFloats * 2) ++p.rows;
    while (p.rows > 1 && images * ((p.oh + p.rows - 1) / p.rows) < items_wanted) p.rows = (p.rows + 1) / 2;
    p.band_rows = (p.rows - 1) * p.sh + (p.kh - 1) * p.dh + 1;
    p.shared_floats = static_cast<int64_t>(align_up(static_cast<size_t>(p.k)));
    // wq covers the 8-wide loads of a row's partial last tile, so nothing is read past the band.
    p.slot_floats = static_cast<int64_t>(align_up(static_cast<size_t>(band_floats(p.rows))));
    return p;
  }
  p.path = ConvPath::kPanel;
  p.chunk = std::max<int64_t>(kNR, std::min<int64_t>(512, kOperandFloats / p.k / kNR * kNR));
  p.chunk = std::min(p.chunk, round_nr(P));
  while (p.chunk > kNR && images * ((P + p.chunk - 1) / p.chunk) < items_wanted) p.chunk = round_nr(p.chunk / 2);
  p.shared_floats = static_cast<int64_t>(align_up(static_cast<size_t>(p.k)));
  p.slot_floats = static_cast<int64_t>(align_up(static_cast<size_t>(p.k * p.chunk)) +
                                       align_up(static_cast<size_t>(p.chunk * g.nd)));
  return p;
}

// Input rows [oh0 * sh - pt, +band_rows) of every channel of x_g, zero-padded, each split into sw
// stride phases of wq floats: band[((c * band_rows + r) * sw + q) * wq + t] = X[c][ih0 + r][t * sw + q - pl].
// Output pixel ow at kernel column kw then reads phase (kw * dw) % sw at t = ow + (kw * dw) / sw:
// consecutive pixels are consecutive floats whatever the stride.
void fill_band(const ConvPlan& p, int64_t cg, const float* x_g, int64_t oh0, float* band) {
  const int64_t ih0 = oh0 * p.sh - p.pt, plane = p.ih * p.iw;
  for (int64_t c = 0; c < cg; ++c) {
    for (int64_t r = 0; r < p.band_rows; ++r) {
      float* row = band + (c * p.band_rows + r) * p.sw * p.wq;
      const int64_t ih = ih0 + r;
      if (ih < 0 || ih >= p.ih) {
        std::fill(row, row + p.sw * p.wq, 0.0f);
        continue;
      }
      const float* src = x_g + c * plane + ih * p.iw;
      if (p.sw == 1) {
        const int64_t lo = std::min(std::max<int64_t>(p.pl, 0), p.wq);
        const int64_t hi = std::max(lo, std::min(p.pl + p.iw, p.wq));
        std::fill(row, row + lo, 0.0f);
        std::memcpy(row + lo, src + (lo - p.pl), static_cast<size_t>(hi - lo) * sizeof(float));
        std::fill(row + hi, row + p.wq, 0.0f);
        continue;
      }
      for (int64_t q = 0; q < p.sw; ++q) {
        float* dst = row + q * p.wq;
        for (int64_t t = 0; t < p.wq; ++t) {
          const int64_t iw = t * p.sw + q - p.pl;
          dst[t] = static_cast<uint64_t>(iw) < static_cast<uint64_t>(p.iw) ? src[iw] : 0.0f;
        }
      }
    }
  }
}

F32ConvParams conv_params(const Activation& act) {
  F32ConvParams cp{-INFINITY, INFINITY, 0.0f, 0};
  switch (act.kind) {
    case Activation::kRelu: cp.min = 0.0f; break;
    case Activation::kClip: cp.min = act.a; cp.max = act.b; break;
    case Activation::kLeakyRelu: cp.leaky = 1; cp.alpha = act.a; cp.min = act.b; break;
    default: break;
  }
  return cp;
}

bool conv_needs_post(const Activation& act) {
  return act.kind != Activation::kNone && act.kind != Activation::kRelu && act.kind != Activation::kClip &&
         act.kind != Activation::kLeakyRelu;
}

}  // namespace

size_t conv_packed_size(const ConvGeometry& g) {
  const int64_t mr = f32_conv_ukernel_config().mr, mg = g.c_out / g.group;
  return static_cast<size_t>(g.group * ((mg + mr - 1) / mr) * mr * (1 + g.c_in / g.group * g.kernel_size()));
}

void f32_conv_pack_weights(const ConvGeometry& g, const float* w, const float* bias, float* packed) {
  const int64_t mr = f32_conv_ukernel_config().mr, mg = g.c_out / g.group;
  const int64_t k = g.c_in / g.group * g.kernel_size(), tiles = (mg + mr - 1) / mr;
  for (int64_t grp = 0; grp < g.group; ++grp)
    for (int64_t t = 0; t < tiles; ++t) {
      float* dst = packed + (grp * tiles + t) * (k + 1) * mr;
      for (int64_t i = 0; i < mr; ++i) {
        const int64_t m = t * mr + i;
        const bool valid = m < mg;
        const float* wm = w + (grp * mg + m) * k;
        dst[i] = valid && bias ? bias[grp * mg + m] : 0.0f;
        for (int64_t p = 0; p < k; ++p) dst[(p + 1) * mr + i] = valid ? wm[p] : 0.0f;
      }
    }
}

size_t f32_conv_scratch_bytes(const ConvGeometry& g, int slots) {
  // A single thread gets the largest items (threads only ever shrink them).
  const ConvPlan p = conv_plan(g, 1);
  slots = std::max(1, std::min(slots, kConvMaxSlots));
  return static_cast<size_t>(p.shared_floats + p.slot_floats * slots) * sizeof(float);
}

void f32_conv(const ConvGeometry& g, const float* x, const float* packed, float* y, const Activation& act,
              ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const F32ConvUConfig& cfg = f32_conv_ukernel_config();
  const int threads = pool ? pool->num_threads() : 1;
  const ConvPlan p = conv_plan(g, threads);
  const int64_t P = g.out_size(), Pin = g.in_size();
  if (P == 0 || g.batch == 0 || g.c_out == 0) return;
  const int64_t cg = g.c_in / g.group;
  if (scratch_bytes < static_cast<size_t>(p.shared_floats) * sizeof(float)) return;
  const int slots = static_cast<int>(std::min<size_t>(
      kConvMaxSlots, (scratch_bytes / sizeof(float) - static_cast<size_t>(p.shared_floats)) /
                         static_cast<size_t>(p.slot_floats)));
  if (slots < 1) return;
  int32_t* koff = static_cast<int32_t*>(scratch);
  float* slot_base = static_cast<float*>(scratch) + p.shared_floats;
  const F32ConvParams params = conv_params(act);
  const bool post = conv_needs_post(act);
  const int64_t wtile = (p.k + 1) * p.mr;

  // Offsets of each reduction step (c, kernel position) from a tile's first pixel.
  if (p.path == ConvPath::kPointwise) {
    for (int64_t c = 0; c < p.k; ++c) {
      koff[c] = static_cast<int32_t>(c * (p.pitch ? p.pitch : Pin));
      koff[p.k + c] = static_cast<int32_t>(c * kNR);
    }
  } else if (p.path == ConvPath::kBand) {
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t a = 0; a < p.kh; ++a)
        for (int64_t b = 0; b < p.kw; ++b)
          koff[(c * p.kh + a) * p.kw + b] = static_cast<int32_t>(
              ((c * p.band_rows + a * p.dh) * p.sw + (b * p.dw) % p.sw) * p.wq + (b * p.dw) / p.sw);
  } else {
    for (int64_t r = 0; r < p.k; ++r) koff[r] = static_cast<int32_t>(r * p.chunk);
  }

  // Items: (image, group, pixel chunk or row band, range of MR tiles). Output channels are split too
  // when the pixels alone leave threads idle.
  const int64_t images = g.batch * g.group;
  const int64_t pchunks = p.path == ConvPath::kBand ? (p.oh + p.rows - 1) / p.rows : (P + p.chunk - 1) / p.chunk;
  int64_t mt_per = p.mtiles;
  if (threads > 1 && images * pchunks < 4 * threads) {
    const int64_t parts = (4 * threads + images * pchunks - 1) / (images * pchunks);
    mt_per = std::max<int64_t>(1, (p.mtiles + parts - 1) / parts);
  }
  const int64_t mchunks = (p.mtiles + mt_per - 1) / mt_per;
  auto run_tiles = [&](int64_t grp, int64_t mt0, int64_t mt1, size_t nc, const float* b, const int32_t* offs,
                       float* y_img, int64_t pix) {
    for (int64_t mt = mt0; mt < mt1; ++mt) {
      const int64_t m0 = mt * p.mr, rows = std::min(p.mr, p.mg - m0);
      float* c = y_img + (grp * p.mg + m0) * P + pix;
      cfg.ukernel(static_cast<size_t>(rows), nc, static_cast<size_t>(p.k), packed + (grp * p.mtiles + mt) * wtile, b,
                  offs, c, static_cast<size_t>(P), params);
      if (post)
        for (int64_t i = 0; i < rows; ++i) act.apply(c + i * P, static_cast<long>(nc));
    }
  };
  // What each slot holds (image and pixel chunk): items that split one chunk's output channels come
  // in order, so a thread taking several of them copies its operand once, not once per item.
  int64_t slot_holds[kConvMaxSlots];
  std::fill(slot_holds, slot_holds + kConvMaxSlots, int64_t{-1});
  conv_for_each_with_slot(pool, images * pchunks * mchunks, slots, [&](int slot, int64_t item) {
    const int64_t mc = item % mchunks;
    const int64_t pc = (item / mchunks) % pchunks;
    const int64_t img = item / mchunks / pchunks, grp = img % g.group, n = img / g.group;
    const int64_t mt0 = mc * mt_per, mt1 = std::min(p.mtiles, mt0 + mt_per);
    const float* x_g = x + (n * g.c_in + grp * cg) * Pin;
    float* y_img = y + n * g.c_out * P;
    float* slot_mem = slot_base + slot * p.slot_floats;
    const bool filled = slot_holds[slot] == item / mchunks;
    slot_holds[slot] = item / mchunks;
    if (p.path == ConvPath::kPointwise && p.pitch) {
      const int64_t p0 = pc * p.chunk, count = std::min(p.chunk, P - p0);
      for (int64_t c = 0; c < p.k && !filled; ++c) {
        float* dst = slot_mem + c * p.pitch;
        std::memcpy(dst, x_g + c * Pin + p0, static_cast<size_t>(count) * sizeof(float));
        std::fill(dst + count, dst + round_nr(count), 0.0f);
      }
      run_tiles(grp, mt0, mt1, static_cast<size_t>(count), slot_mem, koff, y_img, p0);
    } else if (p.path == ConvPath::kPointwise) {
      const int64_t p0 = pc * p.chunk, count = std::min(p.chunk, P - p0);
      // The last 1-7 pixels of a plane go through a small zero-padded copy: 8-wide loads of the
      // plane itself would run past the end of the input.
      const int64_t main = p0 + count == P ? count / kNR * kNR : count, tail = count - main;
      if (main > 0) run_tiles(grp, mt0, mt1, static_cast<size_t>(main), x_g + p0, koff, y_img, p0);
      if (tail > 0) {
        for (int64_t c = 0; c < p.k && !filled; ++c) {
          float* dst = slot_mem + c * kNR;
          std::memcpy(dst, x_g + c * Pin + p0 + main, static_cast<size_t>(tail) * sizeof(float));
          std::fill(dst + tail, dst + kNR, 0.0f);
        }
        run_tiles(grp, mt0, mt1, static_cast<size_t>(tail), slot_mem, koff + p.k, y_img, p0 + main);
      }
    } else if (p.path == ConvPath::kBand) {
      const int64_t oh0 = pc * p.rows, nrows = std::min(p.rows, p.oh - oh0);
      if (!filled) fill_band(p, cg, x_g, oh0, slot_mem);
      for (int64_t mt = mt0; mt < mt1; ++mt)
        for (int64_t r = 0; r < nrows; ++r)
          run_tiles(grp, mt, mt + 1, static_cast<size_t>(p.ow), slot_mem + r * p.sh * p.sw * p.wq, koff, y_img,
                    (oh0 + r) * p.ow);
    } else {
      const int64_t p0 = pc * p.chunk, count = std::min(p.chunk, P - p0);
      int32_t* bases = reinterpret_cast<int32_t*>(slot_mem + align_up(static_cast<size_t>(p.k * p.chunk)));
      if (!filled) fill_im2col_panel(g, x_g, p0, count, p.chunk, slot_mem, bases);
      run_tiles(grp, mt0, mt1, static_cast<size_t>(count), slot_mem, koff, y_img, p0);
    }
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

namespace {
// y[t * kw + b] = src[b * stride + t] for t < n, b < kw: kw rows interleaved into one output row.
void interleave_rows(const float* src, int64_t stride, int64_t kw, int64_t n, float* y) {
  int64_t t = 0;
#if EDGEINFER_SIMD128
  if (kw == 2) {
    const float* s1 = src + stride;
    for (; t + 4 <= n; t += 4) {
      const v128_t v0 = wasm_v128_load(src + t), v1 = wasm_v128_load(s1 + t);
      wasm_v128_store(y + 2 * t, wasm_i32x4_shuffle(v0, v1, 0, 4, 1, 5));
      wasm_v128_store(y + 2 * t + 4, wasm_i32x4_shuffle(v0, v1, 2, 6, 3, 7));
    }
  }
#endif
  for (; t < n; ++t)
    for (int64_t b = 0; b < kw; ++b) y[t * kw + b] = src[b * stride + t];
}
}  // namespace

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
  // Kernel == stride, no pads or dilation, 2-D (U-Net / DB-head upsampling): every output pixel gets
  // exactly one product, so items split input pixels too (threads no longer wait on a few channel
  // blocks) and write act(product + bias) directly, without a bias fill and a second pass.
  bool tiles_exactly = g.nd == 2;
  for (int d = 0; d < g.nd; ++d)
    tiles_exactly &= g.kernel[d] == g.stride[d] && g.dilation[d] == 1 && g.pad_begin[d] == 0 &&
                     g.out[d] == g.in[d] * g.stride[d];
  if (tiles_exactly) {
    const int64_t pchunks = (Pin + plan.nt - 1) / plan.nt;
    const int64_t kh = g.kernel[0], kw = g.kernel[1], iw_n = g.in[1], ow_n = g.out[1];
    conv_for_each_with_slot(pool, g.batch * g.group * mblocks * pchunks, slots, [&](int slot, int64_t item) {
      const int64_t pc = item % pchunks, rest = item / pchunks;
      const int64_t mblk = rest % mblocks, grp = (rest / mblocks) % g.group, n = rest / mblocks / g.group;
      const int64_t m0 = mblk * plan.mb, mcount = std::min(plan.mb, plan.mg - m0), rows = mcount * plan.kk;
      const int64_t p0 = pc * plan.nt, count = std::min(plan.nt, Pin - p0);
      float* panel = slot_base + slot * plan.slot_floats;
      float* col = panel + plan.panel_floats;
      const float* xg = x + (n * g.c_in + grp * plan.cg) * Pin;
      f32_gemm_pack_b(static_cast<size_t>(plan.cg), static_cast<size_t>(count), cfg.nr, xg + p0,
                      static_cast<size_t>(Pin), 1, 1.0f, nullptr, 0, 0.0f, panel);
      f32_gemm_tile(cfg, 0, rows, 0, count, plan.cg, packed + (grp * plan.mg + m0) * plan.kk * plan.cg, plan.cg, panel,
                    col, plan.nt, none);
      for (int64_t r = 0; r < rows; ++r) {
        const float bv = bias ? bias[grp * plan.mg + m0 + r / plan.kk] : 0.0f;
        float* cr = col + r * plan.nt;
        for (int64_t j = 0; j < count; ++j) cr[j] += bv;
        if (act.kind != Activation::kNone || act.has_affine()) act.apply(cr, static_cast<long>(count));
      }
      // Rows (m, a, b = 0..kw-1) are consecutive in col: output row ih * kh + a takes them interleaved,
      // one input row segment at a time.
      for (int64_t m = 0; m < mcount; ++m) {
        float* ym = y + (n * g.c_out + grp * plan.mg + m0 + m) * P;
        for (int64_t a = 0; a < kh; ++a) {
          const float* c0 = col + (m * plan.kk + a * kw) * plan.nt;
          int64_t ih = p0 / iw_n, iw = p0 % iw_n;
          for (int64_t j = 0; j < count;) {
            const int64_t seg = std::min(count - j, iw_n - iw);
            interleave_rows(c0 + j, plan.nt, kw, seg, ym + (ih * kh + a) * ow_n + iw * kw);
            j += seg;
            iw = 0;
            ++ih;
          }
        }
      }
    });
    return;
  }
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
    if (act.kind != Activation::kNone || act.has_affine()) act.apply(yb, static_cast<long>(mcount * P));
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
