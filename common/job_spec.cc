#include "common/job_spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "common/datasets.h"
#include "common/field_error.h"
#include "common/metric_names.h"
#include "common/network_cost.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

using v1::JobSpec;

// FieldError for a field of the job: "job.<field>: <why>".
absl::Status Bad(absl::string_view field, absl::string_view why) {
  return FieldError(absl::StrCat("job.", field), why);
}

// Sets the proto field to `def` when it is 0; refuses values outside [lo, hi].
template <typename Msg, typename T, typename U>
absl::Status DefaultInRange(Msg* msg, T (Msg::*get)() const, void (Msg::*set)(T), U def, U lo,
                            U hi, absl::string_view field) {
  T value = (msg->*get)();
  if (value == 0) {
    value = static_cast<T>(def);
    (msg->*set)(value);
  }
  if (value < static_cast<T>(lo) || value > static_cast<T>(hi)) {
    return Bad(field, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value));
  }
  return absl::OkStatus();
}

#define EDGENAS_DEFAULT_IN_RANGE(msg, name, def, lo, hi, path)                      \
  DefaultInRange(msg, &std::remove_pointer_t<decltype(msg)>::name,                 \
                 &std::remove_pointer_t<decltype(msg)>::set_##name, def, lo, hi, path)

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names) {
    if (n == name) return true;
  }
  return false;
}

absl::Status CheckName(const std::string& name, const std::vector<std::string>& known,
                       absl::string_view field, absl::string_view what) {
  if (Contains(known, name)) return absl::OkStatus();
  if (name == kMetricTestAccuracy) {
    // The test split must stay unseen by the search: its accuracy is a
    // report on the winners, never something to optimise or screen by.
    return Bad(field, absl::StrCat("\"", name, "\" is measured once on the test split after "
                                   "the search and can never be an objective or constraint; "
                                   "use \"", kMetricAccuracy, "\" (validation split)"));
  }
  return Bad(field, absl::StrCat("unknown ", what, " \"", name, "\"; known: ",
                                 absl::StrJoin(known, ", ")));
}

