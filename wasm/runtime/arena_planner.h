// Offset assignment for the executor's arena: blocks (tensors or node scratch) with a lifetime in node
// steps get offsets such that blocks alive at the same step never overlap. Finding the smallest arena
// is NP-hard (dynamic storage allocation); a few greedy orders are tried and the smallest kept.
#pragma once

#include <cstddef>
#include <vector>

namespace edgeinfer {

struct ArenaBlock {
  size_t size = 0;
  int first = 0, last = 0;  // alive from step `first` through step `last` (inclusive)
  size_t offset = 0;        // set by assign_arena_offsets
};

// Sets every block's offset and returns the arena size. Offsets are sums of block sizes, so blocks
// sized in multiples of 64 bytes stay 64-byte aligned.
size_t assign_arena_offsets(std::vector<ArenaBlock>& blocks);

// No assignment can do better than this: the largest total size of the blocks alive at one step.
size_t arena_lower_bound(const std::vector<ArenaBlock>& blocks);

}  // namespace edgeinfer
