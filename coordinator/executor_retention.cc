// Executor retention (see executor_retention.h) and the JobManager sweep
// that applies it.
#include "coordinator/executor_retention.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "coordinator/job_manager.h"

namespace edgenas {

absl::Status ValidateExecutorRetention(int64_t retention_ms, const char* field) {
  if (retention_ms == 0 || retention_ms >= kMinExecutorRetentionMs) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be 0 (never forget executors) or at least ",
                   kMinExecutorRetentionMs / 60000, " minutes, got ", retention_ms, " ms"));
}

bool ExecutorExpired(int64_t last_heard_ms, int64_t now_ms, int64_t retention_ms) {
  return retention_ms > 0 && now_ms - last_heard_ms > retention_ms;
}

void JobManager::ForgetSilentExecutors() {
  const int64_t now = Now();
  std::vector<std::string> silent;
  for (const auto& [id, e] : executors_) {
    if (ExecutorExpired(std::max(e.last_seen_ms, e.known_since_ms), now,
                        options_.executor_retention_ms)) {
      silent.push_back(id);
    }
  }
  for (const std::string& id : silent) {
    const absl::Status deleted = store_->DeleteExecutor(id);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) {
      WriteFailed(deleted);
      return;
    }
    EDGENAS_LOG(kInfo, "coordinator", "forgot executor ", id, " (", executors_[id].name,
                ", device_class=", executors_[id].device_class, "): not heard from in over ",
                options_.executor_retention_ms / 60000, " minutes; it registers again if it "
                "comes back");
    executors_.erase(id);
  }
}

}  // namespace edgenas
