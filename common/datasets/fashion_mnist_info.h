// What Fashion-MNIST is, without reading it: the one home of its image
// shape, class count, normalisation and install path (Debian's
// dataset-fashion-mnist). The reader (worker/fashion_mnist.*) and the dataset
// registry (common/datasets.cc) both take these from here.
#ifndef EDGENAS_COMMON_DATASETS_FASHION_MNIST_INFO_H_
#define EDGENAS_COMMON_DATASETS_FASHION_MNIST_INFO_H_

namespace edgenas {

inline constexpr char kFashionMnistName[] = "fashion_mnist";
inline constexpr char kFashionMnistDefaultPath[] = "/usr/share/datasets/fashion-mnist";
inline constexpr int kFashionMnistChannels = 1;
inline constexpr int kFashionMnistSide = 28;  // images are square
inline constexpr int kFashionMnistClasses = 10;
// Mean and standard deviation of the training pixels scaled to [0, 1].
inline constexpr double kFashionMnistMean = 0.2860;
inline constexpr double kFashionMnistStd = 0.3530;
// Class names in label order (the dataset's README, zalandoresearch).
inline constexpr const char* kFashionMnistClassNames[kFashionMnistClasses] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_DATASETS_FASHION_MNIST_INFO_H_
