// ArtifactStore on a temp folder: atomic writes (nothing under blobs/ or
// refs/ until Commit), refusal of bad input with nothing left behind,
// content stored once, and reads that check content against refs.
#include "coordinator/artifacts/artifact_store.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/sha256.h"
#include "gtest/gtest.h"
#include "tests/coordinator/fake_clock.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

int CountFiles(const fs::path& dir) {
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("artifact_store_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    ArtifactStoreOptions options;
    options.root = root_.string();
    options.max_size_bytes = 1000;
    options.disk_reserve_bytes = 0;  // the machine's free space is not under test
    options.clock = &clock_;
    auto store = ArtifactStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }
  absl::StatusOr<StoredArtifact> Put(const std::string& job, const std::string& name,
                                     const std::string& bytes) {
    auto writer = store_->BeginWrite(job, name, Sha256Hex(bytes), bytes.size());
    if (!writer.ok()) return writer.status();
    absl::Status appended = (*writer)->Append(bytes);
    if (!appended.ok()) return appended;
    return (*writer)->Commit();
  }
  absl::StatusOr<std::string> ReadAll(const StoredArtifact& artifact) {
    auto reader = store_->OpenForRead(artifact);
    if (!reader.ok()) return reader.status();
    std::string out;
    while (true) {
      absl::StatusOr<std::string> chunk = (*reader)->Next(7);
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) return out;
      out += *chunk;
    }
  }

  fs::path root_;
  testing::FakeClock clock_;
  std::unique_ptr<ArtifactStore> store_;
};

// Bytes sit in tmp/ while being written; blobs/ and refs/ stay empty until
// Commit, which leaves nothing in tmp/.
TEST_F(ArtifactStoreTest, WriteIsInvisibleUntilCommit) {
  const std::string content = "teacher weights";
  auto writer = store_->BeginWrite("job-1", "teacher.pt", Sha256Hex(content), content.size());
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append(content.substr(0, 5)).ok());
  ASSERT_TRUE((*writer)->Append(content.substr(5)).ok());
  EXPECT_EQ(CountFiles(root_ / "blobs"), 0);
  EXPECT_EQ(CountFiles(root_ / "refs"), 0);
  EXPECT_EQ(CountFiles(root_ / "tmp"), 1);
  EXPECT_EQ(store_->Lookup("job-1", "teacher.pt").status().code(), absl::StatusCode::kNotFound);

  auto stored = (*writer)->Commit();
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->created_unix_ms, clock_.NowUnixMs());
  EXPECT_TRUE(fs::exists(store_->BlobPath(Sha256Hex(content))));
  EXPECT_EQ(CountFiles(root_ / "tmp"), 0);
  auto found = store_->Lookup("job-1", "teacher.pt");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->sha256, Sha256Hex(content));
  EXPECT_EQ(found->size_bytes, static_cast<int64_t>(content.size()));
  EXPECT_EQ(ReadAll(*found).value(), content);
}

// A writer dropped before Commit (a failed upload) leaves no file anywhere.
TEST_F(ArtifactStoreTest, AbandonedWriteLeavesNothing) {
  {
    auto writer = store_->BeginWrite("job-1", "x", Sha256Hex("abc"), 3);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("ab").ok());
  }
  EXPECT_EQ(CountFiles(root_), 0);
}

// Content that does not hash to the declared value is refused with
// DATA_LOSS naming sha256 and both hashes; nothing is stored.
TEST_F(ArtifactStoreTest, HashMismatchIsDataLossAndStoresNothing) {
  auto writer = store_->BeginWrite("job-1", "x", Sha256Hex("abc"), 3);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("abd").ok());
  auto stored = (*writer)->Commit();
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(stored.status().message().find("sha256"), std::string::npos);
  EXPECT_NE(stored.status().message().find(Sha256Hex("abc")), std::string::npos);
  EXPECT_NE(stored.status().message().find(Sha256Hex("abd")), std::string::npos);
  EXPECT_EQ(CountFiles(root_), 0);
}

// More or fewer bytes than declared (INVALID_ARGUMENT), or a declared size
// over the per-upload cap (RESOURCE_EXHAUSTED), is refused naming size_bytes.
TEST_F(ArtifactStoreTest, SizeMismatchAndLimitAreRefused) {
  auto over = store_->BeginWrite("job-1", "x", Sha256Hex("abc"), 1001);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(over.status().message().find("size_bytes"), std::string::npos);

  auto writer = store_->BeginWrite("job-1", "x", Sha256Hex("abc"), 2);
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->Append("abc").code(), absl::StatusCode::kInvalidArgument);

  auto short_writer = store_->BeginWrite("job-1", "x", Sha256Hex("abc"), 3);
  ASSERT_TRUE(short_writer.ok());
  ASSERT_TRUE((*short_writer)->Append("ab").ok());
  auto stored = (*short_writer)->Commit();
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(stored.status().message().find("size_bytes"), std::string::npos);
  writer->reset();
  EXPECT_EQ(CountFiles(root_), 0);
}

