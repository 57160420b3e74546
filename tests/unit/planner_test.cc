// Memory planning: arena offset assignment, in-place and view aliasing of outputs, scratch sized for
// the session's threads, and early release of packed weights. Every aliasing case checks the numbers
// the graph computes (a wrong alias shows up as a wrong value), and the arena size where it is exact.
#include <algorithm>
#include <cmath>
#include <random>

#include "runtime/arena_planner.h"
#include "runtime/optimizer.h"
#include "runtime/session.h"
#include "runtime/thread_pool.h"
#include "graph_builder.h"
#include "test_util.h"

namespace edgeinfer {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::random_f32;

constexpr size_t kF32x1000 = 4032;  // 1000 floats, 64-byte aligned


std::unique_ptr<Session> make_session(Model m, int threads = 1, bool optimize = true) {
  SessionOptions opts;
  opts.num_threads = threads;
  opts.optimize = optimize;
  auto s = Session::create(std::move(m), opts);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

std::vector<Tensor> run_all(Session& s, const std::map<std::string, Tensor>& feeds) {
  auto r = s.run(feeds);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? std::move(r).value() : std::vector<Tensor>();
}

Tensor map_f32(const Tensor& x, float (*f)(float)) {
  Tensor y = x.clone();
  for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = f(x.data<float>()[i]);
  return y;
}

// ---------------------------------------------------------------- offset assignment

bool valid_assignment(const std::vector<ArenaBlock>& blocks, size_t arena) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].offset + blocks[i].size > arena) return false;
    for (size_t j = i + 1; j < blocks.size(); ++j) {
      const ArenaBlock& a = blocks[i];
      const ArenaBlock& b = blocks[j];
      const bool same_time = a.first <= b.last && b.first <= a.last;
      const bool same_bytes = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
      if (same_time && same_bytes && a.size && b.size) return false;
    }
  }
  return true;
}

TEST(ArenaPlanner, RandomLifetimesNeverOverlapAndStayNearTheBound) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ArenaBlock> blocks;
    const int n = 1 + static_cast<int>(rng() % 40), steps = 1 + static_cast<int>(rng() % 30);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      ArenaBlock b;
      b.size = 64 * (1 + rng() % 100);
      b.first = static_cast<int>(rng() % static_cast<unsigned>(steps));
      b.last = b.first + static_cast<int>(rng() % 6);
      total += b.size;
      blocks.push_back(b);
    }
    const size_t arena = assign_arena_offsets(blocks);
    ASSERT_TRUE(valid_assignment(blocks, arena)) << "trial " << trial;
    EXPECT_GE(arena, arena_lower_bound(blocks));
    EXPECT_LE(arena, total);
    for (const ArenaBlock& b : blocks) EXPECT_EQ(b.offset % 64, 0u);
  }
}

TEST(ArenaPlanner, ChainsReachTheLowerBound) {
  // A producer-consumer chain of varying sizes: each block overlaps only its neighbours.
  std::vector<ArenaBlock> blocks;
  const size_t sizes[] = {640, 6400, 1280, 12800, 640, 3200, 64};
  for (int i = 0; i < 7; ++i) blocks.push_back({sizes[i], i, i + 1, 0});
  const size_t arena = assign_arena_offsets(blocks);
  EXPECT_TRUE(valid_assignment(blocks, arena));
  EXPECT_EQ(arena, arena_lower_bound(blocks));
  EXPECT_EQ(arena, 1280u + 12800u);
  std::vector<ArenaBlock> none;
  EXPECT_EQ(assign_arena_offsets(none), 0u);
}

TEST(ArenaPlanner, LongLivedSmallBlockFitsBesideTheBigOnes) {
  std::vector<ArenaBlock> blocks = {
      {1000, 0, 0, 0}, {200, 0, 2, 0}, {600, 1, 2, 0}, {400, 1, 1, 0}, {1000, 3, 3, 0},
  };
  const size_t arena = assign_arena_offsets(blocks);
  EXPECT_TRUE(valid_assignment(blocks, arena));
  EXPECT_EQ(arena, arena_lower_bound(blocks));
}

// ---------------------------------------------------------------- in-place and view aliasing

