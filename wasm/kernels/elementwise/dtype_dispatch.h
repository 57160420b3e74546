// Runs a generic lambda with the C++ type of a runtime DataType: visit_dtype(dt, [&](auto tag) {
// using T = typename decltype(tag)::type; ... }). Returns false for dtypes with no C++ element type
// here (float16, string, undefined), which callers report as kUnsupported.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace edgeinfer {
namespace elementwise {

template <typename T>
struct TypeTag {
  using type = T;
};

template <typename Fn>
bool visit_dtype(DataType dt, Fn&& fn) {
  switch (dt) {
    case DataType::kFloat32: fn(TypeTag<float>{}); return true;
    case DataType::kFloat64: fn(TypeTag<double>{}); return true;
    case DataType::kInt64: fn(TypeTag<int64_t>{}); return true;
    case DataType::kInt32: fn(TypeTag<int32_t>{}); return true;
    case DataType::kInt16: fn(TypeTag<int16_t>{}); return true;
    case DataType::kInt8: fn(TypeTag<int8_t>{}); return true;
    case DataType::kUint64: fn(TypeTag<uint64_t>{}); return true;
    case DataType::kUint32: fn(TypeTag<uint32_t>{}); return true;
    case DataType::kUint16: fn(TypeTag<uint16_t>{}); return true;
    case DataType::kUint8: fn(TypeTag<uint8_t>{}); return true;
    case DataType::kBool: fn(TypeTag<bool>{}); return true;
    default: return false;
  }
}

// Bit masks of dtypes for "which dtypes does this op accept".
constexpr uint32_t dtype_bit(DataType t) { return 1u << static_cast<int>(t); }
constexpr uint32_t kFloatTypes = dtype_bit(DataType::kFloat32) | dtype_bit(DataType::kFloat64);
constexpr uint32_t kSignedIntTypes = dtype_bit(DataType::kInt8) | dtype_bit(DataType::kInt16) |
                                     dtype_bit(DataType::kInt32) | dtype_bit(DataType::kInt64);
constexpr uint32_t kUnsignedIntTypes = dtype_bit(DataType::kUint8) | dtype_bit(DataType::kUint16) |
                                       dtype_bit(DataType::kUint32) | dtype_bit(DataType::kUint64);
constexpr uint32_t kIntTypes = kSignedIntTypes | kUnsignedIntTypes;
constexpr uint32_t kNumericTypes = kFloatTypes | kIntTypes;
inline bool dtype_in(DataType t, uint32_t mask) {
  const int v = static_cast<int>(t);
  return v >= 0 && v < 32 && (mask & (1u << v)) != 0;
}

}  // namespace elementwise
}  // namespace edgeinfer
