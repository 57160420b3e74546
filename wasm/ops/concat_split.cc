// Concat and Split: block copies along one axis.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/op.h"

namespace edgeinfer {

namespace {


// ---------------------------------------------------------------- Concat

class ConcatKernel : public Kernel {
 public:
  explicit ConcatKernel(int64_t axis) : axis_(axis) {}
  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() == 0) return invalid_model("Concat needs at least one input");
    const DataType dt = ctx.input_dtype(0);
    if (dtype_size(dt) == 0) return unsupported(std::string("dtype ") + dtype_name(dt));
    const Shape& first = ctx.input_shape(0);
    const int r = static_cast<int>(first.size());
    if (r == 0) return invalid_model("Concat inputs must have rank >= 1");
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, r));
    Shape out = first;
    out[a] = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return invalid_model("Concat input " + std::to_string(i) + " is missing");
      if (ctx.input_dtype(i) != dt)
        return invalid_model("Concat input " + std::to_string(i) + " is " + dtype_name(ctx.input_dtype(i)) +
                             ", input 0 is " + dtype_name(dt));
      const Shape& s = ctx.input_shape(i);
      bool ok = s.size() == first.size();
      for (int k = 0; ok && k < r; ++k) ok = k == a || s[k] == first[k];
      if (!ok)
        return invalid_argument("Concat input " + std::to_string(i) + " has shape " + shape_to_string(s) +
                                ", incompatible with input 0 " + shape_to_string(first) + " on axis " +
                                std::to_string(a));
      out[a] += s[a];
    }
    EI_RETURN_IF_ERROR(checked_numel(out).status());
    ctx.set_output(0, dt, out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    Tensor& out = ctx.output(0);
    const int r = out.rank();
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, r));
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < a; ++k) outer *= out.dim(k);
    for (int k = a + 1; k < r; ++k) inner *= out.dim(k);
    const int64_t es = static_cast<int64_t>(dtype_size(out.dtype()));
    const int64_t out_block = out.dim(a) * inner * es;
    auto* dst = static_cast<uint8_t*>(out.raw());
    int64_t offset = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& in = ctx.input(i);
      const int64_t block = in.dim(a) * inner * es;
      const auto* src = static_cast<const uint8_t*>(in.raw());
      if (block > 0)
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(dst + o * out_block + offset, src + o * block, static_cast<size_t>(block));
      offset += block;
    }
    return Status::ok();
  }

 private:
  int64_t axis_;
};

Result<std::unique_ptr<Kernel>> create_concat(const KernelInit& init) {
  if (!init.attrs().has("axis")) return init.error(invalid_model("Concat needs the axis attribute"));
  return std::unique_ptr<Kernel>(new ConcatKernel(init.attrs().get_int("axis", 0)));
}

// ---------------------------------------------------------------- Split

class SplitKernel : public Kernel {
 public:
  SplitKernel(int64_t axis, bool split_from_input, bool has_split_attr, std::vector<int64_t> split, int64_t num_outputs)
      : axis_(axis), split_from_input_(split_from_input), has_split_attr_(has_split_attr), split_(std::move(split)),
        num_outputs_attr_(num_outputs) {}

