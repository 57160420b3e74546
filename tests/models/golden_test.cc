// Golden model tests: every model directory under models/cache/golden/ (written by models/golden.mjs
// with onnxruntime-node 1.30) is loaded with Session::create, fed its inputs/*.npy, and its outputs
// are compared with the reference outputs/*.npy, at 1 and 2 threads, and at 1 thread with graph
// optimizations off.
//
// Tolerance (from each manifest.json; golden.mjs writes atol 1e-4, rtol 1e-3): a float element passes
// when |actual - expected| <= atol + rtol * |expected|; integer and bool outputs must match exactly, or
// within the manifest's optional int_atol (quantized models: 1 unit, for requantization rounding).
// Every output's measured max abs diff and max rel diff (over elements with |expected| > atol) is printed.
//
// A model's further cases (cases/<name>/: other input shapes, or values that take another If branch)
// run on the same session after the main case, and the main case runs once more at the end: this checks
// that execution plans are redone when input shapes change and that switching back is correct too.
//
// Data: models/prepare.sh (fetch.sh + golden.mjs). The directory is found through $EDGEINFER_GOLDEN_DIR,
// or models/cache/golden above the working directory or above this executable.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "core/tensor.h"
#include "runtime/session.h"

namespace edgeinfer {
namespace {

using json = nlohmann::ordered_json;

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::string parent(const std::string& p) {
  const size_t slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

// Returns the golden directory, or "" when it cannot be found.
std::string find_golden_dir() {
  if (const char* env = std::getenv("EDGEINFER_GOLDEN_DIR")) return is_dir(env) ? std::string(env) : std::string();
  std::vector<std::string> starts;
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf))) starts.push_back(buf);
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) {
    buf[n] = '\0';
    starts.push_back(parent(buf));
  }
  for (std::string dir : starts) {
    for (int depth = 0; depth < 8; ++depth) {
      if (is_dir(dir + "/models/cache/golden")) return dir + "/models/cache/golden";
      if (dir == "/" || dir.empty()) break;
      dir = parent(dir);
    }
  }
  return "";
}

const char* kHowToPrepare =
    "golden data missing: run models/prepare.sh (or models/fetch.sh then node models/golden.mjs) at the "
    "repository root, or set EDGEINFER_GOLDEN_DIR";

struct GoldenParam {
  std::string model;  // directory name under the golden dir; "" when the golden dir is missing
  int threads = 1;
  bool optimize = true;
};

void PrintTo(const GoldenParam& p, std::ostream* os) {
  *os << (p.model.empty() ? std::string("<no golden data>") : p.model) << " threads=" << p.threads
      << (p.optimize ? "" : " optimize=false");
}

std::vector<GoldenParam> golden_params() {
  std::vector<GoldenParam> out;
  const std::string root = find_golden_dir();
  std::vector<std::string> names;
  if (!root.empty()) {
    if (DIR* d = opendir(root.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != ".." && is_file(root + "/" + name + "/manifest.json")) names.push_back(name);
      }
      closedir(d);
    }
  }
  std::sort(names.begin(), names.end());
  // Missing data must fail, not silently run zero tests.
  if (names.empty()) names.push_back("");
  for (const auto& n : names) {
    out.push_back({n, 1, true});
    out.push_back({n, 2, true});
    out.push_back({n, 1, false});  // the unoptimized graph must agree too
  }
  return out;
}

std::string param_name(const ::testing::TestParamInfo<GoldenParam>& info) {
  std::string s = info.param.model.empty() ? std::string("MISSING_GOLDEN_DATA") : info.param.model;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s + "_" + std::to_string(info.param.threads) + "thread" + (info.param.threads == 1 ? "" : "s") +
         (info.param.optimize ? "" : "_noopt");
}

Result<std::vector<uint8_t>> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return invalid_argument(path + ": cannot open");
  const std::streamsize n = f.tellg();
  f.seekg(0);
  std::vector<uint8_t> b(static_cast<size_t>(n > 0 ? n : 0));
  if (n > 0 && !f.read(reinterpret_cast<char*>(b.data()), n)) return invalid_argument(path + ": read error");
  return b;
}

double element_as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[i];
    case DataType::kFloat64: return t.data<double>()[i];
    case DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::kInt32: return t.data<int32_t>()[i];
    case DataType::kInt16: return t.data<int16_t>()[i];
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kUint16: return t.data<uint16_t>()[i];
    case DataType::kUint32: return t.data<uint32_t>()[i];
    case DataType::kUint64: return static_cast<double>(t.data<uint64_t>()[i]);
    case DataType::kBool: return static_cast<const uint8_t*>(t.raw())[i] ? 1.0 : 0.0;
    default: return std::nan("");
  }
}

