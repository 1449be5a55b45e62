// A short real run on a generated image folder through the accuracy
// methods: the folder is opened, normalised, augmented, trained on and
// evaluated, above chance; the card reaches the card check.
#include <random>

#include "common/metric_names.h"
#include "gtest/gtest.h"
#include "tests/worker/datasets/image_folder_fixture.h"
#include "worker/accuracy_methods.h"

namespace edgenas {
namespace {

constexpr char kArch[] =
    "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";

// Full training of a small cell on dark / mid / bright noisy RGB JPEGs of
// odd sizes beats chance (1/3) by far.
TEST_F(ImageFolderTest, FullTrainingOnAFolderBeatsChance) {
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 25.0);
  const char* classes[] = {"dark", "mid", "bright"};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 30; ++i) {
      cv::Mat image(21, 27, CV_8UC3);
      for (int y = 0; y < image.rows; ++y) {
        for (int x = 0; x < image.cols; ++x) {
          const int v = std::clamp(static_cast<int>(40 + 80 * c + noise(rng)), 0, 255);
          image.at<cv::Vec3b>(y, x) = cv::Vec3b(v, v, v);
        }
      }
      const std::string rel = std::string("train/") + classes[c] + "/" + std::to_string(i) + ".jpg";
      std::filesystem::create_directories((root_ / rel).parent_path());
      ASSERT_TRUE(cv::imwrite(Path(rel), image));
    }
  }
  AccuracyPlan plan;
  plan.mode = "full_train";
  plan.job_id = "job-if";
  plan.candidate_id = "job-if-0001";
  plan.arch = kArch;
  plan.space.name = "nb201";
  plan.space.options = {{"channels", "4"}, {"cells_per_stage", "1"}};
  plan.job_seed = 3;
  plan.input = InputShape{3, 16, 16, 3};
  plan.dataset = Request(/*size=*/16, /*channels=*/3).plan;
  plan.dataset.val_fraction = 0.2;
  plan.validation_examples = 500;  // ignored by image_folder
  plan.batch_size = 16;
  plan.learning_rate = 0.05;
  plan.train_steps = 60;
  plan.full_steps = 60;
  MethodOptions options;
  DatasetCardInfo seen;
  options.check_dataset_card = [&seen](const std::string& job, const DatasetCardInfo& card) {
    EXPECT_EQ(job, "job-if");
    seen = card;
    return absl::OkStatus();
  };
  absl::StatusOr<AccuracyReport> report = RunAccuracyPlan(plan, options, /*cancel=*/nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  double accuracy = -1.0;
  for (const ReportedMetric& m : report->metrics) {
    if (m.name == kMetricAccuracy) accuracy = m.value;
  }
  EXPECT_GT(accuracy, 0.6);
  EXPECT_EQ(seen.dataset, "image_folder");
  EXPECT_EQ(seen.validation_examples, 18);
  EXPECT_EQ(seen.augment, "crop_flip");
  EXPECT_EQ(seen.class_names, (std::vector<std::string>{"bright", "dark", "mid"}));
}

}  // namespace
}  // namespace edgenas
