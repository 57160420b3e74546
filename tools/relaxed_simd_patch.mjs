#!/usr/bin/env node
// Post-link step of the relaxed-SIMD wasm variant: Emscripten 3.1.6 (LLVM 14, binaryen 108) cannot
// emit relaxed SIMD's i32x4.relaxed_dot_i8x16_i7x16_add_s, so the kernels call an import of the same
// stack signature, (v128, v128, v128) -> v128 (kernels/simd.h); this rewrites each call to that import
// into the instruction, in place in the linked .wasm, through WABT's text form (npm wabt).
//
//   node tools/relaxed_simd_patch.mjs FILE.wasm
//
// The import is found by its signature: it is the only imported function that takes v128 (JS cannot
// pass v128, so Emscripten never imports one otherwise). Fails if none is found or no call is rewritten,
// so a variant that silently lost its relaxed kernels cannot be shipped.
import fs from 'node:fs';
import wabtInit from 'wabt';

const file = process.argv[2];
if (!file) {
  console.error('usage: relaxed_simd_patch.mjs FILE.wasm');
  process.exit(2);
}
const wabt = await wabtInit();
const features = {
  simd: true, threads: true, relaxed_simd: true, bulk_memory: true, sign_extension: true,
  mutable_globals: true, sat_float_to_int: true, multi_value: true, reference_types: true,
};
const input = fs.readFileSync(file);
const mod = wabt.readWasm(input, { readDebugNames: true, ...features });
mod.generateNames();
mod.applyNames();
let text = mod.toText({ foldExprs: false, inlineExport: false });
mod.destroy();

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const types = [...text.matchAll(/\(type (\$\S+) \(func \(param v128 v128 v128\) \(result v128\)\)\)/g)].map((m) => m[1]);
const imports = [...text.matchAll(/\(import "[^"]*" "[^"]*" \(func (\$\S+) \(type (\$\S+)\)\)\)/g)]
  .filter((m) => types.includes(m[2])).map((m) => m[1]);
if (imports.length !== 1) {
  console.error(`relaxed_simd_patch: expected one imported (v128, v128, v128) -> v128 function in ${file}, found ${imports.length}`);
  process.exit(1);
}
let calls = 0;
text = text.replace(new RegExp(`\\bcall ${escape(imports[0])}(?=\\s)`, 'g'), () => {
  calls++;
  return 'i32x4.relaxed_dot_i8x16_i7x16_add_s';
});
if (calls === 0) {
  console.error(`relaxed_simd_patch: no call to ${imports[0]} in ${file}`);
  process.exit(1);
}
const out = wabt.parseWat(file, text, features);
out.resolveNames();
out.validate(features);
const { buffer } = out.toBinary({ write_debug_names: false });
out.destroy();
fs.writeFileSync(file, buffer);
console.log(`relaxed_simd_patch: ${file}: ${calls} calls -> i32x4.relaxed_dot_i8x16_i7x16_add_s (${input.length} -> ${buffer.length} bytes)`);
