// Ops that create tensors: Constant, ConstantOfShape, Range.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "ops/op.h"

namespace edgeinfer {

namespace {

// ---------------------------------------------------------------- Constant

class ConstantKernel : public Kernel {
 public:
  explicit ConstantKernel(Tensor value) : value_(std::move(value)) {}
  Status infer(InferContext& ctx) override {
    ctx.set_output(0, value_.dtype(), value_.shape());
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    if (value_.nbytes()) std::memcpy(ctx.output(0).raw(), value_.raw(), value_.nbytes());
    return Status::ok();
  }
  size_t owned_bytes() const override { return value_.nbytes(); }

 private:
  Tensor value_;
};

Result<std::unique_ptr<Kernel>> create_constant(const KernelInit& init) {
  const Attributes& a = init.attrs();
  for (const char* n : {"sparse_value", "value_string", "value_strings"})
    if (a.has(n)) return init.error(unsupported(std::string("Constant attribute '") + n + "'"));
  int count = 0;
  for (const char* n : {"value", "value_float", "value_floats", "value_int", "value_ints"}) count += a.has(n) ? 1 : 0;
  if (count != 1) return init.error(invalid_model("Constant needs exactly one value attribute"));
  Tensor v;
  if (a.has("value")) {
    EI_RETURN_IF_ERROR(init.error(a.check_type("value", AttrType::kTensor)));
    const Tensor& t = a.find("value")->t;
    if (t.empty() || dtype_size(t.dtype()) == 0)
      return init.error(unsupported(std::string("Constant value of dtype ") + dtype_name(t.dtype())));
    v = t.clone();
  } else if (a.has("value_float")) {
    EI_RETURN_IF_ERROR(init.error(a.check_type("value_float", AttrType::kFloat)));
    v = Tensor::scalar_f32(a.get_float("value_float", 0.0f));
  } else if (a.has("value_floats")) {
    EI_RETURN_IF_ERROR(init.error(a.check_type("value_floats", AttrType::kFloats)));
    std::vector<float> f = a.get_floats("value_floats");
    v = Tensor::from_vector<float>({static_cast<int64_t>(f.size())}, f);
  } else if (a.has("value_int")) {
    EI_RETURN_IF_ERROR(init.error(a.check_type("value_int", AttrType::kInt)));
    v = Tensor::scalar_i64(a.get_int("value_int", 0));
  } else {
    EI_RETURN_IF_ERROR(init.error(a.check_type("value_ints", AttrType::kInts)));
    std::vector<int64_t> i = a.get_ints("value_ints");
    v = Tensor::from_vector<int64_t>({static_cast<int64_t>(i.size())}, i);
  }
  return std::unique_ptr<Kernel>(new ConstantKernel(std::move(v)));
}

// ---------------------------------------------------------------- ConstantOfShape

class ConstantOfShapeKernel : public Kernel {
 public:
  explicit ConstantOfShapeKernel(Tensor value) : value_(std::move(value)) {}
  Status infer(InferContext& ctx) override {
    const Tensor* t = ctx.input_value(0);
    if (!t) return ctx.deferred(0);
    if (t->dtype() != DataType::kInt64 && t->dtype() != DataType::kInt32)
      return invalid_model(std::string("ConstantOfShape input must be int64, got ") + dtype_name(t->dtype()));
    if (t->rank() != 1) return invalid_model("ConstantOfShape input must be 1-D, got " + shape_to_string(t->shape()));
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> shape, to_int_vector(*t));
    for (int64_t d : shape)
      if (d < 0) return invalid_argument("ConstantOfShape shape " + shape_to_string(shape) + " has a negative dim");
    EI_ASSIGN_OR_RETURN(int64_t n, checked_numel(shape));
    if (n > kMaxTensorBytes / static_cast<int64_t>(dtype_size(value_.dtype())))
      return resource_exhausted("ConstantOfShape output " + shape_to_string(shape) + " exceeds 2 GiB");
    ctx.set_output(0, value_.dtype(), shape);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    Tensor& out = ctx.output(0);
    const size_t es = dtype_size(out.dtype());
    const int64_t n = out.numel();
    auto* d = static_cast<uint8_t*>(out.raw());
    const auto* v = static_cast<const uint8_t*>(value_.raw());
    bool zero = true;
    for (size_t i = 0; i < es; ++i) zero = zero && v[i] == 0;
    if (zero) {
      std::memset(d, 0, static_cast<size_t>(n) * es);
    } else if (es == 4) {
      uint32_t x;
      std::memcpy(&x, v, 4);
      std::fill(reinterpret_cast<uint32_t*>(d), reinterpret_cast<uint32_t*>(d) + n, x);
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(d + i * static_cast<int64_t>(es), v, es);
    }
    return Status::ok();
  }

 private:
  Tensor value_;
};

Result<std::unique_ptr<Kernel>> create_constant_of_shape(const KernelInit& init) {
  if (!init.has_input(0)) return init.error(invalid_model("ConstantOfShape needs the shape input"));
  const Attributes& a = init.attrs();
  Tensor value = Tensor::scalar_f32(0.0f);
  if (a.has("value")) {
    EI_RETURN_IF_ERROR(init.error(a.check_type("value", AttrType::kTensor)));
    const Tensor& t = a.find("value")->t;
    if (t.empty() || dtype_size(t.dtype()) == 0)
      return init.error(unsupported(std::string("ConstantOfShape value of dtype ") + dtype_name(t.dtype())));
    if (t.numel() != 1) return init.error(invalid_model("ConstantOfShape value must have exactly one element"));
    value = t.clone();
  }
  return std::unique_ptr<Kernel>(new ConstantOfShapeKernel(std::move(value)));
}

// ---------------------------------------------------------------- Range

double scalar_as_double(const Tensor& t) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[0];
    case DataType::kFloat64: return t.data<double>()[0];
    default: return static_cast<double>(get_int(t, 0));
  }
}

