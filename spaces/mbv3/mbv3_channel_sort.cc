#include "spaces/mbv3/mbv3_channel_sort.h"

namespace edgenas {
namespace mbv3 {
namespace {

// The order that sorts `importance` descending, ties in index order.
torch::Tensor DescendingOrder(const torch::Tensor& importance) {
  return std::get<1>(importance.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
}

// tensor <- tensor reordered along `dim` by `order`, in place.
void Permute(torch::Tensor& tensor, int64_t dim, const torch::Tensor& order) {
  tensor.copy_(tensor.index_select(dim, order));
}

void PermuteBatchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& order) {
  Permute(bn.weight, 0, order);
  Permute(bn.bias, 0, order);
  Permute(bn.running_mean, 0, order);
  Permute(bn.running_var, 0, order);
}

}  // namespace

torch::Tensor MidChannelImportance(const BlockImpl& block) {
  return block.project->weight.detach().abs().sum({0, 2, 3});
}

torch::Tensor SqueezeChannelImportance(const BlockImpl& block) {
  if (block.se_expand.is_empty()) return {};
  return block.se_expand->weight.detach().abs().sum({0, 2, 3});
}

void SortChannelsByImportance(BlockImpl& block) {
  torch::NoGradGuard no_grad;
  if (!block.se_expand.is_empty()) {
    const torch::Tensor order = DescendingOrder(SqueezeChannelImportance(block));
    Permute(block.se_reduce->weight, 0, order);
    Permute(block.se_reduce->bias, 0, order);
    Permute(block.se_expand->weight, 1, order);
  }
  if (block.expand.is_empty()) return;
  const torch::Tensor order = DescendingOrder(MidChannelImportance(block));
  Permute(block.expand->weight, 0, order);
  PermuteBatchNorm(*block.expand_bn, order);
  Permute(block.dw->weight, 0, order);
  PermuteBatchNorm(*block.dw_bn, order);
  if (!block.se_reduce.is_empty()) {
    Permute(block.se_reduce->weight, 1, order);
    Permute(block.se_expand->weight, 0, order);
    Permute(block.se_expand->bias, 0, order);
  }
  Permute(block.project->weight, 1, order);
}

}  // namespace mbv3
}  // namespace edgenas
