// Optional per-node timing of Kernel::run, for `edgeinfer bench --profile` and the wasm profiler
// (tools/perf/). When enabled before a session is created, find_op() hands out factories that wrap
// each kernel in a timer; sessions created while it is off run the kernels unwrapped, so the normal
// path costs nothing. Times are wall-clock per run() call (including the kernel's own thread-pool
// fan-out), accumulated per node; the caller resets after warm-up and formats a report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgeinfer {

struct OpProfileEntry {
  std::string node;      // node name
  std::string op_type;
  std::string detail;    // input shapes of the last call and attributes that matter for cost
  double ms = 0;         // total over `calls`
  int64_t calls = 0;
};

// Process-wide switch (not thread-safe to flip while sessions are being created elsewhere).
void op_profile_enable(bool on);
bool op_profile_enabled();
void op_profile_reset();
// Entries in first-run order.
std::vector<OpProfileEntry> op_profile_entries();
// A plain-text report: time per op type (ms per run, share, node count) and the `top_nodes` slowest
// nodes, each divided by `runs`.
std::string op_profile_report(int runs, int top_nodes);

}  // namespace edgeinfer
