#include "spaces/nb201/nb201_space.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/random.h"
#include "common/search_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr int kNumCells = 15625;

Architecture Arch(std::vector<int> genes) { return Architecture{std::move(genes)}; }

// Parses `text` and returns the error message (empty when it parsed).
std::string ParseErrorOf(absl::string_view text) {
  absl::StatusOr<Architecture> arch = Nb201Space().Parse(text);
  if (arch.ok()) return "";
  EXPECT_EQ(arch.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(arch.status().message());
}

// Round trip: Print then Parse gives back every cell, and Index/FromIndex agree.
TEST(Nb201Space, RoundTripsEveryCellThroughTextAndIndex) {
  Nb201Space space;
  for (int i = 0; i < kNumCells; ++i) {
    const Architecture arch = Nb201Space::FromIndex(i);
    ASSERT_TRUE(space.Validate(arch).ok()) << i;
    ASSERT_EQ(Nb201Space::Index(arch), i);
    const std::string text = space.Print(arch);
    absl::StatusOr<Architecture> parsed = space.Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    ASSERT_EQ(*parsed, arch) << text;
    ASSERT_EQ(space.Print(*parsed), text);
  }
}

// Print uses the standard NB201 string layout and gene order.
TEST(Nb201Space, PrintsStandardStringInGeneOrder) {
  EXPECT_EQ(Nb201Space().Print(Arch({3, 0, 1, 2, 4, 3})),
            "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|avg_pool_3x3~1|"
            "nor_conv_3x3~2|");
  EXPECT_EQ(Nb201Space::Index(Arch({0, 0, 0, 0, 0, 1})), 1);
  EXPECT_EQ(Nb201Space::Index(Arch({1, 0, 0, 0, 0, 0})), 3125);
}

// The canonical key splits the space into the published 6,466 classes.
TEST(Nb201Space, CanonicalKeyGives6466Classes) {
  Nb201Space space;
  std::set<std::string> keys;
  for (int i = 0; i < kNumCells; ++i) keys.insert(space.CanonicalKey(Nb201Space::FromIndex(i)));
  EXPECT_EQ(keys.size(), 6466u);
  EXPECT_EQ(space.DistinctCount(), 6466);
}

// Same key iff same iso_class in the benchmark table (the reference partition).
TEST(Nb201Space, CanonicalKeyMatchesIsoClassColumnOfTable) {
  const char* shared = std::getenv("EDGENAS_SHARED_DIR");
  if (shared == nullptr) GTEST_SKIP() << "EDGENAS_SHARED_DIR not set; no NB201 table to compare";
  const std::string path = std::string(shared) + "/data/nb201/nb201_pi5.csv";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "NB201 table not found at " << path;

  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const std::vector<std::string> header = absl::StrSplit(line, ',');
  int arch_col = -1, iso_col = -1;
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    if (header[i] == "arch") arch_col = i;
    if (header[i] == "iso_class") iso_col = i;
  }
  ASSERT_GE(arch_col, 0);
  ASSERT_GE(iso_col, 0);

  Nb201Space space;
  std::map<std::string, std::string> iso_of_key;  // key -> iso_class
  std::map<std::string, std::string> key_of_iso;  // iso_class -> key
  std::set<int> seen;
  while (std::getline(in, line)) {
    const std::vector<std::string> cols = absl::StrSplit(line, ',');
    ASSERT_GT(cols.size(), static_cast<size_t>(std::max(arch_col, iso_col)));
    absl::StatusOr<Architecture> arch = space.Parse(cols[arch_col]);
    ASSERT_TRUE(arch.ok()) << arch.status();
    EXPECT_EQ(space.Print(*arch), cols[arch_col]);
    seen.insert(Nb201Space::Index(*arch));
    const std::string key = space.CanonicalKey(*arch);
    const std::string& iso = cols[iso_col];
    auto [k, k_new] = iso_of_key.emplace(key, iso);
    EXPECT_EQ(k->second, iso) << "key " << key << " spans two iso classes";
    auto [c, c_new] = key_of_iso.emplace(iso, key);
    EXPECT_EQ(c->second, key) << "iso class " << iso << " has two keys";
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kNumCells));
  EXPECT_EQ(key_of_iso.size(), 6466u);
}

