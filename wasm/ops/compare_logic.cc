// Comparisons (Equal, Greater, GreaterOrEqual, Less, LessOrEqual -> bool), logic on bool tensors
// (And, Or, Xor, Not) and Where, all with multidirectional broadcasting.
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "kernels/elementwise/broadcast.h"
#include "kernels/elementwise/dtype_dispatch.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

using elementwise::dtype_bit;
using elementwise::dtype_in;
using elementwise::visit_dtype;

enum class Cmp { kEq, kGt, kGe, kLt, kLe, kAnd, kOr, kXor };

template <Cmp kOp, typename T>
inline bool compare(T a, T b) {
  if constexpr (kOp == Cmp::kEq) return a == b;
  if constexpr (kOp == Cmp::kGt) return a > b;
  if constexpr (kOp == Cmp::kGe) return a >= b;
  if constexpr (kOp == Cmp::kLt) return a < b;
  if constexpr (kOp == Cmp::kLe) return a <= b;
  if constexpr (kOp == Cmp::kAnd) return a && b;
  if constexpr (kOp == Cmp::kOr) return a || b;
  if constexpr (kOp == Cmp::kXor) return a != b;
  return false;
}

template <Cmp kOp, typename T>
void compare_rows(const Tensor& a, const Tensor& b, Tensor& y, ThreadPool* pool) {
  const elementwise::BroadcastPlan plan = elementwise::make_broadcast_plan(y.shape(), {&a.shape(), &b.shape()});
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  bool* py = y.data<bool>();
  elementwise::for_each_row(plan, pool, [&](int64_t o, const std::array<int64_t, 3>& in, int64_t n) {
    const T* ra = pa + in[0];
    const T* rb = pb + in[1];
    bool* ry = py + o;
    if (sa == 1 && sb == 1) {
      for (int64_t k = 0; k < n; ++k) ry[k] = compare<kOp, T>(ra[k], rb[k]);
    } else if (sa == 1) {
      const T vb = rb[0];
      for (int64_t k = 0; k < n; ++k) ry[k] = compare<kOp, T>(ra[k], vb);
    } else if (sb == 1) {
      const T va = ra[0];
      for (int64_t k = 0; k < n; ++k) ry[k] = compare<kOp, T>(va, rb[k]);
    } else {
      const bool v = compare<kOp, T>(ra[0], rb[0]);
      for (int64_t k = 0; k < n; ++k) ry[k] = v;
    }
  });
}

template <Cmp kOp>
class CompareKernel : public Kernel {
 public:
  explicit CompareKernel(uint32_t dtypes) : dtypes_(dtypes) {}

  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1))
      return invalid_model("expects 2 inputs, got " + std::to_string(ctx.num_inputs()));
    const DataType ta = ctx.input_dtype(0), tb = ctx.input_dtype(1);
    if (!dtype_in(ta, dtypes_)) return unsupported(std::string("input dtype ") + dtype_name(ta));
    if (ta != tb)
      return invalid_model(std::string("inputs have different dtypes ") + dtype_name(ta) + " and " + dtype_name(tb));
    EI_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1)));
    ctx.set_output(0, DataType::kBool, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& a = ctx.input(0);
    visit_dtype(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      compare_rows<kOp, T>(a, ctx.input(1), ctx.output(0), &ctx.pool());
    });
    return Status::ok();
  }

 private:
  uint32_t dtypes_;
};

template <Cmp kOp, uint32_t kDtypes>
Result<std::unique_ptr<Kernel>> make_compare(const KernelInit& init) {
  for (const char* name : {"broadcast", "axis"})
    if (init.attrs().has(name))
      return init.error(unsupported(std::string("attribute '") + name + "' (opset < 7 broadcasting)"));
  return std::unique_ptr<Kernel>(new CompareKernel<kOp>(kDtypes));
}

class NotKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() != 1 || !ctx.has_input(0)) return invalid_model("expects 1 input");
    if (ctx.input_dtype(0) != DataType::kBool)
      return invalid_model(std::string("input dtype ") + dtype_name(ctx.input_dtype(0)) + " is not bool");
    ctx.set_output(0, DataType::kBool, ctx.input_shape(0));
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const bool* x = ctx.input(0).data<bool>();
    bool* y = ctx.output(0).data<bool>();
    for (int64_t i = 0, n = ctx.input(0).numel(); i < n; ++i) y[i] = !x[i];
    return Status::ok();
  }
};

