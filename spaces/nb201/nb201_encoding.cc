#include "spaces/nb201/nb201_encoding.h"

#include <array>

#include "spaces/nb201/nb201_space.h"

namespace edgenas {
namespace {

constexpr int kNodes = 4;
constexpr int kPathOps = kNb201NumOps - 1;  // every op but none
constexpr int kPathFeatures = kPathOps + kPathOps * kPathOps + kPathOps * kPathOps * kPathOps;
constexpr int kOneHot = kNb201NumEdges * kNb201NumOps;

// Gene index of the edge to_node <- from_node.
int EdgeGene(int to, int from) {
  const auto& edges = Nb201Edges();
  for (int i = 0; i < kNb201NumEdges; ++i) {
    if (edges[i].first == to && edges[i].second == from) return i;
  }
  return -1;
}

void AppendPaths(const Architecture& arch, std::vector<float>* out) {
  static const std::array<std::vector<int>, 4> kPaths = {
      std::vector<int>{0, 3}, std::vector<int>{0, 1, 3}, std::vector<int>{0, 2, 3},
      std::vector<int>{0, 1, 2, 3}};
  std::vector<float> counts(kPathFeatures, 0.f);
  for (const auto& path : kPaths) {
    int index = 0;
    bool open = true;
    for (size_t k = 0; k + 1 < path.size(); ++k) {
      const int op = arch.genes[EdgeGene(path[k + 1], path[k])];
      if (op == static_cast<int>(Nb201Op::kNone)) {
        open = false;
        break;
      }
      index = index * kPathOps + (op - 1);
    }
    if (!open) continue;
    const int length = static_cast<int>(path.size()) - 1;
    const int offset = length == 1 ? 0 : length == 2 ? kPathOps : kPathOps + kPathOps * kPathOps;
    counts[offset + index] += 1.f;
  }
  out->insert(out->end(), counts.begin(), counts.end());
}

}  // namespace

std::vector<std::string> Nb201FeatureEncoder::Names() const {
  return {"adjacency", "path", "path_live"};
}

int Nb201FeatureEncoder::Length(const std::string& name, const SearchSpace&) const {
  if (name == "adjacency") return kNodes * kNodes * kPathOps;
  if (name == "path") return kPathFeatures;
  return kPathFeatures + kOneHot + kNb201NumOps - 1;  // path_live
}

std::vector<float> Nb201FeatureEncoder::Encode(const std::string& name, const SearchSpace& space,
                                               const Architecture& arch) const {
  std::vector<float> out;
  if (name == "adjacency") {
    out.assign(Length(name, space), 0.f);
    const auto& edges = Nb201Edges();
    for (int i = 0; i < kNb201NumEdges; ++i) {
      if (arch.genes[i] == 0) continue;
      const auto [to, from] = edges[i];
      out[(to * kNodes + from) * kPathOps + arch.genes[i] - 1] = 1.f;
    }
    return out;
  }
  out.reserve(Length(name, space));
  AppendPaths(arch, &out);
  if (name == "path") return out;
  // path_live: the live cell's one-hot and its op counts.
  std::vector<int> genes = arch.genes;
  const std::vector<bool> live = Nb201LiveEdges(arch);
  for (int i = 0; i < kNb201NumEdges; ++i) {
    if (!live[i]) genes[i] = 0;
  }
  for (int g = 0; g < kNb201NumEdges; ++g) {
    for (int c = 0; c < kNb201NumOps; ++c) out.push_back(genes[g] == c ? 1.f : 0.f);
  }
  std::vector<float> counts(kNb201NumOps - 1, 0.f);
  for (int i = 0; i < kNb201NumEdges; ++i) {
    if (live[i]) counts[genes[i] - 1] += 1.f;
  }
  out.insert(out.end(), counts.begin(), counts.end());
  return out;
}

}  // namespace edgenas
