// Tests of common/encodings: lengths, hand-computed one-hot, adjacency and
// path (BANANAS) encodings, live edges, path_live over the whole NB201
// space against canonical keys, known names, and NB201-only kinds on
// another space.
#include "common/encodings.h"

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kNone = static_cast<int>(Nb201Op::kNone);
constexpr int kSkip = static_cast<int>(Nb201Op::kSkipConnect);
constexpr int kConv1 = static_cast<int>(Nb201Op::kConv1x1);
constexpr int kConv3 = static_cast<int>(Nb201Op::kConv3x3);
constexpr int kPool = static_cast<int>(Nb201Op::kAvgPool3x3);

// Offsets of the path features by path length (4 + 16 + 64).
constexpr int kLen1 = 0;
constexpr int kLen2 = 4;
constexpr int kLen3 = 20;
constexpr int kPathLen = 84;
constexpr int kOneHotLen = 30;

// Genes in NB201 order: 1<-0 | 2<-0, 2<-1 | 3<-0, 3<-1, 3<-2.
Architecture Cell(int e10, int e20, int e21, int e30, int e31, int e32) {
  return Architecture{{e10, e20, e21, e30, e31, e32}};
}

std::vector<float> MustEncode(const SearchSpace& space, const Architecture& arch,
                              const std::string& kind) {
  absl::StatusOr<std::vector<float>> e = Encode(space, arch, kind);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : std::vector<float>{};
}

// The non-zero entries of `v` as index -> value.
std::map<int, float> NonZero(const std::vector<float>& v) {
  std::map<int, float> out;
  for (int i = 0; i < static_cast<int>(v.size()); ++i) {
    if (v[i] != 0.f) out[i] = v[i];
  }
  return out;
}

// Path feature index of an op sequence (input to output), ops not none.
int PathIndex(const std::vector<int>& ops) {
  int index = 0;
  for (int op : ops) index = index * 4 + (op - 1);
  const int offset = ops.size() == 1 ? kLen1 : ops.size() == 2 ? kLen2 : kLen3;
  return offset + index;
}

// A 2-gene space with 3 choices each, not NB201.
class TinySpace : public SearchSpace {
 public:
  std::string Name() const override { return "tiny"; }
  int NumGenes() const override { return 2; }
  int Cardinality(int gene) const override { return 3; }
  int64_t Size() const override { return 9; }
  absl::StatusOr<Architecture> Parse(absl::string_view text) const override {
    return absl::UnimplementedError("tiny");
  }
  std::string Print(const Architecture& arch) const override { return "tiny"; }
  std::string CanonicalKey(const Architecture& arch) const override {
    return std::to_string(arch.genes[0] * 3 + arch.genes[1]);
  }
};

TEST(EncodingsTest, LengthsPerKind) {
  Nb201Space space;
  EXPECT_EQ(*EncodingLength(space, "one_hot"), 30);
  EXPECT_EQ(*EncodingLength(space, "adjacency"), 64);  // 4 x 4 nodes x 4 ops
  EXPECT_EQ(*EncodingLength(space, "path"), 84);
  EXPECT_EQ(*EncodingLength(space, "path_live"), 118);
  const Architecture arch = Cell(kConv3, kSkip, kConv1, kPool, kNone, kConv3);
  for (const char* kind : {"one_hot", "adjacency", "path",
                            "path_live"}) {
    EXPECT_EQ(static_cast<int>(MustEncode(space, arch, kind).size()),
              *EncodingLength(space, kind));
  }
}

TEST(EncodingsTest, OneHotAndAdjacencyByHand) {
  Nb201Space space;
  const Architecture arch = Cell(kConv3, kNone, kSkip, kPool, kNone, kConv1);
  std::map<int, float> one_hot;
  for (int g = 0; g < 6; ++g) one_hot[g * 5 + arch.genes[g]] = 1.f;
  EXPECT_EQ(NonZero(MustEncode(space, arch, "one_hot")), one_hot);
  // (to * 4 + from) * 4 + op - 1 for each edge that carries an operation.
  EXPECT_EQ(NonZero(MustEncode(space, arch, "adjacency")),
            (std::map<int, float>{{(1 * 4 + 0) * 4 + kConv3 - 1, 1.f},
                                  {(2 * 4 + 1) * 4 + kSkip - 1, 1.f},
                                  {(3 * 4 + 0) * 4 + kPool - 1, 1.f},
                                  {(3 * 4 + 2) * 4 + kConv1 - 1, 1.f}}));
}

TEST(EncodingsTest, AllNoneCellHasNoPaths) {
  Nb201Space space;
  const Architecture arch = Cell(kNone, kNone, kNone, kNone, kNone, kNone);
  EXPECT_TRUE(NonZero(MustEncode(space, arch, "path")).empty());
  EXPECT_TRUE(NonZero(MustEncode(space, arch, "adjacency")).empty());
  std::map<int, float> live;
  for (int g = 0; g < 6; ++g) live[kPathLen + g * 5 + kNone] = 1.f;  // every edge none
  EXPECT_EQ(NonZero(MustEncode(space, arch, "path_live")), live);
  EXPECT_THAT(Nb201LiveEdges(arch), ElementsAre(false, false, false, false, false, false));
}

