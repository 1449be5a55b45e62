// Names of the per-job artifacts (checkpoints) that workers store in the
// coordinator's ArtifactService and the CLI exports. Header-only, free of
// protobuf and LibTorch.
#ifndef EDGENAS_COMMON_ARTIFACT_NAMES_H_
#define EDGENAS_COMMON_ARTIFACT_NAMES_H_

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace edgenas {

inline constexpr char kArtifactTeacher[] = "teacher";
inline constexpr char kArtifactSupernet[] = "supernet";

// The job's dataset card (JSON, common/dataset_card.h): what the first task
// to open the dataset found (class names, counts, normalization, content
// fingerprint); later tasks check they read the same data, and exports take
// their metadata from it.
inline constexpr char kArtifactDatasetCard[] = "dataset_card";

// The trained weights of one candidate (a checkpoint, common/model/
// checkpoint.h), the one name `edgenas export` reads in every mode: a
// finalist's full training (proxy modes), a full_train-mode candidate's
// training, a multi-fidelity full_train rung. "final." + the candidate id
// without its job id prefix (e.g. "final.0007" for "<job>-0007"); the
// coordinator deletes them once the candidate is off the Pareto front.
inline std::string CandidateWeightsArtifactName(const std::string& job_id,
                                                const std::string& candidate_id) {
  std::string suffix = candidate_id;
  if (absl::StartsWith(candidate_id, job_id + "-")) suffix = candidate_id.substr(job_id.size() + 1);
  return absl::StrCat("final.", suffix);
}

// The name's earlier spelling (finalists only stored weights before).
inline std::string FinalistArtifactName(const std::string& job_id,
                                        const std::string& candidate_id) {
  return CandidateWeightsArtifactName(job_id, candidate_id);
}

}  // namespace edgenas

#endif  // EDGENAS_COMMON_ARTIFACT_NAMES_H_
