// Port files, sibling binaries and log tails for the CLI's child processes.
#include "cli/process.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

bool ReadWholeFile(const std::string& path, std::string* text) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream buffer;
  buffer << file.rdbuf();
  *text = buffer.str();
  return true;
}

}  // namespace

absl::StatusOr<int> WaitForPortFile(const std::string& path, absl::Duration timeout,
                                    const std::function<absl::Status()>& check) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration step = absl::Milliseconds(5);
  std::string previous;
  std::string text;
  while (true) {
    if (check) RETURN_IF_ERROR(check());
    if (ReadWholeFile(path, &text) && !text.empty()) {
      // A writer may be mid-write: trust a finished line, or the same text twice.
      const bool complete = absl::EndsWith(text, "\n") || text == previous;
      absl::string_view value = absl::StripAsciiWhitespace(text);
      const size_t colon = value.rfind(':');  // tolerate "host:port"
      if (colon != absl::string_view::npos) value.remove_prefix(colon + 1);
      int port = 0;
      if (complete && absl::SimpleAtoi(value, &port) && port > 0 && port < 65536) return port;
      previous = text;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no port in ", path, " after ", absl::FormatDuration(timeout),
                       text.empty() ? "" : absl::StrCat(" (it holds \"", text, "\")")));
    }
    absl::SleepFor(std::min(step, deadline - now));
    step = std::min(step * 2, absl::Milliseconds(100));
  }
}

absl::StatusOr<std::string> FindSiblingBinary(const std::string& name) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return absl::InternalError(absl::StrCat("/proc/self/exe: ", error.message()));
  const std::filesystem::path candidate = self.parent_path() / name;
  if (access(candidate.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(name, " not found next to ", self.string(),
                                            " (looked for ", candidate.string(), ")"));
  }
  return candidate.string();
}

std::string TailOfFile(const std::string& path, int max_lines) {
  constexpr std::streamoff kMaxBytes = 64 * 1024;
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file || max_lines <= 0) return "";
  const std::streamoff size = file.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - kMaxBytes);
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // likely a partial line
  const size_t keep = std::min(lines.size(), static_cast<size_t>(max_lines));
  std::string tail = absl::StrJoin(lines.end() - keep, lines.end(), "\n");
  if (!tail.empty()) tail += "\n";
  return tail;
}

}  // namespace edgenas
