// Quantized (8-bit) GEMM, XNNPACK-style: B is packed once, register-blocked microkernels compute
// MR x NR tiles with int32 accumulation and requantize in their store step.
//
//   acc[m][n] = bias[n] + sum_k (A[m][k] - a_zp) * (B[k][n] - b_zp[n])        (int32, wraps mod 2^32)
//   C[m][n]   = one of (Q8GemmOutput::type):
//     kU8 / kS8: clamp(nearbyint(float(acc) * scale[n]) + zero_point, qmin, qmax)
//     kI32:      acc                                  (MatMulInteger / ConvInteger)
//     kF32:      float(acc) * scale[n] + fbias[n]       (MatMulIntegerToFloat, dequantized tails)
//
// Requantization is onnxruntime's CPU one (MLAS MlasRequantizeOutput, used by QLinearConv and
// QLinearMatMul): the int32 accumulator is converted to float, multiplied by the float scale (the op
// computes it as a_scale * b_scale[n] / y_scale in float), rounded half to even (f32x4.nearest /
// nearbyint in the default rounding mode), the zero point added, and the result saturated. The SIMD
// kernels perform the same float operations in the same order, so they are bit-identical to the
// reference (tested). Accumulation wraps mod 2^32 like MLAS; since wrapping addition is associative
// the summation order does not change results. Overflow cannot happen for K <= 65793 (see below).
//
// A is uint8 or int8 (onnxruntime's quantizer emits uint8 activations and int8 weights); B is uint8
// or int8. The kernels work in a signed domain: uint8 A is shifted by -128 (a ^ 0x80) and its zero
// point by -128 too, so |A'| <= 128. B is stored as int16 (B - b_zp[n]) in [-255, 255], which removes
// the per-row correction sum_k A[m][k] * b_zp[n] entirely; the remaining term -a_zp' * sum_k (B - b_zp)
// is folded into the packed int32 bias at pack time. Each i32x4.dot_i16x8_s product pair is at most
// 2 * 128 * 255, so K <= 65793 never overflows.
//
// The tiling driver packs each block of A rows once into int16 in that signed domain, in panels of MR
// rows laid out [k pair][row][2] (K padded to even, rows to MR, with zeros), and every column block of B
// reuses it: the microkernels splat each row's pair of activations straight from memory
// (v128.load32_splat) through one advancing pointer, which V8 runs faster than widening and shuffling
// lanes inside the kernel (README: int8 kernels).
//
// Packed B layout (NR = 8, KR = 2): for each block of 8 columns (the last padded with zero columns):
// 8 int32 biases (zero-point corrections folded in), then ceil(K/2) groups of 16 int16:
// [B'(k,n0) B'(k+1,n0) B'(k,n0+1) B'(k+1,n0+1) ... B'(k+1,n0+7)] (K padded with a zero row when odd).
// Block size: 16 * (1 + ceil(K/2)) int16.
//
// KR = 4 (the 4x8c4 kernels on relaxed SIMD's i32x4.relaxed_dot_i8x16_i7x16_add_s, 16 products per
// instruction): the same block structure with ceil(K/4) groups of 32 int8 B' = B - b_zp, four k per
// column ([B'(k..k+3, n0)] ... [B'(k..k+3, n0+7)]), so B' must fit int8 (q8_gemm_pack_b says when it
// does not: then the KR = 2 layout is used). A is packed as 4 bytes per row and k quad in the unsigned
// domain (uint8 a, int8 a ^ 0x80 with its zero point + 128), the dot's second operand. The relaxed dot
// is exact for any bytes only where the engine computes unsigned x signed without saturation (x86 with
// AVX-VNNI); q8_gemm_relaxed_config() checks that at start-up and returns null elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/simd.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

enum class Q8Type : uint8_t { kU8, kS8, kI32, kF32 };

// The output stage. scale / fbias are indexed by absolute column n (per_column) or read at [0].
struct Q8GemmOutput {
  Q8Type type = Q8Type::kU8;
  const float* scale = nullptr;   // kU8/kS8/kF32; for kF32 a null scale means 1
  bool per_column = false;
  const float* fbias = nullptr;   // kF32 only, per column, may be null
  int32_t zero_point = 0;         // kU8/kS8
  int32_t qmin = 0, qmax = 255;   // kU8/kS8 saturation (narrower bounds fuse Relu/Clip)

