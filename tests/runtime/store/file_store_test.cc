// SPDX-License-Identifier: Apache-2.0
// FileStore specifics: several processes on one file, foreign files, cleanup.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "common/error.h"
#include "tests/runtime/store/store_fixture.h"

using namespace weft;
using namespace weft::store;
using weft::store::test::bytes;
using weft::store::test::str;

TEST_CASE("file store add is atomic across processes", "[store][file]") {
  test::TempDir dir;
  const std::string path = dir.file("store");
  constexpr int kAdds = 1000;

  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child opens its own FileStore (see file_store.h on fork) and reports by exit code.
    int rc = 0;
    try {
      FileStore s(path);
      s.set("child/ready", bytes("yes"));
      if (str(s.get("parent/go", Deadline::after(5))) != "go") rc = 2;
      for (int i = 0; i < kAdds; ++i) s.add("counter", 1);
      s.set("child/done", bytes("yes"));
    } catch (...) {
      rc = 1;
    }
    ::_exit(rc);
  }

  FileStore s(path);
  s.wait({"child/ready"}, Deadline::after(5));
  s.set("parent/go", bytes("go"));  // both processes now add at the same time
  for (int i = 0; i < kAdds; ++i) s.add("counter", 1);
  REQUIRE_NOTHROW(s.wait({"child/done"}, Deadline::after(10)));
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(str(s.get("counter", Deadline::after(1))) == std::to_string(2 * kAdds));
  REQUIRE(str(FileStore(path).get("counter", Deadline::after(1))) == std::to_string(2 * kAdds));
}

TEST_CASE("file store refuses a file that is not a store", "[store][file]") {
  test::TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream(path) << "some unrelated text\n";
  REQUIRE_THROWS_WITH(FileStore(path), Catch::Contains("is not a weft store file"));
}

TEST_CASE("file store removeFile deletes the file", "[store][file]") {
  test::TempDir dir;
  const std::string path = dir.file("store");
  FileStore s(path);
  s.set("k", bytes("v"));
  REQUIRE(s.describe() == "file://" + path);
  REQUIRE(::access(path.c_str(), F_OK) == 0);
  s.removeFile();
  REQUIRE(::access(path.c_str(), F_OK) != 0);
  REQUIRE_NOTHROW(s.removeFile());  // already gone is fine
  // A new job on the same path starts empty.
  REQUIRE_THROWS_AS(FileStore(path).get("k", Deadline::after(0.05)), Timeout);
}
