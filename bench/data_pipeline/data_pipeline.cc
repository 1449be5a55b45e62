// data_pipeline: images per second through the worker's image_folder path
// (scan, OpenCV decode, resize and centre crop, uint8 cache, per-batch
// normalization, crop/flip augmentation) into training batches, for the
// first epoch (cache cleared: decoding included) and a cached epoch. Prints
// a table; see README.md.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker/batch_sampler.h"
#include "worker/datasets/augment.h"
#include "worker/datasets/dataset.h"
#include "worker/datasets/image_folder_dataset.h"

ABSL_FLAG(std::string, folder, "",
          "image folder (ROOT/train/<class>/...); empty: generate one under /tmp");
ABSL_FLAG(int, generate, 2000, "images to generate when --folder is empty (10 classes)");
ABSL_FLAG(int, generate_side, 256, "side of generated JPEGs (random sizes around it)");
ABSL_FLAG(std::string, sizes, "32,224", "image_size values to measure");
ABSL_FLAG(int, channels, 3, "1 or 3");
ABSL_FLAG(int, batch, 64, "batch size");
ABSL_FLAG(int, threads, 1, "torch intra-op threads (decoding runs on them too)");

namespace edgenas {
namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Generate(int n, int side) {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / absl::StrCat("edgenas_data_pipeline_", n, "_", side);
  if (std::filesystem::exists(root / "train")) return root.string();
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> jitter(-side / 4, side / 4);
  for (int i = 0; i < n; ++i) {
    const std::filesystem::path dir = root / "train" / absl::StrCat("class", i % 10);
    std::filesystem::create_directories(dir);
    cv::Mat image(side + jitter(rng), side + jitter(rng), CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::imwrite((dir / absl::StrCat(i, ".jpg")).string(), image);
  }
  return root.string();
}

// One epoch of augmented, normalised training batches; returns images seen.
int64_t Epoch(const OpenedDataset& d, int batch, uint64_t seed) {
  BatchSampler sampler(d.train.size(), batch, seed);
  CropFlipAugmenter augmenter(seed);
  int64_t seen = 0;
  double sink = 0.0;
  while (seen < d.train.size()) {
    const torch::Tensor raw = d.train.images.index_select(0, sampler.Next());
    const torch::Tensor x = augmenter.Apply(d.train, raw);
    sink += x[0][0][0][0].item<double>();
    seen += x.size(0);
  }
  if (sink == 1e300) std::printf(" ");
  return seen;
}

int Main() {
  torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  std::string folder = absl::GetFlag(FLAGS_folder);
  if (folder.empty()) {
    folder = Generate(absl::GetFlag(FLAGS_generate), absl::GetFlag(FLAGS_generate_side));
  }
  std::printf("folder %s  batch %d  channels %d  threads %d\n", folder.c_str(),
              absl::GetFlag(FLAGS_batch), absl::GetFlag(FLAGS_channels),
              absl::GetFlag(FLAGS_threads));
  std::printf("%6s %8s %22s %23s %7s\n", "size", "images", "first_epoch_images_per_s",
              "cached_epoch_images_per_s", "ratio");
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',')) {
    int size = 0;
    if (!absl::SimpleAtoi(part, &size)) {
      std::fprintf(stderr, "--sizes: bad value %s\n", std::string(part).c_str());
      return 2;
    }
    DatasetRequest request;
    request.plan.name = "image_folder";
    request.plan.path = folder;
    request.plan.image_size = size;
    request.plan.channels = absl::GetFlag(FLAGS_channels);
    request.plan.val_fraction = 0.1;
    request.plan.test_fraction = 0.1;
    double rate[2] = {0.0, 0.0};
    int64_t images = 0;
    ClearImageFolderCache();
    for (int pass = 0; pass < 2; ++pass) {  // 0: cold (decodes), 1: cached
      const auto start = std::chrono::steady_clock::now();
      auto opened = OpenImageFolderDataset(request);
      if (!opened.ok()) {
        std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
        return 1;
      }
      images = Epoch(**opened, absl::GetFlag(FLAGS_batch), /*seed=*/pass + 1);
      rate[pass] = images / Seconds(start);
    }
    std::printf("%6d %8lld %22.0f %23.0f %6.1fx\n", size, static_cast<long long>(images), rate[0],
                rate[1], rate[1] / rate[0]);
  }
  return 0;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return edgenas::Main();
}
