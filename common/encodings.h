// Encodings of architectures as numeric feature vectors, for predictors
// (Bayesian optimisation) and diagnostics:
//   * one-hot:    one indicator per (gene, choice); any space.
//   * adjacency:  NB201 only: the 4x4 lower-triangular cell matrix with one
//                 indicator per (edge, operation) for the edges that carry
//                 an operation ("none" edges are absent, unlike one-hot);
//                 4 x 4 nodes x 4 operations = 64 entries.
//   * path:       NB201 only (BANANAS, White et al. 2021): one count per
//                 operation sequence of an input->output path through the
//                 cell (4 + 16 + 64 = 84 sequences over the four non-none
//                 operations). Edges on no input->output path add nothing,
//                 so cells that differ only in such edges share it; other
//                 cells with one canonical key may not (a skip edge
//                 lengthens a path: 1299 of the 6466 classes hold more than
//                 one path_live encoding).
//   * path_live:  path (84), then the one-hot of the cell with every edge
//                 that lies on no input->output path set to "none" (the live
//                 cell; 30), then the number of live edges carrying each
//                 non-none operation (4): 118 in all.
#ifndef EDGENAS_COMMON_ENCODINGS_H_
#define EDGENAS_COMMON_ENCODINGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/search_space.h"

namespace edgenas {

enum class EncodingKind { kOneHot, kAdjacency, kPath, kPathLive };

// "one_hot", "adjacency", "path", "path_live"; INVALID_ARGUMENT listing them.
absl::StatusOr<EncodingKind> ParseEncodingKind(absl::string_view name);
std::vector<std::string> KnownEncodings();

// Length of the encoding over `space`; UNIMPLEMENTED for an NB201-only
// encoding of another space.
absl::StatusOr<int> EncodingLength(const SearchSpace& space, EncodingKind kind);

// Encodes a valid architecture of `space` (length EncodingLength).
// UNIMPLEMENTED as above; INVALID_ARGUMENT for an invalid architecture.
absl::StatusOr<std::vector<float>> Encode(const SearchSpace& space, const Architecture& arch,
                                          EncodingKind kind);

// NB201: which of the six edges lie on an input->output path of non-none
// operations (the others cannot influence the output). Requires valid genes.
std::vector<bool> Nb201LiveEdges(const Architecture& arch);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_ENCODINGS_H_
