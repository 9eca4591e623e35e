// SPDX-License-Identifier: Apache-2.0
// The optimizer: Sgd steps against hand-computed torch.optim.SGD updates, its argument checks and state, and clipGradNorm.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "train/optim/sgd.h"

using namespace weft::train;
using Catch::Contains;

namespace {

using Vec = std::array<float, 3>;

// Every case starts from p0 and sees the same three gradients; the rates are powers of two so
// that every expected value below is a short binary fraction, exact in float.
constexpr Vec kP0 = {1, 2, -3};
constexpr std::array<Vec, 3> kGrads = {{{1, -2, 4}, {2, 0, -4}, {-1, 1, 2}}};

struct Expected {
  Vec params;
  Vec buf;  // ignored without momentum
};

// Runs three steps and checks the parameters (and momentum buffers) exactly after each one.
void checkSteps(const SgdOptions& o, const std::array<Expected, 3>& want) {
  Sgd sgd(3, o);
  Vec p = kP0;
  for (size_t s = 0; s < 3; ++s) {
    sgd.step(p.data(), kGrads[s].data());
    for (size_t i = 0; i < 3; ++i) {
      INFO("step " << s + 1 << ", element " << i);
      CHECK(p[i] == want[s].params[i]);
      if (o.momentum != 0) CHECK(sgd.momentumBuffer()[i] == want[s].buf[i]);
    }
  }
}

double norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s);
}

}  // namespace

TEST_CASE("Sgd without momentum: p -= lr * g", "[train][optim]") {
  // lr = 1/2: p1 = (1, 2, -3) - (1, -2, 4) / 2 = (1/2, 3, -5), p2 = p1 - (2, 0, -4) / 2, ...
  checkSteps({.lr = 0.5}, {{
                              {{0.5f, 3, -5}, {}},
                              {{-0.5f, 3, -3}, {}},
                              {{0, 2.5f, -4}, {}},
                          }});
}

TEST_CASE("Sgd with momentum: buf = d on the first step, then buf = m * buf + d", "[train][optim]") {
  // m = 1/2: buf1 = g1 = (1, -2, 4), p1 = p0 - buf1 / 2 = (1/2, 3, -5);
  // buf2 = buf1 / 2 + g2 = (5/2, -1, -2), p2 = p1 - buf2 / 2 = (-3/4, 7/2, -4);
  // buf3 = buf2 / 2 + g3 = (1/4, 1/2, 1), p3 = (-7/8, 13/4, -9/2).
  checkSteps({.lr = 0.5, .momentum = 0.5}, {{
                                                {{0.5f, 3, -5}, {1, -2, 4}},
                                                {{-0.75f, 3.5f, -4}, {2.5f, -1, -2}},
                                                {{-0.875f, 3.25f, -4.5f}, {0.25f, 0.5f, 1}},
                                            }});
}

TEST_CASE("Sgd with dampening: no dampening on the first step, buf = m * buf + (1 - damp) * d after",
          "[train][optim]") {
  // m = damp = 1/2: buf1 = g1 (not g1 / 2), p1 = (1/2, 3, -5);
  // buf2 = buf1 / 2 + g2 / 2 = (3/2, -1, 0), p2 = p1 - buf2 / 2 = (-1/4, 7/2, -5);
  // buf3 = buf2 / 2 + g3 / 2 = (1/4, 0, 1), p3 = (-3/8, 7/2, -11/2).
  checkSteps({.lr = 0.5, .momentum = 0.5, .dampening = 0.5}, {{
                                                                  {{0.5f, 3, -5}, {1, -2, 4}},
                                                                  {{-0.25f, 3.5f, -5}, {1.5f, -1, 0}},
                                                                  {{-0.375f, 3.5f, -5.5f}, {0.25f, 0, 1}},
                                                              }});
}