// Names that would escape the refs folder or break the layout are refused
// naming the field.
TEST_F(ArtifactStoreTest, BadNamesAreRefusedNamingTheField) {
  const std::string sha = Sha256Hex("");
  for (const std::string& job : {std::string(""), std::string(".."), std::string("a/b"),
                                 std::string(129, 'j')}) {
    auto writer = store_->BeginWrite(job, "x", sha, 0);
    EXPECT_EQ(writer.status().code(), absl::StatusCode::kInvalidArgument) << job;
    EXPECT_EQ(writer.status().message().rfind("job_id: ", 0), 0u) << writer.status();
  }
  for (const std::string& name : {std::string("."), std::string("a b"), std::string(65, 'n')}) {
    auto writer = store_->BeginWrite("job", name, sha, 0);
    EXPECT_EQ(writer.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(writer.status().message().rfind("name: ", 0), 0u) << writer.status();
  }
  auto writer = store_->BeginWrite("job", "x", "ABC", 0);
  EXPECT_EQ(writer.status().message().rfind("sha256: ", 0), 0u) << writer.status();
  EXPECT_TRUE(store_->BeginWrite(std::string(128, 'j'), std::string(64, 'n'), sha, 0).ok());
}

// Same content under two names is one blob; re-using a name re-points it.
TEST_F(ArtifactStoreTest, ContentIsStoredOnceAndNamesCanMove) {
  ASSERT_TRUE(Put("job-1", "a", "same").ok());
  ASSERT_TRUE(Put("job-2", "b", "same").ok());
  EXPECT_EQ(CountFiles(root_ / "blobs"), 1);
  ASSERT_TRUE(Put("job-1", "a", "newer").ok());
  EXPECT_EQ(store_->Lookup("job-1", "a")->sha256, Sha256Hex("newer"));
  EXPECT_EQ(store_->Lookup("job-2", "b")->sha256, Sha256Hex("same"));
  EXPECT_EQ(CountFiles(root_ / "blobs"), 2);
  EXPECT_EQ(CountFiles(root_ / "tmp"), 0);
}

// Delete removes a ref, and its content once no other ref names it; a
// reader that opened the content before still reads all of it.
TEST_F(ArtifactStoreTest, DeleteDropsTheRefAndUnsharedContent) {
  auto shared = Put("job-1", "final.0001", "weights");
  ASSERT_TRUE(shared.ok()) << shared.status();
  ASSERT_TRUE(Put("job-2", "final.0003", "weights").ok());  // same bytes, another job
  ASSERT_TRUE(Put("job-1", "final.0002", "other").ok());
  EXPECT_EQ(CountFiles(root_ / "blobs"), 2);

  ASSERT_TRUE(store_->Delete("job-1", "final.0001").ok());
  EXPECT_EQ(store_->Lookup("job-1", "final.0001").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CountFiles(root_ / "blobs"), 2);  // job-2 still names "weights"
  EXPECT_EQ(*ReadAll(*store_->Lookup("job-2", "final.0003")), "weights");

  auto reader = store_->OpenForRead(*store_->Lookup("job-1", "final.0002"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE(store_->Delete("job-1", "final.0002").ok());
  EXPECT_FALSE(fs::exists(store_->BlobPath(Sha256Hex("other"))));
  std::string read;
  for (auto chunk = (*reader)->Next(100); chunk.ok() && !chunk->empty();
       chunk = (*reader)->Next(100)) {
    read += *chunk;
  }
  EXPECT_EQ(read, "other");

  ASSERT_TRUE(store_->Delete("job-2", "final.0003").ok());
  EXPECT_EQ(CountFiles(root_ / "blobs"), 0);
  EXPECT_EQ(store_->Delete("job-2", "final.0003").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("job-2", "../x").code(), absl::StatusCode::kInvalidArgument);
}

// A blob changed on disk is caught: by size on open, by hash at the end.
TEST_F(ArtifactStoreTest, DamagedBlobIsDataLoss) {
  auto stored = Put("job-1", "a", "0123456789");
  ASSERT_TRUE(stored.ok());
  const std::string blob = store_->BlobPath(stored->sha256);
  {
    std::ofstream out(blob, std::ios::binary | std::ios::trunc);
    out << "0123456788";  // same size, one byte flipped
  }
  EXPECT_EQ(ReadAll(*stored).status().code(), absl::StatusCode::kDataLoss);
  fs::resize_file(blob, 4);
  EXPECT_EQ(store_->OpenForRead(*stored).status().code(), absl::StatusCode::kDataLoss);
  // Uploading the content again repairs the damaged blob.
  ASSERT_TRUE(Put("job-1", "a", "0123456789").ok());
  EXPECT_EQ(ReadAll(*stored).value(), "0123456789");
}

// Leftovers of a crash mid-write are cleared when the store is reopened.
TEST_F(ArtifactStoreTest, OpenClearsLeftoverTempFiles) {
  std::ofstream(root_ / "tmp" / "half-written") << "partial";
  ArtifactStoreOptions options;
  options.root = root_.string();
  ASSERT_TRUE(ArtifactStore::Open(options).ok());
  EXPECT_EQ(CountFiles(root_ / "tmp"), 0);
}

// Unknown refs and hashes are NOT_FOUND.
TEST_F(ArtifactStoreTest, UnknownIsNotFound) {
  EXPECT_EQ(store_->Lookup("job", "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LookupHash(Sha256Hex("nope")).status().code(), absl::StatusCode::kNotFound);
}

// Sha256Hex matches the standard test vector.
TEST(Sha256Test, MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("")));
  EXPECT_FALSE(IsSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
}

// Commit's check runs under the ref lock with the ref being replaced; its
// refusal stores nothing. The producing task is recorded on the ref, and a
// ref written before producers were recorded (three lines) still reads.
TEST_F(ArtifactStoreTest, CommitCheckSeesTheReplacedRefAndProducerIsRecorded) {
  auto writer = store_->BeginWrite("job-1", "teacher", Sha256Hex("a"), 1, "job-1.train_teacher");
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append("a").ok());
  const StoredArtifact* seen = reinterpret_cast<const StoredArtifact*>(1);
  auto stored = (*writer)->Commit([&](const StoredArtifact* existing) {
    seen = existing;
    return absl::OkStatus();
  });
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(seen, nullptr);
  EXPECT_EQ(store_->Lookup("job-1", "teacher")->task_id, "job-1.train_teacher");

  auto second = store_->BeginWrite("job-1", "teacher", Sha256Hex("b"), 1, "job-1.other");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE((*second)->Append("b").ok());
  std::string replaced_task;
  auto refused = (*second)->Commit([&](const StoredArtifact* existing) {
    replaced_task = existing != nullptr ? existing->task_id : "none";
    return absl::PermissionDeniedError("name: no");
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(replaced_task, "job-1.train_teacher");
  EXPECT_EQ(store_->Lookup("job-1", "teacher")->sha256, Sha256Hex("a"));
  EXPECT_EQ(CountFiles(root_ / "blobs"), 1);
  EXPECT_EQ(CountFiles(root_ / "tmp"), 0);

  {
    std::ofstream legacy(root_ / "refs" / "job-1" / "old");
    legacy << "sha256 " << Sha256Hex("a") << "\nsize_bytes 1\ncreated_unix_ms 5\n";
  }
  auto old = store_->Lookup("job-1", "old");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->task_id, "");
}

// Over the job's quota (its other refs plus this one) or into the disk
// reserve: RESOURCE_EXHAUSTED before a byte is taken, naming which.
TEST_F(ArtifactStoreTest, JobQuotaAndDiskReserveAreResourceExhausted) {
  ArtifactStoreOptions options;
  options.root = (root_ / "quota").string();
  options.max_job_bytes = 5;
  options.disk_reserve_bytes = 0;
  auto store = ArtifactStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto put = [&](const std::string& job, const std::string& name, const std::string& bytes) {
    auto writer = (*store)->BeginWrite(job, name, Sha256Hex(bytes), bytes.size());
    if (!writer.ok()) return writer.status();
    if (absl::Status s = (*writer)->Append(bytes); !s.ok()) return s;
    return (*writer)->Commit().status();
  };
  ASSERT_TRUE(put("job-1", "a", "abc").ok());
  absl::Status over = put("job-1", "b", "abc");
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted) << over;
  EXPECT_NE(over.message().find("job quota"), std::string::npos) << over;
  EXPECT_TRUE(put("job-2", "b", "abc").ok());       // another job's quota
  EXPECT_TRUE(put("job-1", "a", "abcde").ok());     // replacing frees its own bytes
  EXPECT_EQ((*store)->JobBytes("job-1", ""), 5);

  ArtifactStoreOptions reserved = options;
  reserved.root = (root_ / "reserve").string();
  reserved.disk_reserve_bytes = int64_t{1} << 60;  // more than any disk has free
  auto full = ArtifactStore::Open(reserved);
  ASSERT_TRUE(full.ok()) << full.status();
  auto refused = (*full)->BeginWrite("job-1", "a", Sha256Hex("x"), 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("disk reserve"), std::string::npos)
      << refused.status();
}

}  // namespace
}  // namespace edgenas
