// The ONNX exporter's correctness test: NB201 networks with trained-like
// weights (random parameters, non-trivial batch-norm statistics) exported
// to ONNX and run through OpenCV DNN give LibTorch's outputs on the same
// input, for cells with every op, skip and none edges, dead nodes and a
// zero output; `edgenas export --format onnx`'s file (ExportTrainedModel)
// loads in OpenCV and matches too.
#include "device_agent/runners/onnx_net.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <string>
#include <utility>

#include <torch/torch.h>

#include "common/model/checkpoint.h"
#include "common/model/model_export.h"
#include "common/model/model_registry.h"
#include "common/model/onnx_export.h"
#include "spaces/nb201/nb201_onnx.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

// Fashion-MNIST's shape, as the jobs these exports come from have.
const InputShape kInput{1, 28, 28, 10};
const OnnxInputShape kOnnxShape{1, 1, 28, 28};

SpaceConfig Space(int channels, int cells) {
  SpaceConfig space;
  space.name = "nb201";
  space.options = {{"channels", std::to_string(channels)},
                   {"cells_per_stage", std::to_string(cells)}};
  return space;
}

// A network with random weights, batch-norm affine parameters away from
// (1, 0) and running statistics away from (0, 1), in eval mode.
torch::nn::AnyModule MakeTrained(const SpaceConfig& space, const std::string& arch, int seed) {
  torch::manual_seed(seed);
  auto model = BuildModel(space, arch, kInput);
  EXPECT_TRUE(model.ok()) << model.status();
  torch::NoGradGuard no_grad;
  for (auto& p : model->ptr()->named_parameters()) {
    if (p.key().find("bn.weight") != std::string::npos ||
        p.key().find("bn_weight") != std::string::npos) {
      p.value().uniform_(0.5, 1.5);
    } else if (p.key().find("bn") != std::string::npos) {
      p.value().uniform_(-0.3, 0.3);
    }
  }
  for (auto& b : model->ptr()->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.5, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  }
  model->ptr()->eval();
  return *model;
}

FloatTensor ToFloatTensor(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  FloatTensor out;
  out.dims.assign(c.sizes().begin(), c.sizes().end());
  out.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return out;
}

// Largest |got - want| / (1 + |want|) (absolute near 0, relative for large values).
double MaxError(const FloatTensor& got, const torch::Tensor& want) {
  const torch::Tensor w = want.contiguous();
  const float* data = w.data_ptr<float>();
  double worst = 0;
  for (size_t i = 0; i < got.values.size(); ++i) {
    worst = std::max(worst, std::abs(got.values[i] - data[i]) / (1.0 + std::abs(data[i])));
  }
  return worst;
}

// OpenCV DNN's output for `onnx_bytes` on `x`.
FloatTensor RunOpenCv(const std::string& onnx_bytes, const torch::Tensor& x) {
  OnnxNet::SetThreads(1);
  absl::StatusOr<std::unique_ptr<OnnxNet>> runner = OnnxNet::Create(onnx_bytes);
  EXPECT_TRUE(runner.ok()) << runner.status();
  if (!runner.ok()) return {};
  EXPECT_TRUE((*runner)->SetInput(ToFloatTensor(x)).ok());
  absl::StatusOr<FloatTensor> out = (*runner)->Forward();
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : FloatTensor{};
}

struct Case {
  std::string arch;
  int cells;
  int batch;
};

// Shown in test names and failures instead of the struct's raw bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.arch << " cells=" << c.cells << " batch=" << c.batch;
}

class OnnxExportMatchesLibTorch : public ::testing::TestWithParam<Case> {};

