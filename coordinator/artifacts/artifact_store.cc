#include "coordinator/artifacts/artifact_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

// A ref file is three short lines; anything longer is not one of ours.
constexpr size_t kMaxRefFileBytes = 4096;

absl::Status ErrnoError(absl::string_view what, absl::string_view path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status ValidateToken(absl::string_view value, absl::string_view field, size_t max_len) {
  bool ok = !value.empty() && value.size() <= max_len && value != "." && value != "..";
  for (char c : value) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == '-')) {
      ok = false;
    }
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": must match [A-Za-z0-9_.-]{1,",
                                                 max_len, "} and not be . or ..; got \"",
                                                 value.substr(0, 2 * max_len), "\""));
}

absl::Status WriteAll(int fd, absl::string_view bytes, absl::string_view path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Reads up to `n` bytes (fewer only at end of file).
absl::StatusOr<std::string> ReadUpTo(int fd, size_t n, absl::string_view path) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, &out[got], n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

// Makes a rename or a new entry in `dir` survive a crash.
absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync", dir);
  return absl::OkStatus();
}

// fsync + close; the fd is closed whatever happens.
absl::Status SyncAndClose(int fd, const std::string& path) {
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return ErrnoError("fsync", path);
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

std::string FormatRef(const StoredArtifact& a) {
  std::string text = absl::StrCat("sha256 ", a.sha256, "\nsize_bytes ", a.size_bytes,
                                  "\ncreated_unix_ms ", a.created_unix_ms, "\n");
  if (!a.task_id.empty()) absl::StrAppend(&text, "task_id ", a.task_id, "\n");
  return text;
}

// Reads "key value" lines in FormatRef's order (task_id is absent from refs
// written before producers were recorded).
absl::Status ParseRef(absl::string_view text, absl::string_view path, StoredArtifact* a) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  bool ok = false;
  if (lines.size() == 4) {
    std::pair<std::string, std::string> kv = absl::StrSplit(lines[3], absl::MaxSplits(' ', 1));
    if (kv.first != "task_id" || kv.second.empty()) {
      return absl::DataLossError(absl::StrCat("ref ", path, ": malformed"));
    }
    a->task_id = kv.second;
    lines.pop_back();
  }
  if (lines.size() == 3) {
    std::vector<std::pair<std::string, std::string>> fields;
    for (absl::string_view line : lines) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
      fields.push_back(std::move(kv));
    }
    a->sha256 = fields[0].second;
    ok = fields[0].first == "sha256" && IsSha256Hex(a->sha256) &&
         fields[1].first == "size_bytes" && absl::SimpleAtoi(fields[1].second, &a->size_bytes) &&
         a->size_bytes >= 0 && fields[2].first == "created_unix_ms" &&
         absl::SimpleAtoi(fields[2].second, &a->created_unix_ms);
  }
  if (ok) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("ref ", path, ": malformed"));
}

}  // namespace

absl::Status ValidateArtifactJobId(absl::string_view job_id) {
  return ValidateToken(job_id, "job_id", 128);
}

absl::Status ValidateArtifactName(absl::string_view name) {
  return ValidateToken(name, "name", 64);
}

absl::Status ValidateSha256(absl::string_view sha256) {
  if (IsSha256Hex(sha256)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "sha256: must be 64 lower-case hex digits; got \"", sha256.substr(0, 128), "\""));
}

// ---------------------------------------------------------------- writer

ArtifactWriter::ArtifactWriter(ArtifactStore* store, StoredArtifact declared,
                               std::string temp_path, int fd)
    : store_(store), declared_(std::move(declared)), temp_path_(std::move(temp_path)), fd_(fd) {}

ArtifactWriter::~ArtifactWriter() { Abort(); }

void ArtifactWriter::Abort() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());  // ENOENT once published
  dead_ = true;
}

