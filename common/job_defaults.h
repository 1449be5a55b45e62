// Defaults of job-spec fields, free of protobuf so that LibTorch code (the
// worker's trainers) can use them without generated headers.
#ifndef EDGENAS_COMMON_JOB_DEFAULTS_H_
#define EDGENAS_COMMON_JOB_DEFAULTS_H_

#include <array>

#include "common/datasets/fashion_mnist_info.h"

namespace edgenas {

// Defaults for fields left at zero/empty. The coordinator fills them in at
// submission; workers and agents fall back to the same values for specs
// built by hand.
inline constexpr char kDefaultDeviceClass[] = "cpu";
inline constexpr const char* kDefaultDatasetPath = kFashionMnistDefaultPath;
inline constexpr int kDefaultTrainSteps = 200;
inline constexpr int kDefaultBatchSize = 64;
inline constexpr double kDefaultLearningRate = 0.05;
inline constexpr int kDefaultValidationExamples = 2000;
// Proxy modes (flash_distill, supernet) and the full training of finalists.
inline constexpr int kDefaultTeacherTrainSteps = 3000;
inline constexpr double kDefaultDistillFraction = 0.1;
inline constexpr double kDefaultDistillAlpha = 0.5;
inline constexpr double kDefaultDistillTemperature = 4.0;
inline constexpr int kDefaultSupernetTrainSteps = 3000;
inline constexpr int kDefaultCalibrationExamples = 512;
inline constexpr int kDefaultFinalizeTopK = 3;
inline constexpr int kDefaultFinalizeTrainSteps = 2000;
// Multi-fidelity: the methods a rung may use, and successive halving's eta.
inline constexpr std::array<const char*, 3> kMultiFidelityMethods = {"supernet", "flash_distill",
                                                                      "full_train"};
inline constexpr double kDefaultReductionFactor = 3.0;
// Latency measurement (device_agent/latency.h): warm-up by time, timed runs
// in blocks until the median's 95% CI is within +-target_ci_rel, or a cap.
inline constexpr int kDefaultWarmupMs = 1000;
inline constexpr int kDefaultMinRuns = 20;
inline constexpr int kDefaultMaxRuns = 5000;
inline constexpr int kDefaultMaxMeasureMs = 10000;
inline constexpr int kDefaultLatencyBlocks = 4;
inline constexpr double kDefaultTargetCiRel = 0.01;
inline constexpr int kDefaultLatencyThreads = 1;
inline constexpr int kDefaultLatencyBatchSize = 1;
// latency.screen_margin when screen_with_table is set and the margin is 0.
inline constexpr double kDefaultScreenMargin = 0.1;

}  // namespace edgenas

#endif  // EDGENAS_COMMON_JOB_DEFAULTS_H_
