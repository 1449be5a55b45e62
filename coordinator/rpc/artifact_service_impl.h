// ArtifactService over gRPC: moves chunks between the wire and an
// ArtifactStore and converts statuses. Synchronous API: uploads and
// downloads are rare and spend their time on disk I/O, not waiting.
#ifndef EDGENAS_COORDINATOR_RPC_ARTIFACT_SERVICE_IMPL_H_
#define EDGENAS_COORDINATOR_RPC_ARTIFACT_SERVICE_IMPL_H_

#include <cstddef>
#include <functional>

#include "absl/status/status.h"
#include "coordinator/artifact_producers.h"
#include "coordinator/artifacts/artifact_store.h"
#include "coordinator/auth/auth_policy.h"
#include "edgenas/v1/artifact_service.grpc.pb.h"

namespace edgenas {

// Largest data chunk accepted or sent, in bytes.
inline constexpr size_t kArtifactChunkBytes = size_t{1} << 20;

// Whether a claimed writer may write now: JobManager::CheckArtifactWriter in
// the coordinator (a fake in tests of the transfer alone).
using ArtifactWriterCheck = std::function<absl::Status(const ArtifactWriteClaim&)>;

class ArtifactServiceImpl final : public v1::ArtifactService::Service {
 public:
  // `store` (and `auth`, when given) must outlive the service; `check_writer`
  // is required. With `auth`, uploads pass auth->AuthorizeArtifactUpload and
  // AuthorizeExecutorCall for the header's executor_id, and downloads and
  // stats auth->AuthorizeArtifactRead first; null: every caller is trusted
  // to be who it says.
  ArtifactServiceImpl(ArtifactStore* store, ArtifactWriterCheck check_writer,
                      CoordinatorAuth* auth = nullptr)
      : store_(store), check_writer_(std::move(check_writer)), auth_(auth) {}

  // Stores the streamed artifact once size and SHA-256 match the header and
  // check_writer allows the header's executor, task and lease to write it:
  // asked when the header arrives (before any byte is stored) and again
  // under the store's ref lock just before the ref is set, with the
  // producer of the ref being replaced. On any error nothing is stored.
  grpc::Status Upload(grpc::ServerContext* ctx, grpc::ServerReader<v1::UploadChunk>* reader,
                      v1::ArtifactRef* resp) override;
  // Streams the ref, then the content; ends with DATA_LOSS if the content
  // on disk no longer matches the ref.
  grpc::Status Download(grpc::ServerContext* ctx, const v1::DownloadRequest* req,
                        grpc::ServerWriter<v1::DownloadChunk>* writer) override;
  grpc::Status Stat(grpc::ServerContext* ctx, const v1::DownloadRequest* req,
                    v1::ArtifactRef* resp) override;

 private:
  ArtifactStore* const store_;
  const ArtifactWriterCheck check_writer_;
  CoordinatorAuth* const auth_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_RPC_ARTIFACT_SERVICE_IMPL_H_
