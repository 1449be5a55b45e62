// What `edgenas export` writes beside a model's weights so that the file
// alone says how to use it: the job, candidate, space and architecture it
// came from, the input shape, the class names in label order and the
// normalisation the network was trained with, and the dataset (with its
// content fingerprint when known). Keys are "edgenas.<name>"; list values
// are JSON arrays. Protobuf in, plain pairs out (for model_export.h).
#ifndef EDGENAS_CLI_EXPORT_METADATA_H_
#define EDGENAS_CLI_EXPORT_METADATA_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

using ExportMetadataPairs = std::vector<std::pair<std::string, std::string>>;

// The job's dataset card from its JSON (the "dataset_card" artifact);
// DATA_LOSS naming the artifact when it is not a DatasetCard.
absl::StatusOr<v1::DatasetCard> ParseDatasetCard(const std::string& json);

// The metadata of `candidate` of `job`, whose network takes `network_input`.
// Class names, mean and std come from `card` when given (what the worker
// that opened the dataset found), else from the job's DatasetSpec, else
// (fashion_mnist) from common/datasets/fashion_mnist_info.h; keys without
// a known value are left out, and "edgenas.metadata_source" says which
// source gave them. Keys: edgenas.job, edgenas.candidate, edgenas.space,
// edgenas.arch, edgenas.input_shape ("1,C,H,W"), edgenas.dataset,
// edgenas.dataset_fingerprint (card only), edgenas.class_names,
// edgenas.mean, edgenas.std, edgenas.metadata_source, and
// edgenas.accuracy / edgenas.test_accuracy where measured.
ExportMetadataPairs ExportMetadata(const v1::Job& job, const v1::Candidate& candidate,
                                   const InputShape& network_input, const v1::DatasetCard* card);

}  // namespace edgenas

#endif  // EDGENAS_CLI_EXPORT_METADATA_H_
