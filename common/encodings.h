// Encodings of architectures as numeric feature vectors, for predictors
// (Bayesian optimisation) and diagnostics. "one_hot" (one indicator per
// (gene, choice)) works for every space; a space may add its own encodings
// (e.g. a cell space's adjacency or path encodings) through a FeatureEncoder
// in its registration (common/space_registry.h).
#ifndef EDGENAS_COMMON_ENCODINGS_H_
#define EDGENAS_COMMON_ENCODINGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/search_space.h"

namespace edgenas {

inline constexpr char kOneHotEncoding[] = "one_hot";

// A space's own encodings. Implementations are immutable and thread-safe.
class FeatureEncoder {
 public:
  virtual ~FeatureEncoder() = default;
  // The encodings it gives, by name (never "one_hot").
  virtual std::vector<std::string> Names() const = 0;
  // The one predictors should use (one of Names()).
  virtual std::string Preferred() const = 0;
  // Length of encoding `name` (one of Names()) over `space` (the registered
  // space this encoder belongs to, built with the job's options).
  virtual int Length(const std::string& name, const SearchSpace& space) const = 0;
  // Encoding `name` of a valid architecture of `space` (length Length(name)).
  virtual std::vector<float> Encode(const std::string& name, const SearchSpace& space,
                                    const Architecture& arch) const = 0;
};

// "one_hot" followed by the names `space`'s encoder gives.
std::vector<std::string> KnownEncodings(const SearchSpace& space);

// The encoding a predictor over `space` should use: its encoder's preferred
// one, or "one_hot".
std::string PredictorEncoding(const SearchSpace& space);

// Length of encoding `name` over `space`; INVALID_ARGUMENT listing the known
// names for an encoding the space does not give.
absl::StatusOr<int> EncodingLength(const SearchSpace& space, absl::string_view name);

// Encodes a valid architecture of `space` (length EncodingLength). Errors as
// EncodingLength, plus INVALID_ARGUMENT for an invalid architecture.
absl::StatusOr<std::vector<float>> Encode(const SearchSpace& space, const Architecture& arch,
                                          absl::string_view name);

// Appends the one-hot encoding of `genes` over `space` to `out` (for
// encoders that build on it).
void AppendOneHot(const SearchSpace& space, const std::vector<int>& genes,
                  std::vector<float>* out);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_ENCODINGS_H_
