// onnxruntime's quantized contrib operators (domain com.microsoft) that its quantizer emits:
// QLinearAdd, QLinearMul (numpy broadcasting; on the q8_binary SIMD kernel, one call per run of the
// output's last dim, or one for the whole tensor when shapes match or an operand is one element), QLinearSigmoid, QLinearLeakyRelu (256-entry lookup
// tables, as onnxruntime builds them), QLinearGlobalAveragePool (channels_last), QLinearConcat,
// QLinearAveragePool. Inputs are in onnxruntime's order (scale, zero point after each tensor);
// zero points are optional and default to 0 of the tensor's dtype.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/q8_binary/q8_binary.h"
#include "kernels/q8_pool/q8_sum.h"
#include "kernels/q8_lookup/q8_lookup.h"
#include "ops/op.h"
#include "ops/quant_common.h"

namespace edgeinfer {
namespace {

const Tensor* opt_in(RunContext& ctx, int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }

Status check_scale(const InferContext& ctx, int i, const std::string& name) {
  if (!ctx.has_input(i)) return invalid_model(name + " is required");
  if (ctx.input_dtype(i) != DataType::kFloat32)
    return unsupported(name + " of dtype " + dtype_name(ctx.input_dtype(i)) + " (float32 only)");
  return check_qparam_shape(ctx.input_shape(i), -1, name);
}

Status check_zp(const InferContext& ctx, int i, DataType data, const std::string& name) {
  if (!ctx.has_input(i)) return Status::ok();
  if (ctx.input_dtype(i) != data)
    return invalid_model(name + " dtype " + dtype_name(ctx.input_dtype(i)) + " differs from its tensor's " +
                         dtype_name(data));
  return check_qparam_shape(ctx.input_shape(i), -1, name);
}

// Offsets of each input element for every output element under numpy broadcasting.
std::vector<int64_t> broadcast_index(const Shape& in, const Shape& out) {
  const size_t r = out.size();
  Shape pin(r - in.size(), 1);
  pin.insert(pin.end(), in.begin(), in.end());
  std::vector<int64_t> strides(r, 0);
  int64_t s = 1;
  for (size_t d = r; d-- > 0;) {
    strides[d] = pin[d] == 1 ? 0 : s;
    s *= pin[d];
  }
  const int64_t n = numel(out);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t o = 0; o < n; ++o) {
    int64_t rem = o, off = 0;
    for (size_t d = r; d-- > 0;) {
      off += (rem % out[d]) * strides[d];
      rem /= out[d];
    }
    idx[static_cast<size_t>(o)] = off;
  }
  return idx;
}

// y[i] = table[x[i]] over n bytes, in chunks over the threads when n is large.
void lookup_bytes(const uint8_t* table, const uint8_t* x, uint8_t* y, int64_t n, ThreadPool& pool) {
  constexpr int64_t kChunk = int64_t{1} << 16;
  auto run = [&](int64_t begin, int64_t end) {
    q8_lookup(table, x + begin, y + begin, static_cast<size_t>(end - begin));
  };
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks < 2 || pool.num_threads() < 2) {
    run(0, n);
    return;
  }
  pool.parallel_for(chunks, 1, [&](int64_t b, int64_t e) { run(b * kChunk, std::min(n, e * kChunk)); });
}