absl::Status NormalizeSpace(JobSpec* spec) {
  absl::Status space_status = NormalizeSpaceSpec(spec->mutable_space());
  if (!space_status.ok()) {
    return absl::Status(space_status.code(), absl::StrCat("job.", space_status.message()));
  }
  auto* space = spec->mutable_space();
  ASSIGN_OR_RETURN(const SpaceConfig space_config, SpaceConfigFromSpec(*space));
  ASSIGN_OR_RETURN(auto search_space, CreateSearchSpace(space_config));
  for (int i = 0; i < spec->initial_architectures_size(); ++i) {
    auto arch = search_space->Parse(spec->initial_architectures(i));
    if (!arch.ok()) {
      return Bad(absl::StrCat("initial_architectures[", i, "]"), arch.status().message());
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeStrategy(JobSpec* spec, const std::vector<std::string>& strategies) {
  auto* st = spec->mutable_strategy();
  if (st->name().empty()) st->set_name("regularized_evolution");
  RETURN_IF_ERROR(CheckName(st->name(), strategies, "strategy.name", "strategy"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(st, population_size, 16, 2, 100000, "strategy.population_size"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(st, sample_size, 4, 1, 100000, "strategy.sample_size"));
  if (st->sample_size() > st->population_size()) {
    return Bad("strategy.sample_size",
               absl::StrCat("must not exceed strategy.population_size (", st->population_size(),
                            "), got ", st->sample_size()));
  }
  return absl::OkStatus();
}

absl::Status NormalizeObjectives(JobSpec* spec) {
  if (spec->objectives().empty()) {
    auto* acc = spec->add_objectives();
    acc->set_metric(kMetricAccuracy);
    acc->set_direction(v1::MAXIMIZE);
    auto* lat = spec->add_objectives();
    lat->set_metric(kMetricLatencyMs);
    lat->set_direction(v1::MINIMIZE);
  }
  if (spec->objectives_size() > 3) {
    return Bad("objectives", absl::StrCat("at most 3 objectives are supported, got ",
                                          spec->objectives_size()));
  }
  if (spec->objective_mode() == v1::OBJECTIVE_MODE_UNSPECIFIED) {
    spec->set_objective_mode(v1::PARETO);
  }
  if (!v1::ObjectiveMode_IsValid(spec->objective_mode())) {
    return Bad("objective_mode", "must be pareto, scalarized or lexicographic");
  }
  const bool scalarized = spec->objective_mode() == v1::SCALARIZED;
  if (scalarized && spec->objectives(0).direction() != v1::MAXIMIZE) {
    return Bad("objectives[0].direction",
               "must be maximize in scalarized mode (the reward multiplies it)");
  }
  for (int i = 0; i < spec->objectives_size(); ++i) {
    auto* obj = spec->mutable_objectives(i);
    const std::string field = absl::StrCat("objectives[", i, "]");
    if (scalarized && i > 0) {
      if (!obj->has_target() || !std::isfinite(obj->target()) || obj->target() <= 0) {
        return Bad(field + ".target", "scalarized mode needs a finite target > 0");
      }
      if (!obj->has_weight()) obj->set_weight(obj->direction() == v1::MINIMIZE ? -0.07 : 0.07);
      if (!std::isfinite(obj->weight()) || std::abs(obj->weight()) > 10) {
        return Bad(field + ".weight", "must be finite, in [-10, 10]");
      }
    } else if (obj->has_target() || obj->has_weight()) {
      return Bad(field + (obj->has_target() ? ".target" : ".weight"),
                 "only used in scalarized mode, for objectives after the first");
    }
    RETURN_IF_ERROR(CheckName(obj->metric(), ObjectiveMetrics(), field + ".metric", "metric"));
    if (obj->direction() != v1::MAXIMIZE && obj->direction() != v1::MINIMIZE) {
      return Bad(field + ".direction", "must be maximize or minimize");
    }
    if (IsDeviceMetric(obj->metric())) {
      if (obj->device_class().empty()) obj->set_device_class(kDefaultDeviceClass);
      RETURN_IF_ERROR(
          ValidateDeviceClass(obj->device_class(), absl::StrCat("job.", field, ".device_class")));
    } else if (!obj->device_class().empty()) {
      return Bad(field + ".device_class",
                 absl::StrCat("\"", obj->metric(), "\" does not depend on a device"));
    }
    if (obj->has_reference() && !std::isfinite(obj->reference())) {
      return Bad(field + ".reference", "must be finite");
    }
    for (int j = 0; j < i; ++j) {
      const auto& prev = spec->objectives(j);
      if (prev.metric() == obj->metric() && prev.device_class() == obj->device_class()) {
        return Bad(field + ".metric", absl::StrCat("duplicates objectives[", j, "]"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status NormalizeConstraints(JobSpec* spec) {
  for (int i = 0; i < spec->constraints_size(); ++i) {
    auto* c = spec->mutable_constraints(i);
    const std::string field = absl::StrCat("constraints[", i, "]");
    RETURN_IF_ERROR(CheckName(c->metric(), ObjectiveMetrics(), field + ".metric", "metric"));
    if (!c->has_max_value() && !c->has_min_value()) {
      return Bad(field, "needs max_value or min_value");
    }
    if (c->has_max_value() && !std::isfinite(c->max_value())) {
      return Bad(field + ".max_value", "must be finite");
    }
    if (c->has_min_value() && !std::isfinite(c->min_value())) {
      return Bad(field + ".min_value", "must be finite");
    }
    if (c->has_max_value() && c->has_min_value() && c->min_value() > c->max_value()) {
      return Bad(field, "min_value exceeds max_value");
    }
    if (IsDeviceMetric(c->metric())) {
      if (c->device_class().empty()) c->set_device_class(kDefaultDeviceClass);
      RETURN_IF_ERROR(
          ValidateDeviceClass(c->device_class(), absl::StrCat("job.", field, ".device_class")));
    } else if (!c->device_class().empty()) {
      return Bad(field + ".device_class",
                 absl::StrCat("\"", c->metric(), "\" does not depend on a device"));
    }
  }
  return absl::OkStatus();
}

// "flops" (multiply-accumulates, counted analytically by the workers and
// agents) needs a space that counts them (common/network_cost.h).
absl::Status CheckFlopsMetrics(const JobSpec& spec) {
  const absl::Status counts = SpaceCountsMacs(spec.space().name());
  if (counts.ok()) return counts;
  const auto refuse = [&counts](const std::string& field) {
    return Bad(field, absl::StrCat("\"", kMetricFlops, "\" is counted analytically, but ",
                                   counts.message()));
  };
  for (int i = 0; i < spec.objectives_size(); ++i) {
    if (spec.objectives(i).metric() == kMetricFlops) {
      return refuse(absl::StrCat("objectives[", i, "].metric"));
    }
  }
  for (int i = 0; i < spec.constraints_size(); ++i) {
    if (spec.constraints(i).metric() == kMetricFlops) {
      return refuse(absl::StrCat("constraints[", i, "].metric"));
    }
  }
  return absl::OkStatus();
}

// A table job measures accuracy (looked up by a worker) and device metrics
// (agents); refuses objectives and constraints on anything else (params,
// train_seconds), which no task of a table job reports, so every candidate
// would fail.
absl::Status CheckTableMetrics(const JobSpec& spec) {
  auto measurable = [](const std::string& metric) {
    return metric == kMetricAccuracy || IsDeviceMetric(metric);
  };
  auto refuse = [](const std::string& field, const std::string& metric) {
    return Bad(field, absl::StrCat("\"", metric,
                                   "\" is never measured in evaluation.mode table (table workers "
                                   "report only accuracy, agents latency_ms and energy_mj); use "
                                   "full_train"));
  };
  for (int i = 0; i < spec.objectives_size(); ++i) {
    const std::string& metric = spec.objectives(i).metric();
    if (!measurable(metric)) return refuse(absl::StrCat("objectives[", i, "].metric"), metric);
  }
  for (int i = 0; i < spec.constraints_size(); ++i) {
    const std::string& metric = spec.constraints(i).metric();
    if (!measurable(metric)) return refuse(absl::StrCat("constraints[", i, "].metric"), metric);
  }
  return absl::OkStatus();
}

// A double field: 0 means the default; otherwise finite and in [lo, hi].
absl::Status DefaultDouble(double* value, double def, double lo, double hi,
                           absl::string_view field) {
  if (!std::isfinite(*value)) return Bad(field, "must be finite");
  if (*value == 0.0) *value = def;
  if (*value < lo || *value > hi) {
    return Bad(field, absl::StrCat("must be in [", lo, ", ", hi, "], got ", *value));
  }
  return absl::OkStatus();
}

// Teacher, distillation, supernet and finalist settings: filled with their
// defaults in the modes that use them, refused in the others.
// Rungs default to supernet then flash distillation; each must be a known
// accuracy method, at most once, and eta must exceed 1.
absl::Status NormalizeMultiFidelity(v1::MultiFidelitySpec* mf) {
  if (mf->rungs().empty()) {
    mf->add_rungs("supernet");
    mf->add_rungs("flash_distill");
  }
  if (mf->rungs_size() > static_cast<int>(kMultiFidelityMethods.size())) {
    return Bad("evaluation.multi_fidelity.rungs",
               absl::StrCat("at most ", kMultiFidelityMethods.size(), " rungs, got ",
                            mf->rungs_size()));
  }
  for (int i = 0; i < mf->rungs_size(); ++i) {
    const std::string field = absl::StrCat("evaluation.multi_fidelity.rungs[", i, "]");
    const std::string& rung = mf->rungs(i);
    if (std::find(kMultiFidelityMethods.begin(), kMultiFidelityMethods.end(), rung) ==
        kMultiFidelityMethods.end()) {
      return Bad(field, absl::StrCat("unknown method \"", rung.substr(0, 64),
                                     "\"; known: supernet, flash_distill, full_train"));
    }
    for (int j = 0; j < i; ++j) {
      if (mf->rungs(j) == rung) return Bad(field, absl::StrCat("\"", rung, "\" is repeated"));
    }
  }
  double eta = mf->reduction_factor();
  RETURN_IF_ERROR(DefaultDouble(&eta, kDefaultReductionFactor, 1.01, 1000.0,
                                "evaluation.multi_fidelity.reduction_factor"));
  mf->set_reduction_factor(eta);
  return absl::OkStatus();
}

absl::Status NormalizeProxySettings(JobSpec* spec) {
  auto* ev = spec->mutable_evaluation();
  const std::string& mode = ev->mode();
  const bool multi = mode == "multi_fidelity";
  auto only_in = [&mode](const char* field, const char* modes) {
    return Bad(field, absl::StrCat("only used in evaluation.mode ", modes, ", not \"", mode, "\""));
  };
  if (!multi && ev->has_multi_fidelity()) {
    return only_in("evaluation.multi_fidelity", "multi_fidelity");
  }
  if (multi) RETURN_IF_ERROR(NormalizeMultiFidelity(ev->mutable_multi_fidelity()));
  auto uses = [&](const char* method) {
    if (mode == method) return true;
    const auto& rungs = ev->multi_fidelity().rungs();
    return multi && std::find(rungs.begin(), rungs.end(), method) != rungs.end();
  };
  const bool distill = uses("flash_distill");
  const bool supernet = uses("supernet");
  if (!distill && ev->has_teacher()) {
    return only_in("evaluation.teacher", "flash_distill (or a multi_fidelity rung)");
  }
  if (!distill && ev->has_distill()) {
    return only_in("evaluation.distill", "flash_distill (or a multi_fidelity rung)");
  }
  if (!supernet && ev->has_supernet()) {
    return only_in("evaluation.supernet", "supernet (or a multi_fidelity rung)");
  }
  if (!distill && !supernet && !multi) {
    if (ev->has_finalize()) {
      return only_in("evaluation.finalize", "flash_distill, supernet or multi_fidelity");
    }
    return absl::OkStatus();
  }
  if (distill) {
    auto* t = ev->mutable_teacher();
    // The space's default teacher fills what the job leaves unset.
    absl::StatusOr<SpaceConfig> space_config = SpaceConfigFromSpec(spec->space());
    if (!space_config.ok()) return PrefixFieldError("job", space_config.status());
    absl::StatusOr<ResolvedTeacher> teacher =
        ResolveTeacher(*space_config, t->arch(), t->channels(), t->cells_per_stage());
    if (!teacher.ok()) return PrefixFieldError("job", teacher.status());
    t->set_arch(teacher->arch);
    t->set_channels(teacher->channels);
    t->set_cells_per_stage(teacher->cells_per_stage);
    absl::StatusOr<std::unique_ptr<SearchSpace>> space = CreateSearchSpace(*space_config);
    if (space.ok()) {
      absl::StatusOr<Architecture> arch = (*space)->Parse(t->arch());
      if (!arch.ok()) return Bad("evaluation.teacher.arch", arch.status().message());
    }
    RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(t, train_steps, kDefaultTeacherTrainSteps, 1,
                                             10000000, "evaluation.teacher.train_steps"));
    auto* d = ev->mutable_distill();
    double v = d->fraction();
    RETURN_IF_ERROR(DefaultDouble(&v, kDefaultDistillFraction, 1e-4, 1.0,
                                  "evaluation.distill.fraction"));
    d->set_fraction(v);
    v = d->alpha();
    if (!std::isfinite(v) || v < 0.0 || v > 1.0) {
      return Bad("evaluation.distill.alpha", absl::StrCat("must be in [0, 1], got ", v));
    }
    if (v == 0.0) d->set_alpha(kDefaultDistillAlpha);
    v = d->temperature();
    RETURN_IF_ERROR(DefaultDouble(&v, kDefaultDistillTemperature, 0.1, 100.0,
                                  "evaluation.distill.temperature"));
    d->set_temperature(v);
    v = d->feature_weight();
    if (!std::isfinite(v) || v < 0.0 || v > 1000.0) {
      return Bad("evaluation.distill.feature_weight",
                 absl::StrCat("must be in [0, 1000] (0 = off), got ", v));
    }
  }
  if (supernet) {
    auto* sn = ev->mutable_supernet();
    RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(sn, train_steps, kDefaultSupernetTrainSteps, 1,
                                             10000000, "evaluation.supernet.train_steps"));
    RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(sn, calibration_examples,
                                             kDefaultCalibrationExamples, 1, 20000,
                                             "evaluation.supernet.calibration_examples"));
  }
  auto* f = ev->mutable_finalize();
  if (f->top_k() < -1 || f->top_k() > 1000) {
    return Bad("evaluation.finalize.top_k",
               absl::StrCat("must be in [1, 1000], or -1 for none; got ", f->top_k()));
  }
  if (f->top_k() == 0) f->set_top_k(kDefaultFinalizeTopK);
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(f, train_steps, kDefaultFinalizeTrainSteps, 1,
                                           10000000, "evaluation.finalize.train_steps"));
  return absl::OkStatus();
}

absl::Status NormalizeEvaluation(JobSpec* spec, const std::vector<std::string>& modes) {
  auto* ev = spec->mutable_evaluation();
  if (ev->mode().empty()) ev->set_mode("full_train");
  RETURN_IF_ERROR(CheckName(ev->mode(), modes, "evaluation.mode", "evaluation mode"));
  if (ev->mode() == "table") {
    auto* table = ev->mutable_table();
    if (table->path().empty()) return Bad("evaluation.table.path", "required in table mode");
    if (table->accuracy_column().empty()) {
      return Bad("evaluation.table.accuracy_column", "required in table mode");
    }
    if (table->arch_column().empty()) table->set_arch_column("arch");
    if (!std::isfinite(table->accuracy_scale()) || table->accuracy_scale() < 0) {
      return Bad("evaluation.table.accuracy_scale", "must be finite and >= 0 (0 = automatic)");
    }
    RETURN_IF_ERROR(CheckTableMetrics(*spec));
  } else if (ev->has_table()) {
    return Bad("evaluation.table", absl::StrCat("only used in table mode, not \"", ev->mode(), "\""));
  }
  RETURN_IF_ERROR(NormalizeProxySettings(spec));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(ev, train_steps, kDefaultTrainSteps, 1, 10000000, "evaluation.train_steps"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(ev, batch_size, kDefaultBatchSize, 1, 65536, "evaluation.batch_size"));
  if (!std::isfinite(ev->learning_rate())) return Bad("evaluation.learning_rate", "must be finite");
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(ev, learning_rate, kDefaultLearningRate, 1e-8, 10.0, "evaluation.learning_rate"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(ev, validation_examples, kDefaultValidationExamples, 1, 30000,
                     "evaluation.validation_examples"));

  RETURN_IF_ERROR(PrefixFieldError("job", NormalizeDatasetSpec(spec->mutable_dataset())));

  auto* lat = spec->mutable_latency();
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, warmup_ms, kDefaultWarmupMs, 1, 600000, "latency.warmup_ms"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, min_runs, kDefaultMinRuns, 1, 1000000, "latency.min_runs"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, max_runs, kDefaultMaxRuns, 1, 1000000, "latency.max_runs"));
  if (lat->max_runs() < lat->min_runs()) {
    return Bad("latency.max_runs", absl::StrCat("must be >= latency.min_runs (", lat->min_runs(),
                                                "), got ", lat->max_runs()));
  }
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, max_measure_ms, kDefaultMaxMeasureMs, 1, 3600000,
                                           "latency.max_measure_ms"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, blocks, std::min(kDefaultLatencyBlocks, lat->min_runs()),
                                           1, 1000, "latency.blocks"));
  if (lat->blocks() > lat->min_runs()) {
    return Bad("latency.blocks", absl::StrCat("must be <= latency.min_runs (", lat->min_runs(),
                                              "), got ", lat->blocks()));
  }
  if (!std::isfinite(lat->target_ci_rel())) {
    return Bad("latency.target_ci_rel", absl::StrCat("must be finite, got ", lat->target_ci_rel()));
  }
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, target_ci_rel, kDefaultTargetCiRel, 0.0001, 0.5,
                                           "latency.target_ci_rel"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(lat, threads, kDefaultLatencyThreads, 1, 1024, "latency.threads"));
  return EDGENAS_DEFAULT_IN_RANGE(lat, batch_size, kDefaultLatencyBatchSize, 1, 4096, "latency.batch_size");
}

// latency.screen_with_table needs a latency_ms constraint with max_value
// (the bound predictions are screened against); screen_margin is finite,
// >= 0, 0 meaning the default, and only used with screen_with_table.
absl::Status NormalizeLatencyScreening(JobSpec* spec) {
  auto* lat = spec->mutable_latency();
  const double margin = lat->screen_margin();
  if (!lat->screen_with_table()) {
    if (margin != 0.0) {
      return Bad("latency.screen_margin", "only used with latency.screen_with_table: true");
    }
    return absl::OkStatus();
  }
  bool bounded = false;
  for (const auto& c : spec->constraints()) {
    if (c.metric() == kMetricLatencyMs && c.has_max_value()) bounded = true;
  }
  if (!bounded) {
    return Bad("latency.screen_with_table",
               "needs a constraint on latency_ms with max_value (the bound that predictions "
               "are screened against)");
  }
  if (!std::isfinite(margin) || margin < 0.0 || margin > 100.0) {
    return Bad("latency.screen_margin",
               absl::StrCat("must be finite and in [0, 100] (relative; 0 = default ",
                            kDefaultScreenMargin, "), got ", margin));
  }
  if (margin == 0.0) lat->set_screen_margin(kDefaultScreenMargin);
  return absl::OkStatus();
}

absl::Status NormalizeBudget(JobSpec* spec) {
  auto* b = spec->mutable_budget();
  if (b->max_evaluations() <= 0) {
    return Bad("budget.max_evaluations",
               absl::StrCat("must be a positive number of evaluations, got ", b->max_evaluations()));
  }
  if (b->max_evaluations() > 1000000) {
    return Bad("budget.max_evaluations", "must be at most 1000000");
  }
  if (b->max_wall_seconds() < 0) {
    return Bad("budget.max_wall_seconds",
               absl::StrCat("must be >= 0 (0 = no limit), got ", b->max_wall_seconds()));
  }
  // Ten years: far beyond any search, and in milliseconds far from overflow.
  constexpr int64_t kMaxWallSeconds = 10LL * 366 * 24 * 3600;
  if (b->max_wall_seconds() > kMaxWallSeconds) {
    return Bad("budget.max_wall_seconds",
               absl::StrCat("must be at most ", kMaxWallSeconds, " (ten years; 0 = no limit), got ",
                            b->max_wall_seconds()));
  }
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(spec, parallelism, 2, 1, 10000, "parallelism"));
  RETURN_IF_ERROR(EDGENAS_DEFAULT_IN_RANGE(spec, max_attempts, 3, 1, 100, "max_attempts"));
  return EDGENAS_DEFAULT_IN_RANGE(spec, lease_seconds, 60, 1, 86400, "lease_seconds");
}

}  // namespace