TEST_CASE("Sgd with weight decay: d = g + wd * p", "[train][optim]") {
  SECTION("without momentum") {
    // wd = 1/4: d1 = (1, -2, 4) + (1, 2, -3) / 4 = (5/4, -3/2, 13/4), p1 = p0 - d1 / 2 = (3/8, 11/4, -37/8);
    // d2 = (2, 0, -4) + p1 / 4 = (67/32, 11/16, -165/32), p2 = p1 - d2 / 2 = (-43/64, 77/32, -131/64);
    // d3 = (-1, 1, 2) + p2 / 4, p3 = (-45/512, 411/256, -1429/512).
    checkSteps({.lr = 0.5, .weightDecay = 0.25}, {{
                                                     {{3 / 8.f, 11 / 4.f, -37 / 8.f}, {}},
                                                     {{-43 / 64.f, 77 / 32.f, -131 / 64.f}, {}},
                                                     {{-45 / 512.f, 411 / 256.f, -1429 / 512.f}, {}},
                                                 }});
  }
  SECTION("with momentum (the decay goes into the buffer)") {
    // buf1 = d1 = (5/4, -3/2, 13/4), p1 = (3/8, 11/4, -37/8);
    // buf2 = buf1 / 2 + d2 = (87/32, -1/16, -113/32), p2 = p1 - buf2 / 2 = (-63/64, 89/32, -183/64); ...
    checkSteps({.lr = 0.5, .momentum = 0.5, .weightDecay = 0.25},
               {{
                   {{3 / 8.f, 11 / 4.f, -37 / 8.f}, {5 / 4.f, -3 / 2.f, 13 / 4.f}},
                   {{-63 / 64.f, 89 / 32.f, -183 / 64.f}, {87 / 32.f, -1 / 16.f, -113 / 32.f}},
                   {{-533 / 512.f, 499 / 256.f, -1341 / 512.f}, {29 / 256.f, 213 / 128.f, -123 / 256.f}},
               }});
  }
}

TEST_CASE("Sgd with Nesterov momentum: p -= lr * (d + m * buf)", "[train][optim]") {
  SECTION("plain") {
    // buf1 = g1, p1 = p0 - (g1 + buf1 / 2) / 2 = (1, 2, -3) - (3/4, -3/2, 3) = (1/4, 7/2, -6);
    // buf2 = (5/2, -1, -2), p2 = p1 - ((2, 0, -4) + buf2 / 2) / 2 = (-11/8, 15/4, -7/2);
    // buf3 = (1/4, 1/2, 1), p3 = p2 - ((-1, 1, 2) + buf3 / 2) / 2 = (-15/16, 25/8, -19/4).
    checkSteps({.lr = 0.5, .momentum = 0.5, .nesterov = true}, {{
                                                                   {{0.25f, 3.5f, -6}, {1, -2, 4}},
                                                                   {{-1.375f, 3.75f, -3.5f}, {2.5f, -1, -2}},
                                                                   {{-0.9375f, 3.125f, -4.75f}, {0.25f, 0.5f, 1}},
                                                               }});
  }
  SECTION("with weight decay") {
    // d1 = (5/4, -3/2, 13/4) = buf1, p1 = p0 - (d1 + d1 / 2) / 2 = (1/16, 25/8, -87/16); ...
    checkSteps({.lr = 0.5, .momentum = 0.5, .weightDecay = 0.25, .nesterov = true},
               {{
                   {{1 / 16.f, 25 / 8.f, -87 / 16.f}, {5 / 4.f, -3 / 2.f, 13 / 4.f}},
                   {{-411 / 256.f, 349 / 128.f, -467 / 256.f}, {169 / 64.f, 1 / 32.f, -239 / 64.f}},
                   {{-3623 / 4096.f, 2993 / 2048.f, -10303 / 4096.f}, {-83 / 1024.f, 869 / 512.f, -331 / 1024.f}},
               }});
  }
}

TEST_CASE("Sgd with the usual decimal settings", "[train][optim]") {
  // lr = 0.1, m = 0.9, damp = 0.1, g = 1 throughout: buf = 1, 0.9 + 0.9 = 1.8, 1.62 + 0.9 = 2.52;
  // p = 1 - 0.1, 0.9 - 0.18, 0.72 - 0.252.
  Sgd sgd(1, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1});
  float p = 1;
  const float g = 1;
  const double wantP[] = {0.9, 0.72, 0.468}, wantBuf[] = {1.0, 1.8, 2.52};
  for (int s = 0; s < 3; ++s) {
    sgd.step(&p, &g);
    CHECK(p == Approx(wantP[s]).epsilon(1e-6));
    CHECK(sgd.momentumBuffer()[0] == Approx(wantBuf[s]).epsilon(1e-6));
  }
}

