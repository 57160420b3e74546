// Cast and CastLike between float32, float64, float16, bool and the 8/16/32/64-bit integer types.
// Conversions that C++ leaves undefined are defined here: float -> integer truncates toward zero and
// saturates at the target's limits (NaN -> 0); integer -> narrower integer wraps (two's complement);
// anything -> bool is "!= 0"; float16 conversions round to nearest even.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/elementwise/broadcast.h"
#include "kernels/elementwise/dtype_dispatch.h"
#include "kernels/elementwise/float16.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

using elementwise::TypeTag;

struct Half {
  uint16_t bits;
};

template <typename Fn>
bool visit_cast_type(DataType dt, Fn&& fn) {
  if (dt == DataType::kFloat16) {
    fn(TypeTag<Half>{});
    return true;
  }
  return elementwise::visit_dtype(dt, fn);
}

// Source value widened to a type that holds it exactly (double for floats, the integer itself).
template <typename S>
inline auto widen(S v) {
  if constexpr (std::is_same_v<S, Half>) return static_cast<double>(elementwise::half_to_float(v.bits));
  else if constexpr (std::is_floating_point_v<S>) return static_cast<double>(v);
  else return v;
}

template <typename S, typename D>
inline D convert(S s) {
  auto v = widen(s);
  using V = decltype(v);
  if constexpr (std::is_same_v<D, bool>) {
    return v != V(0);
  } else if constexpr (std::is_same_v<D, Half>) {
    return Half{elementwise::double_to_half(static_cast<double>(v))};
  } else if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else if constexpr (std::is_floating_point_v<V>) {
    if (std::isnan(v)) return D(0);
    if (v <= static_cast<double>(std::numeric_limits<D>::lowest())) return std::numeric_limits<D>::lowest();
    // max() of 64-bit types rounds up to 2^63 / 2^64 in double: >= catches it.
    if (v >= static_cast<double>(std::numeric_limits<D>::max())) return std::numeric_limits<D>::max();
    return static_cast<D>(v);
  } else {
    return static_cast<D>(v);  // integer -> integer: modular
  }
}

template <typename S, typename D>
void cast_loop(const void* src, void* dst, int64_t n, ThreadPool* pool) {
  const S* s = static_cast<const S*>(src);
  D* d = static_cast<D*>(dst);
  if constexpr (std::is_same_v<S, D>) {
    std::memcpy(d, s, static_cast<size_t>(n) * sizeof(S));
  } else {
    elementwise::parallel_range(pool, n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = convert<S, D>(s[i]);
    });
  }
}

bool castable(DataType t) { return t == DataType::kFloat16 || elementwise::dtype_in(t, elementwise::kNumericTypes | elementwise::dtype_bit(DataType::kBool)); }

// The ONNX TensorProto.DataType values this runtime has no tensors for.
const char* unsupported_onnx_type(int64_t v) {
  switch (v) {
    case 8: return "string";
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    case 17: return "float8e4m3fn";
    case 18: return "float8e4m3fnuz";
    case 19: return "float8e5m2";
    case 20: return "float8e5m2fnuz";
    case 21: return "uint4";
    case 22: return "int4";
    default: return nullptr;
  }
}

class CastKernel : public Kernel {
 public:
  // to == kUndefined: CastLike, the target is input 1's dtype.
  explicit CastKernel(DataType to) : to_(to) {}

  Status infer(InferContext& ctx) override {
    const int expected = to_ == DataType::kUndefined ? 2 : 1;
    if (ctx.num_inputs() != expected || !ctx.has_input(0) || (expected == 2 && !ctx.has_input(1)))
      return invalid_model("expects " + std::to_string(expected) + " input(s)");
    const DataType from = ctx.input_dtype(0);
    const DataType to = to_ == DataType::kUndefined ? ctx.input_dtype(1) : to_;
    if (!castable(from)) return unsupported(std::string("cast from ") + dtype_name(from));
    if (!castable(to)) return unsupported(std::string("cast to ") + dtype_name(to));
    ctx.set_output(0, to, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    ThreadPool* pool = &ctx.pool();
    bool ok = false;
    visit_cast_type(x.dtype(), [&](auto st) {
      using S = typename decltype(st)::type;
      ok = visit_cast_type(y.dtype(), [&](auto dt) {
        using D = typename decltype(dt)::type;
        cast_loop<S, D>(x.raw(), y.raw(), x.numel(), pool);
      });
    });
    if (!ok) return unsupported(std::string("cast from ") + dtype_name(x.dtype()) + " to " + dtype_name(y.dtype()));
    return Status::ok();
  }

 private:
  DataType to_;
};

Status check_saturate(const KernelInit& init) {
  // `saturate` (opset 19) only changes casts to float8 types, which are rejected anyway.
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("saturate", AttrType::kInt)));
  return Status::ok();
}

Result<std::unique_ptr<Kernel>> make_cast(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_saturate(init));
  const Attribute* to = init.attrs().find("to");
  if (to == nullptr) return init.error(invalid_model("missing required attribute 'to'"));
  if (to->type != AttrType::kInt) return init.error(invalid_model("attribute 'to' must be an int"));
  if (const char* name = unsupported_onnx_type(to->i))
    return init.error(unsupported(std::string("cast to ") + name));
  if (to->i < 1 || to->i > 13 || !dtype_is_known(static_cast<int32_t>(to->i)))
    return init.error(invalid_model("attribute 'to' = " + std::to_string(to->i) + " is not a tensor data type"));
  return std::unique_ptr<Kernel>(new CastKernel(static_cast<DataType>(to->i)));
}

Result<std::unique_ptr<Kernel>> make_cast_like(const KernelInit& init) {
  EI_RETURN_IF_ERROR(check_saturate(init));
  return std::unique_ptr<Kernel>(new CastKernel(DataType::kUndefined));
}

}  // namespace

// Declares the registrations extern so that the definitions below have external linkage.
#define EDGEINFER_OP(name) extern const OpRegistration kOp##name;
#include "ops/op_list.inc"
#undef EDGEINFER_OP

const OpRegistration kOpCast = {"", "Cast", &make_cast};
const OpRegistration kOpCastLike = {"", "CastLike", &make_cast_like};

}  // namespace edgeinfer