// Same weights, same input: OpenCV DNN's logits equal LibTorch's to 1e-4.
TEST_P(OnnxExportMatchesLibTorch, OnTrainedWeights) {
  const Case& c = GetParam();
  const SpaceConfig space = Space(8, c.cells);
  torch::nn::AnyModule model = MakeTrained(space, c.arch, 7);
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({c.batch, 1, 28, 28});
  torch::NoGradGuard no_grad;
  const torch::Tensor want = model.forward(x);

  OnnxExportOptions options;
  options.batch = c.batch;
  options.in_channels = kInput.channels;
  options.height = kInput.height;
  options.width = kInput.width;
  options.num_classes = kInput.classes;
  absl::StatusOr<OnnxModel> onnx =
      ExportOnnx(space, c.arch, SaveCheckpoint(*model.ptr()), options);
  ASSERT_TRUE(onnx.ok()) << onnx.status();
  EXPECT_EQ(onnx->input_dims, (std::vector<int64_t>{c.batch, 1, 28, 28}));
  EXPECT_EQ(onnx->output_dims, (std::vector<int64_t>{c.batch, 10}));
  EXPECT_GT(onnx->params, 0);

  const FloatTensor got = RunOpenCv(onnx->bytes, x);
  ASSERT_EQ(got.dims, (std::vector<int64_t>{c.batch, 10}));
  ASSERT_EQ(got.values.size(), static_cast<size_t>(want.numel()));
  EXPECT_LT(MaxError(got, want), 1e-4);
  // The check has teeth: the logits differ between inputs and classes, and
  // the same architecture with other weights is far off.
  EXPECT_GT(want.std().item<double>(), 1e-3);
  if (c.arch.find("nor_conv") != std::string::npos) {
    torch::nn::AnyModule other = MakeTrained(space, c.arch, 8);
    absl::StatusOr<OnnxModel> other_onnx =
        ExportOnnx(space, c.arch, SaveCheckpoint(*other.ptr()), options);
    ASSERT_TRUE(other_onnx.ok()) << other_onnx.status();
    EXPECT_GT(MaxError(RunOpenCv(other_onnx->bytes, x), want), 1e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cells, OnnxExportMatchesLibTorch,
    ::testing::Values(
        // every op; skip edges
        Case{"|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|"
             "skip_connect~2|",
             1, 2},
        // none edges; node 1 dead (no input), two cells per stage, batch 3
        Case{"|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|"
             "nor_conv_3x3~2|",
             2, 3},
        // only skips and pools: no conv inside the cell
        Case{"|skip_connect~0|+|avg_pool_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|",
             1, 1},
        // node 2 computed but unused by the output (pruned); output from node 0 and 1
        Case{"|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|",
             1, 2},
        // the output node has only none inputs: every cell computes zeros
        Case{"|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", 1, 2}));

// A dynamic-batch export (symbolic "batch" dimension) runs at batch 3 and 1
// with LibTorch's logits.
TEST(OnnxExport, DynamicBatchRunsAtAnyBatch) {
  const SpaceConfig space = Space(4, 1);
  const std::string arch =
      "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|"
      "skip_connect~2|";
  torch::nn::AnyModule model = MakeTrained(space, arch, 9);
  OnnxExportOptions options;
  options.dynamic_batch = true;
  options.in_channels = kInput.channels;
  options.height = kInput.height;
  options.width = kInput.width;
  options.num_classes = kInput.classes;
  absl::StatusOr<OnnxModel> onnx = ExportOnnx(space, arch, SaveCheckpoint(*model.ptr()), options);
  ASSERT_TRUE(onnx.ok()) << onnx.status();
  EXPECT_EQ(onnx->input_dims, (std::vector<int64_t>{-1, 1, 28, 28}));
  EXPECT_EQ(onnx->output_dims, (std::vector<int64_t>{-1, 10}));
  torch::NoGradGuard no_grad;
  for (int64_t batch : {3, 1}) {
    torch::manual_seed(batch);
    const torch::Tensor x = torch::randn({batch, 1, 28, 28});
    const FloatTensor got = RunOpenCv(onnx->bytes, x);
    EXPECT_EQ(got.dims, (std::vector<int64_t>{batch, 10}));
    EXPECT_LT(MaxError(got, model.forward(x)), 1e-4);
  }
}

// The graph mirrors the built modules: a zero cell is a Mul by 0, a skip
// adds no node, and every Conv2d of the network appears once.
TEST(OnnxGraphFromNb201, MirrorsTheBuiltModules) {
  const SpaceConfig space = Space(4, 1);
  const std::string zero_arch = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|";
  torch::nn::AnyModule zero = MakeTrained(space, zero_arch, 1);
  absl::StatusOr<OnnxGraph> graph = OnnxGraphFromNb201(*zero.ptr(), kOnnxShape);
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::map<std::string, int> ops;
  for (const OnnxNode& n : graph->nodes) ++ops[n.op_type];
  EXPECT_EQ(ops["Mul"], 3);   // one zero cell per stage
  EXPECT_EQ(ops["Conv"], 7);  // stem + 2 reductions x 3 (no conv in zero cells)

  const std::string skip_arch =
      "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|none~1|none~2|";
  torch::nn::AnyModule skip = MakeTrained(space, skip_arch, 1);
  graph = OnnxGraphFromNb201(*skip.ptr(), kOnnxShape);
  ASSERT_TRUE(graph.ok()) << graph.status();
  ops.clear();
  for (const OnnxNode& n : graph->nodes) ++ops[n.op_type];
  EXPECT_EQ(ops["Mul"], 0);
  // Only edge 3<-0 reaches the output: a skip, so a cell adds nothing.
  EXPECT_EQ(ops["Conv"], 7);
  EXPECT_EQ(ops["Add"], 2);  // the reductions' residual sums
  int conv_modules = 0;
  for (const auto& m : skip.ptr()->modules(/*include_self=*/false)) {
    if (m->as<torch::nn::Conv2dImpl>() != nullptr) ++conv_modules;
  }
  EXPECT_EQ(ops["Conv"], conv_modules);
}

// A shape that does not fit the stem is refused, naming the shape.
TEST(OnnxGraphFromNb201, RefusesAnInputShapeThatDoesNotFit) {
  torch::nn::AnyModule model =
      MakeTrained(Space(4, 1), "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", 1);
  OnnxInputShape shape = kOnnxShape;
  shape.channels = 3;
  absl::StatusOr<OnnxGraph> graph = OnnxGraphFromNb201(*model.ptr(), shape);
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  torch::nn::Linear not_nb201(4, 2);
  graph = OnnxGraphFromNb201(*not_nb201, kOnnxShape);
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
}

// `edgenas export --format onnx` writes a file OpenCV loads, with LibTorch's
// outputs; a checkpoint for another network is DATA_LOSS.
TEST(ExportTrainedModel, OnnxFileLoadsInOpenCvAndMatchesLibTorch) {
  const SpaceConfig space = Space(4, 1);
  const std::string arch =
      "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|skip_connect~2|";
  torch::nn::AnyModule model = MakeTrained(space, arch, 5);
  const std::string path = (std::filesystem::path(::testing::TempDir()) /
                            ("export-" + std::to_string(::getpid()) + ".onnx"))
                               .string();
  ASSERT_TRUE(
      ExportTrainedModel(space, arch, SaveCheckpoint(*model.ptr()), "onnx", path, kInput).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path.c_str());
  ASSERT_FALSE(bytes.empty());
  torch::manual_seed(4);
  const torch::Tensor x = torch::randn({1, 1, 28, 28});
  torch::NoGradGuard no_grad;
  EXPECT_LT(MaxError(RunOpenCv(bytes, x), model.forward(x)), 1e-4);

  EXPECT_EQ(ExportTrainedModel(Space(8, 1), arch, SaveCheckpoint(*model.ptr()), "onnx", path,
                               kInput)
                .code(),
            absl::StatusCode::kDataLoss);
}

// What OpenCV cannot import is INVALID_ARGUMENT, not a crash.
TEST(OnnxNet, RefusesBytesThatAreNotOnnx) {
  EXPECT_EQ(OnnxNet::Create("not an onnx model").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(OnnxNet::Version().empty());
}

}  // namespace
}  // namespace edgenas
