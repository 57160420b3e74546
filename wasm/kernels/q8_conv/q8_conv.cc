// Quantized convolution: weights as the A side, packed int16 activation panels as the B side, output
// tiles straight into NCHW (see q8_conv.h).
#include "kernels/q8_conv/q8_conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/simd.h"

namespace edgeinfer {
namespace {

// The int16 operand of one work item (band, pointwise chunk or panel) stays within this many bytes,
// so it is reread from L2 by every tile of output channels.
constexpr int64_t kOperandBytes = 128 * 1024;
constexpr size_t kAlign = 16;
size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
int64_t round8(int64_t n) { return (n + 7) / 8 * 8; }

enum class Path {
  kPointwise,  // 1x1, stride 1, no pads: chunks of the input planes, channel pairs interleaved
  kBand,       // 1-D/2-D: a few zero-padded input rows per item, split by stride phase
  kPanel,      // anything else (3-D, rows too narrow for 8-pixel tiles): im2col panels of pairs
};

struct Plan {
  Path path;
  int64_t mr, mg, mtiles, cg, cpairs, ks, kc;  // kc reduction steps (pairs)
  // Single-channel groups (first layers: grayscale input) pair kernel positions along the first
  // spatial dim instead of channels (a padding channel would waste half of every step):
  // k0 = kernel[0], rest = ks / k0, kc = ceil(k0 / 2) * rest; in a row band the pair of a lane is
  // then (input row ih, ih + dh).
  bool tap_pairs;
  int64_t k0, rest;
  int64_t planes;  // band: channel pairs (1 with tap pairs)
  size_t wtile;                                // int16 elements per packed weight tile
  int64_t chunk = 0;                           // pointwise/panel: output pixels per item (multiple of 8)
  int64_t pitch = 0;                           // pointwise/panel: lanes (pairs) per operand row
  // Band geometry (2-D view; 1-D convolutions are 1 x W): output rows per item, input rows per band,
  // stride-phase row width in lanes (a multiple of 8).
  int64_t rows = 1, band_rows = 1, wq = 0;
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  size_t koff_bytes;                     // the offset table, shared by all items
  size_t operand_bytes, row_bytes, bases_bytes, slot_bytes;  // per thread slot
};

bool is_pointwise(const ConvGeometry& g) {
  for (int d = 0; d < g.nd; ++d)
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad_begin[d] != 0 || g.in[d] != g.out[d]) return false;
  return true;
}

Plan make_plan(const ConvGeometry& g, int threads) {
  Plan p;
  p.mr = q8_conv_ukernel_config().mr;
  p.mg = g.c_out / g.group;
  p.mtiles = (p.mg + p.mr - 1) / p.mr;
  p.cg = g.c_in / g.group;
  p.cpairs = (p.cg + 1) / 2;
  p.ks = g.kernel_size();
  p.k0 = g.kernel[0];
  p.rest = p.ks / std::max<int64_t>(1, p.k0);
  p.tap_pairs = p.cg == 1 && g.nd >= 2 && p.k0 >= 2;
  p.kc = p.tap_pairs ? (p.k0 + 1) / 2 * p.rest : p.cpairs * p.ks;
  p.planes = p.tap_pairs ? 1 : p.cpairs;
  p.wtile = q8_conv_weight_tile_size(static_cast<int>(p.mr), static_cast<size_t>(p.kc));
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
  const int64_t P = g.out_size();
  const int64_t items_wanted = threads > 1 ? 4 * threads : 1;
  const int64_t images = g.batch * g.group;
  p.koff_bytes = align_up(static_cast<size_t>(p.kc) * sizeof(int32_t));
  p.bases_bytes = 0;
  auto pitch_for = [](int64_t chunk) {
    // Rows whose byte pitch is (nearly) a multiple of 4 KiB map to the same few L1 sets and thrash.
    const int64_t skew = (chunk * 4) % 4096;
    return std::min(skew, 4096 - skew) < 256 ? chunk + 8 : chunk;
  };
  if (is_pointwise(g) || (g.nd <= 2 ? p.ow * 4 < round8(p.ow) * 3 : true)) {
    // Pointwise chunks, or im2col panels (3-D and up, rows too narrow for 8-pixel tiles).
    p.path = is_pointwise(g) ? Path::kPointwise : Path::kPanel;
    const int64_t lanes = p.path == Path::kPointwise ? p.cpairs : p.kc;  // operand rows
    p.chunk = std::max<int64_t>(8, std::min<int64_t>(1024, kOperandBytes / 4 / lanes / 8 * 8));
    p.chunk = std::min(p.chunk, round8(P));
    while (p.chunk > 32 && images * ((P + p.chunk - 1) / p.chunk) < items_wanted) p.chunk = round8(p.chunk / 2);
    p.pitch = pitch_for(p.chunk);
    p.operand_bytes = align_up(static_cast<size_t>(lanes * p.pitch * 4));
    p.row_bytes = align_up(static_cast<size_t>(p.chunk + 16));
    if (p.path == Path::kPanel) p.bases_bytes = align_up(static_cast<size_t>(g.nd * p.chunk) * sizeof(int32_t));
  } else {
    p.path = Path::kBand;
    p.wq = round8(round8(p.ow) + (p.kw - 1) * p.dw / p.sw);
    auto band_bytes = [&](int64_t r) { return p.planes * ((r - 1) * p.sh + (p.kh - 1) * p.dh + 1) * p.sw * p.wq * 4; };
    p.rows = 1;
    while (p.rows < p.oh && band_bytes(p.rows + 1) <= kOperandBytes) ++p.rows;
    while (p.rows > 1 && images * ((p.oh + p.rows - 1) / p.rows) < items_wanted) p.rows = (p.rows + 1) / 2;
    p.band_rows = (p.rows - 1) * p.sh + (p.kh - 1) * p.dh + 1;
    p.operand_bytes = align_up(static_cast<size_t>(band_bytes(p.rows)));
    p.row_bytes = align_up(static_cast<size_t>(p.wq + 16));
  }
  p.slot_bytes = p.operand_bytes + 2 * p.row_bytes + p.bases_bytes;
  return p;
}

// The two (channel, kernel position) taps of reduction step t; the second is padding (zero weight)
// when b_valid is false.
struct StepTaps {
  int64_t ca, kpa, cb, kpb;
  bool b_valid;
};
StepTaps step_taps(const Plan& p, int64_t t) {
  if (p.tap_pairs) {
    const int64_t a0 = 2 * (t / p.rest), r = t % p.rest;
    return {0, a0 * p.rest + r, 0, (a0 + 1) * p.rest + r, a0 + 1 < p.k0};
  }
  const int64_t cp = t / p.ks, kp = t % p.ks;
  return {2 * cp, kp, 2 * cp + 1, kp, 2 * cp + 1 < p.cg};
}

// ---- byte rows of the input type (padding = the zero point, so it becomes exactly 0)

// dst[t] = src_row[iw0 + t * s] for t < n, pad where the column is outside [0, iw).
// Of n columns iw0 + t * s, those with t in [lo, hi) fall inside a row of width iw.
struct RowSpan {
  int64_t lo, hi;
};
RowSpan row_span(int64_t iw0, int64_t n, int64_t s, int64_t iw) {
  if (s == 1) {  // no divisions (64-bit ones are slow in wasm)
    const int64_t lo = std::min(n, std::max<int64_t>(0, -iw0));
    return {lo, std::max(lo, std::min(n, iw - iw0))};
  }
  const int64_t lo = std::min(n, iw0 >= 0 ? 0 : (-iw0 + s - 1) / s);
  return {lo, std::max(lo, std::min(n, iw0 < iw ? (iw - iw0 + s - 1) / s : 0))};
}

void strided_row(uint8_t* dst, const uint8_t* src_row, int64_t iw0, int64_t n, int64_t s, RowSpan span, uint8_t pad) {
  const int64_t lo = span.lo, hi = span.hi;
  // Edges are a few bytes: plain loops (memset is a call in wasm).
  for (int64_t t = 0; t < lo; ++t) dst[t] = pad;
  for (int64_t t = hi; t < n; ++t) dst[t] = pad;
  const uint8_t* src = src_row + iw0 + lo * s;
  dst += lo;
  const int64_t m = hi - lo;
  if (m <= 0) return;
  int64_t t = 0;
  if (s == 1) {
#if EDGEINFER_SIMD128
    // Rows are short (tens to hundreds of bytes): inline copies beat a memcpy call in wasm.
    for (; t + 16 <= m; t += 16) wasm_v128_store(dst + t, wasm_v128_load(src + t));
    if (t + 8 <= m) {
      wasm_v128_store64_lane(dst + t, wasm_v128_load64_zero(src + t), 0);
      t += 8;
    }
    for (; t < m; ++t) dst[t] = src[t];
#else
    std::memcpy(dst, src, static_cast<size_t>(m));
#endif
    return;
  }
#if EDGEINFER_SIMD128
  if (s == 2) {
    // 16 bytes in, the 8 even ones out; loads stay inside the 2 * m - 1 bytes the row part covers.
    for (; (t + 8) * 2 <= 2 * m - 1; t += 8) {
      const v128_t v = wasm_v128_load(src + 2 * t);
      wasm_v128_store64_lane(dst + t, wasm_i8x16_shuffle(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14),
                             0);
    }
  }
#endif
  for (; t < m; ++t) dst[t] = src[t * s];
}

// Row k = (c, kernel position kp) of a 1-D/2-D im2col for output pixels [p0, p0 + count).
void fill_row_2d(const Plan& p, const uint8_t* xc, int64_t kp, int64_t p0, int64_t count, uint8_t pad,
                 uint8_t* dst) {
  const int64_t a = kp / p.kw, b = kp % p.kw;
  int64_t oh = p0 / p.ow, ow0 = p0 % p.ow;
  for (int64_t j = 0; j < count; ++oh, ow0 = 0) {
    const int64_t run = std::min(count - j, p.ow - ow0);
    const int64_t ih = oh * p.sh - p.pt + a * p.dh;
    if (ih < 0 || ih >= p.ih) {
      std::memset(dst + j, pad, static_cast<size_t>(run));
    } else {
      const int64_t iw0 = ow0 * p.sw - p.pl + b * p.dw;
      strided_row(dst + j, xc + ih * p.iw, iw0, run, p.sw, row_span(iw0, run, p.sw, p.iw), pad);
    }
    j += run;
  }
}

// Per output pixel p0 + j and dim d: bases[d * count + j] = o_d * stride_d - pad_d.
void pixel_bases(const ConvGeometry& g, int64_t p0, int64_t count, int32_t* bases) {
  for (int64_t j = 0; j < count; ++j) {
    int64_t q = p0 + j;
    for (int d = g.nd - 1; d >= 0; --d) {
      bases[d * count + j] = static_cast<int32_t>(q % g.out[d] * g.stride[d] - g.pad_begin[d]);
      q /= g.out[d];
    }
  }
}

void fill_row_generic(const ConvGeometry& g, const uint8_t* xc, int64_t kp, const int32_t* bases, int64_t count,
                      uint8_t pad, uint8_t* dst) {
  std::vector<int64_t> kcoord(static_cast<size_t>(g.nd));
  for (int d = g.nd - 1; d >= 0; --d) {
    kcoord[d] = kp % g.kernel[d] * g.dilation[d];
    kp /= g.kernel[d];
  }
  for (int64_t j = 0; j < count; ++j) {
    int64_t off = 0;
    bool inside = true;
    for (int d = 0; d < g.nd; ++d) {
      const int64_t i = bases[d * count + j] + kcoord[d];
      inside &= static_cast<uint64_t>(i) < static_cast<uint64_t>(g.in[d]);
      off = off * g.in[d] + i;
    }
    dst[j] = inside ? xc[off] : pad;
  }
}

// 8-pixel tiles of two byte rows (channels 2cp and 2cp + 1) into consecutive int16 pairs
// [a0 b0 a1 b1 ... a7 b7] minus the zero point.
template <bool kU8>
void interleave_rows(const uint8_t* a, const uint8_t* b, int64_t tiles, int32_t zp, int16_t* dst) {
#if EDGEINFER_SIMD128
  const v128_t vzp = wasm_i16x8_splat(static_cast<int16_t>(zp));
  for (int64_t t = 0; t < tiles; ++t, a += 8, b += 8, dst += 16) {
    const v128_t va = wasm_i16x8_sub(kU8 ? wasm_u16x8_load8x8(a) : wasm_i16x8_load8x8(a), vzp);
    const v128_t vb = wasm_i16x8_sub(kU8 ? wasm_u16x8_load8x8(b) : wasm_i16x8_load8x8(b), vzp);
    wasm_v128_store(dst, wasm_i16x8_shuffle(va, vb, 0, 8, 1, 9, 2, 10, 3, 11));
    wasm_v128_store(dst + 8, wasm_i16x8_shuffle(va, vb, 4, 12, 5, 13, 6, 14, 7, 15));
  }
#else
  auto ld = [](const uint8_t* q, int64_t j) -> int32_t {
    return kU8 ? static_cast<int32_t>(q[j]) : static_cast<int32_t>(static_cast<int8_t>(q[j]));
  };
  for (int64_t j = 0; j < tiles * 8; ++j) {
    dst[2 * j] = static_cast<int16_t>(ld(a, j) - zp);
    dst[2 * j + 1] = static_cast<int16_t>(ld(b, j) - zp);
  }
#endif
}

void interleave(bool x_u8, const uint8_t* a, const uint8_t* b, int64_t tiles, int32_t zp, int16_t* dst) {
  if (x_u8)
    interleave_rows<true>(a, b, tiles, zp, dst);
  else
    interleave_rows<false>(a, b, tiles, zp, dst);
}

struct ItemInput {
  const uint8_t* x_g;  // the group's first input plane
  bool x_u8;
  int32_t x_zp;
  uint8_t pad;
  uint8_t *row0, *row1;  // two staging byte rows
  int32_t* bases;
};

// Input rows [oh0 * sh - pt, +band_rows) of every channel pair, zero-padded, each split into sw
// stride phases of wq lanes: lane t of phase q of band row r of pair cp holds the pair of input column
// t * sw + q - pl. Output pixel ow at kernel column kw then reads phase (kw * dw) % sw at lane
// ow + (kw * dw) / sw: consecutive pixels are consecutive lanes whatever the stride.
void fill_band(const ConvGeometry& g, const Plan& p, const ItemInput& in, int64_t oh0, int16_t* band) {
  const int64_t ih0 = oh0 * p.sh - p.pt, plane = g.in_size();
  // Every band row of a phase covers the same columns.
  RowSpan spans[16];
  std::vector<RowSpan> many;
  RowSpan* span = spans;
  if (p.sw > 16) {
    many.resize(static_cast<size_t>(p.sw));
    span = many.data();
  }
  for (int64_t q = 0; q < p.sw; ++q) span[q] = row_span(q - p.pl, p.wq, p.sw, p.iw);
  for (int64_t cp = 0; cp < p.planes; ++cp) {
    for (int64_t r = 0; r < p.band_rows; ++r) {
      int16_t* dst = band + (cp * p.band_rows + r) * p.sw * p.wq * 2;
      // The pair's two input rows (null: padding): channels 2cp and 2cp + 1 of row ih, or with tap
      // pairs rows ih and ih + dh of the one channel.
      const int64_t ih = ih0 + r, ihb = p.tap_pairs ? ih + p.dh : ih;
      const uint8_t* xa = in.x_g + 2 * cp * plane;
      const uint8_t* xb = p.tap_pairs ? xa : xa + plane;
      const uint8_t* ra = ih >= 0 && ih < p.ih ? xa + ih * p.iw : nullptr;
      const uint8_t* rb = (p.tap_pairs || 2 * cp + 1 < p.cg) && ihb >= 0 && ihb < p.ih ? xb + ihb * p.iw : nullptr;
      if (!ra && !rb) {
        std::memset(dst, 0, static_cast<size_t>(p.sw * p.wq) * 4);
        continue;
      }
      for (int64_t q = 0; q < p.sw; ++q) {
        if (ra) strided_row(in.row0, ra, q - p.pl, p.wq, p.sw, span[q], in.pad);
        else std::memset(in.row0, in.pad, static_cast<size_t>(p.wq));
        if (rb) strided_row(in.row1, rb, q - p.pl, p.wq, p.sw, span[q], in.pad);
        else std::memset(in.row1, in.pad, static_cast<size_t>(p.wq));
        interleave(in.x_u8, in.row0, in.row1, p.wq / 8, in.x_zp, dst + q * p.wq * 2);
      }
    }
  }
}

// Pointwise chunk or im2col panel: operand row t (t < cpairs for pointwise, < kc for the panel) holds
// the pairs of output pixels [p0, p0 + count) at operand + t * pitch * 2, padded to round8(count).
void fill_rows(const ConvGeometry& g, const Plan& p, const ItemInput& in, int64_t p0, int64_t count,
               int16_t* operand) {
  const int64_t plane = g.in_size(), tiles = round8(count) / 8;
  if (p.path == Path::kPanel && g.nd > 2) pixel_bases(g, p0, count, in.bases);
  // Pointwise rows are read in place when the 8-wide loads of the last tile stay inside the plane.
  const bool direct = p.path == Path::kPointwise && p0 + round8(count) <= plane;
  auto row = [&](int64_t c, int64_t kp, uint8_t* buf) -> const uint8_t* {
    const uint8_t* xc = in.x_g + c * plane;
    if (direct) return xc + p0;
    if (p.path == Path::kPointwise)
      std::memcpy(buf, xc + p0, static_cast<size_t>(count));
    else if (g.nd <= 2)
      fill_row_2d(p, xc, kp, p0, count, in.pad, buf);
    else
      fill_row_generic(g, xc, kp, in.bases, count, in.pad, buf);
    std::memset(buf + count, in.pad, static_cast<size_t>(round8(count) - count));
    return buf;
  };
  for (int64_t t = 0; t < p.kc; ++t) {
    const StepTaps st = step_taps(p, t);
    const uint8_t* a = row(st.ca, st.kpa, in.row0);
    // A padding tap meets zero weights: any values do.
    const uint8_t* b = st.b_valid ? row(st.cb, st.kpb, in.row1) : a;
    interleave(in.x_u8, a, b, tiles, in.x_zp, operand + t * p.pitch * 2);
  }
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
    const int64_t i = o * g.stride[d] - g.pad_begin[d] + kk * g.dilation[d];
    if (i < 0 || i >= g.in[d]) return -1;
    off += i * istride;
  }
  return off;
}

}  // namespace

