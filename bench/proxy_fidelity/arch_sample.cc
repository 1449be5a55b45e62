#include "bench/proxy_fidelity/arch_sample.h"

#include <array>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "spaces/nb201/nb201_space.h"
#include "common/random.h"

namespace edgenas {

bool Nb201OutputConnected(const Architecture& arch) {
  // Nb201Edges() lists (to, from) in gene order, each edge after the
  // edges into its source node, so one pass settles reachability.
  std::array<bool, 4> reached = {true, false, false, false};
  for (int gene = 0; gene < kNb201NumEdges; ++gene) {
    const auto [to, from] = Nb201Edges()[gene];
    if (arch.genes[gene] != static_cast<int>(Nb201Op::kNone) && reached[from]) reached[to] = true;
  }
  return reached[3];
}

absl::StatusOr<std::vector<Architecture>> DrawConnectedNb201(int count, uint64_t seed) {
  const Nb201Space space;
  if (count < 1 || count > space.DistinctCount()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--archs: ", count, " is not in [1, ", space.DistinctCount(), "] (distinct NB201 cells)"));
  }
  Rng rng(seed);
  std::set<std::string> keys;
  std::vector<Architecture> out;
  // Uniform draws find every connected class eventually; the cap only
  // guards against asking for more connected classes than exist.
  const int64_t max_draws = 1000 * space.Size();
  for (int64_t draw = 0; draw < max_draws && static_cast<int>(out.size()) < count; ++draw) {
    Architecture arch = space.Sample(rng);
    if (!Nb201OutputConnected(arch)) continue;
    if (!keys.insert(space.CanonicalKey(arch)).second) continue;
    out.push_back(std::move(arch));
  }
  if (static_cast<int>(out.size()) < count) {
    return absl::InvalidArgumentError(absl::StrCat("--archs: only ", out.size(),
                                                   " connected distinct NB201 cells found for ",
                                                   count, " asked"));
  }
  return out;
}

absl::StatusOr<std::vector<Architecture>> DrawDistinct(const SearchSpace& space, int count,
                                                       uint64_t seed) {
  const int64_t distinct = space.DistinctCount();  // -1 when the space does not know
  if (count < 1 || (distinct >= 0 && count > distinct)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--archs: ", count, " is not in [1, ", distinct >= 0 ? distinct : count,
                     "] (distinct ", space.Name(), " architectures)"));
  }
  Rng rng(seed);
  std::set<std::string> keys;
  std::vector<Architecture> out;
  const int64_t max_draws = 1000 * static_cast<int64_t>(count);
  for (int64_t draw = 0; draw < max_draws && static_cast<int>(out.size()) < count; ++draw) {
    Architecture arch = space.Sample(rng);
    if (keys.insert(space.CanonicalKey(arch)).second) out.push_back(std::move(arch));
  }
  if (static_cast<int>(out.size()) < count) {
    return absl::InvalidArgumentError(absl::StrCat("--archs: only ", out.size(), " distinct ",
                                                   space.Name(), " architectures in ", max_draws,
                                                   " draws for ", count, " asked"));
  }
  return out;
}

}  // namespace edgenas
