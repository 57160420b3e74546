#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgeinfer {
namespace {

using namespace edgeinfer::testing;

Result<std::vector<Tensor>> einsum(const std::string& eq, std::vector<Tensor> inputs, int threads = 1) {
  OpSpec s;
  s.op_type = "Einsum";
  s.opset = 12;
  s.inputs = std::move(inputs);
  s.attributes = attrs({attr_string("equation", eq)});
  s.num_threads = threads;
  return run_op(s);
}

// Naive einsum for explicit equations without ellipsis: loops over every assignment of all labels.
Tensor naive(const std::string& eq, const std::vector<Tensor>& xs) {
  const size_t arrow = eq.find("->");
  std::vector<std::string> terms;
  std::string lhs = eq.substr(0, arrow), out = eq.substr(arrow + 2);
  size_t st = 0;
  while (true) {
    size_t c = lhs.find(',', st);
    terms.push_back(lhs.substr(st, c == std::string::npos ? std::string::npos : c - st));
    if (c == std::string::npos) break;
    st = c + 1;
  }
  std::map<char, int64_t> size;
  for (size_t i = 0; i < terms.size(); ++i)
    for (size_t d = 0; d < terms[i].size(); ++d) size[terms[i][d]] = std::max(size[terms[i][d]], xs[i].dim(static_cast<int>(d)));
  std::vector<char> labels;
  for (auto& kv : size) labels.push_back(kv.first);
  Shape os;
  for (char c : out) os.push_back(size[c]);
  Tensor y = Tensor::allocate(DataType::kFloat32, os).value();
  std::map<char, int64_t> idx;
  int64_t total = 1;
  for (char c : labels) total *= size[c];
  for (int64_t t = 0; t < total; ++t) {
    int64_t rem = t;
    for (size_t i = labels.size(); i-- > 0;) { idx[labels[i]] = rem % size[labels[i]]; rem /= size[labels[i]]; }
    double v = 1;
    for (size_t i = 0; i < terms.size(); ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < terms[i].size(); ++d) {
        const int64_t dim = xs[i].dim(static_cast<int>(d));
        off = off * dim + (dim == 1 ? 0 : idx[terms[i][d]]);
      }
      v *= xs[i].data<float>()[off];
    }
    int64_t o = 0;
    for (char c : out) o = o * size[c] + idx[c];
    y.data<float>()[o] += static_cast<float>(v);
  }
  return y;
}

struct Case {
  std::string eq;
  std::vector<Shape> shapes;
};

TEST(EinsumOp, ExplicitFormsMatchNaive) {
  const std::vector<Case> cases = {
      {"ij,jk->ik", {{3, 5}, {5, 4}}},
      {"bij,bjk->bik", {{2, 3, 7}, {2, 7, 5}}},
      {"ij->ji", {{4, 9}}},
      {"i,j->ij", {{5}, {3}}},
      {"ij->i", {{4, 6}}},
      {"ij->", {{4, 6}}},
      {"ijk->kji", {{2, 3, 4}}},
      {"bhqd,bhkd->bhqk", {{1, 2, 3, 8}, {1, 2, 5, 8}}},
      {"bhqk,bhkd->bhqd", {{2, 2, 3, 5}, {2, 2, 5, 4}}},
      {"i,i->", {{7}, {7}}},
      {"i,i->i", {{7}, {7}}},
      {"ij,kj->ikj", {{3, 2}, {4, 2}}},
      {"abc,cd->abd", {{2, 1, 3}, {3, 5}}},
      {"ij,jk->k", {{3, 4}, {4, 2}}},
      {"ijk,jl->il", {{2, 3, 4}, {3, 5}}},
      {"bij,bjk->bik", {{1, 3, 4}, {3, 4, 2}}},  // batch dim broadcast
      {"nchw,c->nhw", {{2, 3, 4, 5}, {3}}},
      {"IJ,JK->KI", {{3, 4}, {4, 2}}},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    std::vector<Tensor> xs;
    for (const Shape& s : c.shapes) xs.push_back(random_f32(s, seed++));
    auto got = einsum(c.eq, xs);
    ASSERT_TRUE(got.is_ok()) << c.eq << ": " << got.status().to_string();
    EXPECT_TENSOR_NEAR(got.value()[0], naive(c.eq, xs), 1e-5f, 1e-5f) << c.eq;
    auto two = einsum(c.eq, xs, 2);
    ASSERT_TRUE(two.is_ok());
    EXPECT_TENSOR_EQ(two.value()[0], got.value()[0]);
  }
}

