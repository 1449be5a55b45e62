// NB201's predictor features (registered as its FeatureEncoder):
//   * adjacency:  the 4x4 lower-triangular cell matrix with one indicator
//                 per (edge, operation) for the edges that carry an
//                 operation ("none" edges are absent, unlike one-hot);
//                 4 x 4 nodes x 4 operations = 64 entries.
//   * path:       (BANANAS, White et al. 2021): one count per operation
//                 sequence of an input->output path through the cell
//                 (4 + 16 + 64 = 84 sequences over the four non-none
//                 operations). Edges on no input->output path add nothing,
//                 so cells that differ only in such edges share it; other
//                 cells with one canonical key may not (a skip edge
//                 lengthens a path: 1299 of the 6466 classes hold more than
//                 one path_live encoding).
//   * path_live:  path (84), then the one-hot of the cell with every dead
//                 edge set to "none" (the live cell; 30), then the number of
//                 live edges carrying each non-none operation (4): 118 in
//                 all. The preferred encoding.
#ifndef EDGENAS_SPACES_NB201_NB201_ENCODING_H_
#define EDGENAS_SPACES_NB201_NB201_ENCODING_H_

#include <string>
#include <vector>

#include "common/encodings.h"

namespace edgenas {

class Nb201FeatureEncoder : public FeatureEncoder {
 public:
  std::vector<std::string> Names() const override;
  std::string Preferred() const override { return "path_live"; }
  int Length(const std::string& name, const SearchSpace& space) const override;
  std::vector<float> Encode(const std::string& name, const SearchSpace& space,
                            const Architecture& arch) const override;
};

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_ENCODING_H_
