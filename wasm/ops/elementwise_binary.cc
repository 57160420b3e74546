// Binary arithmetic with multidirectional broadcasting: Add, Sub, Mul, Div, Pow, PRelu (unidirectional),
// and the variadic Max, Min, Sum, Mean. Float32 runs the SIMD128 row loops of kernels/elementwise;
// the other dtypes (float64, the integer types) run scalar loops with C semantics made safe:
// integer Add/Sub/Mul wrap around, Div truncates toward zero and fails on a zero divisor.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/elementwise/broadcast.h"
#include "kernels/elementwise/dtype_dispatch.h"
#include "kernels/elementwise/elementwise.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

using elementwise::BinaryOp;
using elementwise::dtype_in;
using elementwise::visit_dtype;

// Wrapping integer arithmetic in a type wide enough that the usual promotions cannot overflow.
template <typename T>
using WideUnsigned = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;

template <typename T>
T int_pow(T base, int64_t e) {
  if (e < 0) {
    // What truncating 1 / base^|e| gives: only +-1 survive.
    if (base == T(1)) return T(1);
    if constexpr (std::is_signed_v<T>) {
      if (base == T(-1)) return (e & 1) ? T(-1) : T(1);
    }
    return T(0);
  }
  using W = WideUnsigned<T>;
  W result = 1, b = static_cast<W>(base);
  uint64_t n = static_cast<uint64_t>(e);
  while (n) {
    if (n & 1) result = static_cast<W>(result * b);
    b = static_cast<W>(b * b);
    n >>= 1;
  }
  return static_cast<T>(result);
}

// Float to integer without undefined behaviour: NaN -> 0, out of range -> the nearest limit.
template <typename T>
T saturate_to_int(double v) {
  if (std::isnan(v)) return T(0);
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

template <typename T>
T arith(BinaryOp op, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return elementwise::binary_scalar<T>(op, a, b);
  } else if constexpr (std::is_same_v<T, bool>) {
    return a;  // not reachable: no arithmetic op accepts bool
  } else {
    using W = WideUnsigned<T>;
    switch (op) {
      case BinaryOp::kAdd: return static_cast<T>(static_cast<W>(static_cast<W>(a) + static_cast<W>(b)));
      case BinaryOp::kSub: return static_cast<T>(static_cast<W>(static_cast<W>(a) - static_cast<W>(b)));
      case BinaryOp::kMul: return static_cast<T>(static_cast<W>(static_cast<W>(a) * static_cast<W>(b)));
      case BinaryOp::kDiv:
        if (b == T(0)) return T(0);  // rejected before the loop runs
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return static_cast<T>(static_cast<W>(W(0) - static_cast<W>(a)));  // INT_MIN / -1 wraps
        }
        return static_cast<T>(a / b);
      case BinaryOp::kMax: return a < b ? b : a;
      case BinaryOp::kMin: return b < a ? b : a;
      case BinaryOp::kPRelu:
        if constexpr (std::is_signed_v<T>) {
          if (a < T(0)) return static_cast<T>(static_cast<W>(static_cast<W>(a) * static_cast<W>(b)));
        }
        return a;
      case BinaryOp::kPow: return int_pow<T>(a, static_cast<int64_t>(b));
    }
    return a;
  }
}

// Pow with base dtype T and exponent dtype E (opset 12+ allows them to differ).
template <typename T, typename E>
T pow_mixed(T a, E b) {
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (std::is_same_v<T, E>) return std::pow(a, b);
    return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  } else if constexpr (std::is_integral_v<E>) {
    if constexpr (std::is_unsigned_v<E>) {
      if (b > static_cast<E>(std::numeric_limits<int64_t>::max())) return int_pow<T>(a, std::numeric_limits<int64_t>::max());
    }
    return int_pow<T>(a, static_cast<int64_t>(b));
  } else {
    return saturate_to_int<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
}

template <typename T>
bool has_zero(const Tensor& t) {
  const T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (p[i] == T(0)) return true;
  return false;
}

// out = op(a, b) over a plan of (out_shape, {a_shape, b_shape}); a or b may alias out.
template <typename T>
void binary_rows(BinaryOp op, const T* a, const Shape& a_shape, const T* b, const Shape& b_shape, T* out,
                 const Shape& out_shape, ThreadPool* pool) {
  const elementwise::BroadcastPlan plan = elementwise::make_broadcast_plan(out_shape, {&a_shape, &b_shape});
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  elementwise::for_each_row(plan, pool, [&](int64_t o, const std::array<int64_t, 3>& in, int64_t n) {
    const T* pa = a + in[0];
    const T* pb = b + in[1];
    T* py = out + o;
    if constexpr (std::is_same_v<T, float>) {
      elementwise::f32_binary(op, pa, sa, pb, sb, py, n);
    } else if (sa == 1 && sb == 1) {
      for (int64_t k = 0; k < n; ++k) py[k] = arith<T>(op, pa[k], pb[k]);
    } else if (sa == 1) {
      const T vb = pb[0];
      for (int64_t k = 0; k < n; ++k) py[k] = arith<T>(op, pa[k], vb);
    } else {
      for (int64_t k = 0; k < n; ++k) py[k] = arith<T>(op, pa[k * sa], pb[k * sb]);
    }
  });
}

