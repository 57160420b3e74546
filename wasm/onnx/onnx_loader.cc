#include "onnx/onnx_loader.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>
#include <unordered_set>
#include <utility>

#include "onnx/wire_reader.h"

namespace edgeinfer {
namespace {

// Field numbers from onnx.proto (onnx/onnx.in.proto, IR version 10).
namespace model_f {
enum : uint32_t { kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kGraph = 7, kOpsetImport = 8 };
}
namespace opset_f {
enum : uint32_t { kDomain = 1, kVersion = 2 };
}
namespace graph_f {
enum : uint32_t {
  kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12, kValueInfo = 13, kSparseInitializer = 15
};
}
namespace node_f {
enum : uint32_t { kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5, kDomain = 7 };
}
namespace attr_f {
enum : uint32_t {
  kName = 1, kF = 2, kI = 3, kS = 4, kT = 5, kG = 6, kFloats = 7, kInts = 8, kStrings = 9, kTensors = 10,
  kGraphs = 11, kTp = 14, kTypeProtos = 15, kType = 20, kRefAttrName = 21, kSparseTensor = 22, kSparseTensors = 23
};
}
namespace tensor_f {
enum : uint32_t {
  kDims = 1, kDataType = 2, kSegment = 3, kFloatData = 4, kInt32Data = 5, kStringData = 6, kInt64Data = 7,
  kName = 8, kRawData = 9, kDoubleData = 10, kUint64Data = 11, kExternalData = 13, kDataLocation = 14
};
}
namespace vi_f {
enum : uint32_t { kName = 1, kType = 2 };
}
namespace type_f {
enum : uint32_t { kTensorType = 1, kSequenceType = 4, kMapType = 5, kOpaqueType = 7, kSparseTensorType = 8,
                  kOptionalType = 9 };
}
namespace tensor_type_f {
enum : uint32_t { kElemType = 1, kShape = 2 };
}
namespace shape_f {
enum : uint32_t { kDim = 1 };
}
namespace dim_f {
enum : uint32_t { kDimValue = 1, kDimParam = 2 };
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Names for the TensorProto.DataType values that DataType does not cover.
std::string onnx_dtype_name(int32_t v) {
  if (dtype_is_known(v)) return dtype_name(static_cast<DataType>(v));
  switch (v) {
    case 14: return "complex64";
    case 15: return "complex128";
    case 16: return "bfloat16";
    case 17: return "float8e4m3fn";
    case 18: return "float8e4m3fnuz";
    case 19: return "float8e5m2";
    case 20: return "float8e5m2fnuz";
    case 21: return "uint4";
    case 22: return "int4";
    case 23: return "float4e2m1";
    default: return "data type " + std::to_string(v);
  }
}

bool onnx_dtype_is_defined(int32_t v) { return v >= 1 && v <= 23; }

// ---------------------------------------------------------------------------------------------------
// TensorProto

// Fields as read; raw_data points into the input buffer. Converted to a Tensor once complete, so that
// field order does not matter and errors can name the tensor.
struct RawTensor {
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  std::string name;
  bool has_raw = false;
  const uint8_t* raw = nullptr;
  size_t raw_size = 0;
  std::vector<float> float_data;
  std::vector<int32_t> int32_data;
  std::vector<int64_t> int64_data;
  std::vector<double> double_data;
  std::vector<uint64_t> uint64_data;
  size_t string_count = 0;
  bool external = false;
  bool segmented = false;
};

Status parse_tensor(WireReader& r, RawTensor* t) {
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case tensor_f::kDims: EI_RETURN_IF_ERROR(r.read_repeated_int64("dims", &t->dims)); break;
      case tensor_f::kDataType: EI_RETURN_IF_ERROR(r.read_int32("data_type", &t->data_type)); break;
      case tensor_f::kSegment: {
        t->segmented = true;
        EI_RETURN_IF_ERROR(r.skip_field());
        break;
      }
      case tensor_f::kFloatData: EI_RETURN_IF_ERROR(r.read_repeated_float("float_data", &t->float_data)); break;
      case tensor_f::kInt32Data: EI_RETURN_IF_ERROR(r.read_repeated_int32("int32_data", &t->int32_data)); break;
      case tensor_f::kStringData: {
        const uint8_t* p;
        size_t n;
        EI_RETURN_IF_ERROR(r.read_bytes("string_data", &p, &n));
        ++t->string_count;
        break;
      }
      case tensor_f::kInt64Data: EI_RETURN_IF_ERROR(r.read_repeated_int64("int64_data", &t->int64_data)); break;
      case tensor_f::kName: EI_RETURN_IF_ERROR(r.read_string("name", &t->name)); break;
      case tensor_f::kRawData: {
        EI_RETURN_IF_ERROR(r.read_bytes("raw_data", &t->raw, &t->raw_size));
        t->has_raw = true;
        break;
      }
      case tensor_f::kDoubleData:
        EI_RETURN_IF_ERROR(r.read_repeated_double("double_data", &t->double_data));
        break;
      case tensor_f::kUint64Data:
        EI_RETURN_IF_ERROR(r.read_repeated_uint64("uint64_data", &t->uint64_data));
        break;
      case tensor_f::kExternalData: {
        WireReader entry;
        EI_RETURN_IF_ERROR(r.read_message("external_data", "StringStringEntryProto", &entry));
        t->external = true;
        break;
      }
      case tensor_f::kDataLocation: {
        int32_t loc = 0;
        EI_RETURN_IF_ERROR(r.read_int32("data_location", &loc));
        if (loc == 1) t->external = true;
        break;
      }
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  return Status::ok();
}

template <typename Dst, typename Src>
void copy_cast(const std::vector<Src>& src, Tensor* t) {
  Dst* out = t->data<Dst>();
  for (size_t i = 0; i < src.size(); ++i) out[i] = static_cast<Dst>(src[i]);
}

// `label` names the tensor in errors: "initializer 'w'", "tensor of attribute 'value'".
Result<Tensor> make_tensor(const RawTensor& rt, const std::string& label) {
  if (rt.external)
    return unsupported(label + " stores its data in an external file; external data files are not supported "
                       "yet (re-save the model with all tensors inside the .onnx file)");
  if (rt.segmented) return unsupported(label + " is split into segments, which is not supported");
  if (rt.data_type == 0) return invalid_model(label + " has no data_type");
  if (!dtype_is_known(rt.data_type)) {
    if (!onnx_dtype_is_defined(rt.data_type))
      return invalid_model(label + " has unknown data_type " + std::to_string(rt.data_type));
    return unsupported(label + " has dtype " + onnx_dtype_name(rt.data_type) + ", which is not supported");
  }
  const DataType dtype = static_cast<DataType>(rt.data_type);
  if (dtype == DataType::kString) return unsupported(label + " is a string tensor; string tensors are not supported");
  for (int64_t d : rt.dims)
    if (d < 0) return invalid_model(label + " has a negative dimension in dims " + shape_to_string(rt.dims));
  Result<int64_t> n_or = checked_numel(rt.dims);
  if (!n_or.is_ok())
    return resource_exhausted(label + " has dims " + shape_to_string(rt.dims) + " with more than 2^31 elements");
  const int64_t n = n_or.value();
  const int64_t elem = static_cast<int64_t>(dtype_size(dtype));
  if (n > kMaxTensorBytes / elem)
    return resource_exhausted(label + " has dims " + shape_to_string(rt.dims) + " and would exceed 2 GiB");
  const std::string desc = label + " (" + dtype_name(dtype) + " " + shape_to_string(rt.dims) + ")";

  // Which data field holds the values; protobuf allows only one of them to be used.
  struct Field {
    const char* name;
    size_t count;
    bool present;
  };
  const Field fields[] = {
      {"raw_data", rt.raw_size, rt.has_raw},
      {"float_data", rt.float_data.size(), !rt.float_data.empty()},
      {"int32_data", rt.int32_data.size(), !rt.int32_data.empty()},
      {"int64_data", rt.int64_data.size(), !rt.int64_data.empty()},
      {"double_data", rt.double_data.size(), !rt.double_data.empty()},
      {"uint64_data", rt.uint64_data.size(), !rt.uint64_data.empty()},
      {"string_data", rt.string_count, rt.string_count > 0},
  };
  const Field* used = nullptr;
  for (const Field& f : fields) {
    if (!f.present) continue;
    if (used) return invalid_model(desc + " has both " + used->name + " and " + f.name);
    used = &f;
  }
  if (!used) {
    if (n == 0) return Tensor::allocate(dtype, rt.dims);
    return invalid_model(desc + " has no data: expected " + std::to_string(n * elem) + " bytes");
  }
  const std::string field = used->name;
  if (field == "raw_data") {
    if (static_cast<int64_t>(rt.raw_size) != n * elem)
      return invalid_model(desc + ": raw_data has " + std::to_string(rt.raw_size) + " bytes, expected " +
                           std::to_string(n * elem));
  } else {
    // The typed field each dtype is stored in (onnx.proto TensorProto comments).
    const char* expected_field = "";
    switch (dtype) {
      case DataType::kFloat32: expected_field = "float_data"; break;
      case DataType::kInt32: case DataType::kInt16: case DataType::kInt8: case DataType::kUint16:
      case DataType::kUint8: case DataType::kBool: case DataType::kFloat16:
        expected_field = "int32_data"; break;
      case DataType::kInt64: expected_field = "int64_data"; break;
      case DataType::kFloat64: expected_field = "double_data"; break;
      case DataType::kUint32: case DataType::kUint64: expected_field = "uint64_data"; break;
      default: break;
    }
    if (field != expected_field)
      return invalid_model(desc + " stores its data in " + field + ", expected " + expected_field);
    if (static_cast<int64_t>(used->count) != n)
      return invalid_model(desc + ": " + field + " has " + std::to_string(used->count) + " elements, expected " +
                           std::to_string(n) + " (" + std::to_string(used->count * static_cast<size_t>(elem)) +
                           " bytes vs " + std::to_string(n * elem) + ")");
  }

  EI_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, rt.dims));
  if (field == "raw_data") {
    // ONNX raw_data is little-endian, as are wasm and every native target we build for.
    if (rt.raw_size) std::memcpy(t.raw(), rt.raw, rt.raw_size);
    if (dtype == DataType::kBool) {
      uint8_t* b = t.data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) b[i] = b[i] != 0;
    }
    return t;
  }
  switch (dtype) {
    case DataType::kFloat32: copy_cast<float>(rt.float_data, &t); break;
    case DataType::kInt32: copy_cast<int32_t>(rt.int32_data, &t); break;
    case DataType::kInt16: copy_cast<int16_t>(rt.int32_data, &t); break;
    case DataType::kInt8: copy_cast<int8_t>(rt.int32_data, &t); break;
    case DataType::kUint16: copy_cast<uint16_t>(rt.int32_data, &t); break;
    case DataType::kUint8: copy_cast<uint8_t>(rt.int32_data, &t); break;
    case DataType::kFloat16: copy_cast<uint16_t>(rt.int32_data, &t); break;  // the bits, one per int32
    case DataType::kBool: {
      uint8_t* b = t.data<uint8_t>();
      for (size_t i = 0; i < rt.int32_data.size(); ++i) b[i] = rt.int32_data[i] != 0;
      break;
    }
    case DataType::kInt64: copy_cast<int64_t>(rt.int64_data, &t); break;
    case DataType::kFloat64: copy_cast<double>(rt.double_data, &t); break;
    case DataType::kUint32: copy_cast<uint32_t>(rt.uint64_data, &t); break;
    case DataType::kUint64: copy_cast<uint64_t>(rt.uint64_data, &t); break;
    default: return internal_error(desc + ": unhandled dtype");
  }
  return t;
}

