// Pad: constant / reflect / edge / wrap, pads as an attribute (opset < 11) or input (>= 11), optional
// constant_value and axes (opset 18) inputs. Negative pads crop; the padding modes then work on the
// cropped data (as the ONNX reference does).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/op.h"

namespace edgeinfer {

namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

// One value of `dt` from a double (opset < 11 'value' attribute), as raw bytes.
Result<std::vector<uint8_t>> value_bytes(DataType dt, double v) {
  std::vector<uint8_t> b(8, 0);
  auto put = [&](auto x) { std::memcpy(b.data(), &x, sizeof(x)); };
  switch (dt) {
    case DataType::kFloat32: put(static_cast<float>(v)); break;
    case DataType::kFloat64: put(v); break;
    case DataType::kInt64: put(static_cast<int64_t>(v)); break;
    case DataType::kInt32: put(static_cast<int32_t>(v)); break;
    case DataType::kInt16: put(static_cast<int16_t>(v)); break;
    case DataType::kInt8: put(static_cast<int8_t>(v)); break;
    case DataType::kUint8: put(static_cast<uint8_t>(v)); break;
    case DataType::kUint16: put(static_cast<uint16_t>(v)); break;
    case DataType::kUint32: put(static_cast<uint32_t>(v)); break;
    case DataType::kUint64: put(static_cast<uint64_t>(v)); break;
    case DataType::kBool: put(static_cast<uint8_t>(v != 0.0)); break;
    default: return unsupported(std::string("Pad of dtype ") + dtype_name(dt));
  }
  return b;
}


// Source index along one axis for padded index i of a length-n (cropped) axis; -1 = constant.
int64_t map_index(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : n - 1;
    case PadMode::kWrap: return ((i % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1);
      int64_t m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
  }
  return -1;
}

class PadKernel : public Kernel {
 public:
  PadKernel(PadMode mode, bool from_inputs, std::vector<int64_t> pads_attr, double value_attr)
      : mode_(mode), from_inputs_(from_inputs), pads_attr_(std::move(pads_attr)), value_attr_(value_attr) {}

  // Per-axis begin/end pads for an input of rank r.
  Result<std::vector<int64_t>> full_pads(int r, const Tensor* pads_t, const Tensor* axes_t) const {
    std::vector<int64_t> pads = pads_attr_;
    if (from_inputs_) { EI_ASSIGN_OR_RETURN(pads, int_list(*pads_t, "pads")); }
    std::vector<int64_t> axes;
    if (axes_t) {
      EI_ASSIGN_OR_RETURN(axes, int_list(*axes_t, "axes"));
    } else {
      for (int i = 0; i < r; ++i) axes.push_back(i);
    }
    if (pads.size() != 2 * axes.size())
      return invalid_argument("pads has " + std::to_string(pads.size()) + " values, expected " +
                              std::to_string(2 * axes.size()) + " (2 per axis)");
    std::vector<int64_t> full(2 * static_cast<size_t>(r), 0);
    std::vector<bool> seen(static_cast<size_t>(r), false);
    for (size_t i = 0; i < axes.size(); ++i) {
      if (r == 0) return invalid_argument("cannot pad axis " + std::to_string(axes[i]) + " of a rank-0 tensor");
      EI_ASSIGN_OR_RETURN(int a, normalize_axis(axes[i], r));
      if (seen[a]) return invalid_argument("axis " + std::to_string(axes[i]) + " is repeated");
      seen[a] = true;
      full[a] = pads[i];
      full[a + r] = pads[i + axes.size()];
    }
    return full;
  }

