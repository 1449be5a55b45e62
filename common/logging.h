// Minimal structured logging to stderr: one line per event,
// "2026-11-25T13:00:00.123Z INFO component: message key=value ...".
// Thread-safe. (Debian's Abseil 20220623 predates absl/log.)
#ifndef EDGENAS_COMMON_LOGGING_H_
#define EDGENAS_COMMON_LOGGING_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgenas {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Writes one line if `level` is at or above the minimum level.
void LogLine(LogLevel level, absl::string_view component, absl::string_view message);
// Minimum level to print; default kInfo, or EDGENAS_LOG_LEVEL=debug|info|warning|error.
void SetMinLogLevel(LogLevel level);

}  // namespace edgenas

#define EDGENAS_LOG(level, component, ...) \
  ::edgenas::LogLine(::edgenas::LogLevel::level, component, ::absl::StrCat(__VA_ARGS__))

#endif  // EDGENAS_COMMON_LOGGING_H_
