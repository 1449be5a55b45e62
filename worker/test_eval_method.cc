#include "worker/test_eval_method.h"

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/artifact_names.h"
#include "common/metric_names.h"
#include "common/model/checkpoint.h"
#include "common/status_macros.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

// Batches of the test pass; the standard error comes from their spread.
constexpr int kTestBatchSize = 250;

}  // namespace

absl::StatusOr<ReportedMetric> MeasureTestAccuracy(torch::nn::AnyModule& model, const Data& data,
                                                   const torch::Device& device,
                                                   const std::string& source,
                                                   const std::string& weights) {
  if (data.test.size() == 0) {
    return absl::FailedPreconditionError("test_accuracy: the dataset has no test split");
  }
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(AccuracyEstimate estimate,
                   EstimateAccuracy(model, data.test, device, kTestBatchSize));
  ReportedMetric m = Metric(kMetricTestAccuracy, estimate.accuracy, source);
  m.std_error = estimate.std_error;
  m.cost_seconds = SecondsSince(start);
  m.method = absl::StrCat("test split, ", data.test.size(),
                          " images, evaluated once after the search (never seen by it); ",
                          weights);
  return m;
}

absl::StatusOr<AccuracyReport> TestEvalTask(const AccuracyPlan& plan,
                                            const MethodOptions& options,
                                            const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(RequireArtifacts(options, "test_eval"));
  if (plan.candidate_id.empty()) {
    return absl::InvalidArgumentError("task.candidate_id: test_eval needs a candidate");
  }
  const std::string name = CandidateWeightsArtifactName(plan.job_id, plan.candidate_id);
  absl::StatusOr<std::string> bytes = options.artifacts.download(plan.job_id, name);
  if (!bytes.ok()) {
    if (!absl::IsNotFound(bytes.status())) return bytes.status();
    return absl::NotFoundError(absl::StrCat("test_eval: no stored weights for ",
                                            plan.candidate_id, " (artifact ", name, ")"));
  }
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  if (cancel != nullptr && cancel->load()) return absl::CancelledError("task cancelled");
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildSeeded(plan.space, plan.arch, plan.input, /*seed=*/0));
  RETURN_IF_ERROR(LoadCheckpoint(*bytes, *model.ptr(), plan.candidate_id));
  torch::set_num_threads(options.threads);
  const torch::Device device = TrainingDevice(options.allow_cuda);
  model.ptr()->to(device);
  const std::string kind = device.is_cuda() ? "cuda" : "cpu";
  ASSIGN_OR_RETURN(ReportedMetric test,
                   MeasureTestAccuracy(model, data, device, absl::StrCat("worker:test_eval:", kind),
                                       absl::StrCat("weights of artifact ", name)));
  AccuracyReport report;
  report.notes.push_back(absl::StrCat("test_accuracy of the stored weights ", name, " on ",
                                      data.test.size(), " test images, device=", kind));
  report.metrics.push_back(std::move(test));
  return report;
}

}  // namespace edgenas
