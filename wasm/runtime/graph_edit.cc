#include "runtime/graph_edit.h"

#include <set>

namespace edgeinfer {

Uses count_uses(const Graph& g) {
  Uses u;
  u.count.assign(g.values.size(), 0);
  u.pinned.assign(g.values.size(), false);
  for (const Node& n : g.nodes)
    for (int in : n.inputs)
      if (in >= 0) ++u.count[static_cast<size_t>(in)];
  for (int out : g.outputs) u.pinned[static_cast<size_t>(out)] = true;
  std::set<std::string> outer;
  for (const Node& n : g.nodes)
    for (const Attribute& a : n.attrs.all()) {
      if (a.g) collect_outer_names(*a.g, outer);
      for (const auto& sg : a.graphs) collect_outer_names(*sg, outer);
    }
  for (const std::string& name : outer) {
    int id = g.find_value(name);
    if (id >= 0) u.pinned[static_cast<size_t>(id)] = true;
  }
  return u;
}

int64_t node_opset(const Node& n, const std::map<std::string, int64_t>& opsets) {
  auto it = opsets.find(n.domain);
  return it == opsets.end() ? 0 : it->second;
}

void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes)
    for (int& in : n.inputs)
      if (in == from) in = to;
}

void erase_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

int add_initializer(Graph& g, const std::string& base, Tensor t) {
  std::string name = base;
  for (int k = 1; g.find_value(name) >= 0; ++k) name = base + "_" + std::to_string(k);
  int id = g.add_value(name);
  Value& v = g.values[static_cast<size_t>(id)];
  v.is_initializer = true;
  v.dtype = t.dtype();
  v.initializer = std::move(t);
  return id;
}

const Tensor* constant(const Graph& g, int id) {
  if (id < 0) return nullptr;
  const Value& v = g.values[static_cast<size_t>(id)];
  return v.is_initializer ? &v.initializer : nullptr;
}

std::vector<int> producers(const Graph& g) {
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int out : g.nodes[i].outputs)
      if (out >= 0) producer[static_cast<size_t>(out)] = static_cast<int>(i);
  return producer;
}

}  // namespace edgeinfer
