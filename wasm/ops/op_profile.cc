// Per-node timing wrapper (see op_profile.h).
#include "ops/op_profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "ops/op.h"

namespace edgeinfer {
namespace {

struct ProfileState {
  std::mutex mu;
  bool enabled = false;
  std::vector<OpProfileEntry> entries;
};

ProfileState& state() {
  static ProfileState s;
  return s;
}

std::string dims(const Shape& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out.empty() ? "scalar" : out;
}

// Attributes that change a kernel's cost for the same input shapes.
std::string attr_detail(const Node& node) {
  std::string out;
  for (const char* name : {"kernel_shape", "strides", "group", "dilations"}) {
    const Attribute* a = node.attrs.find(name);
    if (!a) continue;
    std::string v;
    if (!a->ints.empty())
      for (size_t i = 0; i < a->ints.size(); ++i) v += (i ? "x" : "") + std::to_string(a->ints[i]);
    else
      v = std::to_string(a->i);
    if (std::string(name) == "group" && v == "1") continue;
    out += std::string(" ") + name + "=" + v;
  }
  const Attribute* act = node.attrs.find("_activation");
  if (act) out += " +" + act->s;
  return out;
}

class ProfiledKernel final : public Kernel {
 public:
  ProfiledKernel(std::unique_ptr<Kernel> inner, size_t slot) : inner_(std::move(inner)), slot_(slot) {}
  Status infer(InferContext& ctx) override { return inner_->infer(ctx); }
  Status run(RunContext& ctx) override {
    const auto t0 = std::chrono::steady_clock::now();
    Status s = inner_->run(ctx);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string detail;
    for (int i = 0; i < ctx.num_inputs() && i < 2; ++i)
      if (ctx.has_input(i)) detail += (i ? " * " : "") + dims(ctx.input(i).shape());
    detail += attr_detail(ctx.node());
    ProfileState& st = state();
    std::lock_guard<std::mutex> lock(st.mu);
    if (slot_ >= st.entries.size()) st.entries.resize(slot_ + 1);
    OpProfileEntry& e = st.entries[slot_];
    e.node = ctx.node().name;
    e.op_type = ctx.node().op_type;
    e.detail = std::move(detail);
    e.ms += ms;
    e.calls += 1;
    return s;
  }
  size_t owned_bytes() const override { return inner_->owned_bytes(); }
  bool copied_constant_input(int i) const override { return inner_->copied_constant_input(i); }

 private:
  std::unique_ptr<Kernel> inner_;
  size_t slot_;
};

const OpRegistration* find_registered(const std::string& domain, const std::string& op_type) {
  for (const OpRegistration* op : all_ops())
    if (op->op_type == op_type && op->domain == domain) return op;
  return nullptr;
}

Result<std::unique_ptr<Kernel>> create_profiled(const KernelInit& init) {
  const OpRegistration* reg = find_registered(init.node->domain, init.node->op_type);
  if (!reg) return unsupported("operator " + init.node->op_type + " is not supported");
  auto k = reg->create(init);
  if (!k.is_ok()) return k;
  ProfileState& st = state();
  size_t slot;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    slot = st.entries.size();
    st.entries.emplace_back();
  }
  return std::unique_ptr<Kernel>(new ProfiledKernel(std::move(k).value(), slot));
}

}  // namespace

// Used by find_op (registry.cc): a registration per op whose factory wraps the real one.
const OpRegistration* find_profiled_op(const std::string& domain, const std::string& op_type) {
  static const std::map<const OpRegistration*, std::unique_ptr<OpRegistration>>* wrapped = [] {
    auto* m = new std::map<const OpRegistration*, std::unique_ptr<OpRegistration>>();
    for (const OpRegistration* op : all_ops())
      (*m)[op] = std::make_unique<OpRegistration>(OpRegistration{op->domain, op->op_type, &create_profiled});
    return m;
  }();
  const OpRegistration* reg = find_registered(domain, op_type);
  return reg ? wrapped->at(reg).get() : nullptr;
}

void op_profile_enable(bool on) {
  std::lock_guard<std::mutex> lock(state().mu);
  state().enabled = on;
}

bool op_profile_enabled() {
  std::lock_guard<std::mutex> lock(state().mu);
  return state().enabled;
}

void op_profile_reset() {
  ProfileState& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  for (OpProfileEntry& e : st.entries) {
    e.ms = 0;
    e.calls = 0;
  }
}

std::vector<OpProfileEntry> op_profile_entries() {
  ProfileState& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  std::vector<OpProfileEntry> out;
  for (const OpProfileEntry& e : st.entries)
    if (e.calls > 0) out.push_back(e);
  return out;
}

std::string op_profile_report(int runs, int top_nodes) {
  const std::vector<OpProfileEntry> entries = op_profile_entries();
  const double per = runs > 0 ? 1.0 / runs : 1.0;
  struct Agg {
    double ms = 0;
    int nodes = 0;
  };
  std::map<std::string, Agg> by_type;
  double total = 0;
  for (const OpProfileEntry& e : entries) {
    Agg& a = by_type[e.op_type];
    a.ms += e.ms * per;
    a.nodes += 1;
    total += e.ms * per;
  }
  std::vector<std::pair<std::string, Agg>> types(by_type.begin(), by_type.end());
  std::sort(types.begin(), types.end(), [](const auto& x, const auto& y) { return x.second.ms > y.second.ms; });
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "per op type (ms per run; sum of node times %.3f ms):\n", total);
  out += line;
  for (const auto& [type, a] : types) {
    std::snprintf(line, sizeof line, "  %-22s %10.3f ms %6.1f%% %5d nodes\n", type.c_str(), a.ms,
                  total > 0 ? 100.0 * a.ms / total : 0.0, a.nodes);
    out += line;
  }
  std::vector<OpProfileEntry> nodes = entries;
  std::sort(nodes.begin(), nodes.end(), [](const auto& x, const auto& y) { return x.ms > y.ms; });
  if (top_nodes > 0 && !nodes.empty()) {
    std::snprintf(line, sizeof line, "slowest nodes (ms per run):\n");
    out += line;
    for (int i = 0; i < top_nodes && i < static_cast<int>(nodes.size()); ++i) {
      const OpProfileEntry& e = nodes[static_cast<size_t>(i)];
      std::snprintf(line, sizeof line, "  %10.3f ms %5.1f%%  %-14s %-28s %s\n", e.ms * per,
                    total > 0 ? 100.0 * e.ms * per / total : 0.0, e.op_type.c_str(), e.node.c_str(), e.detail.c_str());
      out += line;
    }
  }
  return out;
}

}  // namespace edgeinfer