absl::Status ArtifactWriter::Append(absl::string_view bytes) {
  if (dead_) return absl::FailedPreconditionError("artifact writer: already failed or committed");
  if (static_cast<int64_t>(bytes.size()) > declared_.size_bytes - written_) {
    Abort();
    return absl::InvalidArgumentError(
        absl::StrCat("size_bytes: received more than the declared ", declared_.size_bytes,
                     " bytes"));
  }
  absl::Status written = WriteAll(fd_, bytes, temp_path_);
  if (!written.ok()) {
    Abort();
    return written;
  }
  hasher_.Update(bytes);
  written_ += static_cast<int64_t>(bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<StoredArtifact> ArtifactWriter::Commit(const ArtifactPublishCheck& check) {
  if (dead_) return absl::FailedPreconditionError("artifact writer: already failed or committed");
  if (written_ != declared_.size_bytes) {
    Abort();
    return absl::InvalidArgumentError(absl::StrCat("size_bytes: declared ", declared_.size_bytes,
                                                   " bytes, received ", written_));
  }
  const std::string actual = hasher_.FinishHex();
  if (actual != declared_.sha256) {
    Abort();
    return absl::DataLossError(absl::StrCat("sha256: content hashes to ", actual,
                                            ", declared ", declared_.sha256));
  }
  int fd = fd_;
  fd_ = -1;
  absl::Status synced = SyncAndClose(fd, temp_path_);
  if (!synced.ok()) {
    Abort();
    return synced;
  }
  absl::StatusOr<StoredArtifact> published = store_->Publish(temp_path_, declared_, check);
  Abort();  // removes the temp file if Publish stopped before renaming it
  return published;
}

// ---------------------------------------------------------------- reader

ArtifactReader::ArtifactReader(StoredArtifact artifact, std::string path, int fd)
    : artifact_(std::move(artifact)), path_(std::move(path)), fd_(fd) {}

ArtifactReader::~ArtifactReader() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::string> ArtifactReader::Next(size_t max_bytes) {
  if (verified_) return std::string();
  const int64_t left = artifact_.size_bytes - read_;
  if (left > 0) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(max_bytes)));
    ASSIGN_OR_RETURN(std::string chunk, ReadUpTo(fd_, want, path_));
    if (chunk.empty()) {
      return absl::DataLossError(absl::StrCat("blob ", artifact_.sha256, ": ends after ", read_,
                                              " bytes, ref says ", artifact_.size_bytes));
    }
    read_ += static_cast<int64_t>(chunk.size());
    hasher_.Update(chunk);
    return chunk;
  }
  ASSIGN_OR_RETURN(std::string extra, ReadUpTo(fd_, 1, path_));
  if (!extra.empty()) {
    return absl::DataLossError(absl::StrCat("blob ", artifact_.sha256, ": longer than the ",
                                            artifact_.size_bytes, " bytes its ref says"));
  }
  const std::string actual = hasher_.FinishHex();
  verified_ = true;
  if (actual != artifact_.sha256) {
    return absl::DataLossError(absl::StrCat("sha256: blob ", artifact_.sha256,
                                            " on disk hashes to ", actual));
  }
  return std::string();
}

// ---------------------------------------------------------------- store

absl::StatusOr<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(ArtifactStoreOptions options) {
  if (options.root.empty()) return absl::InvalidArgumentError("artifacts.root: empty");
  if (options.max_size_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifacts.max_size_bytes: must be >= 0, got ", options.max_size_bytes));
  }
  if (options.clock == nullptr) return absl::InvalidArgumentError("artifacts.clock: null");
  for (const char* sub : {"blobs", "refs", "tmp"}) {
    RETURN_IF_ERROR(MakeDirs(absl::StrCat(options.root, "/", sub)));
  }
  // Leftovers of writes interrupted by a crash: never published, never needed.
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(options.root + "/tmp", ec)) {
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", options.root, "/tmp: ", ec.message()));
  return std::unique_ptr<ArtifactStore>(new ArtifactStore(std::move(options)));
}

std::string ArtifactStore::BlobPath(absl::string_view sha256) const {
  return absl::StrCat(options_.root, "/blobs/", sha256);
}

std::string ArtifactStore::RefPath(absl::string_view job_id, absl::string_view name) const {
  return absl::StrCat(options_.root, "/refs/", job_id, "/", name);
}

absl::StatusOr<std::pair<int, std::string>> ArtifactStore::MakeTempFile() const {
  std::string path = absl::StrCat(options_.root, "/tmp/XXXXXX");
  int fd = ::mkostemp(&path[0], O_CLOEXEC);
  if (fd < 0) return ErrnoError("create temp file in", options_.root + "/tmp");
  return std::make_pair(fd, std::move(path));
}

