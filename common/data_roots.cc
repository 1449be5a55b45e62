#include "common/data_roots.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

// True when `path` is `root` or below it, component by component.
bool Within(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseDataRoots(absl::string_view list,
                                                        absl::string_view flag) {
  std::vector<std::string> roots;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    const std::string folder(absl::StripAsciiWhitespace(part));
    if (folder.empty() || folder.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", folder, "\" is not an absolute path"));
    }
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(folder, error);
    if (error) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": cannot resolve ", folder, ": ", error.message()));
    }
    roots.push_back(canonical.string());
  }
  if (roots.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": no directory given"));
  }
  return roots;
}

absl::Status CheckUnderDataRoots(const std::string& path, const std::vector<std::string>& roots,
                                 absl::string_view field) {
  const std::string shown = path.substr(0, 256);
  if (path.empty() || path.front() != '/') {
    return absl::PermissionDeniedError(
        absl::StrCat(field, ": \"", shown, "\" is not an absolute path"));
  }
  std::error_code error;
  // Resolves the parts that exist (symlinks included) and normalises the rest.
  const fs::path resolved = fs::weakly_canonical(fs::path(path), error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat(field, ": cannot resolve \"", shown, "\": ", error.message()));
  }
  for (const std::string& root : roots) {
    if (Within(resolved, fs::path(root))) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      field, ": \"", shown, "\" resolves to ", resolved.string().substr(0, 256),
      ", outside this worker's data roots (", absl::StrJoin(roots, ", "),
      "); start the worker with --data_root to allow another folder"));
}

}  // namespace edgenas
