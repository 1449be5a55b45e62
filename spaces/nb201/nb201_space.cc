#include "spaces/nb201/nb201_space.h"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edgenas {
namespace {

constexpr int kNumNodes = 4;  // node 0 is the cell input, node 3 its output
constexpr size_t kMaxQuoted = 40;

// Quotes a piece of user input for an error message, cut to a sane length.
std::string Quote(absl::string_view s) {
  if (s.size() > kMaxQuoted) return absl::StrCat("\"", s.substr(0, kMaxQuoted), "...\"");
  return absl::StrCat("\"", s, "\"");
}

absl::Status ParseError(size_t pos, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("nb201 arch: ", what, " (at character ", pos, ")"));
}

// Index of the gene of edge `edge` of node `node` (node in 1..3).
int GeneOf(int node, int edge) { return node * (node - 1) / 2 + edge; }

// Parses one "op~k" token of edge `edge` of node `node` into an op index.
absl::StatusOr<int> ParseEdgeToken(absl::string_view token, int node, int edge, size_t pos) {
  const std::string where = absl::StrCat("node ", node, " edge ", edge);
  const size_t tilde = token.find('~');
  if (tilde == absl::string_view::npos) {
    return ParseError(pos, absl::StrCat(where, ": expected op~input, got ", Quote(token)));
  }
  const absl::string_view op_name = token.substr(0, tilde);
  const absl::string_view input = token.substr(tilde + 1);
  const auto& names = Nb201OpNames();
  const auto it = std::find(names.begin(), names.end(), op_name);
  if (it == names.end()) {
    return ParseError(pos, absl::StrCat(where, ": unknown op ", Quote(op_name),
                                        "; known: ", absl::StrJoin(names, ", ")));
  }
  int from = -1;
  // SimpleAtoi accepts signs and spaces; the format allows digits only.
  const bool digits_only = !input.empty() && std::all_of(input.begin(), input.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!digits_only || !absl::SimpleAtoi(input, &from) || from != edge) {
    return ParseError(
        pos, absl::StrCat(where, ": input ~", input, " in ", Quote(token), " must be ~", edge));
  }
  return static_cast<int>(it - names.begin());
}

}  // namespace