absl::StatusOr<std::unique_ptr<ArtifactWriter>> ArtifactStore::BeginWrite(
    const std::string& job_id, const std::string& name, const std::string& declared_sha256,
    int64_t declared_size, const std::string& task_id) {
  RETURN_IF_ERROR(ValidateArtifactJobId(job_id));
  RETURN_IF_ERROR(ValidateArtifactName(name));
  RETURN_IF_ERROR(ValidateSha256(declared_sha256));
  if (declared_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("size_bytes: must be >= 0, got ", declared_size));
  }
  if (declared_size > options_.max_size_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "size_bytes: ", declared_size, " exceeds the per-upload cap of ",
        options_.max_size_bytes, " bytes (coordinator --max_artifact_mb)"));
  }
  RETURN_IF_ERROR(CheckJobQuota(job_id, name, declared_size));
  RETURN_IF_ERROR(CheckDiskReserve(declared_size));
  ASSIGN_OR_RETURN(auto temp, MakeTempFile());
  StoredArtifact declared;
  declared.job_id = job_id;
  declared.name = name;
  declared.sha256 = declared_sha256;
  declared.size_bytes = declared_size;
  declared.task_id = task_id;
  return std::unique_ptr<ArtifactWriter>(
      new ArtifactWriter(this, std::move(declared), std::move(temp.second), temp.first));
}

int64_t ArtifactStore::JobBytes(const std::string& job_id, const std::string& except_name) const {
  int64_t total = 0;
  std::error_code ec;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(absl::StrCat(options_.root, "/refs/", job_id), ec)) {
    const std::string name = entry.path().filename().string();
    if (name == except_name) continue;
    absl::StatusOr<StoredArtifact> ref = Lookup(job_id, name);
    if (ref.ok()) total += ref->size_bytes;
  }
  return total;  // no folder yet (ec set): nothing stored
}

absl::Status ArtifactStore::CheckJobQuota(const std::string& job_id, const std::string& name,
                                          int64_t size) const {
  const int64_t used = JobBytes(job_id, name);
  if (size <= options_.max_job_bytes - used) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "job quota: job ", job_id, " stores ", used, " bytes of artifacts besides ", name, "; ",
      size, " more would exceed its quota of ", options_.max_job_bytes,
      " bytes (coordinator --artifact_job_quota_mb)"));
}

absl::Status ArtifactStore::CheckDiskReserve(int64_t size) const {
  struct statvfs fs_info;
  if (::statvfs(options_.root.c_str(), &fs_info) != 0) return ErrnoError("statvfs", options_.root);
  const long double free_bytes =
      static_cast<long double>(fs_info.f_bavail) * static_cast<long double>(fs_info.f_frsize);
  if (free_bytes - size >= static_cast<long double>(options_.disk_reserve_bytes)) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "disk reserve: ", static_cast<int64_t>(free_bytes / (1 << 20)), " MiB free under ",
      options_.root, "; storing ", size, " more bytes would leave less than the ",
      options_.disk_reserve_bytes / (1 << 20),
      " MiB kept free for the database (coordinator --artifact_disk_reserve_mb)"));
}

