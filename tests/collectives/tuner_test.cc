// SPDX-License-Identifier: Apache-2.0
// Tuning tables and the tuner: parsing and refusals, merging, scaling to unmeasured rank counts,
// and the choice it makes (against WEFT_ALGO and the defaults).
#include <catch2/catch.hpp>

#include <string>

#include "collectives/registry.h"
#include "collectives/tuner/table.h"
#include "collectives/tuner/tuner.h"
#include "common/error.h"

using namespace weft::coll;

namespace {

// At 4 ranks halving-doubling costs less per call and more per byte than the ring: it wins below
// 30000 bytes (10 us + 2 ns/B against 40 us + 1 ns/B) and the ring above.
const char* kTable = R"(# a comment
weft-tuning 1
allreduce ring shm 4 0-inf 40 1
allreduce halving_doubling shm 4 0-inf 10 2   # trailing comment
broadcast chain shm 2 0-1K 5 0
broadcast chain shm 2 1K-inf 3 0.5
)";

const Algorithm& named(CollKind kind, std::string_view name) {
  for (const Algorithm* a : algorithms()) {
    if (a->kind() == kind && a->name() == name) return *a;
  }
  FAIL("no algorithm " << name);
  throw;
}

Context contextOf(int size) {
  Context ctx;
  ctx.size = size;
  ctx.peerReads = true;  // one host whose ranks read each other's memory (direct algorithms)
  return ctx;
}

CollArgs allReduce(size_t bytes) {
  CollArgs a;
  a.count = bytes / 4;
  return a;
}

}  // namespace

TEST_CASE("Tuning table: the text format", "[tuner]") {
  const TuningTable t = TuningTable::parse(kTable, "test");
  REQUIRE(t.entries().size() == 4);
  const TuningEntry& e = t.entries()[1];
  CHECK(e.kind == CollKind::AllReduce);
  CHECK(e.algorithm == "halving_doubling");
  CHECK(e.transport == "shm");
  CHECK(e.nranks == 4);
  CHECK(e.lo == 0);
  CHECK(e.hi == SIZE_MAX);
  CHECK(e.alphaUs == 10);
  CHECK(e.betaNsPerByte == 2);
  CHECK(t.entries()[3].lo == 1024);
  CHECK(t.origin() == "test");
}