// ---- QLinearAdd / QLinearMul (A, A_scale, A_zp?, B, B_scale, B_zp?, C_scale, C_zp?)
class QLinearBinaryKernel final : public Kernel {
 public:
  explicit QLinearBinaryKernel(bool mul) : mul_(mul) {}
  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0) || !ctx.has_input(3)) return invalid_model("inputs A and B are required");
    const DataType t = ctx.input_dtype(0);
    EI_RETURN_IF_ERROR(check_q8(t, "A"));
    if (ctx.input_dtype(3) != t)
      return invalid_model(std::string("B dtype ") + dtype_name(ctx.input_dtype(3)) + " differs from A's " + dtype_name(t));
    EI_RETURN_IF_ERROR(check_scale(ctx, 1, "A_scale"));
    EI_RETURN_IF_ERROR(check_scale(ctx, 4, "B_scale"));
    EI_RETURN_IF_ERROR(check_scale(ctx, 6, "C_scale"));
    EI_RETURN_IF_ERROR(check_zp(ctx, 2, t, "A_zero_point"));
    EI_RETURN_IF_ERROR(check_zp(ctx, 5, t, "B_zero_point"));
    EI_RETURN_IF_ERROR(check_zp(ctx, 7, t, "C_zero_point"));
    EI_ASSIGN_OR_RETURN(Shape out, broadcast_shapes(ctx.input_shape(0), ctx.input_shape(3)));
    ctx.set_output(0, t, out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(QParams qa, read_qparams(ctx.input(1), opt_in(ctx, 2), -1, "A"));
    EI_ASSIGN_OR_RETURN(QParams qb, read_qparams(ctx.input(4), opt_in(ctx, 5), -1, "B"));
    EI_ASSIGN_OR_RETURN(QParams qc, read_qparams(ctx.input(6), opt_in(ctx, 7), -1, "C"));
    Tensor& c = ctx.output(0);
    Q8BinaryParams p;
    p.mul = mul_;
    p.is_signed = c.dtype() == DataType::kInt8;
    p.za = qa.z(0);
    p.zb = qb.z(0);
    p.zc = qc.z(0);
    if (mul_) {
      p.ra = qa.s(0) * qb.s(0) / qc.s(0);
    } else {
      p.ra = qa.s(0) / qc.s(0);
      p.rb = qb.s(0) / qc.s(0);
    }
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(3);
    const int64_t n = c.numel();
    if (n == 0) return Status::ok();
    // Same shapes or one operand a single element: one run. Otherwise rows of the output's last dim,
    // each operand read along it with stride 1 or 0 (e.g. NCHW + [C,1,1]: B is one value per row).
    if (c.rank() == 0 || ((a.numel() == n || a.numel() == 1) && (b.numel() == n || b.numel() == 1))) {
      const size_t as = a.numel() == 1 ? 0 : 1, bs = b.numel() == 1 ? 0 : 1;
      const uint8_t* ad = static_cast<const uint8_t*>(a.raw());
      const uint8_t* bd = static_cast<const uint8_t*>(b.raw());
      uint8_t* yd = static_cast<uint8_t*>(c.raw());
      // Chunks of a multiple of 16 over the threads (identical results: elementwise).
      constexpr int64_t kChunk = int64_t{1} << 16;
      ctx.pool().parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t cb, int64_t ce) {
        const int64_t begin = cb * kChunk, end = std::min(n, ce * kChunk);
        q8_binary(p, ad + begin * static_cast<int64_t>(as), as, bd + begin * static_cast<int64_t>(bs), bs, yd + begin,
                  static_cast<size_t>(end - begin));
      });
      return Status::ok();
    }
    const Shape& out = c.shape();
    const size_t r = out.size();
    const int64_t w = out.back();
    const Shape out_rows(out.begin(), out.end() - 1);
    auto rows_of = [&](const Shape& in, int64_t* last) {
      Shape pin(r - in.size(), 1);
      pin.insert(pin.end(), in.begin(), in.end());
      *last = pin.back();
      return broadcast_index(Shape(pin.begin(), pin.end() - 1), out_rows);
    };
    int64_t wa, wb;
    const std::vector<int64_t> ra = rows_of(a.shape(), &wa), rb = rows_of(b.shape(), &wb);
    const uint8_t* ad = static_cast<const uint8_t*>(a.raw());
    const uint8_t* bd = static_cast<const uint8_t*>(b.raw());
    uint8_t* yd = static_cast<uint8_t*>(c.raw());
    ctx.pool().parallel_for(static_cast<int64_t>(ra.size()), std::max<int64_t>(1, 4096 / std::max<int64_t>(1, w)),
                            [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row)
        q8_binary(p, ad + ra[static_cast<size_t>(row)] * wa, wa == 1 ? 0 : 1, bd + rb[static_cast<size_t>(row)] * wb,
                  wb == 1 ? 0 : 1, yd + row * w, static_cast<size_t>(w));
    });
    return Status::ok();
  }

 private:
  bool mul_;
};

