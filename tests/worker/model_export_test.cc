// `edgenas export`'s writer: a trained network written as TorchScript or as a
// state dict loads back and gives the same outputs as the network itself;
// every format carries the export's metadata.
#include "common/model/model_export.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <torch/script.h>
#include <torch/torch.h>

#include "common/model/model_registry.h"
#include "common/model/onnx_writer.h"
#include "device_agent/runners/onnx_net.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

const InputShape kInput{1, 28, 28, 10};

SpaceConfig Space(int channels, int cells) {
  SpaceConfig space;
  space.name = "nb201";
  space.options = {{"channels", std::to_string(channels)},
                   {"cells_per_stage", std::to_string(cells)}};
  return space;
}

// A network with random weights and non-trivial batch-norm statistics, and
// its checkpoint in the worker's format.
struct Trained {
  torch::nn::AnyModule model;
  std::string checkpoint;
};

Trained MakeTrained(const SpaceConfig& space, const std::string& arch) {
  torch::manual_seed(11);
  auto model = BuildModel(space, arch, kInput);
  EXPECT_TRUE(model.ok()) << model.status();
  Trained t{*model, ""};
  torch::NoGradGuard no_grad;
  for (auto& b : t.model.ptr()->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.5, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  }
  torch::serialize::OutputArchive archive;
  t.model.ptr()->save(archive);
  std::ostringstream out;
  archive.save_to(out);
  t.checkpoint = out.str();
  t.model.ptr()->eval();
  return t;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(::getpid()) + ".pt"))
      .string();
}

class ModelExportTest : public ::testing::TestWithParam<std::pair<std::string, int>> {};

