// The architectures proxy_fidelity ranks: seeded draws of distinct
// architectures (distinct canonical keys) of any space, and for NB201 of
// cells whose output is connected to the input.
#ifndef EDGENAS_BENCH_PROXY_FIDELITY_ARCH_SAMPLE_H_
#define EDGENAS_BENCH_PROXY_FIDELITY_ARCH_SAMPLE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/search_space.h"

namespace edgenas {

// True when some path of non-"none" edges leads from node 0 to node 3 of a
// valid NB201 cell. A cell without one outputs zeros whatever its input:
// every such cell has the same (chance) accuracy, so it carries no ranking
// information.
bool Nb201OutputConnected(const Architecture& arch);

// Draws uniformly from the NB201 space with Rng(seed) until it has `count`
// connected cells with pairwise distinct canonical keys; returns them in
// draw order (the same list for the same seed on every platform).
// INVALID_ARGUMENT when count < 1 or count exceeds what the space holds.
absl::StatusOr<std::vector<Architecture>> DrawConnectedNb201(int count, uint64_t seed);

// Draws with space.Sample and Rng(seed) until it has `count` architectures
// with pairwise distinct canonical keys; returns them in draw order (the
// same list for the same seed on every platform). INVALID_ARGUMENT naming
// --archs when count < 1, count exceeds space.DistinctCount() (when the
// space knows it), or 1000 * count draws do not find them.
absl::StatusOr<std::vector<Architecture>> DrawDistinct(const SearchSpace& space, int count,
                                                       uint64_t seed);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_PROXY_FIDELITY_ARCH_SAMPLE_H_
