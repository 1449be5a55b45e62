// The tiny_test space through the generic records only: it parses, prints
// and builds for any input shape, and every capability it lacks answers
// with the one "has no" error.
#include <memory>

#include <torch/torch.h>

#include "common/encodings.h"
#include "common/latency_ops.h"
#include "common/model/model_registry.h"
#include "common/model/space_networks.h"
#include "common/space_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

// The registry knows the space from its folder alone; text round-trips.
TEST(TinySpace, RegisteredAndRoundTrips) {
  auto space = CreateSearchSpace("tiny_test");
  ASSERT_TRUE(space.ok()) << space.status();
  auto arch = (*space)->Parse("w8-k3-d2");
  ASSERT_TRUE(arch.ok()) << arch.status();
  EXPECT_EQ((*space)->Print(*arch), "w8-k3-d2");
  EXPECT_FALSE((*space)->Parse("w9-k3-d2").ok());
  EXPECT_THAT(KnownSearchSpaces(), ::testing::Contains("tiny_test"));
}

// The network is built for the shape it is given (3x16x16, 5 classes here).
TEST(TinySpace, BuildsForTheGivenInputShape) {
  auto model = BuildModel(SpaceConfig{"tiny_test", {}}, "w4-k3-d2", InputShape{3, 16, 16, 5});
  ASSERT_TRUE(model.ok()) << model.status();
  torch::NoGradGuard no_grad;
  model->ptr()->eval();
  const torch::Tensor y = model->forward(torch::randn({2, 3, 16, 16}));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, 5}));
}

// Capabilities the space lacks: the uniform error, naming the space.
TEST(TinySpace, LackedCapabilitiesGiveTheUniformError) {
  auto lat = RequiredOpShapes(SpaceConfig{"tiny_test", {}}, InputShape{1, 28, 28, 10});
  EXPECT_EQ(lat.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(lat.status().message(), HasSubstr("space \"tiny_test\" has no latency model"));
  for (auto capability : {"supernet", "onnx exporter"}) {
    absl::StatusOr<const SpaceNetworks*> n =
        std::string(capability) == "supernet"
            ? RequireNetworks("tiny_test", &SpaceNetworks::build_supernet, capability)
            : RequireNetworks("tiny_test", &SpaceNetworks::onnx_graph, capability);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(n.status().message(),
                HasSubstr(std::string("space \"tiny_test\" has no ") + capability));
  }
  auto space = CreateSearchSpace("tiny_test");
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(PredictorEncoding(**space), "one_hot");
  EXPECT_THAT(EncodingLength(**space, "path").status().message(),
              HasSubstr("has no encoding \"path\""));
  EXPECT_EQ(*EncodingLength(**space, "one_hot"), 6);
}

}  // namespace
}  // namespace edgenas