// ---------------------------------------------------------------------------------------------------
// ValueInfoProto / TypeProto

struct ValueInfo {
  std::string name;
  bool has_type = false;
  const char* kind = "tensor";  // "sequence", "map", ... for types the IR cannot hold
  int32_t elem_type = 0;
  bool has_shape = false;
  Shape dims;
  std::vector<std::string> dim_params;
};

Status parse_dimension(WireReader& r, ValueInfo* vi) {
  int64_t value = -1;
  std::string param;
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case dim_f::kDimValue: EI_RETURN_IF_ERROR(r.read_int64("dim_value", &value)); break;
      case dim_f::kDimParam: EI_RETURN_IF_ERROR(r.read_string("dim_param", &param)); break;
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  // Some exporters write -1 (or other negatives) for unknown dims.
  vi->dims.push_back(value < 0 ? -1 : value);
  vi->dim_params.push_back(param);
  return Status::ok();
}

Status parse_tensor_type(WireReader& r, ValueInfo* vi) {
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case tensor_type_f::kElemType: EI_RETURN_IF_ERROR(r.read_int32("elem_type", &vi->elem_type)); break;
      case tensor_type_f::kShape: {
        WireReader shape;
        EI_RETURN_IF_ERROR(r.read_message("shape", "TensorShapeProto", &shape));
        vi->has_shape = true;
        vi->dims.clear();
        vi->dim_params.clear();
        while (!shape.at_end()) {
          EI_RETURN_IF_ERROR(shape.next_field());
          if (shape.field() == shape_f::kDim) {
            WireReader dim;
            EI_RETURN_IF_ERROR(shape.read_message("dim", "Dimension", &dim));
            EI_RETURN_IF_ERROR(parse_dimension(dim, vi));
          } else {
            EI_RETURN_IF_ERROR(shape.skip_field());
          }
        }
        break;
      }
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  return Status::ok();
}

