// The mbv3 space's exports: seeded random architectures (SE on and off,
// ReLU and h-swish, expansion 1, both resolutions and both widths) with
// trained-like weights, written as ONNX (checked by ONNX's checker inside
// the writer) and run through OpenCV DNN, at batch 1 and with a dynamic
// batch at batch 3, give LibTorch's logits; the TorchScript export loads
// and gives them too; bad input is refused naming the field.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/torch.h>

#include "absl/strings/match.h"
#include "common/model/checkpoint.h"
#include "common/model/model_export.h"
#include "common/model/model_registry.h"
#include "common/model/onnx_export.h"
#include "common/model/onnx_writer.h"
#include "common/random.h"
#include "device_agent/runners/onnx_net.h"
#include "gtest/gtest.h"
#include "spaces/mbv3/mbv3_model.h"
#include "spaces/mbv3/mbv3_onnx.h"
#include "spaces/mbv3/mbv3_space.h"
#include "spaces/mbv3/mbv3_torchscript.h"

namespace edgenas {
namespace {

// Fashion-MNIST's shape, the default dataset.
const InputShape kInput{1, 28, 28, 10};

// The default options, or a narrower network (fast) whose expansions
// include 1 (no expand convolution).
SpaceConfig Space(bool small) {
  SpaceConfig space;
  space.name = "mbv3";
  if (small) {
    space.options = {{"stages", "4"},          {"channels", "16,24,32,48"},
                     {"strides", "1,2,2,2"},   {"head_channels", "96"},
                     {"feature_channels", "128"}, {"expands", "1,3,6"},
                     {"depths", "1,2,3"}};
  }
  return space;
}

Mbv3Space MustSpace(const SpaceConfig& config) {
  absl::StatusOr<Mbv3Space> space = CreateMbv3Space(config);
  EXPECT_TRUE(space.ok()) << space.status();
  return *space;
}

// How a case sets the per-stage choices: every stage off (0), on (1), or as
// sampled (-1).
struct Case {
  bool small = false;
  uint64_t seed = 1;
  int resolution = 0;  // index into options.resolutions
  int width = 0;       // index into options.widths
  int se = -1;
  int hswish = -1;
  bool expand_one = false;  // every block's expansion at index 0 (1 in the small space)
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << (c.small ? "small" : "default") << " seed=" << c.seed << " r" << c.resolution << " w"
      << c.width << " se=" << c.se << " hs=" << c.hswish << (c.expand_one ? " e1" : "");
}

// A seeded random architecture with the case's forced choices.
std::string ArchOf(const Case& c) {
  const Mbv3Space space = MustSpace(Space(c.small));
  Rng rng(c.seed);
  Architecture arch = space.Sample(rng);
  arch.genes[Mbv3Space::kResolutionGene] = c.resolution;
  arch.genes[Mbv3Space::kWidthGene] = c.width;
  for (int s = 0; s < space.options().stages; ++s) {
    if (c.se >= 0) arch.genes[space.SeGene(s)] = c.se;
    if (c.hswish >= 0) arch.genes[space.ActGene(s)] = c.hswish;
    for (int b = 0; b < space.MaxDepth() && c.expand_one; ++b) {
      arch.genes[space.ExpandGene(s, b)] = 0;
    }
  }
  return space.Print(arch);
}

// A network with random weights, batch-norm affine parameters away from
// (1, 0) and running statistics away from (0, 1), in eval mode.
torch::nn::AnyModule MakeTrained(const SpaceConfig& space, const std::string& arch, int seed) {
  torch::manual_seed(seed);
  absl::StatusOr<torch::nn::AnyModule> model = BuildModel(space, arch, kInput);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  torch::NoGradGuard no_grad;
  for (auto& p : model->ptr()->named_parameters()) {
    if (absl::StrContains(p.key(), "bn.weight")) p.value().uniform_(0.5, 1.5);
    if (absl::StrContains(p.key(), "bn.bias")) p.value().uniform_(-0.3, 0.3);
  }
  for (auto& b : model->ptr()->named_buffers()) {
    if (absl::StrContains(b.key(), "running_mean")) b.value().uniform_(-0.5, 0.5);
    if (absl::StrContains(b.key(), "running_var")) b.value().uniform_(0.5, 2.0);
  }
  model->ptr()->eval();
  return *model;
}

int ResolutionOf(const torch::nn::AnyModule& model) {
  absl::StatusOr<Mbv3NetworkImpl*> network = AsMbv3Network(*model.ptr());
  EXPECT_TRUE(network.ok()) << network.status();
  return network.ok() ? (*network)->plan().resolution : 0;
}

FloatTensor ToFloatTensor(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  FloatTensor out;
  out.dims.assign(c.sizes().begin(), c.sizes().end());
  out.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return out;
}

// Largest |got - want|; infinity when the sizes differ.
double MaxAbsError(const FloatTensor& got, const torch::Tensor& want) {
  const torch::Tensor w = want.contiguous();
  if (got.values.size() != static_cast<size_t>(w.numel())) return INFINITY;
  const float* data = w.data_ptr<float>();
  double worst = 0;
  for (size_t i = 0; i < got.values.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(got.values[i] - data[i])));
  }
  return worst;
}

