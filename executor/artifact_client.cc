#include "executor/artifact_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/sha256.h"
#include "edgenas/v1/artifact_service.grpc.pb.h"

namespace edgenas {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;  // the service's per-message limit
constexpr auto kTransferDeadline = std::chrono::minutes(10);
constexpr auto kStatDeadline = std::chrono::seconds(10);

ArtifactInfo ToInfo(const v1::ArtifactRef& ref) {
  ArtifactInfo info;
  info.job_id = ref.job_id();
  info.name = ref.name();
  info.sha256 = ref.sha256();
  info.size_bytes = ref.size_bytes();
  return info;
}

template <typename Duration>
void SetDeadline(grpc::ClientContext* ctx, Duration timeout) {
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
}

}  // namespace

struct ArtifactClient::Impl {
  std::unique_ptr<v1::ArtifactService::Stub> stub;
};

ArtifactClient::ArtifactClient(const std::string& coordinator_address,
                               std::shared_ptr<grpc::ChannelCredentials> credentials)
    : impl_(std::make_unique<Impl>()) {
  impl_->stub = v1::ArtifactService::NewStub(grpc::CreateChannel(
      coordinator_address,
      credentials != nullptr ? credentials : grpc::InsecureChannelCredentials()));
}

ArtifactClient::ArtifactClient(std::shared_ptr<grpc::Channel> channel)
    : impl_(std::make_unique<Impl>()) {
  impl_->stub = v1::ArtifactService::NewStub(std::move(channel));
}

ArtifactClient::~ArtifactClient() = default;

absl::StatusOr<ArtifactInfo> ArtifactClient::Upload(const std::string& job_id,
                                                    const std::string& name,
                                                    const std::string& bytes,
                                                    const ArtifactUploader& uploader) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kTransferDeadline);
  v1::ArtifactRef ref;
  std::unique_ptr<grpc::ClientWriter<v1::UploadChunk>> stream = impl_->stub->Upload(&ctx, &ref);
  v1::UploadChunk chunk;
  v1::UploadHeader* header = chunk.mutable_header();
  header->set_job_id(job_id);
  header->set_name(name);
  header->set_sha256(Sha256Hex(bytes));
  header->set_size_bytes(static_cast<int64_t>(bytes.size()));
  header->set_executor_id(uploader.executor_id);
  header->set_task_id(uploader.task_id);
  header->set_lease_token(uploader.lease_token);
  // A failed Write means the server has already answered; Finish says why.
  bool open = stream->Write(chunk);
  for (size_t offset = 0; open && offset < bytes.size(); offset += kChunkBytes) {
    chunk.set_data(bytes.data() + offset, std::min(kChunkBytes, bytes.size() - offset));
    open = stream->Write(chunk);
  }
  if (open) stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return ToInfo(ref);
}

absl::StatusOr<std::string> ArtifactClient::Download(const std::string& job_id,
                                                     const std::string& name,
                                                     int64_t max_bytes) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kTransferDeadline);
  v1::DownloadRequest req;
  req.set_job_id(job_id);
  req.set_name(name);
  std::unique_ptr<grpc::ClientReader<v1::DownloadChunk>> stream = impl_->stub->Download(&ctx, req);
  const std::string what = absl::StrCat("artifact ", job_id, "/", name);
  // Stops the call and drains it, so that Finish does not wait for the rest.
  auto give_up = [&](absl::Status why) {
    ctx.TryCancel();
    v1::DownloadChunk ignored;
    while (stream->Read(&ignored)) {
    }
    stream->Finish();
    return why;
  };

  v1::DownloadChunk chunk;
  if (!stream->Read(&chunk)) return FromGrpcStatus(stream->Finish());
  if (!chunk.has_ref()) {
    return give_up(absl::DataLossError(absl::StrCat(what, ": stream did not start with a ref")));
  }
  const v1::ArtifactRef ref = chunk.ref();
  if (ref.size_bytes() < 0) {
    return give_up(absl::DataLossError(absl::StrCat(what, ": negative size_bytes")));
  }
  if (ref.size_bytes() > max_bytes) {
    return give_up(absl::ResourceExhaustedError(absl::StrCat(
        what, ": ", ref.size_bytes(), " bytes, more than max_bytes ", max_bytes)));
  }
  std::string content;
  content.reserve(static_cast<size_t>(ref.size_bytes()));
  Sha256Hasher hasher;
  while (stream->Read(&chunk)) {
    if (chunk.kind_case() != v1::DownloadChunk::kData ||
        static_cast<int64_t>(chunk.data().size()) >
            ref.size_bytes() - static_cast<int64_t>(content.size())) {
      return give_up(absl::DataLossError(
          absl::StrCat(what, ": more data than the ", ref.size_bytes(), " bytes of its ref")));
    }
    hasher.Update(chunk.data());
    content.append(chunk.data());
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  if (static_cast<int64_t>(content.size()) != ref.size_bytes()) {
    return absl::DataLossError(absl::StrCat(what, ": received ", content.size(),
                                            " bytes, ref says ", ref.size_bytes()));
  }
  const std::string actual = hasher.FinishHex();
  if (actual != ref.sha256()) {
    return absl::DataLossError(absl::StrCat(what, ": sha256: received content hashes to ", actual,
                                            ", ref says ", ref.sha256()));
  }
  return content;
}

absl::StatusOr<ArtifactInfo> ArtifactClient::Stat(const std::string& job_id,
                                                  const std::string& name) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kStatDeadline);
  v1::DownloadRequest req;
  req.set_job_id(job_id);
  req.set_name(name);
  v1::ArtifactRef ref;
  grpc::Status status = impl_->stub->Stat(&ctx, req, &ref);
  if (!status.ok()) return FromGrpcStatus(status);
  return ToInfo(ref);
}

}  // namespace edgenas
