#include "core/npy.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Builds a v1 .npy image from a header dict and raw data, padded the way numpy pads.
std::vector<uint8_t> make_npy(const std::string& dict, const std::vector<uint8_t>& data, int major = 1) {
  std::string header = dict;
  const size_t prelude = major == 1 ? 10 : 12;
  const size_t total = prelude + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const uint32_t hl = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < prelude - 8; ++i) out.push_back(static_cast<uint8_t>(hl >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Result<Tensor> parse(const std::vector<uint8_t>& b) { return parse_npy(b.data(), b.size(), "test.npy"); }

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

void expect_error(const Result<Tensor>& r, StatusCode code, const std::string& fragment) {
  ASSERT_FALSE(r.is_ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().to_string();
  EXPECT_NE(r.status().message().find("test.npy"), std::string::npos) << "error must name the file: "
                                                                      << r.status().to_string();
}

// Bytes written by numpy 1.24: np.lib.format.write_array(f, np.arange(3, dtype=np.float64), version=(2, 0)).
const char* kNumpyF64V2 =
    "934e554d50590200740000007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c"
    "20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020"
    "20202020202020202020202020202020202020202020200a0000000000000000000000000000f03f0000000000000040";
// np.lib.format.write_array(f, np.arange(3, dtype=np.int16), version=(3, 0)).
const char* kNumpyI16V3 =
    "934e554d50590300740000007b276465736372273a20273c6932272c2027666f727472616e5f6f72646572273a2046616c73652c"
    "20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020"
    "20202020202020202020202020202020202020202020200a000001000200";

TEST(Npy, ParsesNumpyV2AndV3Files) {
  auto f64 = parse(from_hex(kNumpyF64V2));
  ASSERT_TRUE(f64.is_ok()) << f64.status().to_string();
  EXPECT_EQ(f64->dtype(), DataType::kFloat64);
  EXPECT_EQ(f64->shape(), Shape({3}));
  EXPECT_EQ(f64->data<double>()[0], 0.0);
  EXPECT_EQ(f64->data<double>()[1], 1.0);
  EXPECT_EQ(f64->data<double>()[2], 2.0);

  auto i16 = parse(from_hex(kNumpyI16V3));
  ASSERT_TRUE(i16.is_ok()) << i16.status().to_string();
  EXPECT_EQ(i16->dtype(), DataType::kInt16);
  EXPECT_EQ(i16->shape(), Shape({3}));
  EXPECT_EQ(i16->data<int16_t>()[2], 2);
}

TEST(Npy, ParsesNumpyV1Header) {
  // Exactly numpy 1.24's header for np.arange(6, dtype=np.float32).reshape(2, 3).
  std::vector<float> values = {0, 1, 2, 3, 4, 5};
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  dict.append(117 - dict.size(), ' ');
  auto b = make_npy(dict, bytes_of(values));
  ASSERT_EQ(b.size(), 152u);
  auto t = parse(b);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->shape(), Shape({2, 3}));
  EXPECT_TENSOR_EQ(*t, Tensor::from_vector<float>({2, 3}, values));
}

TEST(Npy, HeaderVariants) {
  // Key order, double quotes, no trailing comma, Python 2 longs and list shapes are all valid.
  std::vector<int32_t> v = {7, -8};
  for (const std::string dict : {"{'shape': (2,), 'fortran_order': False, 'descr': '<i4'}",
                                 "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (2L,)}",
                                 "{'descr':'<i4','fortran_order':False,'shape':[2]}",
                                 "{'descr': '=i4', 'fortran_order': False, 'shape': (2,), 'extra': 'ok', }"}) {
    auto t = parse(make_npy(dict, bytes_of(v)));
    ASSERT_TRUE(t.is_ok()) << dict << ": " << t.status().to_string();
    EXPECT_TENSOR_EQ(*t, Tensor::from_vector<int32_t>({2}, v));
  }
}

TEST(Npy, ScalarAndEmpty) {
  auto s = parse(make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", bytes_of(std::vector<int64_t>{42})));
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->rank(), 0);
  EXPECT_EQ(s->data<int64_t>()[0], 42);

  auto e = parse(make_npy("{'descr': '|i1', 'fortran_order': False, 'shape': (0, 4), }", {}));
  ASSERT_TRUE(e.is_ok()) << e.status().to_string();
  EXPECT_EQ(e->shape(), Shape({0, 4}));
  EXPECT_EQ(e->numel(), 0);
}

TEST(Npy, BigEndianIsConverted) {
  auto t = parse(make_npy("{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }", {0x00, 0x01, 0x01, 0x02}));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->dtype(), DataType::kUint16);
  EXPECT_EQ(t->data<uint16_t>()[0], 1);
  EXPECT_EQ(t->data<uint16_t>()[1], 258);

  auto f = parse(make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", {0x3f, 0x80, 0x00, 0x00}));
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->data<float>()[0], 1.0f);
}

TEST(Npy, BoolIsCanonicalised) {
  auto t = parse(make_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", {0, 1, 7}));
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  const uint8_t* p = static_cast<const uint8_t*>(t->raw());
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[1], 1);
  EXPECT_EQ(p[2], 1);
}

template <typename T>
void round_trip(const Shape& shape, uint32_t seed) {
  auto t = Tensor::allocate(dtype_of<T>(), shape);
  ASSERT_TRUE(t.is_ok());
  T* p = t->template data<T>();
  uint32_t x = seed;
  for (int64_t i = 0; i < t->numel(); ++i) {
    x = x * 1664525u + 1013904223u;
    if constexpr (std::is_same_v<T, bool>) {
      p[i] = (x >> 16) & 1;
    } else if constexpr (std::is_floating_point_v<T>) {
      p[i] = static_cast<T>(static_cast<int32_t>(x) / 65536.0);
    } else {
      p[i] = static_cast<T>(x ^ (static_cast<uint64_t>(x) << 37));
    }
  }
  auto bytes = encode_npy(*t);
  ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
  // numpy's layout: the data starts on a 64-byte boundary and the header ends with '\n'.
  const size_t data_offset = bytes->size() - t->nbytes();
  EXPECT_EQ(data_offset % 64, 0u);
  EXPECT_EQ((*bytes)[data_offset - 1], '\n');
  auto back = parse_npy(bytes->data(), bytes->size(), "roundtrip");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->dtype(), dtype_of<T>());
  EXPECT_EQ(back->shape(), shape);
  ASSERT_EQ(back->nbytes(), t->nbytes());
  EXPECT_EQ(std::memcmp(back->raw(), t->raw(), t->nbytes()), 0) << dtype_name(dtype_of<T>());
}

