// A lab's own images through the real binaries: a folder of PNG and JPEG
// files (RGB, odd sizes, one smaller than the job's resolution) written by
// the test, submitted with `edgenas submit` (which names the classes from
// the folders), searched to DONE with its winners tested once on test/, and
// a front member exported to ONNX and TorchScript: the ONNX metadata names
// the classes, input shape, normalisation and dataset fingerprint, and its
// outputs (OpenCV DNN) match LibTorch's (the TorchScript file). A second
// folder with a truncated PNG and a stray text file fails its job at once,
// naming both files, while the first job's results stay stored.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/process.h"
#include "common/model/onnx_writer.h"
#include "device_agent/runners/onnx_net.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"
#include "tests/integration/torchscript_forward.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::Cluster;
using testing::RunCli;
using testing::Ctx;

constexpr int kJobBoundSeconds = 900;  // a guard against hangs, not a timing check
const char* const kClasses[] = {"blue", "green", "red"};  // channel k is bright (BGR order)

// Writes DIR/<split>/<class>/<i>.{png,jpg}: class k's images have a bright
// channel k on a noisy background, in sizes that are neither square nor
// the job's resolution; image 0 of each class is 12x12 (upscaled to 16).
void WriteFolder(const std::string& dir, const std::string& split, int per_class, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  for (int k = 0; k < 3; ++k) {
    const fs::path folder = fs::path(dir) / split / kClasses[k];
    fs::create_directories(folder);
    for (int i = 0; i < per_class; ++i) {
      const int rows = i == 0 ? 12 : 17 + (i % 5) * 3;
      const int cols = i == 0 ? 12 : 23 + (i % 3) * 4;
      cv::Mat image(rows, cols, CV_8UC3);
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
          cv::Vec3b& px = image.at<cv::Vec3b>(r, c);
          for (int ch = 0; ch < 3; ++ch) px[ch] = static_cast<uint8_t>(noise(rng));
          px[k] = static_cast<uint8_t>(180 + noise(rng));
        }
      }
      const std::string name = absl::StrCat(i, i % 2 == 0 ? ".png" : ".jpg");
      ASSERT_TRUE(cv::imwrite((folder / name).string(), image)) << folder / name;
    }
  }
}

std::string WriteSpec(const std::string& path, const std::string& folder, const std::string& name) {
  std::ofstream out(path);
  out << "name: " << name << "\n"
      << "space: {name: nb201, options: {channels: 8}}\n"
      << "strategy: {name: random}\n"
      << "objectives:\n"
      << "  - {metric: accuracy, direction: maximize}\n"
      << "  - {metric: latency_ms, direction: minimize, device_class: cpu}\n"
      << "evaluation: {mode: full_train, train_steps: 20, batch_size: 16, learning_rate: 0.05}\n"
      << "dataset: {name: image_folder, path: '" << folder << "', image_size: 16, channels: 3}\n"
      << "latency: {warmup_ms: 20, min_runs: 5, max_runs: 10}\n"
      << "budget: {max_evaluations: 3}\n"
      << "parallelism: 2\nseed: 5\nlease_seconds: 30\n";
  return path;
}


