#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <dirent.h>
#include <set>
#include <sys/stat.h>

#include "core/npy.h"
#include "quant_math.h"
#include "runtime/session.h"

namespace edgeinfer::quant {
namespace {

// ------------------------------------------------------------------------------------------ helpers
void say(const QuantizeOptions& o, const std::string& s) {
  if (o.log) o.log(s);
}

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string sanitize(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (s.empty() || s[0] == '.') s = "_" + s;
  return s;
}

std::string dims_text(const Value& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.dims.size(); ++i) {
    if (i) s += ",";
    if (v.dims[i] >= 0) s += std::to_string(v.dims[i]);
    else s += (i < v.dim_params.size() && !v.dim_params[i].empty()) ? v.dim_params[i] : "?";
  }
  return s + "]";
}

const Value& val(const Graph& g, int id) { return g.values[static_cast<size_t>(id)]; }
Value& val(Graph& g, int id) { return g.values[static_cast<size_t>(id)]; }

bool is_float_init(const Graph& g, int id) {
  return id >= 0 && val(g, id).is_initializer && val(g, id).initializer.dtype() == DataType::kFloat32;
}

Attribute attr_int(const std::string& n, int64_t v) {
  Attribute a;
  a.name = n;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}

// Adds values and nodes to a graph under fresh names.
class Editor {
 public:
  explicit Editor(Graph& g) : g_(g) {
    for (const Node& n : g.nodes) node_names_.insert(n.name);
  }
  std::string fresh(const std::string& base) {
    if (g_.find_value(base) < 0) return base;
    for (int k = 1;; ++k) {
      std::string s = base + "_" + std::to_string(k);
      if (g_.find_value(s) < 0) return s;
    }
  }
  int value(const std::string& base, DataType dt) {
    const int id = g_.add_value(fresh(base));
    val(g_, id).dtype = dt;
    return id;
  }
  int init(const std::string& base, Tensor t) {
    const int id = g_.add_value(fresh(base));
    Value& v = val(g_, id);
    v.is_initializer = true;
    v.dtype = t.dtype();
    v.initializer = std::move(t);
    return id;
  }
  Node make(const std::string& op, const std::string& domain, std::vector<int> ins, std::vector<int> outs,
            const std::string& name_base) {
    Node n;
    n.op_type = op;
    n.domain = domain;
    n.inputs = std::move(ins);
    n.outputs = std::move(outs);
    std::string name = name_base;
    for (int k = 1; node_names_.count(name); ++k) name = name_base + "_" + std::to_string(k);
    node_names_.insert(name);
    n.name = name;
    return n;
  }

 private:
  Graph& g_;
  std::set<std::string> node_names_;
};

Tensor scale_tensor(const QParams& p) {
  if (p.axis < 0) return Tensor::from_vector<float>({}, {p.scale[0]});
  return Tensor::from_vector<float>({static_cast<int64_t>(p.scale.size())}, p.scale);
}

Tensor zp_tensor(const QParams& p) {
  const Shape shape = p.axis < 0 ? Shape{} : Shape{static_cast<int64_t>(p.zero_point.size())};
  switch (p.dtype) {
    case DataType::kUint8: {
      std::vector<uint8_t> v(p.zero_point.begin(), p.zero_point.end());
      return Tensor::from_vector<uint8_t>(shape, v);
    }
    case DataType::kInt8: {
      std::vector<int8_t> v(p.zero_point.begin(), p.zero_point.end());
      return Tensor::from_vector<int8_t>(shape, v);
    }
    default: return Tensor::from_vector<int32_t>(shape, p.zero_point);
  }
}

// Removes nodes whose outputs nobody reads (repeatedly) and values nothing references, renumbering ids.
Status compact(Graph& g) {
  std::set<std::string> outer;
  for (const Node& n : g.nodes)
    if (has_subgraph(n))
      for (const Attribute& a : n.attrs.all()) {
        if (a.g) collect_outer_names(*a.g, outer);
        for (const auto& sg : a.graphs)
          if (sg) collect_outer_names(*sg, outer);
      }
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<int> uses(g.values.size(), 0);
    for (const Node& n : g.nodes)
      for (int i : n.inputs)
        if (i >= 0) ++uses[static_cast<size_t>(i)];
    for (int o : g.outputs) ++uses[static_cast<size_t>(o)];
    for (size_t i = 0; i < g.values.size(); ++i)
      if (outer.count(g.values[i].name)) ++uses[i];
    std::vector<Node> kept;
    for (Node& n : g.nodes) {
      bool used = false;
      for (int o : n.outputs) used |= o >= 0 && uses[static_cast<size_t>(o)] > 0;
      if (used || has_subgraph(n)) kept.push_back(std::move(n));
      else changed = true;
    }
    g.nodes = std::move(kept);
  }
  std::vector<char> keep(g.values.size(), 0);
  for (const Node& n : g.nodes) {
    for (int i : n.inputs) if (i >= 0) keep[static_cast<size_t>(i)] = 1;
    for (int o : n.outputs) if (o >= 0) keep[static_cast<size_t>(o)] = 1;
  }
  for (int i : g.inputs) keep[static_cast<size_t>(i)] = 1;
  for (int o : g.outputs) keep[static_cast<size_t>(o)] = 1;
  for (size_t i = 0; i < g.values.size(); ++i)
    if (outer.count(g.values[i].name)) keep[i] = 1;
  std::vector<int> remap(g.values.size(), -1);
  std::vector<Value> values;
  for (size_t i = 0; i < g.values.size(); ++i)
    if (keep[i]) {
      remap[i] = static_cast<int>(values.size());
      values.push_back(std::move(g.values[i]));
    }
  g.values = std::move(values);
  auto fix = [&](std::vector<int>& ids) {
    for (int& i : ids)
      if (i >= 0) i = remap[static_cast<size_t>(i)];
  };
  for (Node& n : g.nodes) {
    fix(n.inputs);
    fix(n.outputs);
  }
  fix(g.inputs);
  fix(g.outputs);
  for (Value& v : g.values) v.producer = -1;
  g.rebuild_index();
  return g.sort_topologically();
}

// Constant nodes with a tensor become initializers, so weights given as Constant are quantized.
void fold_constants(Model& m) {
  Graph& g = m.graph;
  std::vector<Node> kept;
  for (Node& n : g.nodes) {
    const Attribute* a = n.attrs.find("value");
    if (n.op_type == "Constant" && n.domain.empty() && n.outputs.size() == 1 && n.outputs[0] >= 0 && a &&
        a->type == AttrType::kTensor && !a->t.empty()) {
      Value& v = val(g, n.outputs[0]);
      v.is_initializer = true;
      v.initializer = a->t;
      v.dtype = a->t.dtype();
      v.producer = -1;
      continue;
    }
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
}

// ------------------------------------------------------------------------------------------ opset
int64_t min_ir_for_opset(int64_t opset) {
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset >= 11) return 6;
  if (opset >= 10) return 5;
  return 3;
}

}  // namespace

