// A profile (profile_ops.h) as the wire's v1::LatencyTable, the table's
// file forms (binary .pb or JSON .json), and its upload to the coordinator
// (register as a DEVICE_AGENT of the table's class, then PutLatencyTable).
// No LibTorch here.
#ifndef EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_TABLE_H_
#define EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device_agent/profile/profile_ops.h"
#include "edgenas/v1/common.pb.h"
#include "grpcpp/security/credentials.h"

namespace edgenas {

// The table of `profile`: one entry per measured operator (median, 95% CI,
// unstable flag), the overhead, and who/what/when. `device` is stored as
// given (device_class is set to `device_class`).
v1::LatencyTable MakeLatencyTable(const ProfileResult& profile, const std::string& space,
                                  const std::string& device_class,
                                  const ProfileSettings& settings, int64_t created_unix_ms,
                                  v1::DeviceDescriptor device);

// Writes `table` to `path`: protobuf JSON when the name ends in ".json",
// binary protobuf otherwise. INVALID_ARGUMENT naming --out for an empty
// path, INTERNAL when the file cannot be written.
absl::Status WriteLatencyTableFile(const v1::LatencyTable& table, const std::string& path);

// Reads a file written by WriteLatencyTableFile (same rule for the format).
absl::StatusOr<v1::LatencyTable> ReadLatencyTableFile(const std::string& path);

struct UploadOptions {
  std::string coordinator = "127.0.0.1:50051";
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
  std::string name;                                        // shown by the coordinator
  int timeout_ms = 30000;
};

// Registers as a DEVICE_AGENT of table.device_class() and stores the table
// with PutLatencyTable. The coordinator's error is returned as is (e.g.
// INVALID_ARGUMENT naming the bad entry), UNAVAILABLE when it is away.
absl::Status UploadLatencyTable(const v1::LatencyTable& table, const UploadOptions& options);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_TABLE_H_
