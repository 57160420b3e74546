// Delta updates on a real model: PP-OCRv4 det (models/cache, from models/prepare.sh, which the test
// command runs first) with one conv layer's weights changed in place, the way a fine-tuned layer
// ships. Only the chunks around that layer may change.
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

#include "bundle/bundle.h"
#include "bundle/files.h"
#include "bundle_fixtures.h"
#include "onnx/onnx_loader.h"

namespace edgeinfer::bundle {
namespace {

using bundle_test::temp_dir;

struct Located {
  size_t offset = 0, size = 0;
};

// The largest rank-4 float32 weight (an initializer or a Constant node's value), located in the file
// by its bytes; the bytes must occur exactly once.
Result<Located> largest_conv_weight(const std::vector<uint8_t>& file) {
  EI_ASSIGN_OR_RETURN(Model model, load_onnx_model(file.data(), file.size()));
  const Tensor* best = nullptr;
  auto consider = [&](const Tensor& t) {
    if (t.dtype() == DataType::kFloat32 && t.rank() == 4 && (!best || t.nbytes() > best->nbytes())) best = &t;
  };
  for (const Value& v : model.graph.values)
    if (v.is_initializer) consider(v.initializer);
  for (const Node& n : model.graph.nodes)
    if (n.op_type == "Constant")
      if (const Attribute* a = n.attrs.find("value")) consider(a->t);
  if (!best) return invalid_argument("no rank-4 float weight");
  const auto* hay = file.data();
  const auto* needle = static_cast<const uint8_t*>(best->raw());
  const void* at = memmem(hay, file.size(), needle, best->nbytes());
  if (!at) return invalid_argument("weight bytes not found in the file (not raw_data?)");
  Located loc{static_cast<size_t>(static_cast<const uint8_t*>(at) - hay), best->nbytes()};
  if (memmem(hay + loc.offset + 1, file.size() - loc.offset - 1, needle, best->nbytes()))
    return invalid_argument("weight bytes occur twice");
  return loc;
}

TEST(BundleRealModel, OneConvLayerChangedInPpocrDetDownloadsOnlyItsChunks) {
  const std::string path = bundle_test::repo_root() + "/models/cache/ppocr_det.onnx";
  auto file = read_file_bytes(path);
  ASSERT_TRUE(file.is_ok()) << file.status().to_string() << " (run models/prepare.sh first)";
  auto loc = largest_conv_weight(file.value());
  ASSERT_TRUE(loc.is_ok()) << loc.status().to_string();

  std::vector<uint8_t> one = file.value(), layer = file.value();
  float* w1 = reinterpret_cast<float*>(one.data() + loc->offset);  // raw_data offsets are not aligned:
  float v;                                                         // copy through memcpy
  std::memcpy(&v, w1 + loc->size / 8, 4);
  v += 0.01f;
  std::memcpy(w1 + loc->size / 8, &v, 4);
  for (size_t i = 0; i < loc->size; i += 4) {
    std::memcpy(&v, layer.data() + loc->offset + i, 4);
    v *= 1.01f;
    std::memcpy(layer.data() + loc->offset + i, &v, 4);
  }

  PackOptions o;
  o.name = "ppocr-det";
  o.version = "1.0.0";
  o.bench = false;
  const std::string base = temp_dir(), d_one = temp_dir(), d_layer = temp_dir();
  ASSERT_TRUE(pack_bundle(file.value(), o, base).is_ok());
  o.version = "1.0.1";
  ASSERT_TRUE(pack_bundle(one, o, d_one).is_ok());
  ASSERT_TRUE(pack_bundle(layer, o, d_layer).is_ok());

  auto a = diff_bundles(base, d_one);
  auto b = diff_bundles(base, d_layer);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  std::printf("ppocr_det %zu bytes, %zu chunks; conv weight of %zu bytes at %zu\n", file->size(), a->new_chunks,
              loc->size, loc->offset);
  std::printf("  one element changed: download %zu chunks, %llu bytes (%.2f%%)\n", a->download_chunks,
              static_cast<unsigned long long>(a->download_bytes), 100 * a->ratio());
  std::printf("  whole layer changed: download %zu chunks, %llu bytes (%.2f%%)\n", b->download_chunks,
              static_cast<unsigned long long>(b->download_bytes), 100 * b->ratio());
  const uint64_t max_chunk = ChunkingParams().max_size;
  EXPECT_LE(a->download_chunks, 2u);
  EXPECT_LT(a->ratio(), 0.06);
  // The changed bytes plus at most one chunk's worth on each side.
  EXPECT_LE(b->download_bytes, loc->size + 2 * max_chunk);
  EXPECT_LT(b->ratio(), 0.25);
  EXPECT_TRUE(verify_bundle(d_layer, nullptr).ok());
}

}  // namespace
}  // namespace edgeinfer::bundle
