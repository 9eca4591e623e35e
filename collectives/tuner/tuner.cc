// SPDX-License-Identifier: Apache-2.0
// Cost-model selection (Note [Cost model] in tuner.h).
#include "collectives/tuner/tuner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "collectives/registry.h"

namespace weft::coll {
namespace {

// The measured rank count closest to `n` on a log scale; a tie goes to the larger.
int nearestRanks(const std::vector<int>& measured, int n) {
  int best = measured.front();
  for (int m : measured) {
    const double d = std::abs(std::log(double(m) / n)), db = std::abs(std::log(double(best) / n));
    if (d < db - 1e-12 || (std::abs(d - db) <= 1e-12 && m > best)) best = m;
  }
  return best;
}

double ratio(double num, double den) { return den > 0 ? num / den : 1; }

}  // namespace

Tuner::Tuner(const TuningTable& table, std::string_view transport, int nranks)
    : transport_(transport), nranks_(nranks), origin_(table.origin()) {
  for (const Algorithm* algo : algorithms()) {
    std::vector<int> measured;
    for (const TuningEntry& e : table.entries()) {
      if (e.kind == algo->kind() && e.algorithm == algo->name() && e.transport == transport) measured.push_back(e.nranks);
    }
    if (measured.empty()) continue;
    Model m{algo, nearestRanks(measured, nranks), {}};
    const CostShape here = algo->shape(nranks), there = algo->shape(m.measuredRanks);
    const double alphaScale = ratio(here.steps, there.steps), betaScale = ratio(here.volume, there.volume);
    for (const TuningEntry& e : table.entries()) {
      if (e.kind != algo->kind() || e.algorithm != algo->name() || e.transport != transport ||
          e.nranks != m.measuredRanks) {
        continue;
      }
      m.bands.push_back({e.lo, e.hi, e.alphaUs * alphaScale, e.betaNsPerByte * 1e-3 * betaScale});
    }
    std::sort(m.bands.begin(), m.bands.end(), [](const Band& a, const Band& b) { return a.lo < b.lo; });
    models_[size_t(algo->kind())].push_back(std::move(m));
  }
}

double Tuner::Model::predict(size_t bytes) const {
  // The band holding `bytes`; outside every band, the nearest one below (or the first).
  const Band* band = &bands.front();
  for (const Band& b : bands) {
    if (b.lo <= bytes) band = &b;
    if (bytes < b.hi && b.lo <= bytes) break;
  }
  return band->alphaUs + band->betaUsPerByte * double(bytes);
}

const Tuner::Model* Tuner::modelFor(const Algorithm& algo) const {
  for (const Model& m : models_[size_t(algo.kind())]) {
    if (m.algo == &algo) return &m;
  }
  return nullptr;
}

std::optional<double> Tuner::predict(const Algorithm& algo, size_t bytes) const {
  const Model* m = modelFor(algo);
  if (!m) return std::nullopt;
  return m->predict(bytes);
}

const Algorithm* Tuner::choose(const CollArgs& args, const Context& ctx, bool withHandOff) const {
  const size_t bytes = args.count * dtypeSize(args.dtype);
  const Algorithm* best = nullptr;
  const Algorithm* bestPlain = nullptr;
  double bestUs = 0, bestPlainUs = 0, roundUs = -1;  // -1: no plain candidate yet
  for (const Model& m : models_[size_t(args.kind)]) {
    if (!m.algo->supports(args, ctx)) continue;
    const double us = m.predict(bytes);
    if (!best || us < bestUs) {
      best = m.algo;
      bestUs = us;
    }
    if (m.algo->handsOff()) continue;
    if (!bestPlain || us < bestPlainUs) {
      bestPlain = m.algo;
      bestPlainUs = us;
    }
    const double smallest = m.predict(1);
    if (roundUs < 0 || smallest < roundUs) roundUs = smallest;
  }
  // A call that is handed off pays one round of small messages more than its fallback (Note
  // [Shared algorithms]): worth risking only where that is a small share of the call.
  if (best && best->handsOff() && (!withHandOff || (bestPlain && roundUs > kHandOffShare * bestPlainUs))) {
    return bestPlain;
  }
  return best;
}

std::string Tuner::explain(const CollArgs& args, const Context& ctx) const {
  const size_t bytes = args.count * dtypeSize(args.dtype);
  std::vector<std::pair<double, const Model*>> ranked;
  for (const Model& m : models_[size_t(args.kind)]) {
    if (m.algo->supports(args, ctx)) ranked.emplace_back(m.predict(bytes), &m);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "predicted ";
  char buf[96];
  for (size_t i = 0; i < ranked.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%s %.3g us", i ? " < " : "", std::string(ranked[i].second->algo->name()).c_str(),
                  ranked[i].first);
    out += buf;
  }
  if (!ranked.empty() && ranked.front().second->algo->handsOff() && choose(args, ctx) != ranked.front().second->algo) {
    out += "; " + std::string(ranked.front().second->algo->name()) + " passed over: a hand-off would cost over " +
           std::to_string(int(kHandOffShare * 100)) + "% of the next";
  }
  const int measured = ranked.empty() ? nranks_ : ranked.front().second->measuredRanks;
  std::snprintf(buf, sizeof(buf), " (%s, %d ranks, constants measured at %d; ", transport_.c_str(), nranks_, measured);
  return out + buf + origin_ + ")";
}

}  // namespace weft::coll
