// The mbv3 space's ONNX capability: a built Mbv3Network (mbv3_model.h) as a
// plain OnnxGraph with its current weights, inference semantics. Batch norm
// is folded into the convolution before it (scale and shift computed in
// double from the running statistics, so each Conv carries a bias and no
// BatchNormalization node is written). The LibTorch side of the exporter;
// onnx_writer.h turns the result into ONNX bytes. No protobuf here.
#ifndef EDGENAS_SPACES_MBV3_MBV3_ONNX_H_
#define EDGENAS_SPACES_MBV3_MBV3_ONNX_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/model/onnx_graph.h"

namespace edgenas {

// The graph of `network`, which must come from BuildMbv3Network:
//   stem   Conv(3x3, stride) -> h-swish -> Conv(3x3 depthwise, group) -> Relu
//          -> Conv(1x1) -> Add(stem output)
//   block  [Conv(1x1) -> act] -> Conv(kxk depthwise, group, stride) -> act
//          -> [GlobalAveragePool -> Conv(1x1, bias) -> Relu -> Conv(1x1, bias)
//              -> HardSigmoid -> Mul(gate, x)] -> Conv(1x1) -> [Add(block input)]
//   head   Conv(1x1) -> h-swish -> GlobalAveragePool -> Flatten -> Gemm
//          -> h-swish -> Gemm -> "logits"
// where act is Relu or h-swish, h-swish is Mul(x, HardSigmoid(x)) with
// alpha 1/6 and beta 0.5 (opset 13 has no HardSwish), and every Conv but
// SE's has its batch norm folded in. The input "input" is
// [shape.batch, shape.channels, R, R] with R the network's own resolution
// (plan().resolution) whatever shape.height and shape.width say: the
// LibTorch network resizes other inputs bilinearly first, the graph leaves
// that to its caller. Output "logits" [batch, num_classes]; a symbolic batch
// when shape.batch is kOnnxDynamicBatch (OpenCV 4.6 runs such a graph with
// SE at batch 1 only: it cannot broadcast the SE gate at another batch).
// INVALID_ARGUMENT when the module is
// not such a network, or shape.batch or shape.channels do not fit it
// (naming the field); INTERNAL when LibTorch fails.
absl::StatusOr<OnnxGraph> OnnxGraphFromMbv3(const torch::nn::Module& network,
                                            const OnnxInputShape& shape);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_ONNX_H_