Status parse_type(WireReader& r, ValueInfo* vi) {
  vi->has_type = true;
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case type_f::kTensorType: {
        WireReader tt;
        EI_RETURN_IF_ERROR(r.read_message("tensor_type", "TypeProto.Tensor", &tt));
        vi->kind = "tensor";
        EI_RETURN_IF_ERROR(parse_tensor_type(tt, vi));
        break;
      }
      // Types the IR has no place for: remembered by kind, contents skipped.
      case type_f::kSequenceType: vi->kind = "sequence"; EI_RETURN_IF_ERROR(r.skip_field()); break;
      case type_f::kMapType: vi->kind = "map"; EI_RETURN_IF_ERROR(r.skip_field()); break;
      case type_f::kOpaqueType: vi->kind = "opaque"; EI_RETURN_IF_ERROR(r.skip_field()); break;
      case type_f::kSparseTensorType: vi->kind = "sparse tensor"; EI_RETURN_IF_ERROR(r.skip_field()); break;
      case type_f::kOptionalType: vi->kind = "optional"; EI_RETURN_IF_ERROR(r.skip_field()); break;
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  return Status::ok();
}

Status parse_value_info(WireReader& r, ValueInfo* vi) {
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case vi_f::kName: EI_RETURN_IF_ERROR(r.read_string("name", &vi->name)); break;
      case vi_f::kType: {
        WireReader type;
        EI_RETURN_IF_ERROR(r.read_message("type", "TypeProto", &type));
        EI_RETURN_IF_ERROR(parse_type(type, vi));
        break;
      }
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------------
// Graph, node, attribute

Status parse_graph(WireReader& r, bool is_subgraph, Graph* g);

Status parse_subgraph(WireReader& r, const char* field, const std::string& attr_name, std::shared_ptr<Graph>* out) {
  WireReader sub;
  EI_RETURN_IF_ERROR(r.read_message(field, "GraphProto", &sub));
  auto g = std::make_shared<Graph>();
  Status s = parse_graph(sub, /*is_subgraph=*/true, g.get());
  if (!s.is_ok())
    return s.with_context("subgraph " + (g->name.empty() ? std::string() : quoted(g->name) + " ") + "of attribute " +
                          quoted(attr_name) + ": ");
  *out = std::move(g);
  return Status::ok();
}

Status parse_attribute(WireReader& r, Attribute* a) {
  bool has_f = false, has_i = false, has_s = false, has_t = false, has_g = false;
  RawTensor raw_t;
  std::vector<RawTensor> raw_tensors;
  int32_t type = 0;
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case attr_f::kName: EI_RETURN_IF_ERROR(r.read_string("name", &a->name)); break;
      case attr_f::kF: EI_RETURN_IF_ERROR(r.read_float("f", &a->f)); has_f = true; break;
      case attr_f::kI: EI_RETURN_IF_ERROR(r.read_int64("i", &a->i)); has_i = true; break;
      case attr_f::kS: EI_RETURN_IF_ERROR(r.read_string("s", &a->s)); has_s = true; break;
      case attr_f::kT: {
        WireReader tr;
        EI_RETURN_IF_ERROR(r.read_message("t", "TensorProto", &tr));
        raw_t = RawTensor();
        EI_RETURN_IF_ERROR(parse_tensor(tr, &raw_t));
        has_t = true;
        break;
      }
      case attr_f::kG: EI_RETURN_IF_ERROR(parse_subgraph(r, "g", a->name, &a->g)); has_g = true; break;
      case attr_f::kFloats: EI_RETURN_IF_ERROR(r.read_repeated_float("floats", &a->floats)); break;
      case attr_f::kInts: EI_RETURN_IF_ERROR(r.read_repeated_int64("ints", &a->ints)); break;
      case attr_f::kStrings: {
        std::string s;
        EI_RETURN_IF_ERROR(r.read_string("strings", &s));
        a->strings.push_back(std::move(s));
        break;
      }
      case attr_f::kTensors: {
        WireReader tr;
        EI_RETURN_IF_ERROR(r.read_message("tensors", "TensorProto", &tr));
        raw_tensors.emplace_back();
        EI_RETURN_IF_ERROR(parse_tensor(tr, &raw_tensors.back()));
        break;
      }
      case attr_f::kGraphs: {
        a->graphs.emplace_back();
        EI_RETURN_IF_ERROR(parse_subgraph(r, "graphs", a->name, &a->graphs.back()));
        break;
      }
      case attr_f::kType: EI_RETURN_IF_ERROR(r.read_int32("type", &type)); break;
      case attr_f::kRefAttrName:
        return unsupported("attribute " + quoted(a->name) +
                           " refers to a function attribute (ref_attr_name); functions are not supported");
      case attr_f::kTp:
      case attr_f::kTypeProtos:
        return unsupported("attribute " + quoted(a->name) + " holds type protos, which are not supported");
      case attr_f::kSparseTensor:
      case attr_f::kSparseTensors:
        return unsupported("attribute " + quoted(a->name) + " holds sparse tensors, which are not supported");
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  if (a->name.empty()) return invalid_model("attribute without a name at byte " + std::to_string(r.byte_offset()));
  const std::string label = "attribute " + quoted(a->name);
  if (type == 0) {
    // Producers older than IR version 2 leave type unset: infer it from the field that is present.
    if (!a->graphs.empty()) type = static_cast<int32_t>(AttrType::kGraphs);
    else if (!raw_tensors.empty()) type = static_cast<int32_t>(AttrType::kTensors);
    else if (!a->strings.empty()) type = static_cast<int32_t>(AttrType::kStrings);
    else if (!a->ints.empty()) type = static_cast<int32_t>(AttrType::kInts);
    else if (!a->floats.empty()) type = static_cast<int32_t>(AttrType::kFloats);
    else if (has_g) type = static_cast<int32_t>(AttrType::kGraph);
    else if (has_t) type = static_cast<int32_t>(AttrType::kTensor);
    else if (has_s) type = static_cast<int32_t>(AttrType::kString);
    else if (has_i) type = static_cast<int32_t>(AttrType::kInt);
    else if (has_f) type = static_cast<int32_t>(AttrType::kFloat);
    else return invalid_model(label + " has no type and no value");
  }
  if (type >= static_cast<int32_t>(AttrType::kSparseTensor) && type <= static_cast<int32_t>(AttrType::kTypeProtos))
    return unsupported(label + " has type " + std::to_string(type) +
                       " (sparse tensors or type protos), which is not supported");
  if (type < 1 || type > static_cast<int32_t>(AttrType::kTypeProtos))
    return invalid_model(label + " has unknown type " + std::to_string(type));
  a->type = static_cast<AttrType>(type);
  if (a->type == AttrType::kTensor) {
    if (!has_t) return invalid_model(label + " has type TENSOR but no tensor");
    std::string tl = "tensor " + (raw_t.name.empty() ? std::string() : quoted(raw_t.name) + " ") + "of " + label;
    EI_ASSIGN_OR_RETURN(a->t, make_tensor(raw_t, tl));
  }
  if (a->type == AttrType::kGraph && !a->g) return invalid_model(label + " has type GRAPH but no graph");
  if (a->type == AttrType::kTensors) {
    a->tensors.reserve(raw_tensors.size());
    for (size_t k = 0; k < raw_tensors.size(); ++k) {
      EI_ASSIGN_OR_RETURN(Tensor t, make_tensor(raw_tensors[k], "tensor #" + std::to_string(k) + " of " + label));
      a->tensors.push_back(std::move(t));
    }
  }
  return Status::ok();
}

struct RawNode {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<Attribute> attrs;
};

std::string node_label(const RawNode& n, size_t index) {
  const std::string name = n.name.empty() ? n.op_type + "_" + std::to_string(index) : n.name;
  return "node " + quoted(name) + " (" + n.op_type + "): ";
}

// Far above any operator's needs; bounds the quadratic duplicate-name checks.
constexpr size_t kMaxAttributes = 1024;

Status parse_node(WireReader& r, size_t index, RawNode* n) {
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case node_f::kInput: {
        n->inputs.emplace_back();
        EI_RETURN_IF_ERROR(r.read_string("input", &n->inputs.back()));
        break;
      }
      case node_f::kOutput: {
        n->outputs.emplace_back();
        EI_RETURN_IF_ERROR(r.read_string("output", &n->outputs.back()));
        break;
      }
      case node_f::kName: EI_RETURN_IF_ERROR(r.read_string("name", &n->name)); break;
      case node_f::kOpType: EI_RETURN_IF_ERROR(r.read_string("op_type", &n->op_type)); break;
      case node_f::kDomain: EI_RETURN_IF_ERROR(r.read_string("domain", &n->domain)); break;
      case node_f::kAttribute: {
        WireReader ar;
        EI_RETURN_IF_ERROR(r.read_message("attribute", "AttributeProto", &ar));
        if (n->attrs.size() >= kMaxAttributes)
          return invalid_model(node_label(*n, index) + "more than " + std::to_string(kMaxAttributes) + " attributes");
        Attribute a;
        Status s = parse_attribute(ar, &a);
        if (!s.is_ok()) return s.with_context(node_label(*n, index));
        for (const Attribute& other : n->attrs)
          if (other.name == a.name)
            return invalid_model(node_label(*n, index) + "attribute " + quoted(a.name) + " appears twice");
        n->attrs.push_back(std::move(a));
        break;
      }
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  if (n->op_type.empty())
    return invalid_model("node #" + std::to_string(index) + (n->name.empty() ? "" : " " + quoted(n->name)) +
                         " has no op_type (it ends at byte " + std::to_string(r.byte_offset()) + ")");
  return Status::ok();
}

// Applies a declared type to a value. Returns kUnsupported for graph inputs/outputs whose type the IR
// cannot hold; value_info entries (`strict` false) just leave such values untyped.
Status apply_type(const ValueInfo& vi, const char* what, bool strict, Value* v) {
  if (!vi.has_type) return Status::ok();
  if (std::strcmp(vi.kind, "tensor") != 0) {
    if (strict) return unsupported(std::string(what) + " " + quoted(vi.name) + " has a " + vi.kind +
                                   " type; only tensors are supported");
    return Status::ok();
  }
  if (vi.elem_type != 0) {
    if (dtype_is_known(vi.elem_type)) {
      v->dtype = static_cast<DataType>(vi.elem_type);
    } else if (strict) {
      if (!onnx_dtype_is_defined(vi.elem_type))
        return invalid_model(std::string(what) + " " + quoted(vi.name) + " has unknown elem_type " +
                             std::to_string(vi.elem_type));
      return unsupported(std::string(what) + " " + quoted(vi.name) + " has dtype " + onnx_dtype_name(vi.elem_type) +
                         ", which is not supported");
    }
  }
  if (vi.has_shape) {
    v->has_shape = true;
    v->dims = vi.dims;
    v->dim_params = vi.dim_params;
  }
  return Status::ok();
}

void for_each_subgraph(const Node& n, const std::function<void(const Graph&)>& fn) {
  for (const Attribute& a : n.attrs.all()) {
    if (a.type == AttrType::kGraph && a.g) fn(*a.g);
    if (a.type == AttrType::kGraphs)
      for (const auto& g : a.graphs)
        if (g) fn(*g);
  }
}

// Reorders g->nodes (already sorted by Graph::sort_topologically) so that nodes owning subgraphs also come
// after the producers of the outer values those subgraphs use. Stable: keeps the current order where it can.
Status order_implicit_inputs(Graph* g) {
  const size_t n = g->nodes.size();
  std::vector<std::vector<int>> deps(n);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    for (int in : g->nodes[i].inputs)
      if (in >= 0 && g->values[static_cast<size_t>(in)].producer >= 0)
        deps[i].push_back(g->values[static_cast<size_t>(in)].producer);
    for_each_subgraph(g->nodes[i], [&](const Graph& sub) {
      for (const Value& v : sub.values) {
        if (!v.is_outer_scope) continue;
        const int id = g->find_value(v.name);
        if (id >= 0 && g->values[static_cast<size_t>(id)].producer >= 0) {
          deps[i].push_back(g->values[static_cast<size_t>(id)].producer);
          any = true;
        }
      }
    });
  }
  if (!any) return Status::ok();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (size_t i = 0; i < n; ++i) {
    std::sort(deps[i].begin(), deps[i].end());
    deps[i].erase(std::unique(deps[i].begin(), deps[i].end()), deps[i].end());
    for (int p : deps[i]) {
      if (p == static_cast<int>(i))
        return invalid_model(g->nodes[i].error_prefix() + "a subgraph uses one of the node's own outputs");
      ++pending[i];
      consumers[static_cast<size_t>(p)].push_back(static_cast<int>(i));
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    const int k = ready.top();
    ready.pop();
    order.push_back(k);
    for (int c : consumers[static_cast<size_t>(k)])
      if (--pending[static_cast<size_t>(c)] == 0) ready.push(c);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0)
        return invalid_model(g->nodes[i].error_prefix() +
                             "is part of a cycle in the graph (through values its subgraphs use)");
  }
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (int k : order) sorted.push_back(std::move(g->nodes[static_cast<size_t>(k)]));
  g->nodes = std::move(sorted);
  for (Value& v : g->values) v.producer = -1;
  for (size_t i = 0; i < n; ++i)
    for (int out : g->nodes[i].outputs)
      if (out >= 0) g->values[static_cast<size_t>(out)].producer = static_cast<int>(i);
  return Status::ok();
}

