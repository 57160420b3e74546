// fp32 GEMM, XNNPACK-style: operators pack B once (or per run) into the microkernel layout, and
// register-blocked microkernels compute MR x NR tiles of C = A * B + bias over that packed B.
//
// Packed B layout ("goi" with KR=1): for each block of NR columns n0..n0+NR (the last one padded
// with zeros): NR floats of bias, then K rows of NR floats (row k holds B[k][n0..n0+NR)).
// A block is therefore (K + 1) * NR floats.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/activation.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

struct F32MinMax {
  float min;
  float max;
};

// Computes rows [0, mr) (mr <= MR) of C over nc columns (any nc > 0) and kc reductions.
// a: row i starts at a + i * a_stride (floats); w: packed B starting at a block boundary;
// c: row i starts at c + i * cm_stride; each NR block of columns advances c by NR.
// Results are clamped to [params.min, params.max] in the store step.
using F32GemmUKernel = void (*)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                const float* w, float* c, size_t cm_stride, const F32MinMax& params);

// Microkernel variants (one file each). The scalar ones exist in every build; the simd128 ones
// only when EDGEINFER_SIMD128.
void f32_gemm_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                          float* c, size_t cm_stride, const F32MinMax& params);
void f32_gemm_1x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                          float* c, size_t cm_stride, const F32MinMax& params);
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
void f32_gemm_1x8__simd128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           float* c, size_t cm_stride, const F32MinMax& params);
void f32_gemm_4x8__simd128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           float* c, size_t cm_stride, const F32MinMax& params);
void f32_gemm_6x8__simd128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                           float* c, size_t cm_stride, const F32MinMax& params);
void f32_gemm_4x16__simd128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const float* w,
                            float* c, size_t cm_stride, const F32MinMax& params);
#endif

struct F32GemmConfig {
  F32GemmUKernel ukernel;    // MR rows
  F32GemmUKernel ukernel1;   // 1 row (M == 1 problems: vector x matrix)
  int mr;
  int nr;
  const char* name;
};

// The variant the runtime uses in this build.
const F32GemmConfig& f32_gemm_config();

// Floats needed by a packed B of K x N for a given NR.
inline size_t f32_gemm_packed_size(size_t k, size_t n, size_t nr) { return (n + nr - 1) / nr * nr * (k + 1); }

// Packs B into the layout above. B element (k, n) is read at b[k * b_k_stride + n * b_n_stride] (so a
// transposed B is just other strides), scaled by `scale`. bias (may be null: zeros) has N entries,
// read at bias[n * bias_stride] and multiplied by bias_scale. Threads split the NR blocks when pool != null.
void f32_gemm_pack_b(size_t k, size_t n, size_t nr, const float* b, size_t b_k_stride, size_t b_n_stride, float scale,
                     const float* bias, size_t bias_stride, float bias_scale, float* packed, ThreadPool* pool = nullptr);

// The part of an activation that the microkernel applies in its store step (Relu, Clip), and whether
// anything is left for a pass over the finished tile (the other kinds).
F32MinMax f32_minmax_for(const Activation& act);
inline bool activation_needs_post(const Activation& act) {
  return act.kind != Activation::kNone && act.kind != Activation::kRelu && act.kind != Activation::kClip;
}

// Called on each finished tile (rows m0..m0+mc, columns n0..n0+nc of C, c points at (m0, n0)) before
// the non-min/max activation; used by Gemm for a row-varying C.
struct F32GemmPostOp {
  void (*fn)(void* ctx, int64_t m0, int64_t mc, int64_t n0, int64_t nc, float* c, int64_t ldc) = nullptr;
  void* ctx = nullptr;
};

// C (M x N, row stride ldc) = A (M x K, row stride lda) * packed B, then post op, then activation.
// Serial over the tile [m0, m0+mc) x [n0, n0+nc); n0 must be a multiple of cfg.nr.
void f32_gemm_tile(const F32GemmConfig& cfg, int64_t m0, int64_t mc, int64_t n0, int64_t nc, int64_t k,
                   const float* a, int64_t lda, const float* packed_b, float* c, int64_t ldc, const Activation& act,
                   const F32GemmPostOp* post = nullptr);

// Whole GEMM, split into tiles over the pool's threads (pool may be null: inline).
void f32_gemm(const F32GemmConfig& cfg, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
              const float* packed_b, float* c, int64_t ldc, const Activation& act, ThreadPool* pool,
              const F32GemmPostOp* post = nullptr);

// Tile sizes the driver uses: mc rows (a multiple of mr) by nc columns (a multiple of nr).
void f32_gemm_tile_sizes(const F32GemmConfig& cfg, int64_t m, int64_t n, int64_t k, int num_threads, int64_t* mc,
                         int64_t* nc);

// `batch` independent GEMMs of the same m x n x k; get(b, &a, &packed_b, &c) gives batch b's operands.
// Threads split (batch x tiles) together, so small batched products (attention heads) still spread.
template <typename GetItem>
void f32_gemm_batched(const F32GemmConfig& cfg, int64_t batch, int64_t m, int64_t n, int64_t k, int64_t lda,
                      int64_t ldc, const Activation& act, ThreadPool* pool, GetItem get,
                      const F32GemmPostOp* post = nullptr) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const int threads = pool ? pool->num_threads() : 1;
  int64_t mc, nc;
  f32_gemm_tile_sizes(cfg, m, n, k, batch >= 4 * threads ? 1 : threads, &mc, &nc);
  const int64_t mtiles = (m + mc - 1) / mc, ntiles = (n + nc - 1) / nc, per = mtiles * ntiles;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t b = t / per, r = t % per, nt = r / mtiles, mt = r % mtiles;
      const float* a;
      const float* w;
      float* c;
      get(b, &a, &w, &c);
      const int64_t m0 = mt * mc, n0 = nt * nc;
      f32_gemm_tile(cfg, m0, m - m0 < mc ? m - m0 : mc, n0, n - n0 < nc ? n - n0 : nc, k, a, lda, w, c, ldc, act,
                    post);
    }
  };
  if (threads <= 1 || batch * per == 1)
    run(0, batch * per);
  else
    pool->parallel_for(batch * per, 1, [&](int64_t b, int64_t e) { run(b, e); });
}

// Plain triple loop: C = A * B + bias (bias may be null) for tests and the benchmark baseline.
void f32_gemm_reference(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                        const float* bias, float* c, int64_t ldc);

}  // namespace edgeinfer