  Result<std::vector<int64_t>> sizes(int64_t dim, int n_out, const Tensor* split_input) const {
    std::vector<int64_t> parts;
    if (split_input || has_split_attr_) {
      if (split_input) {
        EI_ASSIGN_OR_RETURN(parts, int_list(*split_input, "split"));
      } else {
        parts = split_;
      }
      if (static_cast<int>(parts.size()) != n_out)
        return invalid_model("split has " + std::to_string(parts.size()) + " values for " + std::to_string(n_out) +
                             " outputs");
      int64_t sum = 0;
      for (int64_t p : parts) {
        if (p < 0) return invalid_argument("split " + shape_to_string(parts) + " has a negative size");
        sum += p;
      }
      if (sum != dim)
        return invalid_argument("split " + shape_to_string(parts) + " sums to " + std::to_string(sum) +
                                ", the axis has " + std::to_string(dim));
      return parts;
    }
    if (num_outputs_attr_ > 0) {
      // Opset 18: ceil(dim / n) per output, the last one smaller.
      const int64_t chunk = (dim + num_outputs_attr_ - 1) / num_outputs_attr_;
      int64_t left = dim;
      for (int i = 0; i < n_out; ++i) {
        const int64_t p = std::min(chunk, left);
        parts.push_back(p);
        left -= p;
      }
      return parts;
    }
    if (n_out == 0 || dim % n_out != 0)
      return invalid_argument("cannot split a dim of " + std::to_string(dim) + " into " + std::to_string(n_out) +
                              " equal parts");
    parts.assign(static_cast<size_t>(n_out), dim / n_out);
    return parts;
  }

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (dtype_size(dt) == 0) return unsupported(std::string("dtype ") + dtype_name(dt));
    const Tensor* split_input = nullptr;
    if (split_from_input_ && ctx.has_input(1)) {
      split_input = ctx.input_value(1);
      if (!split_input) return ctx.deferred(1);
      if (split_input->numel() == 0) split_input = nullptr;  // empty = not given
    }
    const Shape& in = ctx.input_shape(0);
    if (in.empty()) return invalid_model("Split input must have rank >= 1");
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, static_cast<int>(in.size())));
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> parts, sizes(in[a], ctx.num_outputs(), split_input));
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      Shape s = in;
      s[a] = parts[i];
      ctx.set_output(i, dt, s);
    }
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int r = in.rank();
    EI_ASSIGN_OR_RETURN(int a, normalize_axis(axis_, r));
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < a; ++k) outer *= in.dim(k);
    for (int k = a + 1; k < r; ++k) inner *= in.dim(k);
    const int64_t es = static_cast<int64_t>(dtype_size(in.dtype()));
    const int64_t in_block = in.dim(a) * inner * es;
    const auto* src = static_cast<const uint8_t*>(in.raw());
    const Tensor* split_input = split_from_input_ && ctx.has_input(1) && ctx.input(1).numel() > 0 ? &ctx.input(1) : nullptr;
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> parts, sizes(in.dim(a), ctx.num_outputs(), split_input));
    int64_t offset = 0;
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      const int64_t block = parts[i] * inner * es;
      if (ctx.has_output(i) && block > 0) {
        auto* dst = static_cast<uint8_t*>(ctx.output(i).raw());
        for (int64_t o = 0; o < outer; ++o)
          std::memcpy(dst + o * block, src + o * in_block + offset, static_cast<size_t>(block));
      }
      offset += block;
    }
    return Status::ok();
  }

 private:
  int64_t axis_;
  bool split_from_input_, has_split_attr_;
  std::vector<int64_t> split_;
  int64_t num_outputs_attr_;
};

Result<std::unique_ptr<Kernel>> create_split(const KernelInit& init) {
  if (!init.has_input(0)) return init.error(invalid_model("Split needs an input"));
  const Attributes& a = init.attrs();
  const bool from_input = init.opset >= 13;
  if (from_input && a.has("split"))
    return init.error(invalid_model("Split-13 takes split as an input, not an attribute"));
  EI_RETURN_IF_ERROR(init.error(a.check_type("split", AttrType::kInts)));
  int64_t num_outputs = 0;
  if (a.has("num_outputs")) {
    if (init.opset < 18) return init.error(invalid_model("num_outputs is an attribute of Split-18"));
    num_outputs = a.get_int("num_outputs", 0);
    if (num_outputs < 1) return init.error(invalid_model("num_outputs must be >= 1"));
    if (num_outputs != init.num_outputs)
      return init.error(invalid_model("num_outputs=" + std::to_string(num_outputs) + " but the node has " +
                                      std::to_string(init.num_outputs) + " outputs"));
    if (init.has_input(1)) return init.error(invalid_model("Split takes either the split input or num_outputs"));
  }
  if (init.num_outputs < 1) return init.error(invalid_model("Split needs at least one output"));
  return std::unique_ptr<Kernel>(
      new SplitKernel(a.get_int("axis", 0), from_input, !from_input && a.has("split"), a.get_ints("split"), num_outputs));
}

}  // namespace

extern const OpRegistration kOpConcat = {"", "Concat", &create_concat};
extern const OpRegistration kOpSplit = {"", "Split", &create_split};

}  // namespace edgeinfer