size_t q8_conv_packed_size(const ConvGeometry& g) {
  const Plan p = make_plan(g, 1);
  return static_cast<size_t>(g.group * p.mtiles) * p.wtile;
}

void q8_conv_pack_weights(const ConvGeometry& g, const void* w, Q8Type w_type, const void* w_zp, size_t w_zp_stride,
                          const int32_t* bias, int16_t* packed) {
  const Plan p = make_plan(g, 1);
  auto ld = [w_type](const void* q, int64_t i) -> int32_t {
    return w_type == Q8Type::kU8 ? static_cast<const uint8_t*>(q)[i] : static_cast<const int8_t*>(q)[i];
  };
  for (int64_t grp = 0; grp < g.group; ++grp)
    for (int64_t t = 0; t < p.mtiles; ++t) {
      int16_t* dst = packed + static_cast<size_t>(grp * p.mtiles + t) * p.wtile;
      for (int64_t i = 0; i < p.mr; ++i) {
        const int64_t m = t * p.mr + i, ch = grp * p.mg + m;
        const bool valid = m < p.mg;
        const int32_t b = valid && bias ? bias[ch] : 0;
        std::memcpy(dst + 2 * i, &b, sizeof b);
        const int32_t wz = valid && w_zp ? ld(w_zp, ch * static_cast<int64_t>(w_zp_stride)) : 0;
        for (int64_t step = 0; step < p.kc; ++step) {
          const StepTaps st = step_taps(p, step);
          int16_t* d = dst + 2 * p.mr * (1 + step) + 2 * i;
          d[0] = static_cast<int16_t>(valid ? ld(w, (ch * p.cg + st.ca) * p.ks + st.kpa) - wz : 0);
          d[1] = static_cast<int16_t>(valid && st.b_valid ? ld(w, (ch * p.cg + st.cb) * p.ks + st.kpb) - wz : 0);
        }
      }
    }
}