// Device classes become metric labels and file names: keep them tame.
absl::Status ValidateDeviceClass(const std::string& device_class, absl::string_view field) {
  bool ok = !device_class.empty() && device_class.size() <= 64;
  for (char ch : device_class) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ","device class must be 1-64 characters of [A-Za-z0-9_.-], got \"",
                                 device_class.substr(0, 64), "\""));
}

// Bounds the spec's size before anything else reads it: at most
// kMaxJobSpecBytes in all (the refusal names the largest field), and the
// repeated architecture list bounded per entry.
absl::Status CheckSpecSize(const JobSpec& spec) {
  if (spec.initial_architectures_size() > kMaxInitialArchitectures) {
    return Bad("initial_architectures", absl::StrCat("at most ", kMaxInitialArchitectures,
                                                     " entries, got ",
                                                     spec.initial_architectures_size()));
  }
  for (int i = 0; i < spec.initial_architectures_size(); ++i) {
    if (spec.initial_architectures(i).size() > kMaxArchitectureChars) {
      return Bad(absl::StrCat("initial_architectures[", i, "]"),
                 absl::StrCat("at most ", kMaxArchitectureChars, " characters, got ",
                              spec.initial_architectures(i).size()));
    }
  }
  const size_t total = spec.ByteSizeLong();
  if (total <= kMaxJobSpecBytes) return absl::OkStatus();
  // Name the top-level field that holds the most bytes.
  const auto* reflection = spec.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(spec, &fields);
  std::string largest = "job";
  size_t largest_bytes = 0;
  for (const auto* field : fields) {
    JobSpec only = spec;
    for (const auto* other : fields) {
      if (other != field) only.GetReflection()->ClearField(&only, other);
    }
    if (only.ByteSizeLong() > largest_bytes) {
      largest_bytes = only.ByteSizeLong();
      largest = field->name();
    }
  }
  return Bad(largest, absl::StrCat("holds ", largest_bytes, " bytes of a ", total,
                                   "-byte spec; a job spec may hold at most ", kMaxJobSpecBytes,
                                   " bytes"));
}