Status raise_opset(Model& m, int64_t target) {
  const int64_t from = m.opset("");
  if (from >= target) return Status::ok();
  if (from < 7) return unsupported("default-domain opset " + std::to_string(from) + " (7 or later is supported)");
  Graph& g = m.graph;
  Editor ed(g);
  auto crosses = [&](int64_t v) { return from < v && target >= v; };
  const std::map<std::string, int64_t> refuse = {{"Slice", 10}, {"TopK", 10},    {"Clip", 11},   {"Pad", 11},
                                                 {"Resize", 11}, {"Upsample", 10}, {"Scatter", 11}};
  std::vector<Node> out;
  for (Node& n : g.nodes) {
    if (!n.domain.empty()) {
      out.push_back(std::move(n));
      continue;
    }
    auto it = refuse.find(n.op_type);
    if (it != refuse.end() && crosses(it->second))
      return unsupported(n.error_prefix() + "the model's opset " + std::to_string(from) + " must be raised to " +
                         std::to_string(target) + " for the quantized operators, and " + n.op_type +
                         " changed meaning at opset " + std::to_string(it->second) +
                         "; convert the model to opset " + std::to_string(target) +
                         " first (e.g. onnx.version_converter)" +
                         (target == 13 && from >= 10 ? " or quantize per tensor (needs opset 10 only)" : ""));
    const bool axes_to_input = (n.op_type == "Squeeze" || n.op_type == "Unsqueeze" || n.op_type == "ReduceSum") && crosses(13);
    if (axes_to_input) {
      if (const Attribute* a = n.attrs.find("axes")) {
        const std::vector<int64_t> axes = a->ints;
        const int id = ed.init(n.name + "_axes", Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes));
        n.inputs.resize(1);
        n.inputs.push_back(id);
        n.attrs.erase("axes");
      }
    } else if (n.op_type == "Split" && crosses(13)) {
      if (const Attribute* a = n.attrs.find("split")) {
        const std::vector<int64_t> split = a->ints;
        const int id = ed.init(n.name + "_split", Tensor::from_vector<int64_t>({static_cast<int64_t>(split.size())}, split));
        n.inputs.resize(1);
        n.inputs.push_back(id);
        n.attrs.erase("split");
      }
    } else if (n.op_type == "Dropout" && crosses(12)) {
      const float ratio = n.attrs.get_float("ratio", 0.5f);
      n.attrs.erase("ratio");
      n.attrs.erase("is_test");
      n.inputs.resize(1);
      n.inputs.push_back(ed.init(n.name + "_ratio", Tensor::scalar_f32(ratio)));
    } else if (n.op_type == "BatchNormalization" && crosses(9)) {
      if (n.attrs.get_int("spatial", 1) != 1)
        return unsupported(n.error_prefix() + "spatial=0 cannot be expressed after opset 9");
      n.attrs.erase("spatial");
      n.attrs.erase("is_test");
      n.attrs.erase("consumed_inputs");
    } else if ((n.op_type == "Softmax" || n.op_type == "LogSoftmax" || n.op_type == "Hardmax") && crosses(13)) {
      const int64_t axis = n.attrs.get_int("axis", 1);
      if (axis != -1 && !n.inputs.empty() && !n.outputs.empty()) {
        // Before 13 these ops flatten the input to 2-D at `axis`; Flatten -> op(axis -1) -> Reshape
        // keeps that meaning for any rank.
        const int x = n.inputs[0], y = n.outputs[0];
        const int shape = ed.value(val(g, x).name + "_shape", DataType::kInt64);
        const int flat = ed.value(val(g, x).name + "_flat", DataType::kFloat32);
        const int y2 = ed.value(val(g, y).name + "_flat", DataType::kFloat32);
        Node sh = ed.make("Shape", "", {x}, {shape}, n.name + "_shape");
        Node fl = ed.make("Flatten", "", {x}, {flat}, n.name + "_flatten");
        fl.attrs.set(attr_int("axis", axis));
        Node op = ed.make(n.op_type, "", {flat}, {y2}, n.name);
        op.attrs.set(attr_int("axis", -1));
        Node rs = ed.make("Reshape", "", {y2, shape}, {y}, n.name + "_reshape");
        out.push_back(std::move(sh));
        out.push_back(std::move(fl));
        out.push_back(std::move(op));
        out.push_back(std::move(rs));
        continue;
      }
    }
    out.push_back(std::move(n));
  }
  g.nodes = std::move(out);
  m.opsets[""] = target;
  m.ir_version = std::max(m.ir_version, min_ir_for_opset(target));
  for (Value& v : g.values) v.producer = -1;
  return g.sort_topologically();
}