// ---- QLinearSigmoid / QLinearLeakyRelu (X, X_scale, X_zp?, Y_scale, Y_zp?): y = Q(f(DQ(x))) by table.
class QLinearLutKernel final : public Kernel {
 public:
  QLinearLutKernel(bool sigmoid, float alpha) : sigmoid_(sigmoid), alpha_(alpha) {}
  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0)) return invalid_model("input X is required");
    const DataType t = ctx.input_dtype(0);
    EI_RETURN_IF_ERROR(check_q8(t, "X"));
    EI_RETURN_IF_ERROR(check_scale(ctx, 1, "X_scale"));
    EI_RETURN_IF_ERROR(check_scale(ctx, 3, "Y_scale"));
    EI_RETURN_IF_ERROR(check_zp(ctx, 2, t, "X_zero_point"));
    EI_RETURN_IF_ERROR(check_zp(ctx, 4, t, "Y_zero_point"));
    ctx.set_output(0, t, ctx.input_shape(0));
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(QParams qx, read_qparams(ctx.input(1), opt_in(ctx, 2), -1, "X"));
    EI_ASSIGN_OR_RETURN(QParams qy, read_qparams(ctx.input(3), opt_in(ctx, 4), -1, "Y"));
    const Tensor& x = ctx.input(0);
    dispatch_q8(x.dtype(), [&](auto t) {
      using T = decltype(t);
      T lut[256];
      for (int32_t v = qmin<T>(); v <= qmax<T>(); ++v) {
        const float f = static_cast<float>(v - qx.z(0)) * qx.s(0);
        const float r = sigmoid_ ? 1.0f / (1.0f + std::exp(-f)) : (f >= 0 ? f : f * alpha_);
        lut[static_cast<uint8_t>(static_cast<T>(v))] = quantize_value<T>(r, qy.s(0), qy.z(0));
      }
      lookup_bytes(reinterpret_cast<const uint8_t*>(lut), static_cast<const uint8_t*>(x.raw()),
                   static_cast<uint8_t*>(ctx.output(0).raw()), x.numel(), ctx.pool());
      return 0;
    });
    return Status::ok();
  }

 private:
  bool sigmoid_;
  float alpha_;
};

// ---- Q8Lookup (domain com.edgeinfer): X (int8/uint8), Table (256 elements, int8/uint8) -> Y, with
// Y[i] = Table[byte of X[i]] (int8 -128..-1 are bytes 128..255). The QDQ rewrite replaces elementwise
// chains on one 8-bit tensor with it (runtime/q8_lookup_fusion.h). Attribute rank (default 0): Y has
// X's shape with ones prepended up to that rank, as when the chain broadcast one-element constants of
// a higher rank than X's.
class Q8LookupKernel final : public Kernel {
 public:
  explicit Q8LookupKernel(int64_t rank) : rank_(rank) {}
  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return invalid_model("inputs X and Table are required");
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(0), "X"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(1), "Table"));
    if (numel(ctx.input_shape(1)) != 256)
      return invalid_model("Table must have 256 elements, got shape " + shape_to_string(ctx.input_shape(1)));
    Shape out = ctx.input_shape(0);
    if (static_cast<int64_t>(out.size()) < rank_) out.insert(out.begin(), static_cast<size_t>(rank_) - out.size(), 1);
    ctx.set_output(0, ctx.input_dtype(1), out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    lookup_bytes(static_cast<const uint8_t*>(ctx.input(1).raw()), static_cast<const uint8_t*>(x.raw()),
                 static_cast<uint8_t*>(ctx.output(0).raw()), x.numel(), ctx.pool());
    return Status::ok();
  }

 private:
  int64_t rank_;
};

// The pooling ops' inputs: X (int8/uint8, rank >= 3), x_scale, x_zp, y_scale, y_zp.
Status check_pool_inputs(const InferContext& ctx) {
  if (!ctx.has_input(0)) return invalid_model("input X is required");
  const DataType t = ctx.input_dtype(0);
  EI_RETURN_IF_ERROR(check_q8(t, "X"));
  if (ctx.input_rank(0) < 3) return invalid_model("X must have rank >= 3, got " + shape_to_string(ctx.input_shape(0)));
  EI_RETURN_IF_ERROR(check_scale(ctx, 1, "x_scale"));
  EI_RETURN_IF_ERROR(check_scale(ctx, 3, "y_scale"));
  EI_RETURN_IF_ERROR(check_zp(ctx, 2, t, "x_zero_point"));
  return check_zp(ctx, 4, t, "y_zero_point");
}

