// NB201's operators built alone for per-operator latency profiling
// (`edgenas-agent profile`): each table op (common/latency_ops.h, the names
// of nb201_latency_model.h) as the network builds it (the same modules:
// ReLU-conv-BN, pooling, identity in their Sequential wrapper, the reduction
// block, stem and head), with a random input, in eval mode.
#ifndef EDGENAS_SPACES_NB201_NB201_PROFILE_H_
#define EDGENAS_SPACES_NB201_NB201_PROFILE_H_

#include "absl/status/statusor.h"
#include "common/latency_ops.h"
#include "common/model/space_networks.h"

namespace edgenas {

// The runner of one operator shape at batch `batch`. INVALID_ARGUMENT naming
// op for a name the model does not know.
absl::StatusOr<OpRun> Nb201ProfileOp(const OpShape& shape, int batch);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_PROFILE_H_