Status parse_graph(WireReader& r, bool is_subgraph, Graph* g) {
  std::vector<RawNode> raw_nodes;
  std::vector<std::pair<std::string, Tensor>> initializers;
  std::vector<ValueInfo> inputs, outputs, value_infos;
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case graph_f::kNode: {
        WireReader nr;
        EI_RETURN_IF_ERROR(r.read_message("node", "NodeProto", &nr));
        raw_nodes.emplace_back();
        EI_RETURN_IF_ERROR(parse_node(nr, raw_nodes.size() - 1, &raw_nodes.back()));
        break;
      }
      case graph_f::kName: EI_RETURN_IF_ERROR(r.read_string("name", &g->name)); break;
      case graph_f::kInitializer: {
        WireReader tr;
        EI_RETURN_IF_ERROR(r.read_message("initializer", "TensorProto", &tr));
        RawTensor rt;
        EI_RETURN_IF_ERROR(parse_tensor(tr, &rt));
        if (rt.name.empty())
          return invalid_model("initializer #" + std::to_string(initializers.size()) + " has no name (it ends at byte " +
                               std::to_string(r.byte_offset()) + ")");
        EI_ASSIGN_OR_RETURN(Tensor t, make_tensor(rt, "initializer " + quoted(rt.name)));
        initializers.emplace_back(rt.name, std::move(t));
        break;
      }
      case graph_f::kInput:
      case graph_f::kOutput:
      case graph_f::kValueInfo: {
        const uint32_t f = r.field();
        const char* name = f == graph_f::kInput ? "input" : f == graph_f::kOutput ? "output" : "value_info";
        std::vector<ValueInfo>& list = f == graph_f::kInput ? inputs : f == graph_f::kOutput ? outputs : value_infos;
        WireReader vr;
        EI_RETURN_IF_ERROR(r.read_message(name, "ValueInfoProto", &vr));
        list.emplace_back();
        EI_RETURN_IF_ERROR(parse_value_info(vr, &list.back()));
        break;
      }
      case graph_f::kSparseInitializer:
        return unsupported("graph " + quoted(g->name) + " has sparse initializers, which are not supported");
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }

  // Initializers first: graph inputs with the same name are constants, not inputs.
  for (auto& init : initializers) {
    if (g->find_value(init.first) >= 0) return invalid_model("initializer " + quoted(init.first) + " appears twice");
    const int id = g->add_value(init.first);
    Value& v = g->values[static_cast<size_t>(id)];
    v.is_initializer = true;
    v.dtype = init.second.dtype();
    v.has_shape = true;
    v.dims = init.second.shape();
    v.dim_params.assign(v.dims.size(), std::string());
    v.initializer = std::move(init.second);
  }
  for (const ValueInfo& vi : inputs) {
    if (vi.name.empty()) return invalid_model("a graph input has no name");
    const int existing = g->find_value(vi.name);
    if (existing >= 0 && g->values[static_cast<size_t>(existing)].is_initializer) continue;
    if (existing >= 0) return invalid_model("graph input " + quoted(vi.name) + " is listed twice");
    const int id = g->add_value(vi.name);
    EI_RETURN_IF_ERROR(apply_type(vi, "graph input", /*strict=*/true, &g->values[static_cast<size_t>(id)]));
    g->inputs.push_back(id);
  }

  // Nodes. Generated names must not collide with any explicit one.
  std::unordered_set<std::string> names;
  for (const RawNode& rn : raw_nodes)
    if (!rn.name.empty()) names.insert(rn.name);
  g->nodes.reserve(raw_nodes.size());
  for (size_t k = 0; k < raw_nodes.size(); ++k) {
    RawNode& rn = raw_nodes[k];
    Node node;
    node.op_type = std::move(rn.op_type);
    node.domain = rn.domain == "ai.onnx" ? std::string() : std::move(rn.domain);
    if (rn.name.empty()) {
      std::string base = node.op_type + "_" + std::to_string(k);
      std::string name = base;
      for (int suffix = 1; names.count(name); ++suffix) name = base + "_" + std::to_string(suffix);
      names.insert(name);
      node.name = std::move(name);
    } else {
      node.name = std::move(rn.name);
    }
    for (const std::string& in : rn.inputs) node.inputs.push_back(in.empty() ? -1 : g->add_value(in));
    for (const std::string& out : rn.outputs) node.outputs.push_back(out.empty() ? -1 : g->add_value(out));
    for (Attribute& a : rn.attrs) node.attrs.set(std::move(a));
    g->nodes.push_back(std::move(node));
  }

  for (const ValueInfo& vi : outputs) {
    if (vi.name.empty()) return invalid_model("a graph output has no name");
    const int id = g->add_value(vi.name);
    Value& v = g->values[static_cast<size_t>(id)];
    if (!v.is_initializer) {
      Value declared;
      EI_RETURN_IF_ERROR(apply_type(vi, "graph output", /*strict=*/true, &declared));
      if (declared.dtype != DataType::kUndefined) v.dtype = declared.dtype;
      if (declared.has_shape && !v.has_shape) {
        v.has_shape = true;
        v.dims = declared.dims;
        v.dim_params = declared.dim_params;
      }
    }
    g->outputs.push_back(id);
  }
  for (const ValueInfo& vi : value_infos) {
    const int id = g->find_value(vi.name);
    if (id < 0) continue;  // describes nothing this graph uses
    Value& v = g->values[static_cast<size_t>(id)];
    if (v.is_initializer) continue;
    Value declared;
    EI_RETURN_IF_ERROR(apply_type(vi, "value_info", /*strict=*/false, &declared));
    if (v.dtype == DataType::kUndefined) v.dtype = declared.dtype;
    if (!v.has_shape && declared.has_shape) {
      v.has_shape = true;
      v.dims = declared.dims;
      v.dim_params = declared.dim_params;
    }
  }

  // Scoping: a name is defined here if it is an initializer, a graph input or a node output. In a subgraph
  // every other name refers to an enclosing graph; in the main graph it is an error (reported below by
  // sort_topologically for node inputs, here for names only nested subgraphs use).
  std::vector<bool> defined(g->values.size(), false);
  for (size_t i = 0; i < g->values.size(); ++i) defined[i] = g->values[i].is_initializer;
  for (int id : g->inputs) defined[static_cast<size_t>(id)] = true;
  for (const Node& n : g->nodes)
    for (int out : n.outputs)
      if (out >= 0) defined[static_cast<size_t>(out)] = true;
  if (is_subgraph) {
    for (size_t i = 0; i < g->values.size(); ++i)
      if (!defined[i]) g->values[i].is_outer_scope = true;
  }
  for (const Node& n : g->nodes) {
    Status status;
    for_each_subgraph(n, [&](const Graph& sub) {
      for (const Value& v : sub.values) {
        if (!v.is_outer_scope || !status.is_ok()) continue;
        int id = g->find_value(v.name);
        if (id >= 0 && (defined[static_cast<size_t>(id)] || g->values[static_cast<size_t>(id)].is_outer_scope))
          continue;
        if (!is_subgraph) {
          status = invalid_model(n.error_prefix() + "subgraph " + quoted(sub.name) + " uses " + quoted(v.name) +
                                 ", which no enclosing graph defines");
          continue;
        }
        id = g->add_value(v.name);
        g->values[static_cast<size_t>(id)].is_outer_scope = true;
        defined.push_back(false);
      }
    });
    EI_RETURN_IF_ERROR(status);
  }

  EI_RETURN_IF_ERROR(g->sort_topologically());
  return order_implicit_inputs(g);
}

