// Unary elementwise operators. Float32 runs the SIMD128 loops of kernels/elementwise (split over
// threads when large); float64 runs the same scalar semantics in double; Abs, Neg, Relu, Sign and
// Clip also take integer inputs.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/elementwise/broadcast.h"
#include "kernels/elementwise/dtype_dispatch.h"
#include "kernels/elementwise/elementwise.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

using elementwise::dtype_bit;
using elementwise::dtype_in;
using elementwise::UnaryOp;
using elementwise::UnaryParams;
using elementwise::visit_dtype;

constexpr uint32_t kF32F64 = elementwise::kFloatTypes;
constexpr uint32_t kSignedNumeric = elementwise::kFloatTypes | elementwise::kSignedIntTypes;

template <typename T>
T int_unary(UnaryOp op, T x, T lo, T hi) {
  using W = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;
  switch (op) {
    case UnaryOp::kAbs:
      if constexpr (std::is_signed_v<T>) {
        if (x < T(0)) return static_cast<T>(static_cast<W>(W(0) - static_cast<W>(x)));  // INT_MIN stays INT_MIN
      }
      return x;
    case UnaryOp::kNeg: return static_cast<T>(static_cast<W>(W(0) - static_cast<W>(x)));
    case UnaryOp::kRelu: return x < T(0) ? T(0) : x;
    case UnaryOp::kSign: return x > T(0) ? T(1) : (x < T(0) ? static_cast<T>(-1) : T(0));
    case UnaryOp::kClip: {
      T v = x < lo ? lo : x;
      return hi < v ? hi : v;
    }
    default: return x;
  }
}

class UnaryKernel : public Kernel {
 public:
  UnaryKernel(UnaryOp op, UnaryParams params, uint32_t dtypes) : op_(op), params_(params), dtypes_(dtypes) {}

  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() < 1 || !ctx.has_input(0)) return invalid_model("expects 1 input");
    const DataType t = ctx.input_dtype(0);
    if (!dtype_in(t, dtypes_)) return unsupported(std::string("input dtype ") + dtype_name(t));
    if (op_ == UnaryOp::kClip) {
      for (int i = 1; i <= 2; ++i) {
        if (!ctx.has_input(i)) continue;
        if (ctx.input_dtype(i) != t)
          return invalid_model(std::string(i == 1 ? "min" : "max") + " has dtype " +
                               dtype_name(ctx.input_dtype(i)) + ", input has " + dtype_name(t));
        if (numel(ctx.input_shape(i)) != 1)
          return invalid_argument(std::string(i == 1 ? "min" : "max") + " must be a scalar, got shape " +
                                  shape_to_string(ctx.input_shape(i)));
      }
    }
    ctx.set_output(0, t, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const int64_t n = x.numel();
    ThreadPool* pool = &ctx.pool();
    visit_dtype(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, bool>) {
        const T* px = x.data<T>();
        T* py = y.data<T>();
        T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
        if constexpr (std::is_floating_point_v<T>) {
          lo = static_cast<T>(params_.alpha);
          hi = static_cast<T>(params_.beta);
        }
        if (op_ == UnaryOp::kClip) {
          if (ctx.has_input(1)) lo = ctx.input(1).data<T>()[0];
          if (ctx.has_input(2)) hi = ctx.input(2).data<T>()[0];
        }
        if constexpr (std::is_same_v<T, float>) {
          UnaryParams p = params_;
          if (op_ == UnaryOp::kClip) {
            p.alpha = lo;
            p.beta = hi;
          }
          elementwise::parallel_range(pool, n, [&](int64_t b, int64_t e) {
            elementwise::f32_unary(op_, p, px + b, py + b, e - b);
          });
        } else if constexpr (std::is_same_v<T, double>) {
          UnaryParams p = params_;
          for (int64_t i = 0; i < n; ++i) {
            if (op_ == UnaryOp::kClip) {
              T v = px[i] < lo ? lo : px[i];
              py[i] = hi < v ? hi : v;
            } else {
              py[i] = elementwise::unary_scalar<double>(op_, p, px[i]);
            }
          }
        } else {
          for (int64_t i = 0; i < n; ++i) py[i] = int_unary<T>(op_, px[i], lo, hi);
        }
      }
    });
    return Status::ok();
  }
  // Each element is read before its position is written (min/max are scalars read up front).
  OutputAlias output_alias(int i) const override { return i == 0 ? OutputAlias::kInPlace : OutputAlias::kNone; }

 private:
  UnaryOp op_;
  UnaryParams params_;
  uint32_t dtypes_;
};

Status float_attr(const KernelInit& init, const char* name, float dflt, float* out) {
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type(name, AttrType::kFloat)));
  *out = init.attrs().get_float(name, dflt);
  return Status::ok();
}

template <UnaryOp kOp, uint32_t kDtypes>
Result<std::unique_ptr<Kernel>> make_unary(const KernelInit& init) {
  UnaryParams p;
  switch (kOp) {
    case UnaryOp::kLeakyRelu: EI_RETURN_IF_ERROR(float_attr(init, "alpha", 0.01f, &p.alpha)); break;
    case UnaryOp::kElu: EI_RETURN_IF_ERROR(float_attr(init, "alpha", 1.0f, &p.alpha)); break;
    case UnaryOp::kSelu:
      EI_RETURN_IF_ERROR(float_attr(init, "alpha", 1.67326319217681884765625f, &p.alpha));
      EI_RETURN_IF_ERROR(float_attr(init, "gamma", 1.05070102214813232421875f, &p.gamma));
      break;
    case UnaryOp::kHardSigmoid:
      EI_RETURN_IF_ERROR(float_attr(init, "alpha", 0.2f, &p.alpha));
      EI_RETURN_IF_ERROR(float_attr(init, "beta", 0.5f, &p.beta));
      break;
    default: break;
  }
  if (init.attrs().has("consumed_inputs"))  // opset 1 only
    return init.error(unsupported("attribute 'consumed_inputs' (opset 1)"));
  return std::unique_ptr<Kernel>(new UnaryKernel(kOp, p, kDtypes));
}

