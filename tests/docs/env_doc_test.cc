// SPDX-License-Identifier: Apache-2.0
// docs/env.md must list exactly the variables of runtime/config.cc, with the same type and default.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "runtime/config.h"
#include "weft_config.h"

TEST_CASE("docs/env.md and the WEFT_* table agree", "[docs]") {
  std::ifstream doc(std::string(WEFT_SOURCE_DIR) + "/docs/env.md");
  REQUIRE(doc.good());
  // | `WEFT_NAME` | type | `default` | meaning |
  const std::regex row(R"(^\| `(WEFT_[A-Z0-9_]+)` \| ([a-z]+) \| `([^`]*)` \| (.+) \|$)");
  std::map<std::string, std::pair<std::string, std::string>> documented;
  std::string line;
  while (std::getline(doc, line)) {
    std::smatch m;
    if (std::regex_match(line, m, row)) documented[m[1]] = {m[2], m[3]};
  }
  const auto table = weft::runtime::variables();
  REQUIRE(documented.size() == table.size());
  for (const auto& v : table) {
    INFO(v.name);
    REQUIRE(documented.count(v.name) == 1);
    CHECK(documented[v.name].first == weft::runtime::typeName(v.type));
    CHECK(documented[v.name].second == v.defaultValue);
  }
}

TEST_CASE("every default in the table parses", "[config]") {
  REQUIRE_NOTHROW(weft::runtime::loadConfig());
  CHECK(weft::runtime::parseBytes("X", "256K") == 256u << 10);
  CHECK(weft::runtime::parseBytes("X", "2M") == 2u << 20);
  CHECK_THROWS(weft::runtime::parseBytes("X", "12Q"));
}
