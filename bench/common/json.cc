// SPDX-License-Identifier: Apache-2.0
// JSON writing for the perf tools: escaping (with UTF-8 validation) and the container bookkeeping that places commas.
#include "bench/common/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace weft::bench {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not one (stray
// continuation bytes, truncated sequences, overlong forms, surrogates, code points above U+10FFFF).
size_t utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::string jsonQuote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = utf8Length(text, i);
      if (n == 0) {
        out += "\\ufffd";  // the replacement character, for one invalid byte
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

void JsonWriter::newline() {
  out_ += '\n';
  out_.append(2 * stack_.size(), ' ');
}

// Puts the separator a value needs where it goes, or throws if no value may go there.
void JsonWriter::beforeValue() {
  if (stack_.empty()) {
    if (done_) throw std::logic_error("JsonWriter: a second top-level value");
    return;
  }
  Frame& top = stack_.back();
  if (top.object) {
    if (!top.keyed) throw std::logic_error("JsonWriter: a value in an object needs a key first");
    top.keyed = false;
    return;
  }
  if (!top.empty) out_ += ',';
  top.empty = false;
  newline();
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (stack_.empty() || !stack_.back().object || stack_.back().keyed) {
    throw std::logic_error("JsonWriter: key() outside an object or twice in a row");
  }
  Frame& top = stack_.back();
  if (!top.empty) out_ += ',';
  top.empty = false;
  top.keyed = true;
  newline();
  out_ += jsonQuote(name);
  out_ += ": ";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view token) {
  beforeValue();
  out_.append(token);
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::beginObject() {
  beforeValue();
  out_ += '{';
  stack_.push_back({.object = true});
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  beforeValue();
  out_ += '[';
  stack_.push_back({.object = false});
  return *this;
}

JsonWriter& JsonWriter::close(bool object, char bracket) {
  if (stack_.empty() || stack_.back().object != object || stack_.back().keyed) {
    throw std::logic_error("JsonWriter: closing a container that is not open (or a key without value)");
  }
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) newline();
  out_ += bracket;
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::endObject() { return close(true, '}'); }
JsonWriter& JsonWriter::endArray() { return close(false, ']'); }

JsonWriter& JsonWriter::string(std::string_view text) { return raw(jsonQuote(text)); }
JsonWriter& JsonWriter::integer(int64_t value) { return raw(std::to_string(value)); }
JsonWriter& JsonWriter::unsignedInteger(uint64_t value) { return raw(std::to_string(value)); }
JsonWriter& JsonWriter::boolean(bool value) { return raw(value ? "true" : "false"); }
JsonWriter& JsonWriter::null() { return raw("null"); }

JsonWriter& JsonWriter::number(double value) {
  if (!std::isfinite(value)) return null();
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);  // shortest round trip
  return raw(std::string_view(text, static_cast<size_t>(result.ptr - text)));
}

std::string JsonWriter::str() const {
  if (!done_ || !stack_.empty()) throw std::logic_error("JsonWriter: the document is not complete");
  return out_ + '\n';
}

}  // namespace weft::bench
