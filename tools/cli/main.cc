// edgeinfer: the native command-line tool.
//   edgeinfer info MODEL [--json]
//   edgeinfer run MODEL --input NAME=FILE.npy ... --output-dir DIR [--threads N]
//   edgeinfer bench MODEL [--shape NAME=1x3x224x224 ...] [--threads N] [--warmup N] [--runs N] [--json] [--profile]
//   edgeinfer bundle pack|keygen|sign|verify|diff|gate ...   (bundle/commands.cc)
//   edgeinfer quantize IN.onnx OUT.onnx --calibration DIR [...]   (quantize_command.cc, tools/quantize/)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>


#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "onnx/onnx_loader.h"
#include "ops/op_profile.h"
#include "bench_util.h"
#include "bundle/commands.h"
#include "bundle/files.h"
#include "quantize_command.h"
#include "runtime/session.h"

namespace edgeinfer {
namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int fail(const Status& s) {
  std::fprintf(stderr, "edgeinfer: %s\n", s.to_string().c_str());
  return 1;
}

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return invalid_argument(path + ": cannot open file: " + std::strerror(errno));
  std::streamsize n = f.tellg();
  if (n < 0) return invalid_argument(path + ": cannot determine file size");
  f.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  if (n > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), n)) return invalid_argument(path + ": read error");
  return bytes;
}

// A tensor name as a file name: anything outside [A-Za-z0-9._-] becomes '_' (models/golden.mjs uses
// the same rule); an empty name or one starting with '.' gets a leading '_'.
std::string sanitize_name(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (s.empty() || s[0] == '.') s = "_" + s;  // no hidden files, no "." or ".."
  return s;
}


// "[N,3,H,W]" with symbolic names, "?" for unknown dims.
std::string dims_text(const Shape& dims, const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    if (dims[i] >= 0) s += std::to_string(dims[i]);
    else if (i < names.size() && !names[i].empty()) s += names[i];
    else s += "?";
  }
  return s + "]";
}

json dims_json(const Shape& dims, const std::vector<std::string>& names) {
  json a = json::array();
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] >= 0) a.push_back(dims[i]);
    else if (i < names.size() && !names[i].empty()) a.push_back(names[i]);
    else a.push_back(nullptr);
  }
  return a;
}

std::string with_commas(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string mib(size_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// Peak resident set size of this process (VmHWM), 0 where /proc is not available.
size_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return static_cast<size_t>(std::stoll(line.substr(6))) * 1024;
  }
  return 0;
}

// ------------------------------------------------------------------------------------------ info
struct IoEntry {
  std::string name;
  DataType dtype;
  Shape dims;
  std::vector<std::string> dim_names;
  bool has_shape;
};

std::vector<IoEntry> io_entries(const Graph& g, const std::vector<int>& ids) {
  std::vector<IoEntry> out;
  for (int id : ids) {
    if (id < 0 || id >= static_cast<int>(g.values.size())) continue;
    const Value& v = g.values[static_cast<size_t>(id)];
    out.push_back({v.name, v.dtype, v.dims, v.dim_params, v.has_shape});
  }
  return out;
}

