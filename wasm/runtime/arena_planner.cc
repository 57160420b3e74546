#include "runtime/arena_planner.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <utility>

namespace edgeinfer {

namespace {

bool overlaps(const ArenaBlock& a, const ArenaBlock& b) { return a.first <= b.last && b.first <= a.last; }

// Places blocks in `order`, each beside the blocks already placed that share a step with it: in the
// lowest gap that fits (first fit) or the smallest such gap (best fit), else above them all.
size_t place(std::vector<ArenaBlock>& blocks, const std::vector<size_t>& order, bool best_fit) {
  std::vector<size_t> placed;
  placed.reserve(order.size());
  std::vector<std::pair<size_t, size_t>> busy;
  size_t arena = 0;
  for (size_t idx : order) {
    ArenaBlock& b = blocks[idx];
    busy.clear();
    for (size_t p : placed)
      if (overlaps(blocks[p], b)) busy.push_back({blocks[p].offset, blocks[p].offset + blocks[p].size});
    std::sort(busy.begin(), busy.end());
    size_t offset = 0, best = SIZE_MAX, best_gap = SIZE_MAX;
    for (const auto& [lo, hi] : busy) {
      if (lo >= offset + b.size) {
        const size_t gap = lo - offset;
        if (!best_fit) {
          best = offset;
          break;
        }
        if (gap < best_gap) {
          best_gap = gap;
          best = offset;
        }
      }
      offset = std::max(offset, hi);
    }
    // Above everything alive: an unbounded gap, taken only when nothing bounded fits.
    b.offset = best != SIZE_MAX ? best : offset;
    placed.push_back(idx);
    arena = std::max(arena, b.offset + b.size);
  }
  return arena;
}

}  // namespace

size_t assign_arena_offsets(std::vector<ArenaBlock>& blocks) {
  if (blocks.empty()) return 0;
  std::vector<size_t> by_size(blocks.size());
  std::iota(by_size.begin(), by_size.end(), size_t{0});
  // Largest first, then the longer-lived, then program order (deterministic).
  std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) {
    if (blocks[a].size != blocks[b].size) return blocks[a].size > blocks[b].size;
    return blocks[a].last - blocks[a].first > blocks[b].last - blocks[b].first;
  });
  std::vector<size_t> by_start(blocks.size());
  std::iota(by_start.begin(), by_start.end(), size_t{0});
  std::stable_sort(by_start.begin(), by_start.end(), [&](size_t a, size_t b) {
    if (blocks[a].first != blocks[b].first) return blocks[a].first < blocks[b].first;
    return blocks[a].size > blocks[b].size;
  });
  const struct {
    const std::vector<size_t>* order;
    bool best_fit;
  } tries[] = {{&by_size, false}, {&by_size, true}, {&by_start, true}, {&by_start, false}};
  size_t best = SIZE_MAX;
  std::vector<size_t> best_offsets;
  for (const auto& t : tries) {
    const size_t arena = place(blocks, *t.order, t.best_fit);
    if (arena < best) {
      best = arena;
      best_offsets.clear();
      for (const ArenaBlock& b : blocks) best_offsets.push_back(b.offset);
    }
  }
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i].offset = best_offsets[i];
  return best;
}

size_t arena_lower_bound(const std::vector<ArenaBlock>& blocks) {
  // Sweep over steps: +size at first, -size after last.
  std::map<int, long long> delta;
  for (const ArenaBlock& b : blocks) {
    delta[b.first] += static_cast<long long>(b.size);
    delta[b.last + 1] -= static_cast<long long>(b.size);
  }
  long long live = 0, peak = 0;
  for (const auto& [step, d] : delta) {
    live += d;
    peak = std::max(peak, live);
  }
  return static_cast<size_t>(peak);
}

}  // namespace edgeinfer
