// ArtifactStore: checkpoints kept on local disk, addressed by SHA-256.
// Layout under the root folder (by default "<db>.artifacts/"):
//   blobs/<sha256>          content, stored once however many refs share it
//   refs/<job_id>/<name>    a small text file naming the blob, its size,
//                           creation time and the task that produced it
//   tmp/                    files being written (cleared when opened)
// Every file reaches its final name by temp file + fsync + rename, so a
// crash never leaves a partial file under a final name. No gRPC here.
#ifndef EDGENAS_COORDINATOR_ARTIFACTS_ARTIFACT_STORE_H_
#define EDGENAS_COORDINATOR_ARTIFACTS_ARTIFACT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/sha256.h"

namespace edgenas {

class ArtifactStore;

struct ArtifactStoreOptions {
  std::string root;                             // created if missing
  int64_t max_size_bytes = int64_t{1} << 30;    // per upload (coordinator --max_artifact_mb)
  // Sum of the sizes of one job's refs (coordinator --artifact_job_quota_mb,
  // default 4 GiB). Content shared between refs counts once per ref.
  int64_t max_job_bytes = int64_t{4} << 30;
  // Free space (for unprivileged users) a write must leave on the file
  // system holding `root`, which is usually the database's too (coordinator
  // --artifact_disk_reserve_mb, default 1 GiB).
  int64_t disk_reserve_bytes = int64_t{1} << 30;
  const Clock* clock = RealClock::Get();        // stamps created_unix_ms
};

// What a ref says about an artifact. job_id and name are empty when it was
// looked up by hash.
struct StoredArtifact {
  std::string job_id;
  std::string name;
  std::string sha256;
  int64_t size_bytes = 0;
  int64_t created_unix_ms = 0;
  // The task whose upload set the ref; "" for refs written before producers
  // were recorded, and when looked up by hash.
  std::string task_id;
};

// Decides, under the store's ref lock and just before a ref is set, whether
// the write may go ahead; `existing` is the ref it would replace (null when
// the name is new). A non-OK status refuses the write: nothing is stored.
using ArtifactPublishCheck = std::function<absl::Status(const StoredArtifact* existing)>;

// OK, or INVALID_ARGUMENT naming the field ("job_id: must match ...").
// Both refuse "." and "..": they would leave the refs folder.
absl::Status ValidateArtifactJobId(absl::string_view job_id);  // [A-Za-z0-9_.-]{1,128}
absl::Status ValidateArtifactName(absl::string_view name);     // [A-Za-z0-9_.-]{1,64}
// 64 lower-case hex digits, else INVALID_ARGUMENT naming "sha256".
absl::Status ValidateSha256(absl::string_view sha256);

// One artifact being written. Nothing is visible to readers until Commit()
// succeeds; destroying an uncommitted writer removes its temp file.
class ArtifactWriter {
 public:
  ~ArtifactWriter();
  ArtifactWriter(const ArtifactWriter&) = delete;
  ArtifactWriter& operator=(const ArtifactWriter&) = delete;

  // Appends to the temp file while hashing. INVALID_ARGUMENT naming
  // "size_bytes" when the total would exceed the declared size; INTERNAL on
  // I/O errors. After an error the writer is dead (Commit fails).
  absl::Status Append(absl::string_view bytes);
  // Checks the received size (INVALID_ARGUMENT, "size_bytes") and SHA-256
  // (DATA_LOSS naming "sha256" and both values) against the declared ones,
  // then, under the ref lock: asks `check` (when given) and refuses with its
  // status; answers the existing ref unchanged when it already names this
  // content (an idempotent re-upload); refuses RESOURCE_EXHAUSTED naming
  // the job quota when the job's other refs plus this one would exceed
  // max_job_bytes; else moves the content under blobs/ (kept as is if
  // already there) and points the ref at it. Call at most once.
  absl::StatusOr<StoredArtifact> Commit(const ArtifactPublishCheck& check = nullptr);

  int64_t bytes_written() const { return written_; }

 private:
  friend class ArtifactStore;
  ArtifactWriter(ArtifactStore* store, StoredArtifact declared, std::string temp_path,
                 int fd);
  void Abort();

  ArtifactStore* const store_;
  const StoredArtifact declared_;
  const std::string temp_path_;
  int fd_;
  int64_t written_ = 0;
  bool dead_ = false;
  Sha256Hasher hasher_;
};

// Streams one stored artifact, checking it against its ref: the size when
// opened and again at the end, and the SHA-256 at the end.
class ArtifactReader {
 public:
  ~ArtifactReader();
  ArtifactReader(const ArtifactReader&) = delete;
  ArtifactReader& operator=(const ArtifactReader&) = delete;

  const StoredArtifact& artifact() const { return artifact_; }
  // The next at most `max_bytes` bytes; an empty string once everything has
  // been read and verified. DATA_LOSS when the content does not match the
  // ref (changed under us); INTERNAL on I/O errors.
  absl::StatusOr<std::string> Next(size_t max_bytes);

