#include "tests/spaces/tiny_test/tiny_space.h"

#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/space_registry.h"

namespace edgenas {
namespace tiny_test {
namespace {

// The index of `value` in `choices` after `prefix`, or -1.
int Choice(absl::string_view part, char prefix, const int (&choices)[2]) {
  int value = 0;
  if (part.empty() || part[0] != prefix || !absl::SimpleAtoi(part.substr(1), &value)) return -1;
  for (int i = 0; i < 2; ++i) {
    if (choices[i] == value) return i;
  }
  return -1;
}

}  // namespace

absl::StatusOr<Architecture> TinySpace::Parse(absl::string_view text) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("tiny_test arch: expected w<4|8>-k<1|3>-d<1|2>, got \"",
                     text.substr(0, 40), "\""));
  }
  Architecture arch;
  const char* const prefixes[3] = {"w", "k", "d"};
  const int(*choices[3])[2] = {&kWidths, &kKernels, &kDepths};
  for (int g = 0; g < 3; ++g) {
    const int index = Choice(parts[g], prefixes[g][0], *choices[g]);
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat("tiny_test arch: part ", g, " \"",
                                                     parts[g].substr(0, 20), "\" is not one of ",
                                                     prefixes[g], (*choices[g])[0], ", ",
                                                     prefixes[g], (*choices[g])[1]));
    }
    arch.genes.push_back(index);
  }
  return arch;
}

std::string TinySpace::Print(const Architecture& arch) const {
  return absl::StrCat("w", kWidths[arch.genes[0]], "-k", kKernels[arch.genes[1]], "-d",
                      kDepths[arch.genes[2]]);
}

}  // namespace tiny_test

EDGENAS_SPACE_CORE_REGISTRATION(tiny_test) {
  RegisterSpace(SpaceRegistration{
      "tiny_test",
      [](const SpaceConfig&) -> absl::StatusOr<std::unique_ptr<SearchSpace>> {
        return std::unique_ptr<SearchSpace>(std::make_unique<tiny_test::TinySpace>());
      },
      /*options=*/{},
      /*latency_model=*/nullptr,
      /*encoder=*/nullptr,
      /*teacher=*/{},
  });
}

}  // namespace edgenas
