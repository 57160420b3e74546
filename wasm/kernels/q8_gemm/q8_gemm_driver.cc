// Tiling of a whole quantized GEMM over the microkernels and the thread pool.
#include <algorithm>

#include "kernels/q8_gemm/q8_gemm.h"

namespace edgeinfer {

const Q8GemmConfig& q8_gemm_config() {
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  return q8_gemm_4x8c2__simd128();
#else
  return q8_gemm_4x8c2__scalar();
#endif
}

void q8_gemm_tile(const Q8GemmConfig& cfg, int64_t m0, int64_t mc, int64_t n0, int64_t nc, int64_t k, const void* a,
                  Q8Type a_type, int64_t lda, const int16_t* packed_b, void* c, int64_t ldc, const Q8GemmOutput& out) {
  if (mc == 1 && cfg.single_row) {
    q8_gemm_tile(*cfg.single_row, m0, mc, n0, nc, k, a, a_type, lda, packed_b, c, ldc, out);
    return;
  }
  const Q8GemmUKernel uk = cfg.get(a_type, out.type);
  const size_t es = q8_type_size(out.type);
  const int16_t* w = packed_b + static_cast<size_t>(n0) / kQ8GemmNR * 16 * (1 + (static_cast<size_t>(k) + 1) / 2);
  for (int64_t m = m0; m < m0 + mc; m += cfg.mr) {
    const int64_t rows = std::min<int64_t>(cfg.mr, m0 + mc - m);
    uk(static_cast<size_t>(rows), static_cast<size_t>(nc), static_cast<size_t>(k),
       static_cast<const uint8_t*>(a) + m * lda, static_cast<size_t>(lda), w,
       static_cast<uint8_t*>(c) + (m * ldc + n0) * es, static_cast<size_t>(ldc), static_cast<size_t>(n0), out);
  }
}

void q8_gemm(const Q8GemmConfig& cfg, int64_t m, int64_t n, int64_t k, const void* a, Q8Type a_type, int64_t lda,
             const int16_t* packed_b, void* c, int64_t ldc, const Q8GemmOutput& out, ThreadPool* pool) {
  if (m <= 0 || n <= 0) return;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t mr = cfg.mr, nr = cfg.nr;
  // A column panel of packed B (2 bytes per weight) stays in L2 while every row block of A passes.
  const int64_t n_rounded = (n + nr - 1) / nr * nr;
  int64_t ncols = std::min(n_rounded, std::max<int64_t>(nr, 128 * 1024 / (2 * (k + 2)) / nr * nr));
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
