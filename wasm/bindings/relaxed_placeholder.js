// Import behind edgeinfer_i32x4_dot_i8x16_u8x16_add in the relaxed-SIMD variant (kernels/simd.h):
// tools/relaxed_simd_patch.mjs replaces every call to it with i32x4.relaxed_dot_i8x16_i7x16_add_s
// after linking, so it is never called; it stays an import because Emscripten 3.1.6 needs every
// undefined symbol provided.
mergeInto(LibraryManager.library, {
  edgeinfer_relaxed_dot_i8x16_i7x16_add_s: function () {
    throw new Error('edgeinfer: relaxed SIMD placeholder called; the module was not patched (tools/relaxed_simd_patch.mjs)');
  },
});
