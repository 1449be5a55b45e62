#include "device_agent/runners/external_command.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/child_process.h"

namespace edgenas {

std::string LastOutputLines(const std::string& output, int lines) {
  std::vector<absl::string_view> kept;
  for (absl::string_view line : absl::StrSplit(output, absl::ByAnyChar("\r\n"))) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) kept.push_back(line);
  }
  if (kept.empty()) return "(no output)";
  if (static_cast<int>(kept.size()) > lines) kept.erase(kept.begin(), kept.end() - lines);
  std::string joined = absl::StrJoin(kept, " | ");
  constexpr size_t kMax = 600;
  if (joined.size() > kMax) joined = absl::StrCat("...", joined.substr(joined.size() - kMax));
  return joined;
}

absl::StatusOr<CommandRun> RunExternalCommand(const std::vector<std::string>& argv,
                                              const std::string& working_dir,
                                              absl::Duration timeout,
                                              const std::atomic<bool>* cancel,
                                              size_t max_output) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("external command: empty");
  ChildOptions options;
  options.argv = argv;
  options.search_path = true;
  options.working_dir = working_dir;
  options.output = ChildOutput::kMergedPipe;
  RunLimits limits;
  limits.timeout = timeout;
  limits.cancel = cancel;
  limits.max_output = max_output;
  limits.keep_tail = true;
  int start_errno = 0;
  absl::StatusOr<ChildRun> child = RunChild(options, limits, &start_errno);
  if (start_errno != 0) {
    return absl::NotFoundError(absl::StrCat(
        "external command: cannot start \"", argv[0], "\": ", std::strerror(start_errno),
        working_dir.empty() ? "" : absl::StrCat(" (in ", working_dir, ")")));
  }
  if (!child.ok()) {
    return absl::Status(child.status().code(),
                        absl::StrCat("external command: ", child.status().message()));
  }
  switch (child->end) {
    case ChildRun::End::kExited:
      break;
    case ChildRun::End::kCancelled:
      if (child->output_closed) {
        return absl::CancelledError(absl::StrCat("external command \"", argv[0], "\" cancelled"));
      }
      return absl::CancelledError(
          absl::StrCat("external command \"", argv[0],
                       "\" cancelled; last output: ", LastOutputLines(child->output, 5)));
    case ChildRun::End::kTimedOut:
      if (child->output_closed) {
        return absl::DeadlineExceededError(absl::StrCat(
            "external command \"", argv[0], "\" closed its output but did not exit within ",
            absl::FormatDuration(timeout), " (--external_timeout_s), killed"));
      }
      return absl::DeadlineExceededError(absl::StrCat(
          "external command \"", argv[0], "\" still running after ", absl::FormatDuration(timeout),
          " (--external_timeout_s), killed; last output: ", LastOutputLines(child->output, 5)));
  }
  CommandRun run;
  run.exit_code = child->exit.code;
  run.signal = child->exit.signal;
  run.output = std::move(child->output);
  run.truncated = child->output_truncated;
  return run;
}

}  // namespace edgenas