Result<std::unique_ptr<Kernel>> make_gelu(const KernelInit& init) {
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("approximate", AttrType::kString)));
  const std::string approx = init.attrs().get_string("approximate", "none");
  UnaryOp op;
  if (approx == "none") op = UnaryOp::kGeluErf;
  else if (approx == "tanh") op = UnaryOp::kGeluTanh;
  else return init.error(invalid_model("approximate '" + approx + "' (expected 'none' or 'tanh')"));
  return std::unique_ptr<Kernel>(new UnaryKernel(op, UnaryParams{}, kF32F64));
}

// Clip: opset < 11 takes min/max attributes (float only); opset >= 11 optional scalar inputs
// (opset 12+ also integer types).
Result<std::unique_ptr<Kernel>> make_clip(const KernelInit& init) {
  UnaryParams p;
  p.alpha = -std::numeric_limits<float>::infinity();
  p.beta = std::numeric_limits<float>::infinity();
  if (init.opset < 11) {
    EI_RETURN_IF_ERROR(float_attr(init, "min", -std::numeric_limits<float>::max(), &p.alpha));
    EI_RETURN_IF_ERROR(float_attr(init, "max", std::numeric_limits<float>::max(), &p.beta));
    if (init.num_inputs() > 1) return init.error(invalid_model("Clip before opset 11 takes 1 input"));
    return std::unique_ptr<Kernel>(new UnaryKernel(UnaryOp::kClip, p, kF32F64));
  }
  for (const char* name : {"min", "max"})
    if (init.attrs().has(name))
      return init.error(invalid_model(std::string("attribute '") + name + "' was replaced by an input in opset 11"));
  if (init.num_inputs() > 3) return init.error(invalid_model("Clip takes at most 3 inputs"));
  return std::unique_ptr<Kernel>(new UnaryKernel(UnaryOp::kClip, p, elementwise::kNumericTypes));
}

}  // namespace

// Declares the registrations extern so that the definitions below have external linkage.
#define EDGEINFER_OP(name) extern const OpRegistration kOp##name;
#include "ops/op_list.inc"
#undef EDGEINFER_OP

const OpRegistration kOpAbs = {"", "Abs", &make_unary<UnaryOp::kAbs, elementwise::kNumericTypes>};
const OpRegistration kOpNeg = {"", "Neg", &make_unary<UnaryOp::kNeg, kSignedNumeric>};
const OpRegistration kOpRelu = {"", "Relu", &make_unary<UnaryOp::kRelu, kSignedNumeric>};
const OpRegistration kOpSign = {"", "Sign", &make_unary<UnaryOp::kSign, elementwise::kNumericTypes>};
const OpRegistration kOpSqrt = {"", "Sqrt", &make_unary<UnaryOp::kSqrt, kF32F64>};
const OpRegistration kOpExp = {"", "Exp", &make_unary<UnaryOp::kExp, kF32F64>};
const OpRegistration kOpLog = {"", "Log", &make_unary<UnaryOp::kLog, kF32F64>};
const OpRegistration kOpReciprocal = {"", "Reciprocal", &make_unary<UnaryOp::kReciprocal, kF32F64>};
const OpRegistration kOpFloor = {"", "Floor", &make_unary<UnaryOp::kFloor, kF32F64>};
const OpRegistration kOpCeil = {"", "Ceil", &make_unary<UnaryOp::kCeil, kF32F64>};
const OpRegistration kOpRound = {"", "Round", &make_unary<UnaryOp::kRound, kF32F64>};
const OpRegistration kOpErf = {"", "Erf", &make_unary<UnaryOp::kErf, kF32F64>};
const OpRegistration kOpTanh = {"", "Tanh", &make_unary<UnaryOp::kTanh, kF32F64>};
const OpRegistration kOpSigmoid = {"", "Sigmoid", &make_unary<UnaryOp::kSigmoid, kF32F64>};
const OpRegistration kOpSin = {"", "Sin", &make_unary<UnaryOp::kSin, kF32F64>};
const OpRegistration kOpCos = {"", "Cos", &make_unary<UnaryOp::kCos, kF32F64>};
const OpRegistration kOpLeakyRelu = {"", "LeakyRelu", &make_unary<UnaryOp::kLeakyRelu, kF32F64>};
const OpRegistration kOpElu = {"", "Elu", &make_unary<UnaryOp::kElu, kF32F64>};
const OpRegistration kOpSelu = {"", "Selu", &make_unary<UnaryOp::kSelu, kF32F64>};
const OpRegistration kOpSoftplus = {"", "Softplus", &make_unary<UnaryOp::kSoftplus, kF32F64>};
const OpRegistration kOpSoftsign = {"", "Softsign", &make_unary<UnaryOp::kSoftsign, kF32F64>};
const OpRegistration kOpHardSigmoid = {"", "HardSigmoid", &make_unary<UnaryOp::kHardSigmoid, kF32F64>};
const OpRegistration kOpHardSwish = {"", "HardSwish", &make_unary<UnaryOp::kHardSwish, kF32F64>};
const OpRegistration kOpGelu = {"", "Gelu", &make_gelu};
const OpRegistration kOpClip = {"", "Clip", &make_clip};

}  // namespace edgeinfer