Status parse_opset(WireReader& r, Model* m) {
  std::string domain;
  int64_t version = 0;
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case opset_f::kDomain: EI_RETURN_IF_ERROR(r.read_string("domain", &domain)); break;
      case opset_f::kVersion: EI_RETURN_IF_ERROR(r.read_int64("version", &version)); break;
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  if (domain == "ai.onnx") domain.clear();
  if (version < 1)
    return invalid_model("opset_import of domain " + quoted(domain) + " has version " + std::to_string(version));
  m->opsets[domain] = version;
  return Status::ok();
}

}  // namespace

Result<Model> load_onnx_model(const uint8_t* data, size_t size) {
  if (data == nullptr && size != 0) return invalid_argument("null model buffer");
  WireReader r(data, size, "ModelProto");
  Model m;
  bool has_graph = false;
  while (!r.at_end()) {
    EI_RETURN_IF_ERROR(r.next_field());
    switch (r.field()) {
      case model_f::kIrVersion: EI_RETURN_IF_ERROR(r.read_int64("ir_version", &m.ir_version)); break;
      case model_f::kProducerName: EI_RETURN_IF_ERROR(r.read_string("producer_name", &m.producer_name)); break;
      case model_f::kProducerVersion:
        EI_RETURN_IF_ERROR(r.read_string("producer_version", &m.producer_version));
        break;
      case model_f::kOpsetImport: {
        WireReader opr;
        EI_RETURN_IF_ERROR(r.read_message("opset_import", "OperatorSetIdProto", &opr));
        EI_RETURN_IF_ERROR(parse_opset(opr, &m));
        break;
      }
      case model_f::kGraph: {
        if (has_graph) return r.error("second graph field");
        WireReader gr;
        EI_RETURN_IF_ERROR(r.read_message("graph", "GraphProto", &gr));
        EI_RETURN_IF_ERROR(parse_graph(gr, /*is_subgraph=*/false, &m.graph));
        has_graph = true;
        break;
      }
      default: EI_RETURN_IF_ERROR(r.skip_field());
    }
  }
  if (size == 0) return invalid_model("empty model: 0 bytes");
  if (!has_graph) return invalid_model("the model has no graph (ModelProto.graph is missing)");
  if (m.opsets.empty()) return invalid_model("the model imports no operator set (opset_import is empty)");
  return m;
}

Result<Tensor> load_onnx_tensor(const uint8_t* data, size_t size) {
  if (data == nullptr && size != 0) return invalid_argument("null tensor buffer");
  WireReader r(data, size, "TensorProto");
  RawTensor rt;
  EI_RETURN_IF_ERROR(parse_tensor(r, &rt));
  return make_tensor(rt, "tensor " + quoted(rt.name));
}

}  // namespace edgeinfer
