// SPDX-License-Identifier: Apache-2.0
// Tests of the perf tools' JSON writer: escaping, UTF-8 handling, layout, numbers and misuse.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "bench/common/json.h"

using weft::bench::JsonWriter;
using weft::bench::jsonQuote;

TEST_CASE("strings are quoted with JSON escapes", "[bench][json]") {
  CHECK(jsonQuote("") == R"("")");
  CHECK(jsonQuote("ring") == R"("ring")");
  CHECK(jsonQuote(R"(a "quoted" \ path)") == R"("a \"quoted\" \\ path")");
  CHECK(jsonQuote("tab\tnl\ncr\rbs\bff\f") == R"("tab\tnl\ncr\rbs\bff\f")");
  CHECK(jsonQuote(std::string("nul\0x", 5)) == R"("nul\u0000x")");
  CHECK(jsonQuote("\x01\x1f") == R"("\u0001\u001f")");
  CHECK(jsonQuote("/ and \x7f stay") == "\"/ and \x7f stay\"");
}

TEST_CASE("valid UTF-8 passes through, invalid bytes become U+FFFD", "[bench][json]") {
  CHECK(jsonQuote("h\xc3\xa9te") == "\"h\xc3\xa9te\"");                 // é
  CHECK(jsonQuote("\xe2\x82\xac") == "\"\xe2\x82\xac\"");               // €
  CHECK(jsonQuote("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");       // U+1F600
  CHECK(jsonQuote("a\xff" "b") == R"("a\ufffdb")");                      // never valid
  CHECK(jsonQuote("\x80") == R"("\ufffd")");                             // stray continuation
  CHECK(jsonQuote("\xc3") == R"("\ufffd")");                             // truncated at the end
  CHECK(jsonQuote("\xc3" "A") == R"("\ufffdA")");                        // truncated in the middle
  CHECK(jsonQuote("\xc0\xaf") == R"("\ufffd\ufffd")");                   // overlong '/'
  CHECK(jsonQuote("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");         // a UTF-16 surrogate
  CHECK(jsonQuote("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
}

TEST_CASE("the writer places commas, keys and indentation", "[bench][json]") {
  JsonWriter json;
  json.beginObject();
  json.key("name").string("x\"y");
  json.key("list").beginArray().integer(-1).unsignedInteger(18446744073709551615ull).boolean(true).null();
  json.endArray();
  json.key("empty_list").beginArray().endArray();
  json.key("empty_object").beginObject().endObject();
  json.key("nested").beginArray().beginObject().key("a").integer(1).endObject().endArray();
  json.endObject();
  CHECK(json.str() ==
        "{\n"
        "  \"name\": \"x\\\"y\",\n"
        "  \"list\": [\n"
        "    -1,\n"
        "    18446744073709551615,\n"
        "    true,\n"
        "    null\n"
        "  ],\n"
        "  \"empty_list\": [],\n"
        "  \"empty_object\": {},\n"
        "  \"nested\": [\n"
        "    {\n"
        "      \"a\": 1\n"
        "    }\n"
        "  ]\n"
        "}\n");
}

TEST_CASE("numbers round-trip and non-finite ones become null", "[bench][json]") {
  const auto one = [](double v) {
    JsonWriter json;
    json.number(v);
    std::string s = json.str();
    s.pop_back();
    return s;
  };
  CHECK(one(0.0) == "0");
  CHECK(one(12.5) == "12.5");
  CHECK(one(0.1) == "0.1");
  CHECK(one(-3.0) == "-3");
  CHECK(one(1e-7) == "1e-07");
  CHECK(std::stod(one(1.0 / 3.0)) == 1.0 / 3.0);
  CHECK(one(std::numeric_limits<double>::infinity()) == "null");
  CHECK(one(-std::numeric_limits<double>::infinity()) == "null");
  CHECK(one(std::nan("")) == "null");
}

TEST_CASE("misuse of the writer is a logic error", "[bench][json]") {
  {
    JsonWriter json;
    json.beginObject();
    CHECK_THROWS_AS(json.integer(1), std::logic_error);  // a value needs a key in an object
    CHECK_THROWS_AS(json.endArray(), std::logic_error);  // closing the wrong kind
    CHECK_THROWS_AS(json.str(), std::logic_error);       // not finished
    json.key("k");
    CHECK_THROWS_AS(json.key("again"), std::logic_error);
    CHECK_THROWS_AS(json.endObject(), std::logic_error);  // a key without its value
  }
  {
    JsonWriter json;
    CHECK_THROWS_AS(json.key("top"), std::logic_error);
    CHECK_THROWS_AS(json.str(), std::logic_error);  // nothing written
    json.integer(1);
    CHECK_THROWS_AS(json.integer(2), std::logic_error);  // one top-level value only
    CHECK(json.str() == "1\n");
  }
}
