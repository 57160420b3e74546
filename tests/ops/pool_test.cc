#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

struct PoolCfg {
  std::vector<int64_t> k, s, d, pads;  // pads: begins then ends
  std::string auto_pad = "NOTSET";
  bool ceil = false, cip = false;
  int64_t storage_order = 0;
};

// Naive N-D pooling straight from the ONNX definitions (1-3 spatial dims).
void naive_pool(const Tensor& x, const PoolCfg& c, bool is_max, Tensor* y, Tensor* idx) {
  const int r = static_cast<int>(c.k.size());
  std::vector<int64_t> in(r), out(r), pb(r), pe(r), s(r, 1), d(r, 1);
  for (int i = 0; i < r; ++i) {
    in[i] = x.dim(i + 2);
    if (!c.s.empty()) s[i] = c.s[i];
    if (!c.d.empty()) d[i] = c.d[i];
    const int64_t ek = (c.k[i] - 1) * d[i] + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      out[i] = static_cast<int64_t>(std::ceil(static_cast<double>(in[i]) / s[i]));
      int64_t total = std::max<int64_t>(0, (out[i] - 1) * s[i] + ek - in[i]);
      pb[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      pe[i] = total - pb[i];
    } else {
      pb[i] = c.pads.empty() || c.auto_pad == "VALID" ? 0 : c.pads[i];
      pe[i] = c.pads.empty() || c.auto_pad == "VALID" ? 0 : c.pads[i + r];
      double v = static_cast<double>(in[i] + pb[i] + pe[i] - ek) / s[i] + 1;
      out[i] = static_cast<int64_t>(c.ceil ? std::ceil(v) : std::floor(v));
      if (c.ceil && (out[i] - 1) * s[i] >= in[i] + pb[i]) --out[i];
    }
  }
  Shape os = {x.dim(0), x.dim(1)};
  for (int i = 0; i < r; ++i) os.push_back(out[i]);
  *y = Tensor::allocate(x.dtype(), os).value();
  if (idx) *idx = Tensor::allocate(DataType::kInt64, os).value();
  const int64_t in_plane = numel(Shape(in.begin(), in.end())), out_plane = numel(Shape(out.begin(), out.end()));
  const int64_t kn = numel(Shape(c.k.begin(), c.k.end()));
  for (int64_t p = 0; p < x.dim(0) * x.dim(1); ++p)
    for (int64_t o = 0; o < out_plane; ++o) {
      std::vector<int64_t> oc(r);
      for (int64_t rem = o, i = r - 1; i >= 0; --i) { oc[i] = rem % out[i]; rem /= out[i]; }
      double best = -INFINITY, sum = 0;
      int64_t best_i = -1, count = 0;
      for (int64_t kk = 0; kk < kn; ++kk) {
        std::vector<int64_t> kc(r);
        for (int64_t rem = kk, i = r - 1; i >= 0; --i) { kc[i] = rem % c.k[i]; rem /= c.k[i]; }
        bool inside = true, inpad = true;
        int64_t flat = 0, colmaj = 0, mul = 1;
        for (int i = 0; i < r; ++i) {
          int64_t pos = oc[i] * s[i] - pb[i] + kc[i] * d[i];
          inside &= pos >= 0 && pos < in[i];
          inpad &= pos >= -pb[i] && pos < in[i] + pe[i];
          flat = flat * in[i] + pos;
          colmaj += pos * mul;
          mul *= in[i];
        }
        if (c.cip ? inpad : inside) ++count;
        if (!inside) continue;
        double v = x.dtype() == DataType::kFloat32 ? x.data<float>()[p * in_plane + flat]
                                                   : static_cast<double>(get_int(x, p * in_plane + flat));
        sum += v;
        if (v > best) { best = v; best_i = c.storage_order ? colmaj : flat; }
      }
      double res = is_max ? best : sum / count;
      if (x.dtype() == DataType::kFloat32) y->data<float>()[p * out_plane + o] = static_cast<float>(res);
      else if (x.dtype() == DataType::kInt8) y->data<int8_t>()[p * out_plane + o] = static_cast<int8_t>(res);
      else y->data<uint8_t>()[p * out_plane + o] = static_cast<uint8_t>(res);
      if (idx) idx->data<int64_t>()[p * out_plane + o] = p * in_plane + best_i;
    }
}

