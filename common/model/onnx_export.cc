#include "common/model/onnx_export.h"

#include <exception>
#include <utility>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/model/checkpoint.h"
#include "common/model/model_registry.h"
#include "common/model/network_util.h"
#include "common/model/space_networks.h"
#include "common/model/onnx_writer.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

absl::StatusOr<OnnxModel> ExportChecked(const SpaceConfig& space, const std::string& arch,
                                        const std::string& checkpoint,
                                        const OnnxExportOptions& options) {
  ASSIGN_OR_RETURN(const SpaceNetworks* networks,
                   RequireNetworks(space.name, &SpaceNetworks::onnx_graph, "onnx exporter"));
  if (!options.dynamic_batch && options.batch < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options.batch: expected at least 1 (or dynamic_batch), got ", options.batch));
  }
  torch::manual_seed(options.seed);
  const InputShape input{options.in_channels, options.height, options.width,
                         options.num_classes};
  ASSIGN_OR_RETURN(torch::nn::AnyModule model, BuildModel(space, arch, input));
  if (!checkpoint.empty()) RETURN_IF_ERROR(LoadCheckpoint(checkpoint, *model.ptr(), arch));
  model.ptr()->eval();
  OnnxInputShape shape;
  shape.batch = options.dynamic_batch ? kOnnxDynamicBatch : options.batch;
  shape.channels = options.in_channels;
  shape.height = options.height;
  shape.width = options.width;
  ASSIGN_OR_RETURN(OnnxGraph graph, networks->onnx_graph(*model.ptr(), shape));
  graph.doc = absl::StrCat("edgenas ", space.name, " ", arch,
                           checkpoint.empty() ? " (initial weights, seed " : " (trained weights",
                           checkpoint.empty() ? absl::StrCat(options.seed, ")") : ")",
                           options.dynamic_batch ? ", dynamic batch" : "");
  OnnxModel out;
  ASSIGN_OR_RETURN(out.bytes, SerializeOnnxGraph(graph));
  out.input_name = graph.input.name;
  out.input_dims = graph.input.dims;
  out.output_name = graph.output.name;
  out.output_dims = graph.output.dims;
  out.params = CountParameters(*model.ptr());
  return out;
}

}  // namespace

absl::StatusOr<OnnxModel> ExportOnnx(const SpaceConfig& space, const std::string& arch,
                                     const std::string& checkpoint,
                                     const OnnxExportOptions& options) {
  try {
    return ExportChecked(space, arch, checkpoint, options);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("onnx export: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("onnx export: ", e.what()));
  }
}

}  // namespace edgenas
