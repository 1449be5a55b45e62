// A network as a plain ONNX graph description: nodes (op type, inputs,
// outputs, attributes) in topological order and float initializers. It is
// the seam between the LibTorch side (onnx_from_torch.cc walks a built
// network into it) and the protobuf side (onnx_writer.cc writes it as an
// ONNX ModelProto), so that LibTorch and protobuf headers never meet in one
// translation unit. No LibTorch, no protobuf here.
#ifndef EDGENAS_COMMON_MODEL_ONNX_GRAPH_H_
#define EDGENAS_COMMON_MODEL_ONNX_GRAPH_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace edgenas {

// The ONNX operator set the graphs use: 13 is read by OpenCV 4.6's importer,
// TensorRT 8 and OpenVINO; every op emitted (Conv, BatchNormalization, Relu,
// HardSigmoid, AveragePool, Add, Mul, GlobalAveragePool, Flatten, Gemm) has
// the same semantics from opset 11 to 13. Opset 13 has no HardSwish (it
// arrives in 14): h-swish is written x * HardSigmoid(x) with alpha 1/6,
// beta 0.5.
inline constexpr int64_t kOnnxOpset = 13;
// IR version 7 is the one that goes with opset 13.
inline constexpr int64_t kOnnxIrVersion = 7;

// A batch of kOnnxDynamicBatch makes the graph's batch dimension symbolic:
// the input and output carry ONNX dim_param kOnnxBatchParam instead of a
// number, and the model runs at any batch.
inline constexpr int64_t kOnnxDynamicBatch = -1;
inline constexpr char kOnnxBatchParam[] = "batch";

// The input shape of an exported graph: [batch, channels, height, width];
// batch >= 1, or kOnnxDynamicBatch for a symbolic batch. A space whose
// networks choose their own resolution may export another height and width
// (its exporter says so).
struct OnnxInputShape {
  int64_t batch = 1;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
};

struct OnnxAttribute {
  enum class Type { kInt, kInts, kFloat };
  std::string name;
  Type type = Type::kInt;
  int64_t i = 0;
  std::vector<int64_t> ints;
  float f = 0;

  static OnnxAttribute Int(std::string name, int64_t value) {
    OnnxAttribute a;
    a.name = std::move(name);
    a.type = Type::kInt;
    a.i = value;
    return a;
  }
  static OnnxAttribute Ints(std::string name, std::vector<int64_t> values) {
    OnnxAttribute a;
    a.name = std::move(name);
    a.type = Type::kInts;
    a.ints = std::move(values);
    return a;
  }
  static OnnxAttribute Float(std::string name, float value) {
    OnnxAttribute a;
    a.name = std::move(name);
    a.type = Type::kFloat;
    a.f = value;
    return a;
  }
};

// One operator application (default ONNX domain).
struct OnnxNode {
  std::string op_type;  // e.g. "Conv"
  std::string name;     // unique within the graph
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<OnnxAttribute> attributes;
};

// A constant float tensor (weights, batch-norm statistics), row-major.
struct OnnxInitializer {
  std::string name;
  std::vector<int64_t> dims;  // empty for a scalar
  std::vector<float> values;  // product of dims elements (1 for a scalar)
};

// A float tensor the graph reads or produces. dims[i] >= 0 is a fixed
// dimension; a dimension whose dim_params[i] is not empty is symbolic (ONNX
// dim_param of that name) and its dims[i] is -1. dim_params is empty or as
// long as dims.
struct OnnxValueInfo {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_params = {};
};

// A value whose first dimension is the batch: [batch, rest...], with a
// symbolic first dimension (kOnnxBatchParam) when batch is kOnnxDynamicBatch.
inline OnnxValueInfo BatchedValueInfo(std::string name, int64_t batch,
                                      const std::vector<int64_t>& rest) {
  OnnxValueInfo info;
  info.name = std::move(name);
  info.dims.push_back(batch == kOnnxDynamicBatch ? -1 : batch);
  info.dims.insert(info.dims.end(), rest.begin(), rest.end());
  if (batch == kOnnxDynamicBatch) {
    info.dim_params.assign(info.dims.size(), "");
    info.dim_params[0] = kOnnxBatchParam;
  }
  return info;
}

struct OnnxGraph {
  std::string name;
  std::string doc;  // free text kept in the model (what was exported, how)
  OnnxValueInfo input;
  OnnxValueInfo output;
  std::vector<OnnxNode> nodes;  // topological order
  std::vector<OnnxInitializer> initializers;
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_ONNX_GRAPH_H_
