// SPDX-License-Identifier: Apache-2.0
// Reading WEFT_ALGO and WEFT_TUNE_FILE.
#include "runtime/choosing.h"

#include "common/log.h"

namespace weft::runtime {

Choosing Choosing::fromConfig(const Config& config) {
  Choosing c;
  c.spec = coll::AlgoSpec::parse(config.algo);
  const coll::TuningTable& builtin = coll::TuningTable::builtin();
  if (config.tuneFile.empty()) {
    c.table = std::shared_ptr<const coll::TuningTable>(&builtin, [](const coll::TuningTable*) {});
  } else {
    c.table = std::make_shared<const coll::TuningTable>(builtin.overriddenBy(coll::TuningTable::load(config.tuneFile)));
  }
  uint64_t h = c.table->fingerprint();
  for (char ch : config.algo) h = (h ^ uint8_t(ch)) * 1099511628211ull;
  c.fingerprint = h;
  return c;
}

}  // namespace weft::runtime