// Compares one output; returns "" when it passes, else what is wrong. `report` gets the measured diffs.
std::string compare_output(const Tensor& actual, const Tensor& expected, double atol, double rtol, double int_atol,
                           std::string* report) {
  if (actual.dtype() != expected.dtype())
    return std::string("dtype ") + dtype_name(actual.dtype()) + ", expected " + dtype_name(expected.dtype());
  if (actual.shape() != expected.shape())
    return "shape " + shape_to_string(actual.shape()) + ", expected " + shape_to_string(expected.shape());
  const bool is_float = expected.dtype() == DataType::kFloat32 || expected.dtype() == DataType::kFloat64;
  const int64_t n = expected.numel();
  double max_abs = 0, max_rel = 0;
  int64_t bad = 0, first_bad = -1;
  for (int64_t i = 0; i < n; ++i) {
    const double a = element_as_double(actual, i), e = element_as_double(expected, i);
    if (std::isnan(e) || std::isnan(a)) {
      if (std::isnan(e) != std::isnan(a)) {
        if (first_bad < 0) first_bad = i;
        ++bad;
      }
      continue;
    }
    if (std::isinf(e) || std::isinf(a)) {
      if (a != e) {
        if (first_bad < 0) first_bad = i;
        ++bad;
      }
      continue;
    }
    const double diff = std::fabs(a - e);
    max_abs = std::max(max_abs, diff);
    if (std::fabs(e) > atol) max_rel = std::max(max_rel, diff / std::fabs(e));
    const bool ok = is_float ? diff <= atol + rtol * std::fabs(e) : diff <= int_atol;
    if (!ok) {
      if (first_bad < 0) first_bad = i;
      ++bad;
    }
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%-8s %-18s max_abs %.3g max_rel %.3g%s", dtype_name(expected.dtype()),
                shape_to_string(expected.shape()).c_str(), max_abs, max_rel, is_float ? "" : int_atol > 0 ? " (int_atol)" : " (exact)");
  *report = buf;
  if (bad == 0) return "";
  std::snprintf(buf, sizeof(buf), "%lld of %lld elements out of tolerance; first at flat index %lld: got %.9g, expected %.9g",
                static_cast<long long>(bad), static_cast<long long>(n), static_cast<long long>(first_bad),
                element_as_double(actual, first_bad), element_as_double(expected, first_bad));
  return buf;
}

class GoldenModel : public ::testing::TestWithParam<GoldenParam> {};

TEST_P(GoldenModel, MatchesOnnxRuntime) {
  const GoldenParam& p = GetParam();
  const std::string root = find_golden_dir();
  ASSERT_FALSE(p.model.empty() || root.empty()) << kHowToPrepare;
  const std::string dir = root + "/" + p.model;

  auto manifest_text = read_bytes(dir + "/manifest.json");
  ASSERT_TRUE(manifest_text.is_ok()) << manifest_text.status().to_string();
  const json manifest = json::parse(manifest_text->begin(), manifest_text->end(), nullptr, false);
  ASSERT_FALSE(manifest.is_discarded()) << dir << "/manifest.json is not valid JSON";
  const double atol = manifest.at("tolerance").at("atol").get<double>();
  const double rtol = manifest.at("tolerance").at("rtol").get<double>();
  const double int_atol = manifest.at("tolerance").value("int_atol", 0.0);
  // Relative to the model's golden directory, or absolute.
  const std::string model_rel = manifest.at("model").get<std::string>();
  const std::string model_path = !model_rel.empty() && model_rel[0] == '/' ? model_rel : dir + "/" + model_rel;

  auto model = read_bytes(model_path);
  ASSERT_TRUE(model.is_ok()) << model.status().to_string() << "; " << kHowToPrepare;
  SessionOptions opts;
  opts.num_threads = p.threads;
  opts.optimize = p.optimize;
  auto session = Session::create(model->data(), model->size(), opts);
  ASSERT_TRUE(session.is_ok()) << p.model << ": " << session.status().to_string();

  // The main case, every other case on the same session, then the main case again.
  std::vector<json> cases;
  for (const json& c : manifest.at("cases")) cases.push_back(c);
  ASSERT_FALSE(cases.empty());
  if (cases.size() > 1) cases.push_back(cases.front());

  std::printf("[ golden   ] %s (threads=%d%s): tolerance atol %g rtol %g int_atol %g\n", p.model.c_str(), p.threads,
              p.optimize ? "" : ", optimize=false", atol, rtol, int_atol);
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const json& c = cases[ci];
    const std::string case_name = c.at("name").get<std::string>() + (ci > 0 && ci + 1 == cases.size() && cases.size() > 2 ? " (again)" : "");
    const std::string case_dir = dir + "/" + c.at("dir").get<std::string>();
    std::map<std::string, Tensor> feeds;
    for (const auto& [name, file] : c.at("inputs").items()) {
      auto t = read_npy(case_dir + "/" + file.get<std::string>());
      ASSERT_TRUE(t.is_ok()) << t.status().to_string();
      feeds.emplace(name, std::move(t).value());
    }
    std::vector<std::string> fetches;
    std::vector<Tensor> expected;
    for (const auto& [name, file] : c.at("outputs").items()) {
      auto t = read_npy(case_dir + "/" + file.get<std::string>());
      ASSERT_TRUE(t.is_ok()) << t.status().to_string();
      fetches.push_back(name);
      expected.push_back(std::move(t).value());
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto outs = session.value()->run(feeds, fetches);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(outs.is_ok()) << p.model << "/" << case_name << ": " << outs.status().to_string();
    ASSERT_EQ(outs->size(), fetches.size());
    std::printf("[ golden   ]   case %s: %.2f ms\n", case_name.c_str(), ms);
    for (size_t i = 0; i < fetches.size(); ++i) {
      std::string report;
      const std::string err = compare_output((*outs)[i], expected[i], atol, rtol, int_atol, &report);
      std::printf("[ golden   ]     %-22s %s %s\n", fetches[i].c_str(), report.c_str(), err.empty() ? "OK" : "FAIL");
      EXPECT_TRUE(err.empty()) << p.model << "/" << case_name << " output '" << fetches[i] << "' (threads=" << p.threads
                               << (p.optimize ? "" : ", optimize=false") << "): " << err;
    }
  }
  const MemoryStats mem = session.value()->memory();
  std::printf("[ golden   ]   memory: weights %.2f MiB, arena %.2f MiB, peak %.2f MiB\n", mem.weights_bytes / 1048576.0,
              mem.arena_bytes / 1048576.0, mem.peak_bytes / 1048576.0);
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenModel, ::testing::ValuesIn(golden_params()), param_name);

