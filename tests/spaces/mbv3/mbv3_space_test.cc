// The mbv3 space's core: options (list options, checks that name the
// field), the text form (exact round trip, refusals naming the position),
// canonical keys that ignore inactive blocks, mutation, features, and every
// strategy's operators staying inside the space.
#include "spaces/mbv3/mbv3_space.h"

#include <set>
#include <string>
#include <vector>

#include "common/encodings.h"
#include "common/random.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "edgenas/v1/job.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spaces/mbv3/mbv3_options.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr char kDefaultArch[] =
    "r32-w100|d2-se-hs:k3e4,k5e6|d3-nose-relu:k3e3,k5e3,k7e6|d4-se-relu:k3e3,k3e3,k3e3,k3e3|"
    "d2-nose-hs:k7e6,k7e6|d3-se-hs:k5e4,k5e4,k5e4";

Mbv3Space DefaultSpace() {
  absl::StatusOr<Mbv3Space> space = CreateMbv3Space(SpaceConfig{"mbv3", {}});
  EXPECT_TRUE(space.ok()) << space.status();
  return *space;
}

std::string ParseError(const Mbv3Space& space, absl::string_view text) {
  absl::StatusOr<Architecture> arch = space.Parse(text);
  if (arch.ok()) return "";
  EXPECT_EQ(arch.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(arch.status().message());
}

std::string OptionsError(std::map<std::string, std::string> options) {
  v1::SearchSpaceSpec spec;
  spec.set_name("mbv3");
  spec.mutable_options()->insert(options.begin(), options.end());
  absl::Status status = NormalizeSpaceSpec(&spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(Mbv3Options, DefaultsAreFilledAsCanonicalText) {
  v1::SearchSpaceSpec spec;
  spec.set_name("mbv3");
  (*spec.mutable_options())["kernels"] = "7, 3,5";
  ASSERT_TRUE(NormalizeSpaceSpec(&spec).ok());
  EXPECT_EQ(spec.options().at("kernels"), "3,5,7");  // a set: sorted
  EXPECT_EQ(spec.options().at("strides"), "1,2,2,1,2");  // a list: as given
  EXPECT_EQ(spec.options().at("resolutions"), "28,32");
  EXPECT_EQ(spec.options().at("stages"), "5");
}

TEST(Mbv3Options, RefusalsNameTheField) {
  EXPECT_THAT(OptionsError({{"kernels", "3,x"}}),
              HasSubstr("space.options.kernels: must be a list"));
  EXPECT_THAT(OptionsError({{"kernels", "3,3"}}), HasSubstr("space.options.kernels"));
  EXPECT_THAT(OptionsError({{"kernels", "4"}}), HasSubstr("must be odd"));
  EXPECT_THAT(OptionsError({{"stages", "3"}}),
              HasSubstr("space.options.channels: must list one value per stage"));
  // 8x8 input, stem stride 2, then strides 1,2,2,1,2: 4, 4, 2, 1 — vanishes.
  EXPECT_THAT(OptionsError({{"resolutions", "8,32"}}),
              HasSubstr("space.options.strides: the smallest resolution (8) ends with a 1x1"));
  EXPECT_THAT(OptionsError({{"depth", "2"}}), HasSubstr("space.options.depth: unknown option"));
  EXPECT_THAT(OptionsError({{"widths", "10"}}), HasSubstr("space.options.widths"));
}

TEST(Mbv3Options, DefaultsAreValidAt224) {
  v1::SearchSpaceSpec spec;
  spec.set_name("mbv3");
  (*spec.mutable_options())["resolutions"] = "160,192,224";
  (*spec.mutable_options())["strides"] = "2,2,2,1,2";
  ASSERT_TRUE(NormalizeSpaceSpec(&spec).ok());
  absl::StatusOr<SpaceConfig> config = SpaceConfigFromSpec(spec);
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Mbv3Space> space = CreateMbv3Space(*config);
  ASSERT_TRUE(space.ok()) << space.status();
  const Mbv3Plan plan = space->Plan(space->Largest(), InputShape{3, 224, 224, 1000});
  EXPECT_EQ(plan.resolution, 224);
  EXPECT_EQ(plan.head_resolution, 7);  // 224 / 32, as MobileNetV3
}

TEST(Mbv3Space, GeneLayoutFollowsTheOptions) {
  const Mbv3Space space = DefaultSpace();
  // 2 global genes, then per stage 3 + 2 per block slot (max depth 4).
  EXPECT_EQ(space.NumGenes(), 2 + 5 * (3 + 2 * 4));
  EXPECT_EQ(space.Cardinality(Mbv3Space::kResolutionGene), 2);
  EXPECT_EQ(space.Cardinality(space.KernelGene(4, 3)), 3);
  absl::StatusOr<Mbv3Space> small = CreateMbv3Space(SpaceConfig{
      "mbv3", {{"stages", "2"}, {"channels", "16,24"}, {"strides", "1,2"}, {"depths", "1,2"}}});
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->NumGenes(), 2 + 2 * (3 + 2 * 2));
  // Per stage 4 SE/act settings x (9 + 81) block settings; 2 resolutions x 2 widths.
  EXPECT_EQ(small->DistinctCount(), 2 * 2 * (4 * 90) * (4 * 90));
}

TEST(Mbv3Space, TextRoundTripsExactly) {
  const Mbv3Space space = DefaultSpace();
  absl::StatusOr<Architecture> arch = space.Parse(kDefaultArch);
  ASSERT_TRUE(arch.ok()) << arch.status();
  EXPECT_EQ(space.Print(*arch), kDefaultArch);
  Rng rng(7);
  for (int i = 0; i < 200; ++i) {
    const Architecture sampled = space.Sample(rng);
    const std::string text = space.Print(sampled);
    absl::StatusOr<Architecture> parsed = space.Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(space.Print(*parsed), text);
    EXPECT_EQ(space.CanonicalKey(*parsed), space.CanonicalKey(sampled));
  }
}

TEST(Mbv3Space, MalformedTextIsRefusedNamingThePosition) {
  const Mbv3Space space = DefaultSpace();
  EXPECT_THAT(ParseError(space, ""), HasSubstr("at position 0 (resolution)"));
  EXPECT_THAT(ParseError(space, "r30-w100"),
              HasSubstr("resolution 30 is not one of the space's choices {28,32}"));
  EXPECT_THAT(ParseError(space, "r32-w100|d2-se-hs:k4e4,k5e6"),
              HasSubstr("(stage 1 block 1): kernel 4 is not one of"));
  // An inactive block set: depth 2 with three blocks.
  EXPECT_THAT(ParseError(space, "r32-w100|d2-se-hs:k3e4,k5e6,k7e6"),
              HasSubstr("an inactive block may not be set"));
  EXPECT_THAT(ParseError(space, "r32-w100|d3-se-hs:k3e4,k5e6|"),
              HasSubstr("stage 1 has depth 3 but lists 2 blocks"));
  EXPECT_THAT(ParseError(space, "r32-w100|d2-xx-hs:k3e4,k5e6"),
              HasSubstr("(stage 1): expected \"se\" or \"nose\""));
  EXPECT_THAT(ParseError(space, std::string(kDefaultArch) + "|"),
              HasSubstr("unexpected text after the last of 5 stages"));
  EXPECT_THAT(ParseError(space, "r32-w100|d2-se-hs:k3e4,k5e6"), HasSubstr("stage 2"));
}

TEST(Mbv3Space, InactiveBlocksDoNotChangeTheKeyOrFeatures) {
  const Mbv3Space space = DefaultSpace();
  Architecture a = *space.Parse(kDefaultArch);
  Architecture b = a;
  // Stage 1 has depth 2: its blocks 3 and 4 are inactive.
  b.genes[space.KernelGene(0, 2)] = 2;
  b.genes[space.ExpandGene(0, 3)] = 1;
  ASSERT_NE(a, b);
  EXPECT_EQ(space.CanonicalKey(a), space.CanonicalKey(b));
  absl::StatusOr<std::vector<float>> fa = Encode(space, a, "mbv3_features");
  absl::StatusOr<std::vector<float>> fb = Encode(space, b, "mbv3_features");
  ASSERT_TRUE(fa.ok()) << fa.status();
  EXPECT_EQ(*fa, *fb);
  EXPECT_EQ(PredictorEncoding(space), "mbv3_features");
  // An active block's change does show.
  b.genes[space.KernelGene(0, 1)] = 0;
  EXPECT_NE(space.CanonicalKey(a), space.CanonicalKey(b));
  EXPECT_NE(*fa, *Encode(space, b, "mbv3_features"));
}

TEST(Mbv3Space, MutationChangesOneActiveDecision) {
  const Mbv3Space space = DefaultSpace();
  Rng rng(11);
  for (int i = 0; i < 300; ++i) {
    const Architecture parent = space.Sample(rng);
    const Architecture child = space.Mutate(parent, rng);
    ASSERT_TRUE(space.Validate(child).ok());
    int changed = 0;
    for (int g = 0; g < space.NumGenes(); ++g) changed += parent.genes[g] != child.genes[g];
    EXPECT_EQ(changed, 1);
    // Only active genes change, so the canonical key always changes.
    EXPECT_NE(space.CanonicalKey(parent), space.CanonicalKey(child));
  }
}

TEST(Mbv3Space, PlanResolvesShapes) {
  const Mbv3Space space = DefaultSpace();
  const Architecture arch = *space.Parse(kDefaultArch);
  const Mbv3Plan plan = space.Plan(arch, InputShape{1, 28, 28, 10});
  EXPECT_EQ(plan.resolution, 32);
  EXPECT_EQ(plan.stem_channels, 16);
  ASSERT_EQ(plan.blocks.size(), 2u + 3 + 4 + 2 + 3);
  const Mbv3Block& first = plan.blocks[0];
  EXPECT_EQ(first.in_channels, 16);
  EXPECT_EQ(first.mid_channels, 64);  // 16 x 4
  EXPECT_EQ(first.out_channels, 24);
  EXPECT_EQ(first.in_resolution, 16);  // 32 after the stride-2 stem
  EXPECT_TRUE(first.se);
  EXPECT_EQ(first.se_channels, 16);
  EXPECT_FALSE(first.residual);
  EXPECT_TRUE(plan.blocks[1].residual);
  EXPECT_EQ(plan.head_in_channels, 160);
  EXPECT_EQ(plan.head_resolution, 2);  // 16, 16, 8, 4, 4, 2
  // Width 75%: channels rounded to multiples of 8.
  Architecture narrow = arch;
  narrow.genes[Mbv3Space::kWidthGene] = 0;
  const Mbv3Plan small = space.Plan(narrow, InputShape{1, 28, 28, 10});
  EXPECT_EQ(small.stem_channels, 16);  // 12 rounds up to 16
  EXPECT_EQ(small.blocks[0].out_channels, 24);  // 18 -> 16 is > 10% below, so 24
  EXPECT_EQ(small.head_in_channels, 120);
  // The registry reports the architecture's resolution as the network input.
  const InputShape input =
      NetworkInputShape(SpaceConfig{"mbv3", {}}, arch, InputShape{1, 28, 28, 10});
  EXPECT_EQ(input.height, 32);
  EXPECT_EQ(input.width, 32);
}

TEST(Mbv3Space, RegistryCreatesItWithOptionsAndRefusesBadOnes) {
  absl::StatusOr<std::unique_ptr<SearchSpace>> space =
      CreateSearchSpace(SpaceConfig{"mbv3", {{"stages", "1"}, {"channels", "16"}, {"strides", "2"}}});
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ((*space)->NumGenes(), 2 + 1 * (3 + 2 * 4));
  absl::StatusOr<std::unique_ptr<SearchSpace>> bad =
      CreateSearchSpace(SpaceConfig{"mbv3", {{"stages", "2"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("space.options.channels"));
}

}  // namespace
}  // namespace edgenas
