// Conversion between grpc::Status and absl::Status, both directions, in one
// place: absl -> gRPC for the coordinator's RPC adapters, gRPC -> absl for
// every client (executor loop, artifact client, CLI, device agent). The two
// code enums share their numbering (OK = 0 ... UNAUTHENTICATED = 16), so a
// code crosses unchanged either way; error details are not carried.
#ifndef EDGENAS_COMMON_GRPC_STATUS_H_
#define EDGENAS_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

// Longest message a server sends a client in a grpc::Status.
inline constexpr size_t kMaxGrpcStatusMessageChars = 1024;

// Same code; a message longer than kMaxGrpcStatusMessageChars is cut to
// that many characters, the last three being "...". OK gives grpc::Status::OK.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Moves a StatusOr's value into *out and returns OK, or converts its error
// (ToGrpcStatus) and leaves *out untouched.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

// Same code and message, whole (a client keeps what the server sent). OK
// gives absl::OkStatus().
absl::Status FromGrpcStatus(const grpc::Status& status);

// As FromGrpcStatus, with "<context>: " before the message (e.g. the call
// and the peer: "register with host:port"). OK stays OK.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_GRPC_STATUS_H_
