// edgeinfer_model_profile: time a model per node and per op type, natively or in wasm under Node
// (the native CLI's `bench --profile` does the same with more options; this one has no
// dependencies beyond the core so Emscripten builds it).
//
//   node build/wasm-simd-threads/tools/perf/edgeinfer_model_profile.js MODEL [NAME=1x3x640x640 ...]
//        [--threads N] [--runs N] [--warmup N] [--top N]
//
// Inputs are uniform [0, 1) floats (other dtypes zeros); symbolic dims default to 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ops/op_profile.h"
#include "runtime/session.h"

namespace edgeinfer {
namespace {

int fail(const std::string& msg) {
  std::fprintf(stderr, "edgeinfer_model_profile: %s\n", msg.c_str());
  return 1;
}

int main_impl(int argc, char** argv) {
  std::string path;
  std::map<std::string, Shape> shapes;
  int threads = 1, runs = 20, warmup = 3, top = 25;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--warmup" && i + 1 < argc) warmup = std::atoi(argv[++i]);
    else if (a == "--top" && i + 1 < argc) top = std::atoi(argv[++i]);
    else if (a.find('=') != std::string::npos) {
      Shape s;
      std::stringstream ss(a.substr(a.find('=') + 1));
      std::string part;
      while (std::getline(ss, part, 'x')) s.push_back(std::atoll(part.c_str()));
      shapes[a.substr(0, a.find('='))] = s;
    } else if (path.empty() && a[0] != '-') path = a;
    else return fail("usage: MODEL [NAME=1x3x640x640 ...] [--threads N] [--runs N] [--warmup N] [--top N]");
  }
  if (path.empty()) return fail("no model given");
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail("cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());

  op_profile_enable(true);
  SessionOptions opts;
  opts.num_threads = threads;
  auto session = Session::create(bytes.data(), bytes.size(), opts);
  if (!session.is_ok()) return fail(session.status().message());
  Session& s = *session.value();
  std::map<std::string, Tensor> feeds;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (const IoInfo& in : s.inputs()) {
    Shape shape = in.shape;
    auto it = shapes.find(in.name);
    if (it != shapes.end()) shape = it->second;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    auto t = Tensor::allocate(in.dtype, shape);
    if (!t.is_ok()) return fail(t.status().message());
    if (in.dtype == DataType::kFloat32)
      for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = u(rng);
    feeds.emplace(in.name, std::move(t).value());
  }
  for (int i = 0; i < 1 + warmup; ++i) {
    auto r = s.run(feeds);
    if (!r.is_ok()) return fail(r.status().message());
  }
  op_profile_reset();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = s.run(feeds);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!r.is_ok()) return fail(r.status().message());
  }
  std::sort(times.begin(), times.end());
#if defined(__wasm__)
  const char* target = "wasm";
#else
  const char* target = "native";
#endif
  std::printf("%s (%s, %d thread%s): p50 %.3f ms, min %.3f ms over %d runs\n", path.c_str(), target, threads,
              threads == 1 ? "" : "s", times[times.size() / 2], times.front(), runs);
  std::printf("%s", op_profile_report(runs, top).c_str());
  return 0;
}

}  // namespace
}  // namespace edgeinfer

int main(int argc, char** argv) { return edgeinfer::main_impl(argc, argv); }
