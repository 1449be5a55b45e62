// ArtifactService over real gRPC on loopback, driven through ArtifactClient
// (and a raw stub where a test must send what the client never would):
// multi-chunk round trips, corrupted chunks caught by SHA-256 with nothing
// stored, limits, bad names, NOT_FOUND, truncated blobs, dedup and re-use
// of names.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/sha256.h"
#include "coordinator/artifacts/artifact_store.h"
#include "coordinator/rpc/artifact_service_impl.h"
#include "edgenas/v1/artifact_service.grpc.pb.h"
#include "executor/artifact_client.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMiB = int64_t{1} << 20;

// Who uploads; the writer check here lets every claim through (who may
// write is artifact_writer_test's subject).
const ArtifactUploader kUploader{"worker-1", "job-1.train_teacher", "token-1"};

int CountFiles(const fs::path& dir) {
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

// Deterministic bytes that differ from chunk to chunk.
std::string Pattern(size_t size) {
  std::string out(size, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

class ArtifactServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("artifact_service_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    ArtifactStoreOptions options;
    options.root = root_.string();
    options.max_size_bytes = 8 * kMiB;
    options.disk_reserve_bytes = 0;  // the machine's free space is not under test
    auto store = ArtifactStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    service_ = std::make_unique<ArtifactServiceImpl>(
        store_.get(), [](const ArtifactWriteClaim&) { return absl::OkStatus(); });
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    const std::string address = "127.0.0.1:" + std::to_string(port_);
    client_ = std::make_unique<ArtifactClient>(address);
    stub_ = v1::ArtifactService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
    fs::remove_all(root_);
  }

  // Uploads `chunks` after a header declaring `sha256` and `size`, through
  // the raw stub; returns the server's status.
  grpc::Status RawUpload(const std::string& job, const std::string& name,
                         const std::string& sha256, int64_t size,
                         const std::vector<std::string>& chunks, v1::ArtifactRef* ref) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto stream = stub_->Upload(&ctx, ref);
    v1::UploadChunk msg;
    msg.mutable_header()->set_job_id(job);
    msg.mutable_header()->set_name(name);
    msg.mutable_header()->set_sha256(sha256);
    msg.mutable_header()->set_size_bytes(size);
    msg.mutable_header()->set_executor_id(kUploader.executor_id);
    msg.mutable_header()->set_task_id(kUploader.task_id);
    msg.mutable_header()->set_lease_token(kUploader.lease_token);
    bool open = stream->Write(msg);
    for (size_t i = 0; open && i < chunks.size(); ++i) {
      msg.set_data(chunks[i]);
      open = stream->Write(msg);
    }
    if (open) stream->WritesDone();
    return stream->Finish();
  }

  fs::path root_;
  int port_ = 0;
  std::unique_ptr<ArtifactStore> store_;
  std::unique_ptr<ArtifactServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ArtifactClient> client_;
  std::unique_ptr<v1::ArtifactService::Stub> stub_;
};

// A 3.5 MiB checkpoint goes up and comes back byte for byte (4 chunks each
// way), and Stat reports it without the content.
TEST_F(ArtifactServiceTest, MultiChunkRoundTrip) {
  const std::string content = Pattern(3 * kMiB + kMiB / 2);
  auto info = client_->Upload("job-1", "supernet.pt", content, kUploader);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->sha256, Sha256Hex(content));
  EXPECT_EQ(info->size_bytes, static_cast<int64_t>(content.size()));
  EXPECT_EQ(info->job_id, "job-1");
  EXPECT_EQ(info->name, "supernet.pt");

  auto stat = client_->Stat("job-1", "supernet.pt");
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_EQ(stat->sha256, info->sha256);
  EXPECT_EQ(stat->size_bytes, info->size_bytes);

  auto back = client_->Download("job-1", "supernet.pt", /*max_bytes=*/8 * kMiB);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == content);

  // Also addressable by hash alone.
  grpc::ClientContext ctx;
  v1::DownloadRequest req;
  req.set_sha256(info->sha256);
  v1::ArtifactRef ref;
  ASSERT_TRUE(stub_->Stat(&ctx, req, &ref).ok());
  EXPECT_EQ(ref.size_bytes(), info->size_bytes);
}

