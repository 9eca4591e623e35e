// SPDX-License-Identifier: Apache-2.0
// Prints each collective that has a choice of algorithms, with its algorithms in registry order,
// as `weft-tune --list` does: the test compares the two lists.
#include <cstdio>
#include <string>

#include "collectives/registry.h"

int main() {
  using namespace weft::coll;
  for (int k = 0; k < kCollKinds; ++k) {
    std::string line = collName(CollKind(k));
    int n = 0;
    for (const Algorithm* a : algorithms()) {
      if (int(a->kind()) != k) continue;
      line += " " + std::string(a->name());
      ++n;
    }
    if (n > 1) std::printf("%s\n", line.c_str());
  }
  return 0;
}
