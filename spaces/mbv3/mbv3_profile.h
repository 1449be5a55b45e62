// mbv3's operators built alone for per-operator latency profiling
// (`edgenas-agent profile`): each op of mbv3_latency_model.h from the
// modules the network is made of (mbv3_blocks.h: Stem, Block, Head), with
// the shapes the op names and a random input, in eval mode. The head's three
// ops run the three parts of one Head module (Pooled; feature and h-swish;
// classifier), as HeadImpl::forward chains them.
#ifndef EDGENAS_SPACES_MBV3_MBV3_PROFILE_H_
#define EDGENAS_SPACES_MBV3_MBV3_PROFILE_H_

#include "absl/status/statusor.h"
#include "common/latency_ops.h"
#include "common/model/space_networks.h"

namespace edgenas {

// The runner of one operator shape at batch `batch` (>= 1). INVALID_ARGUMENT
// naming op for a name the model does not make, or the field of a bad
// channel count, resolution, stride or batch.
absl::StatusOr<OpRun> Mbv3ProfileOp(const OpShape& shape, int batch);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_PROFILE_H_
