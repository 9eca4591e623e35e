// SPDX-License-Identifier: Apache-2.0
// MnistNet's forward and backward passes, layer by layer.
#include "train/nn/mnist_net.h"

namespace weft::train {

template <class T>
MnistNet<T>::MnistNet()
    : conv1_(params_, "conv1", 1, 20, 5), conv2_(params_, "conv2", 20, 20, 5), fc1_(params_, "fc1", 320, 50),
      fc2_(params_, "fc2", 50, kClasses) {}

template <class T>
void MnistNet<T>::init(Rng& rng) {
  conv1_.init(rng);
  conv2_.init(rng);
  fc1_.init(rng);
  fc2_.init(rng);
}

template <class T>
double MnistNet<T>::forward(const TensorT<T>& x, const uint8_t* labels) {
  expectShape("mnist_net", x.shape, {-1, 1, kImageSide, kImageSide});
  conv1_.forward(x, c1_);
  pool1_.forward(c1_, p1_);
  conv2_.forward(p1_, c2_);
  pool2_.forward(c2_, p2_);
  p2_.resize({p2_.dim(0), p2_.dim(1) * p2_.dim(2) * p2_.dim(3)});  // flatten: same storage order
  fc1_.forward(p2_, h1_);
  relu3_.forward(h1_, r3_);
  fc2_.forward(r3_, out_);
  return loss_.forward(out_, labels);
}

template <class T>
void MnistNet<T>::backward(const std::function<void(size_t)>& ready) {
  auto done = [&](size_t first) {
    if (ready) ready(first);
  };
  loss_.backward(g_);
  fc2_.backward(g_, &g2_);
  done(fc2_.weightIndex());
  relu3_.backward(g2_, g_);
  fc1_.backward(g_, &g2_);
  done(fc1_.weightIndex());
  g2_.resize({g2_.dim(0), 20, 4, 4});  // unflatten
  pool2_.backward(g2_, g_);
  conv2_.backward(g_, &g2_);
  done(conv2_.weightIndex());
  pool1_.backward(g2_, g_);
  conv1_.backward(g_, nullptr);  // the images need no gradient
  done(conv1_.weightIndex());
}

template class MnistNet<float>;
template class MnistNet<double>;

}  // namespace weft::train