 private:
  friend class ArtifactStore;
  ArtifactReader(StoredArtifact artifact, std::string path, int fd);

  const StoredArtifact artifact_;
  const std::string path_;
  int fd_;
  int64_t read_ = 0;
  bool verified_ = false;
  Sha256Hasher hasher_;
};

// Thread-safe: writers use their own temp files and every final name is
// replaced by rename; who may replace a ref is the caller's rule, applied
// through Commit's check under the ref lock; publishing and
// deleting refs are serialised by one lock so that a shared blob is never
// removed under a new ref.
class ArtifactStore {
 public:
  // Creates the folders under options.root if missing and removes leftover
  // temp files. INVALID_ARGUMENT for bad options; INTERNAL when the folders
  // cannot be made. The store must be the folder's only user.
  static absl::StatusOr<std::unique_ptr<ArtifactStore>> Open(ArtifactStoreOptions options);

  // Starts storing `declared_size` bytes whose SHA-256 is `declared_sha256`
  // under (job_id, name), produced by `task_id` (recorded on the ref).
  // INVALID_ARGUMENT naming the field for a bad job_id, name or sha256, or a
  // negative size. RESOURCE_EXHAUSTED, before any byte is taken, naming
  // size_bytes when the size is over max_size_bytes (the per-upload cap),
  // the job quota when the job's other refs plus this one would exceed
  // max_job_bytes, or the disk reserve when writing it would leave less
  // than disk_reserve_bytes free.
  absl::StatusOr<std::unique_ptr<ArtifactWriter>> BeginWrite(const std::string& job_id,
                                                             const std::string& name,
                                                             const std::string& declared_sha256,
                                                             int64_t declared_size,
                                                             const std::string& task_id = "");

  // The ref of (job_id, name). INVALID_ARGUMENT for bad names; NOT_FOUND
  // when absent; DATA_LOSS when the ref file is unreadable.
  absl::StatusOr<StoredArtifact> Lookup(const std::string& job_id, const std::string& name) const;
  // The blob with this hash (job_id and name empty; size and time from the
  // file). INVALID_ARGUMENT for a malformed hash; NOT_FOUND when absent.
  absl::StatusOr<StoredArtifact> LookupHash(const std::string& sha256) const;
  // Removes the ref (job_id, name), and its blob when no other ref names
  // the same content (a scan of every ref: rare, small files). Readers that
  // opened the blob already read it to the end. INVALID_ARGUMENT for bad
  // names; NOT_FOUND when there is no such ref; INTERNAL on I/O errors.
  // Internal to the coordinator (garbage collection of weights no longer
  // wanted): no RPC deletes.
  absl::Status Delete(const std::string& job_id, const std::string& name);
  // Opens the blob `artifact` points at. NOT_FOUND when it is gone;
  // DATA_LOSS when its size on disk differs from artifact.size_bytes.
  absl::StatusOr<std::unique_ptr<ArtifactReader>> OpenForRead(const StoredArtifact& artifact) const;

  int64_t max_size_bytes() const { return options_.max_size_bytes; }
  // Sum of the sizes of the job's refs, leaving out `except_name` (the one
  // an upload would replace). Unreadable refs count as empty.
  int64_t JobBytes(const std::string& job_id, const std::string& except_name) const;
  const std::string& root() const { return options_.root; }
  // Where the content with this hash lives (for tests and tools).
  std::string BlobPath(absl::string_view sha256) const;

 private:
  friend class ArtifactWriter;
  explicit ArtifactStore(ArtifactStoreOptions options) : options_(std::move(options)) {}

  std::string RefPath(absl::string_view job_id, absl::string_view name) const;
  // Moves a complete temp file under blobs/ and writes the ref; the last
  // step of ArtifactWriter::Commit.
  absl::StatusOr<StoredArtifact> Publish(const std::string& temp_path, StoredArtifact artifact,
                                         const ArtifactPublishCheck& check);
  // RESOURCE_EXHAUSTED naming the job quota when `size` more bytes under
  // (job_id, name) would put the job over max_job_bytes.
  absl::Status CheckJobQuota(const std::string& job_id, const std::string& name,
                             int64_t size) const;
  // RESOURCE_EXHAUSTED naming the disk reserve when writing `size` bytes
  // would leave less than disk_reserve_bytes free under root.
  absl::Status CheckDiskReserve(int64_t size) const;
  // A new empty file under tmp/ (fd open for writing) and its path.
  absl::StatusOr<std::pair<int, std::string>> MakeTempFile() const;

  const ArtifactStoreOptions options_;
  // Orders publishing a ref (its blob first) against deleting one (its blob
  // last, when unreferenced), so a blob never goes while a new ref names it.
  absl::Mutex refs_mu_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_ARTIFACTS_ARTIFACT_STORE_H_