// ---- QLinearGlobalAveragePool (X, x_scale, x_zp, y_scale, y_zp), channels_last
class QLinearGlobalAvgKernel final : public Kernel {
 public:
  explicit QLinearGlobalAvgKernel(bool channels_last) : cl_(channels_last) {}
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_pool_inputs(ctx));
    const DataType t = ctx.input_dtype(0);
    Shape out = ctx.input_shape(0);
    for (size_t d = 1; d < out.size(); ++d)
      if (cl_ ? d + 1 < out.size() : d >= 2) out[d] = 1;
    ctx.set_output(0, t, out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(QParams qx, read_qparams(ctx.input(1), opt_in(ctx, 2), -1, "x"));
    EI_ASSIGN_OR_RETURN(QParams qy, read_qparams(ctx.input(3), opt_in(ctx, 4), -1, "y"));
    const Tensor& x = ctx.input(0);
    const Shape& s = x.shape();
    const int64_t n = s[0], c = cl_ ? s.back() : s[1];
    const int64_t image = c * n == 0 ? 0 : x.numel() / (n * c);
    // Element (b, ch, p): NCHW at (b*c + ch)*image + p, NHWC at (b*image + p)*c + ch.
    const int64_t ch_stride = cl_ ? 1 : image, p_stride = cl_ ? c : 1;
    const float mult = qx.s(0) / (qy.s(0) * static_cast<float>(image));
    dispatch_q8(x.dtype(), [&](auto t) {
      using T = decltype(t);
      const T* xd = x.data<T>();
      T* y = ctx.output(0).data<T>();
      // Channels over the threads (each channel's sum is one contiguous run in NCHW).
      ctx.pool().parallel_for(n * c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, image)), [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          const int64_t b = i / c, ch = i % c;
          const T* base = xd + b * c * image + ch * ch_stride;
          uint32_t acc = static_cast<uint32_t>(-qx.z(0)) * static_cast<uint32_t>(image);
          if (p_stride == 1)
            acc += static_cast<uint32_t>(q8_sum(base, static_cast<size_t>(image), std::is_same<T, int8_t>::value));
          else
            for (int64_t p = 0; p < image; ++p) acc += static_cast<uint32_t>(static_cast<int32_t>(base[p * p_stride]));
          y[i] = image == 0 ? static_cast<T>(qy.z(0)) : requantize_value<T>(static_cast<int32_t>(acc), mult, qy.z(0));
        }
      });
      return 0;
    });
    return Status::ok();
  }

 private:
  bool cl_;
};