// The comparison itself must be able to fail.
TEST(GoldenCompare, DetectsDifferences) {
  std::string report;
  Tensor e = Tensor::from_vector<float>({2, 2}, {1.0f, 2.0f, 0.0f, -100.0f});
  Tensor same = Tensor::from_vector<float>({2, 2}, {1.00005f, 2.0015f, 0.00009f, -100.09f});
  EXPECT_EQ(compare_output(same, e, 1e-4, 1e-3, 0, &report), "") << report;
  Tensor off = Tensor::from_vector<float>({2, 2}, {1.0f, 2.0f, 0.0003f, -100.0f});
  EXPECT_NE(compare_output(off, e, 1e-4, 1e-3, 0, &report), "");
  Tensor rel = Tensor::from_vector<float>({2, 2}, {1.0f, 2.0f, 0.0f, -100.2f});
  EXPECT_NE(compare_output(rel, e, 1e-4, 1e-3, 0, &report), "");
  Tensor nan = Tensor::from_vector<float>({2, 2}, {1.0f, NAN, 0.0f, -100.0f});
  EXPECT_NE(compare_output(nan, e, 1e-4, 1e-3, 0, &report), "");
  EXPECT_NE(compare_output(Tensor::from_vector<float>({4}, {1, 2, 0, -100}), e, 1e-4, 1e-3, 0, &report), "");
  EXPECT_NE(compare_output(Tensor::from_vector<int64_t>({2}, {1, 2}), Tensor::from_vector<int64_t>({2}, {1, 3}), 1e-4,
                           1e-3, 0, &report),
            "");
  EXPECT_EQ(compare_output(Tensor::from_vector<int64_t>({2}, {1, 2}), Tensor::from_vector<int64_t>({2}, {1, 2}), 1e-4,
                           1e-3, 0, &report),
            "");
  EXPECT_NE(compare_output(Tensor::from_vector<int32_t>({2}, {1, 2}), Tensor::from_vector<int64_t>({2}, {1, 2}), 1e-4,
                           1e-3, 0, &report),
            "");
  // int_atol: integers within it pass, beyond it fail.
  Tensor u = Tensor::from_vector<uint8_t>({3}, {10, 20, 30});
  EXPECT_EQ(compare_output(Tensor::from_vector<uint8_t>({3}, {11, 19, 30}), u, 1e-4, 1e-3, 1, &report), "") << report;
  EXPECT_NE(compare_output(Tensor::from_vector<uint8_t>({3}, {12, 20, 30}), u, 1e-4, 1e-3, 1, &report), "");
  EXPECT_NE(compare_output(Tensor::from_vector<uint8_t>({3}, {11, 20, 30}), u, 1e-4, 1e-3, 0, &report), "");
}

}  // namespace
}  // namespace edgeinfer