  static Q8GemmOutput quantized(Q8Type t, const float* scale, bool per_column, int32_t zp) {
    Q8GemmOutput o;
    o.type = t;
    o.scale = scale;
    o.per_column = per_column;
    o.zero_point = zp;
    o.qmin = t == Q8Type::kU8 ? 0 : -128;
    o.qmax = t == Q8Type::kU8 ? 255 : 127;
    return o;
  }
  static Q8GemmOutput int32() {
    Q8GemmOutput o;
    o.type = Q8Type::kI32;
    return o;
  }
  static Q8GemmOutput dequantized(const float* scale, bool per_column, const float* fbias = nullptr) {
    Q8GemmOutput o;
    o.type = Q8Type::kF32;
    o.scale = scale;
    o.per_column = per_column;
    o.fbias = fbias;
    return o;
  }
};

size_t q8_type_size(Q8Type t);

// Computes rows [0, mr) (mr <= MR) of C over nc columns starting at absolute column n0 (a multiple of
// NR; used to index per-column scales) and kc reductions. a: one MR-row panel of packed A
// (q8_gemm_pack_a); w: packed B at the block of column n0; c: row i at c + i * cm_stride elements of
// the output type.
using Q8GemmUKernel = void (*)(size_t mr, size_t nc, size_t kc, const int16_t* a, const int16_t* w, void* c,
                               size_t cm_stride, size_t n0, const Q8GemmOutput& out);

// Variants, indexed by output type. Scalar ones exist in every build.
struct Q8GemmConfig {
  Q8GemmUKernel ukernel[4];
  int mr;
  int nr;
  int kr;  // k per packed group: 2 (int16 layout) or 4 (int8 layout, relaxed dot)
  const char* name;
  const Q8GemmConfig* single_row = nullptr;  // used for 1-row tiles (M == 1: vector x matrix), if set
  Q8GemmUKernel get(Q8Type out_type) const { return ukernel[static_cast<int>(out_type)]; }
};

const Q8GemmConfig& q8_gemm_4x8c2__scalar();
#if defined(__wasm_simd128__) || defined(EDGEINFER_USE_SIMDE)
const Q8GemmConfig& q8_gemm_4x8c2__simd128();
const Q8GemmConfig& q8_gemm_2x8c2__simd128();
const Q8GemmConfig& q8_gemm_1x8c2__simd128();
#endif
#if EDGEINFER_Q8_RELAXED_DOT
const Q8GemmConfig& q8_gemm_4x8c4__relaxedsimd();
// Whether this engine's relaxed dot is exact for all bytes (what the 4x8c4 kernels need); computed on
// each call (q8_gemm_relaxed_config() keeps the answer).
bool q8_relaxed_dot_is_exact();
#endif

// The KR = 2 variant the runtime uses in this build.
const Q8GemmConfig& q8_gemm_config();
// The KR = 4 variant when this build has one and the engine's relaxed dot is exact (checked once),
// else null. q8_gemm_use_relaxed(false) turns it off (tests and benchmarks compare both).
const Q8GemmConfig* q8_gemm_relaxed_config();
void q8_gemm_use_relaxed(bool on);
// The variant for B packed with kr.
const Q8GemmConfig& q8_gemm_config_for_kr(size_t kr);

constexpr size_t kQ8GemmNR = 8;

// int16 elements of a packed B of K x N (KR = 4 needs no more than KR = 2).
inline size_t q8_gemm_packed_size(size_t k, size_t n, size_t kr) {
  return (n + kQ8GemmNR - 1) / kQ8GemmNR * 16 * (1 + (k + kr - 1) / kr);
}

// The activations' zero point in the kernels' domain (KR = 2: signed, KR = 4: unsigned).
inline int32_t q8_gemm_a_zero_point(size_t kr, Q8Type a_type, int32_t a_zp) {
  if (kr == 4) return a_type == Q8Type::kU8 ? a_zp : a_zp + 128;
  return a_type == Q8Type::kU8 ? a_zp - 128 : a_zp;
}

