#include "common/encodings.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/nb201_space.h"

namespace edgenas {
namespace {

constexpr int kNodes = 4;
constexpr int kPathOps = kNb201NumOps - 1;  // every op but none
constexpr int kPathFeatures = kPathOps + kPathOps * kPathOps + kPathOps * kPathOps * kPathOps;

bool IsNb201(const SearchSpace& space) { return space.Name() == "nb201"; }

// Gene index of the edge to_node <- from_node.
int EdgeGene(int to, int from) {
  const auto& edges = Nb201Edges();
  for (int i = 0; i < kNb201NumEdges; ++i) {
    if (edges[i].first == to && edges[i].second == from) return i;
  }
  return -1;
}

void AppendOneHot(const SearchSpace& space, const std::vector<int>& genes,
                  std::vector<float>* out) {
  for (int g = 0; g < space.NumGenes(); ++g) {
    for (int c = 0; c < space.Cardinality(g); ++c) out->push_back(genes[g] == c ? 1.f : 0.f);
  }
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

absl::StatusOr<EncodingKind> ParseEncodingKind(absl::string_view name) {
  if (name == "one_hot") return EncodingKind::kOneHot;
  if (name == "adjacency") return EncodingKind::kAdjacency;
  if (name == "path") return EncodingKind::kPath;
  if (name == "path_live") return EncodingKind::kPathLive;
  return absl::InvalidArgumentError(absl::StrCat("unknown encoding \"", name, "\"; known: ",
                                                 absl::StrJoin(KnownEncodings(), ", ")));
}

std::vector<std::string> KnownEncodings() { return {"one_hot", "adjacency", "path", "path_live"}; }

absl::StatusOr<int> EncodingLength(const SearchSpace& space, EncodingKind kind) {
  int one_hot = 0;
  for (int g = 0; g < space.NumGenes(); ++g) one_hot += space.Cardinality(g);
  if (kind == EncodingKind::kOneHot) return one_hot;
  if (!IsNb201(space)) {
    return absl::UnimplementedError(
        absl::StrCat("encoding only defined for nb201, not \"", space.Name(), "\""));
  }
  switch (kind) {
    case EncodingKind::kAdjacency:
      return kNodes * kNodes * kPathOps;
    case EncodingKind::kPath:
      return kPathFeatures;
    case EncodingKind::kPathLive:
      return kPathFeatures + one_hot + kNb201NumOps - 1;
    default:
      return one_hot;
  }
}

std::vector<bool> Nb201LiveEdges(const Architecture& arch) {
  const auto& edges = Nb201Edges();
  auto op = [&](int to, int from) { return arch.genes[EdgeGene(to, from)]; };
  std::array<bool, kNodes> from_input{true, false, false, false};
  for (int n = 1; n < kNodes; ++n) {
    for (int m = 0; m < n; ++m) from_input[n] = from_input[n] || (from_input[m] && op(n, m) != 0);
  }
  std::array<bool, kNodes> to_output{false, false, false, true};
  for (int n = kNodes - 2; n >= 0; --n) {
    for (int m = n + 1; m < kNodes; ++m) to_output[n] = to_output[n] || (to_output[m] && op(m, n) != 0);
  }
  std::vector<bool> live(kNb201NumEdges, false);
  for (int i = 0; i < kNb201NumEdges; ++i) {
    const auto [to, from] = edges[i];
    live[i] = arch.genes[i] != 0 && from_input[from] && to_output[to];
  }
  return live;
}

absl::StatusOr<std::vector<float>> Encode(const SearchSpace& space, const Architecture& arch,
                                          EncodingKind kind) {
  if (absl::Status s = space.Validate(arch); !s.ok()) return s;
  auto length = EncodingLength(space, kind);
  if (!length.ok()) return length.status();
  std::vector<float> out;
  out.reserve(*length);
  switch (kind) {
    case EncodingKind::kOneHot:
      AppendOneHot(space, arch.genes, &out);
      break;
    case EncodingKind::kAdjacency: {
      out.assign(*length, 0.f);
      const auto& edges = Nb201Edges();
      for (int i = 0; i < kNb201NumEdges; ++i) {
        if (arch.genes[i] == 0) continue;
        const auto [to, from] = edges[i];
        out[(to * kNodes + from) * kPathOps + arch.genes[i] - 1] = 1.f;
      }
      break;
    }
    case EncodingKind::kPath:
      AppendPaths(arch, &out);
      break;
    case EncodingKind::kPathLive: {
      AppendPaths(arch, &out);
      std::vector<int> genes = arch.genes;
      const std::vector<bool> live = Nb201LiveEdges(arch);
      for (int i = 0; i < kNb201NumEdges; ++i) {
        if (!live[i]) genes[i] = 0;
      }
      AppendOneHot(space, genes, &out);
      std::vector<float> counts(kNb201NumOps - 1, 0.f);
      for (int i = 0; i < kNb201NumEdges; ++i) {
        if (live[i]) counts[genes[i] - 1] += 1.f;
      }
      out.insert(out.end(), counts.begin(), counts.end());
      break;
    }
  }
  return out;
}

}  // namespace edgenas
