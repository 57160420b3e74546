// The public C++ API of the core: load an ONNX model from bytes, run it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/optimizer.h"

namespace edgeinfer {

struct SessionOptions {
  int num_threads = 1;          // including the calling thread
  bool optimize = true;         // graph optimizations (folding, fusion, prepacking)
  // With optimize: QDQ node units (DQ -> op -> Q) become integer operators (runtime/qdq_rewrite.h).
  // (`edgeinfer run/bench --no-qdq-rewrite`, Embind option qdqRewrite: false.)
  bool qdq_rewrite = true;
};

struct IoInfo {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;                        // -1 for symbolic or unknown dims
  std::vector<std::string> dim_names; // symbolic names ("" where the dim is fixed or unnamed)
};

// The dtype and shape of a tensor to come.
struct TensorSpec {
  DataType dtype = DataType::kUndefined;
  Shape shape;
};

struct MemoryStats {
  size_t weights_bytes = 0;   // initializers and prepacked weights held by the session
  size_t arena_bytes = 0;     // planned intermediate tensors for the current input shapes
  size_t peak_bytes = 0;      // weights + arena + largest dynamic allocation seen in a run
};

struct ModelInfo {
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;
  std::string producer;
  std::map<std::string, int> op_counts;    // "domain:op" ("Conv" for the default domain)
  int64_t parameter_count = 0;             // elements in initializers
  std::vector<std::string> unsupported_ops;
};

class SessionImpl;

class Session {
 public:
  ~Session();
  static Result<std::unique_ptr<Session>> create(const uint8_t* data, size_t size, const SessionOptions& options);
  // From an already loaded (or hand-built) model.
  static Result<std::unique_ptr<Session>> create(Model model, const SessionOptions& options);

  const std::vector<IoInfo>& inputs() const;
  const std::vector<IoInfo>& outputs() const;
  const ModelInfo& info() const;
  MemoryStats memory() const;
  // Nodes of the current plan that split their work over the session's threads; small nodes, and
  // every node of a small plan, run on the calling thread alone.
  size_t parallel_nodes() const;
  // What the graph optimizer did at creation (all zero with optimize off), e.g. qdq_rewritten: float
  // ops of QDQ units replaced by integer operators.
  const OptimizerReport& optimizer_report() const;

  // feeds: input name -> tensor. fetches: output names, empty for all outputs in model order.
  // Returns one heap-owned tensor per fetched output, in fetch order. The feeds are copied into the
  // session's arena, where their memory is reused once their last reader has run.
  Result<std::vector<Tensor>> run(const std::map<std::string, Tensor>& feeds,
                                  const std::vector<std::string>& fetches = {});

  // The arena slots of the next run's inputs (specs: input name -> dtype and shape, checked like
  // feeds), one view per inputs() entry in that order. A caller that writes its data there and feeds
  // these views to run() has each input in memory once (the wasm bindings do this). Valid until the
  // next run() or input_buffers() with other shapes.
  Result<std::vector<Tensor>> input_buffers(const std::map<std::string, TensorSpec>& specs);

 private:
  explicit Session(std::unique_ptr<SessionImpl> impl);
  std::unique_ptr<SessionImpl> impl_;
};

// Model metadata without creating a session (works on models with unsupported ops).
Result<ModelInfo> inspect_model(const uint8_t* data, size_t size);

}  // namespace edgeinfer
