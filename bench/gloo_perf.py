#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Gloo, through PyTorch's torch.distributed (backend "gloo"), measured the way weft's perf tools
measure weft: the same sizes, counts, busbw factors and table, so bench/compare reads it as one
more reference. Starts RANKS processes on this host itself (rendezvous through a FileStore in a
temporary directory; gloo's TCP transport on the loopback unless GLOO_SOCKET_IFNAME says otherwise).

Usage: bench/gloo_perf.py -n RANKS -c COLLECTIVE [-b 8] [-e 32M] [-f 2] [-i 1M] [--iters 20] [-w 5]
COLLECTIVE: all_reduce, broadcast, all_gather, reduce_scatter. Float sum, out of place only (the
in-place group prints N/A); time is the mean over ranks (weft's -a 1). Needs torch with gloo,
which on Debian is importable from /usr/bin/python3 only (tools/setup --compare).

Out of place, as a PyTorch user gets it on gloo (torch 1.13):
  all_reduce      recv.copy_(send), then dist.all_reduce(recv) (torch's all-reduce is in place;
                  gloo itself starts an out-of-place all-reduce by copying its input to the output)
  broadcast       root 0: recv.copy_(send); then dist.broadcast(recv, 0) (as mpi_broadcast_perf)
  all_gather      dist.all_gather(views of the n blocks of recv, send). Gloo has no
                  all_gather_into_tensor, and crashes (SIGFPE) on zero-element blocks: rows whose
                  count is 0 print N/A
  reduce_scatter  emulated: gloo has no reduce_scatter in any form (reduce_scatter,
                  reduce_scatter_tensor and _reduce_scatter_base all raise), so
                  work.copy_(send), dist.all_reduce(work), recv.copy_(rank's block of work).
                  It moves an all-reduce's data; busbw still uses reduce-scatter's (n-1)/n.
Exit status: 0, 1 when a check found wrong values or a rank failed, 2 for a bad command line."""
import argparse
import datetime
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

COLLECTIVES = ("all_reduce", "broadcast", "all_gather", "reduce_scatter")
ELEMENT = 4  # float32
CHUNK = 1 << 20  # elements per step of the check
torch = dist = None  # imported in the ranks only (main)


def parse_size(text):
    """weft's parseSize: a number with an optional K, M or G (powers of 1024) and an optional B."""
    scales = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    s = text.strip()
    if s[-1:] in ("b", "B") and s[-2:-1].lower() in scales:
        s = s[:-1]
    scale = scales.get(s[-1:].lower(), 1)
    if scale != 1:
        s = s[:-1]
    try:
        number = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size such as 8, 64K, 32M or 1G")
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a size such as 8, 64K, 32M or 1G")
    return int(number * scale)


def size_sequence(a):
    """nccl-tests' loop (weft's sizeSequence): from -b, times -f (or plus -i) while not above -e."""
    sizes, size = [], a.b
    while size <= a.e:
        sizes.append(size)
        step = size * a.f if a.f > 1 else size + a.i
        if step == size:
            break
        size = step
    return sizes


def layout(coll, nbytes, n):
    """(count argument, elements of the row's larger buffer): bench/common/layout.cc. A block is
    rounded down to a multiple of 16 bytes, as nccl-tests does."""
    if coll in ("all_reduce", "broadcast"):
        count = nbytes // ELEMENT
        return count, count
    align = 16 // ELEMENT
    block = nbytes // ELEMENT // n // align * align
    return block, block * n


def bus_factor(coll, n):
    return {"all_reduce": 2.0 * (n - 1) / n, "broadcast": 1.0}.get(coll, (n - 1) / n)


# The columns of bench/common/table.cc, so that a row reads like weft's.
def header():
    lead = "# %10s  %12s  %8s  %6s  %6s" % ("", "", "", "", "")

    def centered(label, width=32):
        left = (width - len(label) + 2) // 2
        return " " * left + label + " " * max(width - left - len(label), 0)

    def names(*f):
        group = "  %7s  %6s  %6s %6s" % f[5:]
        return ("# %10s  %12s  %8s  %6s  %6s" % f[:5] + group + group).rstrip()

    return "\n".join([(lead + centered("out-of-place") + centered("in-place")).rstrip(),
                      names("size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong"),
                      names("(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "")])


def cell(us, algbw, busbw, wrong):
    t = "%7.0f" % us if us >= 10000 else "%7.1f" % us if us >= 100 else "%7.2f" % us
    return "  %s  %6.2f  %6.2f  %5g" % (t, algbw, busbw, wrong)


NA_CELL = "  %7s  %6s  %6s  %5s" % ("N/A", "N/A", "N/A", "N/A")


class Rank:
    """One rank's sweep. Buffers of -e bytes, written once before timing; successive iterations
    walk through them as weft's tools do (bench/common/runner.cc call())."""

    def __init__(self, a, rank, n):
        self.a, self.rank, self.n = a, rank, n
        elements = max(a.e // ELEMENT, 1)
        self.send = torch.zeros(elements, dtype=torch.float32)
        self.recv = torch.zeros(elements, dtype=torch.float32)
        self.work = torch.zeros(elements if a.c == "reduce_scatter" else 1, dtype=torch.float32)

    def calls(self, count, row, slots):
        """One closure per buffer slot, built before timing so the loop makes only the call."""
        rank, coll, out = self.rank, self.a.c, []
        for s in range(slots):
            off = s * row
            recv_elems = count if coll == "reduce_scatter" else row
            send = self.send.narrow(0, off, count if coll == "all_gather" else row)
            recv = self.recv.narrow(0, off, recv_elems)
            if coll == "all_reduce":
                def call(send=send, recv=recv):
                    recv.copy_(send)
                    dist.all_reduce(recv)
            elif coll == "broadcast":
                def call(send=send, recv=recv):
                    if rank == 0:
                        recv.copy_(send)
                    dist.broadcast(recv, 0)
            elif coll == "all_gather":
                def call(send=send, blocks=list(recv.split(count))):
                    dist.all_gather(blocks, send)
            else:
                work = self.work.narrow(0, off, row)
                def call(send=send, recv=recv, work=work, mine=work.narrow(0, rank * count, count)):
                    work.copy_(send)
                    dist.all_reduce(work)
                    recv.copy_(mine)
            out.append((call, send, recv))
        return out

    # Element i of rank r's input is (i mod 251) * 16 + r + 1: it depends on the index, so a
    # misplaced block shows up, and on the rank, so a missing or doubled one does. Sums stay exact
    # in float32 (below 2^24) up to about 4000 ranks. Built in chunks so that a check of a large
    # size needs no full-size temporaries.
    @staticmethod
    def pattern(start, stop, ranks_sum, ranks):
        """Elements start..stop-1 of the sum over `ranks` inputs whose r + 1 add up to ranks_sum."""
        index = torch.arange(start, stop, dtype=torch.int64) % 251
        return index.to(torch.float32) * (16.0 * ranks) + ranks_sum

    def fill(self, send):
        for lo in range(0, send.numel(), CHUNK):
            hi = min(lo + CHUNK, send.numel())
            send[lo:hi] = self.pattern(lo, hi, self.rank + 1, 1)

    def count_wrong(self, recv, count):
        """Elements of recv that differ from the closed form, as (recv offset, expected) chunks."""
        n, coll = self.n, self.a.c
        if coll == "all_gather":  # block j is rank j's input
            parts = ((j * count + lo, self.pattern(lo, min(lo + CHUNK, count), j + 1, 1))
                     for j in range(n) for lo in range(0, count, CHUNK))
        else:
            base = self.rank * count if coll == "reduce_scatter" else 0
            total, ranks = (1, 1) if coll == "broadcast" else (n * (n + 1) // 2, n)
            parts = ((lo, self.pattern(base + lo, base + min(lo + CHUNK, recv.numel()), total, ranks))
                     for lo in range(0, recv.numel(), CHUNK))
        return sum(int((recv[lo:lo + len(want)] != want).sum()) for lo, want in parts)

    def row(self, nbytes):
        a, n = self.a, self.n
        count, row = layout(a.c, nbytes, n)
        size = row * ELEMENT
        redop = "sum" if a.c in ("all_reduce", "reduce_scatter") else "none"
        prefix = "%12d  %12d  %8s  %6s  %6d" % (size, count, "float", redop, 0 if a.c == "broadcast" else -1)
        if a.c == "all_gather" and count == 0:
            return prefix + NA_CELL + NA_CELL, None
        slots = max(a.e // size, 1) if size else 1
        calls = self.calls(count, row, min(slots, max(a.iters, a.w, 1)))
        for it in range(a.w):
            calls[it % len(calls)][0]()
        dist.barrier()
        start = time.perf_counter()
        for it in range(a.iters):
            calls[it % len(calls)][0]()
        seconds = torch.tensor([(time.perf_counter() - start) / max(a.iters, 1)], dtype=torch.float64)
        dist.all_reduce(seconds)
        seconds = seconds.item() / n
        dist.barrier()
        call, send, recv = calls[0]
        recv.zero_()
        self.fill(send)
        call()
        mine = self.count_wrong(recv, count)
        if mine:
            print(f"# rank {self.rank}: {a.c} {size} B: {mine} of {recv.numel()} elements wrong",
                  file=sys.stderr, flush=True)
        # Summed over ranks: wrong elements, and ranks that saw any (weft's "Out of bounds values").
        wrong = torch.tensor([mine, int(mine != 0)], dtype=torch.int64)
        dist.all_reduce(wrong)
        algbw = size / seconds / 1e9 if seconds > 0 else 0.0
        busbw = algbw * bus_factor(a.c, n)
        return (prefix + cell(seconds * 1e6, algbw, busbw, wrong[0].item()) + NA_CELL,
                (busbw, wrong[1].item()))


def worker(a, rank, n, store):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://" + store, rank=rank, world_size=n,
                            timeout=datetime.timedelta(seconds=600))
    say = (lambda text: print(text, flush=True)) if rank == 0 else (lambda text: None)
    step = "%d(factor)" % a.f if a.f > 1 else "%d(bytes)" % a.i
    say(f"# nThread 1 nGpus 1 minBytes {a.b} maxBytes {a.e} step: {step} warmup iters: {a.w} "
        f"iters: {a.iters} agg iters: 1 validation: 1 graph: 0")
    say(f"# gloo: torch {torch.__version__} torch.distributed backend gloo, {a.c}, out of place only"
        + (" (emulated: all_reduce, then the rank's block)" if a.c == "reduce_scatter" else ""))
    hosts = [None] * n
    dist.all_gather_object(hosts, (os.getpid(), socket.gethostname()))
    say("#\n# Using devices")
    for r, (pid, host) in enumerate(hosts):
        say("#  Rank %2d Group  0 Pid %6d on %10s device cpu" % (r, pid, host))
    say("#\n" + header())
    bench = Rank(a, rank, n)
    failed, busbws = 0, []
    for nbytes in size_sequence(a):
        line, result = bench.row(nbytes)
        say(line)
        if result:
            busbws.append(result[0])
            failed += result[1]
    say("# Out of bounds values : %d %s" % (failed, "FAILED" if failed else "OK"))
    say("# Avg bus bandwidth    : %g\n#" % (sum(busbws) / len(busbws) if busbws else 0.0))
    dist.barrier()  # rank 0 has printed everything before any rank exits
    dist.destroy_process_group()
    return 1 if failed else 0


def launch(a):
    """Starts the ranks as copies of this script; a rank that fails takes the others down."""
    tmp = tempfile.mkdtemp(prefix="gloo_perf.")
    env = dict(os.environ, OMP_NUM_THREADS="1", WORLD_SIZE=str(a.n))
    env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    try:
        procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
                                  + ["--store", os.path.join(tmp, "store")], env=dict(env, RANK=str(r)))
                 for r in range(a.n)]
        status = 0
        while any(p.poll() is None for p in procs):
            if any(p.returncode for p in procs):
                break
            time.sleep(0.05)
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            status = status or p.returncode
        return 1 if status else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", type=int, required=True, help="ranks (processes on this host)")
    p.add_argument("-c", required=True, choices=COLLECTIVES, help="collective")
    p.add_argument("-b", type=parse_size, default=parse_size("8"), help="smallest size (default 8)")
    p.add_argument("-e", type=parse_size, default=parse_size("32M"), help="largest size (default 32M)")
    p.add_argument("-f", type=int, default=2, help="size factor per step (default 2)")
    p.add_argument("-i", type=parse_size, default=parse_size("1M"), help="size step when -f is 1 (default 1M)")
    p.add_argument("--iters", type=int, default=20, help="timed iterations per size (default 20)")
    p.add_argument("-w", type=int, default=5, help="untimed iterations before each size (default 5)")
    p.add_argument("--store", help=argparse.SUPPRESS)  # set by launch() for the ranks it starts
    a = p.parse_args()
    if a.n < 1 or a.f < 1 or a.iters < 1 or a.w < 0:
        p.error("-n, -f and --iters must be at least 1, -w at least 0")
    if a.store is None:
        # The launcher itself does not import torch (seconds on a small machine); the ranks do.
        if importlib.util.find_spec("torch") is None:
            sys.exit(f"gloo_perf: needs PyTorch for {sys.executable}; tools/setup --compare installs "
                     "python3-torch, importable from /usr/bin/python3")
        sys.exit(launch(a))
    global torch, dist
    import torch
    import torch.distributed as dist
    sys.exit(worker(a, int(os.environ["RANK"]), a.n, a.store))


if __name__ == "__main__":
    main()
