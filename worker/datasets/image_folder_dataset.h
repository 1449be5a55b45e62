// The image_folder opener's process-wide cache, visible for tests and the
// benchmark: decoded datasets are kept by content (the layout fingerprint,
// recomputed from file sizes and mtimes at every open, so a changed file is
// never served stale) and by split and normalization settings; the last
// kImageFolderCacheEntries are kept.
#ifndef EDGENAS_WORKER_DATASETS_IMAGE_FOLDER_DATASET_H_
#define EDGENAS_WORKER_DATASETS_IMAGE_FOLDER_DATASET_H_

#include <cstdint>

namespace edgenas {

inline constexpr int kImageFolderCacheEntries = 2;
// At most this many bad files are named in an error (then a count).
inline constexpr int kMaxNamedProblems = 20;

// Images decoded by image_folder openers since the process started.
int64_t ImageFolderImagesDecoded();

// Drops every cached image folder (the next open decodes again).
void ClearImageFolderCache();

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DATASETS_IMAGE_FOLDER_DATASET_H_