Result<std::vector<Tensor>> run_pool(const char* op, const Tensor& x, const PoolCfg& c, int outputs = 1,
                                     int threads = 1, int64_t opset = 19) {
  OpSpec s;
  s.op_type = op;
  s.opset = opset;
  s.inputs = {x};
  s.num_outputs = outputs;
  s.num_threads = threads;
  std::vector<Attribute> a = {attr_ints("kernel_shape", c.k)};
  if (!c.s.empty()) a.push_back(attr_ints("strides", c.s));
  if (!c.d.empty()) a.push_back(attr_ints("dilations", c.d));
  if (!c.pads.empty()) a.push_back(attr_ints("pads", c.pads));
  if (c.auto_pad != "NOTSET") a.push_back(attr_string("auto_pad", c.auto_pad));
  if (c.ceil) a.push_back(attr_int("ceil_mode", 1));
  if (c.cip) a.push_back(attr_int("count_include_pad", 1));
  if (c.storage_order) a.push_back(attr_int("storage_order", c.storage_order));
  s.attributes = attrs(a);
  return run_op(s);
}

Tensor iota(Shape shape) {
  Tensor t = Tensor::allocate(DataType::kFloat32, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i + 1);
  return t;
}

TEST(PoolOp, OnnxDocExamples) {
  // maxpool_2d_ceil
  PoolCfg c;
  c.k = {3, 3}; c.s = {2, 2}; c.ceil = true;
  auto r = run_pool("MaxPool", iota({1, 1, 4, 4}), c);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ(r.value()[0], Tensor::from_vector<float>({1, 1, 2, 2}, {11, 12, 15, 16}));
  // maxpool_2d_dilations
  c = PoolCfg();
  c.k = {2, 2}; c.d = {2, 2};
  r = run_pool("MaxPool", iota({1, 1, 4, 4}), c);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TENSOR_EQ(r.value()[0], Tensor::from_vector<float>({1, 1, 2, 2}, {11, 12, 15, 16}));
  // maxpool_with_argmax_2d_precomputed_strides (storage_order 1)
  c = PoolCfg();
  c.k = {2, 2}; c.s = {2, 2}; c.storage_order = 1;
  r = run_pool("MaxPool", iota({1, 1, 5, 5}), c, 2);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TENSOR_EQ(r.value()[0], Tensor::from_vector<float>({1, 1, 2, 2}, {7, 9, 17, 19}));
  EXPECT_TENSOR_EQ(r.value()[1], Tensor::from_vector<int64_t>({1, 1, 2, 2}, {6, 16, 8, 18}));
  // maxpool_with_argmax_2d_precomputed_pads
  c = PoolCfg();
  c.k = {5, 5}; c.pads = {2, 2, 2, 2};
  r = run_pool("MaxPool", iota({1, 1, 5, 5}), c, 2);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TENSOR_EQ(r.value()[0], Tensor::from_vector<float>({1, 1, 5, 5}, {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25,
                                                                           25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25}));
  EXPECT_TENSOR_EQ(r.value()[1], Tensor::from_vector<int64_t>({1, 1, 5, 5}, {12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24,
                                                                             24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24}));
  // averagepool_2d_precomputed_same_upper: 5x5, k3 s2 -> 3x3
  c = PoolCfg();
  c.k = {3, 3}; c.s = {2, 2}; c.auto_pad = "SAME_UPPER";
  r = run_pool("AveragePool", iota({1, 1, 5, 5}), c);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TENSOR_NEAR(r.value()[0], Tensor::from_vector<float>({1, 1, 3, 3}, {4, 5.5f, 7, 11.5f, 13, 14.5f, 19, 20.5f, 22}), 1e-5f, 0);
  // averagepool_2d_pads_count_include_pad: 5x5 k3 pads 2 -> corners 7x7 windows... spot check [0,0]
  c = PoolCfg();
  c.k = {3, 3}; c.pads = {2, 2, 2, 2}; c.cip = true;
  r = run_pool("AveragePool", iota({1, 1, 5, 5}), c);
  ASSERT_TRUE(r.is_ok());
  EXPECT_NEAR(r.value()[0].data<float>()[0], 1.0f / 9.0f, 1e-6f);
  EXPECT_NEAR(r.value()[0].data<float>()[1], (1.0f + 2.0f) / 9.0f, 1e-6f);
}

