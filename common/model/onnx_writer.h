// Writes an OnnxGraph (onnx_graph.h) as a serialized ONNX ModelProto, the
// schema of Debian's libonnx-dev, checked by ONNX's own model checker. This is
// the only place that sees ONNX's generated protobuf headers; no LibTorch.
#ifndef EDGENAS_COMMON_MODEL_ONNX_WRITER_H_
#define EDGENAS_COMMON_MODEL_ONNX_WRITER_H_

#include <string>

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

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_ONNX_WRITER_H_