TEST_P(ModelExportTest, TorchScriptAndStateDictLoadBackWithEqualOutputs) {
  const auto& [arch, cells] = GetParam();
  const SpaceConfig space = Space(4, cells);
  Trained t = MakeTrained(space, arch);
  const torch::Tensor x = torch::randn({3, 1, 28, 28});
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = t.model.forward(x);

  const std::string script_path = TempPath("export-script");
  ASSERT_TRUE(ExportTrainedModel(space, arch, t.checkpoint, "torchscript", script_path, kInput).ok());
  torch::jit::Module loaded = torch::jit::load(script_path);
  loaded.eval();
  const torch::Tensor got = loaded.forward({x}).toTensor();
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5))
      << (got - expected).abs().max().item<double>();
  std::remove(script_path.c_str());

  const std::string dict_path = TempPath("export-dict");
  ASSERT_TRUE(ExportTrainedModel(space, arch, t.checkpoint, "state_dict", dict_path, kInput).ok());
  std::ifstream in(dict_path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  const c10::Dict<c10::IValue, c10::IValue> dict = torch::pickle_load(bytes).toGenericDict();
  auto fresh = BuildModel(space, arch, kInput);
  ASSERT_TRUE(fresh.ok());
  for (auto& p : fresh->ptr()->named_parameters()) {
    ASSERT_TRUE(dict.contains(p.key())) << p.key();
    p.value().copy_(dict.at(p.key()).toTensor());
  }
  for (auto& b : fresh->ptr()->named_buffers()) {
    ASSERT_TRUE(dict.contains(b.key())) << b.key();
    b.value().copy_(dict.at(b.key()).toTensor());
  }
  fresh->ptr()->eval();
  EXPECT_TRUE(torch::allclose(fresh->forward(x), expected));
  std::remove(dict_path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Cells, ModelExportTest,
    ::testing::Values(
        std::make_pair(std::string("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|"
                                   "avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|"),
                       1),
        // dead edges (node 1 unreachable) and two cells per stage
        std::make_pair(std::string("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|"
                                   "skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"),
                       2),
        // an output without live inputs: the cell computes zeros
        std::make_pair(std::string("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
                       1)));

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::vector<std::pair<std::string, std::string>> kMetadata = {
    {"edgenas.input_shape", "1,1,28,28"},
    {"edgenas.class_names", "[\"T-shirt/top\",\"Trouser\",\"Ankle boot\"]"},
    {"edgenas.mean", "[0.286]"},
    {"edgenas.std", "[0.353]"},
    {"edgenas.arch", "say \"hi\"\\"},
};

// Each format carries the metadata: ONNX as metadata_props (in order, as
// given), TorchScript as the extra file edgenas.json, a state dict as the
// sidecar FILE.json; arrays stay arrays, other values are JSON strings. The
// ONNX model with metadata still runs in OpenCV DNN with LibTorch's logits.
TEST(ModelExport, WritesMetadataInEveryFormat) {
  const SpaceConfig space = Space(4, 1);
  const std::string arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|"
                           "avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|";
  Trained t = MakeTrained(space, arch);
  ModelExportOptions options;
  options.metadata = kMetadata;
  const std::string want_json =
      "{\n  \"edgenas.input_shape\": \"1,1,28,28\",\n"
      "  \"edgenas.class_names\": [\"T-shirt/top\",\"Trouser\",\"Ankle boot\"],\n"
      "  \"edgenas.mean\": [0.286],\n  \"edgenas.std\": [0.353],\n"
      "  \"edgenas.arch\": \"say \\\"hi\\\"\\\\\"\n}\n";
  EXPECT_EQ(ExportMetadataJson(kMetadata), want_json);

  const std::string onnx_path = TempPath("export-meta-onnx");
  ASSERT_TRUE(ExportTrainedModel(space, arch, t.checkpoint, "onnx", onnx_path, kInput, options).ok());
  const std::string onnx = ReadFile(onnx_path);
  absl::StatusOr<OnnxMetadata> props = ReadOnnxMetadata(onnx);
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_EQ(*props, kMetadata);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({1, 1, 28, 28});
  const torch::Tensor want = t.model.forward(x).contiguous();
  auto net = OnnxNet::Create(onnx);
  ASSERT_TRUE(net.ok()) << net.status();
  FloatTensor input{{1, 1, 28, 28}, std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel())};
  ASSERT_TRUE((*net)->SetInput(input).ok());
  absl::StatusOr<FloatTensor> got = (*net)->Forward();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->values.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(got->values[i], want[0][i].item<float>(), 1e-4) << i;
  std::remove(onnx_path.c_str());

  const std::string script_path = TempPath("export-meta-script");
  ASSERT_TRUE(
      ExportTrainedModel(space, arch, t.checkpoint, "torchscript", script_path, kInput, options)
          .ok());
  torch::jit::ExtraFilesMap extra{{"edgenas.json", ""}};
  torch::jit::load(script_path, c10::nullopt, extra);
  EXPECT_EQ(extra["edgenas.json"], want_json);
  std::remove(script_path.c_str());

  const std::string dict_path = TempPath("export-meta-dict");
  ASSERT_TRUE(
      ExportTrainedModel(space, arch, t.checkpoint, "state_dict", dict_path, kInput, options).ok());
  EXPECT_EQ(ReadFile(dict_path + ".json"), want_json);
  std::remove(dict_path.c_str());
  std::remove((dict_path + ".json").c_str());

  // Keys must be unique: a repeated one is refused, naming it.
  options.metadata.push_back({"edgenas.mean", "[0]"});
  const absl::Status repeated =
      ExportTrainedModel(space, arch, t.checkpoint, "onnx", onnx_path, kInput, options);
  EXPECT_EQ(repeated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(repeated.message().find("edgenas.mean"), std::string::npos) << repeated;
}

TEST(ModelExport, RefusesUnknownFormatsAndCheckpointsThatDoNotFit) {
  const SpaceConfig space = Space(4, 1);
  const std::string arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|"
                           "avg_pool_3x3~0|nor_conv_3x3~1|skip_connect~2|";
  Trained t = MakeTrained(space, arch);
  const std::string path = TempPath("export-bad");
  EXPECT_EQ(ExportTrainedModel(space, arch, t.checkpoint, "tflite", path, kInput).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExportTrainedModel(space, arch, "garbage", "torchscript", path, kInput).code(),
            absl::StatusCode::kDataLoss);
  // Weights of a wider network do not fit this one.
  EXPECT_EQ(ExportTrainedModel(Space(8, 1), arch, t.checkpoint, "torchscript", path, kInput).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ExportTrainedModel(space, "|bogus~0|", t.checkpoint, "torchscript", path, kInput).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgenas
