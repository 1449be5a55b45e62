#include "coordinator/rpc/artifact_service_impl.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "coordinator/auth/auth_identity.h"

namespace edgenas {
namespace {

constexpr char kLog[] = "artifacts";

v1::ArtifactRef ToProto(const StoredArtifact& a) {
  v1::ArtifactRef ref;
  ref.set_job_id(a.job_id);
  ref.set_name(a.name);
  ref.set_sha256(a.sha256);
  ref.set_size_bytes(a.size_bytes);
  ref.set_created_unix_ms(a.created_unix_ms);
  return ref;
}

// Resolves a request naming either (job_id, name) or sha256.
absl::StatusOr<StoredArtifact> Resolve(const ArtifactStore& store, const v1::DownloadRequest& req) {
  const bool by_name = !req.job_id().empty() || !req.name().empty();
  if (by_name && !req.sha256().empty()) {
    return absl::InvalidArgumentError("sha256: give either sha256 or job_id and name, not both");
  }
  if (by_name) return store.Lookup(req.job_id(), req.name());
  if (req.sha256().empty()) {
    return absl::InvalidArgumentError("job_id: give either job_id and name, or sha256");
  }
  return store.LookupHash(req.sha256());
}

// INVALID_ARGUMENT naming the first empty writer field of the header.
absl::Status RequireWriterFields(const v1::UploadHeader& header) {
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"executor_id", &header.executor_id()},
        {"task_id", &header.task_id()},
        {"lease_token", &header.lease_token()}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": required; an artifact is written by the lease holder of the task that "
                 "produces it"));
    }
  }
  return absl::OkStatus();
}

ArtifactWriteClaim ClaimOf(const v1::UploadHeader& header) {
  ArtifactWriteClaim claim;
  claim.executor_id = header.executor_id();
  claim.job_id = header.job_id();
  claim.task_id = header.task_id();
  claim.lease_token = header.lease_token();
  claim.name = header.name();
  return claim;
}

absl::StatusOr<StoredArtifact> ReceiveUpload(ArtifactStore* store,
                                             const ArtifactWriterCheck& check_writer,
                                             CoordinatorAuth* auth, const CallerInfo& caller,
                                             grpc::ServerReader<v1::UploadChunk>* reader) {
  v1::UploadChunk chunk;
  if (!reader->Read(&chunk)) {
    return absl::InvalidArgumentError("header: stream ended before the header");
  }
  if (!chunk.has_header()) {
    return absl::InvalidArgumentError("header: the first message must carry the header");
  }
  const v1::UploadHeader header = chunk.header();
  RETURN_IF_ERROR(ValidateArtifactJobId(header.job_id()));
  RETURN_IF_ERROR(ValidateArtifactName(header.name()));
  RETURN_IF_ERROR(RequireWriterFields(header));
  if (auth != nullptr) RETURN_IF_ERROR(auth->AuthorizeExecutorCall(caller, header.executor_id()));
  if (!check_writer) return absl::InternalError("artifact service: no writer check configured");
  const ArtifactWriteClaim claim = ClaimOf(header);
  // Early, so that a refused writer sends no bytes to disk.
  RETURN_IF_ERROR(check_writer(claim));
  ASSIGN_OR_RETURN(std::unique_ptr<ArtifactWriter> writer,
                   store->BeginWrite(header.job_id(), header.name(), header.sha256(),
                                     header.size_bytes(), header.task_id()));
  // `writer` removes its temp file on every early return below.
  while (reader->Read(&chunk)) {
    if (chunk.kind_case() != v1::UploadChunk::kData) {
      return absl::InvalidArgumentError("data: only the first message may carry a header");
    }
    if (chunk.data().size() > kArtifactChunkBytes) {
      return absl::InvalidArgumentError(absl::StrCat("data: chunk of ", chunk.data().size(),
                                                     " bytes exceeds ", kArtifactChunkBytes));
    }
    RETURN_IF_ERROR(writer->Append(chunk.data()));
  }
  // Again under the ref lock: the lease may have ended while the bytes
  // came, and the ref may have been set meanwhile.
  return writer->Commit([&](const StoredArtifact* existing) {
    ArtifactWriteClaim final_claim = claim;
    if (existing != nullptr && existing->sha256 != header.sha256()) {
      final_claim.replaced_task_id = existing->task_id;
    }
    return check_writer(final_claim);
  });
}

}  // namespace

grpc::Status ArtifactServiceImpl::Upload(grpc::ServerContext* ctx,
                                         grpc::ServerReader<v1::UploadChunk>* reader,
                                         v1::ArtifactRef* resp) {
  const CallerInfo caller = CallerFromContext(*ctx);
  if (auth_ != nullptr) {
    if (absl::Status s = auth_->AuthorizeArtifactUpload(caller); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  absl::StatusOr<StoredArtifact> stored =
      ReceiveUpload(store_, check_writer_, auth_, caller, reader);
  if (!stored.ok()) {
    EDGENAS_LOG(kWarning, kLog, "upload refused: ", stored.status().ToString());
    return ToGrpcStatus(stored.status());
  }
  EDGENAS_LOG(kInfo, kLog, "stored ", stored->job_id, "/", stored->name, " sha256=",
              stored->sha256, " size_bytes=", stored->size_bytes, " task_id=", stored->task_id);
  *resp = ToProto(*stored);
  return grpc::Status::OK;
}

grpc::Status ArtifactServiceImpl::Download(grpc::ServerContext* ctx,
                                           const v1::DownloadRequest* req,
                                           grpc::ServerWriter<v1::DownloadChunk>* writer) {
  if (auth_ != nullptr) {
    if (absl::Status s = auth_->AuthorizeArtifactRead(CallerFromContext(*ctx)); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  absl::StatusOr<StoredArtifact> artifact = Resolve(*store_, *req);
  if (!artifact.ok()) return ToGrpcStatus(artifact.status());
  absl::StatusOr<std::unique_ptr<ArtifactReader>> reader = store_->OpenForRead(*artifact);
  if (!reader.ok()) {
    if (reader.status().code() == absl::StatusCode::kDataLoss) {
      EDGENAS_LOG(kError, kLog, "download refused: ", reader.status().ToString());
    }
    return ToGrpcStatus(reader.status());
  }
  v1::DownloadChunk chunk;
  *chunk.mutable_ref() = ToProto(*artifact);
  if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
  while (true) {
    absl::StatusOr<std::string> data = (*reader)->Next(kArtifactChunkBytes);
    if (!data.ok()) {
      EDGENAS_LOG(kError, kLog, "download failed: ", data.status().ToString());
      return ToGrpcStatus(data.status());
    }
    if (data->empty()) return grpc::Status::OK;
    chunk.set_data(std::move(*data));
    if (ctx->IsCancelled() || !writer->Write(chunk)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
    }
  }
}

grpc::Status ArtifactServiceImpl::Stat(grpc::ServerContext* ctx, const v1::DownloadRequest* req,
                                       v1::ArtifactRef* resp) {
  if (auth_ != nullptr) {
    if (absl::Status s = auth_->AuthorizeArtifactRead(CallerFromContext(*ctx)); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  absl::StatusOr<StoredArtifact> artifact = Resolve(*store_, *req);
  if (!artifact.ok()) return ToGrpcStatus(artifact.status());
  *resp = ToProto(*artifact);
  return grpc::Status::OK;
}

}  // namespace edgenas