TEST_CASE("Sgd with lr 0 leaves the parameters but still fills the momentum buffer", "[train][optim]") {
  Sgd sgd(3, {.lr = 0, .momentum = 0.5});
  Vec p = kP0;
  sgd.step(p.data(), kGrads[0].data());
  CHECK(p == kP0);
  CHECK(sgd.momentumBuffer() == std::vector<float>(kGrads[0].begin(), kGrads[0].end()));
}

TEST_CASE("Sgd rejects bad options as PyTorch does", "[train][optim]") {
  REQUIRE_THROWS_AS(Sgd(3, {.lr = -0.1}), std::invalid_argument);
  REQUIRE_THROWS_WITH(Sgd(3, {.lr = -0.1}), Contains("learning rate"));
  REQUIRE_THROWS_AS(Sgd(3, {.momentum = -0.5}), std::invalid_argument);
  REQUIRE_THROWS_WITH(Sgd(3, {.momentum = -0.5}), Contains("momentum"));
  REQUIRE_THROWS_AS(Sgd(3, {.weightDecay = -1e-4}), std::invalid_argument);
  REQUIRE_THROWS_WITH(Sgd(3, {.weightDecay = -1e-4}), Contains("weight decay"));
  SECTION("Nesterov needs a momentum and no dampening") {
    REQUIRE_THROWS_AS(Sgd(3, {.nesterov = true}), std::invalid_argument);
    REQUIRE_THROWS_AS(Sgd(3, {.momentum = 0, .nesterov = true}), std::invalid_argument);
    REQUIRE_THROWS_AS(Sgd(3, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}), std::invalid_argument);
    REQUIRE_THROWS_WITH(Sgd(3, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}), Contains("Nesterov"));
    REQUIRE_NOTHROW(Sgd(3, {.momentum = 0.9, .nesterov = true}));
  }
  SECTION("zero and boundary values are accepted") {
    REQUIRE_NOTHROW(Sgd(3, {.lr = 0}));
    REQUIRE_NOTHROW(Sgd(3, {.momentum = 0, .dampening = 0.5}));  // dampening without momentum does nothing
    REQUIRE_NOTHROW(Sgd(3, {.momentum = 0.9, .dampening = 0.9, .weightDecay = 0}));
    REQUIRE_NOTHROW(Sgd(0, {.momentum = 0.9}));
  }
}

TEST_CASE("Sgd state: momentumBuffer and started", "[train][optim]") {
  SECTION("no buffer without momentum, started after the first step") {
    Sgd sgd(3, {.lr = 0.5});
    CHECK(sgd.momentumBuffer().empty());
    CHECK_FALSE(sgd.started());
    Vec p = kP0;
    sgd.step(p.data(), kGrads[0].data());
    CHECK(sgd.started());
    CHECK(sgd.momentumBuffer().empty());
  }
  SECTION("a zeroed buffer of the parameter count with momentum") {
    Sgd sgd(3, {.lr = 0.5, .momentum = 0.5});
    CHECK(sgd.momentumBuffer() == std::vector<float>(3, 0.0f));
    CHECK_FALSE(sgd.started());
    Vec p = kP0;
    sgd.step(p.data(), kGrads[0].data());
    CHECK(sgd.started());
    CHECK(sgd.momentumBuffer() == std::vector<float>{1, -2, 4});
  }
  SECTION("options() returns what was given") {
    const SgdOptions o{.lr = 0.25, .momentum = 0.75, .dampening = 0.125, .weightDecay = 0.5};
    Sgd sgd(3, o);
    CHECK(sgd.options().lr == o.lr);
    CHECK(sgd.options().momentum == o.momentum);
    CHECK(sgd.options().dampening == o.dampening);
    CHECK(sgd.options().weightDecay == o.weightDecay);
    CHECK_FALSE(sgd.options().nesterov);
  }
  SECTION("restoring the buffer and the flag continues the run exactly (checkpoint resume)") {
    const SgdOptions o{.lr = 0.5, .momentum = 0.5, .dampening = 0.5, .weightDecay = 0.25};
    Sgd straight(3, o), first(3, o);
    Vec a = kP0, b = kP0;
    for (const Vec& g : kGrads) straight.step(a.data(), g.data());
    first.step(b.data(), kGrads[0].data());
    Sgd resumed(3, o);
    resumed.momentumBuffer() = first.momentumBuffer();
    resumed.started() = first.started();
    resumed.step(b.data(), kGrads[1].data());
    resumed.step(b.data(), kGrads[2].data());
    CHECK(a == b);
    CHECK(resumed.momentumBuffer() == straight.momentumBuffer());
  }
  SECTION("a buffer restored without the flag is overwritten by the next d") {
    Sgd sgd(3, {.lr = 0.5, .momentum = 0.5});
    sgd.momentumBuffer() = {100, 100, 100};
    Vec p = kP0;
    sgd.step(p.data(), kGrads[0].data());
    CHECK(sgd.momentumBuffer() == std::vector<float>{1, -2, 4});
    CHECK(p == Vec{0.5f, 3, -5});
  }
}

