// A board-measurement table for integration tests and fault benchmarks:
// every NB201 cell with made-up (not measured) accuracy, latency and energy.
#ifndef EDGENAS_TESTS_INTEGRATION_MADE_UP_TABLE_H_
#define EDGENAS_TESTS_INTEGRATION_MADE_UP_TABLE_H_

#include <string>

namespace edgenas::testing {

// Writes the CSV to `path` (columns arch_index, arch, acc_pct (percent),
// lat_ms, energy_mj; one row per NB201 cell, values derived from the
// index) and returns `path`.
std::string WriteMadeUpNb201Table(const std::string& path);

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_INTEGRATION_MADE_UP_TABLE_H_
