// The layout of an image_folder dataset without decoding anything: which
// classes and files it holds, in which split, with their sizes and
// modification times. Two forms: a folder ROOT/train/<class>/*.{jpg,jpeg,png}
// with optional ROOT/val/ and ROOT/test/, or a CSV file of "path,label" lines
// (paths relative to the CSV's folder). Torch-free and protobuf-free: the
// CLI lists the classes with it, the worker scans before decoding.
#ifndef EDGENAS_COMMON_IMAGE_FOLDER_LAYOUT_H_
#define EDGENAS_COMMON_IMAGE_FOLDER_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgenas {

// One image file of the layout.
struct ImageFile {
  std::string path;      // absolute (as found; not resolved further)
  std::string relative;  // to the dataset's root: "train/cat/1.png", or the CSV's path
  int label = 0;         // index into ImageFolderLayout::class_names
  int64_t size = 0;      // bytes
  int64_t mtime_ns = 0;  // modification time, ns since the epoch
  int csv_line = 0;      // CSV form: the 1-based line; 0 otherwise
};

struct ImageFolderLayout {
  std::string root;                      // the folder, or the CSV's folder
  std::string csv;                       // the CSV file's path; "" for the folder form
  std::vector<std::string> class_names;  // sorted (folder names or CSV labels)
  std::vector<ImageFile> train;          // sorted by relative path
  std::vector<ImageFile> val;            // empty unless has_val
  std::vector<ImageFile> test;           // empty unless has_test
  bool has_val = false;                  // ROOT/val/ exists
  bool has_test = false;                 // ROOT/test/ exists
  int64_t csv_size = 0;                  // the CSV's own size and mtime
  int64_t csv_mtime_ns = 0;
  // Everything wrong that a scan can see, each naming the file, folder or
  // CSV line: empty class folders, non-image files, a single class, classes
  // that differ between splits, unreadable folders, bad CSV lines, missing
  // files. Empty when the layout is usable (decoding may still fail).
  std::vector<std::string> problems;
};

// Scans `path` (a folder or a .csv file). NOT_FOUND when it does not exist,
// FAILED_PRECONDITION when it cannot be read at all; otherwise the layout,
// with its problems listed (not returned as an error, so that the caller
// can report all of them at once).
absl::StatusOr<ImageFolderLayout> ScanImageFolder(const std::string& path);

// The class names of the dataset at `path` (sorted train/ subfolder names,
// or the CSV's labels) for filling a job spec. Errors as ScanImageFolder.
absl::StatusOr<std::vector<std::string>> ListImageFolderClasses(const std::string& path);

// The content key of a layout decoded at `image_size` with `channels`:
// SHA-256 over every file's split, relative path, label, size and mtime
// (and the CSV's own), so that any change to the files changes it.
std::string LayoutFingerprint(const ImageFolderLayout& layout, int image_size, int channels);

// True for names ending in .jpg, .jpeg or .png (any case).
bool HasImageExtension(const std::string& name);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_IMAGE_FOLDER_LAYOUT_H_
