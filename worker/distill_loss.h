// Losses of flash distillation: the student learns from the teacher's
// softened outputs and, optionally, from its normalised feature maps.
#ifndef EDGENAS_WORKER_DISTILL_LOSS_H_
#define EDGENAS_WORKER_DISTILL_LOSS_H_

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace edgenas {

// alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, labels),
// both averaged over the batch. student_logits, teacher_logits: [B, K];
// labels: [B] int64. The teacher gets no gradient. The T^2 factor keeps the
// soft term's gradients on the scale of the hard term's (Hinton et al.).
torch::Tensor DistillationLoss(const torch::Tensor& student_logits,
                               const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                               double alpha, double temperature);

// Mean over feature pairs of the squared distance between the per-example
// L2-normalised student and teacher maps (each [B, C, H, W] with equal
// shapes pairwise; the caller adapts widths first). 0 for no pairs.
torch::Tensor FeatureTransferLoss(const std::vector<torch::Tensor>& student,
                                  const std::vector<torch::Tensor>& teacher);

// 1x1 convolutions (no bias) mapping each student feature map's width to
// the teacher's at the same position, and the identity where they agree;
// trained with the student, discarded after it.
class FeatureAdaptersImpl : public torch::nn::Module {
 public:
  // One adapter per position; the vectors must have equal sizes.
  FeatureAdaptersImpl(const std::vector<int64_t>& student_widths,
                      const std::vector<int64_t>& teacher_widths);
  // The student's maps, each mapped to its teacher's width.
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& student);
  // How many positions use a convolution rather than the identity.
  int convolutions() const;

 private:
  std::vector<torch::nn::Conv2d> convs_;  // undefined where widths agree
};
TORCH_MODULE(FeatureAdapters);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_DISTILL_LOSS_H_