// A chunk corrupted in transit (one byte flipped) no longer matches the
// declared hash: DATA_LOSS naming sha256 and both values; no blob, no ref.
TEST_F(ArtifactServiceTest, CorruptedChunkIsRefusedAndNothingStored) {
  const std::string content = Pattern(2 * kMiB + 100);
  const std::string declared = Sha256Hex(content);
  std::vector<std::string> chunks = {content.substr(0, kMiB), content.substr(kMiB, kMiB),
                                     content.substr(2 * kMiB)};
  chunks[1][777] ^= 0x01;
  v1::ArtifactRef ref;
  grpc::Status status = RawUpload("job-1", "teacher.pt", declared, content.size(), chunks, &ref);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_NE(status.error_message().find("sha256"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find(declared), std::string::npos);
  EXPECT_NE(status.error_message().find(Sha256Hex(chunks[0] + chunks[1] + chunks[2])),
            std::string::npos);
  EXPECT_EQ(CountFiles(root_), 0);
  EXPECT_EQ(client_->Stat("job-1", "teacher.pt").status().code(), absl::StatusCode::kNotFound);
}

// Over the server's per-upload cap (RESOURCE_EXHAUSTED), sent beyond the
// declared size, a chunk over 1 MiB, or fewer bytes than declared: refused,
// nothing stored.
TEST_F(ArtifactServiceTest, OversizeIsRefused) {
  auto big = client_->Upload("job-1", "big", std::string(8 * kMiB + 1, 'x'), kUploader);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("size_bytes"), std::string::npos) << big.status();

  v1::ArtifactRef ref;
  const std::string sha = Sha256Hex("abc");
  grpc::Status beyond = RawUpload("job-1", "x", sha, 3, {"ab", "cd"}, &ref);
  EXPECT_EQ(beyond.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(beyond.error_message().find("size_bytes"), std::string::npos);

  const std::string huge_chunk(kMiB + 1, 'y');
  grpc::Status chunk = RawUpload("job-1", "x", Sha256Hex(huge_chunk), huge_chunk.size(),
                                 {huge_chunk}, &ref);
  EXPECT_EQ(chunk.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(chunk.error_message().find("data"), std::string::npos) << chunk.error_message();

  grpc::Status short_upload = RawUpload("job-1", "x", sha, 3, {"ab"}, &ref);
  EXPECT_EQ(short_upload.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CountFiles(root_), 0);
}

// Bad names and job ids are refused before any byte is stored, naming the
// field.
TEST_F(ArtifactServiceTest, BadNameAndJobIdAreRefusedNamingTheField) {
  auto bad_name = client_->Upload("job-1", "../etc/passwd", "x", kUploader);
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_name.status().message().rfind("name: must match [A-Za-z0-9_.-]{1,64}", 0), 0u)
      << bad_name.status();
  auto bad_job = client_->Upload("job 1", "x", "x", kUploader);
  EXPECT_EQ(bad_job.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_job.status().message().rfind("job_id: must match [A-Za-z0-9_.-]{1,128}", 0), 0u)
      << bad_job.status();
  EXPECT_EQ(client_->Stat("..", "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountFiles(root_), 0);
}

// Unknown names and hashes are NOT_FOUND for Stat and Download.
TEST_F(ArtifactServiceTest, UnknownIsNotFound) {
  EXPECT_EQ(client_->Stat("job-1", "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->Download("job-1", "nope", kMiB).status().code(),
            absl::StatusCode::kNotFound);
  grpc::ClientContext ctx;
  v1::DownloadRequest req;
  req.set_sha256(Sha256Hex("nope"));
  v1::ArtifactRef ref;
  EXPECT_EQ(stub_->Stat(&ctx, req, &ref).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A blob truncated on disk is refused (DATA_LOSS) rather than served short;
// so is one whose bytes changed without changing size.
TEST_F(ArtifactServiceTest, DamagedBlobDownloadIsRefused) {
  const std::string content = Pattern(kMiB + 10);
  auto info = client_->Upload("job-1", "final.pt", content, kUploader);
  ASSERT_TRUE(info.ok()) << info.status();
  const std::string blob = store_->BlobPath(info->sha256);

  fs::resize_file(blob, kMiB);
  EXPECT_EQ(client_->Download("job-1", "final.pt", 8 * kMiB).status().code(),
            absl::StatusCode::kDataLoss);

  fs::resize_file(blob, content.size());  // right size, zeroed tail
  EXPECT_EQ(client_->Download("job-1", "final.pt", 8 * kMiB).status().code(),
            absl::StatusCode::kDataLoss);
}

// Downloads larger than the caller's max_bytes are refused before the
// content is transferred.
TEST_F(ArtifactServiceTest, DownloadOverMaxBytesIsRefused) {
  ASSERT_TRUE(client_->Upload("job-1", "a", Pattern(1000), kUploader).ok());
  EXPECT_EQ(client_->Download("job-1", "a", 999).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(client_->Download("job-1", "a", 1000).ok());
}

// Identical content under two names is one blob on disk.
TEST_F(ArtifactServiceTest, IdenticalContentIsStoredOnce) {
  const std::string content = Pattern(5000);
  auto a = client_->Upload("job-1", "teacher.pt", content, kUploader);
  auto b = client_->Upload("job-2", "copy.pt", content, kUploader);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->sha256, b->sha256);
  EXPECT_EQ(CountFiles(root_ / "blobs"), 1);
  EXPECT_EQ(CountFiles(root_ / "tmp"), 0);
  EXPECT_EQ(client_->Download("job-2", "copy.pt", kMiB).value(), content);
}

// Uploading a name again points it at the new content.
TEST_F(ArtifactServiceTest, ReuploadedNamePointsAtNewContent) {
  ASSERT_TRUE(client_->Upload("job-1", "supernet.pt", "epoch 1", kUploader).ok());
  auto second = client_->Upload("job-1", "supernet.pt", "epoch 2", kUploader);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(client_->Stat("job-1", "supernet.pt")->sha256, Sha256Hex("epoch 2"));
  EXPECT_EQ(client_->Download("job-1", "supernet.pt", kMiB).value(), "epoch 2");
}

}  // namespace
}  // namespace edgenas
