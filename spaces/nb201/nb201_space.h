// The NAS-Bench-201 cell space: a 4-node DAG, 6 edges, 5 operations each
// (15,625 cells). Genes are the operations on the edges in the standard
// string order: node1<-0 | node2<-0, node2<-1 | node3<-0, node3<-1, node3<-2.
#ifndef EDGENAS_SPACES_NB201_NB201_SPACE_H_
#define EDGENAS_SPACES_NB201_NB201_SPACE_H_

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "common/search_space.h"

namespace edgenas {

// Operation indices, in the order used by the categorical encoding.
enum class Nb201Op : int {
  kNone = 0,
  kSkipConnect = 1,
  kConv1x1 = 2,
  kConv3x3 = 3,
  kAvgPool3x3 = 4,
};

inline constexpr int kNb201NumEdges = 6;
inline constexpr int kNb201NumOps = 5;
// Defaults of the space's options (the network's depth and first-stage width).
inline constexpr int kDefaultCellsPerStage = 1;
inline constexpr int kDefaultChannels = 16;
// The default teacher of flash distillation: every edge a 3x3 convolution.
inline constexpr char kDefaultTeacherArch[] =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";
// Standard op names: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
const std::array<const char*, kNb201NumOps>& Nb201OpNames();
// (to_node, from_node) for each of the 6 edges, in gene order.
const std::array<std::pair<int, int>, kNb201NumEdges>& Nb201Edges();

// OK for 6 genes each in [0, 5); INVALID_ARGUMENT naming arch (the count)
// or arch.genes[i] otherwise. For builders handed genes rather than text.
absl::Status Nb201CheckGenes(const Architecture& arch);

// Which of the 6 edges are live: the op is not none, its source carries a
// (structurally) non-zero value and its target reaches the output. Dead
// edges cannot influence the output; the network does not build them, the
// canonical key and the latency model leave them out. The one copy of the
// rule. Requires a valid cell.
std::vector<bool> Nb201LiveEdges(const Architecture& arch);

class Nb201Space : public SearchSpace {
 public:
  std::string Name() const override { return "nb201"; }
  int NumGenes() const override { return kNb201NumEdges; }
  int Cardinality(int gene) const override { return kNb201NumOps; }
  int64_t Size() const override { return 15625; }

  // Parses "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|...|".
  // Errors name the offending node/edge and token.
  absl::StatusOr<Architecture> Parse(absl::string_view text) const override;
  std::string Print(const Architecture& arch) const override;
  // Merges isomorphic cells and cells that differ only in edges that cannot
  // influence the output; 6,466 classes over the whole space.
  std::string CanonicalKey(const Architecture& arch) const override;
  // 6,466 (counted once by enumerating the space).
  int64_t DistinctCount() const override;

  // Index 0..15624 of an architecture (gene 0 most significant, base 5),
  // and its inverse. Requires a valid architecture / index.
  static int Index(const Architecture& arch);
  static Architecture FromIndex(int index);
};

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_SPACE_H_
