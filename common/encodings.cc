#include "common/encodings.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/space_registry.h"

namespace edgenas {
namespace {

// The space's encoder, or nullptr (unknown spaces have none either).
const FeatureEncoder* EncoderOf(const SearchSpace& space) {
  absl::StatusOr<const FeatureEncoder*> encoder = SpaceFeatureEncoder(space.Name());
  return encoder.ok() ? *encoder : nullptr;
}

absl::Status UnknownEncoding(const SearchSpace& space, absl::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat(
      "encoding: space \"", space.Name(), "\" has no encoding \"", name.substr(0, 64),
      "\"; known: ", absl::StrJoin(KnownEncodings(space), ", ")));
}

int OneHotLength(const SearchSpace& space) {
  int length = 0;
  for (int g = 0; g < space.NumGenes(); ++g) length += space.Cardinality(g);
  return length;
}

}  // namespace

void AppendOneHot(const SearchSpace& space, const std::vector<int>& genes,
                  std::vector<float>* out) {
  for (int g = 0; g < space.NumGenes(); ++g) {
    for (int c = 0; c < space.Cardinality(g); ++c) out->push_back(genes[g] == c ? 1.f : 0.f);
  }
}

std::vector<std::string> KnownEncodings(const SearchSpace& space) {
  std::vector<std::string> names = {kOneHotEncoding};
  if (const FeatureEncoder* encoder = EncoderOf(space)) {
    for (const std::string& name : encoder->Names()) names.push_back(name);
  }
  return names;
}

std::string PredictorEncoding(const SearchSpace& space) {
  const FeatureEncoder* encoder = EncoderOf(space);
  return encoder != nullptr ? encoder->Preferred() : kOneHotEncoding;
}

absl::StatusOr<int> EncodingLength(const SearchSpace& space, absl::string_view name) {
  if (name == kOneHotEncoding) return OneHotLength(space);
  const FeatureEncoder* encoder = EncoderOf(space);
  if (encoder != nullptr) {
    const std::vector<std::string> names = encoder->Names();
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return encoder->Length(std::string(name), space);
    }
  }
  return UnknownEncoding(space, name);
}

absl::StatusOr<std::vector<float>> Encode(const SearchSpace& space, const Architecture& arch,
                                          absl::string_view name) {
  if (absl::Status s = space.Validate(arch); !s.ok()) return s;
  absl::StatusOr<int> length = EncodingLength(space, name);
  if (!length.ok()) return length.status();
  if (name == kOneHotEncoding) {
    std::vector<float> out;
    out.reserve(*length);
    AppendOneHot(space, arch.genes, &out);
    return out;
  }
  return EncoderOf(space)->Encode(std::string(name), space, arch);
}

}  // namespace edgenas
