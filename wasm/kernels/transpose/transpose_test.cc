#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/transpose/strided_copy.h"
#include "kernels/transpose/transpose.h"

namespace edgeinfer {
namespace {

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

using Kernel2d = void (*)(const void*, int64_t, void*, int64_t, int64_t, int64_t, size_t);

void check_2d(Kernel2d kernel, size_t es, int64_t rows, int64_t cols, int64_t src_pad, int64_t dst_pad,
              uint32_t seed) {
  const int64_t src_ld = cols + src_pad, dst_ld = rows + dst_pad;
  auto src = random_bytes(static_cast<size_t>(rows * src_ld) * es + 1, seed);
  // Padding bytes of dst must be left alone: both buffers start from the same random fill.
  auto fill = random_bytes(static_cast<size_t>(cols * dst_ld) * es + 1, seed + 1);
  std::vector<uint8_t> want = fill, got = fill;
  transpose2d_ref(src.data(), src_ld, want.data(), dst_ld, rows, cols, es);
  kernel(src.data(), src_ld, got.data(), dst_ld, rows, cols, es);
  ASSERT_EQ(got, want) << "es=" << es << " rows=" << rows << " cols=" << cols << " src_ld=" << src_ld
                       << " dst_ld=" << dst_ld;
}

void x32_simd(const void* s, int64_t sl, void* d, int64_t dl, int64_t r, int64_t c, size_t) {
#if EDGEINFER_SIMD128
  transpose2d_x32__simd128(static_cast<const uint32_t*>(s), sl, static_cast<uint32_t*>(d), dl, r, c);
#else
  transpose2d_ref(s, sl, d, dl, r, c, 4);
#endif
}

TEST(TransposeKernel, Ref2dIsATranspose) {
  const std::vector<uint32_t> src = {1, 2, 3, 4, 5, 6};  // 2x3
  std::vector<uint32_t> dst(6, 0);
  transpose2d_ref(src.data(), 3, dst.data(), 2, 2, 3, 4);
  EXPECT_EQ(dst, (std::vector<uint32_t>{1, 4, 2, 5, 3, 6}));
}

TEST(TransposeKernel, VariantsMatchReference2d) {
  // Tile sizes: 4 (SIMD register tile), 16 (blocked), 32 (SIMD cache block): tile-1, tile, tile+1, large.
  const std::vector<int64_t> sizes = {1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 67, 130};
  uint32_t seed = 1;
  for (int64_t rows : sizes)
    for (int64_t cols : sizes) {
      const int64_t sp = seed % 3, dp = (seed / 3) % 2;
      for (size_t es : {1, 2, 4, 8, 16}) check_2d(transpose2d__blocked, es, rows, cols, sp, dp, seed);
      check_2d(x32_simd, 4, rows, cols, sp, dp, seed);
      check_2d(transpose2d, 4, rows, cols, sp, dp, seed);
      check_2d(transpose2d, 2, rows, cols, sp, dp, seed);
      ++seed;
    }
  check_2d(x32_simd, 4, 517, 389, 3, 1, 99);
  check_2d(transpose2d, 1, 517, 389, 0, 0, 98);
}

void check_nd(const Shape& shape, const std::vector<int>& perm, size_t es, int threads, uint32_t seed) {
  const size_t n = static_cast<size_t>(numel(shape)) * es;
  auto src = random_bytes(n, seed);
  std::vector<uint8_t> want(n, 0), got(n, 0);
  transpose_nd_ref(src.data(), want.data(), shape, perm, es);
  ThreadPool pool(threads);
  transpose_nd(src.data(), got.data(), shape, perm, es, &pool);
  std::string p;
  for (int x : perm) p += std::to_string(x) + ",";
  ASSERT_EQ(got, want) << "shape " << shape_to_string(shape) << " perm " << p << " es " << es;
}

TEST(TransposeKernel, NdRefSmallExample) {
  // shape [2,3] perm [1,0] -> [[0,3],[1,4],[2,5]]
  const std::vector<uint8_t> src = {0, 1, 2, 3, 4, 5};
  std::vector<uint8_t> dst(6);
  transpose_nd_ref(src.data(), dst.data(), {2, 3}, {1, 0}, 1);
  EXPECT_EQ(dst, (std::vector<uint8_t>{0, 3, 1, 4, 2, 5}));
  // shape [2,2,2] perm [2,0,1]: out[c][a][b] = in[a][b][c]
  const std::vector<uint8_t> s3 = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<uint8_t> d3(8);
  transpose_nd_ref(s3.data(), d3.data(), {2, 2, 2}, {2, 0, 1}, 1);
  EXPECT_EQ(d3, (std::vector<uint8_t>{0, 2, 4, 6, 1, 3, 5, 7}));
}

TEST(TransposeKernel, CommonPermsMatchReference) {
  const std::vector<std::vector<int>> perms = {{0, 2, 3, 1}, {0, 3, 1, 2}, {0, 2, 1, 3}, {3, 2, 1, 0},
                                               {1, 0, 2, 3}, {0, 1, 3, 2}, {2, 3, 0, 1}, {0, 1, 2, 3}};
  const std::vector<Shape> shapes = {{1, 3, 5, 7}, {2, 4, 4, 4}, {1, 1, 33, 1}, {2, 17, 1, 31},
                                     {1, 64, 40, 40}, {3, 5, 0, 2}, {1, 96, 80, 80}};
  uint32_t seed = 10;
  for (const auto& s : shapes)
    for (const auto& p : perms)
      for (int threads : {1, 2}) check_nd(s, p, 4, threads, seed++);
}

TEST(TransposeKernel, RandomShapesAndPermsMatchReference) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    const int rank = 1 + static_cast<int>(rng() % 6);
    Shape shape(static_cast<size_t>(rank));
    for (auto& d : shape) d = 1 + static_cast<int64_t>(rng() % (rank <= 3 ? 40 : 7));
    std::vector<int> perm(static_cast<size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const size_t es = size_t{1} << (rng() % 4);
    check_nd(shape, perm, es, 1 + static_cast<int>(rng() % 2), static_cast<uint32_t>(iter));
  }
}

TEST(TransposeKernel, LargeParallelMatchesReference) {
  check_nd({2, 300, 257}, {2, 1, 0}, 4, 2, 5);
  check_nd({1, 640, 640}, {0, 2, 1}, 4, 2, 6);
  check_nd({4, 128, 3, 97}, {0, 2, 1, 3}, 4, 2, 7);
  check_nd({1000000}, {0}, 1, 2, 8);
}

}  // namespace
}  // namespace edgeinfer