// OpenCV DNN's output for `onnx_bytes` on `x`.
FloatTensor RunOpenCv(const std::string& onnx_bytes, const torch::Tensor& x) {
  OnnxNet::SetThreads(1);
  absl::StatusOr<std::unique_ptr<OnnxNet>> net = OnnxNet::Create(onnx_bytes);
  EXPECT_TRUE(net.ok()) << net.status();
  if (!net.ok()) return {};
  absl::Status bound = (*net)->SetInput(ToFloatTensor(x));
  EXPECT_TRUE(bound.ok()) << bound;
  absl::StatusOr<FloatTensor> out = (*net)->Forward();
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : FloatTensor{};
}

OnnxExportOptions ExportOptions(int batch, bool dynamic) {
  OnnxExportOptions options;
  options.batch = batch;
  options.dynamic_batch = dynamic;
  options.in_channels = kInput.channels;
  options.height = kInput.height;
  options.width = kInput.width;
  options.num_classes = kInput.classes;
  return options;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) /
          (std::to_string(::getpid()) + "-" + name))
      .string();
}

class Mbv3Export : public ::testing::TestWithParam<Case> {};

// True when some block of the network has squeeze-and-excitation.
bool HasSe(const torch::nn::AnyModule& model) {
  absl::StatusOr<Mbv3NetworkImpl*> network = AsMbv3Network(*model.ptr());
  if (!network.ok()) return false;
  for (const Mbv3Block& b : (*network)->plan().blocks) {
    if (b.se) return true;
  }
  return false;
}

// ONNX through OpenCV DNN equals LibTorch within 1e-4 at fixed batches 1
// and 3, and the dynamic-batch model at batch 1 and (where OpenCV allows,
// see below) batch 3; the input is the network's own resolution.
TEST_P(Mbv3Export, OnnxMatchesLibTorchThroughOpenCv) {
  const Case& c = GetParam();
  const SpaceConfig space = Space(c.small);
  const std::string arch = ArchOf(c);
  SCOPED_TRACE(arch);
  torch::nn::AnyModule model = MakeTrained(space, arch, 7);
  const int r = ResolutionOf(model);
  ASSERT_GT(r, 0);
  const std::string checkpoint = SaveCheckpoint(*model.ptr());
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  const torch::Tensor x1 = torch::randn({1, 1, r, r});
  const torch::Tensor x3 = torch::randn({3, 1, r, r});
  const torch::Tensor want1 = model.forward(x1);
  const torch::Tensor want3 = model.forward(x3);
  // The check has teeth: the logits differ between classes.
  EXPECT_GT(want1.std().item<double>(), 1e-3);

  for (int batch : {1, 3}) {
    absl::StatusOr<OnnxModel> fixed =
        ExportOnnx(space, arch, checkpoint, ExportOptions(batch, false));
    ASSERT_TRUE(fixed.ok()) << fixed.status();
    EXPECT_EQ(fixed->input_dims, (std::vector<int64_t>{batch, 1, r, r}));
    EXPECT_EQ(fixed->output_dims, (std::vector<int64_t>{batch, 10}));
    const FloatTensor got = RunOpenCv(fixed->bytes, batch == 1 ? x1 : x3);
    EXPECT_EQ(got.dims, (std::vector<int64_t>{batch, 10}));
    EXPECT_LT(MaxAbsError(got, batch == 1 ? want1 : want3), 1e-4) << "batch " << batch;
  }

  absl::StatusOr<OnnxModel> dynamic = ExportOnnx(space, arch, checkpoint, ExportOptions(1, true));
  ASSERT_TRUE(dynamic.ok()) << dynamic.status();
  EXPECT_EQ(dynamic->input_dims, (std::vector<int64_t>{-1, 1, r, r}));
  EXPECT_EQ(dynamic->output_dims, (std::vector<int64_t>{-1, 10}));
  EXPECT_LT(MaxAbsError(RunOpenCv(dynamic->bytes, x1), want1), 1e-4);
  // OpenCV 4.6 imports a symbolic batch as 1 and then cannot broadcast SE's
  // [N, C, 1, 1] gate over [N, C, H, W] at another batch (its Scale layer
  // fails an assertion): batch 3 runs for networks without SE only.
  if (!HasSe(model)) {
    const FloatTensor got3 = RunOpenCv(dynamic->bytes, x3);
    EXPECT_EQ(got3.dims, (std::vector<int64_t>{3, 10}));
    EXPECT_LT(MaxAbsError(got3, want3), 1e-4);
  }
}

