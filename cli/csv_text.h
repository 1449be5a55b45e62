// CSV text for the CLI's --csv outputs (pareto, candidates): RFC 4180
// quoting and numbers printed losslessly enough to read back.
#ifndef EDGENAS_CLI_CSV_TEXT_H_
#define EDGENAS_CLI_CSV_TEXT_H_

#include <string>

namespace edgenas {

// `text` as one CSV field: quoted (inner quotes doubled) when it holds a
// comma, quote or line break, or starts or ends with a space.
std::string CsvField(const std::string& text);

// A raw number: integers without a fraction ("123456"), others with 10
// significant digits ("0.9123400000" prints as "0.91234").
std::string RawNumber(double value);

}  // namespace edgenas

#endif  // EDGENAS_CLI_CSV_TEXT_H_