TEST(Planner, ElementwiseChainRunsInPlaceInOneBuffer) {
  GraphBuilder b;
  b.input("x", {1000});
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
  Tensor y = run_all(*s, {{"x", x}})[0];
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(y.data<float>()[i], -std::fabs(x.data<float>()[i]));
  // The first op cannot write over the caller's input and the last writes the (heap) output; the
  // eight in between share one buffer.
  EXPECT_EQ(s->memory().arena_bytes, kF32x1000);
  // The caller's input is untouched.
  Tensor again = run_all(*s, {{"x", x}})[0];
  EXPECT_TENSOR_NEAR(again, y, 0.0f, 0.0f);
}

TEST(Planner, InputReadLaterIsNotOverwritten) {
  // a = Abs(x); r = Relu(a) must not write over a, which Add reads afterwards.
  Model m = GraphBuilder()
                .input("x", {1000})
                .node("Abs", {"x"}, {"a"})
                .node("Neg", {"a"}, {"r"})
                .node("Add", {"a", "r"}, {"s"})
                .node("Sigmoid", {"s"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({1000}, 4);
  Tensor y = run_all(*s, {{"x", x}})[0];
  for (int64_t i = 0; i < 1000; ++i) ASSERT_NEAR(y.data<float>()[i], 0.5f, 1e-6f);  // sigmoid(|x| - |x|)
  // a and r are alive together; s is written over one of them.
  EXPECT_EQ(s->memory().arena_bytes, 2 * kF32x1000);
}

TEST(Planner, ViewsKeepTheirBufferAliveAndBlockWritesInPlace) {
  // v is a view of a (Reshape); Neg(a) must not write in place, because v is read later.
  Model m = GraphBuilder()
                .input("x", {10, 100})
                .initializer("flat", Tensor::from_vector<int64_t>({1}, {1000}))
                .initializer("square", Tensor::from_vector<int64_t>({2}, {10, 100}))
                .node("Abs", {"x"}, {"a"})
                .node("Reshape", {"a", "flat"}, {"v"})
                .node("Neg", {"a"}, {"n"})
                .node("Reshape", {"v", "square"}, {"v2"})
                .node("Add", {"n", "v2"}, {"s"})
                .node("Exp", {"s"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({10, 100}, 5);
  Tensor y = run_all(*s, {{"x", x}})[0];
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(y.data<float>()[i], 1.0f);
  // a, v, v2 share one buffer (views); n is the second; s is written in place.
  EXPECT_EQ(s->memory().arena_bytes, 2 * kF32x1000);
}

TEST(Planner, InPlaceThroughAViewWhenTheOriginalIsDead) {
  Model m = GraphBuilder()
                .input("x", {10, 100})
                .initializer("flat", Tensor::from_vector<int64_t>({1}, {1000}))
                .node("Abs", {"x"}, {"a"})
                .node("Reshape", {"a", "flat"}, {"v"})
                .node("Neg", {"v"}, {"n"})
                .node("Exp", {"n"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({10, 100}, 6);
  Tensor y = run_all(*s, {{"x", x}})[0];
  EXPECT_EQ(y.shape(), (Shape{1000}));
  for (int64_t i = 0; i < 1000; ++i) ASSERT_FLOAT_EQ(y.data<float>()[i], std::exp(-std::fabs(x.data<float>()[i])));
  EXPECT_EQ(s->memory().arena_bytes, kF32x1000);
}

TEST(Planner, GraphOutputsAreNeverWrittenOver) {
  // a is a graph output and also read by Neg: Neg must not write over it.
  Model m = GraphBuilder()
                .input("x", {1000})
                .node("Abs", {"x"}, {"a"})
                .node("Neg", {"a"}, {"n"})
                .node("Exp", {"n"}, {"y"})
                .output("a")
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({1000}, 7);
  auto out = run_all(*s, {{"x", x}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TENSOR_NEAR(out[0], map_f32(x, [](float v) { return std::fabs(v); }), 0.0f, 0.0f);
  EXPECT_TENSOR_NEAR(out[1], map_f32(x, [](float v) { return std::exp(-std::fabs(v)); }), 1e-6f, 1e-6f);
  // Outputs from an earlier run stay intact after the next one.
  Tensor keep = out[0];
  run_all(*s, {{"x", random_f32({1000}, 8)}});
  EXPECT_TENSOR_NEAR(keep, map_f32(x, [](float v) { return std::fabs(v); }), 0.0f, 0.0f);
}

TEST(Planner, BroadcastWritesOnlyOverTheFullSizeInput) {
  // Add(small, big): the output may take big's buffer (input 1), never small's.
  Model m = GraphBuilder()
                .input("x", {10, 100})
                .input("b", {100})
                .node("Abs", {"x"}, {"big"})
                .node("Neg", {"b"}, {"small"})
                .node("Add", {"small", "big"}, {"s"})
                .node("Exp", {"s"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({10, 100}, 9);
  Tensor bias = random_f32({100}, 10);
  Tensor y = run_all(*s, {{"x", x}, {"b", bias}})[0];
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_FLOAT_EQ(y.data<float>()[i], std::exp(std::fabs(x.data<float>()[i]) - bias.data<float>()[i % 100]));
  EXPECT_EQ(s->memory().arena_bytes, kF32x1000 + 448u);
}

TEST(Planner, RepeatedInputOfAVariadicOpBlocksWritingInPlace) {
  // Sum(t, b, t) reads its third input after writing the output: t's buffer must not be the output.
  Model m = GraphBuilder()
                .input("x", {1000})
                .input("b", {1000})
                .node("Abs", {"x"}, {"t"})
                .node("Sum", {"t", "b", "t"}, {"s"})
                .node("Neg", {"s"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({1000}, 11);
  Tensor bias = random_f32({1000}, 12);
  Tensor y = run_all(*s, {{"x", x}, {"b", bias}})[0];
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_FLOAT_EQ(y.data<float>()[i], -(2 * std::fabs(x.data<float>()[i]) + bias.data<float>()[i]));
}

TEST(Planner, SquareOfAValueRunsInPlace) {
  Model m = GraphBuilder()
                .input("x", {1000})
                .node("Abs", {"x"}, {"t"})
                .node("Mul", {"t", "t"}, {"sq"})
                .node("Neg", {"sq"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  Tensor x = random_f32({1000}, 13);
  Tensor y = run_all(*s, {{"x", x}})[0];
  for (int64_t i = 0; i < 1000; ++i) ASSERT_FLOAT_EQ(y.data<float>()[i], -(x.data<float>()[i] * x.data<float>()[i]));
  EXPECT_EQ(s->memory().arena_bytes, kF32x1000);
}

TEST(Planner, PlansPerShapeStayCorrectAcrossRuns) {
  // Alternating shapes reuse cached plans (and one arena); every result must still be right.
  Model m = GraphBuilder()
                .input("x", {-1, 8}, {"batch", ""})
                .initializer("flat", Tensor::from_vector<int64_t>({1}, {-1}))
                .node("Abs", {"x"}, {"a"})
                .node("Reshape", {"a", "flat"}, {"v"})
                .node("Neg", {"a"}, {"n"})
                .node("Reshape", {"n", "flat"}, {"nv"})
                .node("Add", {"v", "nv"}, {"s"})
                .node("Sigmoid", {"s"}, {"y"})
                .output("y")
                .build();
  auto s = make_session(std::move(m));
  ASSERT_TRUE(s);
  for (int64_t batch : {3, 50, 3, 7, 50, 1}) {
    Tensor x = random_f32({batch, 8}, static_cast<uint32_t>(20 + batch));
    Tensor y = run_all(*s, {{"x", x}})[0];
    ASSERT_EQ(y.shape(), (Shape{batch * 8}));
    for (int64_t i = 0; i < y.numel(); ++i) ASSERT_FLOAT_EQ(y.data<float>()[i], 0.5f) << "batch " << batch;
  }
}

// ---------------------------------------------------------------- scratch and weights

Model conv_model(int64_t channels, int64_t size) {
  return GraphBuilder(13)
      .input("x", {1, channels, size, size})
      .initializer("w", random_f32({channels, channels, 3, 3}, 40))
      .initializer("dw", random_f32({channels, 1, 3, 3}, 41))
      .node("Conv", {"x", "w"}, {"c"}, {attr_ints("pads", {1, 1, 1, 1})})
      .node("Conv", {"c", "dw"}, {"y"}, {attr_ints("pads", {1, 1, 1, 1}), attr_int("group", channels)})
      .output("y")
      .build();
}

TEST(Planner, ConvScratchIsSizedForTheSessionsThreads) {
  // Builds without threads (the single-threaded wasm variants) run every session on one thread.
  if (ThreadPool(2).num_threads() < 2) GTEST_SKIP() << "this build has no threads";
  auto one = make_session(conv_model(8, 40), 1);
  auto two = make_session(conv_model(8, 40), 2);
  auto four = make_session(conv_model(8, 40), 4);
  ASSERT_TRUE(one && two && four);
  Tensor x = random_f32({1, 8, 40, 40}, 42);
  Tensor y1 = run_all(*one, {{"x", x}})[0];
  EXPECT_TENSOR_NEAR(run_all(*two, {{"x", x}})[0], y1, 0.0f, 0.0f);
  EXPECT_TENSOR_NEAR(run_all(*four, {{"x", x}})[0], y1, 0.0f, 0.0f);
  EXPECT_LT(one->memory().arena_bytes, two->memory().arena_bytes);
  EXPECT_LT(two->memory().arena_bytes, four->memory().arena_bytes);
}

TEST(Planner, PackedWeightsReplaceTheOriginals) {
  // Conv packs W (and B): the originals are released, so weights count the packed copy only.
  auto s = make_session(conv_model(8, 10), 1);
  ASSERT_TRUE(s);
  const size_t w = 8 * 8 * 9 * sizeof(float), dw = 8 * 9 * sizeof(float);
  const size_t weights = s->memory().weights_bytes;
  EXPECT_GE(weights, w + dw);
  EXPECT_LT(weights, 2 * (w + dw));
}

TEST(Planner, ConstantNodeWeightsBecomeInitializersWithoutACopy) {
  // Exported models often hold their weights in Constant nodes; folding must not duplicate them.
  Tensor w = random_f32({16, 16}, 43);
  const void* data = w.raw();
  GraphBuilder b;
  b.input("x", {4, 16}).node("Constant", {}, {"w"}, {testing::attr_tensor("value", w)}).node("MatMul", {"x", "w"}, {"y"}).output("y");
  Model m = b.build();
  w = Tensor();
  auto report = optimize_graph(m.graph, m.opsets);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->folded_constants, 1);
  const int id = m.graph.find_value("w");
  ASSERT_GE(id, 0);
  const Value& v = m.graph.values[static_cast<size_t>(id)];
  ASSERT_TRUE(v.is_initializer);
  EXPECT_EQ(v.initializer.raw(), data);
  EXPECT_EQ(v.initializer.shape(), (Shape{16, 16}));
}

// x * Clip(x + 3, 0, 6) / 6 in the operand orders exporters use; `extra_output` also exposes the Clip.
Model hardswish_model(bool swap_add, bool swap_mul, bool extra_output) {
  GraphBuilder b(13);
  b.input("x", {2, 500})
      .initializer("three", Tensor::scalar_f32(3.0f))
      .initializer("zero", Tensor::scalar_f32(0.0f))
      .initializer("six", Tensor::scalar_f32(6.0f))
      .node("Abs", {"x"}, {"ax"})
      .node("Neg", {"ax"}, {"nx"})
      .node("Add", {"ax", "nx"}, {"z"})
      .node("Add", {"x", "z"}, {"xx"})  // x again, as an arena value
      .node("Add", swap_add ? std::vector<std::string>{"three", "xx"} : std::vector<std::string>{"xx", "three"}, {"a"})
      .node("Clip", {"a", "zero", "six"}, {"c"})
      .node("Mul", swap_mul ? std::vector<std::string>{"c", "xx"} : std::vector<std::string>{"xx", "c"}, {"m"})
      .node("Div", {"m", "six"}, {"y"})
      .output("y");
  if (extra_output) b.output("c");
  return b.build();
}

TEST(Planner, HardSwishSpelledOutBecomesOneNode) {
  for (bool swap_add : {false, true})
    for (bool swap_mul : {false, true})
      for (bool extra : {false, true}) {
        Model m = hardswish_model(swap_add, swap_mul, extra);
        Model plain_model = hardswish_model(swap_add, swap_mul, extra);
        auto report = optimize_graph(m.graph, m.opsets);
        ASSERT_TRUE(report.is_ok());
        int hardswish = 0;
        for (const Node& n : m.graph.nodes) hardswish += n.op_type == "HardSwish";
        EXPECT_EQ(hardswish, extra ? 0 : 1) << swap_add << swap_mul << extra;
        auto fused = make_session(hardswish_model(swap_add, swap_mul, extra));
        auto plain = make_session(std::move(plain_model), 1, /*optimize=*/false);
        ASSERT_TRUE(fused && plain);
        Tensor x = random_f32({2, 500}, 44, -8.0f, 8.0f);
        auto a = run_all(*fused, {{"x", x}});
        auto e = run_all(*plain, {{"x", x}});
        ASSERT_EQ(a.size(), e.size());
        for (size_t k = 0; k < a.size(); ++k) EXPECT_TENSOR_NEAR(a[k], e[k], 1e-6f, 1e-6f);
      }
}

}  // namespace
}  // namespace edgeinfer
