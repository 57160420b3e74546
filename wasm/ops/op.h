// The operator interface. An operator is a registration {domain, op_type, factory}; the factory
// validates the node's attributes at session creation and returns a Kernel with two functions:
//   infer(): output dtypes and shapes from input dtypes and shapes (and values, when known);
//   run():   computes outputs into tensors the runtime has already allocated.
// Operators live one family per file in wasm/ops/ and are listed in wasm/ops/op_list.inc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

struct TensorInfo {
  DataType dtype = DataType::kUndefined;
  Shape shape;
};

// What a kernel factory sees at session creation.
struct KernelInit {
  const Node* node = nullptr;
  int64_t opset = 0;                    // opset version of the node's domain
  std::vector<bool> present;            // per input: false for omitted optional inputs
  std::vector<const Tensor*> constants; // per input: the value when it is a constant, else nullptr
  int num_outputs = 0;

  const Attributes& attrs() const { return node->attrs; }
  int num_inputs() const { return static_cast<int>(present.size()); }
  bool has_input(int i) const { return i >= 0 && i < num_inputs() && present[static_cast<size_t>(i)]; }
  const Tensor* constant_input(int i) const {
    return has_input(i) ? constants[static_cast<size_t>(i)] : nullptr;
  }
  // Prefixes the node's name and op type: init.error(unsupported("auto_pad 'FOO'")).
  Status error(const Status& s) const { return s.with_context(node->error_prefix()); }
};

class InferContext {
 public:
  InferContext(const Node& node, int64_t opset, std::vector<const TensorInfo*> inputs,
               std::vector<const Tensor*> values, std::vector<bool> outputs_present)
      : node_(node), opset_(opset), inputs_(std::move(inputs)), values_(std::move(values)),
        outputs_present_(std::move(outputs_present)), outputs_(outputs_present_.size()),
        dynamic_(outputs_present_.size(), false) {}

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const { return i >= 0 && i < num_inputs() && inputs_[static_cast<size_t>(i)]; }
  DataType input_dtype(int i) const { return inputs_[static_cast<size_t>(i)]->dtype; }
  const Shape& input_shape(int i) const { return inputs_[static_cast<size_t>(i)]->shape; }
  int input_rank(int i) const { return static_cast<int>(input_shape(i).size()); }
  // The input's data when known before run time (a constant, or computed while planning), else nullptr.
  const Tensor* input_value(int i) const { return has_input(i) ? values_[static_cast<size_t>(i)] : nullptr; }
  // Return this when an output shape depends on data that input_value(i) does not have yet;
  // the runtime then infers this node again at run time with every input's data.
  Status deferred(int i) const {
    return Status(StatusCode::kDeferred, "output shape depends on the data of input " + std::to_string(i));
  }

  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  bool has_output(int i) const { return i >= 0 && i < num_outputs() && outputs_present_[static_cast<size_t>(i)]; }
  void set_output(int i, DataType dtype, Shape shape) {
    outputs_[static_cast<size_t>(i)] = TensorInfo{dtype, std::move(shape)};
  }
  // The output's shape is only known once run() has computed it (If); run() must call
  // RunContext::set_output for it.
  void set_output_dynamic(int i, DataType dtype) {
    outputs_[static_cast<size_t>(i)].dtype = dtype;
    dynamic_[static_cast<size_t>(i)] = true;
  }
  // Temporary memory that run() may use (RunContext::scratch); planned into the arena.
  void request_scratch(size_t bytes) { scratch_bytes_ = bytes > scratch_bytes_ ? bytes : scratch_bytes_; }
  // Threads run() will have (RunContext::pool): per-thread scratch is sized for this many, not more.
  int num_threads() const { return num_threads_; }
  void set_num_threads(int n) { num_threads_ = n < 1 ? 1 : n; }

  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  bool output_dynamic(int i) const { return dynamic_[static_cast<size_t>(i)]; }
  size_t scratch_bytes() const { return scratch_bytes_; }

 private:
  const Node& node_;
  int64_t opset_;
  std::vector<const TensorInfo*> inputs_;
  std::vector<const Tensor*> values_;
  std::vector<bool> outputs_present_;
  std::vector<TensorInfo> outputs_;
  std::vector<bool> dynamic_;
  size_t scratch_bytes_ = 0;
  int num_threads_ = 1;
};

