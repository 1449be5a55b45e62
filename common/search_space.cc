#include "common/search_space.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edgenas {

absl::Status SearchSpace::Validate(const Architecture& arch) const {
  if (static_cast<int>(arch.genes.size()) != NumGenes()) {
    return absl::InvalidArgumentError(absl::StrCat("arch.genes: ", Name(), " expects ", NumGenes(),
                                                   " genes, got ", arch.genes.size()));
  }
  for (int i = 0; i < NumGenes(); ++i) {
    const int value = arch.genes[i];
    if (value < 0 || value >= Cardinality(i)) {
      return absl::InvalidArgumentError(absl::StrCat("arch.genes[", i, "]: value ", value,
                                                     " out of range [0, ", Cardinality(i), ")"));
    }
  }
  return absl::OkStatus();
}

Architecture SearchSpace::Sample(Rng& rng) const {
  Architecture arch;
  arch.genes.reserve(NumGenes());
  for (int i = 0; i < NumGenes(); ++i) arch.genes.push_back(rng.UniformInt(Cardinality(i)));
  return arch;
}

Architecture SearchSpace::Mutate(const Architecture& arch, Rng& rng) const {
  // Only genes with an alternative value can change; a space where none has
  // one has no neighbours, and the input is returned unchanged.
  std::vector<int> mutable_genes;
  for (int i = 0; i < NumGenes(); ++i) {
    if (Cardinality(i) > 1) mutable_genes.push_back(i);
  }
  Architecture child = arch;
  if (mutable_genes.empty()) return child;
  const int gene = mutable_genes[rng.UniformInt(static_cast<int>(mutable_genes.size()))];
  // Draw among the other Cardinality-1 values so the gene always changes.
  const int offset = 1 + rng.UniformInt(Cardinality(gene) - 1);
  child.genes[gene] = (arch.genes[gene] + offset) % Cardinality(gene);
  return child;
}

}  // namespace edgenas
