// Tests of StrategyParams: defaults, ranges, malformed text, choices and
// boolean forms; every error is INVALID_ARGUMENT naming
// strategy.params.<key>.
#include "coordinator/strategy/strategy_params.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Expects INVALID_ARGUMENT whose message starts with strategy.params.<key>.
template <typename T>
std::string ExpectBad(const absl::StatusOr<T>& result, const std::string& key) {
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << key;
  const std::string message(result.status().message());
  EXPECT_THAT(message, StartsWith("strategy.params." + key + ": "));
  return message;
}

TEST(StrategyParamsTest, DefaultsWhenAbsent) {
  const std::map<std::string, std::string> params = {{"other", "x"}};
  StrategyParams p(params);
  EXPECT_EQ(*p.Int("n", 7, 0, 10), 7);
  EXPECT_EQ(*p.Double("rate", 0.25, 0.0, 1.0), 0.25);
  EXPECT_EQ(*p.Choice("mode", "b", {"a", "b"}), "b");
  EXPECT_TRUE(*p.Bool("flag", true));
  EXPECT_FALSE(*p.Bool("flag", false));
}

TEST(StrategyParamsTest, IntValuesAndRanges) {
  const std::map<std::string, std::string> params = {
      {"ok", "5"},      {"spaced", " 12 "}, {"lo", "0"},    {"hi", "10"}, {"below", "-1"},
      {"above", "11"},  {"text", "five"},   {"frac", "1.5"}, {"empty", ""}, {"huge", "99999999999"}};
  StrategyParams p(params);
  EXPECT_EQ(*p.Int("ok", 0, 0, 10), 5);
  EXPECT_EQ(*p.Int("spaced", 0, 0, 100), 12);
  EXPECT_EQ(*p.Int("lo", 5, 0, 10), 0);
  EXPECT_EQ(*p.Int("hi", 5, 0, 10), 10);
  EXPECT_THAT(ExpectBad(p.Int("below", 5, 0, 10), "below"), HasSubstr("[0, 10], got -1"));
  EXPECT_THAT(ExpectBad(p.Int("above", 5, 0, 10), "above"), HasSubstr("[0, 10], got 11"));
  EXPECT_THAT(ExpectBad(p.Int("text", 5, 0, 10), "text"),
              HasSubstr("expected an integer, got \"five\""));
  ExpectBad(p.Int("frac", 5, 0, 10), "frac");
  ExpectBad(p.Int("empty", 5, 0, 10), "empty");
  ExpectBad(p.Int("huge", 5, 0, 10), "huge");
  // A default outside the range is refused too (a programming error made visible).
  ExpectBad(p.Int("absent", 20, 0, 10), "absent");
}

TEST(StrategyParamsTest, DoubleValuesAndRanges) {
  const std::map<std::string, std::string> params = {
      {"ok", "0.5"}, {"sci", "1e-2"}, {"int", "3"},    {"below", "-0.1"}, {"above", "1.01"},
      {"text", "x"}, {"nan", "nan"},  {"inf", "inf"}, {"spaced", " 0.75\t"}};
  StrategyParams p(params);
  EXPECT_EQ(*p.Double("ok", 0.0, 0.0, 1.0), 0.5);
  EXPECT_EQ(*p.Double("sci", 0.0, 0.0, 1.0), 0.01);
  EXPECT_EQ(*p.Double("int", 0.0, 0.0, 10.0), 3.0);
  EXPECT_EQ(*p.Double("spaced", 0.0, 0.0, 1.0), 0.75);
  EXPECT_THAT(ExpectBad(p.Double("below", 0.5, 0.0, 1.0), "below"), HasSubstr("[0, 1]"));
  ExpectBad(p.Double("above", 0.5, 0.0, 1.0), "above");
  EXPECT_THAT(ExpectBad(p.Double("text", 0.5, 0.0, 1.0), "text"),
              HasSubstr("expected a number, got \"x\""));
  ExpectBad(p.Double("nan", 0.5, 0.0, 1.0), "nan");
  ExpectBad(p.Double("inf", 0.5, 0.0, 1e308), "inf");
}

TEST(StrategyParamsTest, ChoiceListsKnownValues) {
  const std::map<std::string, std::string> params = {{"acq", "ucb"}, {"bad", "UCB"}};
  StrategyParams p(params);
  EXPECT_EQ(*p.Choice("acq", "ei", {"ei", "ucb", "ts"}), "ucb");
  EXPECT_THAT(ExpectBad(p.Choice("bad", "ei", {"ei", "ucb", "ts"}), "bad"),
              HasSubstr("unknown value \"UCB\"; known: ei, ucb, ts"));
}

TEST(StrategyParamsTest, BoolForms) {
  const std::map<std::string, std::string> params = {
      {"t1", "true"}, {"t2", "1"}, {"t3", "yes"}, {"t4", " TRUE "}, {"t5", "Yes"},
      {"f1", "false"}, {"f2", "0"}, {"f3", "no"}, {"f4", "False"}, {"bad", "maybe"},
      {"empty", ""}};
  StrategyParams p(params);
  for (const char* key : {"t1", "t2", "t3", "t4", "t5"}) EXPECT_TRUE(*p.Bool(key, false)) << key;
  for (const char* key : {"f1", "f2", "f3", "f4"}) EXPECT_FALSE(*p.Bool(key, true)) << key;
  EXPECT_THAT(ExpectBad(p.Bool("bad", false), "bad"),
              HasSubstr("expected true or false, got \"maybe\""));
  ExpectBad(p.Bool("empty", false), "empty");
}

}  // namespace
}  // namespace edgenas
