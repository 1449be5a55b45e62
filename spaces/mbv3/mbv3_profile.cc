#include "spaces/mbv3/mbv3_profile.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_blocks.h"
#include "spaces/mbv3/mbv3_latency_model.h"

namespace edgenas {
namespace {

torch::Tensor Image(int64_t batch, int64_t channels, int64_t side) {
  return torch::randn({batch, channels, side, side});
}

template <typename Module>
Module Eval(Module m) {
  m->eval();
  return m;
}

// The plan fields a Stem reads.
Mbv3Plan StemPlan(const OpShape& s) {
  Mbv3Plan plan;
  plan.resolution = s.resolution;
  plan.in_channels = s.in_channels;
  plan.stem_channels = s.out_channels;
  plan.stem_stride = s.stride;
  return plan;
}

// A Head whose part `kind` has the op's widths; the other widths are the
// op's too (they size layers the op does not run).
Mbv3Plan HeadPlan(const OpShape& s, Mbv3Op::Kind kind) {
  Mbv3Plan plan;
  plan.head_resolution = s.resolution;
  switch (kind) {
    case Mbv3Op::Kind::kHeadConv:
      plan.head_in_channels = s.in_channels;
      plan.head_channels = s.out_channels;
      plan.feature_channels = s.out_channels;
      plan.num_classes = 1;
      break;
    case Mbv3Op::Kind::kHeadFeature:
      plan.head_in_channels = s.in_channels;
      plan.head_channels = s.in_channels;
      plan.feature_channels = s.out_channels;
      plan.num_classes = 1;
      break;
    default:  // the classifier
      plan.head_in_channels = s.in_channels;
      plan.head_channels = s.in_channels;
      plan.feature_channels = s.in_channels;
      plan.num_classes = s.out_channels;
      break;
  }
  return plan;
}

absl::Status CheckShape(const OpShape& s, int batch) {
  if (batch < 1) {
    return absl::InvalidArgumentError(absl::StrCat("batch: must be >= 1, got ", batch));
  }
  if (s.in_channels < 1 || s.out_channels < 1 || s.resolution < 1 || s.stride < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "op: channels, resolution and stride must be >= 1, got ", s.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OpRun> Mbv3ProfileOp(const OpShape& s, int batch) {
  ASSIGN_OR_RETURN(const Mbv3Op op, ParseMbv3Op(s.op));
  RETURN_IF_ERROR(CheckShape(s, batch));
  switch (op.kind) {
    case Mbv3Op::Kind::kStem: {
      auto stem = Eval(mbv3::Stem(StemPlan(s)));
      auto x = Image(batch, s.in_channels, s.resolution);
      return OpRun([stem, x]() mutable { return stem->forward(x); });
    }
    case Mbv3Op::Kind::kBlock: {
      ASSIGN_OR_RETURN(const Mbv3Block shape, Mbv3BlockOfOp(s));
      auto block = Eval(mbv3::Block(shape));
      auto x = Image(batch, s.in_channels, s.resolution);
      return OpRun([block, x]() mutable { return block->forward(x); });
    }
    case Mbv3Op::Kind::kHeadConv: {
      auto head = Eval(mbv3::Head(HeadPlan(s, op.kind)));
      auto x = Image(batch, s.in_channels, s.resolution);
      return OpRun([head, x]() mutable { return head->Pooled(x); });
    }
    case Mbv3Op::Kind::kHeadFeature: {
      auto head = Eval(mbv3::Head(HeadPlan(s, op.kind)));
      auto x = torch::randn({batch, s.in_channels});
      return OpRun([head, x]() mutable { return mbv3::HardSwish(head->feature(x)); });
    }
    case Mbv3Op::Kind::kHeadClassifier: {
      auto head = Eval(mbv3::Head(HeadPlan(s, op.kind)));
      auto x = torch::randn({batch, s.in_channels});
      return OpRun([head, x]() mutable { return head->classifier(x); });
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("op: no module for \"", s.op, "\""));
}

}  // namespace edgenas
