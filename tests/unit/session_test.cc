// Runtime tests on hand-built graphs: planning, plan caching across shapes, shape arithmetic at plan
// time, arena reuse, optimizer rewrites (checked against the unoptimized graph), If, and errors.
#include "runtime/session.h"

#include <cmath>
#include <initializer_list>

#include "ops/activation.h"
#include "ops/op_profile.h"
#include "graph_builder.h"
#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::random_f32;


std::unique_ptr<Session> make_session(Model m, bool optimize = true, int threads = 1) {
  SessionOptions opts;
  opts.optimize = optimize;
  opts.num_threads = threads;
  auto s = Session::create(std::move(m), opts);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

Tensor run_one(Session& s, const std::map<std::string, Tensor>& feeds) {
  auto r = s.run(feeds);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? r.value()[0] : Tensor();
}

TEST(Session, ReluAddWithSymbolicBatchReplansPerShape) {
  Model m = GraphBuilder()
                .input("x", DataType::kFloat32, {-1, 4}, {"batch", ""})
                .initializer("b", Tensor::from_vector<float>({4}, {1, 2, 3, 4}))
                .node("Relu", {"x"}, {"r"})
                .node("Add", {"r", "b"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->inputs()[0].dim_names[0], "batch");
  for (int64_t batch : {2, 3, 2}) {
    Tensor x = random_f32({batch, 4}, static_cast<uint32_t>(batch));
    Tensor y = run_one(*s, {{"x", x}});
    Tensor expected = Tensor::allocate(DataType::kFloat32, {batch, 4}).value();
    for (int64_t i = 0; i < x.numel(); ++i)
      expected.data<float>()[i] = std::max(0.0f, x.data<float>()[i]) + static_cast<float>(i % 4 + 1);
    EXPECT_TENSOR_NEAR(y, expected, 0.0f, 0.0f);
  }
}

TEST(Session, ShapeArithmeticResolvesWhilePlanning) {
  // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): flattens all but the first dim.
  Model m = GraphBuilder()
                .input("x", DataType::kFloat32, {-1, 3, -1})
                .initializer("zero", Tensor::scalar_i64(0))
                .initializer("axes0", Tensor::from_vector<int64_t>({1}, {0}))
                .initializer("minus1", Tensor::from_vector<int64_t>({1}, {-1}))
                .node("Shape", {"x"}, {"shape"})
                .node("Gather", {"shape", "zero"}, {"n"}, {attr_int("axis", 0)})
                .node("Unsqueeze", {"n", "axes0"}, {"n1"})
                .node("Concat", {"n1", "minus1"}, {"target"}, {attr_int("axis", 0)})
                .node("Reshape", {"x", "target"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({2, 3, 5}, 1);
  Tensor y = run_one(*s, {{"x", x}});
  EXPECT_EQ(y.shape(), (Shape{2, 15}));
  EXPECT_TENSOR_NEAR(y, x.reshaped({2, 15}), 0.0f, 0.0f);
  Tensor x2 = random_f32({4, 3, 1}, 2);
  EXPECT_EQ(run_one(*s, {{"x", x2}}).shape(), (Shape{4, 3}));
}

TEST(Session, ArenaHoldsOnlyTheLiveSet) {
  GraphBuilder b;
  b.input("x", DataType::kFloat32, {1000});
  std::string prev = "x";
  for (int i = 0; i < 10; ++i) {
    std::string out = "t" + std::to_string(i);
    b.node(i % 2 ? "Neg" : "Abs", {prev}, {out});
    prev = out;
  }
  b.output(prev);
  auto s = make_session(b.build());
  ASSERT_TRUE(s);
  Tensor x = random_f32({1000}, 3);
  Tensor y = run_one(*s, {{"x", x}});
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(y.data<float>()[i], -std::fabs(x.data<float>()[i]));
  // Nine intermediates of 4000 bytes, at most two alive at once.
  EXPECT_LE(s->memory().arena_bytes, 2u * 4032u);
  EXPECT_GT(s->memory().arena_bytes, 0u);
}

Model conv_bn_relu_model(bool with_bias, const Shape& x_shape = {1, 3, 9, 7}) {
  GraphBuilder b(13);
  b.input("x", DataType::kFloat32, x_shape)
      .initializer("w", random_f32({4, 3, 3, 3}, 10))
      .initializer("scale", random_f32({4}, 11, 0.5f, 1.5f))
      .initializer("bias", random_f32({4}, 12))
      .initializer("mean", random_f32({4}, 13))
      .initializer("var", random_f32({4}, 14, 0.1f, 2.0f));
  std::vector<std::string> conv_in = {"x", "w"};
  if (with_bias) {
    b.initializer("cb", random_f32({4}, 15));
    conv_in.push_back("cb");
  }
  b.node("Conv", conv_in, {"c"}, {attr_ints("pads", {1, 1, 1, 1})})
      .node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"n"}, {attr_float("epsilon", 1e-3f)})
      .node("Relu", {"n"}, {"y"})
      .output("y");
  return b.build();
}

TEST(Session, BatchNormFoldAndReluFusionMatchUnoptimized) {
  for (bool bias : {false, true}) {
    auto plain = make_session(conv_bn_relu_model(bias), /*optimize=*/false);
    auto fused = make_session(conv_bn_relu_model(bias), /*optimize=*/true);
    ASSERT_TRUE(plain && fused);
    EXPECT_EQ(fused->info().op_counts.at("BatchNormalization"), 1);  // info describes the model as loaded
    Tensor x = random_f32({1, 3, 9, 7}, 20);
    EXPECT_TENSOR_NEAR(run_one(*fused, {{"x", x}}), run_one(*plain, {{"x", x}}), 1e-5f, 1e-4f);
  }
}

// PP-LCNet's block as exported: Conv -> Mul/Add by [1] scalars -> x * Clip(x + 3, 0, 6) / 6 ->
// Mul/Add by scalars -> 1x1 Conv -> per-channel Mul/Add.
Model lcnet_block_model() {
  GraphBuilder b(13);
  auto one = [](float v) { return Tensor::from_vector<float>({1}, {v}); };
  b.input("x", DataType::kFloat32, {1, 3, 9, 7})
      .initializer("w", random_f32({4, 3, 3, 3}, 30))
      .initializer("cb", random_f32({4}, 31))
      .initializer("s1", one(1.3f)).initializer("t1", one(-0.2f))
      .initializer("three", Tensor::scalar_f32(3.0f)).initializer("zero", Tensor::scalar_f32(0.0f))
      .initializer("six", Tensor::scalar_f32(6.0f))
      .initializer("s2", one(0.7f)).initializer("t2", one(0.4f))
      .initializer("w2", random_f32({5, 4, 1, 1}, 32))
      .initializer("s3", random_f32({1, 5, 1, 1}, 33)).initializer("t3", random_f32({5, 1, 1}, 34));
  b.node("Conv", {"x", "w", "cb"}, {"c"}, {attr_ints("pads", {1, 1, 1, 1})})
      .node("Mul", {"s1", "c"}, {"c1"})
      .node("Add", {"c1", "t1"}, {"h"})
      .node("Add", {"h", "three"}, {"h3"})
      .node("Clip", {"h3", "zero", "six"}, {"hc"})
      .node("Mul", {"h", "hc"}, {"hm"})
      .node("Div", {"hm", "six"}, {"hs"})
      .node("Mul", {"s2", "hs"}, {"a1"})
      .node("Add", {"a1", "t2"}, {"a"})
      .node("Conv", {"a", "w2"}, {"d"})
      .node("Mul", {"d", "s3"}, {"d1"})
      .node("Add", {"t3", "d1"}, {"y"})
      .output("y");
  return b.build();
}

TEST(Session, AffineFoldsAndHardSwishFusionMatchUnoptimized) {
  op_profile_enable(true);  // counts the nodes that are left
  auto fused = make_session(lcnet_block_model(), /*optimize=*/true);
  op_profile_enable(false);
  auto plain = make_session(lcnet_block_model(), /*optimize=*/false);
  ASSERT_TRUE(plain && fused);
  Tensor x = random_f32({1, 3, 9, 7}, 35, -3.0f, 3.0f);
  op_profile_reset();
  EXPECT_TENSOR_NEAR(run_one(*fused, {{"x", x}}), run_one(*plain, {{"x", x}}), 1e-5f, 1e-4f);
  std::vector<std::string> left;
  for (const OpProfileEntry& e : op_profile_entries()) left.push_back(e.op_type);
  EXPECT_EQ(left, (std::vector<std::string>{"Conv", "Conv"}));
}

// openWakeWord's block: Conv -> LeakyRelu -> Max with a [1,1,1,1] constant, twice (the second floor
// above most outputs so it matters).
TEST(Session, LeakyReluMaxFloorFusesIntoConv) {
  auto model = [] {
    GraphBuilder b(13);
    b.input("x", DataType::kFloat32, {1, 3, 8, 9})
        .initializer("w", random_f32({4, 3, 3, 1}, 50))
        .initializer("w2", random_f32({5, 4, 1, 3}, 51))
        .initializer("f", Tensor::from_vector<float>({1, 1, 1, 1}, {-0.4f}))
        .initializer("f2", Tensor::scalar_f32(0.1f));
    b.node("Conv", {"x", "w"}, {"c"})
        .node("LeakyRelu", {"c"}, {"l"}, {attr_float("alpha", 0.2f)})
        .node("Max", {"l", "f"}, {"m"})
        .node("Conv", {"m", "w2"}, {"c2"}, {attr_ints("pads", {0, 1, 0, 1})})
        .node("LeakyRelu", {"c2"}, {"l2"}, {attr_float("alpha", 0.2f)})
        .node("Max", {"f2", "l2"}, {"y"})
        .output("y");
    return b.build();
  };
  op_profile_enable(true);
  auto fused = make_session(model(), true);
  op_profile_enable(false);
  auto plain = make_session(model(), false);
  ASSERT_TRUE(plain && fused);
  Tensor x = random_f32({1, 3, 8, 9}, 52, -3.0f, 3.0f);
  op_profile_reset();
  EXPECT_TENSOR_NEAR(run_one(*fused, {{"x", x}}), run_one(*plain, {{"x", x}}), 1e-5f, 1e-4f);
  std::vector<std::string> left;
  for (const OpProfileEntry& e : op_profile_entries()) left.push_back(e.op_type);
  EXPECT_EQ(left, (std::vector<std::string>{"Conv", "Conv"}));
}

// The same ops where folding would be wrong: the Conv output has a second reader, the per-channel
// constant has the wrong length for the channel axis, and the HardSwish-like pattern uses 5.
TEST(Session, AffineFoldsLeaveNonMatchingPatterns) {
  GraphBuilder b(13);
  b.input("x", DataType::kFloat32, {1, 2, 5, 5})
      .initializer("w", random_f32({3, 2, 1, 1}, 40))
      .initializer("s", random_f32({1, 3, 1, 1}, 41))
      .initializer("bad", random_f32({3, 1, 1, 1}, 42))
      .initializer("three", Tensor::scalar_f32(3.0f)).initializer("zero", Tensor::scalar_f32(0.0f))
      .initializer("five", Tensor::scalar_f32(5.0f)).initializer("six", Tensor::scalar_f32(6.0f));
  b.node("Conv", {"x", "w"}, {"c"})
      .node("Mul", {"c", "s"}, {"m"})
      .node("Add", {"c", "m"}, {"r"})            // c read twice: no fold
      .node("Conv", {"x", "w"}, {"c2"})
      .node("Mul", {"c2", "bad"}, {"m2"})        // [3,1,1,1] lines up with N, not with channels
      .node("Add", {"m2", "three"}, {"h3"})
      .node("Clip", {"h3", "zero", "five"}, {"hc"})
      .node("Mul", {"m2", "hc"}, {"hm"})
      .node("Div", {"hm", "six"}, {"hs"})
      .node("Add", {"r", "hs"}, {"y"})
      .output("y");
  Model m = b.build();
  Model m2 = m;
  auto fused = make_session(std::move(m), true);
  auto plain = make_session(std::move(m2), false);
  ASSERT_TRUE(plain && fused);
  Tensor x = random_f32({1, 2, 5, 5}, 43, -3.0f, 3.0f);
  EXPECT_TENSOR_NEAR(run_one(*fused, {{"x", x}}), run_one(*plain, {{"x", x}}), 1e-5f, 1e-4f);
}

TEST(Session, BatchNormFoldsIntoConvTranspose) {
  auto model = [](bool with_bias) {
    GraphBuilder b(13);
    b.input("x", DataType::kFloat32, {1, 3, 5, 6})
        .initializer("w", random_f32({3, 4, 2, 2}, 60))
        .initializer("scale", random_f32({4}, 61, 0.5f, 1.5f))
        .initializer("bias", random_f32({4}, 62))
        .initializer("mean", random_f32({4}, 63))
        .initializer("var", random_f32({4}, 64, 0.1f, 2.0f));
    std::vector<std::string> in = {"x", "w"};
    if (with_bias) {
      b.initializer("cb", random_f32({4}, 65));
      in.push_back("cb");
    }
    b.node("ConvTranspose", in, {"c"}, {attr_ints("strides", {2, 2})})
        .node("BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"n"}, {attr_float("epsilon", 1e-3f)})
        .node("Relu", {"n"}, {"y"})
        .output("y");
    return b.build();
  };
  for (bool bias : {false, true}) {
    op_profile_enable(true);
    auto fused = make_session(model(bias), true);
    op_profile_enable(false);
    auto plain = make_session(model(bias), false);
    ASSERT_TRUE(plain && fused);
    Tensor x = random_f32({1, 3, 5, 6}, 66);
    op_profile_reset();
    EXPECT_TENSOR_NEAR(run_one(*fused, {{"x", x}}), run_one(*plain, {{"x", x}}), 1e-5f, 1e-4f);
    std::vector<std::string> left;
    for (const OpProfileEntry& e : op_profile_entries()) left.push_back(e.op_type);
    EXPECT_EQ(left, (std::vector<std::string>{"ConvTranspose"}));
  }
}

TEST(Session, ConstantSubgraphsFoldAtCreation) {
  Model m = GraphBuilder()
                .input("x", DataType::kFloat32, {2, 2})
                .initializer("a", Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}))
                .node("Neg", {"a"}, {"na"})
                .node("Abs", {"na"}, {"aa"})
                .node("Mul", {"x", "aa"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor y = run_one(*s, {{"x", Tensor::from_vector<float>({2, 2}, {1, 1, 2, 2})}});
  EXPECT_TENSOR_NEAR(y, Tensor::from_vector<float>({2, 2}, {1, 2, 6, 8}), 0.0f, 0.0f);
}

TEST(Session, IfRunsTheChosenBranchWithOuterScopeValues) {
  auto branch = [](const std::string& name, float add) {
    auto g = std::make_shared<Graph>();
    g->name = name;
    int x = g->add_value("x");
    g->values[static_cast<size_t>(x)].is_outer_scope = true;
    int c = g->add_value(name + "_c");
    g->values[static_cast<size_t>(c)].is_initializer = true;
    g->values[static_cast<size_t>(c)].initializer = Tensor::scalar_f32(add);
    int y = g->add_value(name + "_y");
    g->values[static_cast<size_t>(y)].dtype = DataType::kFloat32;
    Node n;
    n.name = name + "_add";
    n.op_type = "Add";
    n.inputs = {x, c};
    n.outputs = {y};
    g->nodes.push_back(n);
    g->outputs.push_back(y);
    EXPECT_TRUE(g->sort_topologically().is_ok());
    return g;
  };
  Attribute then_attr;
  then_attr.name = "then_branch";
  then_attr.type = AttrType::kGraph;
  then_attr.g = branch("then", 10.0f);
  Attribute else_attr;
  else_attr.name = "else_branch";
  else_attr.type = AttrType::kGraph;
  else_attr.g = branch("else", -10.0f);
  Model m = GraphBuilder()
                .input("x", DataType::kFloat32, {3})
                .input("cond", DataType::kBool, {})
                .node("If", {"cond"}, {"y"}, {then_attr, else_attr})
                .node("Neg", {"y"}, {"z"})
                .output("z")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = Tensor::from_vector<float>({3}, {1, 2, 3});
  for (bool c : {true, false}) {
    Tensor cond = Tensor::from_vector<bool>({}, {c});
    Tensor z = run_one(*s, {{"x", x}, {"cond", cond}});
    float add = c ? 10.0f : -10.0f;
    EXPECT_TENSOR_NEAR(z, Tensor::from_vector<float>({3}, {-(1 + add), -(2 + add), -(3 + add)}), 0.0f, 0.0f);
  }
}

TEST(Session, FeedErrorsNameTheInput) {
  Model m = GraphBuilder().input("x", DataType::kFloat32, {-1, 4}).node("Relu", {"x"}, {"y"}).output("y").build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  auto missing = s->run({});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("'x'"), std::string::npos);

  auto wrong_dtype = s->run({{"x", Tensor::from_vector<int64_t>({1, 4}, {1, 2, 3, 4})}});
  ASSERT_FALSE(wrong_dtype.is_ok());
  EXPECT_NE(wrong_dtype.status().message().find("int64"), std::string::npos);

  auto wrong_shape = s->run({{"x", random_f32({2, 5}, 1)}});
  ASSERT_FALSE(wrong_shape.is_ok());
  EXPECT_NE(wrong_shape.status().message().find("[2,5]"), std::string::npos);

  auto unknown = s->run({{"x", random_f32({2, 4}, 1)}, {"bogus", random_f32({1}, 1)}});
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("bogus"), std::string::npos);

  // The session keeps working after errors.
  EXPECT_TRUE(s->run({{"x", random_f32({2, 4}, 1)}}).is_ok());
}

TEST(Session, UnsupportedOpFailsAtCreationNamingTheNode) {
  Model m = GraphBuilder().input("x", DataType::kFloat32, {4}).node("NoSuchOp", {"x"}, {"y"}).output("y").build();
  auto s = Session::create(std::move(m), SessionOptions{});
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("NoSuchOp_0"), std::string::npos) << s.status().message();
}