absl::StatusOr<StoredArtifact> ArtifactStore::Publish(const std::string& temp_path,
                                                      StoredArtifact artifact,
                                                      const ArtifactPublishCheck& check) {
  absl::MutexLock lock(&refs_mu_);
  absl::StatusOr<StoredArtifact> existing = Lookup(artifact.job_id, artifact.name);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  if (check) RETURN_IF_ERROR(check(existing.ok() ? &*existing : nullptr));
  const std::string blob = BlobPath(artifact.sha256);
  struct stat st;
  // Same content already stored: keep it, unless it was damaged (wrong
  // size), in which case the fresh copy replaces it.
  const bool have_blob = ::stat(blob.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                         st.st_size == artifact.size_bytes;
  // The same content again: nothing changes (first producer and time kept).
  if (have_blob && existing.ok() && existing->sha256 == artifact.sha256 &&
      existing->size_bytes == artifact.size_bytes) {
    return *existing;
  }
  // Under the lock, so concurrent uploads of one job cannot pass together.
  RETURN_IF_ERROR(CheckJobQuota(artifact.job_id, artifact.name, artifact.size_bytes));
  if (!have_blob) {
    if (::rename(temp_path.c_str(), blob.c_str()) != 0) return ErrnoError("rename to", blob);
    RETURN_IF_ERROR(SyncDir(options_.root + "/blobs"));
  }

  artifact.created_unix_ms = options_.clock->NowUnixMs();
  const std::string job_dir = absl::StrCat(options_.root, "/refs/", artifact.job_id);
  std::error_code ec;
  if (fs::create_directory(job_dir, ec)) RETURN_IF_ERROR(SyncDir(options_.root + "/refs"));
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", job_dir, ": ", ec.message()));
  ASSIGN_OR_RETURN(auto ref_temp, MakeTempFile());
  absl::Status written = WriteAll(ref_temp.first, FormatRef(artifact), ref_temp.second);
  if (!written.ok()) {
    ::close(ref_temp.first);
    ::unlink(ref_temp.second.c_str());
    return written;
  }
  absl::Status synced = SyncAndClose(ref_temp.first, ref_temp.second);
  const std::string ref = RefPath(artifact.job_id, artifact.name);
  if (synced.ok() && ::rename(ref_temp.second.c_str(), ref.c_str()) != 0) {
    synced = ErrnoError("rename to", ref);
  }
  if (!synced.ok()) {
    ::unlink(ref_temp.second.c_str());
    return synced;
  }
  RETURN_IF_ERROR(SyncDir(job_dir));
  return artifact;
}

absl::StatusOr<StoredArtifact> ArtifactStore::Lookup(const std::string& job_id,
                                                     const std::string& name) const {
  RETURN_IF_ERROR(ValidateArtifactJobId(job_id));
  RETURN_IF_ERROR(ValidateArtifactName(name));
  const std::string path = RefPath(job_id, name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("artifact ", job_id, "/", name, ": not found"));
    }
    return ErrnoError("open", path);
  }
  absl::StatusOr<std::string> text = ReadUpTo(fd, kMaxRefFileBytes, path);
  ::close(fd);
  if (!text.ok()) return text.status();
  StoredArtifact artifact;
  artifact.job_id = job_id;
  artifact.name = name;
  RETURN_IF_ERROR(ParseRef(*text, path, &artifact));
  return artifact;
}

absl::Status ArtifactStore::Delete(const std::string& job_id, const std::string& name) {
  absl::MutexLock lock(&refs_mu_);
  ASSIGN_OR_RETURN(const StoredArtifact artifact, Lookup(job_id, name));
  const std::string ref = RefPath(job_id, name);
  if (::unlink(ref.c_str()) != 0) return ErrnoError("unlink", ref);
  RETURN_IF_ERROR(SyncDir(absl::StrCat(options_.root, "/refs/", job_id)));
  // Content is shared between refs with equal bytes: keep it while any
  // other ref names it.
  std::error_code ec;
  for (const fs::directory_entry& dir : fs::directory_iterator(options_.root + "/refs", ec)) {
    std::error_code inner;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir.path(), inner)) {
      absl::StatusOr<StoredArtifact> other =
          Lookup(dir.path().filename().string(), entry.path().filename().string());
      // An unreadable ref might name this blob: keep it.
      if (!other.ok() || other->sha256 == artifact.sha256) return absl::OkStatus();
    }
    if (inner) return absl::OkStatus();
  }
  if (ec) return absl::OkStatus();  // cannot tell whether it is shared: keep it
  const std::string blob = BlobPath(artifact.sha256);
  if (::unlink(blob.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", blob);
  return SyncDir(options_.root + "/blobs");
}

absl::StatusOr<StoredArtifact> ArtifactStore::LookupHash(const std::string& sha256) const {
  RETURN_IF_ERROR(ValidateSha256(sha256));
  const std::string path = BlobPath(sha256);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("artifact sha256 ", sha256, ": not found"));
    }
    return ErrnoError("stat", path);
  }
  StoredArtifact artifact;
  artifact.sha256 = sha256;
  artifact.size_bytes = st.st_size;
  artifact.created_unix_ms =
      int64_t{st.st_mtim.tv_sec} * 1000 + int64_t{st.st_mtim.tv_nsec} / 1000000;
  return artifact;
}

absl::StatusOr<std::unique_ptr<ArtifactReader>> ArtifactStore::OpenForRead(
    const StoredArtifact& artifact) const {
  RETURN_IF_ERROR(ValidateSha256(artifact.sha256));
  const std::string path = BlobPath(artifact.sha256);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("blob ", artifact.sha256, ": not found"));
    }
    return ErrnoError("open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status error = ErrnoError("stat", path);
    ::close(fd);
    return error;
  }
  if (st.st_size != artifact.size_bytes) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("blob ", artifact.sha256, ": ", st.st_size,
                                            " bytes on disk, ref says ", artifact.size_bytes));
  }
  return std::unique_ptr<ArtifactReader>(new ArtifactReader(artifact, path, fd));
}

}  // namespace edgenas
