#include "common/image_folder_layout.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSplits[] = {"train", "val", "test"};

// Size and mtime of `path`; false when it cannot be stat'ed as a file.
bool StatFile(const std::string& path, int64_t* size, int64_t* mtime_ns) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  *size = st.st_size;
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

// Sorted entries of `dir`; a problem naming the folder when it cannot be read.
std::vector<fs::directory_entry> ListDir(const fs::path& dir, std::vector<std::string>* problems) {
  std::vector<fs::directory_entry> entries;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) {
    problems->push_back(absl::StrCat(dir.string(), ": cannot read folder: ", error.message()));
    return entries;
  }
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) break;
    entries.push_back(*it);
  }
  if (error) {
    problems->push_back(absl::StrCat(dir.string(), ": cannot read folder: ", error.message()));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return entries;
}

bool Hidden(const fs::path& p) { return absl::StartsWith(p.filename().string(), "."); }

// One split folder ROOT/<split>/<class>/*: its classes (sorted) and files
// (labelled by position in `classes`, filled afterwards).
struct SplitScan {
  std::vector<std::string> classes;
  std::map<std::string, std::vector<ImageFile>> files;  // by class
};

SplitScan ScanSplit(const fs::path& root, const std::string& split,
                    std::vector<std::string>* problems) {
  SplitScan scan;
  const fs::path dir = root / split;
  for (const fs::directory_entry& entry : ListDir(dir, problems)) {
    if (Hidden(entry.path())) continue;
    std::error_code error;
    if (!entry.is_directory(error)) {
      problems->push_back(absl::StrCat(
          entry.path().string(), ": not a class folder (files belong in ", split, "/<class>/)"));
      continue;
    }
    const std::string cls = entry.path().filename().string();
    scan.classes.push_back(cls);
    std::vector<ImageFile>& files = scan.files[cls];
    for (const fs::directory_entry& f : ListDir(entry.path(), problems)) {
      if (Hidden(f.path())) continue;
      const std::string name = f.path().filename().string();
      if (f.is_directory(error)) {
        problems->push_back(
            absl::StrCat(f.path().string(), ": unexpected folder in a class folder"));
        continue;
      }
      if (!HasImageExtension(name)) {
        problems->push_back(
            absl::StrCat(f.path().string(), ": not an image file (expected .jpg, .jpeg or .png)"));
        continue;
      }
      ImageFile file;
      file.path = f.path().string();
      file.relative = absl::StrCat(split, "/", cls, "/", name);
      if (!StatFile(file.path, &file.size, &file.mtime_ns)) {
        problems->push_back(absl::StrCat(file.path, ": cannot stat the file"));
        continue;
      }
      files.push_back(std::move(file));
    }
    if (files.empty()) {
      problems->push_back(absl::StrCat(entry.path().string(), ": empty class folder"));
    }
  }
  return scan;
}

void Label(const SplitScan& scan, const std::vector<std::string>& classes,
           std::vector<ImageFile>* out) {
  for (size_t label = 0; label < classes.size(); ++label) {
    auto it = scan.files.find(classes[label]);
    if (it == scan.files.end()) continue;
    for (ImageFile file : it->second) {
      file.label = static_cast<int>(label);
      out->push_back(std::move(file));
    }
  }
  std::sort(out->begin(), out->end(),
            [](const ImageFile& a, const ImageFile& b) { return a.relative < b.relative; });
}

absl::StatusOr<ImageFolderLayout> ScanFolder(const fs::path& root) {
  ImageFolderLayout layout;
  layout.root = root.string();
  std::error_code error;
  if (!fs::is_directory(root / "train", error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        root.string(), ": no train/ folder (expected train/<class>/*.{jpg,jpeg,png})"));
  }
  layout.has_val = fs::is_directory(root / "val", error);
  layout.has_test = fs::is_directory(root / "test", error);
  SplitScan scans[3];
  for (int s = 0; s < 3; ++s) {
    if ((s == 1 && !layout.has_val) || (s == 2 && !layout.has_test)) continue;
    scans[s] = ScanSplit(root, kSplits[s], &layout.problems);
  }
  layout.class_names = scans[0].classes;
  for (int s = 1; s < 3; ++s) {
    if ((s == 1 && !layout.has_val) || (s == 2 && !layout.has_test)) continue;
    if (scans[s].classes != layout.class_names) {
      layout.problems.push_back(absl::StrCat(
          (root / kSplits[s]).string(), ": classes [", absl::StrJoin(scans[s].classes, ", "),
          "] differ from train/'s [", absl::StrJoin(layout.class_names, ", "), "]"));
    }
  }
  Label(scans[0], layout.class_names, &layout.train);
  if (layout.has_val) Label(scans[1], layout.class_names, &layout.val);
  if (layout.has_test) Label(scans[2], layout.class_names, &layout.test);
  return layout;
}