TEST(Session, ShapeErrorInFixedShapeModelFailsAtCreation) {
  Model m = GraphBuilder()
                .input("a", DataType::kFloat32, {2, 3})
                .input("b", DataType::kFloat32, {4, 5})
                .node("Add", {"a", "b"}, {"y"})
                .output("y")
                .build();
  auto s = Session::create(std::move(m), SessionOptions{});
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("Add_0"), std::string::npos) << s.status().message();
}

TEST(Session, OpsetOutOfRangeIsUnsupported) {
  GraphBuilder b(6);
  Model m = b.input("x", DataType::kFloat32, {4}).node("Relu", {"x"}, {"y"}).output("y").build();
  auto s = Session::create(std::move(m), SessionOptions{});
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
}

TEST(Session, TwoThreadsMatchOne) {
  // Big enough that the conv and the Relu share their work (small plans run on one thread).
  const Shape shape = {1, 3, 400, 401};
  auto one = make_session(conv_bn_relu_model(true, shape), true, 1);
  auto two = make_session(conv_bn_relu_model(true, shape), true, 2);
  ASSERT_TRUE(one && two);
  Tensor x = random_f32(shape, 30);
  EXPECT_TENSOR_NEAR(run_one(*two, {{"x", x}}), run_one(*one, {{"x", x}}), 0.0f, 0.0f);
#if !defined(EDGEINFER_NO_THREADS)
  EXPECT_GT(two->parallel_nodes(), 0u);
#endif
  EXPECT_EQ(one->parallel_nodes(), 0u);
}

TEST(Session, SmallPlansRunOnTheCallingThread) {
  auto two = make_session(conv_bn_relu_model(true), true, 2);
  ASSERT_TRUE(two);
  run_one(*two, {{"x", random_f32({1, 3, 9, 7}, 31)}});
  EXPECT_EQ(two->parallel_nodes(), 0u);
}

}  // namespace
}  // namespace edgeinfer