// The TorchScript export loads and gives LibTorch's logits, also on the
// dataset's 28x28 images (resized to the architecture's resolution inside).
TEST_P(Mbv3Export, TorchScriptLoadsAndMatchesLibTorch) {
  const Case& c = GetParam();
  const SpaceConfig space = Space(c.small);
  const std::string arch = ArchOf(c);
  SCOPED_TRACE(arch);
  torch::nn::AnyModule model = MakeTrained(space, arch, 11);
  const int r = ResolutionOf(model);
  const std::string path = TempPath("mbv3.pt");
  absl::Status written =
      ExportTrainedModel(space, arch, SaveCheckpoint(*model.ptr()), "torchscript", path, kInput);
  ASSERT_TRUE(written.ok()) << written;
  torch::jit::Module script = torch::jit::load(path);
  std::remove(path.c_str());
  script.eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  for (const torch::Tensor& x : {torch::randn({2, 1, r, r}), torch::randn({2, 1, 28, 28})}) {
    const torch::Tensor want = model.forward(x);
    const torch::Tensor got = script.forward({x}).toTensor();
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_LT((got - want).abs().max().item<double>(), 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    SeededArchitectures, Mbv3Export,
    ::testing::Values(
        // default options: SE everywhere with h-swish, small resolution and width
        Case{false, 1, 0, 0, 1, 1, false},
        // default options: no SE, ReLU, large resolution and width
        Case{false, 2, 1, 1, 0, 0, false},
        // default options: sampled per-stage SE and activation
        Case{false, 3, 1, 0, -1, -1, false},
        // expansion 1 (no expand convolution) with SE and h-swish, then without
        Case{true, 4, 1, 1, 1, 1, true}, Case{true, 5, 0, 0, 0, 0, true},
        // sampled everything, including expansions 1, 3 and 6
        Case{true, 6, 0, 1, -1, -1, false}, Case{true, 7, 1, 0, -1, -1, false},
        Case{true, 8, 1, 1, -1, -1, false}));

int CountOps(const OnnxGraph& graph, const std::string& op) {
  return static_cast<int>(std::count_if(graph.nodes.begin(), graph.nodes.end(),
                                        [&](const OnnxNode& n) { return n.op_type == op; }));
}

// The graph mirrors the built modules: one Conv per Conv2d (batch norm
// folded, none left), SE as pool/conv/relu/conv/hard-sigmoid/mul, h-swish
// as Mul(x, HardSigmoid(x)), and the input at the network's resolution
// whatever the shape's height and width.
TEST(OnnxGraphFromMbv3, MirrorsTheBuiltModules) {
  const SpaceConfig space = Space(/*small=*/true);
  const std::string arch = ArchOf(Case{true, 9, 1, 1, 1, 1, false});
  torch::nn::AnyModule model = MakeTrained(space, arch, 1);
  absl::StatusOr<Mbv3NetworkImpl*> network = AsMbv3Network(*model.ptr());
  ASSERT_TRUE(network.ok());
  const Mbv3Plan& plan = (*network)->plan();
  absl::StatusOr<OnnxGraph> graph = OnnxGraphFromMbv3(*model.ptr(), OnnxInputShape{2, 1, 28, 28});
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->input.dims, (std::vector<int64_t>{2, 1, plan.resolution, plan.resolution}));
  EXPECT_TRUE(graph->input.dim_params.empty());
  int conv_modules = 0;
  for (const auto& m : model.ptr()->modules(/*include_self=*/false)) {
    if (m->as<torch::nn::Conv2dImpl>() != nullptr) ++conv_modules;
  }
  const int blocks = static_cast<int>(plan.blocks.size());
  int residual = 0;
  for (const Mbv3Block& b : plan.blocks) residual += b.residual ? 1 : 0;
  EXPECT_EQ(CountOps(*graph, "Conv"), conv_modules);
  EXPECT_EQ(CountOps(*graph, "BatchNormalization"), 0);
  EXPECT_EQ(CountOps(*graph, "GlobalAveragePool"), blocks + 1);  // SE in every block, head
  // h-swish: stem, head conv, feature; per block after dw and after expand
  // when there is one; plus SE's gate.
  int hswish = 3;
  for (const Mbv3Block& b : plan.blocks) hswish += b.expand == 1 ? 1 : 2;
  EXPECT_EQ(CountOps(*graph, "HardSigmoid"), hswish + blocks);
  EXPECT_EQ(CountOps(*graph, "Mul"), hswish + blocks);
  EXPECT_EQ(CountOps(*graph, "Add"), 1 + residual);  // the stem's and the residuals
  EXPECT_EQ(CountOps(*graph, "Gemm"), 2);
  EXPECT_GT(residual, 0);
  for (const OnnxNode& n : graph->nodes) {
    if (n.op_type != "HardSigmoid") continue;
    ASSERT_EQ(n.attributes.size(), 2u);
    EXPECT_FLOAT_EQ(n.attributes[0].f, 1.0f / 6.0f);
    EXPECT_FLOAT_EQ(n.attributes[1].f, 0.5f);
  }

  // A dynamic batch: the first dimension is symbolic.
  graph = OnnxGraphFromMbv3(*model.ptr(), OnnxInputShape{kOnnxDynamicBatch, 1, 28, 28});
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(graph->input.dims[0], -1);
  EXPECT_EQ(graph->input.dim_params, (std::vector<std::string>{"batch", "", "", ""}));
  EXPECT_EQ(graph->output.dim_params, (std::vector<std::string>{"batch", ""}));
}

// Bad architectures, shapes and modules are refused, naming the field.
TEST(Mbv3ExportErrors, RefusesBadInputNamingTheField) {
  const SpaceConfig space = Space(/*small=*/true);
  const std::string arch = ArchOf(Case{true, 10, 0, 0, -1, -1, false});

  absl::StatusOr<OnnxModel> onnx = ExportOnnx(space, "r32-w100|bogus", "", ExportOptions(1, false));
  EXPECT_EQ(onnx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(onnx.status().message(), "task.arch")) << onnx.status();
  onnx = ExportOnnx(space, arch, "", ExportOptions(0, false));
  EXPECT_EQ(onnx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(onnx.status().message(), "options.batch")) << onnx.status();
  EXPECT_TRUE(ExportOnnx(space, arch, "", ExportOptions(0, true)).ok());

  absl::StatusOr<std::string> source = Mbv3TorchScriptSource(Architecture{{0, 1, 2}}, space);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(source.status().message(), "arch.genes")) << source.status();
  Architecture out_of_range = MustSpace(space).Smallest();
  out_of_range.genes[Mbv3Space::kWidthGene] = 7;
  source = Mbv3TorchScriptSource(out_of_range, space);
  EXPECT_TRUE(absl::StrContains(source.status().message(), "arch.genes[1]")) << source.status();
  SpaceConfig bad_options = space;
  bad_options.options["kernels"] = "4";
  source = Mbv3TorchScriptSource(MustSpace(space).Smallest(), bad_options);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(source.status().message(), "space.options.kernels"))
      << source.status();

  torch::nn::AnyModule model = MakeTrained(space, arch, 1);
  absl::StatusOr<OnnxGraph> graph = OnnxGraphFromMbv3(*model.ptr(), OnnxInputShape{1, 3, 28, 28});
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(graph.status().message(), "shape.channels")) << graph.status();
  graph = OnnxGraphFromMbv3(*model.ptr(), OnnxInputShape{0, 1, 28, 28});
  EXPECT_TRUE(absl::StrContains(graph.status().message(), "shape.batch")) << graph.status();
  torch::nn::Linear not_mbv3(4, 2);
  EXPECT_EQ(OnnxGraphFromMbv3(*not_mbv3, OnnxInputShape{1, 1, 28, 28}).status().code(),
            absl::StatusCode::kInvalidArgument);

  // dynamic_batch is an ONNX option only.
  ModelExportOptions dynamic;
  dynamic.dynamic_batch = true;
  const absl::Status status = ExportTrainedModel(space, arch, SaveCheckpoint(*model.ptr()),
                                                 "torchscript", TempPath("x.pt"), kInput, dynamic);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "dynamic_batch")) << status;
}

// The writer refuses a malformed symbolic dimension instead of writing it.
TEST(SerializeOnnxGraph, RefusesMalformedSymbolicDimensions) {
  OnnxGraph graph;
  graph.name = "identity";
  graph.input = BatchedValueInfo("input", kOnnxDynamicBatch, {2});
  graph.output = BatchedValueInfo("output", kOnnxDynamicBatch, {2});
  graph.nodes.push_back(OnnxNode{"Relu", "relu", {"input"}, {"output"}, {}});
  EXPECT_TRUE(SerializeOnnxGraph(graph).ok());
  OnnxGraph bad = graph;
  bad.input.dim_params = {"batch"};  // one name for two dimensions
  EXPECT_EQ(SerializeOnnxGraph(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = graph;
  bad.input.dims[0] = 4;  // named but fixed
  EXPECT_EQ(SerializeOnnxGraph(bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = graph;
  bad.output.dim_params.clear();  // -1 without a name
  EXPECT_EQ(SerializeOnnxGraph(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgenas
