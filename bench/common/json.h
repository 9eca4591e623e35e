// SPDX-License-Identifier: Apache-2.0
// A small streaming JSON writer (objects, arrays, escaped strings, numbers) for the perf tools' -J report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::bench {

// The JSON string literal for text, quotes included: '"' and '\' are escaped, control characters
// become \n, \t, ... or \u00XX, and a byte that is not part of valid UTF-8 becomes \ufffd, so that
// the document is valid UTF-8 whatever bytes a host name or an argument holds.
std::string jsonQuote(std::string_view text);

// Builds one JSON document into a string, indented by two spaces per level. Values go where
// the structure allows one: at the top (once), after key(), or inside an array. Misuse (a value
// without a key inside an object, closing what is not open, str() before the end) throws
// std::logic_error: it is a bug in the caller, never an input error. Not thread-safe.
class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& integer(int64_t value);
  JsonWriter& unsignedInteger(uint64_t value);
  // The shortest text that reads back as the same double; NaN and infinities (which JSON cannot
  // express) are written as null.
  JsonWriter& number(double value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();

  // The finished document, with a trailing newline. Throws std::logic_error while a container is
  // still open or when nothing was written.
  std::string str() const;

 private:
  struct Frame {
    bool object;
    bool empty = true;
    bool keyed = false;  // objects: a key was written and waits for its value
  };
  void beforeValue();
  void newline();
  JsonWriter& raw(std::string_view token);
  JsonWriter& close(bool object, char bracket);

  std::string out_;
  std::vector<Frame> stack_;
  bool done_ = false;  // the top-level value is complete
};

}  // namespace weft::bench
