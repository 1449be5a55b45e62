// The image_folder opener: scans the layout (common/image_folder_layout.h),
// checks every file against the worker's data roots and the job's classes,
// decodes every image once (worker/datasets/image_decode.h) into uint8
// [N, C, S, S] ordered train | validation | test, and computes the
// normalization. Every problem found is collected before failing, and the
// failure is job-fatal: no task of the job could do better.
#include "worker/datasets/image_folder_dataset.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/data_roots.h"
#include "common/datasets.h"
#include "common/image_folder_layout.h"
#include "common/job_fatal.h"
#include "worker/datasets/dataset.h"
#include "worker/datasets/image_decode.h"
#include "worker/datasets/stratified_split.h"

namespace edgenas {
namespace {

std::atomic<int64_t> images_decoded{0};

struct CacheEntry {
  std::string key;
  std::shared_ptr<const OpenedDataset> dataset;
};
ABSL_CONST_INIT absl::Mutex cache_mu(absl::kConstInit);
std::deque<CacheEntry>& Cache() ABSL_EXCLUSIVE_LOCKS_REQUIRED(cache_mu) {
  static auto* cache = new std::deque<CacheEntry>();
  return *cache;
}

absl::Status Unusable(const std::string& path, const std::vector<std::string>& problems) {
  std::vector<std::string> shown(
      problems.begin(), problems.begin() + std::min<size_t>(problems.size(), kMaxNamedProblems));
  std::string more;
  if (problems.size() > shown.size()) {
    more = absl::StrCat("; and ", problems.size() - shown.size(), " more");
  }
  return MarkJobFatal(absl::FailedPreconditionError(absl::StrCat(
      "dataset image_folder ", path, " is unusable (", problems.size(),
      problems.size() == 1 ? " problem" : " problems", "): ", absl::StrJoin(shown, "; "), more)));
}

// The cache key: content, decoding, split and normalization settings.
std::string CacheKey(const std::string& fingerprint, const DatasetPlan& plan) {
  return absl::StrCat(fingerprint, "|", plan.val_fraction, "|", plan.test_fraction, "|",
                      plan.split_seed, "|", absl::StrJoin(plan.mean, ","), "|",
                      absl::StrJoin(plan.std, ","), "|", plan.augment, "|", plan.path);
}

std::string SplitDescription(const ImageFolderLayout& layout, const DatasetPlan& plan) {
  if (layout.has_val && layout.has_test) return "folders val/ and test/";
  std::vector<std::string> parts;
  if (!layout.has_val) parts.push_back(absl::StrCat("val ", plan.val_fraction));
  if (!layout.has_test) parts.push_back(absl::StrCat("test ", plan.test_fraction));
  std::string given;
  if (layout.has_val) given = "; validation: folder val/";
  if (layout.has_test) given = "; test: folder test/";
  return absl::StrCat("seeded stratified split of ", layout.csv.empty() ? "train/" : "the CSV",
                      ": ", absl::StrJoin(parts, ", "), ", seed ", plan.split_seed, given);
}

// Per-channel mean and std of uint8 images [N, C, S, S], in [0, 1] units.
void ChannelStats(const torch::Tensor& images, std::vector<double>* mean,
                  std::vector<double>* std) {
  // Exact, in one pass over the uint8 pixels: a 256-bin histogram per
  // channel (a float copy of a 224-px training split would take gigabytes
  // and most of the first epoch's time).
  const torch::Tensor x = images.contiguous();
  const int64_t n = x.size(0);
  const int64_t c = x.size(1);
  const int64_t plane = x.size(2) * x.size(3);
  const uint8_t* data = x.data_ptr<uint8_t>();
  std::vector<std::array<int64_t, 256>> histogram(c);
  for (auto& h : histogram) h.fill(0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < c; ++k) {
      const uint8_t* p = data + (i * c + k) * plane;
      std::array<int64_t, 256>& h = histogram[k];
      for (int64_t j = 0; j < plane; ++j) ++h[p[j]];
    }
  }
  const double count = static_cast<double>(n * plane);
  for (int64_t k = 0; k < c; ++k) {
    double sum = 0.0;
    for (int v = 0; v < 256; ++v) sum += static_cast<double>(histogram[k][v]) * (v / 255.0);
    const double m = sum / count;
    double squares = 0.0;
    for (int v = 0; v < 256; ++v) {
      const double d = v / 255.0 - m;
      squares += static_cast<double>(histogram[k][v]) * d * d;
    }
    const double sd = std::sqrt(squares / count);
    mean->push_back(m);
    std->push_back(sd > 1e-6 ? sd : 1.0);  // constant images: no scaling
  }
}

}  // namespace

