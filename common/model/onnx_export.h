// The ONNX exporter's entry point: a space's network for an architecture,
// with trained weights (a checkpoint) or freshly initialised ones, as ONNX
// bytes. Used by `edgenas export --format onnx` (via model_export.h) and by
// the device agent's ONNX and external-command runners. Neither LibTorch nor
// protobuf headers here.
#ifndef EDGENAS_COMMON_MODEL_ONNX_EXPORT_H_
#define EDGENAS_COMMON_MODEL_ONNX_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/space_registry.h"

namespace edgenas {

struct OnnxExportOptions {
  // Input shape [batch, in_channels, height, width] and the class count:
  // the job's (common/datasets.h InputShapeOf). A space whose architectures
  // choose their resolution exports its own height and width (the network's
  // real input; see OnnxModel::input_dims).
  int batch = 1;
  int in_channels = 0;
  int height = 0;
  int width = 0;
  int num_classes = 0;
  // Seed of the initial weights when no checkpoint is given.
  uint64_t seed = 0;
  // A symbolic batch dimension (ONNX dim_param "batch", onnx_graph.h
  // kOnnxDynamicBatch) instead of `batch`, which is then not read: the model
  // runs at any batch.
  bool dynamic_batch = false;
};

struct OnnxModel {
  std::string bytes;                // serialized ONNX ModelProto
  std::string input_name;           // "input"
  // [batch, in_channels, height, width]: what the network takes (its own
  // resolution where the space's architectures choose one); batch is -1
  // when the options ask for a dynamic batch.
  std::vector<int64_t> input_dims;
  std::string output_name;           // "logits"
  std::vector<int64_t> output_dims;  // [batch, num_classes], batch -1 when dynamic
  int64_t params = 0;               // trainable parameters of the network
};

// Builds `arch` in `space`, loads `checkpoint` (the worker's format, see
// checkpoint.h) or, when it is empty, keeps the seeded initial weights, and
// exports it through the space's ONNX exporter (space_networks.h). INVALID_ARGUMENT for a
// space without an ONNX exporter, a bad architecture or shape (options.batch
// below 1 without dynamic_batch names options.batch); DATA_LOSS when
// the checkpoint does not fit; INTERNAL when LibTorch or ONNX fails.
absl::StatusOr<OnnxModel> ExportOnnx(const SpaceConfig& space, const std::string& arch,
                                     const std::string& checkpoint,
                                     const OnnxExportOptions& options);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_ONNX_EXPORT_H_
