#include "tests/integration/made_up_table.h"

#include <fstream>

#include "absl/strings/str_format.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas::testing {

std::string WriteMadeUpNb201Table(const std::string& path) {
  std::ofstream out(path);
  out << "arch_index,arch,acc_pct,lat_ms,energy_mj\n";
  Nb201Space space;
  for (int i = 0; i < 15625; ++i) {
    out << i << "," << space.Print(Nb201Space::FromIndex(i)) << ","
        << absl::StrFormat("%.4f,%.6f,%.6f", 40.0 + (i * 37 % 4000) / 100.0,
                           0.5 + (i * 13 % 997) / 100.0, 1.0 + (i * 29 % 991) / 50.0)
        << "\n";
  }
  return path;
}

}  // namespace edgenas::testing
