#include <cmath>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

struct RnnCase {
  bool lstm = true;
  int64_t seq = 4, batch = 3, input = 5, hidden = 6;
  std::string direction = "forward";
  bool bias = false, peep = false, init_h = false, init_c = false, lens = false;
  float clip = 0.0f;
  bool input_forget = false, lbr = false;
  std::vector<std::string> acts;
  int layout = 0;
};

float act(const std::string& n, float x) {
  if (n == "Sigmoid") return 1.0f / (1.0f + std::exp(-x));
  if (n == "Tanh") return std::tanh(x);
  return x > 0 ? x : 0;
}

struct RnnData {
  Tensor X, W, R, B, L, H0, C0, P;  // layout-0 X/H0/C0
  std::vector<int32_t> lens;
};

RnnData make_data(const RnnCase& c, uint32_t seed) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, G = c.lstm ? 4 : 3;
  RnnData d;
  d.X = random_f32({c.seq, c.batch, c.input}, seed++);
  d.W = random_f32({D, G * c.hidden, c.input}, seed++, -0.6f, 0.6f);
  d.R = random_f32({D, G * c.hidden, c.hidden}, seed++, -0.6f, 0.6f);
  if (c.bias) d.B = random_f32({D, 2 * G * c.hidden}, seed++, -0.5f, 0.5f);
  if (c.peep) d.P = random_f32({D, 3 * c.hidden}, seed++, -0.5f, 0.5f);
  if (c.init_h) d.H0 = random_f32({D, c.batch, c.hidden}, seed++);
  if (c.init_c) d.C0 = random_f32({D, c.batch, c.hidden}, seed++);
  d.lens.assign(c.batch, static_cast<int32_t>(c.seq));
  if (c.lens) {
    for (int64_t b = 0; b < c.batch; ++b) d.lens[b] = static_cast<int32_t>((b * 7 + 1) % (c.seq + 1));
    d.L = Tensor::from_vector<int32_t>({c.batch}, d.lens);
  }
  return d;
}

