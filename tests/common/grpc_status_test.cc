// grpc::Status <-> absl::Status: codes cross unchanged both ways, messages
// going to clients are cut at 1,024 characters, messages coming back are
// kept whole, with an optional "<context>: " prefix; OK stays OK.
#include "common/grpc_status.h"

#include <string>

#include "gtest/gtest.h"

namespace edgenas {
namespace {

// Every code maps to the code of the same number, and back.
TEST(GrpcStatus, CodesCrossUnchangedBothWays) {
  for (int code = 1; code <= 16; ++code) {
    const absl::Status absl_status(static_cast<absl::StatusCode>(code), "why");
    const grpc::Status grpc_status = ToGrpcStatus(absl_status);
    EXPECT_EQ(static_cast<int>(grpc_status.error_code()), code);
    EXPECT_EQ(grpc_status.error_message(), "why");
    EXPECT_EQ(FromGrpcStatus(grpc_status), absl_status);
  }
}

// OK converts to OK, with no context added.
TEST(GrpcStatus, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(FromGrpcStatus(grpc::Status::OK, "lease"), absl::OkStatus());
}

// A message longer than the limit reaches the client cut, ending "...".
TEST(GrpcStatus, ToGrpcCutsLongMessages) {
  const std::string exact(kMaxGrpcStatusMessageChars, 'x');
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError(exact)).error_message(), exact);
  const grpc::Status cut = ToGrpcStatus(absl::InvalidArgumentError(exact + "y"));
  EXPECT_EQ(cut.error_message().size(), kMaxGrpcStatusMessageChars);
  EXPECT_EQ(cut.error_message(), std::string(kMaxGrpcStatusMessageChars - 3, 'x') + "...");
}

// A client keeps the server's message whole; context goes before it.
TEST(GrpcStatus, FromGrpcKeepsMessageAndPrefixesContext) {
  const std::string long_message(2 * kMaxGrpcStatusMessageChars, 'z');
  const grpc::Status s(grpc::StatusCode::UNAVAILABLE, long_message);
  EXPECT_EQ(FromGrpcStatus(s), absl::UnavailableError(long_message));
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no job"), "lease"),
            absl::NotFoundError("lease: no job"));
}

// Reply moves the value out on success and leaves *out alone on error.
TEST(GrpcStatus, ReplyMovesValueOrConvertsError) {
  std::string out = "untouched";
  EXPECT_EQ(Reply(absl::StatusOr<std::string>(absl::AbortedError("busy")), &out).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(out, "untouched");
  EXPECT_TRUE(Reply(absl::StatusOr<std::string>("value"), &out).ok());
  EXPECT_EQ(out, "value");
}

}  // namespace
}  // namespace edgenas
