#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>

#include "ops/op.h"
#include "runtime/thread_pool.h"

namespace edgeinfer::testing {

Tensor random_f32(const Shape& shape, uint32_t seed, float lo, float hi) {
  Tensor t = Tensor::allocate(DataType::kFloat32, shape).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

Tensor random_int(DataType dtype, const Shape& shape, uint32_t seed, int64_t lo, int64_t hi) {
  Tensor t = Tensor::allocate(dtype, shape).value();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    int64_t v = dist(rng);
    switch (dtype) {
      case DataType::kInt64: t.data<int64_t>()[i] = v; break;
      case DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
      case DataType::kUint8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
      case DataType::kBool: t.data<bool>()[i] = v != 0; break;
      default: ADD_FAILURE() << "random_int: unsupported dtype " << dtype_name(dtype); return t;
    }
  }
  return t;
}

Shape random_shape(int rank, uint32_t seed, int64_t lo, int64_t hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  Shape s(static_cast<size_t>(rank));
  for (auto& d : s) d = dist(rng);
  return s;
}

namespace {
double element_as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.data<float>()[i];
    case DataType::kFloat64: return t.data<double>()[i];
    default: return static_cast<double>(get_int(t, i));
  }
}
}  // namespace

::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, float atol, float rtol) {
  if (actual.dtype() != expected.dtype())
    return ::testing::AssertionFailure() << "dtype " << dtype_name(actual.dtype()) << " != expected "
                                         << dtype_name(expected.dtype());
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << shape_to_string(actual.shape()) << " != expected "
                                         << shape_to_string(expected.shape());
  const bool is_float = actual.dtype() == DataType::kFloat32 || actual.dtype() == DataType::kFloat64;
  int64_t bad = 0, first_bad = -1;
  double worst = 0.0;
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = element_as_double(actual, i), e = element_as_double(expected, i);
    bool ok;
    if (is_float) {
      if (std::isnan(e)) ok = std::isnan(a);
      else if (std::isinf(e)) ok = a == e;
      else ok = std::fabs(a - e) <= atol + rtol * std::fabs(e);
    } else {
      ok = a == e;
    }
    if (!ok) {
      if (first_bad < 0) first_bad = i;
      ++bad;
      worst = std::max(worst, std::fabs(a - e));
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << actual.numel() << " elements differ (max abs diff "
                                       << worst << "); first at flat index " << first_bad << ": actual "
                                       << element_as_double(actual, first_bad) << " expected "
                                       << element_as_double(expected, first_bad);
}

Attribute attr_int(const std::string& name, int64_t v) {
  Attribute a; a.name = name; a.type = AttrType::kInt; a.i = v; return a;
}
Attribute attr_float(const std::string& name, float v) {
  Attribute a; a.name = name; a.type = AttrType::kFloat; a.f = v; return a;
}
Attribute attr_string(const std::string& name, const std::string& v) {
  Attribute a; a.name = name; a.type = AttrType::kString; a.s = v; return a;
}
Attribute attr_ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a; a.name = name; a.type = AttrType::kInts; a.ints = std::move(v); return a;
}
Attribute attr_floats(const std::string& name, std::vector<float> v) {
  Attribute a; a.name = name; a.type = AttrType::kFloats; a.floats = std::move(v); return a;
}
Attribute attr_tensor(const std::string& name, Tensor t) {
  Attribute a; a.name = name; a.type = AttrType::kTensor; a.t = std::move(t); return a;
}
Attributes attrs(std::vector<Attribute> list) {
  Attributes out;
  for (Attribute& a : list) out.set(std::move(a));
  return out;
}

Result<std::vector<Tensor>> run_op(const OpSpec& spec) {
  const OpRegistration* reg = find_op(spec.domain, spec.op_type);
  if (!reg) return unsupported("op '" + spec.op_type + "' is not registered");
  Node node;
  node.name = "test_" + spec.op_type;
  node.op_type = spec.op_type;
  node.domain = spec.domain;
  node.attrs = spec.attributes;

  const size_t n_in = spec.inputs.size();
  KernelInit init;
  init.node = &node;
  init.opset = spec.opset;
  init.num_outputs = spec.num_outputs;
  init.present.resize(n_in);
  init.constants.assign(n_in, nullptr);
  for (size_t i = 0; i < n_in; ++i) {
    init.present[i] = !spec.inputs[i].empty();
    bool is_const = std::find(spec.constant_inputs.begin(), spec.constant_inputs.end(), static_cast<int>(i)) !=
                    spec.constant_inputs.end();
    if (is_const && init.present[i]) init.constants[i] = &spec.inputs[i];
  }
  EI_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, reg->create(init));

  std::vector<TensorInfo> infos(n_in);
  std::vector<const TensorInfo*> info_ptrs(n_in, nullptr);
  for (size_t i = 0; i < n_in; ++i) {
    if (!init.present[i]) continue;
    infos[i] = TensorInfo{spec.inputs[i].dtype(), spec.inputs[i].shape()};
    info_ptrs[i] = &infos[i];
  }
  // The runtime infers once while planning (constants known) and, when that defers, again at run
  // time with every input's value. Mirror that.
  InferContext planning(node, spec.opset, info_ptrs, init.constants, std::vector<bool>(spec.num_outputs, true));
  Status st = kernel->infer(planning);
  std::vector<TensorInfo> out_infos;
  std::vector<bool> dynamic(static_cast<size_t>(spec.num_outputs), false);
  if (st.code() == StatusCode::kDeferred) {
    std::vector<const Tensor*> all_values(n_in, nullptr);
    for (size_t i = 0; i < n_in; ++i)
      if (init.present[i]) all_values[i] = &spec.inputs[i];
    InferContext at_run(node, spec.opset, info_ptrs, all_values, std::vector<bool>(spec.num_outputs, true));
    EI_RETURN_IF_ERROR(kernel->infer(at_run).with_context(node.error_prefix()));
    out_infos = at_run.outputs();
    for (int i = 0; i < spec.num_outputs; ++i) dynamic[static_cast<size_t>(i)] = at_run.output_dynamic(i);
    st = Status::ok();
    planning.request_scratch(at_run.scratch_bytes());
  } else {
    EI_RETURN_IF_ERROR(st.with_context(node.error_prefix()));
    out_infos = planning.outputs();
    for (int i = 0; i < spec.num_outputs; ++i) dynamic[static_cast<size_t>(i)] = planning.output_dynamic(i);
  }

  std::vector<Tensor> outputs(static_cast<size_t>(spec.num_outputs));
  std::vector<Tensor*> out_ptrs;
  for (int i = 0; i < spec.num_outputs; ++i) {
    if (!dynamic[static_cast<size_t>(i)]) {
      EI_ASSIGN_OR_RETURN(outputs[static_cast<size_t>(i)],
                          Tensor::allocate(out_infos[static_cast<size_t>(i)].dtype, out_infos[static_cast<size_t>(i)].shape));
    }
    out_ptrs.push_back(&outputs[static_cast<size_t>(i)]);
  }
  std::vector<const Tensor*> in_ptrs(n_in, nullptr);
  for (size_t i = 0; i < n_in; ++i)
    if (init.present[i]) in_ptrs[i] = &spec.inputs[i];
  std::vector<uint8_t> scratch(planning.scratch_bytes() + 64);
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~uintptr_t{63});
  ThreadPool pool(spec.num_threads);
  RunContext run(node, in_ptrs, out_ptrs, aligned, planning.scratch_bytes(), &pool, nullptr);
  EI_RETURN_IF_ERROR(kernel->run(run).with_context(node.error_prefix()));
  return outputs;
}

}  // namespace edgeinfer::testing