TEST(PoolOp, RandomAgainstNaive2D) {
  uint32_t seed = 1;
  int cases = 0;
  for (const char* op : {"MaxPool", "AveragePool"})
    for (int64_t k : {1, 2, 3})
      for (int64_t s : {1, 2, 3})
        for (int64_t d : {1, 2})
          for (const char* ap : {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"})
            for (bool ceil : {false, true}) {
              PoolCfg c;
              c.k = {k, k + (s == 2)};
              c.s = {s, s == 3 ? 1 : s};
              c.d = {d, 1};
              c.auto_pad = ap;
              c.ceil = ceil;
              c.cip = (k + s) % 2 == 0;
              if (c.auto_pad == "NOTSET") c.pads = {std::min<int64_t>(k - 1, 1), 0, 0, std::min<int64_t>(k, 1)};
              if (c.pads.size() && c.pads[3] >= c.k[1]) c.pads[3] = c.k[1] - 1;
              Shape shape = {2, 3, 5 + (seed % 4) * 3, 7 + (seed % 5) * 2};
              Tensor x = random_f32(shape, seed++);
              Tensor want, unused;
              naive_pool(x, c, std::string(op) == "MaxPool", &want, nullptr);
              auto got = run_pool(op, x, c);
              ASSERT_TRUE(got.is_ok()) << got.status().to_string();
              EXPECT_TENSOR_NEAR(got.value()[0], want, 1e-5f, 1e-5f)
                  << op << " k" << k << " s" << s << " d" << d << " " << ap << " ceil " << ceil;
              ++cases;
            }
  EXPECT_EQ(cases, 2 * 3 * 3 * 2 * 4 * 2);
}

TEST(PoolOp, OneAndThreeDimsWithIndices) {
  uint32_t seed = 40;
  for (int r : {1, 3}) {
    for (int64_t so : {0, 1}) {
      PoolCfg c;
      c.k = std::vector<int64_t>(r, 2);
      c.s = std::vector<int64_t>(r, 2);
      c.k[0] = 3;
      c.pads = std::vector<int64_t>(2 * r, 1);
      c.ceil = so == 1;
      c.storage_order = so;
      Shape shape = {2, 2};
      for (int i = 0; i < r; ++i) shape.push_back(4 + i + r);
      Tensor x = random_f32(shape, seed++);
      Tensor want, want_idx;
      naive_pool(x, c, true, &want, &want_idx);
      auto got = run_pool("MaxPool", x, c, 2);
      ASSERT_TRUE(got.is_ok()) << got.status().to_string();
      EXPECT_TENSOR_EQ(got.value()[0], want);
      EXPECT_TENSOR_EQ(got.value()[1], want_idx) << "rank " << r << " storage_order " << so;
      naive_pool(x, c, false, &want, nullptr);
      for (bool cip : {false, true}) {
        c.cip = cip;
        naive_pool(x, c, false, &want, nullptr);
        auto avg = run_pool("AveragePool", x, c);
        ASSERT_TRUE(avg.is_ok()) << avg.status().to_string();
        EXPECT_TENSOR_NEAR(avg.value()[0], want, 1e-5f, 1e-5f);
      }
    }
  }
}

TEST(PoolOp, IndicesIncludeBatchAndChannel2D) {
  PoolCfg c;
  c.k = {3, 3}; c.s = {1, 2}; c.pads = {1, 1, 1, 1};
  Tensor x = random_f32({2, 3, 6, 7}, 5);
  Tensor want, want_idx;
  naive_pool(x, c, true, &want, &want_idx);
  auto got = run_pool("MaxPool", x, c, 2);
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_EQ(got.value()[0], want);
  EXPECT_TENSOR_EQ(got.value()[1], want_idx);
}

TEST(PoolOp, Int8AndUint8MaxPool) {
  // The 2-D integer path (no Indices): pads, strides, dilations, ceil_mode, SAME padding, odd sizes.
  std::vector<PoolCfg> cfgs(6);
  cfgs[0].k = {2, 2}; cfgs[0].s = {1, 1}; cfgs[0].pads = {0, 0, 1, 1};
  cfgs[1].k = {2, 2}; cfgs[1].s = {2, 2}; cfgs[1].pads = {0, 0, 0, 0};
  cfgs[2].k = {3, 3}; cfgs[2].s = {2, 2}; cfgs[2].pads = {1, 1, 1, 1}; cfgs[2].ceil = true;
  cfgs[3].k = {3, 2}; cfgs[3].s = {1, 2}; cfgs[3].d = {2, 1}; cfgs[3].pads = {2, 0, 1, 1};
  cfgs[4].k = {3, 3}; cfgs[4].s = {2, 2}; cfgs[4].auto_pad = "SAME_UPPER";
  cfgs[5].k = {2, 2}; cfgs[5].s = {2, 2}; cfgs[5].ceil = true;  // the last window of an odd size is partial
  uint32_t seed = 3;
  for (const PoolCfg& c : cfgs)
    for (DataType dt : {DataType::kInt8, DataType::kUint8})
      for (int threads : {1, 2})
        // 9x11: the 2x2 stride-2 row kernel's scalar tail only; 8x70 / 7x69: its 16-output SIMD steps too.
        for (Shape shape : {Shape{2, 3, 9, 11}, Shape{1, 2, 8, 70}, Shape{1, 2, 7, 69}}) {
          Tensor x = random_int(dt, shape, seed++, dt == DataType::kInt8 ? -128 : 0, dt == DataType::kInt8 ? 127 : 255);
          Tensor want;
          naive_pool(x, c, true, &want, nullptr);
          auto got = run_pool("MaxPool", x, c, 1, threads, 12);
          ASSERT_TRUE(got.is_ok()) << got.status().to_string();
          EXPECT_TENSOR_EQ(got.value()[0], want);
        }
  PoolCfg c;
  c.k = {2, 2}; c.s = {1, 1}; c.pads = {0, 0, 1, 1};
  EXPECT_FALSE(run_pool("AveragePool", random_int(DataType::kInt8, {1, 1, 4, 4}, 1, 0, 5), c).is_ok());
}

TEST(PoolOp, ThreadsAgreeAndSimdShapes) {
  // Typical CNN shapes: 2x2 s2, 3x3 s1 p1, 3x3 s2 p1, odd widths.
  uint32_t seed = 77;
  for (int64_t w : {7, 16, 33, 57}) {
    for (std::vector<int64_t> ks : {std::vector<int64_t>{2, 2, 0}, {3, 1, 1}, {3, 2, 1}}) {
      PoolCfg c;
      c.k = {ks[0], ks[0]}; c.s = {ks[1], ks[1]};
      c.pads = {ks[2], ks[2], ks[2], ks[2]};
      Tensor x = random_f32({2, 8, w - 3, w}, seed++);
      for (const char* op : {"MaxPool", "AveragePool"}) {
        Tensor want;
        naive_pool(x, c, std::string(op) == "MaxPool", &want, nullptr);
        auto a = run_pool(op, x, c, 1, 1), b = run_pool(op, x, c, 1, 2);
        ASSERT_TRUE(a.is_ok() && b.is_ok());
        EXPECT_TENSOR_EQ(a.value()[0], b.value()[0]);
        EXPECT_TENSOR_NEAR(a.value()[0], want, 1e-5f, 1e-5f);
      }
    }
  }
}

TEST(PoolOp, GlobalPools) {
  uint32_t seed = 9;
  for (Shape shape : {Shape{1, 5, 7, 9}, Shape{2, 3, 1, 1}, Shape{2, 4, 6}, Shape{1, 3, 2, 3, 5}, Shape{1, 96, 40, 120}}) {
    Tensor x = random_f32(shape, seed++);
    const int64_t planes = shape[0] * shape[1], n = x.numel() / planes;
    Shape os = shape;
    for (size_t i = 2; i < os.size(); ++i) os[i] = 1;
    Tensor avg = Tensor::allocate(DataType::kFloat32, os).value(), mx = Tensor::allocate(DataType::kFloat32, os).value();
    for (int64_t p = 0; p < planes; ++p) {
      double s = 0, m = -INFINITY;
      for (int64_t i = 0; i < n; ++i) { s += x.data<float>()[p * n + i]; m = std::max<double>(m, x.data<float>()[p * n + i]); }
      avg.data<float>()[p] = static_cast<float>(s / n);
      mx.data<float>()[p] = static_cast<float>(m);
    }
    for (int threads : {1, 2}) {
      OpSpec s;
      s.op_type = "GlobalAveragePool";
      s.inputs = {x};
      s.num_threads = threads;
      auto a = run_op(s);
      ASSERT_TRUE(a.is_ok()) << a.status().to_string();
      EXPECT_TENSOR_NEAR(a.value()[0], avg, 1e-5f, 1e-4f);
      s.op_type = "GlobalMaxPool";
      auto m = run_op(s);
      ASSERT_TRUE(m.is_ok());
      EXPECT_TENSOR_EQ(m.value()[0], mx);
    }
  }
  OpSpec s;
  s.op_type = "GlobalAveragePool";
  s.inputs = {random_f32({4}, 1)};
  EXPECT_FALSE(run_op(s).is_ok());
}

TEST(PoolOp, Errors) {
  Tensor x = random_f32({1, 1, 4, 4}, 1);
  PoolCfg c;
  c.k = {2, 2};
  c.auto_pad = "BOGUS";
  EXPECT_EQ(run_pool("MaxPool", x, c).status().code(), StatusCode::kInvalidModel);
  c = PoolCfg();
  EXPECT_FALSE(run_pool("MaxPool", x, c).is_ok());  // no kernel_shape
  c.k = {2, 2, 2};
  EXPECT_FALSE(run_pool("MaxPool", x, c).is_ok());  // rank mismatch
  c.k = {2, 2};
  c.s = {0, 1};
  EXPECT_FALSE(run_pool("MaxPool", x, c).is_ok());
  c.s = {};
  c.pads = {1, 1};
  EXPECT_FALSE(run_pool("MaxPool", x, c).is_ok());  // wrong pads length
  c.pads = {2, 0, 0, 0};
  EXPECT_FALSE(run_pool("AveragePool", x, c).is_ok());  // pad >= kernel
  c.pads = {};
  c.k = {5, 5};
  EXPECT_FALSE(run_pool("MaxPool", x, c).is_ok());  // window larger than input
  c.k = {2, 2};
  c.storage_order = 2;
  EXPECT_FALSE(run_pool("MaxPool", x, c).is_ok());
}

}  // namespace
}  // namespace edgeinfer
