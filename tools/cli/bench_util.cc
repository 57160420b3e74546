#include "bench_util.h"

#include <algorithm>
#include <random>
#include <sstream>

namespace edgeinfer {

Result<Tensor> bench_input(const IoInfo& in, const Shape& shape, uint32_t seed) {
  EI_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(in.dtype, shape));
  if (in.dtype == DataType::kFloat32) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
  }
  return t;
}

LatencyStats latency_stats(std::vector<double> v) {
  LatencyStats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    const double idx = p * static_cast<double>(v.size() - 1);
    const size_t lo = static_cast<size_t>(idx);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (idx - static_cast<double>(lo));
  };
  s.min = v.front();
  s.max = v.back();
  s.p50 = pct(0.5);
  s.p95 = pct(0.95);
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

}  // namespace edgeinfer

namespace edgeinfer {

Result<Shape> parse_dims(const std::string& text) {
  Shape dims;
  if (text.empty()) return dims;  // NAME= : a scalar
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos || part.size() > 12)
      return invalid_argument("bad dimension '" + part + "' in '" + text + "' (expected e.g. 1x3x224x224)");
    dims.push_back(std::stoll(part));
  }
  if (!text.empty() && text.back() == 'x') return invalid_argument("bad shape '" + text + "'");
  return dims;
}

Result<std::map<std::string, Shape>> parse_shape_args(const std::vector<std::string>& args,
                                                      const std::vector<IoInfo>& inputs) {
  std::map<std::string, Shape> overrides;
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) return invalid_argument("--shape '" + arg + "' is not NAME=1x3x224x224");
    const std::string name = arg.substr(0, eq);
    bool known = false;
    for (const IoInfo& in : inputs) known = known || in.name == name;
    if (!known) return invalid_argument("--shape '" + name + "': the model has no such input");
    auto dims = parse_dims(arg.substr(eq + 1));
    if (!dims.is_ok()) return dims.status().with_context("--shape " + name + ": ");
    overrides[name] = dims.value();
  }
  return overrides;
}

}  // namespace edgeinfer

namespace edgeinfer {

Result<std::map<std::string, Tensor>> bench_feeds(const std::vector<IoInfo>& inputs,
                                                  const std::map<std::string, Shape>& overrides,
                                                  std::vector<std::pair<std::string, Shape>>* used_shapes) {
  std::map<std::string, Tensor> feeds;
  uint32_t seed = 1;
  for (const IoInfo& in : inputs) {
    Shape shape = in.shape;
    auto it = overrides.find(in.name);
    if (it != overrides.end()) {
      shape = it->second;
    } else {
      for (int64_t& d : shape) d = d < 0 ? 1 : d;  // symbolic dims default to 1
    }
    auto t = bench_input(in, shape, seed++);
    if (!t.is_ok()) return t.status().with_context("input '" + in.name + "': ");
    if (used_shapes) used_shapes->emplace_back(in.name, shape);
    feeds.emplace(in.name, std::move(t).value());
  }
  return feeds;
}

}  // namespace edgeinfer
