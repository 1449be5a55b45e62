#include "cli/export_metadata.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/artifact_names.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/metric_names.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace edgenas {
namespace {

// A compact JSON array (protobuf's printer escapes the strings).
std::string JsonArray(const google::protobuf::ListValue& list) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(list, &json).ok()) return "[]";
  return json;
}

template <typename Strings>
std::string StringArray(const Strings& values) {
  google::protobuf::ListValue list;
  for (const auto& v : values) list.add_values()->set_string_value(v);
  return JsonArray(list);
}

template <typename Numbers>
std::string NumberArray(const Numbers& values) {
  google::protobuf::ListValue list;
  for (double v : values) list.add_values()->set_number_value(v);
  return JsonArray(list);
}

// The value the search ranked by (highest fidelity >= 0), or the
// finalist's full training (-1) for a metric only measured there.
const v1::Metric* Pick(const v1::Candidate& c, const std::string& name) {
  const v1::Metric* best = nullptr;
  for (const v1::Metric& m : c.metrics()) {
    if (m.name() != name || !m.device_class().empty()) continue;
    if (best == nullptr || m.fidelity() > best->fidelity()) best = &m;
  }
  return best;
}

}  // namespace

absl::StatusOr<v1::DatasetCard> ParseDatasetCard(const std::string& json) {
  v1::DatasetCard card;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer writer may add fields
  const auto status = google::protobuf::util::JsonStringToMessage(json, &card, options);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("artifact ", kArtifactDatasetCard,
                                            ": not a DatasetCard: ", status.ToString()));
  }
  return card;
}

ExportMetadataPairs ExportMetadata(const v1::Job& job, const v1::Candidate& candidate,
                                   const InputShape& network_input, const v1::DatasetCard* card) {
  const v1::DatasetSpec& spec = job.spec().dataset();
  const std::string dataset = spec.name().empty() ? std::string(kFashionMnistName) : spec.name();
  ExportMetadataPairs out = {
      {"edgenas.job", job.id()},
      {"edgenas.candidate", candidate.id()},
      {"edgenas.space", candidate.space().empty() ? job.spec().space().name() : candidate.space()},
      {"edgenas.arch", candidate.arch()},
      {"edgenas.input_shape", absl::StrCat("1,", network_input.channels, ",",
                                           network_input.height, ",", network_input.width)},
      {"edgenas.dataset", dataset},
  };
  if (card != nullptr && !card->fingerprint().empty()) {
    out.emplace_back("edgenas.dataset_fingerprint", card->fingerprint());
  }
  std::string classes, mean, std_dev, source;
  if (card != nullptr && card->class_names_size() > 0) {
    classes = StringArray(card->class_names());
    source = "dataset_card";
  } else if (spec.class_names_size() > 0) {
    classes = StringArray(spec.class_names());
    source = "job spec";
  } else if (dataset == kFashionMnistName) {
    classes = StringArray(kFashionMnistClassNames);
    source = "fashion_mnist constants";
  }
  if (card != nullptr && card->mean_size() > 0 && card->std_size() > 0) {
    mean = NumberArray(card->mean());
    std_dev = NumberArray(card->std());
    absl::StrAppend(&source, source.empty() ? "" : "; ", "normalisation: dataset_card");
  } else if (spec.mean_size() > 0 && spec.std_size() > 0) {
    mean = NumberArray(spec.mean());
    std_dev = NumberArray(spec.std());
    absl::StrAppend(&source, source.empty() ? "" : "; ", "normalisation: job spec");
  } else if (dataset == kFashionMnistName) {
    mean = NumberArray(std::vector<double>{kFashionMnistMean});
    std_dev = NumberArray(std::vector<double>{kFashionMnistStd});
    absl::StrAppend(&source, source.empty() ? "" : "; ",
                    "normalisation: fashion_mnist constants");
  }
  if (!classes.empty()) out.emplace_back("edgenas.class_names", classes);
  if (!mean.empty()) {
    out.emplace_back("edgenas.mean", mean);
    out.emplace_back("edgenas.std", std_dev);
    out.emplace_back("edgenas.normalization", "input = (pixel / 255 - mean) / std, per channel");
  }
  if (!source.empty()) out.emplace_back("edgenas.metadata_source", source);
  for (const char* name : {kMetricAccuracy, kMetricTestAccuracy}) {
    if (const v1::Metric* m = Pick(candidate, name)) {
      out.emplace_back(absl::StrCat("edgenas.", name),
                       absl::StrFormat("%.6g (%s)", m->value(), m->source()));
    }
  }
  return out;
}

}  // namespace edgenas