// Where(condition, X, Y): copies elements, so one loop per element size serves every dtype.
template <typename W>
void where_rows(const Tensor& c, const Tensor& x, const Tensor& yv, Tensor& out, ThreadPool* pool) {
  const elementwise::BroadcastPlan plan =
      elementwise::make_broadcast_plan(out.shape(), {&c.shape(), &x.shape(), &yv.shape()});
  const int64_t sc = plan.inner_stride(0), sx = plan.inner_stride(1), sy = plan.inner_stride(2);
  const bool* pc = c.data<bool>();
  const W* px = static_cast<const W*>(x.raw());
  const W* py = static_cast<const W*>(yv.raw());
  W* po = static_cast<W*>(out.raw());
  elementwise::for_each_row(plan, pool, [&](int64_t o, const std::array<int64_t, 3>& in, int64_t n) {
    const bool* rc = pc + in[0];
    const W* rx = px + in[1];
    const W* ry = py + in[2];
    W* ro = po + o;
    if (sc == 1 && sx == 1 && sy == 1) {
      for (int64_t k = 0; k < n; ++k) ro[k] = rc[k] ? rx[k] : ry[k];
    } else {
      for (int64_t k = 0; k < n; ++k) ro[k] = rc[k * sc] ? rx[k * sx] : ry[k * sy];
    }
  });
}

class WhereKernel : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() != 3 || !ctx.has_input(0) || !ctx.has_input(1) || !ctx.has_input(2))
      return invalid_model("expects 3 inputs (condition, X, Y)");
    if (ctx.input_dtype(0) != DataType::kBool)
      return invalid_model(std::string("condition dtype ") + dtype_name(ctx.input_dtype(0)) + " is not bool");
    const DataType t = ctx.input_dtype(1);
    if (t != ctx.input_dtype(2))
      return invalid_model(std::string("X and Y have different dtypes ") + dtype_name(t) + " and " +
                           dtype_name(ctx.input_dtype(2)));
    if (dtype_size(t) == 0) return unsupported(std::string("dtype ") + dtype_name(t));
    EI_ASSIGN_OR_RETURN(Shape s, broadcast_shapes(ctx.input_shape(0), ctx.input_shape(1)));
    EI_ASSIGN_OR_RETURN(s, broadcast_shapes(s, ctx.input_shape(2)));
    ctx.set_output(0, t, s);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& c = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& y = ctx.input(2);
    Tensor& out = ctx.output(0);
    switch (dtype_size(x.dtype())) {
      case 1: where_rows<uint8_t>(c, x, y, out, &ctx.pool()); break;
      case 2: where_rows<uint16_t>(c, x, y, out, &ctx.pool()); break;
      case 4: where_rows<uint32_t>(c, x, y, out, &ctx.pool()); break;
      case 8: where_rows<uint64_t>(c, x, y, out, &ctx.pool()); break;
      default: return unsupported(std::string("dtype ") + dtype_name(x.dtype()));
    }
    return Status::ok();
  }
};

constexpr uint32_t kBool = dtype_bit(DataType::kBool);
constexpr uint32_t kEqualTypes = elementwise::kNumericTypes | kBool;
constexpr uint32_t kOrderTypes = elementwise::kNumericTypes;

}  // namespace

// Declares the registrations extern so that the definitions below have external linkage.
#define EDGEINFER_OP(name) extern const OpRegistration kOp##name;
#include "ops/op_list.inc"
#undef EDGEINFER_OP

const OpRegistration kOpEqual = {"", "Equal", &make_compare<Cmp::kEq, kEqualTypes>};
const OpRegistration kOpGreater = {"", "Greater", &make_compare<Cmp::kGt, kOrderTypes>};
const OpRegistration kOpGreaterOrEqual = {"", "GreaterOrEqual", &make_compare<Cmp::kGe, kOrderTypes>};
const OpRegistration kOpLess = {"", "Less", &make_compare<Cmp::kLt, kOrderTypes>};
const OpRegistration kOpLessOrEqual = {"", "LessOrEqual", &make_compare<Cmp::kLe, kOrderTypes>};
const OpRegistration kOpAnd = {"", "And", &make_compare<Cmp::kAnd, kBool>};
const OpRegistration kOpOr = {"", "Or", &make_compare<Cmp::kOr, kBool>};
const OpRegistration kOpXor = {"", "Xor", &make_compare<Cmp::kXor, kBool>};
const OpRegistration kOpNot = {"", "Not", &make_kernel<NotKernel>};
const OpRegistration kOpWhere = {"", "Where", &make_kernel<WhereKernel>};

}  // namespace edgeinfer
