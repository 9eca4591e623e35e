// SPDX-License-Identifier: Apache-2.0
// The driver for a fuzz target built without libFuzzer (the normal gcc build): runs every file of
// the corpus directories given, then `--mutations N` inputs made from them by random byte flips,
// insertions, deletions and truncations (fixed seed, so a failure repeats). A crash, a sanitizer
// report or an exception escaping the target fails the run. With clang, tools/fuzz builds the
// same targets against libFuzzer instead, which searches far more widely.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void mutate(std::vector<uint8_t>& v, std::mt19937_64& rng) {
  const int edits = 1 + int(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 5) {
      case 0:  // flip bits of a byte
        if (!v.empty()) v[rng() % v.size()] ^= uint8_t(1u << (rng() % 8));
        break;
      case 1:  // an extreme byte
        if (!v.empty()) v[rng() % v.size()] = (rng() & 1) ? 0xff : 0x00;
        break;
      case 2:  // insert random bytes
        v.insert(v.begin() + long(v.empty() ? 0 : rng() % (v.size() + 1)), size_t(1 + rng() % 8), uint8_t(rng()));
        break;
      case 3:  // delete a run
        if (!v.empty()) {
          const size_t at = rng() % v.size();
          v.erase(v.begin() + long(at), v.begin() + long(std::min(v.size(), at + 1 + rng() % 8)));
        }
        break;
      default:  // truncate
        v.resize(v.empty() ? 0 : rng() % v.size());
        break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  long mutations = 0;
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::atol(argv[++i]);
      continue;
    }
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      if (entry.is_regular_file()) seeds.push_back(readAll(entry.path()));
    }
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz replay: no corpus files in the directories given\n");
    return 2;
  }
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
  std::mt19937_64 rng(20261129);
  for (long i = 0; i < mutations; ++i) {
    std::vector<uint8_t> v = seeds[size_t(rng() % seeds.size())];
    mutate(v, rng);
    LLVMFuzzerTestOneInput(v.data(), v.size());
  }
  std::printf("fuzz replay: %zu corpus inputs and %ld mutations, no failure\n", seeds.size(), mutations);
  return 0;
}
