// SPDX-License-Identifier: Apache-2.0
// Reading WEFT_ALGO and WEFT_TUNE_FILE.
#include "runtime/choosing.h"

#include "common/hash.h"

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
  c.fingerprint = fnv1a(config.algo, c.table->fingerprint());
  return c;
}

}  // namespace weft::runtime