// Naive recurrence straight from the ONNX equations, layout 0.
void naive(const RnnCase& c, const RnnData& d, Tensor* Y, Tensor* Yh, Tensor* Yc) {
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, H = c.hidden, I = c.input, G = c.lstm ? 4 : 3;
  *Y = Tensor::allocate(DataType::kFloat32, {c.seq, D, c.batch, H}).value();
  *Yh = Tensor::allocate(DataType::kFloat32, {D, c.batch, H}).value();
  *Yc = Tensor::allocate(DataType::kFloat32, {D, c.batch, H}).value();
  const size_t per = c.lstm ? 3 : 2;
  auto cl = [&](float v) { return c.clip > 0 ? std::min(std::max(v, -c.clip), c.clip) : v; };
  for (int64_t dir = 0; dir < D; ++dir) {
    const bool rev = c.direction == "reverse" || dir == 1;
    std::vector<std::string> a = c.acts;
    if (a.empty()) a = c.lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh", "Sigmoid", "Tanh", "Tanh"}
                              : std::vector<std::string>{"Sigmoid", "Tanh", "Sigmoid", "Tanh"};
    const std::string& f = a[dir * per], &g = a[dir * per + 1];
    const std::string h_act = c.lstm ? a[dir * per + 2] : "Tanh";
    auto Wv = [&](int64_t gate, int64_t j, int64_t k) { return d.W.data<float>()[((dir * G + gate) * H + j) * I + k]; };
    auto Rv = [&](int64_t gate, int64_t j, int64_t k) { return d.R.data<float>()[((dir * G + gate) * H + j) * H + k]; };
    auto Wb = [&](int64_t gate, int64_t j) { return c.bias ? d.B.data<float>()[dir * 2 * G * H + gate * H + j] : 0.0f; };
    auto Rb = [&](int64_t gate, int64_t j) { return c.bias ? d.B.data<float>()[dir * 2 * G * H + (G + gate) * H + j] : 0.0f; };
    for (int64_t b = 0; b < c.batch; ++b) {
      std::vector<float> h(H, 0), cc(H, 0);
      for (int64_t j = 0; j < H; ++j) {
        if (c.init_h) h[j] = d.H0.data<float>()[(dir * c.batch + b) * H + j];
        if (c.init_c) cc[j] = d.C0.data<float>()[(dir * c.batch + b) * H + j];
      }
      const int64_t len = d.lens[b];
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = rev ? len - 1 - s : s;
        const float* x = d.X.data<float>() + (t * c.batch + b) * I;
        auto xw = [&](int64_t gate, int64_t j) {
          float v = Wb(gate, j);
          for (int64_t k = 0; k < I; ++k) v += x[k] * Wv(gate, j, k);
          return v;
        };
        auto hr = [&](int64_t gate, int64_t j, const std::vector<float>& hv) {
          float v = 0;
          for (int64_t k = 0; k < H; ++k) v += hv[k] * Rv(gate, j, k);
          return v;
        };
        std::vector<float> hn(H), cn(H);
        if (c.lstm) {
          for (int64_t j = 0; j < H; ++j) {
            auto P = [&](int64_t which) { return c.peep ? d.P.data<float>()[dir * 3 * H + which * H + j] : 0.0f; };
            float i = act(f, cl(xw(0, j) + hr(0, j, h) + Rb(0, j) + P(0) * cc[j]));
            float fg = c.input_forget ? 1 - i : act(f, cl(xw(2, j) + hr(2, j, h) + Rb(2, j) + P(2) * cc[j]));
            float ct = act(g, cl(xw(3, j) + hr(3, j, h) + Rb(3, j)));
            cn[j] = fg * cc[j] + i * ct;
            float o = act(f, cl(xw(1, j) + hr(1, j, h) + Rb(1, j) + P(1) * cn[j]));
            hn[j] = o * act(h_act, cn[j]);
          }
        } else {
          std::vector<float> z(H), r(H), rh(H);
          for (int64_t j = 0; j < H; ++j) {
            z[j] = act(f, cl(xw(0, j) + hr(0, j, h) + Rb(0, j)));
            r[j] = act(f, cl(xw(1, j) + hr(1, j, h) + Rb(1, j)));
            rh[j] = r[j] * h[j];
          }
          for (int64_t j = 0; j < H; ++j) {
            float pre = c.lbr ? xw(2, j) + r[j] * (hr(2, j, h) + Rb(2, j)) : xw(2, j) + hr(2, j, rh) + Rb(2, j);
            float ht = act(g, cl(pre));
            hn[j] = (1 - z[j]) * ht + z[j] * h[j];
          }
          cn = cc;
        }
        h = hn;
        cc = cn;
        for (int64_t j = 0; j < H; ++j) Y->data<float>()[((t * D + dir) * c.batch + b) * H + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        Yh->data<float>()[(dir * c.batch + b) * H + j] = h[j];
        Yc->data<float>()[(dir * c.batch + b) * H + j] = cc[j];
      }
    }
  }
}

// Swaps the first two dims (layout 0 <-> 1 for X, initial states and Y_h/Y_c).
Tensor swap01(const Tensor& t) {
  Shape s = t.shape();
  std::swap(s[0], s[1]);
  Tensor o = Tensor::allocate(t.dtype(), s).value();
  const int64_t inner = t.numel() / std::max<int64_t>(1, t.dim(0) * t.dim(1));
  for (int64_t a = 0; a < t.dim(0); ++a)
    for (int64_t b = 0; b < t.dim(1); ++b)
      for (int64_t i = 0; i < inner; ++i) o.data<float>()[(b * t.dim(0) + a) * inner + i] = t.data<float>()[(a * t.dim(1) + b) * inner + i];
  return o;
}

// Y layout 0 [S, D, B, H] -> layout 1 [B, S, D, H].
Tensor y_to_layout1(const Tensor& y) {
  const int64_t S = y.dim(0), D = y.dim(1), B = y.dim(2), H = y.dim(3);
  Tensor o = Tensor::allocate(DataType::kFloat32, {B, S, D, H}).value();
  for (int64_t s = 0; s < S; ++s)
    for (int64_t d = 0; d < D; ++d)
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h) o.data<float>()[((b * S + s) * D + d) * H + h] = y.data<float>()[((s * D + d) * B + b) * H + h];
  return o;
}

