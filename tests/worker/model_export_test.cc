// `edgenas export`'s writer: a trained network written as TorchScript or as a
// state dict loads back and gives the same outputs as the network itself.
#include "common/model/model_export.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <torch/script.h>
#include <torch/torch.h>

#include "common/model/model_registry.h"
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
