// Subnet extraction from the mbv3 supernet: the standalone network an
// architecture builds to (BuildMbv3Network) holding copies of the tensors
// its path uses in the supernet (first channels, elastic kernels already
// transformed), so that it computes what the supernet's forward computes
// for that architecture.
#ifndef EDGENAS_SPACES_MBV3_MBV3_SUPERNET_EXTRACT_H_
#define EDGENAS_SPACES_MBV3_MBV3_SUPERNET_EXTRACT_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/search_space.h"
#include "spaces/mbv3/mbv3_supernet_module.h"

namespace edgenas {

// The Mbv3Network of `arch` (the supernet's space and input) on the
// supernet's device, in its train/eval mode, with every parameter and buffer
// (BN running statistics included) copied from the supernet by name:
// each the first entries of the supernet's tensor along every dimension,
// except the blocks' depthwise kernels, which are the elastic kernels.
// INVALID_ARGUMENT for a bad architecture; INTERNAL naming the tensor when
// the supernet lacks one or it is too small, or when LibTorch fails.
absl::StatusOr<torch::nn::AnyModule> ExtractMbv3Subnet(Mbv3SupernetModuleImpl& supernet,
                                                       const Architecture& arch);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_SUPERNET_EXTRACT_H_