// ------------------------------------------------------------------------------------------ calibration data
Result<std::vector<Sample>> load_calibration_dir(const std::string& dir, const Model& model) {
  if (!is_dir(dir)) return invalid_argument("--calibration " + dir + ": not a directory");
  const Graph& g = model.graph;
  std::vector<std::string> sample_dirs;
  for (const std::string& n : list_dir(dir))
    if (is_dir(dir + "/" + n)) sample_dirs.push_back(dir + "/" + n);
  if (sample_dirs.empty()) sample_dirs.push_back(dir);
  std::string expected;
  for (int id : g.inputs) expected += (expected.empty() ? "" : ", ") + sanitize(val(g, id).name) + ".npy";
  std::vector<Sample> samples;
  for (const std::string& sd : sample_dirs) {
    Sample s;
    std::set<std::string> used;
    for (int id : g.inputs) {
      const Value& in = val(g, id);
      std::string file = sd + "/" + in.name + ".npy";
      struct stat st {};
      if (in.name.find('/') != std::string::npos || stat(file.c_str(), &st) != 0) file = sd + "/" + sanitize(in.name) + ".npy";
      if (stat(file.c_str(), &st) != 0)
        return invalid_argument("calibration sample " + sd + ": missing " + sanitize(in.name) + ".npy for input '" +
                                in.name + "' (" + dtype_name(in.dtype) + " " + dims_text(in) +
                                "); each sample folder holds " + expected);
      used.insert(file.substr(file.find_last_of('/') + 1));
      auto t = read_npy(file);
      if (!t.is_ok()) return t.status();
      if (in.dtype != DataType::kUndefined && t->dtype() != in.dtype)
        return invalid_argument(file + ": dtype " + dtype_name(t->dtype()) + ", but input '" + in.name + "' is " +
                                dtype_name(in.dtype));
      if (in.has_shape) {
        bool ok = t->rank() == static_cast<int>(in.dims.size());
        for (size_t i = 0; ok && i < in.dims.size(); ++i) ok = in.dims[i] < 0 || in.dims[i] == t->shape()[i];
        if (!ok)
          return invalid_argument(file + ": shape " + shape_to_string(t->shape()) + " does not fit input '" + in.name +
                                  "' " + dims_text(in));
      }
      s.emplace(in.name, std::move(t).value());
    }
    for (const std::string& f : list_dir(sd)) {
      if (f.size() > 4 && f.substr(f.size() - 4) == ".npy" && !used.count(f))
        return invalid_argument("calibration sample " + sd + ": " + f +
                                " matches no model input; the model's inputs are " + expected);
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

namespace {

// ------------------------------------------------------------------------------------------ running
Result<std::vector<std::vector<Tensor>>> run_model(const Model& m, const std::vector<Sample>& samples, int threads) {
  SessionOptions so;
  so.num_threads = std::max(1, threads);
  EI_ASSIGN_OR_RETURN(auto session, Session::create(m, so));
  std::vector<std::vector<Tensor>> outs;
  for (const Sample& s : samples) {
    EI_ASSIGN_OR_RETURN(auto o, session->run(s));
    outs.push_back(std::move(o));
  }
  return outs;
}

// Streams over the samples with extra graph outputs (the runtime's optimizer keeps graph outputs, so
// fused/folded tensors are still produced) and hands every requested node output to `fn`.
Status for_each_tensor(const Model& m, const std::vector<int>& ids, const std::vector<Sample>& samples, int threads,
                       const std::function<void(int, const Tensor&)>& fn) {
  Model cm = m;
  std::vector<int> fetch;  // value id per graph output of cm
  for (int o : cm.graph.outputs) fetch.push_back(o);
  std::set<int> have(fetch.begin(), fetch.end());
  std::set<int> graph_inputs(m.graph.inputs.begin(), m.graph.inputs.end());
  for (int id : ids) {
    if (have.count(id) || graph_inputs.count(id) || val(m.graph, id).is_initializer) continue;
    cm.graph.outputs.push_back(id);
    fetch.push_back(id);
    have.insert(id);
  }
  std::set<int> wanted(ids.begin(), ids.end());
  SessionOptions so;
  so.num_threads = std::max(1, threads);
  EI_ASSIGN_OR_RETURN(auto session, Session::create(std::move(cm), so));
  for (const Sample& s : samples) {
    for (int id : ids)
      if (graph_inputs.count(id)) fn(id, s.at(val(m.graph, id).name));
    EI_ASSIGN_OR_RETURN(auto outs, session->run(s));
    for (size_t i = 0; i < outs.size() && i < fetch.size(); ++i)
      if (wanted.count(fetch[i])) fn(fetch[i], outs[i]);
  }
  return Status::ok();
}

struct TensorStats {
  DataType dtype = DataType::kUndefined;
  float min = std::numeric_limits<float>::infinity(), max = -std::numeric_limits<float>::infinity();
  bool finite = true;
  std::unique_ptr<AbsHistogram> hist;
};

void update_minmax(TensorStats& st, const Tensor& t) {
  st.dtype = t.dtype();
  if (t.dtype() != DataType::kFloat32) return;
  const float* d = t.data<float>();
  const int64_t n = t.numel();
  // Eight independent lanes so the compiler vectorizes; x - x is NaN exactly for NaN and infinities.
  float mn[8], mx[8], bad[8];
  for (int l = 0; l < 8; ++l) mn[l] = st.min, mx[l] = st.max, bad[l] = 0.0f;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) {
      const float v = d[i + l];
      mn[l] = v < mn[l] ? v : mn[l];
      mx[l] = v > mx[l] ? v : mx[l];
      bad[l] += v - v;
    }
  for (; i < n; ++i) {
    mn[0] = std::min(mn[0], d[i]);
    mx[0] = std::max(mx[0], d[i]);
    bad[0] += d[i] - d[i];
  }
  for (int l = 0; l < 8; ++l) {
    st.min = std::min(st.min, mn[l]);
    st.max = std::max(st.max, mx[l]);
    if (!(bad[l] == 0.0f)) st.finite = false;
  }
  if (!st.finite) {  // exact range of the finite values, for the error message path only
    st.min = std::numeric_limits<float>::infinity();
    st.max = -st.min;
    for (int64_t k = 0; k < n; ++k)
      if (std::isfinite(d[k])) st.min = std::min(st.min, d[k]), st.max = std::max(st.max, d[k]);
  }
}

// ------------------------------------------------------------------------------------------ planning
enum class Kind { kWeighted, kGeneric, kDirect };

struct NodePlan {
  bool quant = false;
  Kind kind = Kind::kGeneric;
  std::vector<int> act_in;  // activation inputs to quantize (may include float constants)
  int weight = -1;          // value id of the weight initializer (Conv/MatMul/Gemm)
  int weight_axis = -1;     // output-channel axis of the weight
  int bias = -1;            // bias initializer to store as int32
  int out = -1;
};

bool single_output(const Node& n) {
  if (n.outputs.empty() || n.outputs[0] < 0) return false;
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (n.outputs[i] >= 0) return false;
  return true;
}

const char* const kQuantizableOps[] = {"Conv",      "MatMul",  "Gemm",    "Add",     "Mul",     "Concat",
                                       "GlobalAveragePool", "AveragePool", "Sigmoid", "LeakyRelu", "Relu",
                                       "Clip",      "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten",
                                       "MaxPool",   "Resize"};

NodePlan plan_node(const Model& m, const Node& n, const QuantizeOptions& o) {
  NodePlan p;
  const Graph& g = m.graph;
  if (!n.domain.empty() || has_subgraph(n) || !single_output(n)) return p;
  if (!o.op_types.empty() && std::find(o.op_types.begin(), o.op_types.end(), n.op_type) == o.op_types.end()) return p;
  const bool qop = o.format == Format::kQOperator;
  const std::string& op = n.op_type;
  auto in = [&](size_t i) { return i < n.inputs.size() ? n.inputs[i] : -1; };
  p.out = n.outputs[0];
  if (op == "Conv") {
    if (!is_float_init(g, in(1)) || val(g, in(1)).initializer.rank() < 3 || in(0) < 0) return p;
    p.kind = Kind::kWeighted;
    p.act_in = {in(0)};
    p.weight = in(1);
    p.weight_axis = o.per_channel ? 0 : -1;
    const int64_t cout = val(g, in(1)).initializer.dim(0);
    if (is_float_init(g, in(2)) && val(g, in(2)).initializer.rank() == 1 && val(g, in(2)).initializer.dim(0) == cout)
      p.bias = in(2);
    else if (in(2) >= 0)
      return p;  // a computed bias: keep the node in float
  } else if (op == "MatMul") {
    if (in(0) < 0 || in(1) < 0) return p;
    p.kind = Kind::kWeighted;
    p.act_in = {in(0)};
    if (is_float_init(g, in(1)) && val(g, in(1)).initializer.rank() == 2) {
      p.weight = in(1);
      p.weight_axis = o.per_channel ? 1 : -1;
    } else if (!val(g, in(1)).is_initializer) {
      p.act_in.push_back(in(1));
    } else {
      return p;
    }
  } else if (op == "Gemm") {
    if (qop || in(0) < 0 || in(1) < 0) return p;  // no standard QOperator form (onnxruntime's is com.microsoft QGemm)
    p.kind = Kind::kWeighted;
    p.act_in = {in(0)};
    if (is_float_init(g, in(1)) && val(g, in(1)).initializer.rank() == 2) {
      p.weight = in(1);
      const bool trans_b = n.attrs.get_int("transB", 0) != 0;
      p.weight_axis = o.per_channel ? (trans_b ? 0 : 1) : -1;
      const int64_t nout = val(g, in(1)).initializer.dim(trans_b ? 0 : 1);
      if (is_float_init(g, in(2)) && val(g, in(2)).initializer.rank() == 1 && val(g, in(2)).initializer.dim(0) == nout &&
          n.attrs.get_float("alpha", 1.0f) == 1.0f && n.attrs.get_float("beta", 1.0f) == 1.0f)
        p.bias = in(2);
    } else if (!val(g, in(1)).is_initializer) {
      p.act_in.push_back(in(1));
    } else {
      return p;
    }
  } else if (op == "Add" || op == "Mul") {
    if (in(0) < 0 || in(1) < 0) return p;
    p.act_in = {in(0), in(1)};
  } else if (op == "Concat") {
    for (int i : n.inputs) {
      if (i < 0) return p;
      p.act_in.push_back(i);
    }
  } else if (op == "GlobalAveragePool" || op == "AveragePool" || op == "Sigmoid" || op == "LeakyRelu") {
    if (in(0) < 0) return p;
    p.act_in = {in(0)};
  } else if (!qop && (op == "Relu" || op == "Clip")) {
    if (in(0) < 0) return p;
    p.act_in = {in(0)};
  } else if (op == "Reshape" || op == "Transpose" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten" ||
             (op == "MaxPool" && (!qop || m.opset("") >= 12)) || (!qop && op == "Resize")) {
    if (in(0) < 0 || val(g, in(0)).is_initializer) return p;
    p.kind = Kind::kDirect;
    p.act_in = {in(0)};
  } else {
    return p;
  }
  for (int a : p.act_in)
    if (val(g, a).is_initializer && val(g, a).initializer.dtype() != DataType::kFloat32) return p;
  p.quant = true;
  return p;
}

// ------------------------------------------------------------------------------------------ state
struct Plan {
  std::vector<NodePlan> nodes;      // per node of the prepared model
  std::set<int> keep_float;         // node indices kept in float (excluded / auto)
  std::map<int, QParams> act;       // activation value id -> params
  // Relu/Clip(0, c) folded into the quantization of their producer's output (uint8 only): the
  // activation's output id -> the producer's output id, whose range is clamped to [0, c].
  std::map<int, int> alias;
  std::map<int, float> clamp_hi;
};

int count_quantized(const Plan& p) {
  int n = 0;
  for (size_t i = 0; i < p.nodes.size(); ++i) n += p.nodes[i].quant && !p.keep_float.count(static_cast<int>(i));
  return n;
}

bool active(const Plan& p, size_t i) { return p.nodes[i].quant && !p.keep_float.count(static_cast<int>(i)); }

struct WeightQ {
  int q = -1, scale = -1, zp = -1;
  QParams params;
};

// ------------------------------------------------------------------------------------------ QDQ
Result<Model> emit_qdq(const Model& src, const Plan& plan, const QuantizeOptions& o) {
  Model m = src;
  Graph& g = m.graph;
  Editor ed(g);
  const size_t n_orig = g.nodes.size();
  std::vector<Node> added;
  std::map<int, std::pair<int, int>> sz;  // act id -> (scale, zp) initializers
  auto scale_zp = [&](int id) {
    auto it = sz.find(id);
    if (it != sz.end()) return it->second;
    const QParams& p = plan.act.at(id);
    const std::string base = val(g, id).name;
    auto r = std::make_pair(ed.init(base + "_scale", scale_tensor(p)), ed.init(base + "_zero_point", zp_tensor(p)));
    sz[id] = r;
    return r;
  };
  // Activations used by an active node: one Q/DQ pair each (constants: stored quantized + DQ).
  std::set<int> acts;
  for (size_t i = 0; i < n_orig; ++i)
    if (active(plan, i)) {
      for (int a : plan.nodes[i].act_in) acts.insert(a);
      acts.insert(plan.nodes[i].out);
    }
  std::map<int, int> dq_of;
  for (int a : acts) {
    const QParams& p = plan.act.at(a);
    auto [s, z] = scale_zp(a);
    const std::string base = val(g, a).name;
    int q;
    if (val(g, a).is_initializer) {
      EI_ASSIGN_OR_RETURN(Tensor qt, quantize_tensor(val(g, a).initializer, p));
      q = ed.init(base + "_quantized", std::move(qt));
    } else {
      q = ed.value(base + "_QuantizeLinear_Output", p.dtype);
      added.push_back(ed.make("QuantizeLinear", "", {a, s, z}, {q}, base + "_QuantizeLinear"));
    }
    const int dq = ed.value(base + "_DequantizeLinear_Output", DataType::kFloat32);
    added.push_back(ed.make("DequantizeLinear", "", {q, s, z}, {dq}, base + "_DequantizeLinear"));
    dq_of[a] = dq;
  }
  std::map<std::pair<int, int>, int> wdq;  // (weight, axis) -> DQ output
  for (size_t i = 0; i < n_orig; ++i) {
    if (plan.keep_float.count(static_cast<int>(i))) continue;
    Node& n = g.nodes[i];
    const NodePlan& np = plan.nodes[i];
    const bool act = active(plan, i);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int id = n.inputs[k];
      if (id < 0) continue;
      if (act && (id == np.weight || id == np.bias) && k >= 1) continue;
      auto al = plan.alias.find(id);
      const int src = al != plan.alias.end() && act ? al->second : id;
      // Quantized nodes read the dequantized value on their activation inputs only (not on a shape,
      // scales or min/max input that happens to be quantized for another node); other nodes read it
      // for computed tensors (as onnxruntime's QDQ graphs do), never for constants.
      if (act ? std::find(np.act_in.begin(), np.act_in.end(), src) == np.act_in.end() : val(g, id).is_initializer)
        continue;
      auto it = dq_of.find(src);
      if (it != dq_of.end()) n.inputs[k] = it->second;
    }
    if (!act || np.weight < 0) continue;
    const int w = np.weight;
    int wdq_id;
    QParams wp;
    {
      const Tensor& wt = val(g, w).initializer;
      EI_ASSIGN_OR_RETURN(wp, weight_qparams(wt, o.weights, o.weights == DataType::kInt8, np.weight_axis));
      auto key = std::make_pair(w, np.weight_axis);
      auto it = wdq.find(key);
      if (it != wdq.end()) {
        wdq_id = it->second;
      } else {
        EI_ASSIGN_OR_RETURN(Tensor qt, quantize_tensor(wt, wp));
        const std::string base = val(g, w).name;
        const int q = ed.init(base + "_quantized", std::move(qt));
        const int s = ed.init(base + "_scale", scale_tensor(wp));
        const int z = ed.init(base + "_zero_point", zp_tensor(wp));
        wdq_id = ed.value(base + "_DequantizeLinear_Output", DataType::kFloat32);
        Node dq = ed.make("DequantizeLinear", "", {q, s, z}, {wdq_id}, base + "_DequantizeLinear");
        if (np.weight_axis >= 0) dq.attrs.set(attr_int("axis", np.weight_axis));
        added.push_back(std::move(dq));
        wdq[key] = wdq_id;
      }
    }
    for (size_t k = 1; k < n.inputs.size(); ++k)
      if (n.inputs[k] == w) n.inputs[k] = wdq_id;
    if (np.bias >= 0) {
      QParams bp;
      const float xs = plan.act.at(np.act_in[0]).scale[0];
      EI_ASSIGN_OR_RETURN(Tensor bq, quantize_bias(val(g, np.bias).initializer, xs, wp.scale, &bp));
      const std::string base = val(g, np.bias).name;
      const int q = ed.init(base + "_quantized", std::move(bq));
      const int s = ed.init(base + "_scale", scale_tensor(bp));
      const int z = ed.init(base + "_zero_point", zp_tensor(bp));
      const int out = ed.value(base + "_DequantizeLinear_Output", DataType::kFloat32);
      Node dq = ed.make("DequantizeLinear", "", {q, s, z}, {out}, base + "_DequantizeLinear");
      if (bp.axis >= 0) dq.attrs.set(attr_int("axis", 0));
      added.push_back(std::move(dq));
      n.inputs[2] = out;
    }
  }
  for (Node& n : added) g.nodes.push_back(std::move(n));
  EI_RETURN_IF_ERROR(compact(g));
  return m;
}

// ------------------------------------------------------------------------------------------ QOperator
Result<Model> emit_qoperator(const Model& src, const Plan& plan, const QuantizeOptions& o) {
  Model m = src;
  Graph& g = m.graph;
  Editor ed(g);
  std::vector<Node> orig = std::move(g.nodes);
  g.nodes.clear();
  std::vector<Node> out_nodes;
  std::map<int, std::pair<int, int>> sz;
  std::map<int, int> qval;  // float value id -> quantized value id
  bool contrib = false;
  auto scale_zp = [&](int id) {
    auto it = sz.find(id);
    if (it != sz.end()) return it->second;
    const QParams& p = plan.act.at(id);
    const std::string base = val(g, id).name;
    auto r = std::make_pair(ed.init(base + "_scale", scale_tensor(p)), ed.init(base + "_zero_point", zp_tensor(p)));
    sz[id] = r;
    return r;
  };
  auto get_q = [&](int id) -> Result<int> {
    auto it = qval.find(id);
    if (it != qval.end()) return it->second;
    const QParams& p = plan.act.at(id);
    const std::string base = val(g, id).name;
    int q;
    if (val(g, id).is_initializer) {
      EI_ASSIGN_OR_RETURN(Tensor qt, quantize_tensor(val(g, id).initializer, p));
      q = ed.init(base + "_quantized", std::move(qt));
    } else {
      auto [s, z] = scale_zp(id);
      q = ed.value(base + "_quantized", p.dtype);
      out_nodes.push_back(ed.make("QuantizeLinear", "", {id, s, z}, {q}, base + "_QuantizeLinear"));
    }
    qval[id] = q;
    return q;
  };
  for (size_t i = 0; i < orig.size(); ++i) {
    Node& n = orig[i];
    if (!active(plan, i)) {
      out_nodes.push_back(std::move(n));
      continue;
    }
    const NodePlan& np = plan.nodes[i];
    const int y = np.out;
    if (np.kind == Kind::kDirect) {
      EI_ASSIGN_OR_RETURN(int xq, get_q(np.act_in[0]));
      sz[y] = scale_zp(np.act_in[0]);
      const int yq = ed.value(val(g, y).name + "_quantized", plan.act.at(y).dtype);
      Node nn = n;
      nn.inputs[0] = xq;
      nn.outputs = {yq};
      qval[y] = yq;
      out_nodes.push_back(std::move(nn));
    } else {
      std::vector<int> ins;
      auto triple = [&](int id) -> Status {
        EI_ASSIGN_OR_RETURN(int q, get_q(id));
        auto [s, z] = scale_zp(id);
        ins.insert(ins.end(), {q, s, z});
        return Status::ok();
      };
      auto [ys, yz] = scale_zp(y);
      std::string op, domain;
      Node nn;
      if (n.op_type == "Conv" || n.op_type == "MatMul") {
        op = n.op_type == "Conv" ? "QLinearConv" : "QLinearMatMul";
        EI_RETURN_IF_ERROR(triple(np.act_in[0]));
        if (np.weight >= 0) {
          const Tensor& wt = val(g, np.weight).initializer;
          EI_ASSIGN_OR_RETURN(QParams wp, weight_qparams(wt, o.weights, o.weights == DataType::kInt8, np.weight_axis));
          EI_ASSIGN_OR_RETURN(Tensor qt, quantize_tensor(wt, wp));
          const std::string base = val(g, np.weight).name;
          ins.push_back(ed.init(base + "_quantized", std::move(qt)));
          ins.push_back(ed.init(base + "_scale", scale_tensor(wp)));
          ins.push_back(ed.init(base + "_zero_point", zp_tensor(wp)));
          ins.insert(ins.end(), {ys, yz});
          if (np.bias >= 0) {
            EI_ASSIGN_OR_RETURN(Tensor bq, quantize_bias(val(g, np.bias).initializer, plan.act.at(np.act_in[0]).scale[0],
                                                         wp.scale, nullptr));
            ins.push_back(ed.init(val(g, np.bias).name + "_quantized", std::move(bq)));
          }
        } else {
          EI_RETURN_IF_ERROR(triple(np.act_in[1]));
          ins.insert(ins.end(), {ys, yz});
        }
      } else if (n.op_type == "Add" || n.op_type == "Mul") {
        op = "QLinear" + n.op_type;
        domain = "com.microsoft";
        EI_RETURN_IF_ERROR(triple(np.act_in[0]));
        EI_RETURN_IF_ERROR(triple(np.act_in[1]));
        ins.insert(ins.end(), {ys, yz});
      } else if (n.op_type == "Concat") {
        op = "QLinearConcat";
        domain = "com.microsoft";
        ins = {ys, yz};
        for (int a : np.act_in) EI_RETURN_IF_ERROR(triple(a));
      } else {  // GlobalAveragePool, AveragePool, Sigmoid, LeakyRelu
        op = "QLinear" + n.op_type;
        domain = "com.microsoft";
        EI_RETURN_IF_ERROR(triple(np.act_in[0]));
        ins.insert(ins.end(), {ys, yz});
      }
      const int yq = ed.value(val(g, y).name + "_quantized", plan.act.at(y).dtype);
      nn = ed.make(op, domain, ins, {yq}, n.name + "_quant");
      for (const Attribute& a : n.attrs.all()) nn.attrs.set(a);
      if (n.op_type == "GlobalAveragePool" || n.op_type == "AveragePool") nn.attrs.set(attr_int("channels_last", 0));
      contrib |= !domain.empty();
      qval[y] = yq;
      out_nodes.push_back(std::move(nn));
    }
    // Float readers (ops kept in float, graph outputs) see the dequantized value under its old name.
    auto [s, z] = scale_zp(y);
    out_nodes.push_back(ed.make("DequantizeLinear", "", {qval[y], s, z}, {y}, val(g, y).name + "_DequantizeLinear"));
  }
  g.nodes = std::move(out_nodes);
  if (contrib) m.opsets["com.microsoft"] = std::max<int64_t>(m.opset("com.microsoft"), 1);
  EI_RETURN_IF_ERROR(compact(g));
  return m;
}

// ------------------------------------------------------------------------------------------ dynamic
Result<Tensor> transpose2d(const Tensor& t) {
  EI_ASSIGN_OR_RETURN(Tensor r, Tensor::allocate(DataType::kFloat32, {t.dim(1), t.dim(0)}));
  for (int64_t i = 0; i < t.dim(0); ++i)
    for (int64_t j = 0; j < t.dim(1); ++j) r.data<float>()[j * t.dim(0) + i] = t.data<float>()[i * t.dim(1) + j];
  return r;
}

Result<Model> emit_dynamic(const Model& src, const std::set<int>& keep_float, const QuantizeOptions& o, int* count,
                           std::vector<std::string>* candidates) {
  Model m = src;
  Graph& g = m.graph;
  Editor ed(g);
  std::vector<Node> orig = std::move(g.nodes);
  g.nodes.clear();
  std::vector<Node> out;
  *count = 0;
  for (size_t i = 0; i < orig.size(); ++i) {
    Node& n = orig[i];
    auto in = [&](size_t k) { return k < n.inputs.size() ? n.inputs[k] : -1; };
    const bool wanted = o.op_types.empty() || std::find(o.op_types.begin(), o.op_types.end(), n.op_type) != o.op_types.end();
    const bool mm = wanted && n.op_type == "MatMul", gemm = wanted && n.op_type == "Gemm";
    bool ok = n.domain.empty() && (mm || gemm) && single_output(n) && in(0) >= 0 && is_float_init(g, in(1)) &&
              val(g, in(1)).initializer.rank() == 2;
    if (ok && gemm) ok = n.attrs.get_int("transA", 0) == 0 && (in(2) < 0 || is_float_init(g, in(2)));
    if (ok && candidates) candidates->push_back(n.name);
    if (!ok || keep_float.count(static_cast<int>(i))) {
      out.push_back(std::move(n));
      continue;
    }
    const float alpha = gemm ? n.attrs.get_float("alpha", 1.0f) : 1.0f;
    const float beta = gemm ? n.attrs.get_float("beta", 1.0f) : 1.0f;
    Tensor b = val(g, in(1)).initializer;
    if (gemm && n.attrs.get_int("transB", 0)) {
      EI_ASSIGN_OR_RETURN(b, transpose2d(b));
    }
    EI_ASSIGN_OR_RETURN(QParams wp, weight_qparams(b, o.weights, o.weights == DataType::kInt8, o.per_channel ? 1 : -1));
    EI_ASSIGN_OR_RETURN(Tensor bq, quantize_tensor(b, wp));
    const std::string base = val(g, in(1)).name, yname = val(g, n.outputs[0]).name;
    const int bq_id = ed.init(base + "_quantized", std::move(bq));
    QParams sp = wp;
    for (float& s : sp.scale) s *= alpha;
    const int bs_id = ed.init(base + "_scale", scale_tensor(sp));
    const int bz_id = ed.init(base + "_zero_point", zp_tensor(wp));
    const std::string xname = val(g, in(0)).name;
    const int aq = ed.value(xname + "_quantized", DataType::kUint8);
    const int as = ed.value(xname + "_scale", DataType::kFloat32);
    const int az = ed.value(xname + "_zero_point", DataType::kUint8);
    out.push_back(ed.make("DynamicQuantizeLinear", "", {in(0)}, {aq, as, az}, n.name + "_DynamicQuantizeLinear"));
    const int acc = ed.value(yname + "_MatMulInteger", DataType::kInt32);
    out.push_back(ed.make("MatMulInteger", "", {aq, bq_id, az, bz_id}, {acc}, n.name + "_MatMulInteger"));
    const int accf = ed.value(yname + "_MatMulInteger_float", DataType::kFloat32);
    Node cast = ed.make("Cast", "", {acc}, {accf}, n.name + "_Cast");
    cast.attrs.set(attr_int("to", static_cast<int64_t>(DataType::kFloat32)));
    out.push_back(std::move(cast));
    const int sc = ed.value(yname + "_scale", DataType::kFloat32);
    out.push_back(ed.make("Mul", "", {as, bs_id}, {sc}, n.name + "_scale_Mul"));
    if (gemm && in(2) >= 0) {
      const int mmv = ed.value(yname + "_MatMul", DataType::kFloat32);
      out.push_back(ed.make("Mul", "", {accf, sc}, {mmv}, n.name + "_output_Mul"));
      Tensor c = val(g, in(2)).initializer.clone();
      for (int64_t k = 0; k < c.numel(); ++k) c.data<float>()[k] *= beta;
      const int c_id = ed.init(val(g, in(2)).name + "_beta", std::move(c));
      out.push_back(ed.make("Add", "", {mmv, c_id}, {n.outputs[0]}, n.name + "_bias_Add"));
    } else {
      out.push_back(ed.make("Mul", "", {accf, sc}, {n.outputs[0]}, n.name + "_output_Mul"));
    }
    ++*count;
  }
  g.nodes = std::move(out);
  EI_RETURN_IF_ERROR(compact(g));
  return m;
}

Result<Model> emit(const Model& prepared, const Plan& plan, const QuantizeOptions& o) {
  return o.format == Format::kQDQ ? emit_qdq(prepared, plan, o) : emit_qoperator(prepared, plan, o);
}

double rel_l2(double err2, double ref2) { return ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2); }

void accumulate(const Tensor& a, const Tensor& b, double* err2, double* ref2) {
  if (a.dtype() != DataType::kFloat32 || b.dtype() != DataType::kFloat32 || a.numel() != b.numel()) return;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = static_cast<double>(a.data<float>()[i]) - b.data<float>()[i];
    *err2 += d * d;
    *ref2 += static_cast<double>(b.data<float>()[i]) * b.data<float>()[i];
  }
}

