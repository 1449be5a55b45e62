// Fuzzes the architecture-string parser of every registered search space:
// parsing never crashes, an accepted string validates and round-trips
// through Print, and its canonical key is stable. The same bytes read as
// gene values must validate or be refused, never crash Print or the key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/search_space.h"

namespace {

const std::vector<std::unique_ptr<edgenas::SearchSpace>>& Spaces() {
  static auto* spaces = [] {
    auto* out = new std::vector<std::unique_ptr<edgenas::SearchSpace>>();
    for (const std::string& name : edgenas::KnownSearchSpaces()) {
      auto space = edgenas::CreateSearchSpace(name);
      if (!space.ok()) std::abort();
      out->push_back(*std::move(space));
    }
    return out;
  }();
  return *spaces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& space : Spaces()) {
    absl::StatusOr<edgenas::Architecture> arch = space->Parse(text);
    if (arch.ok()) {
      if (!space->Validate(*arch).ok()) std::abort();
      const std::string printed = space->Print(*arch);
      absl::StatusOr<edgenas::Architecture> again = space->Parse(printed);
      if (!again.ok() || *again != *arch) std::abort();
      if (space->CanonicalKey(*arch) != space->CanonicalKey(*again)) std::abort();
    } else if (arch.status().message().empty()) {
      std::abort();
    }
    // The bytes as genes (signed, so negative values are tried too).
    edgenas::Architecture genes;
    for (size_t i = 0; i < size && i < 64; ++i) genes.genes.push_back(static_cast<int8_t>(data[i]));
    if (space->Validate(genes).ok()) {
      absl::StatusOr<edgenas::Architecture> back = space->Parse(space->Print(genes));
      // Print may leave out genes that change nothing (mbv3's inactive
      // blocks), so the round trip keeps the canonical key, not every gene.
      if (!back.ok() || space->CanonicalKey(*back) != space->CanonicalKey(genes)) std::abort();
      if (space->CanonicalKey(genes).empty()) std::abort();
    }
  }
  return 0;
}