int64_t q8_conv_block_pixels(const ConvGeometry& g, int threads) {
  const Plan p = make_plan(g, threads);
  return p.path == Path::kBand ? p.rows * p.ow : p.chunk;
}

size_t q8_conv_scratch_bytes(const ConvGeometry& g, int slots) {
  const Plan p = make_plan(g, 1);
  return p.koff_bytes + p.slot_bytes * static_cast<size_t>(std::max(1, std::min(slots, kConvMaxSlots)));
}

void q8_conv(const ConvGeometry& g, const void* x, Q8Type x_type, int32_t x_zp, const int16_t* packed, void* y,
             const Q8GemmOutput& out, ThreadPool* pool, void* scratch, size_t scratch_bytes) {
  const int64_t P = g.out_size(), I = g.in_size();
  if (P <= 0 || g.batch <= 0 || g.c_out <= 0) return;
  // Tiny convolutions (a few hundred thousand MACs: MNIST-sized layers) cost less than waking threads.
  const double macs = static_cast<double>(g.batch) * g.c_out * P * (g.c_in / g.group) * g.kernel_size();
  const int threads = pool && macs >= 1e6 ? pool->num_threads() : 1;
  const Plan p = make_plan(g, threads);
  // Slots are laid out for the largest operand (one thread's plan); more threads only shrink items.
  const Plan p1 = make_plan(g, 1);
  if (scratch_bytes < p1.koff_bytes + p1.slot_bytes) return;
  const int slots = static_cast<int>(std::min<size_t>(kConvMaxSlots, (scratch_bytes - p1.koff_bytes) / p1.slot_bytes));
  int32_t* koff = static_cast<int32_t*>(scratch);
  uint8_t* slot_base = static_cast<uint8_t*>(scratch) + p1.koff_bytes;
  if (p.path == Path::kBand) {
    for (int64_t t = 0; t < p.kc; ++t) {
      const StepTaps st = step_taps(p, t);
      const int64_t cp = st.ca / 2, a = st.kpa / p.kw, b = st.kpa % p.kw;
      koff[t] = static_cast<int32_t>(
          (((cp * p.band_rows + a * p.dh) * p.sw + (b * p.dw) % p.sw) * p.wq + (b * p.dw) / p.sw) * 2);
    }
  } else {
    for (int64_t t = 0; t < p.kc; ++t) koff[t] = static_cast<int32_t>(t * p.pitch * 2);
  }
  const Q8ConvUKernel uk = q8_conv_ukernel_config().get(out.type);
  const size_t es = q8_type_size(out.type);
  const int64_t images = g.batch * g.group;
  const int64_t pchunks = p.path == Path::kBand ? (p.oh + p.rows - 1) / p.rows : (P + p.chunk - 1) / p.chunk;
  // Output channel tiles are split too when the pixels alone leave threads idle.
  int64_t mt_per = p.mtiles;
  if (threads > 1 && images * pchunks < 4 * threads) {
    const int64_t parts = (4 * threads + images * pchunks - 1) / (images * pchunks);
    mt_per = std::max<int64_t>(1, (p.mtiles + parts - 1) / parts);
  }
  const int64_t mchunks = (p.mtiles + mt_per - 1) / mt_per;
  // What each slot holds (image and pixel chunk): items that split one chunk's channel tiles come in
  // order, so a thread taking several of them fills its operand once.
  int64_t slot_holds[kConvMaxSlots];
  std::fill(slot_holds, slot_holds + kConvMaxSlots, int64_t{-1});
  const uint8_t pad = static_cast<uint8_t>(x_zp);
  conv_for_each_with_slot(threads > 1 ? pool : nullptr, images * pchunks * mchunks, slots, [&](int slot, int64_t item) {
    const int64_t mc = item % mchunks, pc = (item / mchunks) % pchunks, img = item / mchunks / pchunks;
    const int64_t grp = img % g.group, n = img / g.group;
    uint8_t* mem = slot_base + static_cast<size_t>(slot) * p1.slot_bytes;
    int16_t* operand = reinterpret_cast<int16_t*>(mem);
    ItemInput in;
    in.x_g = static_cast<const uint8_t*>(x) + (n * g.c_in + grp * p.cg) * I;
    in.x_u8 = x_type == Q8Type::kU8;
    in.x_zp = x_zp;
    in.pad = pad;
    in.row0 = mem + p.operand_bytes;
    in.row1 = in.row0 + p.row_bytes;
    in.bases = reinterpret_cast<int32_t*>(in.row1 + p.row_bytes);
    const bool filled = slot_holds[slot] == item / mchunks;
    slot_holds[slot] = item / mchunks;
    const int64_t mt1 = std::min(p.mtiles, (mc + 1) * mt_per);
    auto run_tiles = [&](int64_t mt, size_t nc, const int16_t* b, int64_t pix) {
      const int64_t m0 = mt * p.mr, ch = grp * p.mg + m0;
      uint8_t* c = static_cast<uint8_t*>(y) + static_cast<size_t>((n * g.c_out + ch) * P + pix) * es;
      uk(static_cast<size_t>(std::min(p.mr, p.mg - m0)), nc, static_cast<size_t>(p.kc),
         packed + static_cast<size_t>(grp * p.mtiles + mt) * p.wtile, b, koff, c, static_cast<size_t>(P),
         static_cast<size_t>(ch), out);
    };
    if (p.path == Path::kBand) {
      const int64_t oh0 = pc * p.rows, nrows = std::min(p.rows, p.oh - oh0);
      if (!filled) fill_band(g, p, in, oh0, operand);
      for (int64_t mt = mc * mt_per; mt < mt1; ++mt)
        for (int64_t r = 0; r < nrows; ++r)
          run_tiles(mt, static_cast<size_t>(p.ow), operand + r * p.sh * p.sw * p.wq * 2, (oh0 + r) * p.ow);
    } else {
      const int64_t p0 = pc * p.chunk, count = std::min(p.chunk, P - p0);
      if (!filled) fill_rows(g, p, in, p0, count, operand);
      for (int64_t mt = mc * mt_per; mt < mt1; ++mt) run_tiles(mt, static_cast<size_t>(count), operand, p0);
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