// The job id `edgenas submit` printed (its last non-empty line).
std::string JobIdFrom(const std::string& out) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipWhitespace())) {
    last = std::string(line);
  }
  return last;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ImageFolderJob, RunsExportsWithMetadataAndBadFilesFailTheJobAtOnce) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster.StartAgent("agent-1").ok());

  const std::string folder = cluster.dir() + "/images";
  WriteFolder(folder, "train", 30, 1);
  WriteFolder(folder, "test", 8, 2);
  bool ok = false;
  std::string out = RunCli(
      cluster, {"submit", WriteSpec(cluster.dir() + "/job.yaml", folder, "images-e2e")}, &ok);
  ASSERT_TRUE(ok) << out;
  EXPECT_THAT(out, HasSubstr("3 classes (blue, green, red)"));
  const std::string job_id = JobIdFrom(out);
  v1::Job job = testing::WatchToEnd(cluster, job_id, kJobBoundSeconds, nullptr);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.spec().dataset().num_classes(), 3);
  EXPECT_THAT(std::vector<std::string>(job.spec().dataset().class_names().begin(),
                                       job.spec().dataset().class_names().end()),
              ::testing::ElementsAre("blue", "green", "red"));

  v1::GetParetoFrontRequest front_req;
  front_req.set_job_id(job_id);
  v1::ParetoFront front;
  ASSERT_TRUE(cluster.search()->GetParetoFront(Ctx().get(), front_req, &front).ok());
  ASSERT_GE(front.candidates_size(), 1);
  for (const auto& c : front.candidates()) {
    bool tested = false;
    for (const auto& m : c.metrics()) {
      if (m.name() != "test_accuracy") continue;
      tested = true;
      EXPECT_GE(m.value(), 0.0);
      EXPECT_LE(m.value(), 1.0);
      EXPECT_THAT(m.method(), HasSubstr("test split, 24 images"));
    }
    EXPECT_TRUE(tested) << c.DebugString();
  }

  // Export: ONNX metadata from the dataset card, outputs equal to LibTorch's.
  const std::string candidate = front.candidates(0).id();
  const std::string onnx = cluster.dir() + "/winner.onnx";
  const std::string script = cluster.dir() + "/winner.pt";
  out = RunCli(cluster, {"export", job_id, candidate, "--format", "onnx", "--out", onnx}, &ok);
  ASSERT_TRUE(ok) << out;
  out = RunCli(cluster, {"export", job_id, candidate, "--format", "torchscript", "--out", script},
               &ok);
  ASSERT_TRUE(ok) << out;
  const std::string onnx_bytes = ReadFile(onnx);
  absl::StatusOr<OnnxMetadata> props = ReadOnnxMetadata(onnx_bytes);
  ASSERT_TRUE(props.ok()) << props.status();
  std::map<std::string, std::string> meta(props->begin(), props->end());
  EXPECT_EQ(meta["edgenas.class_names"], "[\"blue\",\"green\",\"red\"]");
  EXPECT_EQ(meta["edgenas.input_shape"], "1,3,16,16");
  EXPECT_EQ(std::count(meta["edgenas.mean"].begin(), meta["edgenas.mean"].end(), ','), 2)
      << meta["edgenas.mean"];
  EXPECT_EQ(std::count(meta["edgenas.std"].begin(), meta["edgenas.std"].end(), ','), 2)
      << meta["edgenas.std"];
  EXPECT_EQ(meta["edgenas.dataset"], "image_folder");
  EXPECT_EQ(meta["edgenas.dataset_fingerprint"].size(), 64u);
  EXPECT_EQ(meta["edgenas.candidate"], candidate);

  FloatTensor input;
  input.dims = {1, 3, 16, 16};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int i = 0; i < 3 * 16 * 16; ++i) input.values.push_back(normal(rng));
  auto net = OnnxNet::Create(onnx_bytes);
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->SetInput(input).ok());
  absl::StatusOr<FloatTensor> cv_out = (*net)->Forward();
  ASSERT_TRUE(cv_out.ok()) << cv_out.status();
  absl::StatusOr<std::vector<float>> torch_out =
      testing::TorchScriptForward(script, input.dims, input.values);
  ASSERT_TRUE(torch_out.ok()) << torch_out.status();
  ASSERT_EQ(cv_out->values.size(), 3u);
  ASSERT_EQ(torch_out->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(cv_out->values[i], (*torch_out)[i], 1e-3 * (1.0 + std::fabs((*torch_out)[i])))
        << "logit " << i;
  }

  // A folder with a truncated PNG and a text file: the job fails at once
  // (one task's attempt, not one per candidate), naming both files.
  const std::string bad = cluster.dir() + "/bad-images";
  WriteFolder(bad, "train", 6, 3);
  const std::string png = bad + "/train/red/2.png";
  const std::string bytes = ReadFile(png);
  std::ofstream(png, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  std::ofstream(bad + "/train/green/notes.txt") << "not an image\n";
  out = RunCli(cluster, {"submit", WriteSpec(cluster.dir() + "/bad.yaml", bad, "images-bad")}, &ok);
  ASSERT_TRUE(ok) << out;
  const std::string bad_id = JobIdFrom(out);
  v1::Job failed = testing::WatchToEnd(cluster, bad_id, kJobBoundSeconds, nullptr);
  EXPECT_EQ(failed.state(), v1::JOB_FAILED);
  EXPECT_THAT(failed.message(), HasSubstr("red/2.png"));
  EXPECT_THAT(failed.message(), HasSubstr("notes.txt"));
  EXPECT_EQ(failed.candidates_done(), 0);

  // The first job's results are all still stored.
  v1::ParetoFront again;
  ASSERT_TRUE(cluster.search()->GetParetoFront(Ctx().get(), front_req, &again).ok());
  EXPECT_EQ(again.candidates_size(), front.candidates_size());
}

}  // namespace
}  // namespace edgenas
