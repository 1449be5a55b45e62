// Walks a built LibTorch network (from the model registry) into a plain
// OnnxGraph with its current weights and batch-norm statistics, inference
// semantics (batch norm uses the running statistics, as in eval mode).
// LibTorch side of the ONNX exporter; onnx_writer.h turns the result into
// ONNX bytes. No protobuf here.
#ifndef EDGENAS_SPACES_NB201_NB201_ONNX_H_
#define EDGENAS_SPACES_NB201_NB201_ONNX_H_

#include <cstdint>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/model/onnx_graph.h"

namespace edgenas {


// The graph of `network`, which must come from BuildNb201Network (stem conv
// and batch norm, a body of NB201 cells and reduction blocks, head batch
// norm, ReLU, global average pooling, linear classifier). Input "input" of
// `shape`, output "logits" [batch, num_classes] (a symbolic batch when
// shape.batch is kOnnxDynamicBatch). A cell's node sums its
// built (live) edges; a skip edge passes its source through, and a cell
// whose output has no built edge computes zeros (exported as Mul by 0).
// INVALID_ARGUMENT when the module is not such a network (naming the
// submodule) or the shape does not fit its stem; INTERNAL when LibTorch fails.
absl::StatusOr<OnnxGraph> OnnxGraphFromNb201(const torch::nn::Module& network,
                                             const OnnxInputShape& shape);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_ONNX_H_
