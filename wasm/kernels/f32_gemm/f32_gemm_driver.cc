// Tiling of a whole GEMM over the microkernels and the thread pool, plus the epilogue.
#include <algorithm>
#include <cmath>

#include "kernels/f32_gemm/f32_gemm.h"

namespace edgeinfer {

const F32GemmConfig& f32_gemm_config() {
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
  static const F32GemmConfig cfg{f32_gemm_4x8__simd128, f32_gemm_1x8__simd128, 4, 8, "4x8__simd128"};
#else
  static const F32GemmConfig cfg{f32_gemm_4x8__scalar, f32_gemm_1x8__scalar, 4, 8, "4x8__scalar"};
#endif
  return cfg;
}

F32MinMax f32_minmax_for(const Activation& act) {
  switch (act.kind) {
    case Activation::kRelu: return {0.0f, INFINITY};
    case Activation::kClip: return {act.a, act.b};
    default: return {-INFINITY, INFINITY};
  }
}

void f32_gemm_tile(const F32GemmConfig& cfg, int64_t m0, int64_t mc, int64_t n0, int64_t nc, int64_t k,
                   const float* a, int64_t lda, const float* packed_b, float* c, int64_t ldc, const Activation& act,
                   const F32GemmPostOp* post) {
  const F32MinMax mm = f32_minmax_for(act);
  const bool post_act = activation_needs_post(act);
  const float* w = packed_b + static_cast<size_t>(n0) * static_cast<size_t>(k + 1);
  const F32GemmUKernel uk = (mc == 1) ? cfg.ukernel1 : cfg.ukernel;
  const int64_t step = (mc == 1) ? 1 : cfg.mr;
  for (int64_t m = m0; m < m0 + mc; m += step) {
    const int64_t rows = std::min<int64_t>(step, m0 + mc - m);
    float* cm = c + m * ldc + n0;
    uk(static_cast<size_t>(rows), static_cast<size_t>(nc), static_cast<size_t>(k), a + m * lda,
       static_cast<size_t>(lda), w, cm, static_cast<size_t>(ldc), mm);
    if (post && post->fn) post->fn(post->ctx, m, rows, n0, nc, cm, ldc);
    if (post_act)
      for (int64_t r = 0; r < rows; ++r) act.apply(cm + r * ldc, static_cast<long>(nc));
  }
}

void f32_gemm_tile_sizes(const F32GemmConfig& cfg, int64_t m, int64_t n, int64_t k, int num_threads, int64_t* mc,
                         int64_t* nc) {
  const int64_t mr = cfg.mr, nr = cfg.nr;
  // A column panel of packed B (k x nc) stays in L2 while every row block of A passes over it.
  const int64_t panel_floats = 64 * 1024;
  int64_t ncols = std::max<int64_t>(nr, panel_floats / (k + 1) / nr * nr);
  const int64_t n_rounded = (n + nr - 1) / nr * nr;
  ncols = std::min(ncols, n_rounded);
  int64_t mrows = (m + mr - 1) / mr * mr;
  if (m == 1) mrows = 1;
  if (num_threads > 1) {
    // Enough tiles for the pool to balance: about 4 per thread, while tiles stay at least a few
    // microkernel calls big.
    const int64_t want = int64_t{4} * num_threads;
    int64_t ntiles_n = (n_rounded + ncols - 1) / ncols;
    if (ntiles_n < want && m > 1) {
      const int64_t mtiles = (want + ntiles_n - 1) / ntiles_n;
      mrows = std::max(mr, ((m + mtiles - 1) / mtiles + mr - 1) / mr * mr);
    }
    int64_t tiles = ((m + mrows - 1) / mrows) * ntiles_n;
    while (tiles < want && ncols > nr) {
      ncols = std::max(nr, (ncols / 2 + nr - 1) / nr * nr);
      ntiles_n = (n_rounded + ncols - 1) / ncols;
      tiles = ((m + mrows - 1) / mrows) * ntiles_n;
    }
  }
  *mc = mrows;
  *nc = ncols;
}

void f32_gemm(const F32GemmConfig& cfg, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
              const float* packed_b, float* c, int64_t ldc, const Activation& act, ThreadPool* pool,
              const F32GemmPostOp* post) {
  if (m <= 0 || n <= 0) return;
  const int threads = pool ? pool->num_threads() : 1;
  int64_t mc, nc;
  f32_gemm_tile_sizes(cfg, m, n, k, threads, &mc, &nc);
  const int64_t mtiles = (m + mc - 1) / mc, ntiles = (n + nc - 1) / nc;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      // Consecutive tiles share a column panel of B.
      const int64_t nt = t / mtiles, mt = t % mtiles;
      const int64_t m0 = mt * mc, n0 = nt * nc;
      f32_gemm_tile(cfg, m0, std::min(mc, m - m0), n0, std::min(nc, n - n0), k, a, lda, packed_b, c, ldc, act, post);
    }
  };
  if (threads <= 1 || mtiles * ntiles == 1)
    run(0, mtiles * ntiles);
  else
    pool->parallel_for(mtiles * ntiles, 1, [&](int64_t b, int64_t e) { run(b, e); });
}

}  // namespace edgeinfer
