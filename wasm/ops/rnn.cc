// LSTM and GRU (forward, reverse, bidirectional; layout 0 and 1; optional B, sequence_lens,
// initial_h, initial_c, P; clip; input_forget; linear_before_reset; activations Sigmoid, Tanh, Relu).
// The input projection X * W^T (+ biases) is one GEMM over every time step; each step then adds
// H_{t-1} * R^T and applies the gates. Steps at or past a batch entry's sequence length leave its
// state unchanged and write zeros to Y; the reverse direction starts at each entry's last valid step.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/simd.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

enum class Act { kSigmoid, kTanh, kRelu };

inline float apply(Act a, float x) {
  switch (a) {
    case Act::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Act::kTanh: return std::tanh(x);
    case Act::kRelu: return x > 0.0f ? x : 0.0f;
  }
  return x;
}

inline float dot(const float* a, const float* b, int64_t n) {
  int64_t i = 0;
  float s = 0.0f;
#if EDGEINFER_SIMD128
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0;
  for (; i + 8 <= n; i += 8) {
    a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  for (; i + 4 <= n; i += 4) a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  a0 = wasm_f32x4_add(a0, a1);
  float lanes[4];
  wasm_v128_store(lanes, a0);
  s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// C[m, n] = sum_k A[m, k] * B[n, k] (+ bias[n]) for m < M, n < N; A rows lda apart, C rows ldc apart.
void gemm_nt(ThreadPool& pool, const float* A, int64_t lda, int64_t M, int64_t K, const float* B, int64_t N,
             const float* bias, float* C, int64_t ldc) {
  pool.parallel_for(N, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, K * M)), [&](int64_t b, int64_t e) {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = b; n < e; ++n) C[m * ldc + n] = dot(A + m * lda, B + n * K, K) + (bias ? bias[n] : 0.0f);
  });
}

struct RnnConfig {
  bool lstm = true;
  int gates = 4;
  int num_dir = 1;
  bool reverse_only = false;
  int64_t hidden = -1;  // from the attribute, or -1 to take it from R
  bool has_clip = false;
  float clip = 0.0f;
  bool input_forget = false;
  bool linear_before_reset = false;
  int layout = 0;
  std::vector<Act> acts;  // per direction: f, g(, h)
};

class RnnKernel : public Kernel {
 public:
  explicit RnnKernel(RnnConfig c) : c_(std::move(c)) {}

