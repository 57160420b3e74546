// IEEE 754 binary16 <-> float32/float64 conversions, correctly rounded (to nearest, ties to even),
// with subnormals, infinities and NaN (sign and the top payload bits kept; quiet bit set).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace edgeinfer {
namespace elementwise {

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: exactly mant * 2^-24, a normal float.
    float f = static_cast<float>(mant) * 5.9604644775390625e-8f;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// Rounds a double straight to half (no double rounding through float).
inline uint16_t double_to_half(double d) {
  uint64_t dbits;
  std::memcpy(&dbits, &d, 8);
  const uint16_t sign = static_cast<uint16_t>((dbits >> 48) & 0x8000u);
  if (std::isnan(d)) return static_cast<uint16_t>(sign | 0x7E00u | ((dbits >> 42) & 0x1FFu));
  const double a = std::fabs(d);
  if (a >= 65520.0) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds to infinity
  if (a < 6.103515625e-05) {
    // Subnormal (or zero): units of 2^-24; nearbyint rounds ties to even, 1024 lands on the
    // smallest normal's encoding, which is the right answer.
    const double q = std::nearbyint(a * 16777216.0);
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(q));
  }
  int e;
  std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1)
  int E = e - 1;       // a = 1.m * 2^E, E in [-14, 15]
  double m = std::nearbyint(std::ldexp(a, 10 - E));  // [1024, 2048]
  if (m >= 2048.0) {
    m = 1024.0;
    ++E;
  }
  if (E > 15) return static_cast<uint16_t>(sign | 0x7C00u);
  return static_cast<uint16_t>(sign | static_cast<uint16_t>((E + 15) << 10) | static_cast<uint16_t>(static_cast<int>(m) - 1024));
}

inline uint16_t float_to_half(float f) { return double_to_half(static_cast<double>(f)); }

}  // namespace elementwise
}  // namespace edgeinfer