TEST_CASE("clipGradNorm leaves gradients under the limit alone", "[train][optim][clip]") {
  std::vector<float> g = {3, 4, 0};  // norm 5
  const std::vector<float> before = g;
  CHECK(clipGradNorm(g.data(), g.size(), 10.0) == 5.0);
  CHECK(g == before);
  CHECK(clipGradNorm(g.data(), g.size(), 5.1) == 5.0);
  CHECK(g == before);
}

TEST_CASE("clipGradNorm scales by maxNorm / (norm + 1e-6) above the limit", "[train][optim][clip]") {
  SECTION("3-4-5") {
    std::vector<float> g = {3, -4, 0};
    const double pre = clipGradNorm(g.data(), g.size(), 1.0);
    CHECK(pre == 5.0);  // the norm before clipping
    const double coef = 1.0 / (5.0 + 1e-6);
    CHECK(g[0] == float(3 * coef));
    CHECK(g[1] == float(-4 * coef));
    CHECK(g[2] == 0.0f);
    CHECK(norm(g) == Approx(1.0).epsilon(1e-6));
    CHECK(norm(g) < 1.0);
  }
  SECTION("a long vector") {
    std::vector<float> g(1000);
    for (size_t i = 0; i < g.size(); ++i) g[i] = float(i % 7) - 3.0f;
    const double before = norm(g);
    const std::vector<float> orig = g;
    REQUIRE(before > 2.5);
    CHECK(clipGradNorm(g.data(), g.size(), 2.5) == Approx(before).epsilon(1e-12));
    CHECK(norm(g) == Approx(2.5).epsilon(1e-6));
    const double coef = 2.5 / (before + 1e-6);
    for (size_t i = 0; i < g.size(); ++i) REQUIRE(g[i] == float(orig[i] * coef));
  }
  SECTION("at exactly the limit the factor is just below one, as in PyTorch") {
    std::vector<float> g = {3, 4};
    CHECK(clipGradNorm(g.data(), g.size(), 5.0) == 5.0);
    CHECK(g[0] == float(3 * (5.0 / (5.0 + 1e-6))));
    CHECK(g[0] < 3.0f);
    CHECK(g[1] < 4.0f);
  }
  SECTION("maxNorm 0 zeroes the gradients") {
    std::vector<float> g = {1, -2, 2};
    CHECK(clipGradNorm(g.data(), g.size(), 0.0) == 3.0);
    CHECK(g == std::vector<float>(3, 0.0f));
  }
}

TEST_CASE("clipGradNorm on zero or no gradients", "[train][optim][clip]") {
  std::vector<float> g(5, 0.0f);
  CHECK(clipGradNorm(g.data(), g.size(), 1.0) == 0.0);
  CHECK(g == std::vector<float>(5, 0.0f));
  CHECK(clipGradNorm(nullptr, 0, 1.0) == 0.0);
}