bool range_dtype_ok(DataType dt) {
  return dt == DataType::kFloat32 || dt == DataType::kFloat64 || dt == DataType::kInt16 || dt == DataType::kInt32 ||
         dt == DataType::kInt64;
}

// number_of_elements = max(ceil((limit - start) / delta), 0), exact for integers.
Result<int64_t> range_count(const Tensor& start, const Tensor& limit, const Tensor& delta) {
  for (const Tensor* t : {&start, &limit, &delta})
    if (t->numel() != 1) return invalid_argument("Range inputs must be scalars, got shape " + shape_to_string(t->shape()));
  const DataType dt = start.dtype();
  int64_t n;
  if (dt == DataType::kFloat32 || dt == DataType::kFloat64) {
    const double s = scalar_as_double(start), l = scalar_as_double(limit), d = scalar_as_double(delta);
    if (d == 0.0 || !std::isfinite(d)) return invalid_argument("Range delta must be non-zero and finite");
    if (!std::isfinite(s) || !std::isfinite(l)) return invalid_argument("Range start and limit must be finite");
    // The spec computes in the input type: float32 division for float32 inputs.
    const double q = dt == DataType::kFloat32 ? static_cast<double>((static_cast<float>(l) - static_cast<float>(s)) /
                                                                    static_cast<float>(d))
                                              : (l - s) / d;
    const double c = std::ceil(q);
    if (c > static_cast<double>(kMaxTensorElements))
      return resource_exhausted("Range would produce " + std::to_string(c) + " elements");
    n = c > 0 ? static_cast<int64_t>(c) : 0;
  } else {
    const int64_t s = get_int(start, 0), l = get_int(limit, 0), d = get_int(delta, 0);
    if (d == 0) return invalid_argument("Range delta must be non-zero");
    // Work in long double-free exact arithmetic: differences of int64 can overflow, use __int128-free checks.
    const long double diff = static_cast<long double>(l) - static_cast<long double>(s);
    if (diff / static_cast<long double>(d) > static_cast<long double>(kMaxTensorElements))
      return resource_exhausted("Range would produce too many elements");
    if ((d > 0 && l <= s) || (d < 0 && l >= s)) {
      n = 0;
    } else {
      const uint64_t span = d > 0 ? static_cast<uint64_t>(l) - static_cast<uint64_t>(s)
                                  : static_cast<uint64_t>(s) - static_cast<uint64_t>(l);
      const uint64_t mag = d > 0 ? static_cast<uint64_t>(d) : uint64_t{0} - static_cast<uint64_t>(d);
      n = static_cast<int64_t>((span + mag - 1) / mag);
    }
  }
  return n;
}

template <typename T>
void fill_range(Tensor& out, T start, T delta) {
  T* p = out.data<T>();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] = static_cast<T>(start + static_cast<T>(i) * delta);
}

class RangeKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (!range_dtype_ok(dt)) return unsupported(std::string("Range of dtype ") + dtype_name(dt));
    if (ctx.input_dtype(1) != dt || ctx.input_dtype(2) != dt) return invalid_model("Range inputs must share one dtype");
    for (int i = 0; i < 3; ++i)
      if (!ctx.input_value(i)) return ctx.deferred(i);
    EI_ASSIGN_OR_RETURN(int64_t n, range_count(*ctx.input_value(0), *ctx.input_value(1), *ctx.input_value(2)));
    ctx.set_output(0, dt, {n});
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& s = ctx.input(0);
    const Tensor& d = ctx.input(2);
    Tensor& out = ctx.output(0);
    EI_ASSIGN_OR_RETURN(int64_t n, range_count(s, ctx.input(1), d));
    if (n != out.numel()) return internal_error("Range output size changed between infer and run");
    switch (s.dtype()) {
      case DataType::kFloat32: fill_range<float>(out, s.data<float>()[0], d.data<float>()[0]); break;
      case DataType::kFloat64: fill_range<double>(out, s.data<double>()[0], d.data<double>()[0]); break;
      case DataType::kInt16: fill_range<int16_t>(out, s.data<int16_t>()[0], d.data<int16_t>()[0]); break;
      case DataType::kInt32: fill_range<int32_t>(out, s.data<int32_t>()[0], d.data<int32_t>()[0]); break;
      case DataType::kInt64: fill_range<int64_t>(out, s.data<int64_t>()[0], d.data<int64_t>()[0]); break;
      default: return unsupported(std::string("Range of dtype ") + dtype_name(s.dtype()));
    }
    return Status::ok();
  }
};

Result<std::unique_ptr<Kernel>> create_range(const KernelInit& init) {
  for (int i = 0; i < 3; ++i)
    if (!init.has_input(i)) return init.error(invalid_model("Range needs start, limit and delta"));
  return std::unique_ptr<Kernel>(new RangeKernel());
}

}  // namespace

extern const OpRegistration kOpConstant = {"", "Constant", &create_constant};
extern const OpRegistration kOpConstantOfShape = {"", "ConstantOfShape", &create_constant_of_shape};
extern const OpRegistration kOpRange = {"", "Range", &create_range};

}  // namespace edgeinfer
