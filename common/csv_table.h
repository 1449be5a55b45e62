// CsvTable: a CSV file of precomputed results (e.g. NAS-Bench-201 accuracy
// and board latency), loaded whole and keyed by one column. Used by the
// worker's table evaluation, the agent's replay runner and the
// search-quality benchmark. The header row names the columns; every row has
// exactly as many fields; fields may be quoted ("a,b", "" for a quote).
// Keys are matched as exact strings and must be unique and non-empty.
// Immutable once loaded, so it may be shared between threads.
#ifndef EDGENAS_COMMON_CSV_TABLE_H_
#define EDGENAS_COMMON_CSV_TABLE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

class CsvTable {
 public:
  // Reads and parses the file at `path`, keyed by the column `key_column`.
  // NOT_FOUND when the file cannot be opened; INVALID_ARGUMENT (naming the
  // file, line and column) for a missing header, an unknown key column, a
  // row with the wrong number of fields, an empty or duplicate key.
  static absl::StatusOr<CsvTable> Load(const std::string& path, const std::string& key_column);
  // As Load, from text in memory; `source` names the table in errors.
  static absl::StatusOr<CsvTable> Parse(absl::string_view text, const std::string& source,
                                        const std::string& key_column);

  // The path (or source) the table was loaded from, for messages.
  const std::string& source() const { return source_; }
  const std::string& key_column() const { return key_column_; }
  // Column names in file order.
  const std::vector<std::string>& Columns() const { return columns_; }
  // Keys in row order (row i has key Keys()[i]).
  const std::vector<std::string>& Keys() const { return keys_; }
  int NumRows() const { return static_cast<int>(keys_.size()); }

  // Index of a column; INVALID_ARGUMENT listing the table's columns otherwise.
  absl::StatusOr<int> ColumnIndex(absl::string_view name) const;
  // Row of a key; NOT_FOUND naming the key and the table otherwise.
  absl::StatusOr<int> RowOf(absl::string_view key) const;
  // The raw text of a cell. Requires valid row and column indices.
  const std::string& Cell(int row, int column) const;

  // The cell as a finite number; INVALID_ARGUMENT naming the file, line,
  // column and text when it is not one. Requires valid indices.
  absl::StatusOr<double> Number(int row, int column) const;
  // Value of `column` in the row keyed by `key` (RowOf, ColumnIndex, Number).
  absl::StatusOr<double> Value(absl::string_view key, absl::string_view column) const;
  // Every value of a column, by row; fails on the first non-numeric cell.
  absl::StatusOr<std::vector<double>> NumericColumn(absl::string_view column) const;

 private:
  CsvTable() = default;

  std::string source_;
  std::string key_column_;
  std::vector<std::string> columns_;
  std::vector<std::string> cells_;  // row-major, columns_.size() per row
  std::vector<int> lines_;          // file line where each row starts
  std::vector<std::string> keys_;
  absl::flat_hash_map<std::string, int> row_of_key_;
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_CSV_TABLE_H_
