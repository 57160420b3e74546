// Multidirectional (numpy) broadcasting for elementwise kernels. A plan collapses the output shape and
// the inputs' shapes into the fewest dims: size-1 output dims are dropped and neighbouring dims are
// merged whenever every input broadcasts both or neither. The innermost collapsed dim is then a
// contiguous row in which each input is either a vector (stride 1) or a scalar (stride 0):
//   [1,C,H,W] op [1,C,1,1]  ->  rows of H*W with the second input scalar per row,
//   [N,C] op [C]            ->  rows of C, both vectors,
//   [N,C,H,W] op []         ->  one row of N*C*H*W with a scalar.
// for_each_row() walks those rows (split into chunks for threads when large) and hands each one to a
// row function that runs the SIMD inner loop.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {
namespace elementwise {

constexpr int kMaxBroadcastInputs = 3;

struct BroadcastPlan {
  int num_inputs = 0;
  int64_t numel = 0;
  std::vector<int64_t> dims;  // collapsed output dims, outermost first; never empty
  // strides[i][d]: elements of input i to step per unit of dims[d]; 0 where input i broadcasts.
  std::array<std::vector<int64_t>, kMaxBroadcastInputs> strides;

  int64_t inner() const { return dims.back(); }
  int64_t inner_stride(int i) const { return strides[static_cast<size_t>(i)].back(); }
};

// `inputs` must each be broadcastable to `out` (as checked by broadcast_shapes when inferring).
inline BroadcastPlan make_broadcast_plan(const Shape& out, const std::vector<const Shape*>& inputs) {
  BroadcastPlan plan;
  plan.num_inputs = static_cast<int>(inputs.size());
  plan.numel = numel(out);
  const size_t rank = out.size();
  const size_t ni = inputs.size();
  // Per kept output dim: its size and, per input, whether the input broadcasts along it.
  std::vector<int64_t> dims;
  std::vector<std::array<bool, kMaxBroadcastInputs>> bcast;
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    std::array<bool, kMaxBroadcastInputs> flags{};
    for (size_t i = 0; i < ni; ++i) {
      const Shape& s = *inputs[i];
      const size_t lead = rank - s.size();
      const int64_t in_dim = d < lead ? 1 : s[d - lead];
      flags[i] = in_dim == 1;
    }
    if (!dims.empty() && flags == bcast.back()) {
      dims.back() *= out[d];
    } else {
      dims.push_back(out[d]);
      bcast.push_back(flags);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    bcast.push_back(std::array<bool, kMaxBroadcastInputs>{true, true, true});
  }
  plan.dims = dims;
  for (size_t i = 0; i < ni; ++i) {
    std::vector<int64_t>& st = plan.strides[i];
    st.assign(dims.size(), 0);
    int64_t running = 1;
    for (size_t d = dims.size(); d-- > 0;) {
      if (bcast[d][i]) continue;
      st[d] = running;
      running *= dims[d];
    }
  }
  return plan;
}

// Calls row(out_offset, in_offsets, n) for every contiguous run of the output, where input i's
// elements for the run start at in_offsets[i] and step by plan.inner_stride(i) (0 or 1).
// Runs on `pool` when the output is large; rows longer than a chunk are split.
template <typename RowFn>
void for_each_row(const BroadcastPlan& plan, ThreadPool* pool, RowFn&& row) {
  if (plan.numel == 0) return;
  constexpr int64_t kChunk = 16384;         // elements per task at most
  constexpr int64_t kParallelMin = 65536;   // below this, threads cost more than they save
  const int64_t inner = plan.inner();
  const int64_t parts = (inner + kChunk - 1) / kChunk;
  const int64_t part_len = (inner + parts - 1) / parts;
  const int64_t rows = plan.numel / inner;
  const int64_t tasks = rows * parts;
  const int outer_rank = static_cast<int>(plan.dims.size()) - 1;
  const int ni = plan.num_inputs;

  auto run_tasks = [&](int64_t begin, int64_t end) {
    // Odometer over the outer dims, started at the first task's row.
    std::array<int64_t, 16> coord_small{};
    std::vector<int64_t> coord_big;
    int64_t* coord = coord_small.data();
    if (outer_rank > 16) {
      coord_big.assign(static_cast<size_t>(outer_rank), 0);
      coord = coord_big.data();
    }
    int64_t row_idx = begin / parts;
    int64_t part = begin % parts;
    std::array<int64_t, kMaxBroadcastInputs> base{};
    {
      int64_t r = row_idx;
      for (int d = outer_rank - 1; d >= 0; --d) {
        coord[d] = r % plan.dims[static_cast<size_t>(d)];
        r /= plan.dims[static_cast<size_t>(d)];
      }
      for (int i = 0; i < ni; ++i) {
        int64_t off = 0;
        for (int d = 0; d < outer_rank; ++d) off += coord[d] * plan.strides[static_cast<size_t>(i)][static_cast<size_t>(d)];
        base[static_cast<size_t>(i)] = off;
      }
    }
    for (int64_t t = begin; t < end; ++t) {
      const int64_t start = part * part_len;
      const int64_t n = std::min(part_len, inner - start);
      std::array<int64_t, kMaxBroadcastInputs> offs{};
      for (int i = 0; i < ni; ++i) offs[static_cast<size_t>(i)] = base[static_cast<size_t>(i)] + start * plan.inner_stride(i);
      row(row_idx * inner + start, offs, n);
      if (++part == parts) {
        part = 0;
        ++row_idx;
        for (int d = outer_rank - 1; d >= 0; --d) {
          const size_t du = static_cast<size_t>(d);
          for (int i = 0; i < ni; ++i) base[static_cast<size_t>(i)] += plan.strides[static_cast<size_t>(i)][du];
          if (++coord[d] < plan.dims[du]) break;
          for (int i = 0; i < ni; ++i) base[static_cast<size_t>(i)] -= coord[d] * plan.strides[static_cast<size_t>(i)][du];
          coord[d] = 0;
        }
      }
    }
  };

  if (pool == nullptr || pool->num_threads() <= 1 || plan.numel < kParallelMin) {
    run_tasks(0, tasks);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kChunk / std::min(part_len, kChunk));
  pool->parallel_for(tasks, grain, [&](int64_t b, int64_t e) { run_tasks(b, e); });
}

// Splits [0, n) over the pool in chunks for plain (non-broadcast) elementwise loops.
template <typename Fn>
void parallel_range(ThreadPool* pool, int64_t n, Fn&& fn) {
  constexpr int64_t kChunk = 16384;
  if (n <= 0) return;
  if (pool == nullptr || pool->num_threads() <= 1 || n < 4 * kChunk) {
    fn(int64_t{0}, n);
    return;
  }
  pool->parallel_for(n, kChunk, [&](int64_t b, int64_t e) { fn(b, e); });
}

}  // namespace elementwise
}  // namespace edgeinfer