// ---- QLinearConcat (Y_scale, Y_zp, X0, X0_scale, X0_zp, X1, ...), axis
class QLinearConcatKernel final : public Kernel {
 public:
  explicit QLinearConcatKernel(int64_t axis) : axis_(axis) {}
  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() < 5 || (ctx.num_inputs() - 2) % 3 != 0)
      return invalid_model("QLinearConcat takes Y_scale, Y_zero_point and (tensor, scale, zero point) triples; got " +
                           std::to_string(ctx.num_inputs()) + " inputs");
    if (!ctx.has_input(2)) return invalid_model("input 2 is required");
    const DataType t = ctx.input_dtype(2);
    EI_RETURN_IF_ERROR(check_q8(t, "input 2"));
    EI_RETURN_IF_ERROR(check_scale(ctx, 0, "Y_scale"));
    EI_RETURN_IF_ERROR(check_zp(ctx, 1, t, "Y_zero_point"));
    Shape out = ctx.input_shape(2);
    EI_ASSIGN_OR_RETURN(int ax, normalize_axis(axis_, static_cast<int>(out.size())));
    out[static_cast<size_t>(ax)] = 0;
    for (int i = 2; i < ctx.num_inputs(); i += 3) {
      const std::string name = "input " + std::to_string(i);
      if (!ctx.has_input(i)) return invalid_model(name + " is required");
      if (ctx.input_dtype(i) != t) return invalid_model(name + " has dtype " + dtype_name(ctx.input_dtype(i)) +
                                                        ", input 2 has " + dtype_name(t));
      EI_RETURN_IF_ERROR(check_scale(ctx, i + 1, name + " scale"));
      EI_RETURN_IF_ERROR(check_zp(ctx, i + 2, t, name + " zero point"));
      const Shape& s = ctx.input_shape(i);
      if (s.size() != out.size()) return invalid_model(name + " has rank " + std::to_string(s.size()) + ", expected " +
                                                       std::to_string(out.size()));
      for (size_t d = 0; d < s.size(); ++d)
        if (d != static_cast<size_t>(ax) && s[d] != out[d])
          return invalid_model(name + " shape " + shape_to_string(s) + " does not match on dim " + std::to_string(d));
      out[static_cast<size_t>(ax)] += s[static_cast<size_t>(ax)];
    }
    axis_norm_ = ax;
    ctx.set_output(0, t, out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(QParams qy, read_qparams(ctx.input(0), opt_in(ctx, 1), -1, "Y"));
    Tensor& y = ctx.output(0);
    const Shape& os = y.shape();
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis_norm_; ++d) outer *= os[size_t(d)];
    for (size_t d = size_t(axis_norm_) + 1; d < os.size(); ++d) inner *= os[d];
    const int64_t out_row = os[size_t(axis_norm_)] * inner;
    int64_t offset = 0;
    for (int i = 2; i < ctx.num_inputs(); i += 3) {
      EI_ASSIGN_OR_RETURN(QParams qx, read_qparams(ctx.input(i + 1), opt_in(ctx, i + 2), -1, "input " + std::to_string(i)));
      const Tensor& x = ctx.input(i);
      const int64_t row = x.dim(axis_norm_) * inner;
      dispatch_q8(y.dtype(), [&](auto t) {
        using T = decltype(t);
        const bool same = qx.s(0) == qy.s(0) && qx.z(0) == qy.z(0);
        T lut[256];
        for (int32_t v = qmin<T>(); v <= qmax<T>(); ++v)
          lut[static_cast<uint8_t>(static_cast<T>(v))] =
              same ? static_cast<T>(v)
                   : quantize_value<T>(static_cast<float>(v - qx.z(0)) * qx.s(0), qy.s(0), qy.z(0));
        const T* xd = x.data<T>();
        T* yd = y.data<T>();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < row; ++j) yd[o * out_row + offset + j] = lut[static_cast<uint8_t>(xd[o * row + j])];
        return 0;
      });
      offset += row;
    }
    return Status::ok();
  }

 private:
  int64_t axis_;
  int axis_norm_ = 0;
};


// ---- QLinearAveragePool (X, x_scale, x_zp?, y_scale, y_zp?): onnxruntime dequantizes, averages in
// float (padding is the real value 0), and quantizes; the float average is the AveragePool kernel itself
// (same geometry: auto_pad, ceil_mode, count_include_pad, pads, strides, kernel_shape), run on scratch.
// channels_last moves the channel axis to position 1 and back around it.
constexpr size_t kPoolAlign = 64;
size_t pool_align(size_t n) { return (n + kPoolAlign - 1) / kPoolAlign * kPoolAlign; }

// Copies [N, S..., C] <-> [N, C, S...] (to_first: NHWC -> NCHW).
template <typename T>
void move_channels(const T* src, T* dst, int64_t n, int64_t c, int64_t spatial, bool to_first) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < spatial; ++p)
      for (int64_t ch = 0; ch < c; ++ch) {
        const int64_t nhwc = (b * spatial + p) * c + ch, nchw = (b * c + ch) * spatial + p;
        if (to_first) dst[nchw] = src[nhwc]; else dst[nhwc] = src[nchw];
      }
}

