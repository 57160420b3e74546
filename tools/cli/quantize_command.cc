#include "quantize_command.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "onnx/onnx_loader.h"
#include "onnx/onnx_writer.h"
#include "quantize/quantize.h"

namespace edgeinfer {

struct QuantizeCommand::State {
  CLI::App* cmd = nullptr;
  std::string in, out, calibration, format = "qdq", activations = "uint8", weights = "int8", method = "minmax";
  bool per_channel = false, dynamic = false, auto_mode = false;
  double percentile = 99.99, target = 0.01;
  std::vector<std::string> exclude, op_types;
  int threads = 1;
};

QuantizeCommand::QuantizeCommand(CLI::App& app) : st_(std::make_unique<State>()) {
  State& s = *st_;
  s.cmd = app.add_subcommand("quantize", "Post-training quantization of an fp32 model into a standard ONNX model");
  s.cmd->add_option("model", s.in, "fp32 ONNX model")->required();
  s.cmd->add_option("output", s.out, "quantized ONNX model to write")->required();
  s.cmd->add_option("-c,--calibration", s.calibration,
                    "Folder of calibration samples: DIR/<sample>/<input>.npy (or DIR/<input>.npy for one sample)");
  s.cmd->add_option("--format", s.format, "qdq (QuantizeLinear/DequantizeLinear pairs) or qoperator (QLinear* ops)")
      ->check(CLI::IsMember({"qdq", "qoperator"}));
  s.cmd->add_flag("--per-channel", s.per_channel, "Weight scales per output channel");
  s.cmd->add_option("--activations", s.activations, "uint8 (asymmetric) or int8 (symmetric)")
      ->check(CLI::IsMember({"uint8", "int8"}));
  s.cmd->add_option("--weights", s.weights, "int8 (symmetric) or uint8 (asymmetric)")->check(CLI::IsMember({"uint8", "int8"}));
  s.cmd->add_option("--method", s.method, "Activation ranges: minmax, percentile or entropy")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy"}));
  s.cmd->add_option("--percentile", s.percentile, "Percentile of |x| for --method percentile (default 99.99)");
  s.cmd->add_option("--exclude", s.exclude, "Node names to keep in float")->expected(1, -1);
  s.cmd->add_option("--op-types", s.op_types, "Quantize only these op types (e.g. Conv MatMul)")->expected(1, -1);
  s.cmd->add_flag("--auto", s.auto_mode, "Keep the most sensitive layers in float until --target is met");
  s.cmd->add_option("--target", s.target, "--auto: largest relative L2 error of the outputs (default 0.01)");
  s.cmd->add_flag("--dynamic", s.dynamic, "MatMul/Gemm weights int8, activations quantized at run time (no calibration)");
  s.cmd->add_option("-t,--threads", s.threads, "Threads for calibration runs")->check(CLI::Range(1, 256));
}

QuantizeCommand::~QuantizeCommand() = default;
bool QuantizeCommand::parsed() const { return st_->cmd->parsed(); }

namespace {
int fail(const Status& s) {
  std::fprintf(stderr, "edgeinfer quantize: %s\n", s.to_string().c_str());
  return 1;
}
std::string commas(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}
}  // namespace

int QuantizeCommand::run() {
  const State& s = *st_;
  const auto t0 = std::chrono::steady_clock::now();
  std::ifstream f(s.in, std::ios::binary);
  if (!f) return fail(invalid_argument(s.in + ": cannot open file"));
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto model = load_onnx_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!model.is_ok()) return fail(model.status().with_context(s.in + ": "));

  quant::QuantizeOptions o;
  o.format = s.format == "qoperator" ? quant::Format::kQOperator : quant::Format::kQDQ;
  o.per_channel = s.per_channel;
  o.activations = s.activations == "int8" ? DataType::kInt8 : DataType::kUint8;
  o.weights = s.weights == "uint8" ? DataType::kUint8 : DataType::kInt8;
  o.method = s.method == "percentile" ? quant::Method::kPercentile
             : s.method == "entropy"  ? quant::Method::kEntropy
                                      : quant::Method::kMinMax;
  o.percentile = s.percentile;
  o.exclude = s.exclude;
  o.op_types = s.op_types;
  o.dynamic = s.dynamic;
  o.auto_exclude = s.auto_mode;
  o.target = s.target;
  o.threads = s.threads;
  o.log = [t0](const std::string& line) {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[%6.1f s] %s\n", t, line.c_str());
    std::fflush(stdout);
  };

  std::vector<quant::Sample> samples;
  if (!s.calibration.empty()) {
    auto r = quant::load_calibration_dir(s.calibration, *model);
    if (!r.is_ok()) return fail(r.status());
    samples = std::move(r).value();
    std::printf("calibration: %zu sample(s) from %s\n", samples.size(), s.calibration.c_str());
  } else if (!s.dynamic) {
    return fail(invalid_argument("--calibration DIR is required for static quantization (or use --dynamic)"));
  }

  quant::QuantizeReport rep;
  auto q = quant::quantize_model(*model, samples, o, &rep);
  if (!q.is_ok()) return fail(q.status().with_context(s.in + ": "));
  auto out_bytes = save_onnx_model(*q);
  if (!out_bytes.is_ok()) return fail(out_bytes.status());
  {
    std::ofstream of(s.out, std::ios::binary | std::ios::trunc);
    if (!of || !of.write(out_bytes->data(), static_cast<std::streamsize>(out_bytes->size())))
      return fail(invalid_argument(s.out + ": cannot write file"));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("mode:        %s\n", s.dynamic ? "dynamic (MatMul/Gemm)"
                                             : (s.format + (s.per_channel ? ", per-channel" : ", per-tensor") +
                                                ", activations " + s.activations + ", weights " + s.weights +
                                                ", " + s.method).c_str());
  std::printf("opset:       %lld%s\n", static_cast<long long>(rep.opset),
              rep.opset != rep.original_opset ? (" (raised from " + std::to_string(rep.original_opset) + ")").c_str() : "");
  std::printf("quantized:   %d node(s)%s\n", rep.quantized_nodes,
              rep.quantized_nodes == 0 ? " (no supported op on float tensors)" : "");
  std::printf("excluded:    %zu node(s)%s\n", rep.excluded.size(), rep.excluded.empty() ? "" : ":");
  for (const auto& n : rep.excluded) std::printf("  %s\n", n.c_str());
  if (s.auto_mode) {
    std::printf("auto:        %zu node(s) kept in float (most sensitive first)%s\n", rep.kept_float.size(),
                rep.kept_float.empty() ? "" : ":");
    for (const auto& n : rep.kept_float) std::printf("  %s (sensitivity %.4g)\n", n.c_str(), rep.layer_sensitivity[n]);
  }
  if (rep.output_rel_error >= 0)
    std::printf("output relative L2 error on the calibration set: %.6g\n", rep.output_rel_error);
  std::printf("size:        %s B -> %s B (%.3fx)\n", commas(static_cast<int64_t>(bytes.size())).c_str(),
              commas(static_cast<int64_t>(out_bytes->size())).c_str(),
              bytes.empty() ? 0.0 : static_cast<double>(out_bytes->size()) / static_cast<double>(bytes.size()));
  std::printf("time:        %.2f s\nwrote %s\n", secs, s.out.c_str());
  return 0;
}

}  // namespace edgeinfer
