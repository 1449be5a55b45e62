// Latency tables: the operators an NB201 network runs, table validation,
// coverage and prediction from a hand-made table.
#include "common/latency_predictor.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "spaces/nb201/nb201_latency_model.h"
#include "spaces/nb201/nb201_space.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

SpaceConfig Nb201(int channels = 16, int cells = 1) {
  SpaceConfig space;
  space.name = "nb201";
  space.options["channels"] = std::to_string(channels);
  space.options["cells_per_stage"] = std::to_string(cells);
  return space;
}

Architecture Parse(const std::string& text) {
  auto arch = Nb201Space().Parse(text);
  EXPECT_TRUE(arch.ok()) << arch.status();
  return *arch;
}

// A table with a distinct, known latency for every shape the space needs:
// the value encodes op and stage so sums can be checked by hand.
v1::LatencyTable HandTable(const SpaceConfig& space) {
  v1::LatencyTable table;
  table.set_space("nb201");
  table.set_device_class("cpu");
  table.set_batch_size(1);
  table.set_threads(1);
  table.set_overhead_ms(0.5);
  table.set_created_unix_ms(1700000000000);
  auto shapes = RequiredOpShapes(space);
  EXPECT_TRUE(shapes.ok()) << shapes.status();
  for (const OpShape& s : *shapes) {
    v1::LatencyTableEntry* e = table.add_entries();
    e->set_op(s.op);
    e->set_in_channels(s.in_channels);
    e->set_out_channels(s.out_channels);
    e->set_resolution(s.resolution);
    e->set_stride(s.stride);
    double ms = 0.001;
    if (s.op == "nor_conv_3x3") ms = 1.0;
    if (s.op == "nor_conv_1x1") ms = 0.1;
    if (s.op == "avg_pool_3x3") ms = 0.05;
    if (s.op == "skip_connect") ms = 0.002;
    if (s.op == kOpAdd) ms = 0.01;
    if (s.op == kOpZero) ms = 0.003;
    if (s.op == kOpStem) ms = 0.2;
    if (s.op == kOpReduction) ms = 0.3;
    if (s.op == kOpHead) ms = 0.04;
    // Later stages: a different value, so a wrong shape shows.
    e->set_latency_ms(ms * (s.resolution == 28 ? 1.0 : s.resolution == 14 ? 2.0 : 4.0));
  }
  return table;
}

// 3 stages x (4 ops + add + zero) + stem + 2 reductions + head.
TEST(RequiredOpShapes, Nb201NeedsEveryOpAtEveryStagePlusFixedParts) {
  auto shapes = RequiredOpShapes(Nb201(16, 5));
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_EQ(shapes->size(), 3u * 6u + 4u);
  const OpShape conv_last{"nor_conv_3x3", 64, 64, 7, 1};
  EXPECT_NE(std::find(shapes->begin(), shapes->end(), conv_last), shapes->end());
  const OpShape head{kOpHead, 64, 10, 7, 1};
  EXPECT_NE(std::find(shapes->begin(), shapes->end(), head), shapes->end());
  const OpShape stem{kOpStem, 1, 16, 28, 1};
  EXPECT_NE(std::find(shapes->begin(), shapes->end(), stem), shapes->end());
  const OpShape reduction{kOpReduction, 16, 32, 28, 2};
  EXPECT_NE(std::find(shapes->begin(), shapes->end(), reduction), shapes->end());
}

// An all-none cell runs no op: each cell is one "zero"; "none" costs 0.
TEST(NetworkOpShapes, AllNoneCellIsZeroPerCell) {
  auto ops = NetworkOpShapes(Nb201(16, 2),
                             Parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
  ASSERT_TRUE(ops.ok()) << ops.status();
  ASSERT_EQ(ops->size(), 1u + 2u + 6u + 1u);
  EXPECT_EQ(ops->front().op, kOpStem);
  EXPECT_EQ(ops->back().op, kOpHead);
  EXPECT_EQ(std::count_if(ops->begin(), ops->end(),
                          [](const OpShape& s) { return s.op == kOpZero; }),
            6);
}

// Edges into one node are summed: node 3 with three live inputs has two adds;
// dead edges (from a node without input) are not built.
TEST(NetworkOpShapes, CountsAddsAndSkipsDeadEdges) {
  // node1 <- conv3x3(node0); node2 <- none, none (dead); node3 <- conv1x1(0),
  // skip(1), avg_pool(node2 = 0: dead edge).
  auto ops = NetworkOpShapes(
      Nb201(8, 1),
      Parse("|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|"));
  ASSERT_TRUE(ops.ok()) << ops.status();
  auto count = [&](const std::string& op) {
    return std::count_if(ops->begin(), ops->end(), [&](const OpShape& s) { return s.op == op; });
  };
  EXPECT_EQ(count("nor_conv_3x3"), 3);
  EXPECT_EQ(count("nor_conv_1x1"), 3);
  EXPECT_EQ(count("skip_connect"), 3);
  EXPECT_EQ(count("avg_pool_3x3"), 0);
  EXPECT_EQ(count(kOpAdd), 3);  // node 3: two inputs, one add per cell
  EXPECT_EQ(count(kOpZero), 0);
}

// Prediction = sum of the table's entries over the network's ops + overhead.
TEST(PredictLatency, SumsEntriesAtTheirShapesPlusOverhead) {
  const SpaceConfig space = Nb201(16, 1);
  const v1::LatencyTable table = HandTable(space);
  ASSERT_TRUE(ValidateLatencyTable(table).ok()) << ValidateLatencyTable(table);
  // One conv3x3 edge (node1 <- 0) then nothing reaches the output except
  // node3 <- skip(node1): conv3x3 + skip per cell.
  auto p = PredictLatency(
      table, space,
      Parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|"));
  ASSERT_TRUE(p.ok()) << p.status();
  const double per_stage = 1.0 + 0.002;
  const double cells = per_stage * 1 + per_stage * 2 + per_stage * 4;
  const double fixed = 0.2 + 0.3 * 1 + 0.3 * 2 + 0.04 * 4;
  EXPECT_NEAR(p->ops_ms, cells + fixed, 1e-9);
  EXPECT_NEAR(p->latency_ms, cells + fixed + 0.5, 1e-9);
  EXPECT_EQ(p->ops, 1 + 2 + 6 + 1);
}

// A cheaper architecture is predicted cheaper (none costs nothing).
TEST(PredictLatency, NoneEdgesCostNothing) {
  const SpaceConfig space = Nb201(16, 3);
  const v1::LatencyTable table = HandTable(space);
  auto full = PredictLatency(table, space,
                             Parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
                                   "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"));
  auto fewer = PredictLatency(table, space,
                              Parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|"
                                    "none~0|none~1|nor_conv_3x3~2|"));
  ASSERT_TRUE(full.ok() && fewer.ok());
  EXPECT_GT(full->latency_ms, fewer->latency_ms);
}

