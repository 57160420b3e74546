// `edgeinfer quantize`: post-training quantization of an fp32 ONNX model into a standard ONNX model.
//
//   static (calibrated): activation ranges from running the fp32 model on calibration samples
//     (min/max, histogram percentile or KL-divergence threshold), weights int8 symmetric per tensor or
//     per output channel, biases int32 (scale x_scale * w_scale). Output in QDQ form
//     (QuantizeLinear/DequantizeLinear around float ops) or QOperator form (QLinearConv,
//     QLinearMatMul, com.microsoft QLinearAdd/Mul/Concat/Sigmoid/LeakyRelu/(Global)AveragePool).
//   dynamic: MatMul/Gemm weights int8, activations quantized at run time
//     (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul), no calibration.
//
// Native only: the library links the runtime (to calibrate) and the ONNX writer; the wasm module
// never references it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer::quant {

enum class Format { kQDQ, kQOperator };
enum class Method { kMinMax, kPercentile, kEntropy };

struct QuantizeOptions {
  Format format = Format::kQDQ;
  bool per_channel = false;
  DataType activations = DataType::kUint8;  // uint8: asymmetric; int8: symmetric (zero point 0)
  DataType weights = DataType::kInt8;       // int8: symmetric; uint8: asymmetric
  Method method = Method::kMinMax;
  double percentile = 99.99;
  std::vector<std::string> exclude;         // node names kept in float
  std::vector<std::string> op_types;        // only these op types are quantized (empty: every supported one)
  bool dynamic = false;
  bool auto_exclude = false;                // --auto: keep the most sensitive layers in float
  double target = 0.01;                     // --auto: largest relative L2 error of the model outputs
  int threads = 1;
  std::function<void(const std::string&)> log;  // progress lines (may be empty)
};

// One calibration sample: model input name -> tensor.
using Sample = std::map<std::string, Tensor>;

// Calibration folder layout: DIR/<sample>/<input>.npy, one subfolder per sample (any names, taken in
// sorted order), holding one file per model input; or, with no subfolders, DIR/<input>.npy as a
// single sample. <input> is the input name, or the name with every character outside [A-Za-z0-9._-]
// replaced by '_'. Errors name the folder, the file and the input (missing file, unknown file,
// dtype or shape that does not fit the model's declared input).
Result<std::vector<Sample>> load_calibration_dir(const std::string& dir, const Model& model);

struct QuantizeReport {
  int quantized_nodes = 0;               // float nodes replaced by quantized computation
  std::vector<std::string> excluded;     // --exclude nodes
  std::vector<std::string> kept_float;   // --auto: nodes kept in float, most sensitive first
  int64_t original_opset = 0, opset = 0;
  double output_rel_error = -1;          // relative L2 error of the outputs on the calibration set (-1: not measured)
  std::map<std::string, double> layer_sensitivity;  // --auto: node -> local error increment
};

// Quantizes `model` (fp32). Static modes need at least one calibration sample; dynamic ignores them
// (when given, the output error is measured on them).
Result<Model> quantize_model(const Model& model, const std::vector<Sample>& calibration, const QuantizeOptions& opts,
                             QuantizeReport* report = nullptr);

// Relative L2 error ||q - f|| / ||f|| of the float outputs of two models over the samples (max over
// outputs). Runs both with the runtime.
Result<double> output_relative_error(const Model& reference, const Model& candidate, const std::vector<Sample>& samples,
                                     int threads = 1);

// Raises the default-domain opset to at least `target`, converting nodes whose semantics changed on
// the way (Squeeze/Unsqueeze/ReduceSum/Split axes attributes become inputs, Softmax/LogSoftmax/Hardmax
// keep their coerced-2-D meaning through Flatten/Reshape, Dropout ratio, BatchNormalization spatial);
// ops that cannot be converted (Slice < 10, TopK < 10, Clip < 11, Pad < 11, Resize < 11, Upsample,
// Scatter) are refused naming the node.
Status raise_opset(Model& model, int64_t target);

}  // namespace edgeinfer::quant
