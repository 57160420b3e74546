#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>

namespace edgeinfer {

size_t dtype_size(DataType t) {
  switch (t) {
    case DataType::kFloat32: return 4;
    case DataType::kUint8: return 1;
    case DataType::kInt8: return 1;
    case DataType::kUint16: return 2;
    case DataType::kInt16: return 2;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kFloat16: return 2;
    case DataType::kFloat64: return 8;
    case DataType::kUint32: return 4;
    case DataType::kUint64: return 8;
    case DataType::kString:
    case DataType::kUndefined: return 0;
  }
  return 0;
}

const char* dtype_name(DataType t) {
  switch (t) {
    case DataType::kUndefined: return "undefined";
    case DataType::kFloat32: return "float32";
    case DataType::kUint8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUint16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kFloat64: return "float64";
    case DataType::kUint32: return "uint32";
    case DataType::kUint64: return "uint64";
  }
  return "unknown";
}

bool dtype_is_known(int32_t v) { return v >= 1 && v <= 13; }

Result<int64_t> checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("negative dimension in shape " + shape_to_string(shape));
    if (d != 0 && n > kMaxTensorElements / d)
      return resource_exhausted("shape " + shape_to_string(shape) + " has more than 2^31 elements");
    n *= d;
  }
  return n;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return invalid_argument("shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Result<int> normalize_axis(int64_t axis, int rank) {
  if (axis < -rank || axis >= std::max(rank, 1))
    return invalid_argument("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

namespace {
// 64-byte alignment: SIMD loads and cache lines.
std::shared_ptr<void> aligned_alloc_bytes(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) return nullptr;
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}
}  // namespace

Result<Tensor> Tensor::allocate(DataType dtype, Shape shape) {
  if (dtype_size(dtype) == 0)
    return unsupported(std::string("tensors of dtype ") + dtype_name(dtype) + " are not supported");
  EI_ASSIGN_OR_RETURN(int64_t n, checked_numel(shape));
  int64_t elem = static_cast<int64_t>(dtype_size(dtype));
  if (n > kMaxTensorBytes / elem)
    return resource_exhausted("tensor of shape " + shape_to_string(shape) + " exceeds 2 GiB");
  Tensor t;
  t.storage_ = aligned_alloc_bytes(static_cast<size_t>(n * elem));
  if (!t.storage_) return resource_exhausted("out of memory allocating " + std::to_string(n * elem) + " bytes");
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::view(DataType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

void Tensor::set_view(DataType dtype, const Shape& shape, void* data) {
  storage_.reset();
  dtype_ = dtype;
  shape_.assign(shape.begin(), shape.end());
  data_ = data;
}

Tensor Tensor::clone() const {
  Tensor t = allocate(dtype_, shape_).value();
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape new_shape) const {
  Tensor t = *this;
  t.shape_ = std::move(new_shape);
  return t;
}

int64_t get_int(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kInt64: return t.data<int64_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kBool: return t.data<bool>()[i] ? 1 : 0;
    case DataType::kInt16: return t.data<int16_t>()[i];
    case DataType::kUint16: return t.data<uint16_t>()[i];
    case DataType::kUint32: return t.data<uint32_t>()[i];
    case DataType::kUint64: return static_cast<int64_t>(t.data<uint64_t>()[i]);
    default: return 0;
  }
}

Result<std::vector<int64_t>> to_int_vector(const Tensor& t) {
  if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32)
    return invalid_model(std::string("expected an int64 or int32 tensor, got ") + dtype_name(t.dtype()));
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = get_int(t, i);
  return v;
}

Result<std::vector<int64_t>> int_list(const Tensor& t, const char* what) {
  if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32)
    return invalid_model(std::string(what) + " must be int32 or int64, got " + dtype_name(t.dtype()));
  if (t.rank() > 1) return invalid_model(std::string(what) + " must be 1-D, got shape " + shape_to_string(t.shape()));
  return to_int_vector(t);
}

}  // namespace edgeinfer