Status check_no_legacy_broadcast(const KernelInit& init) {
  // Opsets 1-6 broadcast with the `broadcast`/`axis` attributes; opset 7 replaced them by numpy rules.
  for (const char* name : {"broadcast", "axis", "consumed_inputs"})
    if (init.attrs().has(name))
      return init.error(unsupported(std::string("attribute '") + name + "' (opset < 7 broadcasting)"));
  return Status::ok();
}

class BinaryKernel : public Kernel {
 public:
  BinaryKernel(BinaryOp op, uint32_t dtypes) : op_(op), dtypes_(dtypes) {}

  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1))
      return invalid_model("expects 2 inputs, got " + std::to_string(ctx.num_inputs()));
    const DataType ta = ctx.input_dtype(0), tb = ctx.input_dtype(1);
    if (!dtype_in(ta, dtypes_)) return unsupported(std::string("input dtype ") + dtype_name(ta));
    if (op_ == BinaryOp::kPow) {
      if (!dtype_in(tb, elementwise::kNumericTypes))
        return unsupported(std::string("exponent dtype ") + dtype_name(tb));
    } else if (ta != tb) {
      return invalid_model(std::string("inputs have different dtypes ") + dtype_name(ta) + " and " + dtype_name(tb));
    }
    EI_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1)));
    if (op_ == BinaryOp::kPRelu && out != ctx.input_shape(0))
      return invalid_argument("slope shape " + shape_to_string(ctx.input_shape(1)) +
                              " is not unidirectionally broadcastable to X shape " +
                              shape_to_string(ctx.input_shape(0)));
    ctx.set_output(0, ta, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& y = ctx.output(0);
    ThreadPool* pool = &ctx.pool();
    if (op_ == BinaryOp::kPow && a.dtype() != b.dtype()) return run_pow_mixed(a, b, y, pool);
    Status st = Status::ok();
    visit_dtype(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) {
        if constexpr (std::is_integral_v<T>) {
          if (op_ == BinaryOp::kDiv && has_zero<T>(b)) {
            st = invalid_argument("integer division by zero");
            return;
          }
        }
        binary_rows<T>(op_, a.data<T>(), a.shape(), b.data<T>(), b.shape(), y.data<T>(), y.shape(), pool);
      }
    });
    return st;
  }
  // binary_rows reads a[i] and b[i] before writing out[i] (an input the planner aliases has the output's shape).
  OutputAlias output_alias(int i) const override { return i <= 1 ? OutputAlias::kInPlace : OutputAlias::kNone; }

 private:
  Status run_pow_mixed(const Tensor& a, const Tensor& b, Tensor& y, ThreadPool* pool) {
    visit_dtype(a.dtype(), [&](auto ta) {
      using T = typename decltype(ta)::type;
      visit_dtype(b.dtype(), [&](auto tb) {
        using E = typename decltype(tb)::type;
        if constexpr (!std::is_same_v<T, bool> && !std::is_same_v<E, bool>) {
          const elementwise::BroadcastPlan plan = elementwise::make_broadcast_plan(y.shape(), {&a.shape(), &b.shape()});
          const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
          const T* pa = a.data<T>();
          const E* pb = b.data<E>();
          T* py = y.data<T>();
          elementwise::for_each_row(plan, pool, [&](int64_t o, const std::array<int64_t, 3>& in, int64_t n) {
            for (int64_t k = 0; k < n; ++k) py[o + k] = pow_mixed<T, E>(pa[in[0] + k * sa], pb[in[1] + k * sb]);
          });
        }
      });
    });
    return Status::ok();
  }

  BinaryOp op_;
  uint32_t dtypes_;
};

template <BinaryOp kOp, uint32_t kDtypes>
Result<std::unique_ptr<Kernel>> make_binary(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_no_legacy_broadcast(init));
  return std::unique_ptr<Kernel>(new BinaryKernel(kOp, kDtypes));
}