  Status infer(InferContext& ctx) override {
    EI_ASSIGN_OR_RETURN(Dims d, dims(ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2)));
    const int G = c_.gates;
    static const char* kNames[] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) {
        if (i < 3) return invalid_model(std::string("input ") + kNames[i] + " is required");
        continue;
      }
      const DataType want = i == 4 ? DataType::kInt32 : DataType::kFloat32;
      if (ctx.input_dtype(i) != want)
        return (i == 4 ? invalid_model("sequence_lens must be int32")
                       : unsupported(std::string(kNames[i]) + " dtype " + dtype_name(ctx.input_dtype(i)) + " (only float32)"));
    }
    auto expect = [&](int i, const Shape& s) -> Status {
      if (ctx.has_input(i) && ctx.input_shape(i) != s)
        return invalid_argument(std::string(kNames[i]) + " has shape " + shape_to_string(ctx.input_shape(i)) + ", expected " +
                                shape_to_string(s));
      return Status::ok();
    };
    const Shape state = c_.layout == 0 ? Shape{d.dirs, d.batch, d.hidden} : Shape{d.batch, d.dirs, d.hidden};
    EI_RETURN_IF_ERROR(expect(1, {d.dirs, G * d.hidden, d.input}));
    EI_RETURN_IF_ERROR(expect(2, {d.dirs, G * d.hidden, d.hidden}));
    EI_RETURN_IF_ERROR(expect(3, {d.dirs, 2 * G * d.hidden}));
    EI_RETURN_IF_ERROR(expect(4, {d.batch}));
    EI_RETURN_IF_ERROR(expect(5, state));
    if (c_.lstm) {
      EI_RETURN_IF_ERROR(expect(6, state));
      EI_RETURN_IF_ERROR(expect(7, {d.dirs, 3 * d.hidden}));
    } else if (ctx.num_inputs() > 6) {
      return invalid_model("GRU has at most 6 inputs");
    }
    if (ctx.has_output(0))
      ctx.set_output(0, DataType::kFloat32,
                     c_.layout == 0 ? Shape{d.seq, d.dirs, d.batch, d.hidden} : Shape{d.batch, d.seq, d.dirs, d.hidden});
    for (int i = 1; i < (c_.lstm ? 3 : 2); ++i)
      if (ctx.has_output(i)) ctx.set_output(i, DataType::kFloat32, state);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(Dims d, dims(ctx.input(0).shape(), ctx.input(1).shape(), ctx.input(2).shape()));
    const int64_t S = d.seq, Bt = d.batch, H = d.hidden, I = d.input, G = c_.gates;
    std::vector<int32_t> lens(static_cast<size_t>(Bt), static_cast<int32_t>(S));
    if (ctx.has_input(4)) {
      const int32_t* l = ctx.input(4).data<int32_t>();
      for (int64_t b = 0; b < Bt; ++b) {
        if (l[b] < 0 || l[b] > S)
          return invalid_argument("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(l[b]) +
                                  " is outside [0, " + std::to_string(S) + "]");
        lens[static_cast<size_t>(b)] = l[b];
      }
    }
    float* Y = ctx.has_output(0) ? ctx.output(0).data<float>() : nullptr;
    if (Y) std::memset(Y, 0, ctx.output(0).nbytes());
    float* Yh = ctx.has_output(1) ? ctx.output(1).data<float>() : nullptr;
    float* Yc = c_.lstm && ctx.has_output(2) ? ctx.output(2).data<float>() : nullptr;
    const float* X = ctx.input(0).data<float>();
    const float* Bias = ctx.has_input(3) ? ctx.input(3).data<float>() : nullptr;
    const float* h0 = ctx.has_input(5) ? ctx.input(5).data<float>() : nullptr;
    const float* c0 = c_.lstm && ctx.has_input(6) ? ctx.input(6).data<float>() : nullptr;
    const float* P = c_.lstm && ctx.has_input(7) ? ctx.input(7).data<float>() : nullptr;
    const bool l0 = c_.layout == 0;
    auto state_at = [&](int64_t dir, int64_t b) { return l0 ? (dir * Bt + b) * H : (b * d.dirs + dir) * H; };
    auto y_at = [&](int64_t t, int64_t dir, int64_t b) { return l0 ? ((t * d.dirs + dir) * Bt + b) * H : ((b * S + t) * d.dirs + dir) * H; };
    auto x_row = [&](int64_t t, int64_t b) { return l0 ? t * Bt + b : b * S + t; };
    const size_t nacts = c_.lstm ? 3 : 2;

    std::vector<float> xw(static_cast<size_t>(S * Bt * G * H)), rh(static_cast<size_t>(Bt * G * H));
    std::vector<float> h(static_cast<size_t>(Bt * H)), c(static_cast<size_t>(Bt * H)), tmp(static_cast<size_t>(Bt * H));
    std::vector<float> bias(static_cast<size_t>(G * H));
    for (int64_t dir = 0; dir < d.dirs; ++dir) {
      const bool reverse = c_.reverse_only || dir == 1;
      const float* W = ctx.input(1).data<float>() + dir * G * H * I;
      const float* R = ctx.input(2).data<float>() + dir * G * H * H;
      const float* Wb = Bias ? Bias + dir * 2 * G * H : nullptr;
      const float* Rb = Wb ? Wb + G * H : nullptr;
      // Biases folded into the input projection: all of them, except GRU's Rbh with linear_before_reset.
      for (int64_t j = 0; j < G * H; ++j) {
        const bool keep_rb_apart = !c_.lstm && c_.linear_before_reset && j >= 2 * H;
        bias[static_cast<size_t>(j)] = Wb ? Wb[j] + (keep_rb_apart ? 0.0f : Rb[j]) : 0.0f;
      }
      gemm_nt(ctx.pool(), X, I, S * Bt, I, W, G * H, bias.data(), xw.data(), G * H);
      const Act f = c_.acts[static_cast<size_t>(dir) * nacts], g = c_.acts[static_cast<size_t>(dir) * nacts + 1];
      const Act hact = c_.lstm ? c_.acts[static_cast<size_t>(dir) * nacts + 2] : Act::kTanh;
      for (int64_t b = 0; b < Bt; ++b)
        for (int64_t j = 0; j < H; ++j) {
          h[static_cast<size_t>(b * H + j)] = h0 ? h0[state_at(dir, b) + j] : 0.0f;
          c[static_cast<size_t>(b * H + j)] = c0 ? c0[state_at(dir, b) + j] : 0.0f;
        }
      const float* Pi = P ? P + dir * 3 * H : nullptr;
      const float* Po = Pi ? Pi + H : nullptr;
      const float* Pf = Pi ? Pi + 2 * H : nullptr;
      auto clip = [&](float v) { return c_.has_clip ? std::min(std::max(v, -c_.clip), c_.clip) : v; };
      for (int64_t s = 0; s < S; ++s) {
        // Recurrent projection for every gate (GRU without linear_before_reset: z and r only).
        const int64_t rg = (!c_.lstm && !c_.linear_before_reset) ? 2 : G;
        gemm_nt(ctx.pool(), h.data(), H, Bt, H, R, rg * H, nullptr, rh.data(), G * H);
        if (c_.lstm) {
          for (int64_t b = 0; b < Bt; ++b) {
            const int64_t len = lens[static_cast<size_t>(b)];
            if (s >= len) continue;
            const int64_t t = reverse ? len - 1 - s : s;
            const float* xr = xw.data() + x_row(t, b) * G * H;
            const float* rr = rh.data() + b * G * H;
            float* hb = h.data() + b * H;
            float* cb = c.data() + b * H;
            for (int64_t j = 0; j < H; ++j) {  // gate order i, o, f, c
              const float cp = cb[j];
              const float it = apply(f, clip(xr[j] + rr[j] + (Pi ? Pi[j] * cp : 0.0f)));
              const float ft = c_.input_forget ? 1.0f - it : apply(f, clip(xr[2 * H + j] + rr[2 * H + j] + (Pf ? Pf[j] * cp : 0.0f)));
              const float ct = apply(g, clip(xr[3 * H + j] + rr[3 * H + j]));
              const float cn = ft * cp + it * ct;
              const float ot = apply(f, clip(xr[H + j] + rr[H + j] + (Po ? Po[j] * cn : 0.0f)));
              cb[j] = cn;
              hb[j] = ot * apply(hact, cn);
            }
            if (Y) std::memcpy(Y + y_at(t, dir, b), hb, static_cast<size_t>(H) * sizeof(float));
          }
        } else {
          // z and r for every active entry; then the candidate h.
          for (int64_t b = 0; b < Bt; ++b) {
            const int64_t len = lens[static_cast<size_t>(b)];
            if (s >= len) continue;
            const int64_t t = reverse ? len - 1 - s : s;
            const float* xr = xw.data() + x_row(t, b) * G * H;
            float* rr = rh.data() + b * G * H;
            for (int64_t j = 0; j < H; ++j) {
              rr[j] = apply(f, clip(xr[j] + rr[j]));               // z
              rr[H + j] = apply(f, clip(xr[H + j] + rr[H + j]));   // r
              tmp[static_cast<size_t>(b * H + j)] = rr[H + j] * h[static_cast<size_t>(b * H + j)];
            }
          }
          if (!c_.linear_before_reset)
            gemm_nt(ctx.pool(), tmp.data(), H, Bt, H, R + 2 * H * H, H, nullptr, rh.data() + 2 * H, G * H);
          const float* Rbh = Rb ? Rb + 2 * H : nullptr;
          for (int64_t b = 0; b < Bt; ++b) {
            const int64_t len = lens[static_cast<size_t>(b)];
            if (s >= len) continue;
            const int64_t t = reverse ? len - 1 - s : s;
            const float* xr = xw.data() + x_row(t, b) * G * H;
            const float* rr = rh.data() + b * G * H;
            float* hb = h.data() + b * H;
            for (int64_t j = 0; j < H; ++j) {
              const float z = rr[j], r = rr[H + j];
              const float pre = c_.linear_before_reset ? xr[2 * H + j] + r * (rr[2 * H + j] + (Rbh ? Rbh[j] : 0.0f))
                                                       : xr[2 * H + j] + rr[2 * H + j];
              const float ht = apply(g, clip(pre));
              hb[j] = (1.0f - z) * ht + z * hb[j];
            }
            if (Y) std::memcpy(Y + y_at(t, dir, b), hb, static_cast<size_t>(H) * sizeof(float));
          }
        }
      }
      for (int64_t b = 0; b < Bt; ++b) {
        if (Yh) std::memcpy(Yh + state_at(dir, b), h.data() + b * H, static_cast<size_t>(H) * sizeof(float));
        if (Yc) std::memcpy(Yc + state_at(dir, b), c.data() + b * H, static_cast<size_t>(H) * sizeof(float));
      }
    }
    return Status::ok();
  }

 private:
  struct Dims {
    int64_t seq, batch, input, hidden, dirs;
  };

  Result<Dims> dims(const Shape& x, const Shape& w, const Shape& r) const {
    if (x.size() != 3) return invalid_argument("X must have rank 3, got " + shape_to_string(x));
    if (w.size() != 3 || r.size() != 3) return invalid_argument("W and R must have rank 3");
    Dims d;
    d.seq = c_.layout == 0 ? x[0] : x[1];
    d.batch = c_.layout == 0 ? x[1] : x[0];
    d.input = x[2];
    d.dirs = c_.num_dir;
    d.hidden = c_.hidden >= 0 ? c_.hidden : r[2];
    if (w[0] != d.dirs || r[0] != d.dirs)
      return invalid_argument("W/R first dim must be num_directions " + std::to_string(d.dirs));
    if (w[1] != c_.gates * d.hidden || w[2] != d.input)
      return invalid_argument("W has shape " + shape_to_string(w) + ", expected [" + std::to_string(d.dirs) + "," +
                              std::to_string(c_.gates * d.hidden) + "," + std::to_string(d.input) + "]");
    if (r[1] != c_.gates * d.hidden || r[2] != d.hidden)
      return invalid_argument("R has shape " + shape_to_string(r) + ", expected [" + std::to_string(d.dirs) + "," +
                              std::to_string(c_.gates * d.hidden) + "," + std::to_string(d.hidden) + "]");
    return d;
  }

  RnnConfig c_;
};

