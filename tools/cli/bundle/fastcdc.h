// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016) with a 64-bit gear hash and
// normalized chunking (level 2): a boundary is harder to hit before the average size and easier after
// it, which narrows the size distribution without losing shift resilience.
//
// A cut is allowed at position i (chunk = bytes [start, i)) when the gear hash of the bytes since
// start + min_size has the top bits of its mask clear: mask_s (log2(avg) + 2 bits) before avg_size,
// mask_l (log2(avg) - 2 bits) after it. The top bits of `h = (h << 1) + G[byte]` depend on the last
// 64 bytes, so a boundary depends only on a 64-byte window: an edit moves at most the boundaries
// within about max_size after it. Chunks are at least min_size (except the last) and at most max_size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"

namespace edgeinfer::bundle {

struct ChunkingParams {
  size_t min_size = 16 * 1024;
  size_t avg_size = 64 * 1024;  // a power of two
  size_t max_size = 256 * 1024;
};

// Checks min <= avg <= max, avg a power of two >= 256, min >= 64, max <= 64 MiB.
Status validate_chunking(const ChunkingParams& p);

// The gear table: 256 values of SplitMix64 seeded with 0x45646765696e6665 ("Edgeinfe"), fixed in the
// source so that every build cuts identically.
const uint64_t* gear_table();

// The length of the chunk starting at data[0] (n bytes remain): min(n, max_size) at most.
size_t fastcdc_cut(const uint8_t* data, size_t n, const ChunkingParams& p);

struct ChunkSpan {
  size_t offset;
  size_t size;
};

// All chunks of data, in order; empty input gives no chunks. params must be valid.
std::vector<ChunkSpan> fastcdc_chunks(const uint8_t* data, size_t n, const ChunkingParams& p);

}  // namespace edgeinfer::bundle
