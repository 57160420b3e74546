#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/transpose/transpose.h"

namespace edgeinfer {
namespace {

// NCHW -> NHWC and [0,2,1,3] on a PP-OCR-sized activation, reference vs fast path.
void BM_TransposeNd(benchmark::State& state, std::vector<int> perm, bool reference) {
  const Shape shape = {1, 96, 160, 160};
  std::vector<float> src(static_cast<size_t>(numel(shape)), 1.0f), dst(src.size());
  for (auto _ : state) {
    if (reference) transpose_nd_ref(src.data(), dst.data(), shape, perm, 4);
    else transpose_nd(src.data(), dst.data(), shape, perm, 4, nullptr);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(src.size()) * 8);
}
BENCHMARK_CAPTURE(BM_TransposeNd, nchw_to_nhwc_ref, std::vector<int>{0, 2, 3, 1}, true);
BENCHMARK_CAPTURE(BM_TransposeNd, nchw_to_nhwc, std::vector<int>{0, 2, 3, 1}, false);
BENCHMARK_CAPTURE(BM_TransposeNd, swap_middle_ref, std::vector<int>{0, 2, 1, 3}, true);
BENCHMARK_CAPTURE(BM_TransposeNd, swap_middle, std::vector<int>{0, 2, 1, 3}, false);

}  // namespace
}  // namespace edgeinfer
