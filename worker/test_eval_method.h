// The one use of a dataset's test split (LibTorch side, internal to
// worker/): the accuracy of a winner's trained weights on it, reported as
// "test_accuracy" beside the search's validation accuracy. The search never
// sees it: a finalist's full training ("finalize") measures it after
// training, and the "test_eval" operation measures it for a candidate whose
// weights are stored already (full_train mode's front at the end of a job).
#ifndef EDGENAS_WORKER_TEST_EVAL_METHOD_H_
#define EDGENAS_WORKER_TEST_EVAL_METHOD_H_

#include <atomic>
#include <string>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "worker/accuracy_methods.h"
#include "worker/accuracy_plan.h"
#include "worker/method_common.h"

namespace edgenas {

// test_accuracy of `model` (on `device`, left in eval mode) over
// data.test, with its standard error, `source` (e.g.
// "worker:full_train:cpu") and a method saying what was evaluated.
// INTERNAL on a LibTorch failure; FAILED_PRECONDITION when the dataset has
// no test split.
absl::StatusOr<ReportedMetric> MeasureTestAccuracy(torch::nn::AnyModule& model, const Data& data,
                                                   const torch::Device& device,
                                                   const std::string& source,
                                                   const std::string& weights);

// The "test_eval" operation: downloads the candidate's stored weights
// (CandidateWeightsArtifactName), evaluates them on the test split and
// reports test_accuracy only (source "worker:test_eval:<device>").
// NOT_FOUND when the weights are not stored; DATA_LOSS when they do not fit
// the candidate's network.
absl::StatusOr<AccuracyReport> TestEvalTask(const AccuracyPlan& plan,
                                            const MethodOptions& options,
                                            const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_TEST_EVAL_METHOD_H_
