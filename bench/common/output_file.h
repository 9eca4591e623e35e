// SPDX-License-Identifier: Apache-2.0
// Writing a report file atomically: a temporary file next to it, then rename, so no reader sees half a file.
#pragma once

#include <string>
#include <string_view>

namespace weft::bench {

// The temporary name used for path: "<path>.tmp.<pid>", in the same directory so that rename()
// stays within one file system.
std::string temporaryPathFor(const std::string& path);

// Checks, before a long run, that writeFileAtomically(path, ...) will be able to create its
// temporary file and replace path: creates and removes the temporary file, and refuses a path
// that is a directory. Throws std::system_error naming the path and the cause.
void checkWritable(const std::string& path);

// Writes text to the temporary file, flushes it to disk (fsync) and renames it over path: path
// then holds either its old content or all of text. On failure removes the temporary file and
// throws std::system_error naming the path and the cause.
void writeFileAtomically(const std::string& path, std::string_view text);

}  // namespace weft::bench