// Max, Min, Sum, Mean: any number (>= 1) of inputs, all broadcast together.
class VariadicKernel : public Kernel {
 public:
  VariadicKernel(BinaryOp op, bool mean, uint32_t dtypes) : op_(op), mean_(mean), dtypes_(dtypes) {}

  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() < 1) return invalid_model("expects at least 1 input");
    Shape out;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return invalid_model("input " + std::to_string(i) + " is missing");
      const DataType t = ctx.input_dtype(i);
      if (!dtype_in(t, dtypes_)) return unsupported(std::string("input dtype ") + dtype_name(t));
      if (t != ctx.input_dtype(0))
        return invalid_model(std::string("inputs have different dtypes ") + dtype_name(ctx.input_dtype(0)) +
                             " and " + dtype_name(t));
      if (i == 0) {
        out = ctx.input_shape(0);
      } else {
        EI_ASSIGN_OR_RETURN(out, broadcast_shapes(out, ctx.input_shape(i)));
      }
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    Tensor& y = ctx.output(0);
    ThreadPool* pool = &ctx.pool();
    const int n = ctx.num_inputs();
    visit_dtype(y.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) {
        T* out = y.data<T>();
        const Tensor& a = ctx.input(0);
        if (n == 1) {
          // Same shape as the output; a copy.
          const T* src = a.data<T>();
          for (int64_t i = 0; i < y.numel(); ++i) out[i] = src[i];
        } else {
          const Tensor& b = ctx.input(1);
          binary_rows<T>(op_, a.data<T>(), a.shape(), b.data<T>(), b.shape(), out, y.shape(), pool);
          for (int i = 2; i < n; ++i) {
            const Tensor& c = ctx.input(i);
            binary_rows<T>(op_, out, y.shape(), c.data<T>(), c.shape(), out, y.shape(), pool);
          }
        }
        if (mean_ && n > 1) {
          const T count = static_cast<T>(n);
          const Shape scalar;
          binary_rows<T>(BinaryOp::kDiv, out, y.shape(), &count, scalar, out, y.shape(), pool);
        }
      }
    });
    return Status::ok();
  }
  // The first two inputs are read by the first pass, before any later one is folded into the output.
  OutputAlias output_alias(int i) const override { return i <= 1 ? OutputAlias::kInPlace : OutputAlias::kNone; }

 private:
  BinaryOp op_;
  bool mean_;
  uint32_t dtypes_;
};

template <BinaryOp kOp, bool kMean, uint32_t kDtypes>
Result<std::unique_ptr<Kernel>> make_variadic(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_no_legacy_broadcast(init));
  return std::unique_ptr<Kernel>(new VariadicKernel(kOp, kMean, kDtypes));
}

constexpr uint32_t kArithTypes = elementwise::kNumericTypes;
constexpr uint32_t kPowBaseTypes = elementwise::kFloatTypes | elementwise::dtype_bit(DataType::kInt32) |
                                   elementwise::dtype_bit(DataType::kInt64);
constexpr uint32_t kPReluTypes = elementwise::kFloatTypes | elementwise::dtype_bit(DataType::kInt32) |
                                 elementwise::dtype_bit(DataType::kInt64) |
                                 elementwise::dtype_bit(DataType::kUint32) |
                                 elementwise::dtype_bit(DataType::kUint64);

}  // namespace

// Declares the registrations extern so that the definitions below have external linkage.
#define EDGEINFER_OP(name) extern const OpRegistration kOp##name;
#include "ops/op_list.inc"
#undef EDGEINFER_OP

const OpRegistration kOpAdd = {"", "Add", &make_binary<BinaryOp::kAdd, kArithTypes>};
const OpRegistration kOpSub = {"", "Sub", &make_binary<BinaryOp::kSub, kArithTypes>};
const OpRegistration kOpMul = {"", "Mul", &make_binary<BinaryOp::kMul, kArithTypes>};
const OpRegistration kOpDiv = {"", "Div", &make_binary<BinaryOp::kDiv, kArithTypes>};
const OpRegistration kOpPow = {"", "Pow", &make_binary<BinaryOp::kPow, kPowBaseTypes>};
const OpRegistration kOpPRelu = {"", "PRelu", &make_binary<BinaryOp::kPRelu, kPReluTypes>};
const OpRegistration kOpMax = {"", "Max", &make_variadic<BinaryOp::kMax, false, kArithTypes>};
const OpRegistration kOpMin = {"", "Min", &make_variadic<BinaryOp::kMin, false, kArithTypes>};
const OpRegistration kOpSum = {"", "Sum", &make_variadic<BinaryOp::kAdd, false, elementwise::kFloatTypes>};
const OpRegistration kOpMean = {"", "Mean", &make_variadic<BinaryOp::kAdd, true, elementwise::kFloatTypes>};

}  // namespace edgeinfer
