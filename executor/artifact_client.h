// ArtifactClient: uploads and downloads checkpoints through the
// coordinator's ArtifactService, checking every byte against its SHA-256.
// Free of torch, protobuf and gRPC types so that LibTorch code can include it.
#ifndef EDGENAS_EXECUTOR_ARTIFACT_CLIENT_H_
#define EDGENAS_EXECUTOR_ARTIFACT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;             // only pointers are passed: no gRPC header here
class ChannelCredentials;
}  // namespace grpc

namespace edgenas {

struct ArtifactInfo {
  std::string job_id, name, sha256;  // sha256: lower-case hex of the content
  int64_t size_bytes = 0;
};

// Who uploads: this executor's id (as registered) and the task it runs that
// produces the artifact, with that task's lease token (Task.lease_token).
// The coordinator stores an artifact only for its producing task's current
// lease holder (see artifact_service.proto).
struct ArtifactUploader {
  std::string executor_id, task_id, lease_token;
};

// Thread-safe; calls may run concurrently over the one channel.
class ArtifactClient {
 public:
  // A channel to `coordinator_address` ("host:port"); nothing is dialled
  // until the first call.
  // `credentials` null means plaintext.
  explicit ArtifactClient(const std::string& coordinator_address,
                          std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  // Over an existing channel (e.g. one that sends a bearer token).
  explicit ArtifactClient(std::shared_ptr<grpc::Channel> channel);
  ~ArtifactClient();
  ArtifactClient(const ArtifactClient&) = delete;
  ArtifactClient& operator=(const ArtifactClient&) = delete;

  // Stores `bytes` as (job_id, name) for `uploader`'s task, replacing what
  // the name pointed at when that task may. Returns what the coordinator
  // stored. INVALID_ARGUMENT naming a bad job_id, name, size or empty
  // uploader field; PERMISSION_DENIED / FAILED_PRECONDITION / NOT_FOUND when
  // the uploader may not write it; RESOURCE_EXHAUSTED over a size cap,
  // quota or the disk reserve; UNAVAILABLE / DEADLINE_EXCEEDED (10 min)
  // when the coordinator cannot be reached in time.
  absl::StatusOr<ArtifactInfo> Upload(const std::string& job_id, const std::string& name,
                                      const std::string& bytes,
                                      const ArtifactUploader& uploader);
  // The content of (job_id, name), verified against its ref's size and
  // SHA-256 (DATA_LOSS on mismatch). NOT_FOUND when absent;
  // RESOURCE_EXHAUSTED when it is larger than `max_bytes`.
  absl::StatusOr<std::string> Download(const std::string& job_id, const std::string& name,
                                       int64_t max_bytes);
  // The ref of (job_id, name) without the content (10 s deadline).
  // NOT_FOUND when absent.
  absl::StatusOr<ArtifactInfo> Stat(const std::string& job_id, const std::string& name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgenas

#endif  // EDGENAS_EXECUTOR_ARTIFACT_CLIENT_H_
