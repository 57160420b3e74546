#include "kernels/transpose/strided_copy.h"

#include <algorithm>
#include <cstring>

namespace edgeinfer {

namespace {

template <typename T>
void copy_row(const uint8_t* s, uint8_t* d, int64_t n, int64_t stride) {
  const T* src = reinterpret_cast<const T*>(s);
  T* dst = reinterpret_cast<T*>(d);
  if (stride == 0) {
    const T v = *src;
    for (int64_t i = 0; i < n; ++i) dst[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
  }
}

void copy_row_any(const uint8_t* s, uint8_t* d, int64_t n, int64_t stride, size_t es) {
  if (stride == 1) { std::memcpy(d, s, static_cast<size_t>(n) * es); return; }
  switch (es) {
    case 1: copy_row<uint8_t>(s, d, n, stride); return;
    case 2: copy_row<uint16_t>(s, d, n, stride); return;
    case 4: copy_row<uint32_t>(s, d, n, stride); return;
    case 8: copy_row<uint64_t>(s, d, n, stride); return;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(d + i * static_cast<int64_t>(es), s + i * stride * static_cast<int64_t>(es), es);
  }
}

}  // namespace

void strided_copy_ref(const void* src, void* dst, const Shape& out_shape, const std::vector<int64_t>& src_stride,
                      size_t es) {
  const int64_t n = numel(out_shape);
  const int r = static_cast<int>(out_shape.size());
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t o = 0; o < n; ++o) {
    int64_t off = 0;
    for (int k = 0; k < r; ++k) off += idx[k] * src_stride[k];
    std::memcpy(d + o * static_cast<int64_t>(es), s + off * static_cast<int64_t>(es), es);
    for (int k = r - 1; k >= 0; --k) {
      if (++idx[k] < out_shape[k]) break;
      idx[k] = 0;
    }
  }
}

void strided_copy(const void* src, void* dst, const Shape& out_shape, const std::vector<int64_t>& src_stride,
                  size_t es, ThreadPool* pool) {
  const int64_t total = numel(out_shape);
  if (total == 0) return;
  // Drop 1-sized dims, then merge dim k into k+1 when the source walks them as one dim.
  Shape dims;
  std::vector<int64_t> st;
  for (size_t k = 0; k < out_shape.size(); ++k)
    if (out_shape[k] != 1) { dims.push_back(out_shape[k]); st.push_back(src_stride[k]); }
  Shape md;
  std::vector<int64_t> ms;
  for (size_t k = 0; k < dims.size(); ++k) {
    if (!md.empty() && ms.back() == st[k] * dims[k]) {
      md.back() *= dims[k];
      ms.back() = st[k];
    } else {
      md.push_back(dims[k]);
      ms.push_back(st[k]);
    }
  }
  if (md.empty()) { md.push_back(1); ms.push_back(1); }
  const int r = static_cast<int>(md.size());
  const int64_t inner = md[r - 1], inner_stride = ms[r - 1];
  const int64_t rows = total / inner;
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  const int64_t ses = static_cast<int64_t>(es);
  auto work = [&](int64_t b, int64_t e) {
    // Odometer over the outer dims starting at row b.
    std::vector<int64_t> idx(static_cast<size_t>(r > 1 ? r - 1 : 0), 0);
    int64_t rem = b, off = 0;
    for (int k = r - 2; k >= 0; --k) {
      idx[k] = rem % md[k];
      rem /= md[k];
      off += idx[k] * ms[k];
    }
    for (int64_t row = b; row < e; ++row) {
      copy_row_any(s + off * ses, d + row * inner * ses, inner, inner_stride, es);
      for (int k = r - 2; k >= 0; --k) {
        off += ms[k];
        if (++idx[k] < md[k]) break;
        off -= idx[k] * ms[k];
        idx[k] = 0;
      }
    }
  };
  if (pool && pool->num_threads() > 1 && total * ses >= 128 * 1024) {
    const int64_t grain = std::max<int64_t>(1, (32 * 1024) / std::max<int64_t>(1, inner * ses));
    pool->parallel_for(rows, grain, [&](int64_t b, int64_t e) { work(b, e); });
  } else {
    work(0, rows);
  }
}

}  // namespace edgeinfer