TEST(EncodingsTest, SingleDirectEdgeIsOneLengthOnePath) {
  Nb201Space space;
  const Architecture arch = Cell(kNone, kNone, kNone, kConv3, kNone, kNone);
  EXPECT_EQ(NonZero(MustEncode(space, arch, "path")),
            (std::map<int, float>{{kLen1 + kConv3 - 1, 1.f}}));
  EXPECT_EQ(PathIndex({kConv3}), 2);
  EXPECT_THAT(Nb201LiveEdges(arch), ElementsAre(false, false, false, true, false, false));
  std::map<int, float> live = {{kLen1 + kConv3 - 1, 1.f},
                               {kPathLen + kOneHotLen + kConv3 - 1, 1.f}};
  for (int g = 0; g < 6; ++g) live[kPathLen + g * 5 + arch.genes[g]] = 1.f;
  EXPECT_EQ(NonZero(MustEncode(space, arch, "path_live")), live);
}

TEST(EncodingsTest, ChainIsOneLengthThreePath) {
  Nb201Space space;
  // 0 -skip-> 1 -conv1x1-> 2 -pool-> 3, nothing else.
  const Architecture arch = Cell(kSkip, kNone, kConv1, kNone, kNone, kPool);
  // ((skip-1) * 4 + (conv1x1-1)) * 4 + (pool-1) = (0 * 4 + 1) * 4 + 3 = 7.
  EXPECT_EQ(NonZero(MustEncode(space, arch, "path")),
            (std::map<int, float>{{kLen3 + 7, 1.f}}));
  EXPECT_THAT(Nb201LiveEdges(arch), ElementsAre(true, false, true, false, false, true));
  const std::vector<float> live = MustEncode(space, arch, "path_live");
  EXPECT_THAT(std::vector<float>(live.begin() + kPathLen + kOneHotLen, live.end()),
              ElementsAre(1.f, 1.f, 0.f, 1.f));  // skip, conv1x1, conv3x3, pool
}

TEST(EncodingsTest, FullCellCountsEveryPath) {
  Nb201Space space;
  const Architecture arch = Cell(kConv3, kConv3, kConv3, kConv3, kConv3, kConv3);
  // Paths 0-3; 0-1-3 and 0-2-3; 0-1-2-3.
  EXPECT_EQ(NonZero(MustEncode(space, arch, "path")),
            (std::map<int, float>{{PathIndex({kConv3}), 1.f},
                                  {PathIndex({kConv3, kConv3}), 2.f},
                                  {PathIndex({kConv3, kConv3, kConv3}), 1.f}}));
  const std::vector<float> live = MustEncode(space, arch, "path_live");
  EXPECT_THAT(std::vector<float>(live.begin() + kPathLen + kOneHotLen, live.end()),
              ElementsAre(0.f, 0.f, 6.f, 0.f));
}

TEST(EncodingsTest, MixedCellPathsByHand) {
  Nb201Space space;
  // 1<-0 conv3, 2<-0 skip, 2<-1 none, 3<-0 none, 3<-1 pool, 3<-2 conv1:
  // paths 0-1-3 (conv3, pool) and 0-2-3 (skip, conv1).
  const Architecture arch = Cell(kConv3, kSkip, kNone, kNone, kPool, kConv1);
  EXPECT_EQ(NonZero(MustEncode(space, arch, "path")),
            (std::map<int, float>{{PathIndex({kConv3, kPool}), 1.f},
                                  {PathIndex({kSkip, kConv1}), 1.f}}));
  EXPECT_THAT(Nb201LiveEdges(arch), ElementsAre(true, true, false, false, true, true));
}

TEST(EncodingsTest, DeadEdgesDoNotChangePathEncodings) {
  Nb201Space space;
  // Node 1 has no input: its edge 2<-1 is dead. Node 2 does not reach the
  // output: its input edge 2<-0 is dead too.
  const Architecture base = Cell(kNone, kNone, kNone, kConv3, kSkip, kNone);
  for (const Architecture& other : {Cell(kNone, kNone, kConv1, kConv3, kSkip, kNone),
                                    Cell(kNone, kPool, kNone, kConv3, kSkip, kNone),
                                    Cell(kNone, kPool, kConv1, kConv3, kSkip, kNone)}) {
    EXPECT_EQ(MustEncode(space, other, "path"),
              MustEncode(space, base, "path"));
    EXPECT_EQ(MustEncode(space, other, "path_live"),
              MustEncode(space, base, "path_live"));
    EXPECT_NE(MustEncode(space, other, "one_hot"),
              MustEncode(space, base, "one_hot"));
    EXPECT_THAT(Nb201LiveEdges(other), ElementsAre(false, false, false, true, false, false));
  }
  // An edge out of a node that reaches no output is dead as well.
  EXPECT_THAT(Nb201LiveEdges(Cell(kConv3, kNone, kNone, kSkip, kNone, kNone)),
              ElementsAre(false, false, false, true, false, false));
}