// Malformed strings are refused with a message naming the problem and place.
TEST(Nb201Space, ParseRefusesMalformedStringsWithClearMessages) {
  EXPECT_THAT(ParseErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ParseErrorOf("nor_conv_3x3~0|+|"), HasSubstr("must start with '|'"));
  // Too few nodes.
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|"), HasSubstr("expected 3 nodes, got 2"));
  // Too many nodes.
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|"),
              HasSubstr("expected 3 nodes, found more"));
  // Too few and too many edges in a node.
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|+|none~0|none~1|none~2|"),
              HasSubstr("node 2: expected 2 edges, got 1"));
  EXPECT_THAT(ParseErrorOf("|none~0|none~1|+|none~0|none~1|+|none~0|none~1|none~2|"),
              HasSubstr("node 1: expected 1 edges, found more"));
  // Unknown op, named with the place.
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|conv_5x5~1|+|none~0|none~1|none~2|"),
              HasSubstr("node 2 edge 1: unknown op \"conv_5x5\""));
  // Wrong, missing or non-numeric input index.
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|+|none~0|none~2|none~2|"),
              HasSubstr("node 3 edge 1: input ~2"));
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|+|none~0|none~1|none~+2|"),
              HasSubstr("node 3 edge 2: input ~+2"));
  EXPECT_THAT(ParseErrorOf("|none|+|none~0|none~1|+|none~0|none~1|none~2|"),
              HasSubstr("node 1 edge 0: expected op~input, got \"none\""));
  // Missing pipes.
  EXPECT_THAT(ParseErrorOf("|none~0+|none~0|none~1|+|none~0|none~1|none~2|"),
              HasSubstr("node 1 edge 0: input ~0+"));
  EXPECT_THAT(ParseErrorOf("|none~0|+none~0|none~1|+|none~0|none~1|none~2|"),
              HasSubstr("expected '|' after '+' following node 1"));
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|+|none~0|none~1|none~2"),
              HasSubstr("node 3 edge 2: missing '|'"));
  // Trailing garbage.
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|+|none~0|none~1|none~2| "),
              HasSubstr("trailing characters \" \""));
  EXPECT_THAT(ParseErrorOf("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x"),
              HasSubstr("trailing characters \"x\""));
}