  Result<Shape> out_shape(const Shape& in, const std::vector<int64_t>& pads) const {
    const size_t r = in.size();
    Shape out(r);
    for (size_t k = 0; k < r; ++k) {
      const int64_t b = pads[k], e = pads[k + r];
      if (b < -in[k] || e < -in[k] || in[k] + b + e < 0)
        return invalid_argument("pads " + shape_to_string(pads) + " crop more than axis " + std::to_string(k) +
                                " of shape " + shape_to_string(in) + " holds");
      out[k] = in[k] + b + e;
      const int64_t kept = in[k] - std::max<int64_t>(-b, 0) - std::max<int64_t>(-e, 0);
      if (mode_ != PadMode::kConstant && out[k] > 0 && kept <= 0)
        return invalid_argument("cannot pad an empty axis " + std::to_string(k) + " in a non-constant mode");
    }
    EI_RETURN_IF_ERROR(checked_numel(out).status());
    return out;
  }

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    EI_RETURN_IF_ERROR(value_bytes(dt, 0).status());
    const Tensor* pads_t = nullptr;
    const Tensor* axes_t = nullptr;
    if (from_inputs_) {
      pads_t = ctx.input_value(1);
      if (!pads_t) return ctx.deferred(1);
      if (ctx.has_input(3)) {
        axes_t = ctx.input_value(3);
        if (!axes_t) return ctx.deferred(3);
      }
      if (ctx.has_input(2)) {
        if (ctx.input_dtype(2) != dt)
          return invalid_model(std::string("constant_value is ") + dtype_name(ctx.input_dtype(2)) + ", data is " +
                               dtype_name(dt));
      }
    }
    const Shape& in = ctx.input_shape(0);
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> pads, full_pads(static_cast<int>(in.size()), pads_t, axes_t));
    EI_ASSIGN_OR_RETURN(Shape out, out_shape(in, pads));
    ctx.set_output(0, dt, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.output(0);
    const int r = in.rank();
    const Tensor* axes_t = from_inputs_ && ctx.has_input(3) ? &ctx.input(3) : nullptr;
    EI_ASSIGN_OR_RETURN(std::vector<int64_t> pads, full_pads(r, from_inputs_ ? &ctx.input(1) : nullptr, axes_t));
    EI_ASSIGN_OR_RETURN(Shape os, out_shape(in.shape(), pads));
    if (os != out.shape()) return internal_error("Pad output shape changed between infer and run");
    const size_t es = dtype_size(in.dtype());
    std::vector<uint8_t> cval(8, 0);
    if (from_inputs_ && ctx.has_input(2) && ctx.input(2).numel() > 0) {
      std::memcpy(cval.data(), ctx.input(2).raw(), es);
    } else if (!from_inputs_) {
      EI_ASSIGN_OR_RETURN(cval, value_bytes(in.dtype(), value_attr_));
    }
    if (out.numel() == 0) return Status::ok();
    if (r == 0) {
      std::memcpy(out.raw(), in.raw(), es);
      return Status::ok();
    }
    // Per-axis maps from output index to input index (-1 = constant).
    std::vector<std::vector<int64_t>> maps(static_cast<size_t>(r));
    for (int k = 0; k < r; ++k) {
      const int64_t b = pads[k], e = pads[k + r];
      const int64_t crop_b = std::max<int64_t>(-b, 0);
      const int64_t kept = in.dim(k) - crop_b - std::max<int64_t>(-e, 0);
      const int64_t pad_b = std::max<int64_t>(b, 0);
      maps[k].resize(static_cast<size_t>(out.dim(k)));
      for (int64_t o = 0; o < out.dim(k); ++o) {
        const int64_t j = map_index(o - pad_b, kept, mode_);
        maps[k][o] = j < 0 ? -1 : j + crop_b;
      }
    }
    std::vector<int64_t> stride(static_cast<size_t>(r), 1);
    for (int k = r - 2; k >= 0; --k) stride[k] = stride[k + 1] * in.dim(k + 1);
    const int64_t inner = out.dim(r - 1);
    const int64_t rows = out.numel() / inner;
    const auto* src = static_cast<const uint8_t*>(in.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    const std::vector<int64_t>& imap = maps[r - 1];
    const int64_t ses = static_cast<int64_t>(es);
    // The contiguous middle of the inner map is one memcpy.
    int64_t run_lo = 0, run_hi = 0;
    for (int64_t x = 0; x < inner; ++x)
      if (imap[x] >= 0 && (x == 0 || imap[x - 1] < 0 || imap[x] != imap[x - 1] + 1)) {
        int64_t y = x + 1;
        while (y < inner && imap[y] == imap[y - 1] + 1) ++y;
        if (y - x > run_hi - run_lo) { run_lo = x; run_hi = y; }
      }
    auto work = [&](int64_t b, int64_t e) {
      std::vector<int64_t> idx(static_cast<size_t>(r - 1));
      for (int64_t row = b; row < e; ++row) {
        int64_t rem = row, off = 0;
        bool constant = false;
        for (int k = r - 2; k >= 0; --k) {
          const int64_t i = rem % out.dim(k);
          rem /= out.dim(k);
          const int64_t m = maps[k][i];
          if (m < 0) constant = true;
          off += m * stride[k];
        }
        uint8_t* d = dst + row * inner * ses;
        if (constant) {
          for (int64_t x = 0; x < inner; ++x) std::memcpy(d + x * ses, cval.data(), es);
          continue;
        }
        const uint8_t* s = src + off * ses;
        for (int64_t x = 0; x < inner; ++x) {
          if (x == run_lo && run_hi > run_lo) {
            std::memcpy(d + x * ses, s + imap[x] * ses, static_cast<size_t>((run_hi - run_lo) * ses));
            x = run_hi - 1;
            continue;
          }
          std::memcpy(d + x * ses, imap[x] < 0 ? cval.data() : s + imap[x] * ses, es);
        }
      }
    };
    if (ctx.pool().num_threads() > 1 && out.nbytes() >= 128 * 1024)
      ctx.pool().parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner * ses)),
                              [&](int64_t b, int64_t e) { work(b, e); });
    else
      work(0, rows);
    return Status::ok();
  }

 private:
  PadMode mode_;
  bool from_inputs_;
  std::vector<int64_t> pads_attr_;
  double value_attr_;
};

Result<std::unique_ptr<Kernel>> create_pad(const KernelInit& init) {
  if (!init.has_input(0)) return init.error(invalid_model("Pad needs the data input"));
  const Attributes& a = init.attrs();
  EI_RETURN_IF_ERROR(init.error(a.check_type("mode", AttrType::kString)));
  const std::string m = a.get_string("mode", "constant");
  PadMode mode;
  if (m == "constant") mode = PadMode::kConstant;
  else if (m == "reflect") mode = PadMode::kReflect;
  else if (m == "edge") mode = PadMode::kEdge;
  else if (m == "wrap") mode = PadMode::kWrap;
  else return init.error(invalid_model("Pad mode '" + m + "'"));
  if (init.opset >= 11) {
    if (!init.has_input(1)) return init.error(invalid_model("Pad-11 needs the pads input"));
    if (init.has_input(3) && init.opset < 18) return init.error(invalid_model("the axes input of Pad is opset 18"));
    return std::unique_ptr<Kernel>(new PadKernel(mode, true, {}, 0.0));
  }
  EI_RETURN_IF_ERROR(init.error(a.check_type("pads", AttrType::kInts)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("value", AttrType::kFloat)));
  if (!a.has("pads")) return init.error(invalid_model("Pad needs the pads attribute"));
  return std::unique_ptr<Kernel>(new PadKernel(mode, false, a.get_ints("pads"), a.get_float("value", 0.0f)));
}

}  // namespace

extern const OpRegistration kOpPad = {"", "Pad", &create_pad};

}  // namespace edgeinfer
