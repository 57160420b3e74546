// Resize and Upsample. Expected values marked "reference" were produced with
// onnx.backend.test.case.node.resize.interpolate_nd (onnx 1.12, the numpy reference of the ONNX
// backend tests; /usr/bin/python3) and are hard-coded here. half_pixel_symmetric values come from the
// opset-19 spec formula in a separate numpy script (they match the ONNX backend test data).
#include <cmath>

#include <gtest/gtest.h>

#include "shape_test_util.h"

namespace edgeinfer::testing {
namespace {

using namespace shape;  // NOLINT

const Tensor kD22 = F32({1, 1, 2, 2}, {1, 2, 3, 4});
const Tensor kD44 = F32({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});

OpSpec resize(const Tensor& x, std::vector<Attribute> a, const Tensor& scales, const Tensor& sizes = Tensor(),
              const Tensor& roi = Tensor(), int64_t opset = 19) {
  OpSpec s;
  s.op_type = "Resize";
  s.opset = opset;
  s.attributes = attrs(std::move(a));
  s.inputs = {x, roi, scales, sizes};
  while (!s.inputs.empty() && s.inputs.back().empty()) s.inputs.pop_back();
  return s;
}
Tensor scales4(float h, float w) { return F32({4}, {1, 1, h, w}); }
Tensor sizes4(int64_t h, int64_t w) { return I64v({1, 1, h, w}); }
Attribute mode(const std::string& m) { return attr_string("mode", m); }
Attribute coord(const std::string& m) { return attr_string("coordinate_transformation_mode", m); }

#define EXPECT_CLOSE(actual, expected) EXPECT_TENSOR_NEAR(actual, expected, 1e-5f, 1e-5f)

TEST(ResizeOp, NearestDefaults) {
  // reference: half_pixel + round_prefer_floor, scales [1,1,2,3]
  EXPECT_TENSOR_EQ(run1(resize(kD22, {}, scales4(2, 3))),
                   F32({1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  // Same through sizes, with an empty scales placeholder (opset 11 style).
  EXPECT_TENSOR_EQ(run1(resize(kD22, {}, F32({0}, {}), sizes4(4, 6), F32({0}, {}), 11)),
                   F32({1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
}

TEST(ResizeOp, NearestModesAsymmetric) {
  // reference: sizes [1,1,7,8] on 4x4, asymmetric coordinates.
  struct Case { const char* mode; std::vector<float> want; };
  const std::vector<Case> cases = {
      {"floor", {1, 1, 2, 2, 3, 3, 4, 4, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 5, 5, 6, 6, 7, 7, 8, 8,
                 9, 9, 10, 10, 11, 11, 12, 12, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16}},
      {"ceil", {1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 11, 12, 12, 12, 9, 10, 10, 11, 11, 12,
                12, 12, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16}},
      {"round_prefer_ceil", {1, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 8, 8, 5, 6, 6, 7, 7, 8, 8, 8,
                             9, 10, 10, 11, 11, 12, 12, 12, 9, 10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16,
                             16, 16, 13, 14, 14, 15, 15, 16, 16, 16}},
      {"round_prefer_floor", {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 5, 5, 6, 6, 7, 7, 8, 8,
                              9, 9, 10, 10, 11, 11, 12, 12, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15,
                              16, 16, 13, 13, 14, 14, 15, 15, 16, 16}},
  };
  for (const Case& c : cases)
    EXPECT_TENSOR_EQ(run1(resize(kD44, {coord("asymmetric"), attr_string("nearest_mode", c.mode)}, Tensor(),
                                 sizes4(7, 8))),
                     F32({1, 1, 7, 8}, c.want))
        << c.mode;
  // reference: align_corners nearest downsample to [3,2].
  EXPECT_TENSOR_EQ(run1(resize(kD44, {coord("align_corners")}, Tensor(), sizes4(3, 2))),
                   F32({1, 1, 3, 2}, {1, 4, 5, 8, 13, 16}));
}

TEST(ResizeOp, LinearCoordinateModes) {
  // reference: half_pixel x2 on 4x4.
  EXPECT_CLOSE(run1(resize(kD44, {mode("linear")}, scales4(2, 2))),
               F32({1, 1, 8, 8}, {1,     1.25f, 1.75f, 2.25f, 2.75f, 3.25f, 3.75f, 4,     2,     2.25f, 2.75f, 3.25f, 3.75f,
                                  4.25f, 4.75f, 5,     4,     4.25f, 4.75f, 5.25f, 5.75f, 6.25f, 6.75f, 7,     6,     6.25f,
                                  6.75f, 7.25f, 7.75f, 8.25f, 8.75f, 9,     8,     8.25f, 8.75f, 9.25f, 9.75f, 10.25f,
                                  10.75f, 11,    10,    10.25f, 10.75f, 11.25f, 11.75f, 12.25f, 12.75f, 13,    12,
                                  12.25f, 12.75f, 13.25f, 13.75f, 14.25f, 14.75f, 15,    13,    13.25f, 13.75f, 14.25f,
                                  14.75f, 15.25f, 15.75f, 16}));
  // reference: align_corners to 3x3.
  EXPECT_CLOSE(run1(resize(kD44, {mode("linear"), coord("align_corners")}, Tensor(), sizes4(3, 3))),
               F32({1, 1, 3, 3}, {1, 2.5f, 4, 7, 8.5f, 10, 13, 14.5f, 16}));
  // reference: pytorch_half_pixel to [3,1] (a 1-long output axis samples coordinate 0).
  EXPECT_CLOSE(run1(resize(kD44, {mode("linear"), coord("pytorch_half_pixel")}, Tensor(), sizes4(3, 1))),
               F32({1, 1, 3, 1}, {1.666667f, 7, 12.33333f}));
  // reference: half_pixel downsample, scales 0.6 on 2x4 -> 1x2.
  EXPECT_CLOSE(run1(resize(F32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), {mode("linear")}, scales4(0.6f, 0.6f))),
               F32({1, 1, 1, 2}, {2.666667f, 4.333333f}));
  // reference: asymmetric x2 on 2x2.
  EXPECT_CLOSE(run1(resize(kD22, {mode("linear"), coord("asymmetric")}, scales4(2, 2))),
               F32({1, 1, 4, 4}, {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4}));
}

TEST(ResizeOp, HalfPixelSymmetricOpset19) {
  // Spec formula (numpy script); equals the ONNX backend test data of resize_*_half_pixel_symmetric.
  EXPECT_CLOSE(run1(resize(kD22, {mode("linear"), coord("half_pixel_symmetric")}, scales4(2.3f, 2.94f))),
               F32({1, 1, 4, 5}, {1, 1.159864f, 1.5f, 1.840136f, 2, 1.565217f, 1.725081f, 2.065217f, 2.405353f,
                                  2.565217f, 2.434783f, 2.594647f, 2.934783f, 3.274919f, 3.434783f, 3, 3.159864f, 3.5f,
                                  3.840136f, 4}));
  EXPECT_CLOSE(run1(resize(F32({1, 1, 1, 4}, {1, 2, 3, 4}), {mode("linear"), coord("half_pixel_symmetric")},
                           scales4(1, 0.6f))),
               F32({1, 1, 1, 2}, {1.666667f, 3.333333f}));
}

TEST(ResizeOp, Cubic) {
  // reference: cubic, A = -0.75, half_pixel, x2.
  EXPECT_CLOSE(
      run1(resize(kD44, {mode("cubic")}, scales4(2, 2))),
      F32({1, 1, 8, 8},
          {0.4726562f, 0.7695312f, 1.246094f, 1.875f,     2.28125f,  2.910156f, 3.386719f, 3.683594f, 1.660156f,
           1.957031f,  2.433594f,  3.0625f,   3.46875f,   4.097656f, 4.574219f, 4.871094f, 3.566406f, 3.863281f,
           4.339844f,  4.96875f,   5.375f,    6.003906f,  6.480469f, 6.777344f, 6.082031f, 6.378906f, 6.855469f,
           7.484375f,  7.890625f,  8.519531f, 8.996094f,  9.292969f, 7.707031f, 8.003906f, 8.480469f, 9.109375f,
           9.515625f,  10.14453f,  10.62109f, 10.91797f,  10.22266f, 10.51953f, 10.99609f, 11.625f,   12.03125f,
           12.66016f,  13.13672f,  13.43359f, 12.12891f,  12.42578f, 12.90234f, 13.53125f, 13.9375f,  14.56641f,
           15.04297f,  15.33984f,  13.31641f, 13.61328f,  14.08984f, 14.71875f, 15.125f,   15.75391f, 16.23047f,
           16.52734f}));
  // reference: cubic_coeff_a = -0.5, exclude_outside = 1.
  EXPECT_CLOSE(
      run1(resize(kD44, {mode("cubic"), attr_float("cubic_coeff_a", -0.5f), attr_int("exclude_outside", 1)},
                  scales4(2, 2))),
      F32({1, 1, 8, 8},
          {0.5588235f, 0.814942f, 1.356982f, 1.897059f, 2.397059f, 2.937135f, 3.479176f, 3.735294f, 1.583298f,
           1.839416f, 2.381457f, 2.921533f, 3.421533f, 3.961609f, 4.50365f,  4.759768f, 3.751459f, 4.007578f,
           4.549618f, 5.089695f, 5.589695f, 6.129771f, 6.671811f, 6.92793f,  5.911765f, 6.167883f, 6.709924f,
           7.25f,     7.75f,     8.290076f, 8.832117f, 9.088235f, 7.911765f, 8.167883f, 8.709924f, 9.25f,
           9.75f,     10.29008f, 10.83212f, 11.08824f, 10.07207f, 10.32819f, 10.87023f, 11.41031f, 11.91031f,
           12.45038f, 12.99242f, 13.24854f, 12.24023f, 12.49635f, 13.03839f, 13.57847f, 14.07847f, 14.61854f,
           15.16058f, 15.4167f,  13.26471f, 13.52082f, 14.06286f, 14.60294f, 15.10294f, 15.64302f, 16.18506f,
           16.44118f}));
  // reference: cubic asymmetric x2.
  EXPECT_CLOSE(run1(resize(kD44, {mode("cubic"), coord("asymmetric")}, scales4(2, 2))),
               F32({1, 1, 8, 8}, {1,       1.40625f, 2,       2.5f,    3,       3.59375f, 4,       4.09375f,
                                  2.625f,  3.03125f, 3.625f,  4.125f,  4.625f,  5.21875f, 5.625f,  5.71875f,
                                  5,       5.40625f, 6,       6.5f,    7,       7.59375f, 8,       8.09375f,
                                  7,       7.40625f, 8,       8.5f,    9,       9.59375f, 10,      10.09375f,
                                  9,       9.40625f, 10,      10.5f,   11,      11.59375f, 12,     12.09375f,
                                  11.375f, 11.78125f, 12.375f, 12.875f, 13.375f, 13.96875f, 14.375f, 14.46875f,
                                  13,      13.40625f, 14,      14.5f,   15,      15.59375f, 16,      16.09375f,
                                  13.375f, 13.78125f, 14.375f, 14.875f, 15.375f, 15.96875f, 16.375f, 16.46875f}));
  // reference: cubic downsample, scales 0.8.
  EXPECT_CLOSE(run1(resize(kD44, {mode("cubic")}, scales4(0.8f, 0.8f))),
               F32({1, 1, 3, 3}, {1.471191f, 2.78125f, 4.08252f, 6.711426f, 8.021484f, 9.322754f, 11.9165f, 13.22656f,
                                  14.52783f}));
}

TEST(ResizeOp, MatchesOnnxruntimeOpset19) {
  // Expected values from onnxruntime-node 1.30. pytorch_half_pixel with a 1-long output axis samples
  // coordinate 0 (spec text), which cubic makes visible.
  EXPECT_CLOSE(run1(resize(kD44, {mode("cubic"), coord("pytorch_half_pixel")}, Tensor(), sizes4(1, 4))),
               F32({1, 1, 1, 4}, {1, 2, 3, 4}));
  EXPECT_TENSOR_NEAR(run1(resize(kD44, {mode("cubic"), coord("half_pixel_symmetric")}, scales4(0.7f, 1.6f))),
                     F32({1, 1, 2, 6}, {3.801004f, 4.308572f, 5.077311f, 5.607096f, 6.375834f, 6.883402f, 10.116592f,
                                        10.624161f, 11.392898f, 11.922684f, 12.691421f, 13.198989f}),
                     1e-4f, 1e-5f);
}

TEST(ResizeOp, TfCropAndResize) {
  // reference: roi [0,0,0.4,0.6, 1,1,1.2,1.7], sizes 3x3, extrapolation_value 10.
  const Tensor roi = F32({8}, {0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f});
  EXPECT_CLOSE(run1(resize(kD44, {mode("linear"), coord("tf_crop_and_resize"), attr_float("extrapolation_value", 10)},
                           Tensor(), sizes4(3, 3), roi)),
               F32({1, 1, 3, 3}, {7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10}));
  // Nearest with a roi inside the image: roi [.., 0.25, 0.25, .., 0.75, 0.75] on 4x4, sizes 3x3:
  // x = 0.75 + o * 0.75 -> 0.75, 1.5, 2.25 -> round_prefer_floor 1, 1, 2.
  const Tensor roi2 = F32({8}, {0, 0, 0.25f, 0.25f, 1, 1, 0.75f, 0.75f});
  EXPECT_TENSOR_EQ(run1(resize(kD44, {coord("tf_crop_and_resize")}, Tensor(), sizes4(3, 3), roi2)),
                   F32({1, 1, 3, 3}, {6, 6, 7, 6, 6, 7, 10, 10, 11}));
  EXPECT_EQ(run_code(resize(kD44, {coord("tf_crop_and_resize")}, Tensor(), sizes4(3, 3), F32({0}, {}))),
            StatusCode::kInvalidModel);
}

TEST(ResizeOp, KeepAspectRatioAndAxesOpset18) {
  const std::vector<float> not_larger = {1,  1,  2,  2,  3,  4,  4,  1,  1,  2,  2,  3,  4,  4,  5,  5,  6,
                                         6,  7,  8,  8,  5,  5,  6,  6,  7,  8,  8,  9,  9,  10, 10, 11, 12,
                                         12, 13, 13, 14, 14, 15, 16, 16, 13, 13, 14, 14, 15, 16, 16};
  // sizes (7, 8) on axes (2, 3): not_larger -> scale min(7/4, 8/4) = 1.75 -> 7x7 (reference, scales 1.75).
  EXPECT_TENSOR_EQ(run1(resize(kD44, {attr_string("keep_aspect_ratio_policy", "not_larger"), attr_ints("axes", {2, 3})},
                               Tensor(), I64v({7, 8}))),
                   F32({1, 1, 7, 7}, not_larger));
  // not_smaller -> scale 2 -> 8x8, nearest half_pixel (reference, scales 2).
  Tensor y = run1(resize(kD44, {attr_string("keep_aspect_ratio_policy", "not_smaller"), attr_ints("axes", {-2, -1})},
                         Tensor(), I64v({7, 8})));
  ASSERT_EQ(y.shape(), (Shape{1, 1, 8, 8}));
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) EXPECT_EQ(y.data<float>()[i * 8 + j], kD44.data<float>()[(i / 2) * 4 + j / 2]);
  // axes in another order: scales follow the axes list.
  Tensor z = run1(resize(kD22, {attr_ints("axes", {3, 2})}, F32({2}, {3, 2})));
  EXPECT_TENSOR_EQ(z, F32({1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  EXPECT_EQ(run_code(resize(kD22, {attr_ints("axes", {3, 2})}, scales4(1, 2))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(resize(kD22, {attr_ints("axes", {3, 3})}, F32({2}, {1, 2}))), StatusCode::kInvalidModel);
}

TEST(ResizeOp, NdAndOneD) {
  // reference: linear on [1,2,3,4] (values 0.5*i) with scales [1,2,2,2]: the separable path (3 axes).
  Tensor x3 = Iota(DataType::kFloat32, {1, 2, 3, 4});
  for (int64_t i = 0; i < x3.numel(); ++i) x3.data<float>()[i] *= 0.5f;
  Tensor y = run1(resize(x3, {mode("linear")}, F32({4}, {1, 2, 2, 2})));
  ASSERT_EQ(y.shape(), (Shape{1, 4, 6, 8}));
  // Spot values from the reference output (flat indices 0, 1, 9, 47, 48, 191).
  EXPECT_NEAR(y.data<float>()[0], 0.0f, 1e-5);
  EXPECT_NEAR(y.data<float>()[1], 0.125f, 1e-5);
  EXPECT_NEAR(y.data<float>()[9], 0.625f, 1e-5);
  EXPECT_NEAR(y.data<float>()[47], 5.5f, 1e-5);
  EXPECT_NEAR(y.data<float>()[48], 1.5f, 1e-5);
  EXPECT_NEAR(y.data<float>()[191], 11.5f, 1e-5);
  // reference: cubic on [2,3,4] (values i^1.5) with scales [1.5, 1, 0.5].
  Tensor x4 = Iota(DataType::kFloat32, {2, 3, 4});
  for (int64_t i = 0; i < x4.numel(); ++i) x4.data<float>()[i] = std::pow(static_cast<float>(i), 1.5f);
  EXPECT_TENSOR_NEAR(run1(resize(x4, {mode("cubic")}, F32({3}, {1.5f, 1, 0.5f}))),
                     F32({3, 3, 2}, {-3.436645f, -0.2930254f, 4.295415f, 11.44841f, 18.49438f, 28.157f, 22.01631f,
                                     29.96967f, 37.85932f, 48.55992f, 58.28335f, 70.94244f, 47.46926f, 60.23237f,
                                     71.42322f, 85.67143f, 98.07231f, 113.7279f}),
                     1e-4f, 1e-5f);
  // reference: 1-D align_corners [1,3,7] -> 5.
  EXPECT_CLOSE(run1(resize(F32({3}, {1, 3, 7}), {mode("linear"), coord("align_corners")}, Tensor(), I64v({5}))),
               F32({5}, {1, 2, 3, 5, 7}));
}

// Naive bilinear (half_pixel, clamped), written from the spec formula, for the fast NCHW path.
Tensor naive_bilinear(const Tensor& x, int64_t oh, int64_t ow) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor y = Tensor::allocate(DataType::kFloat32, {n, c, oh, ow}).value();
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const double sy = std::max(0.0, std::min<double>(h - 1, (i + 0.5) * h / oh - 0.5));
        const double sx = std::max(0.0, std::min<double>(w - 1, (j + 0.5) * w / ow - 0.5));
        const int64_t y0 = static_cast<int64_t>(sy), x0 = static_cast<int64_t>(sx);
        const int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
        const double fy = sy - y0, fx = sx - x0;
        const float* s = x.data<float>() + p * h * w;
        y.data<float>()[(p * oh + i) * ow + j] = static_cast<float>(
            (1 - fy) * ((1 - fx) * s[y0 * w + x0] + fx * s[y0 * w + x1]) + fy * ((1 - fx) * s[y1 * w + x0] + fx * s[y1 * w + x1]));
      }
  return y;
}

TEST(ResizeOp, LargeBilinearAndNearestParallel) {
  const Tensor x = random_f32({1, 16, 40, 40}, 11);
  OpSpec s = resize(x, {mode("linear")}, scales4(2, 2));
  s.num_threads = 2;
  EXPECT_TENSOR_NEAR(run1(s), naive_bilinear(x, 80, 80), 1e-5f, 1e-5f);
  OpSpec d = resize(x, {mode("linear")}, Tensor(), I64v({1, 16, 17, 29}));
  d.num_threads = 2;
  EXPECT_TENSOR_NEAR(run1(d), naive_bilinear(x, 17, 29), 1e-5f, 1e-5f);
  OpSpec nn = resize(x, {mode("nearest"), attr_string("nearest_mode", "floor"), coord("asymmetric")}, scales4(2, 2));
  nn.num_threads = 2;
  Tensor y = run1(nn);
  ASSERT_EQ(y.shape(), (Shape{1, 16, 80, 80}));
  for (int64_t c = 0; c < 16; c += 5)
    for (int64_t i = 0; i < 80; ++i)
      for (int64_t j = 0; j < 80; ++j)
        ASSERT_EQ(y.data<float>()[(c * 80 + i) * 80 + j], x.data<float>()[(c * 40 + i / 2) * 40 + j / 2]);
}

TEST(ResizeOp, NearestOtherDtypes) {
  const Tensor u = U8({1, 1, 2, 2}, {10, 20, 30, 40});
  EXPECT_TENSOR_EQ(run1(resize(u, {}, scales4(1, 2))), U8({1, 1, 2, 4}, {10, 10, 20, 20, 30, 30, 40, 40}));
  const Tensor i = I64({2, 2}, {1, 2, 3, 4});
  EXPECT_TENSOR_EQ(run1(resize(i, {}, F32({2}, {2, 1}))), I64({4, 2}, {1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_EQ(run_code(resize(i, {mode("linear")}, F32({2}, {2, 1}))), StatusCode::kUnsupported);
}

TEST(ResizeOp, Opset10AndUpsample) {
  // Resize-10: inputs (X, scales), asymmetric coordinates.
  OpSpec r10;
  r10.op_type = "Resize";
  r10.opset = 10;
  r10.attributes = attrs({mode("linear")});
  r10.inputs = {kD22, scales4(2, 2)};
  EXPECT_CLOSE(run1(r10), F32({1, 1, 4, 4}, {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4}));
  r10.attributes = attrs({mode("nearest")});
  r10.inputs = {kD22, scales4(2, 3)};
  // ONNX backend test_upsample_nearest: repeat each element.
  const Tensor rep = F32({1, 1, 4, 6}, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  EXPECT_TENSOR_EQ(run1(r10), rep);
  OpSpec up9;
  up9.op_type = "Upsample";
  up9.opset = 9;
  up9.attributes = attrs({mode("nearest")});
  up9.inputs = {kD22, scales4(2, 3)};
  EXPECT_TENSOR_EQ(run1(up9), rep);
  OpSpec up7 = up9;
  up7.opset = 7;
  up7.attributes = attrs({mode("nearest"), attr_floats("scales", {1, 1, 2, 3})});
  up7.inputs = {kD22};
  EXPECT_TENSOR_EQ(run1(up7), rep);
  up7.attributes = attrs({mode("linear"), attr_floats("scales", {1, 1, 2, 2})});
  EXPECT_CLOSE(run1(up7), F32({1, 1, 4, 4}, {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4}));
  // Non-integer scales, expected values from onnxruntime-node 1.30 (floor when upsampling, ceil when
  // downsampling: these opsets define no nearest_mode).
  r10.inputs = {kD44, scales4(0.6f, 0.75f)};
  EXPECT_TENSOR_EQ(run1(r10), F32({1, 1, 2, 3}, {1, 3, 4, 9, 11, 12}));
  up9.inputs = {kD44, scales4(1.5f, 2.5f)};
  EXPECT_TENSOR_EQ(run1(up9), F32({1, 1, 6, 10}, {1,  1,  1,  2,  2,  3,  3,  3,  4,  4,  1,  1,  1,  2,  2,
                                                  3,  3,  3,  4,  4,  5,  5,  5,  6,  6,  7,  7,  7,  8,  8,
                                                  9,  9,  9,  10, 10, 11, 11, 11, 12, 12, 9,  9,  9,  10, 10,
                                                  11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 15, 16, 16}));
  up9.inputs = {kD22, scales4(1, 0.5f)};
  EXPECT_EQ(run_code(up9), StatusCode::kInvalidArgument);  // Upsample scales must be >= 1
  up9.attributes = attrs({mode("cubic")});
  EXPECT_EQ(run_code(up9), StatusCode::kInvalidModel);
}

TEST(ResizeOp, ErrorsAndDeferral) {
  EXPECT_EQ(run_code(resize(kD22, {mode("linear"), attr_int("antialias", 1)}, scales4(0.5f, 0.5f))),
            StatusCode::kUnsupported);
  EXPECT_EQ(run_code(resize(kD22, {mode("bicubic")}, scales4(2, 2))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(resize(kD22, {coord("corners")}, scales4(2, 2))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(resize(kD22, {attr_string("nearest_mode", "up")}, scales4(2, 2))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(resize(kD22, {}, F32({2}, {2, 2}))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(resize(kD22, {}, scales4(0, 2))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(resize(kD22, {}, scales4(2, 2), sizes4(4, 4))), StatusCode::kInvalidModel);
  EXPECT_EQ(run_code(resize(kD22, {}, Tensor(), I64v({1, 1, 4}))), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_code(resize(kD22, {}, Tensor(), I64v({1, 1, -4, 4}))), StatusCode::kInvalidArgument);
  OpSpec s = resize(kD22, {}, Tensor(), sizes4(3, 5));
  EXPECT_EQ(plan_only(s).code, StatusCode::kDeferred);
  s.constant_inputs = {3};
  EXPECT_EQ(plan_only(s).shapes.at(0), (Shape{1, 1, 3, 5}));
}

}  // namespace
}  // namespace edgeinfer::testing
