// The graph IR: plain structs produced by the ONNX loader and rewritten by the optimizer.
// Values are referred to by index into Graph::values; -1 marks an omitted optional input/output.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgeinfer {

struct Graph;

// Numbered as ONNX AttributeProto.AttributeType.
enum class AttrType : int32_t {
  kUndefined = 0, kFloat = 1, kInt = 2, kString = 3, kTensor = 4, kGraph = 5,
  kFloats = 6, kInts = 7, kStrings = 8, kTensors = 9, kGraphs = 10,
  kSparseTensor = 11, kSparseTensors = 12, kTypeProto = 13, kTypeProtos = 14,
};

struct Attribute {
  std::string name;
  AttrType type = AttrType::kUndefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
};

class Attributes {
 public:
  const Attribute* find(const std::string& name) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }
  // Getters return the default when absent. A present attribute of the wrong type counts as absent
  // for these; use check_type() in a kernel factory to report it.
  int64_t get_int(const std::string& name, int64_t dflt) const;
  float get_float(const std::string& name, float dflt) const;
  std::string get_string(const std::string& name, const std::string& dflt) const;
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> dflt = {}) const;
  std::vector<float> get_floats(const std::string& name, std::vector<float> dflt = {}) const;
  // Fails with kInvalidModel naming the attribute when it is present with another type.
  Status check_type(const std::string& name, AttrType expected) const;
  void set(Attribute a);  // adds or replaces by name
  void erase(const std::string& name);
  const std::vector<Attribute>& all() const { return list_; }

 private:
  std::vector<Attribute> list_;
};

// A named tensor in the graph: a graph input, an initializer, a node output, or (in a subgraph)
// a reference to a value of an enclosing graph.
struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;  // declared (value_info / input type) or inferred
  bool has_shape = false;                 // a declared shape exists
  Shape dims;                             // -1 where unknown or symbolic
  std::vector<std::string> dim_params;    // symbolic names, "" where none; same length as dims
  int producer = -1;                      // index of the producing node, -1 if none
  bool is_initializer = false;            // constant: `initializer` holds the data
  bool is_outer_scope = false;            // subgraph reference to an enclosing graph's value
  Tensor initializer;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;          // "" for the default ONNX domain ("ai.onnx" is normalised to "")
  std::vector<int> inputs;     // value ids, -1 for omitted optional inputs
  std::vector<int> outputs;    // value ids, -1 for omitted optional outputs
  Attributes attrs;

  // "node 'conv1' (Conv): " - the prefix every node-level error message starts with.
  std::string error_prefix() const;
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;     // in topological order once Graph::sort_topologically succeeded
  std::vector<int> inputs;     // value ids of graph inputs that are not initializers
  std::vector<int> outputs;    // value ids of graph outputs

  int find_value(const std::string& name) const;  // -1 if absent
  int add_value(const std::string& name);         // returns existing id if the name exists
  void rebuild_index();                           // after bulk edits of `values`
  // Orders nodes so each comes after the producers of its inputs; fails naming a node on a cycle
  // or on an input that nothing produces. Also fills Value::producer.
  Status sort_topologically();

 private:
  std::unordered_map<std::string, int> index_;
};

// True when a node carries subgraph attributes (If, Loop, Scan).
bool has_subgraph(const Node& node);
// Names a subgraph reads from enclosing scopes, recursively through nested subgraphs.
void collect_outer_names(const Graph& g, std::set<std::string>& names);

struct Model {
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;  // domain ("" = default) -> version
  std::string producer_name;
  std::string producer_version;
  Graph graph;

  int64_t opset(const std::string& domain) const {
    auto it = opsets.find(domain);
    return it == opsets.end() ? 0 : it->second;
  }
};

}  // namespace edgeinfer
