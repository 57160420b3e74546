// Helpers shared by the GoogleTest suites: random tensors, comparisons, and run_op(), which drives one
// operator through its registration exactly as the runtime does (factory -> infer -> run) without a model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer::testing {

// Deterministic uniform floats in [lo, hi).
Tensor random_f32(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f);
// Deterministic uniform integers in [lo, hi] of dtype int64 / int32 / uint8 / int8.
Tensor random_int(DataType dtype, const Shape& shape, uint32_t seed, int64_t lo, int64_t hi);
// Random shape of `rank` dims each in [lo, hi].
Shape random_shape(int rank, uint32_t seed, int64_t lo, int64_t hi);

// GTest assertion helpers: same dtype and shape; floats within atol + rtol*|expected|; others exact.
::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, float atol = 1e-5f,
                                         float rtol = 1e-5f);
#define EXPECT_TENSOR_NEAR(actual, expected, atol, rtol) \
  EXPECT_TRUE(::edgeinfer::testing::tensors_close((actual), (expected), (atol), (rtol)))
#define EXPECT_TENSOR_EQ(actual, expected) \
  EXPECT_TRUE(::edgeinfer::testing::tensors_close((actual), (expected), 0.0f, 0.0f))

// Attribute builders: attrs({attr_int("axis", 1), attr_floats("scales", {2, 2})})
Attribute attr_int(const std::string& name, int64_t v);
Attribute attr_float(const std::string& name, float v);
Attribute attr_string(const std::string& name, const std::string& v);
Attribute attr_ints(const std::string& name, std::vector<int64_t> v);
Attribute attr_floats(const std::string& name, std::vector<float> v);
Attribute attr_tensor(const std::string& name, Tensor t);
Attributes attrs(std::vector<Attribute> list);

struct OpSpec {
  std::string op_type;
  std::string domain;           // "" = default ONNX domain
  int64_t opset = 17;
  Attributes attributes;
  // One per input; an empty Tensor() is an omitted optional input.
  std::vector<Tensor> inputs;
  // Inputs (by index) passed to the factory and to infer() as known constants, as initializers are.
  std::vector<int> constant_inputs;
  int num_outputs = 1;
  int num_threads = 1;
};

// Runs one op: registry lookup, factory, infer, allocation, run. Errors come back as Status.
Result<std::vector<Tensor>> run_op(const OpSpec& spec);

}  // namespace edgeinfer::testing
