#include "ops/activation.h"

#include "kernels/simd.h"

namespace edgeinfer {

void Activation::apply(float* x, long n) const {
  if (kind == kNone) return;
  long i = 0;
#if EDGEINFER_SIMD128
  if (kind == kRelu || kind == kClip) {
    const v128_t lo = wasm_f32x4_splat(kind == kRelu ? 0.0f : a);
    const v128_t hi = wasm_f32x4_splat(kind == kRelu ? INFINITY : b);
    for (; i + 4 <= n; i += 4) {
      v128_t v = wasm_v128_load(x + i);
      wasm_v128_store(x + i, wasm_f32x4_min(wasm_f32x4_max(v, lo), hi));
    }
  }
#endif
  for (; i < n; ++i) x[i] = apply(x[i]);
}

Result<Activation> Activation::from_attrs(const Attributes& attrs) {
  Activation act;
  const std::string name = attrs.get_string("_activation", "");
  const std::vector<float> p = attrs.get_floats("_activation_params");
  auto param = [&](size_t i, float d) { return i < p.size() ? p[i] : d; };
  if (name.empty()) return act;
  if (name == "Relu") act.kind = kRelu;
  else if (name == "Clip") { act.kind = kClip; act.a = param(0, -INFINITY); act.b = param(1, INFINITY); }
  else if (name == "LeakyRelu") { act.kind = kLeakyRelu; act.a = param(0, 0.01f); }
  else if (name == "HardSigmoid") { act.kind = kHardSigmoid; act.a = param(0, 0.2f); act.b = param(1, 0.5f); }
  else if (name == "HardSwish") act.kind = kHardSwish;
  else if (name == "Sigmoid") act.kind = kSigmoid;
  else return unsupported("fused activation '" + name + "'");
  return act;
}

void Activation::to_attrs(Attributes& attrs) const {
  static const char* kNames[] = {"", "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Sigmoid"};
  if (kind == kNone) {
    attrs.erase("_activation");
    attrs.erase("_activation_params");
    return;
  }
  Attribute n;
  n.name = "_activation";
  n.type = AttrType::kString;
  n.s = kNames[kind];
  attrs.set(n);
  Attribute p;
  p.name = "_activation_params";
  p.type = AttrType::kFloats;
  p.floats = {a, b};
  attrs.set(p);
}

}  // namespace edgeinfer