double outputs_error(const std::vector<std::vector<Tensor>>& ref, const std::vector<std::vector<Tensor>>& got) {
  double worst = 0;
  for (size_t o = 0; !ref.empty() && o < ref[0].size(); ++o) {
    double e2 = 0, r2 = 0;
    for (size_t s = 0; s < ref.size() && s < got.size(); ++s)
      if (o < got[s].size()) accumulate(got[s][o], ref[s][o], &e2, &r2);
    worst = std::max(worst, rel_l2(e2, r2));
  }
  return worst;
}

}  // namespace

Result<double> output_relative_error(const Model& reference, const Model& candidate, const std::vector<Sample>& samples,
                                     int threads) {
  EI_ASSIGN_OR_RETURN(auto ref, run_model(reference, samples, threads));
  EI_ASSIGN_OR_RETURN(auto got, run_model(candidate, samples, threads));
  return outputs_error(ref, got);
}

Result<Model> quantize_model(const Model& model, const std::vector<Sample>& calibration, const QuantizeOptions& o,
                             QuantizeReport* report) {
  QuantizeReport local;
  QuantizeReport& rep = report ? *report : local;
  rep = QuantizeReport{};
  if (o.activations != DataType::kUint8 && o.activations != DataType::kInt8)
    return invalid_argument("--activations must be uint8 or int8");
  if (o.weights != DataType::kUint8 && o.weights != DataType::kInt8)
    return invalid_argument("--weights must be uint8 or int8");
  if (o.method == Method::kPercentile && !(o.percentile > 0 && o.percentile <= 100))
    return invalid_argument("--percentile must be in (0, 100]");
  if (o.auto_exclude && !(o.target > 0)) return invalid_argument("--target must be a positive relative error");
  if (o.dynamic && o.auto_exclude) return invalid_argument("--auto needs static quantization (not --dynamic)");
  for (const std::string& t : o.op_types) {
    bool known = false;
    for (const char* k : kQuantizableOps) known |= t == k;
    if (o.dynamic) known = t == "MatMul" || t == "Gemm";
    if (!known) {
      std::string list;
      for (const char* k : kQuantizableOps) list += (list.empty() ? "" : ", ") + std::string(k);
      return invalid_argument("--op-types '" + t + "' is not an op type edgeinfer quantize handles (" +
                              (o.dynamic ? std::string("MatMul, Gemm with --dynamic") : list) + ")");
    }
  }
  if (!o.dynamic && calibration.empty())
    return invalid_argument("static quantization needs calibration samples (--calibration DIR), or use --dynamic");
  rep.original_opset = model.opset("");
  if (rep.original_opset < 7 || rep.original_opset > 21)
    return unsupported("default-domain opset " + std::to_string(rep.original_opset) + " (7-21 are supported)");
  for (const Node& n : model.graph.nodes)
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear" || n.op_type.rfind("QLinear", 0) == 0 ||
        n.op_type == "DynamicQuantizeLinear" || n.op_type == "MatMulInteger" || n.op_type == "ConvInteger")
      return invalid_argument(n.error_prefix() + "the model is already quantized");

  Model prepared = model;
  fold_constants(prepared);
  for (Value& v : prepared.graph.values) v.producer = -1;
  EI_RETURN_IF_ERROR(prepared.graph.sort_topologically());
  int64_t need = o.dynamic ? 11 : 10;
  if (!o.dynamic && o.per_channel && o.format == Format::kQDQ) need = 13;
  EI_RETURN_IF_ERROR(raise_opset(prepared, need));
  rep.opset = prepared.opset("");
  if (rep.opset != rep.original_opset)
    say(o, "opset raised from " + std::to_string(rep.original_opset) + " to " + std::to_string(rep.opset));

  const Graph& g = prepared.graph;
  std::set<int> user_keep;
  {
    std::map<std::string, int> by_name;
    for (size_t i = 0; i < g.nodes.size(); ++i) by_name[g.nodes[i].name] = static_cast<int>(i);
    for (const std::string& e : o.exclude) {
      auto it = by_name.find(e);
      if (it == by_name.end()) {
        std::string some;
        int k = 0;
        for (const Node& n : g.nodes) {
          if (n.op_type != "Constant" && k++ < 8) some += (some.empty() ? "" : ", ") + ("'" + n.name + "'");
        }
        return invalid_argument("--exclude '" + e + "': the model has no node of that name (nodes are e.g. " + some + ")");
      }
      user_keep.insert(it->second);
      rep.excluded.push_back(e);
    }
  }

  if (o.dynamic) {
    int count = 0;
    EI_ASSIGN_OR_RETURN(Model q, emit_dynamic(prepared, user_keep, o, &count, nullptr));
    rep.quantized_nodes = count;
    if (!calibration.empty()) {
      EI_ASSIGN_OR_RETURN(rep.output_rel_error, output_relative_error(model, q, calibration, o.threads));
    }
    return q;
  }

  // Plan, then calibrate the activations the plan quantizes.
  Plan plan;
  plan.keep_float = user_keep;
  for (const Node& n : g.nodes) plan.nodes.push_back(plan_node(prepared, n, o));
  // Relu and Clip(0, c) right after a quantized op (its only reader): with uint8 activations the
  // producer's output is quantized with the activation's range [0, max] (zero point 0), which is the
  // activation itself, so quantized readers skip it (onnxruntime's quantizer does the same).
  if (o.activations == DataType::kUint8) {
    std::vector<int> uses(g.values.size(), 0);
    for (const Node& n : g.nodes)
      for (int i : n.inputs)
        if (i >= 0) ++uses[static_cast<size_t>(i)];
    for (int out : g.outputs) uses[static_cast<size_t>(out)] += 2;
    std::map<int, int> producer;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (int out : g.nodes[i].outputs)
        if (out >= 0) producer[out] = static_cast<int>(i);
    auto scalar = [&](int id, float* v) {
      if (id < 0 || !is_float_init(g, id) || val(g, id).initializer.numel() != 1) return false;
      *v = val(g, id).initializer.data<float>()[0];
      return true;
    };
    for (size_t r = 0; r < g.nodes.size(); ++r) {
      const Node& n = g.nodes[r];
      if (!n.domain.empty() || (n.op_type != "Relu" && n.op_type != "Clip") || user_keep.count(static_cast<int>(r)) ||
          n.inputs.empty() || n.inputs[0] < 0 || !single_output(n))
        continue;
      float hi = std::numeric_limits<float>::infinity();
      if (n.op_type == "Clip") {
        float lo_v = 0;
        if (prepared.opset("") < 11) {
          lo_v = n.attrs.get_float("min", -std::numeric_limits<float>::infinity());
          hi = n.attrs.get_float("max", hi);
        } else {
          if (n.inputs.size() < 2 || !scalar(n.inputs[1], &lo_v)) continue;
          if (n.inputs.size() >= 3 && n.inputs[2] >= 0 && !scalar(n.inputs[2], &hi)) continue;
        }
        if (lo_v != 0.0f || !(hi > 0.0f)) continue;
      }
      const int y = n.inputs[0];
      auto pr = producer.find(y);
      if (pr == producer.end() || uses[static_cast<size_t>(y)] != 1) continue;
      const NodePlan& pp = plan.nodes[static_cast<size_t>(pr->second)];
      if (!pp.quant || pp.kind == Kind::kDirect || pp.out != y || user_keep.count(pr->second)) continue;
      plan.nodes[r].quant = false;
      plan.alias[n.outputs[0]] = y;
      plan.clamp_hi[y] = hi;
    }
    for (NodePlan& np : plan.nodes)
      for (int& a : np.act_in) {
        auto it = plan.alias.find(a);
        if (it != plan.alias.end()) a = it->second;
      }
  }
  std::vector<int> needed;
  {
    std::set<int> s;
    for (const NodePlan& np : plan.nodes)
      if (np.quant) {
        for (int a : np.act_in) s.insert(a);
        s.insert(np.out);
      }
    needed.assign(s.begin(), s.end());
  }
  say(o, "calibrating " + std::to_string(needed.size()) + " tensors on " + std::to_string(calibration.size()) +
             " sample(s)");
  std::map<int, TensorStats> stats;
  for (int id : needed) {
    TensorStats& st = stats[id];
    if (val(g, id).is_initializer) update_minmax(st, val(g, id).initializer);
  }
  EI_RETURN_IF_ERROR(for_each_tensor(prepared, needed, calibration, o.threads,
                                     [&](int id, const Tensor& t) { update_minmax(stats[id], t); }));
  // Nodes on non-float tensors (shape arithmetic) or tensors never seen stay as they are.
  for (NodePlan& np : plan.nodes) {
    if (!np.quant) continue;
    std::vector<int> ids = np.act_in;
    ids.push_back(np.out);
    for (int id : ids)
      if (stats[id].dtype != DataType::kFloat32) np.quant = false;
  }
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    if (!plan.nodes[i].quant) continue;
    std::vector<int> ids = plan.nodes[i].act_in;
    ids.push_back(plan.nodes[i].out);
    for (int id : ids)
      if (!stats[id].finite)
        return invalid_argument(g.nodes[i].error_prefix() + "tensor '" + val(g, id).name +
                                "' holds NaN or infinity on the calibration data");
  }
  if (o.method != Method::kMinMax) {
    std::vector<int> hist_ids;
    for (int id : needed) {
      TensorStats& st = stats[id];
      if (st.dtype != DataType::kFloat32 || val(g, id).is_initializer || st.min > st.max) continue;
      st.hist = std::make_unique<AbsHistogram>(std::max(std::fabs(st.min), std::fabs(st.max)));
      hist_ids.push_back(id);
    }
    EI_RETURN_IF_ERROR(for_each_tensor(prepared, hist_ids, calibration, o.threads, [&](int id, const Tensor& t) {
      if (stats[id].hist && t.dtype() == DataType::kFloat32) stats[id].hist->add(t.data<float>(), t.numel());
    }));
  }
  const bool sym = o.activations == DataType::kInt8;
  for (int id : needed) {
    TensorStats& st = stats[id];
    if (st.dtype != DataType::kFloat32) continue;
    float lo = st.min <= st.max ? st.min : 0.0f, hi = st.min <= st.max ? st.max : 0.0f;
    if (st.hist) {
      double total = 0;
      for (double c : st.hist->counts) total += c;
      // The KL search needs a populated histogram: on a few thousand values (small tensors, few
      // samples) it clips real values as outliers, so those keep their min/max.
      const bool sparse = total < 8.0 * static_cast<double>(st.hist->counts.size());
      const float t = o.method == Method::kPercentile ? percentile_threshold(*st.hist, o.percentile)
                      : sparse                         ? std::numeric_limits<float>::infinity()
                                                       : entropy_threshold(*st.hist);
      lo = std::max(lo, -t);
      hi = std::min(hi, t);
    }
    auto ch = plan.clamp_hi.find(id);
    if (ch != plan.clamp_hi.end()) {  // a folded Relu/Clip: its output range
      lo = 0.0f;
      hi = std::max(0.0f, std::min(hi, ch->second));
    }
    QParams p;
    p.dtype = o.activations;
    p.scale.resize(1);
    p.zero_point.resize(1);
    Status s = compute_qparams(lo, hi, o.activations, sym, &p.scale[0], &p.zero_point[0]);
    if (!s.is_ok()) return s.with_context("tensor '" + val(g, id).name + "': ");
    plan.act[id] = p;
  }
  // Data-movement ops keep their input's parameters, so they stay exact in the integer domain.
  for (size_t i = 0; i < plan.nodes.size(); ++i)
    if (plan.nodes[i].quant && plan.nodes[i].kind == Kind::kDirect)
      plan.act[plan.nodes[i].out] = plan.act[plan.nodes[i].act_in[0]];

  say(o, "ranges done; writing the " + std::string(o.format == Format::kQDQ ? "QDQ" : "QOperator") + " model");
  EI_ASSIGN_OR_RETURN(Model q, emit(prepared, plan, o));
  say(o, "measuring the output error on the calibration set");
  EI_ASSIGN_OR_RETURN(auto ref_out, run_model(model, calibration, o.threads));
  {
    EI_ASSIGN_OR_RETURN(auto got, run_model(q, calibration, o.threads));
    rep.output_rel_error = outputs_error(ref_out, got);
  }
  if (o.auto_exclude && rep.output_rel_error > o.target) {
    say(o, "auto: all layers quantized gives relative error " + std::to_string(rep.output_rel_error) +
               " > target " + std::to_string(o.target) + "; measuring layer sensitivity");
    // Per-layer error of each quantized node's output against fp32 (both models keep the original
    // output names as float tensors); a node's sensitivity is its error minus its inputs' error.
    std::vector<int> cand, outs;
    for (size_t i = 0; i < plan.nodes.size(); ++i)
      if (active(plan, i)) {
        cand.push_back(static_cast<int>(i));
        outs.push_back(plan.nodes[i].out);
      }
    std::map<std::string, std::pair<double, double>> acc;  // name -> (err2, ref2)
    std::map<std::string, std::vector<Tensor>> ref_vals;
    EI_RETURN_IF_ERROR(for_each_tensor(prepared, outs, calibration, o.threads, [&](int id, const Tensor& t) {
      ref_vals[val(g, id).name].push_back(t);
    }));
    std::vector<int> q_ids;
    for (int id : outs) {
      const int qi = q.graph.find_value(val(g, id).name);
      if (qi >= 0) q_ids.push_back(qi);
    }
    std::map<std::string, size_t> seen;
    EI_RETURN_IF_ERROR(for_each_tensor(q, q_ids, calibration, o.threads, [&](int id, const Tensor& t) {
      const std::string& name = q.graph.values[static_cast<size_t>(id)].name;
      size_t k = seen[name]++;
      auto& v = ref_vals[name];
      if (k < v.size()) accumulate(t, v[k], &acc[name].first, &acc[name].second);
    }));
    std::map<int, double> err;  // value id (prepared) -> rel error
    for (int id : outs) err[id] = rel_l2(acc[val(g, id).name].first, acc[val(g, id).name].second);
    std::vector<std::pair<double, int>> order;
    for (int i : cand) {
      double in_err = 0;
      for (int a : g.nodes[static_cast<size_t>(i)].inputs)
        if (err.count(a)) in_err = std::max(in_err, err[a]);
      const double sens = err[plan.nodes[static_cast<size_t>(i)].out] - in_err;
      rep.layer_sensitivity[g.nodes[static_cast<size_t>(i)].name] = sens;
      order.push_back({sens, i});
    }
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    auto evaluate = [&](size_t k, Model* out_model) -> Result<double> {
      Plan p2 = plan;
      for (size_t j = 0; j < k && j < order.size(); ++j) p2.keep_float.insert(order[j].second);
      EI_ASSIGN_OR_RETURN(Model m2, emit(prepared, p2, o));
      EI_ASSIGN_OR_RETURN(auto got, run_model(m2, calibration, o.threads));
      const double e = outputs_error(ref_out, got);
      say(o, "auto: " + std::to_string(k) + " layer(s) in float -> relative error " + std::to_string(e));
      if (out_model) *out_model = std::move(m2);
      return e;
    };
    // Smallest k meeting the target: doubling, then bisection (the error falls, roughly monotonically,
    // as more layers stay in float).
    size_t lo = 0, hi = 1;
    double hi_err = 0;
    for (;;) {
      if (hi >= order.size()) { hi = order.size(); EI_ASSIGN_OR_RETURN(hi_err, evaluate(hi, nullptr)); break; }
      EI_ASSIGN_OR_RETURN(hi_err, evaluate(hi, nullptr));
      if (hi_err <= o.target) break;
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      EI_ASSIGN_OR_RETURN(double e, evaluate(mid, nullptr));
      if (e <= o.target) hi = mid;
      else lo = mid;
    }
    EI_ASSIGN_OR_RETURN(rep.output_rel_error, evaluate(hi, &q));
    for (size_t j = 0; j < hi; ++j) {
      plan.keep_float.insert(order[j].second);
      rep.kept_float.push_back(g.nodes[static_cast<size_t>(order[j].second)].name);
    }
    (void)hi_err;
  }
  rep.quantized_nodes = count_quantized(plan);
  return q;
}

}  // namespace edgeinfer::quant
