// SearchSpace: the seam between search strategies and one family of
// architectures. An architecture is a categorical vector (its genes); the
// space knows how to parse and print it, which genes are valid, which
// architectures compute the same function (canonical key), and how to
// sample and mutate. Implementations are immutable and thread-safe.
#ifndef EDGENAS_COMMON_SEARCH_SPACE_H_
#define EDGENAS_COMMON_SEARCH_SPACE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/random.h"

namespace edgenas {

// The categorical encoding: genes[i] in [0, Cardinality(i)).
struct Architecture {
  std::vector<int> genes;
  bool operator==(const Architecture& o) const { return genes == o.genes; }
  bool operator!=(const Architecture& o) const { return genes != o.genes; }
};

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;

  // Short name used in job specs, as registered.
  virtual std::string Name() const = 0;
  // Number of genes and the number of choices for each.
  virtual int NumGenes() const = 0;
  virtual int Cardinality(int gene) const = 0;
  // Total number of architectures (may saturate at INT64_MAX).
  virtual int64_t Size() const = 0;

  // Parses the text form; INVALID_ARGUMENT says what and where.
  virtual absl::StatusOr<Architecture> Parse(absl::string_view text) const = 0;
  // Prints the text form. Requires Validate(arch).ok(). Genes that change
  // nothing (e.g. settings of inactive blocks) may be left out: Parse of the
  // text gives an architecture with the same canonical key.
  virtual std::string Print(const Architecture& arch) const = 0;
  // OK when every gene is in range; INVALID_ARGUMENT naming the gene otherwise.
  virtual absl::Status Validate(const Architecture& arch) const;

  // Equal for architectures that compute the same function. Requires a
  // valid architecture.
  virtual std::string CanonicalKey(const Architecture& arch) const = 0;

  // Number of distinct canonical keys in the space, or -1 when unknown
  // (e.g. continuous or huge spaces). A job stops creating candidates once
  // it has this many.
  virtual int64_t DistinctCount() const { return -1; }

  // Uniformly random architecture.
  virtual Architecture Sample(Rng& rng) const;
  // A neighbour that differs from `arch` in exactly one gene.
  virtual Architecture Mutate(const Architecture& arch, Rng& rng) const;
};

// Returns the space named `name` from the registry (common/space_registry.h);
// INVALID_ARGUMENT listing the known names otherwise.
absl::StatusOr<std::unique_ptr<SearchSpace>> CreateSearchSpace(absl::string_view name);

// Names accepted by CreateSearchSpace, for error messages.
std::vector<std::string> KnownSearchSpaces();

}  // namespace edgenas

#endif  // EDGENAS_COMMON_SEARCH_SPACE_H_