int cmd_info(const std::string& path, bool as_json) {
  auto bytes = read_file(path);
  if (!bytes.is_ok()) return fail(bytes.status());
  auto info = inspect_model(bytes->data(), bytes->size());
  if (!info.is_ok()) return fail(info.status().with_context(path + ": "));
  // The loader alone (no kernels) gives the declared inputs and outputs, even with unsupported ops.
  auto model = load_onnx_model(bytes->data(), bytes->size());
  if (!model.is_ok()) return fail(model.status().with_context(path + ": "));
  const auto inputs = io_entries(model->graph, model->graph.inputs);
  const auto outputs = io_entries(model->graph, model->graph.outputs);
  int total_nodes = 0;
  for (const auto& [op, n] : info->op_counts) total_nodes += n;

  if (as_json) {
    json j;
    j["model"] = path;
    j["size_bytes"] = bytes->size();
    j["ir_version"] = info->ir_version;
    j["producer"] = info->producer;
    j["opsets"] = json::object();
    for (const auto& [domain, v] : info->opsets) j["opsets"][domain.empty() ? "ai.onnx" : domain] = v;
    auto io = [](const std::vector<IoEntry>& list) {
      json a = json::array();
      for (const auto& e : list) {
        json o;
        o["name"] = e.name;
        o["dtype"] = dtype_name(e.dtype);
        o["shape"] = e.has_shape ? dims_json(e.dims, e.dim_names) : json(nullptr);
        a.push_back(o);
      }
      return a;
    };
    j["inputs"] = io(inputs);
    j["outputs"] = io(outputs);
    j["parameter_count"] = info->parameter_count;
    j["node_count"] = total_nodes;
    j["op_counts"] = json::object();
    for (const auto& [op, n] : info->op_counts) j["op_counts"][op] = n;
    j["unsupported_ops"] = info->unsupported_ops;
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  std::printf("model:      %s (%s bytes)\n", path.c_str(), with_commas(static_cast<int64_t>(bytes->size())).c_str());
  std::printf("ir_version: %lld\n", static_cast<long long>(info->ir_version));
  if (!info->producer.empty()) std::printf("producer:   %s\n", info->producer.c_str());
  std::printf("opsets:    ");
  for (const auto& [domain, v] : info->opsets)
    std::printf(" %s=%lld", domain.empty() ? "ai.onnx" : domain.c_str(), static_cast<long long>(v));
  std::printf("\n");
  auto print_io = [](const char* title, const std::vector<IoEntry>& list) {
    std::printf("%s (%zu):\n", title, list.size());
    for (const auto& e : list) {
      std::printf("  %-24s %-8s %s\n", e.name.c_str(), dtype_name(e.dtype),
                  e.has_shape ? dims_text(e.dims, e.dim_names).c_str() : "(no shape)");
    }
  };
  print_io("inputs", inputs);
  print_io("outputs", outputs);
  std::printf("parameters: %s\n", with_commas(info->parameter_count).c_str());
  std::printf("nodes:      %d in %zu op types\n", total_nodes, info->op_counts.size());
  std::vector<std::pair<std::string, int>> ops(info->op_counts.begin(), info->op_counts.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  const std::set<std::string> unsupported(info->unsupported_ops.begin(), info->unsupported_ops.end());
  for (const auto& [op, n] : ops)
    std::printf("  %-28s %5d%s\n", op.c_str(), n, unsupported.count(op) ? "  (unsupported)" : "");
  if (info->unsupported_ops.empty()) {
    std::printf("unsupported ops: none\n");
  } else {
    std::printf("unsupported ops (%zu):", info->unsupported_ops.size());
    for (const auto& op : info->unsupported_ops) std::printf(" %s", op.c_str());
    std::printf("\n");
  }
  return 0;
}

// ------------------------------------------------------------------------------------------ run
int cmd_run(const std::string& path, const std::vector<std::string>& input_args, const std::string& out_dir,
            const SessionOptions& opts) {
  auto bytes = read_file(path);
  if (!bytes.is_ok()) return fail(bytes.status());
  auto session = Session::create(bytes->data(), bytes->size(), opts);
  if (!session.is_ok()) return fail(session.status().with_context(path + ": "));
  Session& s = *session.value();

  std::set<std::string> expected;
  for (const IoInfo& in : s.inputs()) expected.insert(in.name);
  auto expected_list = [&] {
    std::string l;
    for (const IoInfo& in : s.inputs()) l += (l.empty() ? "" : ", ") + ("'" + in.name + "'");
    return l.empty() ? std::string("(none)") : l;
  };
  std::map<std::string, Tensor> feeds;
  for (const std::string& arg : input_args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
      return fail(invalid_argument("--input '" + arg + "' is not NAME=FILE.npy"));
    const std::string name = arg.substr(0, eq), file = arg.substr(eq + 1);
    if (!expected.count(name))
      return fail(invalid_argument("--input '" + name + "': the model has no such input; its inputs are " +
                                   expected_list()));
    if (feeds.count(name)) return fail(invalid_argument("--input '" + name + "' given twice"));
    auto t = read_npy(file);
    if (!t.is_ok()) return fail(t.status());
    feeds.emplace(name, std::move(t).value());
  }
  for (const IoInfo& in : s.inputs()) {
    if (!feeds.count(in.name))
      return fail(invalid_argument("missing --input " + in.name + "=FILE.npy (" + dtype_name(in.dtype) + " " +
                                   dims_text(in.shape, in.dim_names) + "); the model's inputs are " +
                                   expected_list()));
  }
  Status dir_ok = bundle::make_dirs(out_dir);
  if (!dir_ok.is_ok()) return fail(dir_ok);

  const auto t0 = Clock::now();
  auto outs = s.run(feeds);
  const double run_ms = ms_since(t0);
  if (!outs.is_ok()) return fail(outs.status());

  std::set<std::string> used;
  for (size_t i = 0; i < outs->size() && i < s.outputs().size(); ++i) {
    const std::string& name = s.outputs()[i].name;
    std::string base = sanitize_name(name), file = base;
    for (int k = 1; used.count(file); ++k) file = base + "_" + std::to_string(k);
    used.insert(file);
    const std::string out_path = out_dir + "/" + file + ".npy";
    const Tensor& t = (*outs)[i];
    Status w = write_npy(out_path, t);
    if (!w.is_ok()) return fail(w);
    std::printf("%-24s %-8s %-20s -> %s\n", name.c_str(), dtype_name(t.dtype()), shape_to_string(t.shape()).c_str(),
                out_path.c_str());
  }
  std::printf("inference: %.3f ms (%d thread%s)\n", run_ms, opts.num_threads, opts.num_threads == 1 ? "" : "s");
  return 0;
}

// ------------------------------------------------------------------------------------------ bench
int cmd_bench(const std::string& path, const std::vector<std::string>& shape_args, SessionOptions opts, int warmup,
              int runs, bool as_json, bool profile) {
  const int threads = opts.num_threads;
  const bool optimize = opts.optimize;
  if (runs < 1) return fail(invalid_argument("--runs must be at least 1"));
  if (warmup < 0) return fail(invalid_argument("--warmup must be >= 0"));
  auto bytes = read_file(path);
  if (!bytes.is_ok()) return fail(bytes.status());
  // Kernels are wrapped in timers at creation, so the switch must be on before the session exists.
  op_profile_enable(profile);
  const auto t_create = Clock::now();
  auto session = Session::create(bytes->data(), bytes->size(), opts);
  const double create_ms = ms_since(t_create);
  if (!session.is_ok()) return fail(session.status().with_context(path + ": "));
  Session& s = *session.value();

  auto overrides = parse_shape_args(shape_args, s.inputs());
  if (!overrides.is_ok()) return fail(overrides.status());

  std::vector<std::pair<std::string, Shape>> used_shapes;
  auto feeds = bench_feeds(s.inputs(), overrides.value(), &used_shapes);
  if (!feeds.is_ok()) return fail(feeds.status());
  json inputs_json = json::array();
  for (size_t i = 0; i < s.inputs().size(); ++i)
    inputs_json.push_back({{"name", s.inputs()[i].name}, {"dtype", dtype_name(s.inputs()[i].dtype)},
                           {"shape", used_shapes[i].second}});

  const auto t_first = Clock::now();
  auto first = s.run(feeds.value());
  const double first_ms = ms_since(t_first);
  if (!first.is_ok()) return fail(first.status());
  for (int i = 0; i < warmup; ++i) {
    auto r = s.run(feeds.value());
    if (!r.is_ok()) return fail(r.status());
  }
  op_profile_reset();
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    auto r = s.run(feeds.value());
    times.push_back(ms_since(t0));
    if (!r.is_ok()) return fail(r.status());
  }
  const LatencyStats st = latency_stats(times);
  const MemoryStats mem = s.memory();
  const size_t rss = peak_rss_bytes();

  if (as_json) {
    json j;
    j["model"] = path;
    j["threads"] = threads;
    j["optimize"] = optimize;
    j["inputs"] = inputs_json;
    j["session_create_ms"] = create_ms;
    const OptimizerReport& rep = s.optimizer_report();
    j["optimizer"] = {{"folded_constants", rep.folded_constants}, {"fused_activations", rep.fused_activations},
                      {"qdq_rewritten", rep.qdq_rewritten}, {"q8_lookups", rep.q8_lookups}};
    j["first_inference_ms"] = first_ms;
    j["warmup"] = warmup;
    j["runs"] = runs;
    j["latency_ms"] = {{"min", st.min}, {"p50", st.p50}, {"p95", st.p95}, {"mean", st.mean}, {"max", st.max}};
    j["memory_bytes"] = {{"weights", mem.weights_bytes}, {"arena", mem.arena_bytes}, {"peak", mem.peak_bytes},
                         {"process_peak_rss", rss}};
    if (profile) {
      json nodes = json::array();
      for (const OpProfileEntry& e : op_profile_entries())
        nodes.push_back({{"node", e.node}, {"op_type", e.op_type}, {"detail", e.detail}, {"ms", e.ms / runs}});
      j["profile_ms_per_run"] = nodes;
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("model:            %s\n", path.c_str());
  for (const auto& in : inputs_json)
    std::printf("input:            %s %s %s\n", in["name"].get<std::string>().c_str(),
                in["dtype"].get<std::string>().c_str(), shape_to_string(in["shape"].get<Shape>()).c_str());
  std::printf("threads:          %d%s\n", threads, optimize ? "" : " (graph optimizations off)");
  std::printf("session create:   %.3f ms\n", create_ms);
  if (s.optimizer_report().qdq_rewritten || s.optimizer_report().q8_lookups)
    std::printf("quantized graph:  %d QDQ units on integer operators, %d nodes in lookup tables\n",
                s.optimizer_report().qdq_rewritten, s.optimizer_report().q8_lookups);
  std::printf("first inference:  %.3f ms\n", first_ms);
  std::printf("latency (%d runs after %d warmup): min %.3f ms  p50 %.3f ms  p95 %.3f ms  mean %.3f ms\n", runs, warmup,
              st.min, st.p50, st.p95, st.mean);
  std::printf("memory:           peak %s (weights %s + arena %s)\n", mib(mem.peak_bytes).c_str(),
              mib(mem.weights_bytes).c_str(), mib(mem.arena_bytes).c_str());
  if (rss) std::printf("process peak RSS: %s\n", mib(rss).c_str());
  if (profile) std::printf("%s", op_profile_report(runs, 25).c_str());
  return 0;
}

}  // namespace
}  // namespace edgeinfer

int main(int argc, char** argv) {
  CLI::App app{"edgeinfer: run ONNX models natively with the edgeinfer runtime"};
  app.require_subcommand(1);

  std::string model;
  bool as_json = false;
  int threads = 1;
  bool no_optimize = false;

  auto* info = app.add_subcommand("info", "Show a model's inputs, outputs, opsets, ops and parameter count");
  info->add_option("model", model, "ONNX model file")->required();
  info->add_flag("--json", as_json, "Machine-readable output");

  std::vector<std::string> inputs;
  std::string out_dir;
  auto* run = app.add_subcommand("run", "Run a model on .npy inputs and write one .npy per output");
  run->add_option("model", model, "ONNX model file")->required();
  run->add_option("-i,--input", inputs, "NAME=FILE.npy, once per model input");
  run->add_option("-o,--output-dir", out_dir, "Directory for <output name>.npy files")->required();
  run->add_option("-t,--threads", threads, "Threads, including the caller")->check(CLI::Range(1, 256));
  run->add_flag("--no-optimize", no_optimize, "Disable graph optimizations");
  bool no_qdq_rewrite = false;
  const char* no_qdq_help = "Run QDQ models as written (dequantize, float op, quantize) instead of on integer operators";
  run->add_flag("--no-qdq-rewrite", no_qdq_rewrite, no_qdq_help);

  std::vector<std::string> shapes;
  int warmup = 3, runs = 20;
  auto* bench = app.add_subcommand("bench", "Time a model on random inputs");
  bench->add_option("model", model, "ONNX model file")->required();
  bench->add_option("-s,--shape", shapes, "NAME=1x3x224x224 (symbolic dims default to 1)");
  bench->add_option("-t,--threads", threads, "Threads, including the caller")->check(CLI::Range(1, 256));
  bench->add_option("--warmup", warmup, "Untimed runs after the first")->check(CLI::Range(0, 100000));
  bench->add_option("--runs", runs, "Timed runs")->check(CLI::Range(1, 1000000));
  bench->add_flag("--json", as_json, "Machine-readable output");
  bench->add_flag("--no-optimize", no_optimize, "Disable graph optimizations");
  bench->add_flag("--no-qdq-rewrite", no_qdq_rewrite, no_qdq_help);
  bool profile = false;
  bench->add_flag("--profile", profile, "Time every node; print time per op type and the slowest nodes");

  edgeinfer::bundle::BundleCommands bundle(app);
  edgeinfer::QuantizeCommand quantize(app);

  CLI11_PARSE(app, argc, argv);
  if (info->parsed()) return edgeinfer::cmd_info(model, as_json);
  edgeinfer::SessionOptions opts;
  opts.num_threads = threads;
  opts.optimize = !no_optimize;
  opts.qdq_rewrite = !no_qdq_rewrite;
  if (run->parsed()) return edgeinfer::cmd_run(model, inputs, out_dir, opts);
  if (bench->parsed()) return edgeinfer::cmd_bench(model, shapes, opts, warmup, runs, as_json, profile);
  if (bundle.parsed()) return bundle.run();
  if (quantize.parsed()) return quantize.run();
  return 1;
}
