#include <algorithm>
#include <cstring>

#include "kernels/transpose/transpose.h"

namespace edgeinfer {

namespace {

// Work below this many bytes runs on the calling thread: waking workers costs more than it saves.
constexpr int64_t kParallelBytes = 64 * 1024;

// Decomposes a flat index over `dims` (row-major) into the offset sum of idx[k] * stride[k].
int64_t flat_to_offset(int64_t flat, const std::vector<int64_t>& dims, const std::vector<int64_t>& stride) {
  int64_t off = 0;
  for (int k = static_cast<int>(dims.size()) - 1; k >= 0; --k) {
    const int64_t i = flat % dims[k];
    flat /= dims[k];
    off += i * stride[k];
  }
  return off;
}

}  // namespace

void transpose_nd(const void* src, void* dst, const Shape& in_shape, const std::vector<int>& perm, size_t es,
                  ThreadPool* pool) {
  const int64_t total = numel(in_shape);
  if (total == 0) return;
  const int rank = static_cast<int>(in_shape.size());

  // 1. Drop 1-sized dims; renumber the remaining input dims.
  std::vector<int> keep_id(static_cast<size_t>(rank), -1);
  Shape dims;
  for (int i = 0; i < rank; ++i)
    if (in_shape[i] != 1) { keep_id[i] = static_cast<int>(dims.size()); dims.push_back(in_shape[i]); }
  std::vector<int> p;
  for (int k = 0; k < rank; ++k)
    if (keep_id[perm[k]] >= 0) p.push_back(keep_id[perm[k]]);

  // 2. Merge output-adjacent dims that are also input-adjacent (in the same order).
  std::vector<std::vector<int>> groups;  // in output order, each a run of consecutive input dims
  for (int in_dim : p) {
    if (!groups.empty() && groups.back().back() + 1 == in_dim) groups.back().push_back(in_dim);
    else groups.push_back({in_dim});
  }
  const int r = static_cast<int>(groups.size());
  // Input order of the groups = order of their first input dim.
  std::vector<int> order(static_cast<size_t>(r));
  for (int g = 0; g < r; ++g) order[g] = g;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return groups[a][0] < groups[b][0]; });
  std::vector<int> group_in_pos(static_cast<size_t>(r));
  Shape in_dims(static_cast<size_t>(r));
  for (int i = 0; i < r; ++i) {
    const int g = order[i];
    group_in_pos[g] = i;
    int64_t d = 1;
    for (int k : groups[g]) d *= dims[k];
    in_dims[i] = d;
  }
  std::vector<int> q(static_cast<size_t>(r));  // reduced perm: output pos -> input dim
  for (int g = 0; g < r; ++g) q[g] = group_in_pos[g];

  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  const bool parallel = pool && pool->num_threads() > 1 && total * static_cast<int64_t>(es) >= kParallelBytes;

  if (r <= 1) {
    // Identity after reduction: one copy, split for big tensors.
    const int64_t bytes = total * static_cast<int64_t>(es);
    if (!parallel) { std::memcpy(d, s, static_cast<size_t>(bytes)); return; }
    const int64_t chunk = 256 * 1024;
    pool->parallel_for((bytes + chunk - 1) / chunk, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t lo = i * chunk, hi = std::min(bytes, lo + chunk);
        std::memcpy(d + lo, s + lo, static_cast<size_t>(hi - lo));
      }
    });
    return;
  }

  std::vector<int64_t> in_stride(static_cast<size_t>(r), 1), out_stride(static_cast<size_t>(r), 1);
  for (int i = r - 2; i >= 0; --i) in_stride[i] = in_stride[i + 1] * in_dims[i + 1];
  for (int k = r - 2; k >= 0; --k) out_stride[k] = out_stride[k + 1] * in_dims[q[k + 1]];

  if (q[r - 1] == r - 1) {
    // The innermost dim stays innermost: contiguous block copies, odometer over the other output dims.
    const int64_t block = in_dims[r - 1] * static_cast<int64_t>(es);
    std::vector<int64_t> odims, ostride_in;
    for (int k = 0; k < r - 1; ++k) { odims.push_back(in_dims[q[k]]); ostride_in.push_back(in_stride[q[k]]); }
    const int64_t nblocks = total / in_dims[r - 1];
    auto work = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t off = flat_to_offset(i, odims, ostride_in);
        std::memcpy(d + i * block, s + off * static_cast<int64_t>(es), static_cast<size_t>(block));
      }
    };
    if (parallel) pool->parallel_for(nblocks, std::max<int64_t>(1, (16 * 1024) / block), [&](int64_t b, int64_t e) { work(b, e); });
    else work(0, nblocks);
    return;
  }

  // The innermost input dim moves: batched 2-D transposes of (rows = input dim j that becomes the
  // output's innermost) x (cols = input's innermost dim), odometer over the remaining dims.
  const int j = q[r - 1];
  int qpos = 0;  // output position of the input's innermost dim
  for (int k = 0; k < r; ++k)
    if (q[k] == r - 1) qpos = k;
  std::vector<int64_t> odims, o_in_stride, o_out_stride;
  for (int k = 0; k < r; ++k) {
    if (k == r - 1 || k == qpos) continue;
    odims.push_back(in_dims[q[k]]);
    o_in_stride.push_back(in_stride[q[k]]);
    o_out_stride.push_back(out_stride[k]);
  }
  const int64_t rows = in_dims[j], cols = in_dims[r - 1];
  const int64_t src_ld = in_stride[j], dst_ld = out_stride[qpos];
  int64_t outer = 1;
  for (int64_t x : odims) outer *= x;
  // Split the rows of each 2-D transpose too, so a single big plane (NCHW->NHWC with N=1) is shared.
  const int64_t row_chunk = std::max<int64_t>(32, (32 * 1024) / std::max<int64_t>(1, cols * static_cast<int64_t>(es)) / 32 * 32);
  const int64_t row_chunks = (rows + row_chunk - 1) / row_chunk;
  auto work = [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / row_chunks, rc = t % row_chunks;
      const int64_t r0 = rc * row_chunk, r1 = std::min(rows, r0 + row_chunk);
      const int64_t so = flat_to_offset(o, odims, o_in_stride) + r0 * src_ld;
      const int64_t dof = flat_to_offset(o, odims, o_out_stride) + r0;
      transpose2d(s + so * static_cast<int64_t>(es), src_ld, d + dof * static_cast<int64_t>(es), dst_ld, r1 - r0, cols,
                  es);
    }
  };
  if (parallel) pool->parallel_for(outer * row_chunks, 1, [&](int64_t b, int64_t e) { work(b, e); });
  else work(0, outer * row_chunks);
}

}  // namespace edgeinfer