// Packs B (K x N, element (k, n) at b[k * b_k_stride + n * b_n_stride], b_type kU8 or kS8) into the
// layout above for kr. b_zp (same type as B, may be null: 0) is read at b_zp[n * b_zp_stride] (stride
// 0: per tensor). bias (int32, may be null) has N entries. a_type / a_zp are the activations' type and
// zero point, folded into the bias. Threads split the column blocks when pool != null. Returns false
// (packed left partly written) when kr = 4 and some B - b_zp does not fit int8; kr = 2 always packs.
bool q8_gemm_pack_b(size_t kr, size_t k, size_t n, const void* b, Q8Type b_type, size_t b_k_stride,
                    size_t b_n_stride, const void* b_zp, size_t b_zp_stride, const int32_t* bias, Q8Type a_type,
                    int32_t a_zp, int16_t* packed, ThreadPool* pool = nullptr);

// colsum[n] = sum_k (B(k, n) - b_zp[n]) mod 2^32, arguments as for q8_gemm_pack_b: with it an
// operator keeps one packed B for activations whose type or zero point is only known at run time.
void q8_gemm_column_sums(size_t k, size_t n, const void* b, Q8Type b_type, size_t b_k_stride, size_t b_n_stride,
                         const void* b_zp, size_t b_zp_stride, int32_t* colsum);

// Rewrites the biases of a packed B (K x N) for activations of a_type with zero point a_zp, exactly
// as q8_gemm_pack_b would have written them: bias[n] (may be null: 0) - a_zp' * colsum[n].
void q8_gemm_set_bias(size_t kr, size_t k, size_t n, const int32_t* bias, const int32_t* colsum, Q8Type a_type, int32_t a_zp,
                      int16_t* packed);

// C (M x N, row stride ldc elements) from A (M x K, row stride lda bytes, a_type) and packed B, split
// into tiles over the pool's threads (pool may be null). a_type must match the one given to packing.
void q8_gemm(const Q8GemmConfig& cfg, int64_t m, int64_t n, int64_t k, const void* a, Q8Type a_type, int64_t lda,
             const int16_t* packed_b, void* c, int64_t ldc, const Q8GemmOutput& out, ThreadPool* pool);

// int16 elements of packed A for rows x k with MR = mr (each row holds 32 bits per group of kr).
inline size_t q8_gemm_packed_a_size(size_t rows, size_t k, size_t mr, size_t kr) {
  return (rows + mr - 1) / mr * mr * 2 * ((k + kr - 1) / kr);
}

// Packs rows x k of A (row stride lda bytes, a_type) into panels of mr rows. kr = 2: [k/2][mr][2] int16
// in the signed domain (uint8: a - 128, int8: a); kr = 4: [k/4][mr][4] bytes in the unsigned domain
// (uint8: a, int8: a ^ 0x80). Padding rows and columns are zero.
void q8_gemm_pack_a(size_t kr, size_t rows, size_t k, const void* a, Q8Type a_type, size_t lda, size_t mr,
                    int16_t* dst);

// Serial over the tile [m0, m0+mc) x [n0, n0+nc); n0 a multiple of NR.
void q8_gemm_tile(const Q8GemmConfig& cfg, int64_t m0, int64_t mc, int64_t n0, int64_t nc, int64_t k, const void* a,
                  Q8Type a_type, int64_t lda, const int16_t* packed_b, void* c, int64_t ldc, const Q8GemmOutput& out);

// The output stage on one int32 value of column n (the scalar kernels and the reference use it).
void q8_store_scalar(int32_t acc, size_t n, const Q8GemmOutput& out, void* c, size_t index);

// Straight from the definition at the top (no packing): for tests and as the benchmark baseline.
// b_zp has N entries (b_zp_stride 0: one).
void q8_gemm_reference(int64_t m, int64_t n, int64_t k, const void* a, Q8Type a_type, int64_t lda, int32_t a_zp,
                       const void* b, Q8Type b_type, int64_t ldb, const void* b_zp, size_t b_zp_stride,
                       const int32_t* bias, void* c, int64_t ldc, const Q8GemmOutput& out);

}  // namespace edgeinfer
