#include "common/model/onnx_writer.h"

#include <cstring>
#include <exception>
#include <set>
#include <string>
#include <utility>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"

namespace edgenas {
namespace {

static_assert(sizeof(float) == 4, "ONNX FLOAT is IEEE-754 binary32");
#if defined(ABSL_IS_BIG_ENDIAN)
#error "raw_data must be little-endian: byte-swap before writing on this target"
#endif

// Writes `info` as a float tensor value; a dimension with a dim_params name
// is symbolic. INVALID_ARGUMENT for a negative fixed dimension, a symbolic
// one whose dims entry is not -1, or dim_params of another length.
absl::Status SetShape(const OnnxValueInfo& info, onnx::ValueInfoProto* value) {
  if (!info.dim_params.empty() && info.dim_params.size() != info.dims.size()) {
    return absl::InvalidArgumentError(absl::StrCat("onnx value ", info.name, ": ",
                                                   info.dim_params.size(), " dim_params for ",
                                                   info.dims.size(), " dims"));
  }
  value->set_name(info.name);
  onnx::TypeProto_Tensor* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  onnx::TensorShapeProto* shape = tensor->mutable_shape();
  for (size_t i = 0; i < info.dims.size(); ++i) {
    const bool symbolic = !info.dim_params.empty() && !info.dim_params[i].empty();
    if (symbolic ? info.dims[i] != -1 : info.dims[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("onnx value ", info.name, ": dimension ", i, " is ", info.dims[i],
                       symbolic ? " (a symbolic dimension is -1)" : " (negative)"));
    }
    if (symbolic) {
      shape->add_dim()->set_dim_param(info.dim_params[i]);
    } else {
      shape->add_dim()->set_dim_value(info.dims[i]);
    }
  }
  return absl::OkStatus();
}

void SetAttribute(const OnnxAttribute& in, onnx::AttributeProto* out) {
  out->set_name(in.name);
  switch (in.type) {
    case OnnxAttribute::Type::kInt:
      out->set_type(onnx::AttributeProto_AttributeType_INT);
      out->set_i(in.i);
      break;
    case OnnxAttribute::Type::kInts:
      out->set_type(onnx::AttributeProto_AttributeType_INTS);
      for (int64_t v : in.ints) out->add_ints(v);
      break;
    case OnnxAttribute::Type::kFloat:
      out->set_type(onnx::AttributeProto_AttributeType_FLOAT);
      out->set_f(in.f);
      break;
  }
}

absl::Status SetInitializer(const OnnxInitializer& in, onnx::TensorProto* out) {
  int64_t count = 1;
  for (int64_t d : in.dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("onnx initializer ", in.name, ": negative dimension ", d));
    }
    count *= d;
  }
  if (count != static_cast<int64_t>(in.values.size())) {
    return absl::InvalidArgumentError(absl::StrCat("onnx initializer ", in.name, ": dims hold ",
                                                   count, " values, got ", in.values.size()));
  }
  out->set_name(in.name);
  out->set_data_type(onnx::TensorProto_DataType_FLOAT);
  for (int64_t d : in.dims) out->add_dims(d);
  std::string raw(in.values.size() * sizeof(float), '\0');
  if (!raw.empty()) std::memcpy(raw.data(), in.values.data(), raw.size());
  out->set_raw_data(std::move(raw));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SerializeOnnxGraph(const OnnxGraph& graph) {
  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("edgenas");
  model.set_doc_string(graph.doc);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);

  onnx::GraphProto* g = model.mutable_graph();
  g->set_name(graph.name);
  if (absl::Status s = SetShape(graph.input, g->add_input()); !s.ok()) return s;
  if (absl::Status s = SetShape(graph.output, g->add_output()); !s.ok()) return s;
  for (const OnnxInitializer& init : graph.initializers) {
    if (absl::Status s = SetInitializer(init, g->add_initializer()); !s.ok()) return s;
  }
  for (const OnnxNode& node : graph.nodes) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(node.op_type);
    n->set_name(node.name);
    for (const std::string& in : node.inputs) n->add_input(in);
    for (const std::string& out : node.outputs) n->add_output(out);
    for (const OnnxAttribute& a : node.attributes) SetAttribute(a, n->add_attribute());
  }

  // ONNX's checker: every input defined before use, names unique (SSA),
  // attributes and arities valid for the declared opset.
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("onnx checker: ", e.what()));
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    return absl::InternalError("onnx: ModelProto serialization failed (over 2 GiB?)");
  }
  return bytes;
}

absl::StatusOr<std::string> AddOnnxMetadata(const std::string& model, const OnnxMetadata& props) {
  onnx::ModelProto proto;
  if (!proto.ParseFromString(model)) {
    return absl::InvalidArgumentError("onnx metadata: the model bytes are not a ModelProto");
  }
  std::set<std::string> keys;
  for (const onnx::StringStringEntryProto& e : proto.metadata_props()) keys.insert(e.key());
  for (const auto& [key, value] : props) {
    if (key.empty() || !keys.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("onnx metadata: key \"", key, "\" is empty or repeated"));
    }
    onnx::StringStringEntryProto* entry = proto.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    return absl::InternalError("onnx: ModelProto serialization failed (over 2 GiB?)");
  }
  return bytes;
}

absl::StatusOr<OnnxMetadata> ReadOnnxMetadata(const std::string& model) {
  onnx::ModelProto proto;
  if (!proto.ParseFromString(model)) {
    return absl::InvalidArgumentError("onnx metadata: the model bytes are not a ModelProto");
  }
  OnnxMetadata props;
  for (const onnx::StringStringEntryProto& e : proto.metadata_props()) {
    props.emplace_back(e.key(), e.value());
  }
  return props;
}

}  // namespace edgenas
