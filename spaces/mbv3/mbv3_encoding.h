// Numeric features of mbv3 architectures for predictors (Bayesian
// optimisation): "mbv3_features" gives the decoded choices, scaled to
// [0, 1], with inactive blocks zeroed, so that two strings with one
// canonical key encode the same; one-hot over the genes would carry the
// latent genes of inactive blocks as noise.
#ifndef EDGENAS_SPACES_MBV3_MBV3_ENCODING_H_
#define EDGENAS_SPACES_MBV3_MBV3_ENCODING_H_

#include <string>
#include <vector>

#include "common/encodings.h"

namespace edgenas {

// Layout: resolution, width, then per stage depth, SE, h-swish, and per
// block slot (active, kernel, expansion). Values are each choice's position
// in its list over the list's length - 1 (0 for a one-item list).
class Mbv3FeatureEncoder : public FeatureEncoder {
 public:
  std::vector<std::string> Names() const override { return {"mbv3_features"}; }
  std::string Preferred() const override { return "mbv3_features"; }
  int Length(const std::string& name, const SearchSpace& space) const override;
  std::vector<float> Encode(const std::string& name, const SearchSpace& space,
                            const Architecture& arch) const override;
};

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_ENCODING_H_