TEST_CASE("Tuning table: malformed tables are refused, naming the line", "[tuner]") {
  using Catch::Contains;
  const std::string h = "weft-tuning 1\n";
  CHECK_THROWS_WITH(TuningTable::parse("", "f"), Contains("not a tuning table"));
  CHECK_THROWS_WITH(TuningTable::parse("allreduce ring shm 2 0-inf 1 1\n", "f"), Contains("f:1: a tuning table starts with"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce ring shm 2 0-inf 1\n", "f"), Contains("f:2: expected 7 fields"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce ring shm 2 0-inf 1 1 1\n", "f"), Contains("expected 7 fields"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduc ring shm 2 0-inf 1 1\n", "f"), Contains("unknown collective 'allreduc'"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce chain shm 2 0-inf 1 1\n", "f"), Contains("no allreduce algorithm is called 'chain'"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce ring shm 0 0-inf 1 1\n", "f"), Contains("bad rank count"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce ring shm 2 4K-1K 1 1\n", "f"), Contains("bad size range"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce ring shm 2 0-inf -1 1\n", "f"), Contains("finite numbers >= 0"));
  CHECK_THROWS_WITH(TuningTable::parse(h + "allreduce ring shm 2 0-inf 1 nan\n", "f"), Contains("finite numbers >= 0"));
  CHECK_THROWS_WITH(TuningTable::load("/nonexistent/weft.conf"), Contains("cannot read the tuning table '/nonexistent/weft.conf'"));
}

TEST_CASE("Tuning table: a calibration replaces what it covers, fingerprints tell tables apart", "[tuner]") {
  const TuningTable base = TuningTable::parse(kTable, "base");
  const TuningTable over = TuningTable::parse("weft-tuning 1\nallreduce ring shm 8 0-inf 1 1\n", "over");
  const TuningTable merged = base.overriddenBy(over);
  CHECK(merged.origin() == "over over base");
  REQUIRE(merged.entries().size() == 3);  // both broadcast lines, and the one all-reduce line of `over`
  for (const TuningEntry& e : merged.entries()) {
    if (e.kind == CollKind::AllReduce) CHECK(e.nranks == 8);
  }
  CHECK(base.fingerprint() == TuningTable::parse(kTable, "other name").fingerprint());
  CHECK(base.fingerprint() != merged.fingerprint());
  std::string changed = kTable;
  changed.replace(changed.find(" 40 1"), 5, " 41 1");
  CHECK(base.fingerprint() != TuningTable::parse(changed, "base").fingerprint());
}

TEST_CASE("Tuner: the least predicted time wins, per size", "[tuner]") {
  const Tuner tuner(TuningTable::parse(kTable, "test"), "shm", 4);
  const Context ctx = contextOf(4);
  CHECK(tuner.predict(named(CollKind::AllReduce, "ring"), 1000).value() == Approx(41));
  CHECK(tuner.predict(named(CollKind::AllReduce, "halving_doubling"), 1000).value() == Approx(12));
  // 10 + 0.002 B = 40 + 0.001 B at B = 30000.
  CHECK(tuner.choose(allReduce(29996), ctx)->name() == "halving_doubling");
  CHECK(tuner.choose(allReduce(30004), ctx)->name() == "ring");
  CHECK_THAT(tuner.explain(allReduce(1000), ctx),
             Catch::Contains("halving_doubling 12 us < ring 41 us") && Catch::Contains("shm, 4 ranks"));
  // Other transports have no constants: no choice, and no prediction.
  const Tuner other(TuningTable::parse(kTable, "test"), "tcp", 4);
  CHECK(other.choose(allReduce(1000), ctx) == nullptr);
  CHECK_FALSE(other.predict(named(CollKind::AllReduce, "ring"), 1000).has_value());
}

TEST_CASE("Tuner: size bands", "[tuner]") {
  const Tuner tuner(TuningTable::parse(kTable, "test"), "shm", 2);
  const Algorithm& chain = named(CollKind::Broadcast, "chain");
  CHECK(tuner.predict(chain, 1023).value() == Approx(5));
  CHECK(tuner.predict(chain, 2048).value() == Approx(3 + 1.024));
}

TEST_CASE("Tuner: unmeasured rank counts scale the nearest measured one by the algorithm's shape", "[tuner]") {
  const Tuner tuner(TuningTable::parse(kTable, "test"), "shm", 16);
  const Algorithm& ring = named(CollKind::AllReduce, "ring");
  const CostShape at16 = ring.shape(16), at4 = ring.shape(4);
  CHECK(at16.steps == 30);
  CHECK(at4.steps == 6);
  const double expected = 40 * at16.steps / at4.steps + 1e-3 * at16.volume / at4.volume * 1e6;
  CHECK(tuner.predict(ring, 1000000).value() == Approx(expected));
  // Equally far (on a log scale) from 2 and 8: the larger count's constants are used.
  const Tuner mid(TuningTable::parse("weft-tuning 1\nallreduce ring shm 2 0-inf 1 0\nallreduce ring shm 8 0-inf 7 0\n", "t"),
                  "shm", 4);
  CHECK(mid.predict(ring, 8).value() == Approx(7 * ring.shape(4).steps / ring.shape(8).steps));
}

TEST_CASE("Tuner: algorithms that decline a call are passed over", "[tuner]") {
  const Tuner tuner(TuningTable::parse("weft-tuning 1\nallgather ring shm 3 0-inf 100 0\n"
                                       "allgather recursive_doubling shm 3 0-inf 1 0\n", "t"), "shm", 3);
  CollArgs a;
  a.kind = CollKind::AllGather;
  a.count = 10;
  CHECK(tuner.choose(a, contextOf(3))->name() == "ring");  // recursive doubling: powers of two only
}

TEST_CASE("Tuner: a shared algorithm only where a hand-off costs little, with its fallback", "[tuner]") {
  // shared is the cheapest everywhere; a hand-off costs one round, about ring's 1 us at 1 byte,
  // which is at most 2% of ring's time from 50 us (ring: 1 us + 1 ns/B, past 49000 bytes).
  const Tuner tuner(TuningTable::parse("weft-tuning 1\nallreduce ring shm 2 0-inf 1 1\n"
                                       "allreduce shared shm 2 0-inf 0.5 0.5\n", "t"), "shm", 2);
  const Context ctx = contextOf(2);
  CHECK(tuner.choose(allReduce(40000), ctx)->name() == "ring");
  CHECK(tuner.choose(allReduce(60000), ctx)->name() == "shared");
  CHECK(tuner.choose(allReduce(60000), ctx, false)->name() == "ring");
  const Selection s = selectAlgorithm(allReduce(60000), ctx, AlgoSpec::parse(""), tuner);
  CHECK(s.algorithm->name() == "shared");
  REQUIRE(s.fallback != nullptr);
  CHECK(s.fallback->name() == "ring");
  CHECK(selectAlgorithm(allReduce(40000), ctx, AlgoSpec::parse(""), tuner).fallback == nullptr);
  // Forced, it still gets the tuner's fallback; without peer reads it declines altogether.
  const Selection forced = selectAlgorithm(allReduce(8), ctx, AlgoSpec::parse("allreduce:shared"), tuner);
  CHECK(forced.algorithm->name() == "shared");
  REQUIRE(forced.fallback != nullptr);
  CHECK(forced.fallback->name() == "ring");
  Context far = contextOf(2);
  far.peerReads = false;
  CHECK(selectAlgorithm(allReduce(60000), far, AlgoSpec::parse("allreduce:shared"), tuner).algorithm->name() == "ring");
}

TEST_CASE("selectAlgorithm: WEFT_ALGO, then the tuner, then the default", "[tuner]") {
  const Tuner tuner(TuningTable::parse(kTable, "test"), "shm", 4);
  const Context ctx = contextOf(4);
  const Selection tuned = selectAlgorithm(allReduce(64), ctx, AlgoSpec::parse(""), tuner);
  CHECK(tuned.algorithm->name() == "halving_doubling");
  CHECK(tuned.why == Selection::Why::Tuned);
  const Selection forced = selectAlgorithm(allReduce(64), ctx, AlgoSpec::parse("allreduce:ring"), tuner);
  CHECK(forced.algorithm->name() == "ring");
  CHECK(forced.why == Selection::Why::Forced);
  CollArgs reduce;
  reduce.kind = CollKind::Reduce;
  reduce.count = 16;
  const Selection fallback = selectAlgorithm(reduce, ctx, AlgoSpec::parse(""), tuner);
  CHECK(fallback.algorithm->name() == "chain");  // the first reduce algorithm
  CHECK(fallback.why == Selection::Why::Default);
}

TEST_CASE("The shipped table parses and covers every choice of one host at 2, 4 and 8 ranks", "[tuner]") {
  const TuningTable& t = TuningTable::builtin();
  CHECK(t.origin() == "built-in");
  for (const Algorithm* a : algorithms()) {
    int kindAlgorithms = 0;
    for (const Algorithm* b : algorithms()) kindAlgorithms += b->kind() == a->kind();
    if (kindAlgorithms < 2) continue;  // nothing to choose
    for (int n : {2, 4, 8}) {
      // Only what a one-host job of n ranks can run (not recursive doubling at 3 ranks, nor the
      // hierarchical all-reduce anywhere on one host).
      CollArgs call;
      call.kind = a->kind();
      call.count = 1024;
      if (!a->supports(call, contextOf(n))) continue;
      bool covered = false;
      for (const TuningEntry& e : t.entries()) {
        covered = covered || (e.kind == a->kind() && e.algorithm == a->name() && e.transport == "shm" &&
                              e.nranks == n && e.lo == 0);
      }
      INFO(collName(a->kind()) << " " << a->name() << " at " << n << " ranks");
      CHECK(covered);
    }
  }
}

TEST_CASE("The shipped table knows jobs over several hosts: hierarchical all-reduce for large messages at 2 x 2",
          "[tuner]") {
  // A 2-host job of 2 ranks each: shared memory inside a host, TCP between (transport "shm+tcp").
  const Tuner tuner(TuningTable::builtin(), "shm+tcp", 4);
  Context ctx = contextOf(4);
  const std::vector<int> hostOf{0, 0, 1, 1};
  ctx.hostOf = hostOf;
  ctx.hostCount = 2;
  ctx.ranksPerHost = 2;
  ctx.peerReads = false;  // ranks on other hosts: no direct algorithms
  for (size_t bytes : {size_t(1) << 20, size_t(16) << 20}) {
    const Algorithm* a = tuner.choose(allReduce(bytes), ctx);
    REQUIRE(a != nullptr);
    INFO(bytes << " bytes: " << tuner.explain(allReduce(bytes), ctx));
    // The ring sends 1.5x the bytes over each host's link; halving-doubling ties the hierarchical
    // one at 4 ranks (its long-distance exchanges carry the small halves).
    CHECK(a->name() != "ring");
    CHECK(a->name() != "tree");
  }
  // Every all-reduce and broadcast algorithm that can run this job has constants for it.
  for (const Algorithm* a : algorithms()) {
    if (a->kind() != CollKind::AllReduce && a->kind() != CollKind::Broadcast) continue;
    CollArgs call = allReduce(1024);
    call.kind = a->kind();
    if (!a->supports(call, ctx)) continue;
    INFO(a->name());
    CHECK(tuner.predict(*a, 1024).has_value());
  }
  // One rank per host: plain TCP, measured at 2 and 4 hosts.
  for (int n : {2, 4}) {
    const Tuner tcp(TuningTable::builtin(), "tcp", n);
    CHECK(tcp.predict(named(CollKind::AllReduce, "ring"), 1024).has_value());
    CHECK(tcp.predict(named(CollKind::Broadcast, "chain"), 1024).has_value());
  }
}
