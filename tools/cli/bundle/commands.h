// `edgeinfer bundle pack|keygen|sign|verify|diff|gate`: CLI11 subcommands over bundle.h.
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

namespace edgeinfer::bundle {

class BundleCommands {
 public:
  // Adds the "bundle" subcommand and its subcommands to app.
  explicit BundleCommands(CLI::App& app);
  ~BundleCommands();
  bool parsed() const;
  // The exit code: 0 success, 1 failure (invalid bundle, exceeded budget, bad arguments).
  int run();

 private:
  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace edgeinfer::bundle
