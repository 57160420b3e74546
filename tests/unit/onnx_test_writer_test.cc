// The test executable's glob only picks up *_test.cc files, so the writer is compiled into it here,
// once, for every suite that builds models in C++ (include "onnx_test_writer.h" to use it).
#include "onnx_test_writer.cc"  // NOLINT: deliberate single-TU inclusion

#include <gtest/gtest.h>

namespace edgeinfer::testing {
namespace {

TEST(OnnxTestWriter, VarintEncoding) {
  EXPECT_EQ(ProtoWriter::encode_varint(0), std::string(1, '\0'));
  EXPECT_EQ(ProtoWriter::encode_varint(1), "\x01");
  EXPECT_EQ(ProtoWriter::encode_varint(300), "\xAC\x02");
  EXPECT_EQ(ProtoWriter::encode_varint(~uint64_t{0}).size(), 10u);
  // -1 as int64 is ten bytes, as protobuf encodes negative int64/int32.
  EXPECT_EQ(ProtoWriter().int64(1, -1).data(), std::string("\x08") + std::string(9, '\xFF') + "\x01");
}

TEST(OnnxTestWriter, FieldKeysAndPacking) {
  EXPECT_EQ(ProtoWriter().varint(1, 150).data(), "\x08\x96\x01");
  EXPECT_EQ(ProtoWriter().bytes(2, "testing").data(), "\x12\x07testing");
  EXPECT_EQ(ProtoWriter().ints(4, {3, 270, 86942}).data(), "\x22\x06\x03\x8E\x02\x9E\xA7\x05");
  EXPECT_EQ(ProtoWriter().ints(4, {3, 1}, /*packed=*/false).data(), "\x20\x03\x20\x01");
  EXPECT_EQ(ProtoWriter().floats(7, {1.0f}).data(), std::string("\x3A\x04\x00\x00\x80\x3F", 6));
  EXPECT_EQ(ProtoWriter().fixed32(2, 1.0f).data(), std::string("\x15\x00\x00\x80\x3F", 5));
}

}  // namespace
}  // namespace edgeinfer::testing
