// SPDX-License-Identifier: Apache-2.0
// Flag parsing for train_mnist: --name value or --name=value, numbers checked for range.
#include "train/trainer/options.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>

namespace weft::train {
namespace {

int64_t toInt(const std::string& flag, const std::string& v, int64_t lo, int64_t hi = INT32_MAX) {
  size_t used = 0;
  int64_t x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw std::invalid_argument(flag + " takes an integer, not '" + v + "'");
  if (x < lo) throw std::invalid_argument(flag + " must be at least " + std::to_string(lo));
  if (x > hi) throw std::invalid_argument(flag + " must be at most " + std::to_string(hi));
  return x;
}

double toDouble(const std::string& flag, const std::string& v) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw std::invalid_argument(flag + " takes a number, not '" + v + "'");
  if (!std::isfinite(x)) throw std::invalid_argument(flag + " must be a finite number, not '" + v + "'");
  if (x < 0) throw std::invalid_argument(flag + " must not be negative");
  return x;
}

}  // namespace

const char* trainUsage() {
  return "usage: train_mnist [options]   (alone, or under weftrun, mpirun, srun, torchrun)\n"
         "  --data DIR             MNIST-format directory (default /usr/share/datasets/fashion-mnist)\n"
         "  --epochs N             (default 1)\n"
         "  --batch-size N         per rank (default 64)\n"
         "  --lr X  --momentum X  --weight-decay X  --nesterov   SGD (defaults 0.01, 0.9, 0, off)\n"
         "  --clip X               global gradient-norm limit, 0 for none (default 10)\n"
         "  --seed N               initialisation and shuffling (default 1)\n"
         "  --data-dist shard|scatter   each rank reads its shard, or rank 0 scatters them\n"
         "  --checkpoint DIR  --checkpoint-every N  --resume\n"
         "  --elastic              when a rank dies, the others go on without it from the last checkpoint\n"
         "  --max-steps N          stop after N steps in all, with a checkpoint, as if interrupted\n"
         "  --threads N            BLAS threads per rank (default 1)\n"
         "  --limit N  --test-limit N   use only the first N training / test images\n"
         "  --metrics FILE         append one JSON object per epoch\n"
         "  --verify N             every N steps check that all ranks hold identical parameters\n"
         "  --log-every N          log line every N steps when not on a terminal (default 100)\n"
         "  --bucket-kb N          gradient all-reduce bucket size (default 32)\n"
         "  --no-progress          plain log lines even on a terminal\n";
}

bool parseTrainOptions(int argc, char** argv, TrainOptions* o, std::string* error) {
  using Setter = std::function<void(const std::string&, const std::string&)>;
  const std::map<std::string, Setter> valued = {
      {"--data", [&](auto&, auto& v) { o->data = v; }},
      {"--epochs", [&](auto& f, auto& v) { o->epochs = int(toInt(f, v, 1)); }},
      {"--batch-size", [&](auto& f, auto& v) { o->batchSize = int(toInt(f, v, 1)); }},
      {"--lr", [&](auto& f, auto& v) { o->lr = toDouble(f, v); }},
      {"--momentum", [&](auto& f, auto& v) { o->momentum = toDouble(f, v); }},
      {"--weight-decay", [&](auto& f, auto& v) { o->weightDecay = toDouble(f, v); }},
      {"--clip", [&](auto& f, auto& v) { o->clip = toDouble(f, v); }},
      {"--seed", [&](auto& f, auto& v) { o->seed = uint64_t(toInt(f, v, 0, INT64_MAX)); }},
      {"--data-dist",
       [&](auto& f, auto& v) {
         if (v != "shard" && v != "scatter") throw std::invalid_argument(f + " is shard or scatter, not '" + v + "'");
         o->scatter = v == "scatter";
       }},
      {"--checkpoint", [&](auto&, auto& v) { o->checkpointDir = v; }},
      {"--checkpoint-every", [&](auto& f, auto& v) { o->checkpointEvery = toInt(f, v, 0, INT64_MAX); }},
      {"--max-steps", [&](auto& f, auto& v) { o->maxSteps = toInt(f, v, 0, INT64_MAX); }},
      {"--threads", [&](auto& f, auto& v) { o->threads = int(toInt(f, v, 1, 1024)); }},
      {"--limit", [&](auto& f, auto& v) { o->limit = toInt(f, v, 0, INT64_MAX); }},
      {"--test-limit", [&](auto& f, auto& v) { o->testLimit = toInt(f, v, 0, INT64_MAX); }},
      {"--metrics", [&](auto&, auto& v) { o->metrics = v; }},
      {"--verify", [&](auto& f, auto& v) { o->verifyEvery = toInt(f, v, 0, INT64_MAX); }},
      {"--log-every", [&](auto& f, auto& v) { o->logEvery = toInt(f, v, 1, INT64_MAX); }},
      {"--bucket-kb", [&](auto& f, auto& v) { o->bucketKiB = toInt(f, v, 1, int64_t(1) << 30); }},
  };
  try {
    for (int i = 1; i < argc; ++i) {
      std::string flag = argv[i], value;
      if (flag == "-h" || flag == "--help") {
        std::fputs(trainUsage(), stdout);
        std::exit(0);
      }
      if (flag == "--nesterov") { o->nesterov = true; continue; }
      if (flag == "--resume") { o->resume = true; continue; }
      if (flag == "--elastic") { o->elastic = true; continue; }
      if (flag == "--no-progress") { o->progress = false; continue; }
      const size_t eq = flag.find('=');
      const bool inline_ = eq != std::string::npos;
      if (inline_) value = flag.substr(eq + 1), flag = flag.substr(0, eq);
      const auto it = valued.find(flag);
      if (it == valued.end()) throw std::invalid_argument("unknown option '" + flag + "'");
      if (!inline_) {
        if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
        value = argv[++i];
      }
      it->second(flag, value);
    }
    if (o->resume && o->checkpointDir.empty()) throw std::invalid_argument("--resume needs --checkpoint DIR");
    if (o->elastic && o->checkpointDir.empty()) {
      throw std::invalid_argument("--elastic needs --checkpoint DIR (the survivors go on from the last checkpoint)");
    }
  } catch (const std::invalid_argument& e) {
    *error = e.what();
    return false;
  }
  return true;
}

}  // namespace weft::train
