// The LibTorch network of an mbv3 architecture (the blocks of
// mbv3_blocks.h in plan order). It takes images at the architecture's own
// resolution; an input of another size (the dataset's) is first resized
// bilinearly, so that every worker path trains each candidate at its
// resolution without knowing about it.
#ifndef EDGENAS_SPACES_MBV3_MBV3_MODEL_H_
#define EDGENAS_SPACES_MBV3_MBV3_MODEL_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "common/model/space_networks.h"
#include "spaces/mbv3/mbv3_blocks.h"
#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {

// Submodules "stem", "s<stage>b<block>" for each active block, "head".
class Mbv3NetworkImpl : public torch::nn::Module {
 public:
  explicit Mbv3NetworkImpl(const Mbv3Plan& plan);
  torch::Tensor forward(torch::Tensor x);
  // Logits and the output of each stage (after its last block).
  StageForward forward_stages(torch::Tensor x);
  // `x` resized to plan().resolution when its height or width differ.
  torch::Tensor Resize(const torch::Tensor& x) const;

  const Mbv3Plan& plan() const { return plan_; }
  mbv3::Stem stem{nullptr};
  std::vector<mbv3::Block> blocks;  // plan order
  mbv3::Head head{nullptr};

 private:
  Mbv3Plan plan_;
};
TORCH_MODULE(Mbv3Network);

// The network of a valid architecture of `space` for `input` (channels and
// classes; the resolution is the architecture's). INVALID_ARGUMENT for a bad
// architecture; INTERNAL when LibTorch fails.
absl::StatusOr<torch::nn::AnyModule> BuildMbv3Network(const Mbv3Space& space,
                                                      const Architecture& arch,
                                                      const InputShape& input);

// The Mbv3Network inside `model`, or INVALID_ARGUMENT.
absl::StatusOr<Mbv3NetworkImpl*> AsMbv3Network(const torch::nn::Module& model);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_MODEL_H_