class QLinearAvgPoolKernel final : public Kernel {
 public:
  QLinearAvgPoolKernel(Node node, std::unique_ptr<Kernel> inner, bool cl)
      : node_(std::move(node)), inner_(std::move(inner)), cl_(cl) {}

  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(check_pool_inputs(ctx));
    const DataType t = ctx.input_dtype(0);
    EI_ASSIGN_OR_RETURN(Layout l, layout(ctx.input_shape(0), ctx.num_threads()));
    ctx.request_scratch(l.total);
    Shape out = l.y_nchw;
    if (cl_) {  // [N, C, S...] -> [N, S..., C]
      out.erase(out.begin() + 1);
      out.push_back(l.y_nchw[1]);
    }
    ctx.set_output(0, t, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(QParams qx, read_qparams(ctx.input(1), opt_in(ctx, 2), -1, "x"));
    EI_ASSIGN_OR_RETURN(QParams qy, read_qparams(ctx.input(3), opt_in(ctx, 4), -1, "y"));
    const Tensor& x = ctx.input(0);
    // Recomputed here, not kept from infer(): the runtime may reuse a plan made for another shape's infer.
    EI_ASSIGN_OR_RETURN(Layout l, layout(x.shape(), ctx.pool().num_threads()));
    if (ctx.scratch_bytes() < l.total) return internal_error("QLinearAveragePool: scratch smaller than planned");
    const Shape xs = nchw(x.shape());
    const Shape& y_nchw = l.y_nchw;
    const size_t inner_scratch = l.inner;
    const int64_t xn = numel(xs), yn = numel(y_nchw);
    char* base = static_cast<char*>(ctx.scratch());
    float* xf = reinterpret_cast<float*>(base + inner_scratch);
    float* yf = reinterpret_cast<float*>(base + inner_scratch + pool_align(size_t(xn) * sizeof(float)));
    const int64_t n = xs[0], c = xs[1], spatial = c * n == 0 ? 0 : xn / (n * c);
    const int64_t ospatial = c * n == 0 ? 0 : yn / (n * c);
    return dispatch_q8(x.dtype(), [&](auto t) -> Status {
      using T = decltype(t);
      const T* xd = x.data<T>();
      for (int64_t i = 0; i < xn; ++i) {
        // NCHW index i from NHWC storage when channels_last.
        int64_t src = i;
        if (cl_) {
          const int64_t p = i % spatial, ch = (i / spatial) % c, b = i / (spatial * c);
          src = (b * spatial + p) * c + ch;
        }
        xf[i] = static_cast<float>(int32_t(xd[src]) - qx.z(0)) * qx.s(0);
      }
      Tensor xt = Tensor::view(DataType::kFloat32, xs, xf);
      Tensor yt = Tensor::view(DataType::kFloat32, y_nchw, yf);
      RunContext rc(node_, {&xt}, {&yt}, base, inner_scratch, &ctx.pool(), nullptr);
      EI_RETURN_IF_ERROR(inner_->run(rc));
      T* yd = ctx.output(0).data<T>();
      if (!cl_) {
        for (int64_t i = 0; i < yn; ++i) yd[i] = quantize_value<T>(yf[i], qy.s(0), qy.z(0));
      } else {
        T* tmp = reinterpret_cast<T*>(yf + pool_align(size_t(yn) * sizeof(float)) / sizeof(float));
        for (int64_t i = 0; i < yn; ++i) tmp[i] = quantize_value<T>(yf[i], qy.s(0), qy.z(0));
        move_channels(tmp, yd, n, c, ospatial, false);
      }
      return Status::ok();
    });
  }

 private:
  struct Layout {
    Shape y_nchw;
    size_t inner = 0, total = 0;  // inner kernel's scratch; all scratch: inner | x f32 | y f32 | y permuted
  };
  Result<Layout> layout(const Shape& x_shape, int threads) {
    TensorInfo xi{DataType::kFloat32, nchw(x_shape)};
    InferContext ic(node_, 19, {&xi}, {nullptr}, {true});
    ic.set_num_threads(threads);
    EI_RETURN_IF_ERROR(inner_->infer(ic));
    Layout l;
    l.y_nchw = ic.outputs()[0].shape;
    l.inner = pool_align(ic.scratch_bytes());
    l.total = l.inner + pool_align(static_cast<size_t>(numel(xi.shape)) * sizeof(float)) +
              pool_align(static_cast<size_t>(numel(l.y_nchw)) * sizeof(float)) +
              (cl_ ? static_cast<size_t>(numel(l.y_nchw)) : 0);
    return l;
  }
  Shape nchw(const Shape& s) const {
    if (!cl_) return s;
    Shape r = s;
    r.pop_back();
    r.insert(r.begin() + 1, s.back());
    return r;
  }
  Node node_;
  std::unique_ptr<Kernel> inner_;
  bool cl_;
};