Result<std::vector<Tensor>> run_rnn(const RnnCase& c, const RnnData& d, int threads = 1, int64_t opset = 14) {
  OpSpec s;
  s.op_type = c.lstm ? "LSTM" : "GRU";
  s.opset = opset;
  s.num_threads = threads;
  s.num_outputs = c.lstm ? 3 : 2;
  const bool l1 = c.layout == 1;
  s.inputs = {l1 ? swap01(d.X) : d.X, d.W, d.R, d.B, d.L, c.init_h ? (l1 ? swap01(d.H0) : d.H0) : Tensor()};
  if (c.lstm) {
    s.inputs.push_back(c.init_c ? (l1 ? swap01(d.C0) : d.C0) : Tensor());
    s.inputs.push_back(d.P);
  }
  std::vector<Attribute> a = {attr_int("hidden_size", c.hidden), attr_string("direction", c.direction)};
  if (c.clip > 0) a.push_back(attr_float("clip", c.clip));
  if (c.input_forget) a.push_back(attr_int("input_forget", 1));
  if (c.lbr) a.push_back(attr_int("linear_before_reset", 1));
  if (c.layout) a.push_back(attr_int("layout", 1));
  if (!c.acts.empty()) {
    Attribute acts;
    acts.name = "activations";
    acts.type = AttrType::kStrings;
    acts.strings = c.acts;
    a.push_back(acts);
  }
  s.attributes = attrs(a);
  return run_op(s);
}

void check(const RnnCase& c, uint32_t seed, const std::string& what) {
  RnnData d = make_data(c, seed);
  Tensor Y, Yh, Yc;
  naive(c, d, &Y, &Yh, &Yc);
  if (c.layout == 1) {
    Y = y_to_layout1(Y);
    Yh = swap01(Yh);
    Yc = swap01(Yc);
  }
  for (int threads : {1, 2}) {
    auto got = run_rnn(c, d, threads);
    ASSERT_TRUE(got.is_ok()) << what << ": " << got.status().to_string();
    EXPECT_TENSOR_NEAR(got.value()[0], Y, 1e-5f, 1e-4f) << what;
    EXPECT_TENSOR_NEAR(got.value()[1], Yh, 1e-5f, 1e-4f) << what;
    if (c.lstm) {
      EXPECT_TENSOR_NEAR(got.value()[2], Yc, 1e-5f, 1e-4f) << what;
    }
  }
}

TEST(LstmOp, DirectionsAndOptionalInputs) {
  uint32_t seed = 1;
  for (const char* dir : {"forward", "reverse", "bidirectional"})
    for (int opts = 0; opts < 8; ++opts)
      for (int layout : {0, 1}) {
        RnnCase c;
        c.direction = dir;
        c.bias = opts & 1;
        c.peep = opts & 2;
        c.init_h = c.init_c = opts & 4;
        c.lens = (opts + layout) % 3 == 0;
        c.layout = layout;
        check(c, seed++, std::string("LSTM ") + dir + " opts " + std::to_string(opts) + " layout " + std::to_string(layout));
      }
}

TEST(LstmOp, ClipInputForgetActivations) {
  RnnCase c;
  c.bias = c.peep = c.init_h = true;
  c.clip = 0.3f;
  check(c, 100, "clip");
  c.clip = 0;
  c.input_forget = true;
  check(c, 101, "input_forget");
  c.input_forget = false;
  c.direction = "bidirectional";
  c.acts = {"Sigmoid", "Relu", "Tanh", "Sigmoid", "Tanh", "Relu"};
  check(c, 102, "activations");
  c.seq = 1; c.batch = 1; c.input = 1; c.hidden = 1;
  c.acts = {};
  check(c, 103, "all ones");
  c.seq = 9; c.batch = 2; c.input = 17; c.hidden = 13;
  check(c, 104, "odd sizes");
}

