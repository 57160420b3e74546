// y[i] = table[x[i]] over bytes: the 256-entry lookup behind Q8Lookup, QLinearSigmoid and
// QLinearLeakyRelu. The simd128 variant holds the table in 16 registers and builds each output byte
// from i8x16.swizzle of every 16-entry slice (an index outside a slice selects 0), 16 bytes per step;
// the reference is the plain loop, and the two are equal (tested).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {

void q8_lookup(const uint8_t* table, const uint8_t* x, uint8_t* y, size_t n);
void q8_lookup_reference(const uint8_t* table, const uint8_t* x, uint8_t* y, size_t n);

}  // namespace edgeinfer
