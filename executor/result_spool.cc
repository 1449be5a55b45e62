#include "executor/result_spool.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/atomic_file.h"
#include "common/logging.h"
#include "common/sha256.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr char kCompletePrefix[] = "complete-";
constexpr char kFailPrefix[] = "fail-";
constexpr char kSuffix[] = ".pb";

}  // namespace

const std::string& PendingReport::task_id() const {
  return is_complete ? complete.task_id() : fail.task_id();
}
const std::string& PendingReport::lease_token() const {
  return is_complete ? complete.lease_token() : fail.lease_token();
}
const std::string& PendingReport::executor_id() const {
  return is_complete ? complete.executor_id() : fail.executor_id();
}

absl::StatusOr<std::unique_ptr<ResultSpool>> ResultSpool::Open(const std::string& dir,
                                                               const std::string& field) {
  if (dir.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": is empty"));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": cannot create or use the folder ", dir, ec ? ": " + ec.message() : ""));
  }
  return std::unique_ptr<ResultSpool>(new ResultSpool(dir));
}

std::string ResultSpool::PathOf(const PendingReport& report, bool is_complete) const {
  const std::string key =
      Sha256Hex(absl::StrCat(report.task_id(), "\n", report.lease_token())).substr(0, 32);
  return (fs::path(dir_) / absl::StrCat(is_complete ? kCompletePrefix : kFailPrefix, key, kSuffix))
      .string();
}

absl::Status ResultSpool::Put(const PendingReport& report) {
  const std::string bytes =
      report.is_complete ? report.complete.SerializeAsString() : report.fail.SerializeAsString();
  absl::Status written = WriteFileAtomically(PathOf(report, report.is_complete), bytes);
  if (!written.ok()) return written;
  // At most one report per lease: a Fail that replaces a refused Complete.
  std::error_code ec;
  fs::remove(PathOf(report, !report.is_complete), ec);
  return absl::OkStatus();
}

absl::Status ResultSpool::Remove(const PendingReport& report) {
  for (bool kind : {true, false}) {
    std::error_code ec;
    const std::string path = PathOf(report, kind);
    fs::remove(path, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot remove ", path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::vector<PendingReport> ResultSpool::List() {
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !absl::EndsWith(name, kSuffix)) continue;
    if (!absl::StartsWith(name, kCompletePrefix) && !absl::StartsWith(name, kFailPrefix)) continue;
    std::error_code time_ec;
    files.emplace_back(fs::last_write_time(entry.path(), time_ec), entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<PendingReport> out;
  for (const auto& [time, path] : files) {
    std::ifstream in(path, std::ios::binary);
    PendingReport report;
    report.is_complete = absl::StartsWith(path.filename().string(), kCompletePrefix);
    bool parsed = false;
    if (in.is_open()) {
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      parsed = report.is_complete ? report.complete.ParseFromString(bytes)
                                  : report.fail.ParseFromString(bytes);
    }
    if (!parsed || report.task_id().empty()) {
      EDGENAS_LOG(kError, "executor", "spooled report ", path.string(),
                  " cannot be read; renamed to .bad and skipped");
      std::error_code rename_ec;
      fs::rename(path, path.string() + ".bad", rename_ec);
      continue;
    }
    out.push_back(std::move(report));
  }
  return out;
}

std::string DefaultSpoolDir(const std::string& program, const std::string& name) {
  std::string safe = name.empty() ? "default" : name;
  for (char& c : safe) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  const std::string leaf = absl::StrCat(program, "-", safe);
  const char* cache = std::getenv("XDG_CACHE_HOME");
  if (cache != nullptr && cache[0] != '\0') {
    return (fs::path(cache) / "edgenas" / "spool" / leaf).string();
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return (fs::path(home) / ".cache" / "edgenas" / "spool" / leaf).string();
  }
  return (fs::path("/tmp/edgenas-spool") / leaf).string();
}

}  // namespace edgenas