absl::Status NormalizeJobSpec(JobSpec* spec, const JobSpecNames& names) {
  RETURN_IF_ERROR(CheckSpecSize(*spec));
  if (spec->name().size() > 200) return Bad("name", "must be at most 200 characters");
  RETURN_IF_ERROR(NormalizeSpace(spec));
  RETURN_IF_ERROR(NormalizeStrategy(spec, names.strategies));
  RETURN_IF_ERROR(NormalizeObjectives(spec));
  RETURN_IF_ERROR(NormalizeConstraints(spec));
  RETURN_IF_ERROR(CheckFlopsMetrics(*spec));
  RETURN_IF_ERROR(NormalizeEvaluation(spec, names.evaluation_modes));
  RETURN_IF_ERROR(NormalizeLatencyScreening(spec));
  RETURN_IF_ERROR(NormalizeBudget(spec));
  return absl::OkStatus();
}

std::vector<Sense> ObjectiveSenses(const JobSpec& spec) {
  std::vector<Sense> senses;
  for (const auto& obj : spec.objectives()) {
    senses.push_back(obj.direction() == v1::MAXIMIZE ? Sense::kMaximize : Sense::kMinimize);
  }
  return senses;
}

std::string MetricDeviceClass(const std::string& metric, const std::string& device_class) {
  return IsDeviceMetric(metric) ? device_class : std::string();
}

}  // namespace edgenas