const std::array<const char*, kNb201NumOps>& Nb201OpNames() {
  static const std::array<const char*, kNb201NumOps> kNames = {
      "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};
  return kNames;
}

const std::array<std::pair<int, int>, kNb201NumEdges>& Nb201Edges() {
  static const std::array<std::pair<int, int>, kNb201NumEdges> kEdges = {
      std::pair<int, int>{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}};
  return kEdges;
}

absl::StatusOr<Architecture> Nb201Space::Parse(absl::string_view text) const {
  if (text.empty()) return ParseError(0, "empty string");
  if (text[0] != '|') {
    return ParseError(0, absl::StrCat("must start with '|', got ", Quote(text.substr(0, 1))));
  }
  Architecture arch;
  arch.genes.assign(kNb201NumEdges, 0);
  size_t pos = 1;
  for (int node = 1; node < kNumNodes; ++node) {
    for (int edge = 0; edge < node; ++edge) {
      const size_t end = text.find('|', pos);
      const absl::string_view token =
          text.substr(pos, end == absl::string_view::npos ? absl::string_view::npos : end - pos);
      if (token.empty() || token == "+") {
        return ParseError(pos,
                          absl::StrCat("node ", node, ": expected ", node, " edges, got ", edge));
      }
      if (end == absl::string_view::npos) {
        return ParseError(text.size(), absl::StrCat("node ", node, " edge ", edge,
                                                    ": missing '|' after ", Quote(token)));
      }
      auto op = ParseEdgeToken(token, node, edge, pos);
      if (!op.ok()) return op.status();
      arch.genes[GeneOf(node, edge)] = *op;
      pos = end + 1;
    }
    if (node + 1 < kNumNodes) {
      if (pos >= text.size()) {
        return ParseError(pos, absl::StrCat("expected 3 nodes, got ", node));
      }
      if (text[pos] != '+') {
        const absl::string_view rest = text.substr(pos, text.find('|', pos) - pos);
        return ParseError(pos, absl::StrCat("node ", node, ": expected ", node,
                                            " edges, found more (", Quote(rest), ")"));
      }
      if (pos + 1 >= text.size() || text[pos + 1] != '|') {
        return ParseError(pos + 1, absl::StrCat("expected '|' after '+' following node ", node));
      }
      pos += 2;
    }
  }
  if (pos != text.size()) {
    if (text[pos] == '+') return ParseError(pos, "expected 3 nodes, found more");
    return ParseError(pos, absl::StrCat("trailing characters ", Quote(text.substr(pos))));
  }
  return arch;
}

std::string Nb201Space::Print(const Architecture& arch) const {
  std::string out = "|";
  for (int node = 1; node < kNumNodes; ++node) {
    if (node > 1) out += "+|";
    for (int edge = 0; edge < node; ++edge) {
      absl::StrAppend(&out, Nb201OpNames()[arch.genes[GeneOf(node, edge)]], "~", edge, "|");
    }
  }
  return out;
}

// The NAS-Bench-201 reference rule (nas_201_api's to_unique_str with
// consider_zero=True), kept term for term because it is the rule behind the
// published 6,466 classes and the iso_class column of the benchmark tables:
//   node 0 is "0"; an edge into node i contributes "#" when its op is none or
//   its source string is exactly "#", the source string for skip_connect, and
//   "(" + source + ")@" + op otherwise; node i is its contributions sorted
//   and joined with "+". Zero terms stay in the sum, and only a single "#"
//   counts as zero (so node 2 fed by two none edges is "#+#", not "#").
// Sorting merges isomorphic cells; edges whose result never reaches node 3
// drop out of the string, which merges cells differing only in dead edges.
std::string Nb201Space::CanonicalKey(const Architecture& arch) const {
  std::array<std::string, kNumNodes> node_str;
  node_str[0] = "0";
  for (int node = 1; node < kNumNodes; ++node) {
    std::vector<std::string> terms;
    for (int edge = 0; edge < node; ++edge) {
      const auto op = static_cast<Nb201Op>(arch.genes[GeneOf(node, edge)]);
      const std::string& source = node_str[edge];
      if (op == Nb201Op::kNone || source == "#") {
        terms.push_back("#");
      } else if (op == Nb201Op::kSkipConnect) {
        terms.push_back(source);
      } else {
        terms.push_back(absl::StrCat("(", source, ")@", Nb201OpNames()[static_cast<int>(op)]));
      }
    }
    std::sort(terms.begin(), terms.end());
    node_str[node] = absl::StrJoin(terms, "+");
  }
  return node_str[kNumNodes - 1];
}

int Nb201Space::Index(const Architecture& arch) {
  int index = 0;
  for (int gene : arch.genes) index = index * kNb201NumOps + gene;
  return index;
}

Architecture Nb201Space::FromIndex(int index) {
  Architecture arch;
  arch.genes.assign(kNb201NumEdges, 0);
  for (int i = kNb201NumEdges - 1; i >= 0; --i) {
    arch.genes[i] = index % kNb201NumOps;
    index /= kNb201NumOps;
  }
  return arch;
}

absl::Status Nb201CheckGenes(const Architecture& arch) {
  if (static_cast<int>(arch.genes.size()) != kNb201NumEdges) {
    return absl::InvalidArgumentError(absl::StrCat("arch: nb201 needs ", kNb201NumEdges,
                                                   " genes, got ", arch.genes.size()));
  }
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (arch.genes[e] < 0 || arch.genes[e] >= kNb201NumOps) {
      return absl::InvalidArgumentError(absl::StrCat("arch.genes[", e, "]: op index ",
                                                     arch.genes[e], " not in [0, ",
                                                     kNb201NumOps, ")"));
    }
  }
  return absl::OkStatus();
}

// Which nodes carry a (structurally) non-zero value and which reach the
// output; an edge is live only when both ends are. The canonical key merges
// cells by the same rule, and the network builds only live edges.
std::vector<bool> Nb201LiveEdges(const Architecture& arch) {
  const auto& edges = Nb201Edges();
  const int none = static_cast<int>(Nb201Op::kNone);
  std::array<bool, kNumNodes> nonzero{};
  nonzero[0] = true;
  for (int e = 0; e < kNb201NumEdges; ++e) {
    const auto [to, from] = edges[e];
    if (arch.genes[e] != none && nonzero[from]) nonzero[to] = true;
  }
  std::array<bool, kNumNodes> useful{};
  useful[kNumNodes - 1] = true;
  for (int e = kNb201NumEdges - 1; e >= 0; --e) {
    const auto [to, from] = edges[e];
    if (arch.genes[e] != none && useful[to]) useful[from] = true;
  }
  std::vector<bool> live(kNb201NumEdges, false);
  for (int e = 0; e < kNb201NumEdges; ++e) {
    const auto [to, from] = edges[e];
    live[e] = arch.genes[e] != none && nonzero[from] && useful[to];
  }
  return live;
}

int64_t Nb201Space::DistinctCount() const {
  static const int64_t count = [this] {
    std::set<std::string> keys;
    for (int i = 0; i < 15625; ++i) keys.insert(CanonicalKey(FromIndex(i)));
    return static_cast<int64_t>(keys.size());
  }();
  return count;
}

}  // namespace edgenas
