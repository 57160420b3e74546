// Tiling of a whole quantized GEMM over the microkernels and the thread pool.
#include <algorithm>
#include <atomic>
#include <vector>

#include "kernels/q8_gemm/q8_gemm.h"
#include "kernels/simd.h"

namespace edgeinfer {

const Q8GemmConfig& q8_gemm_config() {
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  return q8_gemm_4x8c2__simd128();
#else
  return q8_gemm_4x8c2__scalar();
#endif
}

namespace {
// The relaxed kernels serve the wasm relaxed variant only: natively they run an emulation (for tests),
// slower than the KR = 2 kernels.
#if defined(__wasm_simd128__) && EDGEINFER_Q8_RELAXED_DOT
std::atomic<bool> g_use_relaxed{true};
#else
std::atomic<bool> g_use_relaxed{false};
#endif
}  // namespace

const Q8GemmConfig* q8_gemm_relaxed_config() {
#if EDGEINFER_Q8_RELAXED_DOT
  static const bool exact = q8_relaxed_dot_is_exact();
  if (exact && g_use_relaxed.load(std::memory_order_relaxed)) return &q8_gemm_4x8c4__relaxedsimd();
#endif
  return nullptr;
}

void q8_gemm_use_relaxed(bool on) { g_use_relaxed.store(on, std::memory_order_relaxed); }

const Q8GemmConfig& q8_gemm_config_for_kr(size_t kr) {
#if EDGEINFER_Q8_RELAXED_DOT
  if (kr == 4) return q8_gemm_4x8c4__relaxedsimd();
#endif
  return q8_gemm_config();
}

namespace {

#if EDGEINFER_SIMD128
// Rows v[0..3] of 4 32-bit lanes each, stored column by column: lane j of every row, for j = 0..3
// (64 bytes at dst). Packs 4 rows of A into [group][4 rows][32 bits].
inline void store_transposed_4x4_u32(const v128_t (&v)[4], void* dst) {
  const v128_t t0 = wasm_i32x4_shuffle(v[0], v[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(v[2], v[3], 0, 4, 1, 5);
  const v128_t t2 = wasm_i32x4_shuffle(v[0], v[1], 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(v[2], v[3], 2, 6, 3, 7);
  uint8_t* o = static_cast<uint8_t*>(dst);
  wasm_v128_store(o, wasm_i64x2_shuffle(t0, t1, 0, 2));
  wasm_v128_store(o + 16, wasm_i64x2_shuffle(t0, t1, 1, 3));
  wasm_v128_store(o + 32, wasm_i64x2_shuffle(t2, t3, 0, 2));
  wasm_v128_store(o + 48, wasm_i64x2_shuffle(t2, t3, 1, 3));
}
#endif

// KR = 4: [k/4][mr][4] bytes, unsigned domain.
void pack_a_c4(size_t rows, size_t k, const uint8_t* src, Q8Type a_type, size_t lda, size_t mr, uint8_t* dst) {
  const size_t kq = (k + 3) / 4;
  const uint8_t flip = a_type == Q8Type::kS8 ? 0x80 : 0;
  for (size_t r0 = 0; r0 < rows; r0 += mr) {
    uint8_t* panel = dst + r0 * 4 * kq;
    size_t q = 0;
#if EDGEINFER_SIMD128
    if (mr == 4 && r0 + 4 <= rows) {
      // 16 bytes (4 quads) of each row, then a 4 x 4 transpose of 32-bit quads.
      const v128_t vflip = wasm_i8x16_splat(static_cast<int8_t>(flip));
      for (; 4 * q + 16 <= k; q += 4) {
        v128_t v[4];
        for (int i = 0; i < 4; ++i) v[i] = wasm_v128_xor(wasm_v128_load(src + (r0 + i) * lda + 4 * q), vflip);
        store_transposed_4x4_u32(v, panel + q * 16);
      }
    }
#endif
    for (; q < kq; ++q)
      for (size_t i = 0; i < mr; ++i)
        for (size_t j = 0; j < 4; ++j) {
          const size_t r = r0 + i, c = 4 * q + j;
          panel[(q * mr + i) * 4 + j] = r < rows && c < k ? static_cast<uint8_t>(src[r * lda + c] ^ flip) : 0;
        }
  }
}

}  // namespace

void q8_gemm_pack_a(size_t kr, size_t rows, size_t k, const void* a, Q8Type a_type, size_t lda, size_t mr,
                    int16_t* dst) {
  if (kr == 4) {
    pack_a_c4(rows, k, static_cast<const uint8_t*>(a), a_type, lda, mr, reinterpret_cast<uint8_t*>(dst));
    return;
  }
  const size_t kp = (k + 1) / 2;
  const bool u8 = a_type == Q8Type::kU8;
  const uint8_t* src = static_cast<const uint8_t*>(a);
  auto value = [&](size_t r, size_t i) -> int16_t {
    if (r >= rows || i >= k) return 0;
    const uint8_t v = src[r * lda + i];
    return static_cast<int16_t>(u8 ? static_cast<int32_t>(v) - 128 : static_cast<int8_t>(v));
  };
  for (size_t r0 = 0; r0 < rows; r0 += mr) {
    int16_t* panel = dst + r0 * 2 * kp;
    size_t p = 0;
#if EDGEINFER_SIMD128
    if (mr == 4 && r0 + 4 <= rows) {
      // 8 values (4 pairs) of each row, widened, then a 4 x 4 transpose of 32-bit pairs.
      const v128_t bias = wasm_i16x8_splat(u8 ? 128 : 0);
      for (; 2 * p + 8 <= k; p += 4) {
        v128_t v[4];
        for (int i = 0; i < 4; ++i) {
          const uint8_t* s8 = src + (r0 + i) * lda + 2 * p;
          v[i] = u8 ? wasm_i16x8_sub(wasm_u16x8_load8x8(s8), bias) : wasm_i16x8_load8x8(s8);
        }
        store_transposed_4x4_u32(v, panel + p * 8);
      }
    }
#endif
    for (; p < kp; ++p)
      for (size_t i = 0; i < mr; ++i) {
        panel[(p * mr + i) * 2] = value(r0 + i, 2 * p);
        panel[(p * mr + i) * 2 + 1] = value(r0 + i, 2 * p + 1);
      }
  }
}

void q8_gemm_tile(const Q8GemmConfig& cfg, int64_t m0, int64_t mc, int64_t n0, int64_t nc, int64_t k, const void* a,
                  Q8Type a_type, int64_t lda, const int16_t* packed_b, void* c, int64_t ldc, const Q8GemmOutput& out) {
  if (mc == 1 && cfg.single_row) {
    q8_gemm_tile(*cfg.single_row, m0, mc, n0, nc, k, a, a_type, lda, packed_b, c, ldc, out);
    return;
  }
  const Q8GemmUKernel uk = cfg.get(out.type);
  const size_t es = q8_type_size(out.type);
  const size_t mr = static_cast<size_t>(cfg.mr);
  const size_t kr = static_cast<size_t>(cfg.kr);
  const size_t kw = q8_gemm_packed_a_size(1, static_cast<size_t>(k), 1, kr);  // int16 per packed row
  const int16_t* w = packed_b + static_cast<size_t>(n0) / kQ8GemmNR * 16 * (1 + (static_cast<size_t>(k) + kr - 1) / kr);
  // Rows are packed in blocks of about 64 KB (at least MR rows), each block once for all the tile's
  // column blocks. One buffer per thread, kept between calls.
  thread_local std::vector<int16_t> packed_a;
  const int64_t block_rows = std::min<int64_t>(
      mc, std::max<int64_t>(cfg.mr, static_cast<int64_t>(32768 / kw) / cfg.mr * cfg.mr));
  const size_t need = q8_gemm_packed_a_size(static_cast<size_t>(block_rows), static_cast<size_t>(k), mr, kr);
  if (packed_a.size() < need) packed_a.resize(need);
  for (int64_t mb = m0; mb < m0 + mc; mb += block_rows) {
    const int64_t rows_in_block = std::min<int64_t>(block_rows, m0 + mc - mb);
    q8_gemm_pack_a(kr, static_cast<size_t>(rows_in_block), static_cast<size_t>(k), static_cast<const uint8_t*>(a) + mb * lda,
                   a_type, static_cast<size_t>(lda), mr, packed_a.data());
    for (int64_t m = mb; m < mb + rows_in_block; m += cfg.mr) {
      const int64_t rows = std::min<int64_t>(cfg.mr, mb + rows_in_block - m);
      uk(static_cast<size_t>(rows), static_cast<size_t>(nc), static_cast<size_t>(k),
         packed_a.data() + static_cast<size_t>(m - mb) * kw, w, static_cast<uint8_t*>(c) + (m * ldc + n0) * es,
         static_cast<size_t>(ldc), static_cast<size_t>(n0), out);
    }
  }
}

void q8_gemm(const Q8GemmConfig& cfg, int64_t m, int64_t n, int64_t k, const void* a, Q8Type a_type, int64_t lda,
             const int16_t* packed_b, void* c, int64_t ldc, const Q8GemmOutput& out, ThreadPool* pool) {
  if (m <= 0 || n <= 0) return;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t mr = cfg.mr, nr = cfg.nr;
  // A column panel of packed B (2 bytes per weight) stays in L2 while every row block of A passes.
  const int64_t n_rounded = (n + nr - 1) / nr * nr;
  // Panels of equal width (a 248 + 8 split would pack A twice for 8 columns).
  const int64_t ncols_max = std::min(n_rounded, std::max<int64_t>(nr, 128 * 1024 / (2 * (k + 2)) / nr * nr));
  const int64_t panels = (n_rounded + ncols_max - 1) / ncols_max;
  int64_t ncols = ((n_rounded + panels - 1) / panels + nr - 1) / nr * nr;
  int64_t mrows = (m + mr - 1) / mr * mr;
  if (m == 1) mrows = 1;
  if (threads > 1) {
    const int64_t want = int64_t{4} * threads;
    int64_t ntn = (n_rounded + ncols - 1) / ncols;
    if (ntn < want && m > 1) {
      const int64_t mt = (want + ntn - 1) / ntn;
      mrows = std::max(mr, ((m + mt - 1) / mt + mr - 1) / mr * mr);
    }
    int64_t tiles = ((m + mrows - 1) / mrows) * ntn;
    while (tiles < want && ncols > nr) {
      ncols = std::max(nr, (ncols / 2 + nr - 1) / nr * nr);
      ntn = (n_rounded + ncols - 1) / ncols;
      tiles = ((m + mrows - 1) / mrows) * ntn;
    }
  }
  const int64_t mtiles = (m + mrows - 1) / mrows, ntiles = (n + ncols - 1) / ncols;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t nt = t / mtiles, mt = t % mtiles;  // consecutive tiles share a panel of B
      const int64_t m0 = mt * mrows, n0 = nt * ncols;
      q8_gemm_tile(cfg, m0, std::min(mrows, m - m0), n0, std::min(ncols, n - n0), k, a, a_type, lda, packed_b, c,
                   ldc, out);
    }
  };
  if (threads <= 1 || mtiles * ntiles == 1)
    run(0, mtiles * ntiles);
  else
    pool->parallel_for(mtiles * ntiles, 1, [&](int64_t b, int64_t e) { run(b, e); });
}

}  // namespace edgeinfer
