#include <cstring>

#include "kernels/transpose/transpose.h"

namespace edgeinfer {

namespace {

template <typename T>
void transpose2d_ref_t(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * dst_ld + r] = src[r * src_ld + c];
}

template <typename T>
void transpose2d_blocked_t(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows, int64_t cols) {
  // 16x16 blocks keep both the read rows and the written rows in L1.
  constexpr int64_t kB = 16;
  for (int64_t r0 = 0; r0 < rows; r0 += kB) {
    const int64_t r1 = r0 + kB < rows ? r0 + kB : rows;
    for (int64_t c0 = 0; c0 < cols; c0 += kB) {
      const int64_t c1 = c0 + kB < cols ? c0 + kB : cols;
      for (int64_t c = c0; c < c1; ++c) {
        T* d = dst + c * dst_ld;
        const T* s = src + c;
        for (int64_t r = r0; r < r1; ++r) d[r] = s[r * src_ld];
      }
    }
  }
}

struct Bytes16 { uint64_t lo, hi; };

}  // namespace

void transpose2d_ref(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                     size_t es) {
  switch (es) {
    case 1: transpose2d_ref_t(static_cast<const uint8_t*>(src), src_ld, static_cast<uint8_t*>(dst), dst_ld, rows, cols); return;
    case 2: transpose2d_ref_t(static_cast<const uint16_t*>(src), src_ld, static_cast<uint16_t*>(dst), dst_ld, rows, cols); return;
    case 4: transpose2d_ref_t(static_cast<const uint32_t*>(src), src_ld, static_cast<uint32_t*>(dst), dst_ld, rows, cols); return;
    case 8: transpose2d_ref_t(static_cast<const uint64_t*>(src), src_ld, static_cast<uint64_t*>(dst), dst_ld, rows, cols); return;
    default: {
      const auto* s = static_cast<const uint8_t*>(src);
      auto* d = static_cast<uint8_t*>(dst);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) std::memcpy(d + (c * dst_ld + r) * es, s + (r * src_ld + c) * es, es);
    }
  }
}

void transpose2d__blocked(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                          size_t es) {
  switch (es) {
    case 1: transpose2d_blocked_t(static_cast<const uint8_t*>(src), src_ld, static_cast<uint8_t*>(dst), dst_ld, rows, cols); return;
    case 2: transpose2d_blocked_t(static_cast<const uint16_t*>(src), src_ld, static_cast<uint16_t*>(dst), dst_ld, rows, cols); return;
    case 4: transpose2d_blocked_t(static_cast<const uint32_t*>(src), src_ld, static_cast<uint32_t*>(dst), dst_ld, rows, cols); return;
    case 8: transpose2d_blocked_t(static_cast<const uint64_t*>(src), src_ld, static_cast<uint64_t*>(dst), dst_ld, rows, cols); return;
    case 16: transpose2d_blocked_t(static_cast<const Bytes16*>(src), src_ld, static_cast<Bytes16*>(dst), dst_ld, rows, cols); return;
    default: transpose2d_ref(src, src_ld, dst, dst_ld, rows, cols, es);
  }
}

void transpose2d(const void* src, int64_t src_ld, void* dst, int64_t dst_ld, int64_t rows, int64_t cols,
                 size_t es) {
#if EDGEINFER_SIMD128
  if (es == 4) {
    transpose2d_x32__simd128(static_cast<const uint32_t*>(src), src_ld, static_cast<uint32_t*>(dst), dst_ld, rows, cols);
    return;
  }
#endif
  transpose2d__blocked(src, src_ld, dst, dst_ld, rows, cols, es);
}

void transpose_nd_ref(const void* src, void* dst, const Shape& in_shape, const std::vector<int>& perm, size_t es) {
  const int r = static_cast<int>(in_shape.size());
  const int64_t n = numel(in_shape);
  if (n == 0) return;
  std::vector<int64_t> in_stride(static_cast<size_t>(r), 1);
  for (int i = r - 2; i >= 0; --i) in_stride[i] = in_stride[i + 1] * in_shape[i + 1];
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);  // output multi-index
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t o = 0; o < n; ++o) {
    int64_t off = 0;
    for (int k = 0; k < r; ++k) off += idx[k] * in_stride[perm[k]];
    std::memcpy(d + o * es, s + off * es, es);
    for (int k = r - 1; k >= 0; --k) {
      if (++idx[k] < in_shape[perm[k]]) break;
      idx[k] = 0;
    }
  }
}

}  // namespace edgeinfer