// Runs a subgraph attribute (If, and later Loop/Scan) with the current frame as its outer scope.
class SubgraphRunner {
 public:
  virtual ~SubgraphRunner() = default;
  virtual Result<std::vector<Tensor>> run(const Graph& graph, const std::vector<Tensor>& inputs) = 0;
};

class RunContext {
 public:
  RunContext(const Node& node, std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs,
             void* scratch, size_t scratch_bytes, ThreadPool* pool, SubgraphRunner* subgraphs)
      : node_(node), inputs_(std::move(inputs)), outputs_(std::move(outputs)), scratch_(scratch),
        scratch_bytes_(scratch_bytes), pool_(pool), subgraphs_(subgraphs) {}

  const Node& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const { return i >= 0 && i < num_inputs() && inputs_[static_cast<size_t>(i)]; }
  const Tensor& input(int i) const { return *inputs_[static_cast<size_t>(i)]; }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  bool has_output(int i) const { return i >= 0 && i < num_outputs() && outputs_[static_cast<size_t>(i)]; }
  // Allocated by the runtime with the dtype and shape that infer() set.
  Tensor& output(int i) { return *outputs_[static_cast<size_t>(i)]; }
  // For outputs that infer() declared dynamic.
  void set_output(int i, Tensor t) { *outputs_[static_cast<size_t>(i)] = std::move(t); }
  void* scratch() const { return scratch_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  ThreadPool& pool() const { return *pool_; }
  SubgraphRunner* subgraphs() const { return subgraphs_; }

 private:
  const Node& node_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor*> outputs_;
  void* scratch_;
  size_t scratch_bytes_;
  ThreadPool* pool_;
  SubgraphRunner* subgraphs_;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status infer(InferContext& ctx) = 0;
  virtual Status run(RunContext& ctx) = 0;
  // Bytes the kernel holds itself (prepacked weights), counted in the session's memory figure.
  virtual size_t owned_bytes() const { return 0; }
  // True when the kernel keeps its own (prepacked) copy of constant input i and reads only its shape
  // at run time; the session then frees the original weights.
  virtual bool copied_constant_input(int i) const { return false; }

  // Whether output 0 may share input i's memory (the planner decides; see OutputAlias).
  enum class OutputAlias {
    kNone,
    // run() is correct when output 0 is input i's buffer: every element is read before the same
    // position is written, and nothing else is read afterwards (unary and binary elementwise ops).
    // Used when input i has output 0's dtype and shape and is read by no later node.
    kInPlace,
    // Output 0 is input i's bytes unchanged (Reshape, Squeeze, ...): the output may be a view of the
    // input, and run() must then do nothing (copying a buffer onto itself is skipped).
    kView,
  };
  virtual OutputAlias output_alias(int i) const { return OutputAlias::kNone; }
};

using KernelFactory = Result<std::unique_ptr<Kernel>> (*)(const KernelInit& init);

struct OpRegistration {
  const char* domain;   // "" for the default ONNX domain, "com.microsoft" for contrib ops
  const char* op_type;
  KernelFactory create;
};

// Every registration is declared here, so the `const OpRegistration kOpX = {...};` definitions in the
// op files have external linkage (a namespace-scope const is otherwise internal to its file).
#define EDGEINFER_OP(name) extern const OpRegistration kOp##name;
#include "ops/op_list.inc"
#undef EDGEINFER_OP

// Looks up an op; nullptr when unsupported.
const OpRegistration* find_op(const std::string& domain, const std::string& op_type);
// Every registered op, in op_list.inc order.
const std::vector<const OpRegistration*>& all_ops();

// Ops that move bytes (Identity, Reshape, Gather, ...) take any dtype with a known element size.
inline Status check_copyable(DataType dt) {
  if (dtype_size(dt) == 0) return unsupported(std::string("dtype ") + dtype_name(dt));
  return Status::ok();
}

// Convenience for factories of kernels with no state to set up.
template <typename K>
Result<std::unique_ptr<Kernel>> make_kernel(const KernelInit&) {
  return std::unique_ptr<Kernel>(new K());
}

}  // namespace edgeinfer
