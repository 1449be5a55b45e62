// JobManager's latency-table operations: PutLatencyTable (a device agent
// stores the table it profiled for its own class), GetLatencyTable, and the
// screener a job that screens with tables gets at submission and restart
// (from its own copies of the tables, taken at submission).
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/latency_predictor.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "coordinator/job_manager.h"
#include "coordinator/screening.h"

namespace edgenas {

void JobManager::PutLatencyTableAsync(const v1::PutLatencyTableRequest& request,
                                      Callback<v1::PutLatencyTableResponse> done) {
  // The table's own checks need no state: refuse bad tables before queuing.
  absl::Status valid = ValidateLatencyTable(request.table());
  if (!valid.ok()) {
    done(valid);
    return;
  }
  Submit(MakeOp<v1::PutLatencyTableResponse>(
      [this, request]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return DoPutLatencyTable(request); },
      std::move(done)));
}

absl::StatusOr<v1::PutLatencyTableResponse> JobManager::PutLatencyTable(
    const v1::PutLatencyTableRequest& request) {
  return Await<v1::PutLatencyTableResponse>([&](Callback<v1::PutLatencyTableResponse> done) {
    PutLatencyTableAsync(request, std::move(done));
  });
}

absl::StatusOr<v1::PutLatencyTableResponse> JobManager::DoPutLatencyTable(
    const v1::PutLatencyTableRequest& request) {
  ASSIGN_OR_RETURN(const Executor* ex, FindExecutor(request.executor_id()));
  const v1::LatencyTable& table = request.table();
  if (ex->kind != v1::DEVICE_AGENT) {
    return absl::PermissionDeniedError(
        "executor_id: only a registered DEVICE_AGENT may store latency tables");
  }
  if (table.device_class() != ex->device_class) {
    return absl::PermissionDeniedError(absl::StrCat(
        "table.device_class: \"", table.device_class().substr(0, 64),
        "\" is not the class this agent registered for (\"", ex->device_class, "\")"));
  }
  v1::LatencyTable stored = table;
  if (stored.created_unix_ms() == 0) stored.set_created_unix_ms(Now());
  if (!Write(store_->PutLatencyTable(stored, Now()))) return batch_error_;
  EDGENAS_LOG(kInfo, "coordinator", "latency table of ", DescribeLatencyTable(stored),
              " stored: ", stored.entries_size(), " entries, overhead ", stored.overhead_ms(),
              " ms, from ", request.executor_id());
  return v1::PutLatencyTableResponse();
}

absl::StatusOr<v1::LatencyTable> JobManager::GetLatencyTable(
    const v1::GetLatencyTableRequest& request) {
  if (request.space().empty()) return absl::InvalidArgumentError("space: required");
  if (request.device_class().empty()) {
    return absl::InvalidArgumentError("device_class: required");
  }
  return store_->GetLatencyTable(request.space(), request.device_class());
}

absl::Status JobManager::AttachScreener(JobRuntime* job, bool at_submit,
                                        const std::vector<v1::LatencyTable>* snapshot,
                                        std::vector<v1::LatencyTable>* used) {
  auto lookup = [this, snapshot, used](const std::string& space, const std::string& device_class)
      ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<v1::LatencyTable> {
    if (snapshot == nullptr) {
      absl::StatusOr<v1::LatencyTable> table = store_->GetLatencyTable(space, device_class);
      if (table.ok()) used->push_back(*table);
      return table;
    }
    // The job's own copy: what it screened with from its submission on.
    for (const v1::LatencyTable& table : *snapshot) {
      if (table.space() == space && table.device_class() == device_class) {
        used->push_back(table);
        return table;
      }
    }
    return absl::NotFoundError(absl::StrCat("the job kept no latency table of space ", space,
                                            " on device class ", device_class));
  };
  absl::StatusOr<std::unique_ptr<CandidateScreener>> screener =
      CandidateScreener::Create(job->job().spec(), lookup);
  if (!screener.ok()) {
    if (at_submit) return screener.status();
    const std::string why = absl::StrCat("runs without latency-table screening: ",
                                         screener.status().message());
    EDGENAS_LOG(kWarning, "coordinator", "job ", job->job().id(), " ", why);
    job->mutable_job()->set_message(why);
    job->SetScreener(nullptr);
    return screener.status();
  }
  job->SetScreener(*std::move(screener));
  return absl::OkStatus();
}

}  // namespace edgenas