TEST(EinsumOp, ImplicitOutputAndSpaces) {
  Tensor a = random_f32({3, 4}, 1), b = random_f32({4, 5}, 2);
  auto got = einsum("ij,jk", {a, b});  // -> ik
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], naive("ij,jk->ik", {a, b}), 1e-5f, 1e-5f);
  got = einsum("ji", {a});  // -> ij, i.e. a transpose of the input read as [j, i]
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_NEAR(got.value()[0], naive("ji->ij", {a}), 0, 0);
  got = einsum("ba,ca", {a, random_f32({2, 4}, 3)});  // -> bc
  ASSERT_TRUE(got.is_ok());
  EXPECT_EQ(got.value()[0].shape(), (Shape{3, 2}));
  got = einsum(" i j , j k -> i k ", {a, b});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_NEAR(got.value()[0], naive("ij,jk->ik", {a, b}), 1e-5f, 1e-5f);
}

TEST(EinsumOp, Ellipsis) {
  Tensor a = random_f32({2, 3, 4, 5}, 4), b = random_f32({2, 3, 5, 6}, 5);
  auto got = einsum("...ij,...jk->...ik", {a, b});
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], naive("xyij,xyjk->xyik", {a, b}), 1e-5f, 1e-5f);
  // Broadcast ellipsis of different ranks; implicit output puts ellipsis dims first.
  Tensor c = random_f32({5, 6}, 6);
  got = einsum("...ij,jk", {a, c});
  ASSERT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TENSOR_NEAR(got.value()[0], naive("xyij,jk->xyik", {a, c}), 1e-5f, 1e-5f);
  got = einsum("i...->...i", {a});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_NEAR(got.value()[0], naive("ixyz->xyzi", {a}), 0, 0);
  got = einsum("...i->...", {a});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_NEAR(got.value()[0], naive("xyzi->xyz", {a}), 1e-5f, 1e-5f);
}

TEST(EinsumOp, IntegerAndErrors) {
  Tensor a = Tensor::from_vector<int64_t>({2, 2}, {1, 2, 3, 4}), b = Tensor::from_vector<int64_t>({2, 2}, {5, 6, 7, 8});
  auto got = einsum("ij,jk->ik", {a, b});
  ASSERT_TRUE(got.is_ok());
  EXPECT_TENSOR_EQ(got.value()[0], Tensor::from_vector<int64_t>({2, 2}, {19, 22, 43, 50}));
  Tensor f = random_f32({3, 3}, 1);
  auto diag = einsum("ii->i", {f});
  ASSERT_FALSE(diag.is_ok());
  EXPECT_EQ(diag.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(diag.status().message().find("ii->i"), std::string::npos);
  auto three = einsum("ij,jk,kl->il", {f, f, f});
  EXPECT_EQ(three.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(three.status().message().find("ij,jk,kl->il"), std::string::npos);
  EXPECT_FALSE(einsum("ij,jk->ik", {f, random_f32({4, 2}, 2)}).is_ok());  // contraction mismatch
  EXPECT_FALSE(einsum("ijk->i", {f}).is_ok());                            // rank mismatch
  EXPECT_FALSE(einsum("ij->iz", {f}).is_ok());                            // unknown output label
  EXPECT_FALSE(einsum("ij->ii", {f}).is_ok());
  EXPECT_FALSE(einsum("i1->i", {f}).is_ok());
  EXPECT_FALSE(einsum("ij,jk->ik", {f}).is_ok());                         // operand count
}

}  // namespace
}  // namespace edgeinfer
