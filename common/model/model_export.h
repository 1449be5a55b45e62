// Writes a trained network out for use outside edgenas:
//   * "torchscript": a TorchScript module (torch.jit.load in Python,
//     torch::jit::load in C++) whose forward is generated from the
//     architecture, with the trained parameters and batch-norm statistics;
//     inference semantics (batch norm in eval mode);
//   * "state_dict": a dict of the network's parameter and buffer tensors by
//     name, in the format torch.load reads (torch::pickle_save).
//   * "onnx": an ONNX model (opset 13, input "input" [1, channels, height,
//     width] — the network's own resolution where the space's architectures
//     choose one — or a symbolic batch "batch" with dynamic_batch; output
//     "logits"; see onnx_export.h) for TensorRT, OpenVINO, ONNX Runtime or
//     OpenCV DNN; inference semantics.
// Each format can carry metadata (ModelExportOptions::metadata): ONNX as
// metadata_props, TorchScript as the extra file "edgenas.json", a state dict
// as the sidecar "<out>.json".
// The header includes no protobuf; LibTorch is used in the .cc only.
#ifndef EDGENAS_COMMON_MODEL_MODEL_EXPORT_H_
#define EDGENAS_COMMON_MODEL_MODEL_EXPORT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/input_shape.h"
#include "common/space_registry.h"

namespace edgenas {

struct ModelExportOptions {
  // "onnx" only: a symbolic batch dimension instead of batch 1
  // (OnnxExportOptions::dynamic_batch). TorchScript takes any batch anyway.
  bool dynamic_batch = false;
  // Key-value pairs written with the model (e.g. "edgenas.class_names" ->
  // "[\"T-shirt/top\", ...]"): ONNX metadata_props as given; in the JSON
  // object of TorchScript's "edgenas.json" and the state dict's "<out>.json"
  // a value that is a JSON array ("[...]") appears as that array, any other
  // as a string. Keys must be unique and non-empty. None: no metadata.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// The JSON object ModelExportOptions::metadata becomes in "edgenas.json".
std::string ExportMetadataJson(const std::vector<std::pair<std::string, std::string>>& metadata);

// Builds `arch` in `space` for the job's `input` shape, loads `checkpoint`
// (bytes as the worker stores a trained network: torch::serialize archive of
// the module) and writes it to `out_path` in `format`. INVALID_ARGUMENT for
// an unknown format, space without an exporter or bad architecture, or
// options.dynamic_batch with a format other than "onnx" (naming it), or an
// empty or repeated metadata key;
// DATA_LOSS when the checkpoint does not fit the network; INTERNAL when
// LibTorch fails or the file cannot be written.
absl::Status ExportTrainedModel(const SpaceConfig& space, const std::string& arch,
                                const std::string& checkpoint, const std::string& format,
                                const std::string& out_path, const InputShape& input,
                                const ModelExportOptions& options = {});

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_MODEL_EXPORT_H_
