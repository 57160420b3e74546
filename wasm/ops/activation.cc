#include "ops/activation.h"

#include "kernels/simd.h"

namespace edgeinfer {

void Activation::apply(float* x, long n) const {
  if (kind == kNone && !has_affine()) return;
  long i = 0;
#if EDGEINFER_SIMD128
  const v128_t vs = wasm_f32x4_splat(scale), vt = wasm_f32x4_splat(shift);
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  if (kind == kRelu || kind == kClip) {
    const v128_t lo = wasm_f32x4_splat(kind == kRelu ? 0.0f : a);
    const v128_t hi = wasm_f32x4_splat(kind == kRelu ? INFINITY : b);
    for (; i + 4 <= n; i += 4) {
      v128_t v = wasm_v128_load(x + i);
      v = wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi);
      wasm_v128_store(x + i, wasm_f32x4_add(wasm_f32x4_mul(v, vs), vt));
    }
  } else if (kind == kHardSwish || kind == kHardSigmoid || kind == kLeakyRelu || kind == kNone) {
    // HardSwish: x * clamp(x / 6 + 1/2, 0, 1); HardSigmoid: clamp(a * x + b, 0, 1).
    const bool swish = kind == kHardSwish;
    const v128_t va = wasm_f32x4_splat(swish ? 1.0f / 6.0f : a), vb = wasm_f32x4_splat(swish ? 0.5f : b);
    for (; i + 4 <= n; i += 4) {
      v128_t v = wasm_v128_load(x + i);
      if (kind == kLeakyRelu) {
        v = wasm_v128_bitselect(v, wasm_f32x4_mul(v, va), wasm_f32x4_ge(v, zero));
        v = wasm_f32x4_pmax(v, vb);
      } else if (kind != kNone) {
        const v128_t h = wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_f32x4_add(wasm_f32x4_mul(v, va), vb), zero), one);
        v = swish ? wasm_f32x4_mul(v, h) : h;
      }
      wasm_v128_store(x + i, wasm_f32x4_add(wasm_f32x4_mul(v, vs), vt));
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
  else if (name == "LeakyRelu") { act.kind = kLeakyRelu; act.a = param(0, 0.01f); act.b = param(1, -INFINITY); }
  else if (name == "HardSigmoid") { act.kind = kHardSigmoid; act.a = param(0, 0.2f); act.b = param(1, 0.5f); }
  else if (name == "HardSwish") act.kind = kHardSwish;
  else if (name == "Sigmoid") act.kind = kSigmoid;
  else return unsupported("fused activation '" + name + "'");
  act.scale = param(2, 1.0f);
  act.shift = param(3, 0.0f);
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
  if (has_affine()) p.floats.insert(p.floats.end(), {scale, shift});
  attrs.set(p);
}

}  // namespace edgeinfer