TEST(Npy, RoundTripsEveryDtype) {
  for (const Shape& shape : {Shape{}, Shape{1}, Shape{5}, Shape{2, 3}, Shape{1, 3, 7, 5}, Shape{0, 3}}) {
    round_trip<float>(shape, 1);
    round_trip<double>(shape, 2);
    round_trip<int64_t>(shape, 3);
    round_trip<int32_t>(shape, 4);
    round_trip<int16_t>(shape, 5);
    round_trip<int8_t>(shape, 6);
    round_trip<uint8_t>(shape, 7);
    round_trip<uint16_t>(shape, 8);
    round_trip<uint32_t>(shape, 9);
    round_trip<uint64_t>(shape, 10);
    round_trip<bool>(shape, 11);
  }
}

TEST(Npy, EncodedHeaderMatchesNumpySyntax) {
  auto one = encode_npy(Tensor::from_vector<float>({3}, {1, 2, 3}));
  ASSERT_TRUE(one.is_ok());
  std::string h(one->begin() + 10, one->end() - 12);
  EXPECT_EQ(h.substr(0, h.find('}') + 1), "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
  auto two = encode_npy(Tensor::from_vector<uint8_t>({2, 1}, {1, 2}));
  ASSERT_TRUE(two.is_ok());
  std::string h2(two->begin() + 10, two->end() - 2);
  EXPECT_EQ(h2.substr(0, h2.find('}') + 1), "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }");
}

TEST(Npy, FileRoundTripAndMissingFile) {
  char tmpl[] = "/tmp/npy_test_XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string path = tmpl;
  Tensor t = testing::random_f32({2, 5, 3}, 17);
  ASSERT_TRUE(write_npy(path, t).is_ok());
  auto back = read_npy(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_TENSOR_EQ(*back, t);
  std::remove(path.c_str());

  auto missing = read_npy("/nonexistent/dir/x.npy");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/x.npy"), std::string::npos);
  Status w = write_npy("/nonexistent/dir/x.npy", t);
  EXPECT_FALSE(w.is_ok());
  EXPECT_NE(w.message().find("/nonexistent/dir/x.npy"), std::string::npos);
}

TEST(Npy, RejectsUnsupportedTensors) {
  Tensor empty;
  EXPECT_FALSE(encode_npy(empty).is_ok());
}

TEST(Npy, MalformedInputsFailCleanly) {
  const std::vector<uint8_t> data4 = {0, 0, 128, 63};
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
  ASSERT_TRUE(parse(make_npy(ok, data4)).is_ok());

  expect_error(parse({}), StatusCode::kInvalidArgument, "too short");
  expect_error(parse({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}), StatusCode::kInvalidArgument, "bad magic");
  auto v9 = make_npy(ok, data4);
  v9[6] = 9;
  expect_error(parse(v9), StatusCode::kUnsupported, "version 9.0");
  auto long_header = make_npy(ok, data4);
  long_header[8] = 0xff;
  long_header[9] = 0xff;
  expect_error(parse(long_header), StatusCode::kInvalidArgument, "runs past the end");
  std::vector<uint8_t> v2short = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0};
  expect_error(parse(v2short), StatusCode::kInvalidArgument, "truncated");
  auto v2huge = make_npy(ok, data4, 2);
  v2huge[11] = 0x7f;
  expect_error(parse(v2huge), StatusCode::kInvalidArgument, "implausibly large");

  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", data4)),
               StatusCode::kUnsupported, "fortran_order=True");
  expect_error(parse(make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kUnsupported, "'<c8'");
  expect_error(parse(make_npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kUnsupported, "'|O'");
  expect_error(parse(make_npy("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kUnsupported, "'<U3'");
  expect_error(parse(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kUnsupported, "structured");
  expect_error(parse(make_npy("{'descr': '!f4', 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kInvalidArgument, "byte-order");
  expect_error(parse(make_npy("{'descr': '<f4', 'shape': (1,), }", data4)), StatusCode::kInvalidArgument,
               "'fortran_order'");
  expect_error(parse(make_npy("{'fortran_order': False, 'shape': (1,), }", data4)), StatusCode::kInvalidArgument,
               "'descr'");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False}", data4)), StatusCode::kInvalidArgument,
               "'shape'");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", data4)),
               StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("{'descr': 4, 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': 1, }", data4)),
               StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), ", data4)),
               StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("['descr']", data4)), StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", data4)),
               StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("{'descr: '<f4', 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kInvalidArgument, "malformed");
  expect_error(parse(make_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data4)),
               StatusCode::kInvalidArgument, "duplicate");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data4)),
               StatusCode::kInvalidArgument, "too large");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", data4)),
               StatusCode::kInvalidArgument, "negative");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data4)),
               StatusCode::kInvalidArgument, "truncated");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", {0, 0, 128, 63, 0})),
               StatusCode::kInvalidArgument, "unexpected bytes");
  expect_error(parse(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", data4)),
               StatusCode::kResourceExhausted, "");
  expect_error(parse(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824, 1), }", data4)),
               StatusCode::kResourceExhausted, "2 GiB");
  std::string nul = ok;
  nul[3] = '\0';
  expect_error(parse(make_npy(nul, data4)), StatusCode::kInvalidArgument, "NUL");
}

TEST(Npy, EveryTruncationFailsWithoutCrashing) {
  auto full = make_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }",
                       bytes_of(std::vector<int64_t>{1, 2, 3, 4}));
  ASSERT_TRUE(parse(full).is_ok());
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> part(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_FALSE(parse_npy(part.data(), part.size(), "test.npy").is_ok()) << "prefix of " << n << " bytes";
  }
}

}  // namespace
}  // namespace edgeinfer
