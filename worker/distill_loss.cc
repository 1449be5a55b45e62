#include "worker/distill_loss.h"

#include <string>

namespace edgenas {

torch::Tensor DistillationLoss(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                               double alpha, double temperature) {
  const torch::Tensor log_p_student = torch::log_softmax(student_logits / temperature, /*dim=*/1);
  const torch::Tensor teacher = teacher_logits.detach();
  const torch::Tensor log_p_teacher = torch::log_softmax(teacher / temperature, /*dim=*/1);
  const torch::Tensor kl =
      (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(/*dim=*/1).mean();
  const torch::Tensor ce = torch::cross_entropy_loss(student_logits, labels);
  return alpha * temperature * temperature * kl + (1.0 - alpha) * ce;
}

torch::Tensor FeatureTransferLoss(const std::vector<torch::Tensor>& student,
                                  const std::vector<torch::Tensor>& teacher) {
  if (student.empty()) return torch::zeros({});
  torch::Tensor total;
  for (size_t i = 0; i < student.size(); ++i) {
    const torch::Tensor s = student[i].flatten(/*start_dim=*/1);
    const torch::Tensor t = teacher[i].detach().flatten(/*start_dim=*/1);
    const torch::Tensor sn = s / s.norm(2, /*dim=*/1, /*keepdim=*/true).clamp_min(1e-8);
    const torch::Tensor tn = t / t.norm(2, /*dim=*/1, /*keepdim=*/true).clamp_min(1e-8);
    const torch::Tensor term = (sn - tn).pow(2).sum(/*dim=*/1).mean();
    total = total.defined() ? total + term : term;
  }
  return total / static_cast<double>(student.size());
}

FeatureAdaptersImpl::FeatureAdaptersImpl(const std::vector<int64_t>& student_widths,
                                         const std::vector<int64_t>& teacher_widths) {
  for (size_t i = 0; i < student_widths.size() && i < teacher_widths.size(); ++i) {
    if (student_widths[i] == teacher_widths[i]) {
      convs_.emplace_back(nullptr);
      continue;
    }
    convs_.push_back(register_module(
        "adapter" + std::to_string(i),
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(student_widths[i], teacher_widths[i], 1).bias(false))));
  }
}

std::vector<torch::Tensor> FeatureAdaptersImpl::forward(const std::vector<torch::Tensor>& student) {
  std::vector<torch::Tensor> out;
  out.reserve(student.size());
  for (size_t i = 0; i < student.size(); ++i) {
    out.push_back(i < convs_.size() && !convs_[i].is_empty() ? convs_[i]->forward(student[i])
                                                            : student[i]);
  }
  return out;
}

int FeatureAdaptersImpl::convolutions() const {
  int n = 0;
  for (const auto& c : convs_) n += c.is_empty() ? 0 : 1;
  return n;
}

}  // namespace edgenas