TEST(GruOp, DirectionsLinearBeforeResetLayouts) {
  uint32_t seed = 200;
  for (const char* dir : {"forward", "reverse", "bidirectional"})
    for (int opts = 0; opts < 8; ++opts)
      for (int layout : {0, 1}) {
        RnnCase c;
        c.lstm = false;
        c.direction = dir;
        c.bias = opts & 1;
        c.lbr = opts & 2;
        c.init_h = opts & 4;
        c.lens = (opts + layout) % 3 == 1;
        c.layout = layout;
        check(c, seed++, std::string("GRU ") + dir + " opts " + std::to_string(opts) + " layout " + std::to_string(layout));
      }
  RnnCase c;
  c.lstm = false;
  c.bias = true;
  c.clip = 0.2f;
  c.direction = "bidirectional";
  c.acts = {"Relu", "Tanh", "Sigmoid", "Relu"};
  check(c, 300, "GRU clip activations");
  c.seq = 7; c.batch = 1; c.input = 9; c.hidden = 11; c.lbr = true;
  check(c, 301, "GRU odd sizes");
}

TEST(RnnOp, OptionalOutputsOmitted) {
  RnnCase c;
  RnnData d = make_data(c, 5);
  OpSpec s;
  s.op_type = "LSTM";
  s.opset = 14;
  s.num_outputs = 2;
  s.inputs = {d.X, d.W, d.R};
  s.attributes = attrs({attr_int("hidden_size", c.hidden)});
  auto got = run_op(s);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  Tensor Y, Yh, Yc;
  naive(c, d, &Y, &Yh, &Yc);
  EXPECT_TENSOR_NEAR(got.value()[1], Yh, 1e-5f, 1e-4f);
  // hidden_size taken from R when the attribute is absent.
  s.attributes = attrs({});
  got = run_op(s);
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], Y, 1e-5f, 1e-4f);
}

TEST(RnnOp, Errors) {
  RnnCase c;
  RnnData d = make_data(c, 5);
  auto base = [&](const char* op) {
    OpSpec s;
    s.op_type = op;
    s.opset = 14;
    s.num_outputs = 1;
    s.inputs = {d.X, d.W, d.R};
    s.attributes = attrs({attr_int("hidden_size", c.hidden)});
    return s;
  };
  OpSpec s = base("LSTM");
  s.attributes = attrs({attr_string("direction", "sideways")});
  EXPECT_FALSE(run_op(s).is_ok());
  s = base("LSTM");
  Attribute acts;
  acts.name = "activations";
  acts.type = AttrType::kStrings;
  acts.strings = {"Sigmoid", "Softsign", "Tanh"};
  s.attributes = attrs({acts});
  auto r = run_op(s);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("Softsign"), std::string::npos);
  acts.strings = {"Sigmoid", "Tanh"};
  s.attributes = attrs({acts});
  EXPECT_FALSE(run_op(s).is_ok());  // wrong count
  s = base("LSTM");
  s.attributes = attrs({attr_int("hidden_size", 7)});
  EXPECT_FALSE(run_op(s).is_ok());  // W does not match hidden_size
  s = base("LSTM");
  s.inputs[0] = random_f32({4, 3, 6}, 1);
  EXPECT_FALSE(run_op(s).is_ok());  // input size mismatch
  s = base("LSTM");
  s.inputs.push_back(Tensor());
  s.inputs.push_back(Tensor::from_vector<int32_t>({3}, {1, 9, 2}));
  EXPECT_FALSE(run_op(s).is_ok());  // sequence length beyond seq
  s = base("GRU");
  s.inputs = {d.X, random_f32({1, 18, 5}, 1), random_f32({1, 18, 6}, 2)};
  s.attributes = attrs({attr_int("input_forget", 1)});
  EXPECT_FALSE(run_op(s).is_ok());
  s.attributes = attrs({attr_int("layout", 1)});
  s.opset = 7;
  EXPECT_FALSE(run_op(s).is_ok());
  s.opset = 14;
  s.attributes = attrs({});
  s.inputs[3 - 3] = random_f32({4, 3}, 1);
  EXPECT_FALSE(run_op(s).is_ok());
}

}  // namespace
}  // namespace edgeinfer
