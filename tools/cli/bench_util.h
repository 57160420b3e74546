// Random bench inputs and latency statistics, shared by `edgeinfer bench` and `edgeinfer bundle pack`
// (whose manifest records the bench's p50 and peak memory).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/session.h"

namespace edgeinfer {

// A float32 input holds uniform [0, 1) values from seed; other dtypes stay zero (valid indices/ids
// for Gather-like inputs, a neutral value elsewhere).
Result<Tensor> bench_input(const IoInfo& in, const Shape& shape, uint32_t seed);

struct LatencyStats {
  double min = 0, p50 = 0, p95 = 0, mean = 0, max = 0;
};
// Percentiles by linear interpolation between order statistics.
LatencyStats latency_stats(std::vector<double> v);

}  // namespace edgeinfer

namespace edgeinfer {

// "1x3x224x224" -> {1, 3, 224, 224}; "" is a scalar.
Result<Shape> parse_dims(const std::string& text);
// --shape NAME=1x3x224x224 arguments, checked against the model's inputs.
Result<std::map<std::string, Shape>> parse_shape_args(const std::vector<std::string>& args,
                                                      const std::vector<IoInfo>& inputs);

}  // namespace edgeinfer

namespace edgeinfer {

// One bench_input per model input (seeds 1, 2, ...): the shape from overrides, else the declared
// shape with symbolic dims set to 1. used_shapes (optional) receives (name, shape) in input order.
Result<std::map<std::string, Tensor>> bench_feeds(const std::vector<IoInfo>& inputs,
                                                  const std::map<std::string, Shape>& overrides,
                                                  std::vector<std::pair<std::string, Shape>>* used_shapes);

}  // namespace edgeinfer