namespace edgeinfer {
namespace {

TEST(StridedCopyKernel, MatchesReferenceOnRandomStrides) {
  std::mt19937 rng(3);
  for (int iter = 0; iter < 300; ++iter) {
    const int rank = 1 + static_cast<int>(rng() % 5);
    Shape out(static_cast<size_t>(rank));
    for (auto& d : out) d = 1 + static_cast<int64_t>(rng() % 9);
    if (iter % 50 == 0) out[0] = 0;
    // Source strides: broadcast (0), contiguous-ish, strided, or negative; base offset keeps all reads in bounds.
    std::vector<int64_t> stride(static_cast<size_t>(rank));
    int64_t span = 1, base = 0;
    for (int k = rank - 1; k >= 0; --k) {
      const int kind = static_cast<int>(rng() % 4);
      stride[k] = kind == 0 ? 0 : kind == 1 ? span : kind == 2 ? 2 * span : -span;
      if (stride[k] < 0 && out[k] > 0) base += -stride[k] * (out[k] - 1);
      span += std::abs(stride[k]) * std::max<int64_t>(out[k] - 1, 0) + 1;
    }
    const size_t es = size_t{1} << (rng() % 4);
    const int64_t n = numel(out);
    auto src = random_bytes(static_cast<size_t>(span + base + 1) * es, static_cast<uint32_t>(iter));
    std::vector<uint8_t> want(static_cast<size_t>(n) * es + 1, 0), got = want;
    const uint8_t* sb = src.data() + base * static_cast<int64_t>(es);
    strided_copy_ref(sb, want.data(), out, stride, es);
    ThreadPool pool(1 + static_cast<int>(rng() % 2));
    strided_copy(sb, got.data(), out, stride, es, &pool);
    ASSERT_EQ(got, want) << "iter " << iter << " shape " << shape_to_string(out);
  }
}

TEST(StridedCopyKernel, LargeBroadcastParallel) {
  const Shape out = {64, 300, 40};
  const std::vector<int64_t> stride = {0, 40, 1};
  auto src = random_bytes(300 * 40 * 4, 1);
  std::vector<uint8_t> want(static_cast<size_t>(numel(out)) * 4), got(want.size());
  strided_copy_ref(src.data(), want.data(), out, stride, 4);
  ThreadPool pool(2);
  strided_copy(src.data(), got.data(), out, stride, 4, &pool);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace edgeinfer
