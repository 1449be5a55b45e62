#include "spaces/mbv3/mbv3_encoding.h"

#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {
namespace {

float Scaled(int index, int cardinality) {
  return cardinality > 1 ? static_cast<float>(index) / (cardinality - 1) : 0.f;
}

}  // namespace

int Mbv3FeatureEncoder::Length(const std::string&, const SearchSpace& space) const {
  const auto& mbv3 = static_cast<const Mbv3Space&>(space);
  return 2 + mbv3.options().stages * (3 + 3 * mbv3.MaxDepth());
}

std::vector<float> Mbv3FeatureEncoder::Encode(const std::string& name, const SearchSpace& space,
                                              const Architecture& arch) const {
  const auto& mbv3 = static_cast<const Mbv3Space&>(space);
  std::vector<float> out;
  out.reserve(Length(name, space));
  const auto gene = [&](int g) { return Scaled(arch.genes[g], mbv3.Cardinality(g)); };
  out.push_back(gene(Mbv3Space::kResolutionGene));
  out.push_back(gene(Mbv3Space::kWidthGene));
  for (int s = 0; s < mbv3.options().stages; ++s) {
    out.push_back(gene(mbv3.StageGene(s)));
    out.push_back(static_cast<float>(arch.genes[mbv3.SeGene(s)]));
    out.push_back(static_cast<float>(arch.genes[mbv3.ActGene(s)]));
    const int depth = mbv3.Depth(arch, s);
    for (int b = 0; b < mbv3.MaxDepth(); ++b) {
      const bool active = b < depth;
      out.push_back(active ? 1.f : 0.f);
      out.push_back(active ? gene(mbv3.KernelGene(s, b)) : 0.f);
      out.push_back(active ? gene(mbv3.ExpandGene(s, b)) : 0.f);
    }
  }
  return out;
}

}  // namespace edgenas