TEST(EncodingsTest, LiveEdgesAreExactlyTheEdgesOnAnOpenPath) {
  // Over the whole space: an edge is live iff it is on an input->output
  // path of non-none operations (checked by enumerating the four paths).
  const std::vector<std::vector<int>> paths = {{3}, {0, 4}, {1, 5}, {0, 2, 5}};  // genes
  for (int i = 0; i < 15625; ++i) {
    const Architecture arch = Nb201Space::FromIndex(i);
    std::vector<bool> expected(6, false);
    for (const auto& path : paths) {
      bool open = true;
      for (int g : path) open = open && arch.genes[g] != kNone;
      if (!open) continue;
      for (int g : path) expected[g] = true;
    }
    ASSERT_EQ(Nb201LiveEdges(arch), expected) << "index " << i;
  }
}

TEST(EncodingsTest, PathLiveOverTheWholeSpace) {
  Nb201Space space;
  std::map<std::string, std::vector<float>> by_key;        // first encoding of each key
  std::map<std::string, bool> key_broken;                  // key -> encodings differ
  std::map<std::vector<int>, std::vector<float>> by_live;  // live cell -> encoding
  for (int i = 0; i < 15625; ++i) {
    const Architecture arch = Nb201Space::FromIndex(i);
    const std::vector<float> e = MustEncode(space, arch, "path_live");
    ASSERT_EQ(e.size(), 118u);
    const std::string key = space.CanonicalKey(arch);
    auto [it, inserted] = by_key.emplace(key, e);
    if (!inserted && it->second != e) key_broken[key] = true;
    // Cells with the same live cell (dead edges set to none) encode equally.
    std::vector<int> live_genes = arch.genes;
    const std::vector<bool> live = Nb201LiveEdges(arch);
    for (int g = 0; g < 6; ++g) {
      if (!live[g]) live_genes[g] = kNone;
    }
    auto [lit, linserted] = by_live.emplace(live_genes, e);
    if (!linserted) {
      ASSERT_EQ(lit->second, e) << "index " << i;
    }
  }
  EXPECT_EQ(static_cast<int64_t>(by_key.size()), space.DistinctCount());
  // Isomorphic cells (e.g. a skip edge moving an operation onto a longer
  // path) share a canonical key but not necessarily an encoding, so the
  // property "same key => same path_live" is reported, not asserted.
  std::cout << "path_live: " << key_broken.size() << " of " << by_key.size()
            << " canonical-key classes hold more than one encoding; " << by_live.size()
            << " distinct live cells\n";
  ::testing::Test::RecordProperty("classes_with_several_path_live",
                                  static_cast<int>(key_broken.size()));
  EXPECT_LT(key_broken.size(), by_key.size());
}

TEST(EncodingsTest, IsomorphicCellsCanDifferInPathLive) {
  // Both compute conv3x3(input): directly, or through node 1 and a skip.
  Nb201Space space;
  const Architecture direct = Cell(kNone, kNone, kNone, kConv3, kNone, kNone);
  const Architecture via_skip = Cell(kConv3, kNone, kNone, kNone, kSkip, kNone);
  ASSERT_EQ(space.CanonicalKey(direct), space.CanonicalKey(via_skip));
  EXPECT_NE(MustEncode(space, direct, "path_live"),
            MustEncode(space, via_skip, "path_live"));
}

// Known names per space: one_hot first, then the space's own; the
// predictor's choice is the space's preferred one.
TEST(EncodingsTest, KnownEncodingsAndPredictorChoice) {
  Nb201Space space;
  EXPECT_THAT(KnownEncodings(space), ElementsAre("one_hot", "adjacency", "path", "path_live"));
  EXPECT_EQ(PredictorEncoding(space), "path_live");
  absl::StatusOr<int> bad = EncodingLength(space, "paths");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("\"paths\"; known: one_hot, adjacency, path, path_live"));
}

TEST(EncodingsTest, Nb201OnlyKindsOnAnotherSpace) {
  TinySpace tiny;
  const Architecture arch{{2, 0}};
  EXPECT_EQ(*EncodingLength(tiny, "one_hot"), 6);
  EXPECT_THAT(MustEncode(tiny, arch, "one_hot"),
              ElementsAre(0.f, 0.f, 1.f, 1.f, 0.f, 0.f));
  for (const char* kind :
       {"adjacency", "path", "path_live"}) {
    EXPECT_EQ(EncodingLength(tiny, kind).status().code(), absl::StatusCode::kInvalidArgument);
    absl::StatusOr<std::vector<float>> e = Encode(tiny, arch, kind);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(e.status().message()), HasSubstr("\"tiny\""));
  }
}

TEST(EncodingsTest, InvalidArchitectureRefused) {
  Nb201Space space;
  for (const char* kind : {"one_hot", "path", "path_live"}) {
    EXPECT_EQ(Encode(space, Architecture{{0, 1, 2}}, kind).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Encode(space, Cell(0, 0, 0, 5, 0, 0), kind).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace edgenas
