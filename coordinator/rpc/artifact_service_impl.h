// ArtifactService over gRPC: moves chunks between the wire and an
// ArtifactStore and converts statuses. Synchronous API: uploads and
// downloads are rare and spend their time on disk I/O, not waiting.
#ifndef EDGENAS_COORDINATOR_RPC_ARTIFACT_SERVICE_IMPL_H_
#define EDGENAS_COORDINATOR_RPC_ARTIFACT_SERVICE_IMPL_H_

#include <cstddef>

#include "coordinator/artifacts/artifact_store.h"
#include "coordinator/auth/auth_policy.h"
#include "edgenas/v1/artifact_service.grpc.pb.h"

namespace edgenas {

// Largest data chunk accepted or sent, in bytes.
inline constexpr size_t kArtifactChunkBytes = size_t{1} << 20;

class ArtifactServiceImpl final : public v1::ArtifactService::Service {
 public:
  // `store` (and `auth`, when given) must outlive the service. With `auth`,
  // uploads pass auth->AuthorizeArtifactUpload and downloads and stats
  // auth->AuthorizeArtifactRead first; null: every caller is trusted.
  explicit ArtifactServiceImpl(ArtifactStore* store, const CoordinatorAuth* auth = nullptr)
      : store_(store), auth_(auth) {}

  // Stores the streamed artifact once size and SHA-256 match the header;
  // on any error nothing is stored.
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
  const CoordinatorAuth* const auth_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_RPC_ARTIFACT_SERVICE_IMPL_H_
