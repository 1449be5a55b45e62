// StrategyCall: one entry of a job's strategy replay log. The job runtime
// records every call it makes on its strategy, in order; the store keeps the
// log; after a restart the runtime rebuilds the strategy from its seed and
// replays the log, so the strategy's state (random streams, populations,
// pending points) is exactly what it was. Observations are rebuilt from the
// stored candidates, whose metrics never change once they are finished.
#ifndef EDGENAS_COORDINATOR_STRATEGY_LOG_H_
#define EDGENAS_COORDINATOR_STRATEGY_LOG_H_

#include <cstdint>
#include <string>

namespace edgenas {

enum class StrategyCallType {
  kSuggest = 1,    // Suggest(number); suggestions are re-derived on replay
  kPending = 2,    // OnPending(suggestion `number`) -> candidate_id
  kDuplicate = 3,  // OnDuplicate(suggestion `number`, known = candidate_id or none)
  kObserve = 4,    // Observe(observation of candidate_id)
  kCancelled = 5,  // OnCancelled(suggestion `number`)
};

struct StrategyCall {
  int64_t seq = 0;  // position in the job's log, from 1
  StrategyCallType type = StrategyCallType::kSuggest;
  int64_t number = 0;        // n for kSuggest, else the suggestion id
  std::string candidate_id;  // see StrategyCallType
  // kDuplicate: the known candidate was finished at the time of the call
  // (so the strategy was given its observation, not nullptr).
  bool known_finished = false;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_LOG_H_
