// Tensors: a dtype, a shape and a pointer. A tensor either owns its bytes (heap, shared) or views
// memory owned by someone else (the session arena, a model's weights).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgeinfer {

// Numbered as ONNX TensorProto.DataType so the loader can cast directly.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUint32 = 12,
  kUint64 = 13,
};

// Bytes per element; 0 for kUndefined and kString (strings are not stored in tensors).
size_t dtype_size(DataType t);
const char* dtype_name(DataType t);  // "float32", "int64", ... (numpy-like names)
bool dtype_is_known(int32_t onnx_value);

template <typename T> constexpr DataType dtype_of();
template <> constexpr DataType dtype_of<float>() { return DataType::kFloat32; }
template <> constexpr DataType dtype_of<double>() { return DataType::kFloat64; }
template <> constexpr DataType dtype_of<uint8_t>() { return DataType::kUint8; }
template <> constexpr DataType dtype_of<int8_t>() { return DataType::kInt8; }
template <> constexpr DataType dtype_of<int16_t>() { return DataType::kInt16; }
template <> constexpr DataType dtype_of<uint16_t>() { return DataType::kUint16; }
template <> constexpr DataType dtype_of<int32_t>() { return DataType::kInt32; }
template <> constexpr DataType dtype_of<int64_t>() { return DataType::kInt64; }
template <> constexpr DataType dtype_of<uint32_t>() { return DataType::kUint32; }
template <> constexpr DataType dtype_of<uint64_t>() { return DataType::kUint64; }
template <> constexpr DataType dtype_of<bool>() { return DataType::kBool; }

using Shape = std::vector<int64_t>;

// Largest tensor the runtime will allocate, in elements and bytes. Absurd shapes from a hostile
// or corrupt model fail with kResourceExhausted instead of an out-of-memory abort.
constexpr int64_t kMaxTensorElements = int64_t{1} << 31;
constexpr int64_t kMaxTensorBytes = int64_t{1} << 31;

// Product of dims; fails on negative dims or on overflow past kMaxTensorElements.
Result<int64_t> checked_numel(const Shape& shape);
// Product of dims for shapes already validated (no checks).
int64_t numel(const Shape& shape);
std::string shape_to_string(const Shape& shape);  // "[1,3,224,224]"
// ONNX multidirectional (numpy) broadcasting of two shapes; fails naming both shapes.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// Normalises a possibly negative axis into [0, rank); fails when out of range.
Result<int> normalize_axis(int64_t axis, int rank);

class Tensor {
 public:
  Tensor() = default;

  // Zero-initialised heap tensor. Fails on invalid or oversized shapes.
  static Result<Tensor> allocate(DataType dtype, Shape shape);
  // Non-owning view of `data`, which must outlive the tensor and hold numel*dtype_size bytes.
  static Tensor view(DataType dtype, Shape shape, void* data);
  // Makes *this a view like view() does, reusing its shape storage (the executor re-points its values
  // every run without allocating).
  void set_view(DataType dtype, const Shape& shape, void* data);
  // Heap tensor holding a copy of `values` (for tests and small constants).
  template <typename T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  static Tensor scalar_f32(float v) { return from_vector<float>({}, {v}); }
  static Tensor scalar_i64(int64_t v) { return from_vector<int64_t>({}, {v}); }

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return edgeinfer::numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool empty() const { return dtype_ == DataType::kUndefined; }
  bool owns_data() const { return storage_ != nullptr; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T> T* data() { return static_cast<T*>(data_); }
  template <typename T> const T* data() const { return static_cast<const T*>(data_); }

  // Deep copy into a fresh heap tensor.
  Tensor clone() const;
  // Same bytes, new shape (numel must match). Shares ownership with *this.
  Tensor reshaped(Shape new_shape) const;

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<void> storage_;  // null for views
};

// Reads element i of an integer tensor (int32/int64/uint8/int8/bool) as int64; used for shape inputs.
int64_t get_int(const Tensor& t, int64_t i);
// Copies an int32/int64 tensor into a vector (shape, axes, pads inputs).
Result<std::vector<int64_t>> to_int_vector(const Tensor& t);
// The same for a 1-D (or scalar) list input; `what` names the input in errors ("Tile repeats").
Result<std::vector<int64_t>> int_list(const Tensor& t, const char* what);

template <typename T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor t = allocate(dtype_of<T>(), std::move(shape)).value();
  T* out = t.data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) out[i] = values[i];
  return t;
}

}  // namespace edgeinfer
