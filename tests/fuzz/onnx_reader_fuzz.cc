// libFuzzer target for the ONNX reader and session creation: any byte string must give a Model or a
// Status, and any loaded model a Session or a Status (checking, optimizing, creating kernels and the
// trial plan), never a crash, a hang, an out-of-bounds access or an allocation out of proportion.
// Build: CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DEDGEINFER_FUZZ=ON -DEDGEINFER_TESTS=OFF
//        -DEDGEINFER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C build/fuzz onnx_reader_fuzz
// Run:   tests/fuzz/run_fuzz.sh [seconds]
#include <cstddef>
#include <cstdint>

#include "ir/graph.h"
#include "onnx/onnx_loader.h"
#include "runtime/session.h"

namespace {

// Touches everything the loader produced so that ASan sees any bad pointer or size in it.
size_t walk(const edgeinfer::Graph& g, int depth) {
  size_t sum = g.values.size();
  for (const edgeinfer::Value& v : g.values) {
    if (v.is_initializer && v.initializer.nbytes() > 0) {
      const auto* p = static_cast<const uint8_t*>(v.initializer.raw());
      sum += p[0] + p[v.initializer.nbytes() - 1];
    }
    sum += v.dims.size() + v.dim_params.size();
  }
  for (const edgeinfer::Node& n : g.nodes) {
    for (int id : n.inputs)
      if (id >= 0) sum += g.values.at(static_cast<size_t>(id)).name.size();
    for (int id : n.outputs)
      if (id >= 0) sum += g.values.at(static_cast<size_t>(id)).name.size();
    for (const edgeinfer::Attribute& a : n.attrs.all()) {
      sum += a.ints.size() + a.floats.size() + a.strings.size() + a.t.nbytes();
      for (const auto& t : a.tensors) sum += t.nbytes();
      if (a.g) sum += walk(*a.g, depth + 1);
      for (const auto& s : a.graphs)
        if (s) sum += walk(*s, depth + 1);
    }
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = edgeinfer::load_onnx_model(data, size);
  if (model.is_ok()) {
    volatile size_t sink = walk(model.value().graph, 0);
    (void)sink;
    auto session = edgeinfer::Session::create(std::move(model).value(), edgeinfer::SessionOptions{});
    (void)session;
  }
  auto tensor = edgeinfer::load_onnx_tensor(data, size);
  (void)tensor;
  return 0;
}
