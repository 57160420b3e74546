// Shared by the bundle tests: a model with real weight bytes (built in C++ with the test ONNX writer),
// temporary directories, the repository root and the CLI binary.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_runner.h"
#include "onnx_test_writer.h"

namespace edgeinfer::bundle_test {

// x[1,256] -> MatMul by `layers` weight matrices [256,256] (256 KiB each) -> y. Weights are random
// from seed; change_layer >= 0 perturbs one element in the middle of that layer (a one-layer update).
inline std::vector<uint8_t> weights_model(int layers, uint32_t seed, int change_layer = -1) {
  testing::ModelBuilder mb;
  mb.add_input("x", DataType::kFloat32, {1, 256});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::string prev = "x";
  for (int l = 0; l < layers; ++l) {
    std::vector<float> w(256 * 256);
    for (float& v : w) v = u(rng) * 0.05f;
    if (l == change_layer) w[w.size() / 2 + 77] += 0.5f;
    const std::string wn = "w" + std::to_string(l), yn = l + 1 == layers ? "y" : "h" + std::to_string(l);
    mb.add_initializer(wn, Tensor::from_vector<float>({256, 256}, w));
    mb.add_node("MatMul", {prev, wn}, {yn});
    prev = yn;
  }
  mb.add_output("y", DataType::kFloat32);
  const std::string s = mb.serialize();
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A fresh directory under /tmp, removed when the test program exits.
inline std::string temp_dir() {
  struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  char tmpl[] = "/tmp/edgeinfer_bundle_test_XXXXXX";
  const char* d = mkdtemp(tmpl);
  if (!d) return "/tmp/edgeinfer_bundle_test_failed_mkdtemp";
  cleanup.dirs.push_back(d);
  return d;
}

using edgeinfer::testing::exe_dir;
using edgeinfer::testing::repo_root;

}  // namespace edgeinfer::bundle_test