Result<std::unique_ptr<Kernel>> create_qavgpool(const KernelInit& init) {
  Node node = *init.node;
  node.op_type = "AveragePool";
  node.domain.clear();
  const bool cl = node.attrs.get_int("channels_last", 0) != 0;
  node.attrs.erase("channels_last");
  // The registration itself, not find_op(): under op profiling that would wrap (and count) the inner kernel.
  const OpRegistration* avg = &kOpAveragePool;
  KernelInit ki;
  ki.node = &node;
  ki.opset = 19;
  ki.present = {true};
  ki.constants = {nullptr};
  ki.num_outputs = 1;
  EI_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> inner, avg->create(ki));
  return std::unique_ptr<Kernel>(new QLinearAvgPoolKernel(std::move(node), std::move(inner), cl));
}

Result<std::unique_ptr<Kernel>> create_qadd(const KernelInit&) {
  return std::unique_ptr<Kernel>(new QLinearBinaryKernel(false));
}
Result<std::unique_ptr<Kernel>> create_qmul(const KernelInit&) {
  return std::unique_ptr<Kernel>(new QLinearBinaryKernel(true));
}
Result<std::unique_ptr<Kernel>> create_qsigmoid(const KernelInit&) {
  return std::unique_ptr<Kernel>(new QLinearLutKernel(true, 0.0f));
}
Result<std::unique_ptr<Kernel>> create_qleaky(const KernelInit& init) {
  return std::unique_ptr<Kernel>(new QLinearLutKernel(false, init.attrs().get_float("alpha", 0.01f)));
}
Result<std::unique_ptr<Kernel>> create_q8lookup(const KernelInit& init) {
  const int64_t rank = init.attrs().get_int("rank", 0);
  if (rank < 0 || rank > 64) return init.error(invalid_model("attribute rank must be in [0, 64], got " + std::to_string(rank)));
  return std::unique_ptr<Kernel>(new Q8LookupKernel(rank));
}
Result<std::unique_ptr<Kernel>> create_qgap(const KernelInit& init) {
  const int64_t cl = init.attrs().get_int("channels_last", 0);
  return std::unique_ptr<Kernel>(new QLinearGlobalAvgKernel(cl != 0));
}
Result<std::unique_ptr<Kernel>> create_qconcat(const KernelInit& init) {
  if (!init.attrs().has("axis")) return init.error(invalid_model("attribute axis is required"));
  return std::unique_ptr<Kernel>(new QLinearConcatKernel(init.attrs().get_int("axis", 0)));
}

}  // namespace

extern const OpRegistration kOpQLinearAdd = {"com.microsoft", "QLinearAdd", &create_qadd};
extern const OpRegistration kOpQLinearMul = {"com.microsoft", "QLinearMul", &create_qmul};
extern const OpRegistration kOpQLinearSigmoid = {"com.microsoft", "QLinearSigmoid", &create_qsigmoid};
extern const OpRegistration kOpQLinearLeakyRelu = {"com.microsoft", "QLinearLeakyRelu", &create_qleaky};
extern const OpRegistration kOpQLinearGlobalAveragePool = {"com.microsoft", "QLinearGlobalAveragePool", &create_qgap};
extern const OpRegistration kOpQLinearAveragePool = {"com.microsoft", "QLinearAveragePool", &create_qavgpool};
extern const OpRegistration kOpQLinearConcat = {"com.microsoft", "QLinearConcat", &create_qconcat};
extern const OpRegistration kOpQ8Lookup = {"com.edgeinfer", "Q8Lookup", &create_q8lookup};

}  // namespace edgeinfer
