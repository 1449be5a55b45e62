// Channel re-ordering of the mbv3 supernet's blocks by importance (as
// Once-for-All does between training phases): a subnet with a smaller
// expansion keeps a block's first mid channels and a smaller SE its first
// squeeze channels, so the channels that matter most should come first.
// The permutation is applied consistently to every tensor that indexes the
// channels (expand conv and its BN, depthwise conv and its BN, SE, project
// conv), so the largest subnet computes the same function before and after.
#ifndef EDGENAS_SPACES_MBV3_MBV3_CHANNEL_SORT_H_
#define EDGENAS_SPACES_MBV3_MBV3_CHANNEL_SORT_H_

#include <torch/torch.h>

#include "spaces/mbv3/mbv3_blocks.h"

namespace edgenas {
namespace mbv3 {

// Importance of each mid channel of `block`: the L1 norm of the project
// conv's weights reading it ([mid]).
torch::Tensor MidChannelImportance(const BlockImpl& block);

// Importance of each SE squeeze channel: the L1 norm of the se_expand
// weights reading it ([squeeze]); undefined without SE.
torch::Tensor SqueezeChannelImportance(const BlockImpl& block);

// Permutes `block`'s squeeze channels, then its mid channels, into
// descending importance (a stable sort: ties keep their order), in place and
// without gradients. A block without an expansion conv keeps its mid
// channels (they are its input's) and sorts only its squeeze channels.
// Throws c10::Error on a LibTorch failure.
void SortChannelsByImportance(BlockImpl& block);

}  // namespace mbv3
}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_CHANNEL_SORT_H_