absl::StatusOr<ImageFolderLayout> ScanCsv(const fs::path& csv) {
  ImageFolderLayout layout;
  layout.csv = csv.string();
  layout.root = csv.parent_path().string();
  if (!StatFile(layout.csv, &layout.csv_size, &layout.csv_mtime_ns)) {
    return absl::FailedPreconditionError(absl::StrCat(layout.csv, ": not a readable file"));
  }
  std::ifstream in(layout.csv);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(layout.csv, ": cannot open"));
  std::string line;
  int number = 0;
  std::vector<std::pair<ImageFile, std::string>> rows;
  while (std::getline(in, line)) {
    ++number;
    const std::string text(absl::StripAsciiWhitespace(line));
    if (text.empty() || text.front() == '#') continue;
    if (number == 1 && absl::AsciiStrToLower(text) == "path,label") continue;  // a header
    const size_t comma = text.rfind(',');
    const std::string where = absl::StrCat(layout.csv, ":", number);
    if (comma == std::string::npos) {
      layout.problems.push_back(absl::StrCat(where, ": expected \"path,label\""));
      continue;
    }
    const std::string rel(absl::StripAsciiWhitespace(text.substr(0, comma)));
    const std::string label(absl::StripAsciiWhitespace(text.substr(comma + 1)));
    if (rel.empty() || label.empty()) {
      layout.problems.push_back(absl::StrCat(where, ": empty path or label"));
      continue;
    }
    ImageFile file;
    file.csv_line = number;
    file.relative = rel;
    file.path = rel.front() == '/' ? rel : (csv.parent_path() / rel).string();
    if (!HasImageExtension(rel)) {
      layout.problems.push_back(
          absl::StrCat(where, ": ", rel, ": not an image file (expected .jpg, .jpeg or .png)"));
      continue;
    }
    if (!StatFile(file.path, &file.size, &file.mtime_ns)) {
      layout.problems.push_back(absl::StrCat(where, ": ", file.path, ": no such file"));
      continue;
    }
    rows.emplace_back(std::move(file), label);
  }
  if (in.bad()) layout.problems.push_back(absl::StrCat(layout.csv, ": read error"));
  std::set<std::string> names;
  for (const auto& row : rows) names.insert(row.second);
  layout.class_names.assign(names.begin(), names.end());
  for (auto& [file, label] : rows) {
    file.label = static_cast<int>(
        std::lower_bound(layout.class_names.begin(), layout.class_names.end(), label) -
        layout.class_names.begin());
    layout.train.push_back(std::move(file));
  }
  std::sort(layout.train.begin(), layout.train.end(),
            [](const ImageFile& a, const ImageFile& b) { return a.relative < b.relative; });
  return layout;
}

}  // namespace

bool HasImageExtension(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".jpg") || absl::EndsWith(lower, ".jpeg") ||
         absl::EndsWith(lower, ".png");
}

absl::StatusOr<ImageFolderLayout> ScanImageFolder(const std::string& path) {
  std::error_code error;
  const fs::path p(path);
  const fs::file_status status = fs::status(p, error);
  if (error || !fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file or folder"));
  }
  absl::StatusOr<ImageFolderLayout> layout = fs::is_directory(status) ? ScanFolder(p) : ScanCsv(p);
  if (!layout.ok()) return layout;
  if (layout->class_names.size() == 1) {
    layout->problems.push_back(absl::StrCat(path, ": a single class (\"", layout->class_names[0],
                                            "\"); a classifier needs at least two"));
  } else if (layout->class_names.empty()) {
    layout->problems.push_back(absl::StrCat(path, ": no classes found"));
  }
  return layout;
}

absl::StatusOr<std::vector<std::string>> ListImageFolderClasses(const std::string& path) {
  absl::StatusOr<ImageFolderLayout> layout = ScanImageFolder(path);
  if (!layout.ok()) return layout.status();
  return layout->class_names;
}

std::string LayoutFingerprint(const ImageFolderLayout& layout, int image_size, int channels) {
  Sha256Hasher hasher;
  hasher.Update(absl::StrCat("image_folder\n", image_size, "\n", channels, "\n", layout.csv_size,
                             "\n", layout.csv_mtime_ns, "\n"));
  for (const std::string& name : layout.class_names) hasher.Update(absl::StrCat(name, "\n"));
  const std::vector<ImageFile>* splits[] = {&layout.train, &layout.val, &layout.test};
  for (int s = 0; s < 3; ++s) {
    for (const ImageFile& f : *splits[s]) {
      hasher.Update(absl::StrCat(kSplits[s], "\t", f.relative, "\t", f.label, "\t", f.size, "\t",
                                 f.mtime_ns, "\n"));
    }
  }
  return hasher.FinishHex();
}

}  // namespace edgenas