int64_t ImageFolderImagesDecoded() { return images_decoded.load(); }

void ClearImageFolderCache() {
  absl::MutexLock lock(&cache_mu);
  Cache().clear();
}

absl::StatusOr<std::shared_ptr<const OpenedDataset>> OpenImageFolderDataset(
    const DatasetRequest& request) {
  const DatasetPlan& plan = request.plan;
  const int side = plan.image_size;
  const int channels = plan.channels;
  if (plan.path.empty()) {
    return MarkJobFatal(absl::InvalidArgumentError("dataset.path: required for image_folder"));
  }
  if ((channels != 1 && channels != 3) || side < kMinImageSize || side > kMaxInputSide) {
    return MarkJobFatal(absl::InvalidArgumentError(absl::StrCat(
        "dataset: image_folder needs channels 1 or 3 and image_size in [", kMinImageSize, ", ",
        kMaxInputSide, "], got channels ", channels, ", image_size ", side)));
  }
  if (!request.data_roots.empty()) {
    absl::Status allowed = CheckUnderDataRoots(plan.path, request.data_roots, "dataset.path");
    if (!allowed.ok()) return MarkJobFatal(allowed);
  }
  absl::StatusOr<ImageFolderLayout> scanned = ScanImageFolder(plan.path);
  if (!scanned.ok()) {
    return MarkJobFatal(
        absl::Status(scanned.status().code(),
                     absl::StrCat("dataset image_folder: ", scanned.status().message())));
  }
  ImageFolderLayout& layout = *scanned;
  std::vector<std::string> problems = layout.problems;
  if (!plan.class_names.empty() && plan.class_names != layout.class_names) {
    problems.push_back(absl::StrCat(plan.path, ": classes [",
                                    absl::StrJoin(layout.class_names, ", "),
                                    "] differ from the job's dataset.class_names [",
                                    absl::StrJoin(plan.class_names, ", "), "]"));
  }
  const std::string fingerprint = LayoutFingerprint(layout, side, channels);
  const std::string key = CacheKey(fingerprint, plan);
  absl::MutexLock lock(&cache_mu);
  for (const CacheEntry& entry : Cache()) {
    if (problems.empty() && entry.key == key) return entry.dataset;
  }

  // The split depends on the labels only, so files are decoded straight
  // into their final order: train | validation | test.
  std::vector<const ImageFile*> order;
  int64_t parts[3] = {0, 0, 0};
  const int classes = static_cast<int>(layout.class_names.size());
  {
    std::vector<int> labels;
    for (const ImageFile& f : layout.train) labels.push_back(f.label);
    const SplitIndices split =
        StratifiedSplit(labels, classes, layout.has_val ? 0.0 : plan.val_fraction,
                        layout.has_test ? 0.0 : plan.test_fraction, plan.split_seed);
    for (int64_t i : split.train) order.push_back(&layout.train[i]);
    parts[0] = split.train.size();
    for (int64_t i : split.validation) order.push_back(&layout.train[i]);
    for (const ImageFile& f : layout.val) order.push_back(&f);
    parts[1] = split.validation.size() + layout.val.size();
    for (int64_t i : split.test) order.push_back(&layout.train[i]);
    for (const ImageFile& f : layout.test) order.push_back(&f);
    parts[2] = split.test.size() + layout.test.size();
  }
  if (parts[1] == 0 && !order.empty()) {
    problems.push_back(absl::StrCat(plan.path,
                                    ": no validation images (add val/, or give "
                                    "classes at least 3 images each)"));
  }
  const int64_t n = static_cast<int64_t>(order.size());
  std::vector<char> readable(n, 1);
  if (!request.data_roots.empty()) {
    for (int64_t i = 0; i < n; ++i) {
      if (!CheckUnderDataRoots(order[i]->path, request.data_roots, "file").ok()) {
        readable[i] = 0;
        problems.push_back(absl::StrCat(order[i]->path, ": outside the worker's data roots (",
                                        absl::StrJoin(request.data_roots, ", "), ")"));
      }
    }
  }

  // Every image is decoded, even after a problem, so the error lists them all.
  torch::Tensor images = torch::empty({n, channels, side, side}, torch::kUInt8);
  uint8_t* base = images.data_ptr<uint8_t>();
  const int64_t stride = static_cast<int64_t>(channels) * side * side;
  std::vector<std::string> errors(n);
  std::vector<char> upscaled(n, 0);
  at::parallel_for(0, n, /*grain_size=*/8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (!readable[i]) continue;
      absl::StatusOr<DecodeResult> r =
          DecodeImageFile(order[i]->path, channels, side, base + i * stride);
      if (!r.ok()) {
        errors[i] = std::string(r.status().message());
      } else {
        upscaled[i] = r->upscaled ? 1 : 0;
      }
    }
  });
  images_decoded.fetch_add(n);
  // Named in path order, whatever split the files fell in.
  std::vector<std::pair<std::string, std::string>> bad;
  for (int64_t i = 0; i < n; ++i) {
    if (!errors[i].empty()) bad.emplace_back(order[i]->path, errors[i]);
  }
  std::sort(bad.begin(), bad.end());
  for (const auto& [path, error] : bad) problems.push_back(error);
  if (!problems.empty()) return Unusable(plan.path, problems);

  torch::Tensor labels = torch::empty({n}, torch::kInt64);
  int64_t upscaled_count = 0;
  int64_t* label_data = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    label_data[i] = order[i]->label;
    upscaled_count += upscaled[i];
  }
  auto opened = std::make_shared<OpenedDataset>();
  LabeledData* splits[3] = {&opened->train, &opened->validation, &opened->test};
  int64_t start = 0;
  for (int s = 0; s < 3; ++s) {
    splits[s]->images = images.narrow(0, start, parts[s]);
    splits[s]->labels = labels.narrow(0, start, parts[s]);
    start += parts[s];
  }
  DatasetCardInfo& card = opened->card;
  if (!plan.mean.empty()) {
    card.mean = plan.mean;
    card.std = plan.std;
    card.normalization_source = "spec";
  } else {
    ChannelStats(opened->train.images, &card.mean, &card.std);
    card.normalization_source = absl::StrCat("train split (", parts[0], " images)");
  }
  for (LabeledData* split : splits) {
    split->mean = card.mean;
    split->std = card.std;
  }
  card.dataset = kImageFolderName;
  card.path = layout.csv.empty() ? layout.root : layout.csv;
  card.fingerprint = fingerprint;
  card.class_names = layout.class_names;
  card.channels = channels;
  card.image_size = side;
  card.train_examples = parts[0];
  card.validation_examples = parts[1];
  card.test_examples = parts[2];
  card.split = SplitDescription(layout, plan);
  card.upscaled = upscaled_count;
  card.augment = plan.augment.empty() ? kAugmentCropFlip : plan.augment;
  std::shared_ptr<const OpenedDataset> result = std::move(opened);
  auto& cache = Cache();
  cache.push_back({key, result});
  while (cache.size() > kImageFolderCacheEntries) cache.pop_front();
  return result;
}

}  // namespace edgenas
