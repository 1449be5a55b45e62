// Conversion of absl::Status into grpc::Status for the RPC adapters.
#ifndef EDGENAS_COORDINATOR_GRPC_STATUS_H_
#define EDGENAS_COORDINATOR_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace edgenas {

// Same code; the message is cut at 1,024 characters (clients get no more).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_GRPC_STATUS_H_