// Cells whose three edges into node 3 are none all equal the all-none cell.
TEST(Nb201Space, CanonicalKeyMergesCellsWithNoEdgeIntoOutput) {
  Nb201Space space;
  const std::string all_none = space.CanonicalKey(Arch({0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(space.CanonicalKey(Arch({3, 2, 4, 0, 0, 0})), all_none);
  EXPECT_EQ(space.CanonicalKey(Arch({1, 3, 3, 0, 0, 0})), all_none);
}

// Swapping the ops of two parallel branches into node 3 (one direct, one
// through node 1 = skip(input)) gives the same key; changing an op does not.
TEST(Nb201Space, CanonicalKeyMergesSwappedIsomorphicBranches) {
  Nb201Space space;
  // out = conv3x3(x) + conv1x1(x), with the ops on edges 3<-0 and 3<-1 swapped.
  const Architecture a = Arch({1, 0, 0, 3, 2, 0});
  const Architecture b = Arch({1, 0, 0, 2, 3, 0});
  EXPECT_EQ(space.CanonicalKey(a), space.CanonicalKey(b));
  EXPECT_NE(space.CanonicalKey(a), space.CanonicalKey(Arch({1, 0, 0, 3, 4, 0})));
  // The key reads as the sorted sum of terms.
  EXPECT_EQ(space.CanonicalKey(Arch({0, 0, 0, 3, 0, 0})), "#+#+(0)@nor_conv_3x3");
}

// Edges whose result never reaches node 3 do not change the key.
TEST(Nb201Space, CanonicalKeyIgnoresDeadEdges) {
  Nb201Space space;
  // Node 1 is read by no edge (node2<-1 and node3<-1 are none): its op is dead.
  const std::string key = space.CanonicalKey(Arch({0, 3, 0, 2, 0, 2}));
  for (int op = 1; op < kNb201NumOps; ++op) {
    EXPECT_EQ(space.CanonicalKey(Arch({op, 3, 0, 2, 0, 2})), key) << op;
  }
}

// Pins the reference (NAS-Bench-201) rule where it is coarser than function
// equality: a node fed only by none edges reads "#+#", which is not treated
// as zero downstream. The benchmark table's iso_class agrees.
TEST(Nb201Space, CanonicalKeyKeepsZeroSumsLikeReferenceRule) {
  Nb201Space space;
  // node2 = none + none; node3 = conv3x3(node2).
  EXPECT_EQ(space.CanonicalKey(Arch({0, 0, 0, 0, 0, 3})), "#+#+(#+#)@nor_conv_3x3");
  EXPECT_NE(space.CanonicalKey(Arch({0, 0, 0, 0, 0, 3})),
            space.CanonicalKey(Arch({0, 0, 0, 0, 0, 0})));
  // A single zero input (node 1 = none) does propagate as zero.
  EXPECT_EQ(space.CanonicalKey(Arch({0, 0, 0, 0, 3, 0})),
            space.CanonicalKey(Arch({0, 0, 0, 0, 0, 0})));
}

// Validate names the bad gene or the wrong gene count.
TEST(SearchSpace, ValidateNamesBadGene) {
  Nb201Space space;
  absl::Status s = space.Validate(Arch({0, 0, 0, 7, 0, 0}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("arch.genes[3]: value 7 out of range [0, 5)"));
  s = space.Validate(Arch({0, -1, 0, 0, 0, 0}));
  EXPECT_THAT(std::string(s.message()), HasSubstr("arch.genes[1]: value -1"));
  s = space.Validate(Arch({0, 0, 0}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("expects 6 genes, got 3"));
}

// CreateSearchSpace knows nb201 and lists the known names otherwise.
TEST(SearchSpace, CreateSearchSpaceRefusesUnknownNameListingKnown) {
  absl::StatusOr<std::unique_ptr<SearchSpace>> space = CreateSearchSpace("nb201");
  ASSERT_TRUE(space.ok());
  EXPECT_EQ((*space)->Name(), "nb201");
  EXPECT_EQ((*space)->Size(), kNumCells);
  space = CreateSearchSpace("foo");
  EXPECT_EQ(space.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(space.status().message()),
              ::testing::StartsWith("space.name: unknown search space \"foo\"; known: mbv3, nb201"));
}

// Samples are valid, reproducible per seed, and reach every op on every edge.
TEST(SearchSpace, SampleIsValidDeterministicAndCoversEveryValue) {
  Nb201Space space;
  Rng a(/*seed=*/42), b(/*seed=*/42), c(/*seed=*/43);
  std::vector<std::set<int>> values(kNb201NumEdges);
  bool differs_from_other_seed = false;
  for (int i = 0; i < 500; ++i) {
    const Architecture x = space.Sample(a);
    ASSERT_TRUE(space.Validate(x).ok());
    EXPECT_EQ(x, space.Sample(b));
    differs_from_other_seed |= x != space.Sample(c);
    for (int g = 0; g < kNb201NumEdges; ++g) values[g].insert(x.genes[g]);
  }
  EXPECT_TRUE(differs_from_other_seed);
  for (int g = 0; g < kNb201NumEdges; ++g) EXPECT_EQ(values[g].size(), 5u) << g;
}

// Mutate changes exactly one gene to another valid value, reproducibly.
TEST(SearchSpace, MutateChangesExactlyOneGeneDeterministically) {
  Nb201Space space;
  Rng sampler(/*seed=*/1), a(/*seed=*/7), b(/*seed=*/7);
  std::set<int> genes_changed;
  for (int i = 0; i < 500; ++i) {
    const Architecture parent = space.Sample(sampler);
    const Architecture child = space.Mutate(parent, a);
    ASSERT_TRUE(space.Validate(child).ok());
    EXPECT_EQ(child, space.Mutate(parent, b));
    int diff = 0;
    for (int g = 0; g < kNb201NumEdges; ++g) {
      if (child.genes[g] != parent.genes[g]) {
        ++diff;
        genes_changed.insert(g);
      }
    }
    EXPECT_EQ(diff, 1);
  }
  EXPECT_EQ(genes_changed.size(), static_cast<size_t>(kNb201NumEdges));
}

}  // namespace
}  // namespace edgenas
