#include "worker/distill_loss.h"

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

}  // namespace edgenas