template <bool kLstm>
Result<std::unique_ptr<Kernel>> create_rnn(const KernelInit& init) {
  const Attributes& a = init.attrs();
  EI_RETURN_IF_ERROR(init.error(a.check_type("activations", AttrType::kStrings)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("activation_alpha", AttrType::kFloats)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("activation_beta", AttrType::kFloats)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("clip", AttrType::kFloat)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("direction", AttrType::kString)));
  for (const char* n : {"hidden_size", "input_forget", "layout", "linear_before_reset"})
    EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kInt)));
  RnnConfig c;
  c.lstm = kLstm;
  c.gates = kLstm ? 4 : 3;
  const std::string dir = a.get_string("direction", "forward");
  if (dir == "bidirectional") c.num_dir = 2;
  else if (dir == "reverse") c.reverse_only = true;
  else if (dir != "forward") return init.error(invalid_model("direction '" + dir + "'"));
  c.hidden = a.get_int("hidden_size", -1);
  if (a.has("hidden_size") && c.hidden <= 0) return init.error(invalid_model("hidden_size must be positive"));
  if (a.has("clip")) {
    c.has_clip = true;
    c.clip = a.get_float("clip", 0.0f);
    if (!(c.clip > 0.0f)) return init.error(invalid_model("clip must be positive"));
  }
  c.input_forget = kLstm && a.get_int("input_forget", 0) != 0;
  if (!kLstm && a.has("input_forget")) return init.error(invalid_model("GRU has no attribute 'input_forget'"));
  c.linear_before_reset = !kLstm && a.get_int("linear_before_reset", 0) != 0;
  if (kLstm && a.has("linear_before_reset")) return init.error(invalid_model("LSTM has no attribute 'linear_before_reset'"));
  c.layout = static_cast<int>(a.get_int("layout", 0));
  if (c.layout != 0 && c.layout != 1) return init.error(invalid_model("layout must be 0 or 1"));
  if (c.layout != 0 && init.opset < 14) return init.error(invalid_model("attribute 'layout' needs opset 14"));
  const size_t per_dir = kLstm ? 3 : 2;
  std::vector<std::string> names;
  if (const Attribute* acts = a.find("activations")) names = acts->strings;
  if (names.empty()) {
    for (int d = 0; d < c.num_dir; ++d) {
      names.push_back("Sigmoid");
      names.push_back("Tanh");
      if (kLstm) names.push_back("Tanh");
    }
  }
  if (names.size() != per_dir * static_cast<size_t>(c.num_dir))
    return init.error(invalid_model("'activations' has " + std::to_string(names.size()) + " names, expected " +
                                    std::to_string(per_dir * static_cast<size_t>(c.num_dir))));
  for (const std::string& n : names) {
    if (n == "Sigmoid") c.acts.push_back(Act::kSigmoid);
    else if (n == "Tanh") c.acts.push_back(Act::kTanh);
    else if (n == "Relu") c.acts.push_back(Act::kRelu);
    else return init.error(unsupported("activation '" + n + "' (supported: Sigmoid, Tanh, Relu)"));
  }
  return std::unique_ptr<Kernel>(new RnnKernel(c));
}

}  // namespace

extern const OpRegistration kOpLSTM = {"", "LSTM", &create_rnn<true>};
extern const OpRegistration kOpGRU = {"", "GRU", &create_rnn<false>};

}  // namespace edgeinfer
