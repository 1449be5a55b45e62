// The metadata `edgenas export` writes with a model: from the job's dataset
// card when its workers wrote one, else from the job's spec, else (for
// Fashion-MNIST) from the dataset's constants, always saying which.
#include "cli/export_metadata.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

std::map<std::string, std::string> AsMap(const ExportMetadataPairs& pairs) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : pairs) {
    EXPECT_TRUE(out.emplace(key, value).second) << "repeated key " << key;
  }
  return out;
}

v1::Job Job(const std::string& dataset) {
  v1::Job job;
  job.set_id("j7");
  job.mutable_spec()->mutable_space()->set_name("nb201");
  job.mutable_spec()->mutable_dataset()->set_name(dataset);
  return job;
}

v1::Candidate Winner() {
  v1::Candidate c;
  c.set_id("j7-0003");
  c.set_space("nb201");
  c.set_arch("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  v1::Metric* acc = c.add_metrics();
  acc->set_name("accuracy");
  acc->set_value(0.8);
  acc->set_source("worker:full_train:cpu");
  v1::Metric* test = c.add_metrics();
  test->set_name("test_accuracy");
  test->set_value(0.79);
  test->set_fidelity(-1);
  test->set_source("worker:test_eval:cpu");
  return c;
}

// Fashion-MNIST without a card: class names and normalisation from the
// dataset's constants, and the provenance keys from the job and candidate.
TEST(ExportMetadata, FashionMnistFallsBackToItsConstants) {
  const auto m = AsMap(ExportMetadata(Job("fashion_mnist"), Winner(), InputShape{1, 28, 28, 10},
                                      /*card=*/nullptr));
  EXPECT_EQ(m.at("edgenas.job"), "j7");
  EXPECT_EQ(m.at("edgenas.candidate"), "j7-0003");
  EXPECT_EQ(m.at("edgenas.space"), "nb201");
  EXPECT_EQ(m.at("edgenas.arch"), Winner().arch());
  EXPECT_EQ(m.at("edgenas.input_shape"), "1,1,28,28");
  EXPECT_EQ(m.at("edgenas.dataset"), "fashion_mnist");
  EXPECT_EQ(m.at("edgenas.class_names"),
            "[\"T-shirt/top\",\"Trouser\",\"Pullover\",\"Dress\",\"Coat\",\"Sandal\",\"Shirt\","
            "\"Sneaker\",\"Bag\",\"Ankle boot\"]");
  EXPECT_EQ(m.at("edgenas.mean"), "[0.286]");
  EXPECT_EQ(m.at("edgenas.std"), "[0.353]");
  EXPECT_THAT(m.at("edgenas.metadata_source"), HasSubstr("fashion_mnist constants"));
  EXPECT_EQ(m.count("edgenas.dataset_fingerprint"), 0u);  // only a card knows it
  EXPECT_EQ(m.at("edgenas.test_accuracy"), "0.79 (worker:test_eval:cpu)");
  EXPECT_EQ(m.at("edgenas.accuracy"), "0.8 (worker:full_train:cpu)");
}

// A dataset card (what the workers read) wins over the spec; the spec wins
// over nothing; unknown values are left out rather than invented.
TEST(ExportMetadata, CardThenSpecThenNothing) {
  v1::Job job = Job("image_folder");
  v1::DatasetSpec* spec = job.mutable_spec()->mutable_dataset();
  spec->add_class_names("cat");
  spec->add_class_names("dog");
  absl::StatusOr<v1::DatasetCard> card = ParseDatasetCard(R"({
      "dataset": "image_folder", "fingerprint": "abc123",
      "class_names": ["cat", "dog \"big\""], "channels": 3,
      "mean": [0.5, 0.4, 0.3], "std": [0.25, 0.2, 0.1], "future_field": 1})");
  ASSERT_TRUE(card.ok()) << card.status();
  auto m = AsMap(ExportMetadata(job, Winner(), InputShape{3, 32, 32, 2}, &*card));
  EXPECT_EQ(m.at("edgenas.input_shape"), "1,3,32,32");
  EXPECT_EQ(m.at("edgenas.class_names"), "[\"cat\",\"dog \\\"big\\\"\"]");
  EXPECT_EQ(m.at("edgenas.mean"), "[0.5,0.4,0.3]");
  EXPECT_EQ(m.at("edgenas.std"), "[0.25,0.2,0.1]");
  EXPECT_EQ(m.at("edgenas.dataset_fingerprint"), "abc123");
  EXPECT_EQ(m.at("edgenas.metadata_source"), "dataset_card; normalisation: dataset_card");

  m = AsMap(ExportMetadata(job, Winner(), InputShape{3, 32, 32, 2}, nullptr));
  EXPECT_EQ(m.at("edgenas.class_names"), "[\"cat\",\"dog\"]");
  EXPECT_EQ(m.count("edgenas.mean"), 0u);  // computed by the workers; no card says it
  EXPECT_EQ(m.at("edgenas.metadata_source"), "job spec");

  EXPECT_EQ(ParseDatasetCard("not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(ParseDatasetCard("[]").status().message()), HasSubstr("dataset_card"));
}

}  // namespace
}  // namespace edgenas
