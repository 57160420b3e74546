#include "ir/graph.h"

#include <algorithm>

namespace edgeinfer {

const Attribute* Attributes::find(const std::string& name) const {
  for (const Attribute& a : list_)
    if (a.name == name) return &a;
  return nullptr;
}

int64_t Attributes::get_int(const std::string& name, int64_t dflt) const {
  const Attribute* a = find(name);
  return a && a->type == AttrType::kInt ? a->i : dflt;
}

float Attributes::get_float(const std::string& name, float dflt) const {
  const Attribute* a = find(name);
  return a && a->type == AttrType::kFloat ? a->f : dflt;
}

std::string Attributes::get_string(const std::string& name, const std::string& dflt) const {
  const Attribute* a = find(name);
  return a && a->type == AttrType::kString ? a->s : dflt;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name, std::vector<int64_t> dflt) const {
  const Attribute* a = find(name);
  return a && a->type == AttrType::kInts ? a->ints : dflt;
}

std::vector<float> Attributes::get_floats(const std::string& name, std::vector<float> dflt) const {
  const Attribute* a = find(name);
  return a && a->type == AttrType::kFloats ? a->floats : dflt;
}

Status Attributes::check_type(const std::string& name, AttrType expected) const {
  const Attribute* a = find(name);
  if (!a || a->type == expected) return Status::ok();
  return invalid_model("attribute '" + name + "' has type " + std::to_string(static_cast<int>(a->type)) +
                       ", expected " + std::to_string(static_cast<int>(expected)));
}

void Attributes::set(Attribute a) {
  for (Attribute& existing : list_) {
    if (existing.name == a.name) {
      existing = std::move(a);
      return;
    }
  }
  list_.push_back(std::move(a));
}

void Attributes::erase(const std::string& name) {
  list_.erase(std::remove_if(list_.begin(), list_.end(), [&](const Attribute& a) { return a.name == name; }),
              list_.end());
}

bool has_subgraph(const Node& node) {
  for (const Attribute& a : node.attrs.all())
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

void collect_outer_names(const Graph& g, std::set<std::string>& names) {
  for (const Value& v : g.values)
    if (v.is_outer_scope) names.insert(v.name);
  for (const Node& n : g.nodes)
    for (const Attribute& a : n.attrs.all()) {
      if (a.g) collect_outer_names(*a.g, names);
      for (const auto& sg : a.graphs) collect_outer_names(*sg, names);
    }
}

std::string Node::error_prefix() const { return "node '" + name + "' (" + op_type + "): "; }

int Graph::find_value(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

int Graph::add_value(const std::string& name) {
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  int id = static_cast<int>(values.size());
  values.push_back(Value{});
  values.back().name = name;
  index_[name] = id;
  return id;
}

void Graph::rebuild_index() {
  index_.clear();
  for (size_t i = 0; i < values.size(); ++i) index_[values[i].name] = static_cast<int>(i);
}

Status Graph::sort_topologically() {
  const size_t n = nodes.size();
  for (Value& v : values) v.producer = -1;
  for (size_t i = 0; i < n; ++i) {
    for (int out : nodes[i].outputs) {
      if (out < 0) continue;
      Value& v = values[static_cast<size_t>(out)];
      if (v.producer >= 0 || v.is_initializer)
        return invalid_model(nodes[i].error_prefix() + "output '" + v.name + "' is already produced elsewhere");
      v.producer = static_cast<int>(i);
    }
  }
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (size_t i = 0; i < n; ++i) {
    for (int in : nodes[i].inputs) {
      if (in < 0) continue;
      const Value& v = values[static_cast<size_t>(in)];
      if (v.producer >= 0) {
        ++pending[i];
        consumers[static_cast<size_t>(v.producer)].push_back(static_cast<int>(i));
      } else if (!v.is_initializer && !v.is_outer_scope &&
                 std::find(inputs.begin(), inputs.end(), in) == inputs.end()) {
        return invalid_model(nodes[i].error_prefix() + "input '" + v.name +
                             "' is not a graph input, an initializer or any node's output");
      }
    }
  }
  std::vector<int> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) order.push_back(static_cast<int>(i));
  for (size_t k = 0; k < order.size(); ++k)
    for (int c : consumers[static_cast<size_t>(order[k])])
      if (--pending[static_cast<size_t>(c)] == 0) order.push_back(c);
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0) return invalid_model(nodes[i].error_prefix() + "is part of a cycle in the graph");
  }
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (int i : order) sorted.push_back(std::move(nodes[static_cast<size_t>(i)]));
  nodes = std::move(sorted);
  for (Value& v : values) v.producer = -1;
  for (size_t i = 0; i < n; ++i)
    for (int out : nodes[i].outputs)
      if (out >= 0) values[static_cast<size_t>(out)].producer = static_cast<int>(i);
  for (int out : outputs) {
    const Value& v = values[static_cast<size_t>(out)];
    if (v.producer < 0 && !v.is_initializer && !v.is_outer_scope &&
        std::find(inputs.begin(), inputs.end(), out) == inputs.end())
      return invalid_model("graph output '" + v.name + "' is produced by no node");
  }
  return Status::ok();
}

}  // namespace edgeinfer
