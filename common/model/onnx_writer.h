// Writes an OnnxGraph (onnx_graph.h) as a serialized ONNX ModelProto, the
// schema of Debian's libonnx-dev, checked by ONNX's own model checker. This is
// the only place that sees ONNX's generated protobuf headers; no LibTorch.
#ifndef EDGENAS_COMMON_MODEL_ONNX_WRITER_H_
#define EDGENAS_COMMON_MODEL_ONNX_WRITER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/onnx_graph.h"

namespace edgenas {

// The ModelProto bytes of `graph` (opset kOnnxOpset, IR kOnnxIrVersion,
// producer "edgenas"; initializers as raw little-endian floats; symbolic
// input/output dimensions as dim_param). INVALID_ARGUMENT when an
// initializer's values do not fill its dims, an input or output dimension is
// malformed (OnnxValueInfo), or onnx::checker rejects the model (its message
// quoted); INTERNAL when serialization fails.
absl::StatusOr<std::string> SerializeOnnxGraph(const OnnxGraph& graph);

// Key-value pairs of a model's ModelProto.metadata_props, in order.
using OnnxMetadata = std::vector<std::pair<std::string, std::string>>;

// `model` (ModelProto bytes) with `props` appended to its metadata_props.
// INVALID_ARGUMENT when the bytes do not parse or a key is empty or
// repeated (ONNX's checker requires unique keys); INTERNAL when
// serialization fails.
absl::StatusOr<std::string> AddOnnxMetadata(const std::string& model, const OnnxMetadata& props);

// The metadata_props of `model` (ModelProto bytes), in order.
// INVALID_ARGUMENT when the bytes do not parse.
absl::StatusOr<OnnxMetadata> ReadOnnxMetadata(const std::string& model);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_ONNX_WRITER_H_
