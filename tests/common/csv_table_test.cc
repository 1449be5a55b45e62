// Tests of CsvTable: parsing, keyed numeric lookup and the errors that name
// the file, line, column and value.
#include "common/csv_table.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSmall[] =
    "arch,acc,lat\n"
    "|a~0|,91.5,1.25\n"
    "|b~0|,40,3\n";

// A file in the test's temporary directory, removed at the end.
class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_((std::filesystem::temp_directory_path() /
               absl::StrCat("csv_table_test_", ::getpid(), "_", counter_++, ".csv"))
                  .string()) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// Rows are keyed by the named column; values come back as numbers.
TEST(CsvTable, LooksUpNumbersByKeyAndColumn) {
  TempFile file(kSmall);
  absl::StatusOr<CsvTable> table = CsvTable::Load(file.path(), "arch");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->Columns(), ElementsAre("arch", "acc", "lat"));
  EXPECT_THAT(table->Keys(), ElementsAre("|a~0|", "|b~0|"));
  EXPECT_EQ(table->NumRows(), 2);
  EXPECT_EQ(*table->Value("|a~0|", "acc"), 91.5);
  EXPECT_EQ(*table->Value("|b~0|", "lat"), 3.0);
  EXPECT_EQ(*table->ColumnIndex("lat"), 2);
  EXPECT_EQ(*table->RowOf("|b~0|"), 1);
  EXPECT_EQ(table->Cell(0, 1), "91.5");
  EXPECT_THAT(*table->NumericColumn("acc"), ElementsAre(91.5, 40.0));
  EXPECT_EQ(table->source(), file.path());
}

// Quoted fields (with separators, quotes and newlines), CRLF line ends, a
// BOM and blank lines are read as CSV writers produce them.
TEST(CsvTable, ParsesQuotedFieldsCrlfBomAndBlankLines) {
  absl::StatusOr<CsvTable> table = CsvTable::Parse(
      "\xEF\xBB\xBFkey,v\r\n\"a,b\",1\r\n\r\n\"say \"\"hi\"\"\",2\r\n\"two\nlines\",3", "mem",
      "key");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->Keys(), ElementsAre("a,b", "say \"hi\"", "two\nlines"));
  EXPECT_EQ(*table->Value("two\nlines", "v"), 3.0);
}

// Keys match exactly: no trimming, no case folding.
TEST(CsvTable, KeysMatchExactly) {
  absl::StatusOr<CsvTable> table = CsvTable::Parse(kSmall, "mem", "arch");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->RowOf("|A~0|").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(table->RowOf(" |a~0|").status().code(), absl::StatusCode::kNotFound);
}

// An unknown column is refused naming the table and listing its columns.
TEST(CsvTable, UnknownColumnListsAvailableColumns) {
  absl::StatusOr<CsvTable> table = CsvTable::Parse(kSmall, "t.csv", "arch");
  ASSERT_TRUE(table.ok());
  absl::StatusOr<double> v = table->Value("|a~0|", "latency");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("t.csv"));
  EXPECT_THAT(v.status().message(), HasSubstr("unknown column \"latency\""));
  EXPECT_THAT(v.status().message(), HasSubstr("columns: arch, acc, lat"));
  // The same for an unknown key column at load.
  absl::StatusOr<CsvTable> bad_key = CsvTable::Parse(kSmall, "t.csv", "name");
  EXPECT_EQ(bad_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_key.status().message(), HasSubstr("unknown column \"name\""));
}

// A missing key is NOT_FOUND, naming the key column and key.
TEST(CsvTable, MissingKeyIsNotFound) {
  absl::StatusOr<CsvTable> table = CsvTable::Parse(kSmall, "t.csv", "arch");
  ASSERT_TRUE(table.ok());
  absl::StatusOr<double> v = table->Value("|c~0|", "acc");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(v.status().message(), HasSubstr("t.csv: no row with arch \"|c~0|\""));
}

// A non-numeric cell names the file, line, key, column and text.
TEST(CsvTable, NonNumericCellNamesFileLineColumnAndValue) {
  absl::StatusOr<CsvTable> table =
      CsvTable::Parse("arch,acc\n|a~0|,1\n|b~0|,n/a\n|c~0|,nan\n", "t.csv", "arch");
  ASSERT_TRUE(table.ok());
  absl::StatusOr<double> v = table->Value("|b~0|", "acc");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(),
              HasSubstr("t.csv line 3 (arch \"|b~0|\"), column \"acc\": \"n/a\" is not a finite "
                        "number"));
  EXPECT_FALSE(table->Value("|c~0|", "acc").ok());  // NaN is not a measurement
  EXPECT_THAT(table->NumericColumn("acc").status().message(), HasSubstr("line 3"));
}

// A key seen twice is refused, naming both lines.
TEST(CsvTable, DuplicateKeyRefused) {
  absl::StatusOr<CsvTable> table =
      CsvTable::Parse("arch,acc\n|a~0|,1\n|b~0|,2\n|a~0|,3\n", "t.csv", "arch");
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(),
              HasSubstr("t.csv line 4: duplicate arch \"|a~0|\" (first on line 2)"));
}

// Malformed structure is refused with the line: wrong field count, empty
// key, no header, unterminated quote.
TEST(CsvTable, MalformedInputNamesTheLine) {
  EXPECT_THAT(CsvTable::Parse("arch,acc\n|a~0|,1,2\n", "t.csv", "arch").status().message(),
              HasSubstr("t.csv line 2: 3 fields, the header has 2"));
  EXPECT_THAT(CsvTable::Parse("arch,acc\n,1\n", "t.csv", "arch").status().message(),
              HasSubstr("t.csv line 2: empty arch"));
  EXPECT_THAT(CsvTable::Parse("", "t.csv", "arch").status().message(),
              HasSubstr("header row is required"));
  EXPECT_THAT(CsvTable::Parse("arch,acc\n\"|a~0|,1\n", "t.csv", "arch").status().message(),
              HasSubstr("t.csv line 2: unterminated quoted field"));
}

// A file that cannot be opened is NOT_FOUND naming the path.
TEST(CsvTable, MissingFileIsNotFound) {
  absl::StatusOr<CsvTable> table = CsvTable::Load("/nonexistent/dir/table.csv", "arch");
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(table.status().message(), HasSubstr("/nonexistent/dir/table.csv"));
}

// The NAS-Bench-201 table beside the repository loads whole (15,625 rows);
// skipped when absent. Prints the load time (not asserted).
TEST(CsvTable, LoadsNb201TableWhenPresent) {
  const char* shared = std::getenv("EDGENAS_SHARED_DIR");
  const std::string path =
      absl::StrCat(shared != nullptr ? shared : "../shared", "/data/nb201/nb201_pi5.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent; skipping";
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<CsvTable> table = CsvTable::Load(path, "arch");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(table.ok()) << table.status();
  std::printf("loaded %d rows from %s in %.1f ms\n", table->NumRows(), path.c_str(), ms);
  EXPECT_EQ(table->NumRows(), 15625);
  for (const char* column : {"cifar10_valid_acc_12ep", "cifar100_test_acc_200ep",
                             "pi5_litert_latency_ms", "pi5_litert_energy_mj"}) {
    absl::StatusOr<std::vector<double>> values = table->NumericColumn(column);
    ASSERT_TRUE(values.ok()) << values.status();
    EXPECT_EQ(values->size(), 15625u);
  }
}

}  // namespace
}  // namespace edgenas
