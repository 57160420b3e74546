// Runs one graph (the model's, or a subgraph of an If) with kernels created once per session.
//
// Planning: for a given set of input shapes, every node's infer() runs in order. Nodes whose inputs
// are all known (shape arithmetic such as Shape -> Gather -> Concat) are evaluated right there, so
// Reshape and friends see their shape inputs. Values of known size get an offset in one arena,
// assigned by liveness (greedy by size), so peak memory is the largest live set, not the sum. A node
// whose output shape depends on data computed at run time (TopK with a computed K, If) is
// "deferred": it is inferred again at run time and its outputs, and everything downstream, are
// allocated on the heap and freed after their last use. Plans are cached by input shapes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

struct ExecutionStats {
  size_t arena_bytes = 0;          // arena of the last plan
  size_t arena_lower_bound = 0;    // the last plan's largest live set (arena_bytes cannot be smaller)
  size_t peak_dynamic_bytes = 0;   // largest sum of live heap tensors seen in a run
  size_t parallel_nodes = 0;       // nodes of the last plan that may share work with the pool's workers
};

class GraphExecutor {
 public:
  // `graph` and `opsets` must outlive the executor. `parent` is the executor of the enclosing graph
  // (for subgraphs), used to resolve outer-scope names at creation.
  GraphExecutor(const Graph& graph, const std::map<std::string, int64_t>& opsets, ThreadPool* pool);
  ~GraphExecutor();

  // Creates every node's kernel (validating ops and attributes), recursively for subgraphs.
  // `release_weight(value)`, when given, is called as soon as an initializer of this graph has been
  // copied by every reader (see copied_initializers()), so its bytes can go before the next kernel
  // packs its own: creation then never holds two full copies of the weights.
  Status create_kernels(const std::function<void(int)>& release_weight = nullptr);

  // Value lookup for outer-scope references: returns the tensor named `name` in the frame that is
  // currently running, or nullptr.
  class Scope {
   public:
    virtual ~Scope() = default;
    virtual const Tensor* lookup(const std::string& name) const = 0;
  };

  // inputs: one tensor per Graph::inputs entry, in order. Returns one tensor per Graph::outputs,
  // owning its memory (never a view into the arena).
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs, const Scope* outer);

  // Top-level graphs: keep the graph inputs in the arena too (run() copies them in), so an input's
  // memory is reused once its last reader has run, and ops may write in place over it.
  void set_inputs_in_arena(bool on) { inputs_in_arena_ = on; plan_cache_.clear(); }
  // With inputs in the arena: views of the input slots for these shapes, for a caller that writes
  // the next run's inputs there directly (run() then copies nothing). Valid until a run or
  // input_views() with other shapes.
  Result<std::vector<Tensor>> input_views(const std::vector<TensorInfo>& inputs);

  // Plans for the given input shapes without running anything (checks the whole graph).
  Status plan_for(const std::vector<TensorInfo>& inputs, const Scope* outer);

  size_t kernel_owned_bytes() const;
  // Initializers (value ids) that every reader has copied into its own prepacked form; their data
  // is not read at run time (graph outputs and subgraph references excluded).
  std::vector<int> copied_initializers() const;
  ExecutionStats stats() const { return stats_; }

 private:
  struct Plan;
  struct Frame;
  class SubgraphScope;

  Result<std::shared_ptr<Plan>> build_plan(const std::vector<TensorInfo>& inputs, const Scope* outer);
  Result<std::shared_ptr<Plan>> cached_plan(const std::vector<TensorInfo>& inputs, const Scope* outer);
  // Grows the arena for `plan` when needed; returns its aligned start.
  uint8_t* prepare_arena(const Plan& plan);
  Status execute(const Plan& plan, Frame& frame);
  // The input of node i whose buffer output 0 may share (Kernel::output_alias), or -1.
  int alias_input(size_t i, const Plan& plan, const std::vector<int>& buffer_of,
                  const std::vector<int>& buffer_last) const;

  const Graph& graph_;
  const std::map<std::string, int64_t>& opsets_;
  ThreadPool* pool_;
  ThreadPool serial_pool_{1};  // for nodes too small to share (Plan::NodePlan::serial)
  std::vector<std::unique_ptr<Kernel>> kernels_;     // per node
  std::vector<int64_t> node_opsets_;                  // per node
  std::map<const Graph*, std::unique_ptr<GraphExecutor>> subgraphs_;
  std::vector<int> last_use_;                         // per value: last node index that reads it
  std::vector<bool> subgraph_read_;                   // per value: read by a subgraph (outer scope)
  std::vector<std::pair<std::vector<TensorInfo>, std::shared_ptr<Plan>>> plan_cache_;
  std::vector<uint8_t> arena_storage_;
  std::vector<Tensor> frame_values_;  // the last run's value slots, reused by the next
  bool inputs_in_arena_ = false;
  ExecutionStats stats_;
};

// Creates the kernel of one node (used by the executor and by constant folding).
Result<std::unique_ptr<Kernel>> create_node_kernel(const Graph& graph, const Node& node, int64_t opset);

}  // namespace edgeinfer
