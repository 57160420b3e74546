// Builds a Model in IR form for runtime tests (no ONNX bytes involved).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/tensor.h"
#include "ir/graph.h"

namespace edgeinfer {

class GraphBuilder {
 public:
  explicit GraphBuilder(int64_t opset = 17) { model_.opsets[""] = opset; }
  GraphBuilder& input(const std::string& name, DataType dt, Shape dims, std::vector<std::string> params = {}) {
    int id = g().add_value(name);
    Value& v = g().values[static_cast<size_t>(id)];
    v.dtype = dt;
    v.has_shape = true;
    v.dims = std::move(dims);
    params.resize(v.dims.size());
    v.dim_params = std::move(params);
    g().inputs.push_back(id);
    return *this;
  }
  GraphBuilder& input(const std::string& name, Shape dims, std::vector<std::string> params = {}) {
    return input(name, DataType::kFloat32, std::move(dims), std::move(params));
  }
  GraphBuilder& initializer(const std::string& name, Tensor t) {
    int id = g().add_value(name);
    Value& v = g().values[static_cast<size_t>(id)];
    v.is_initializer = true;
    v.dtype = t.dtype();
    v.initializer = std::move(t);
    return *this;
  }
  GraphBuilder& node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                     std::vector<Attribute> attrs = {}) {
    Node n;
    n.name = op + "_" + std::to_string(g().nodes.size());
    n.op_type = op;
    for (auto& s : ins) n.inputs.push_back(s.empty() ? -1 : g().add_value(s));
    for (auto& s : outs) n.outputs.push_back(s.empty() ? -1 : g().add_value(s));
    for (auto& a : attrs) n.attrs.set(a);
    g().nodes.push_back(std::move(n));
    return *this;
  }
  GraphBuilder& output(const std::string& name) {
    g().outputs.push_back(g().add_value(name));
    return *this;
  }
  Model build() {
    Status st = g().sort_topologically();
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return std::move(model_);
  }
  Graph& g() { return model_.graph; }

 private:
  Model model_;
};

}  // namespace edgeinfer
