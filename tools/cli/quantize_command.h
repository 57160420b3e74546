// `edgeinfer quantize IN.onnx OUT.onnx ...`: CLI11 glue over tools/quantize/quantize.h.
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

namespace edgeinfer {

class QuantizeCommand {
 public:
  explicit QuantizeCommand(CLI::App& app);  // adds the "quantize" subcommand
  ~QuantizeCommand();
  bool parsed() const;
  int run();  // exit code: 0 success, 1 failure

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace edgeinfer