// A missing entry is an error naming the op and shape, never a guess.
TEST(PredictLatency, MissingEntryNamesOpAndShape) {
  const SpaceConfig space = Nb201(16, 1);
  v1::LatencyTable table = HandTable(space);
  auto* entries = table.mutable_entries();
  entries->erase(std::remove_if(entries->begin(), entries->end(),
                                [](const v1::LatencyTableEntry& e) {
                                  return e.op() == "nor_conv_1x1" && e.resolution() == 14;
                                }),
                 entries->end());
  auto p = PredictLatency(table, space,
                          Parse("|nor_conv_1x1~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("nor_conv_1x1 32->32 ch at 14x14 stride 1"),
            std::string::npos)
      << p.status();
  // Coverage check names it too, before any candidate is predicted.
  absl::Status covers = CheckLatencyTableCovers(table, space);
  EXPECT_NE(covers.message().find("nor_conv_1x1 32->32 ch at 14x14"), std::string::npos)
      << covers;
  // A table for other channels does not cover this space either.
  EXPECT_FALSE(CheckLatencyTableCovers(HandTable(Nb201(8, 1)), space).ok());
}

// Validation names the field of each kind of bad input.
TEST(ValidateLatencyTable, RefusesBadTablesNamingTheField) {
  const v1::LatencyTable good = HandTable(Nb201());
  ASSERT_TRUE(ValidateLatencyTable(good).ok());
  struct Case {
    std::function<void(v1::LatencyTable*)> mutate;
    std::string field;
  };
  const Case cases[] = {
      {[](auto* t) { t->mutable_entries(2)->set_latency_ms(std::nan("")); },
       "table.entries[2].latency_ms"},
      {[](auto* t) { t->mutable_entries(2)->set_latency_ms(-1); }, "table.entries[2].latency_ms"},
      {[](auto* t) { t->mutable_entries(2)->set_latency_ms(0); }, "table.entries[2].latency_ms"},
      {[](auto* t) {
         t->mutable_entries(1)->set_latency_ms(std::numeric_limits<double>::infinity());
       },
       "table.entries[1].latency_ms"},
      {[](auto* t) { t->mutable_entries(0)->set_op("nor_conv_5x5"); }, "table.entries[0].op"},
      {[](auto* t) { t->mutable_entries(3)->set_in_channels(0); },
       "table.entries[3].in_channels"},
      {[](auto* t) { t->mutable_entries(3)->set_resolution(100000); },
       "table.entries[3].resolution"},
      {[](auto* t) { t->mutable_entries(3)->set_stride(3); }, "table.entries[3].stride"},
      {[](auto* t) {
         t->mutable_entries(4)->set_ci_low(5);
         t->mutable_entries(4)->set_ci_high(6);
       },
       "table.entries[4].ci_low"},
      {[](auto* t) { *t->add_entries() = t->entries(0); }, "appears more than once"},
      {[](auto* t) { t->set_space("tiny_test"); }, "table.space"},
      {[](auto* t) { t->set_device_class(""); }, "table.device_class"},
      {[](auto* t) { t->set_overhead_ms(-0.1); }, "table.overhead_ms"},
      {[](auto* t) { t->set_threads(0); }, "table.threads"},
      {[](auto* t) { t->set_batch_size(0); }, "table.batch_size"},
      {[](auto* t) { t->clear_entries(); }, "table.entries"},
  };
  for (const Case& c : cases) {
    v1::LatencyTable t = good;
    c.mutate(&t);
    absl::Status s = ValidateLatencyTable(t);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_NE(s.message().find(c.field), std::string::npos) << s << " (wanted " << c.field << ")";
  }
}

}  // namespace
}  // namespace edgenas
