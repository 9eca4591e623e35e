#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# train_mnist end to end under weftrun, on a small slice of Fashion-MNIST.
# Usage: train_mnist_test.sh CASE BUILD_DIR
#   (CASE: learns, resume, elastic, elastic_weftrun, scatter, verify, launchers, bad-data, bad-flag)
# Exits 77 (skip) when the data set is not installed.
set -euo pipefail
case_=$1 build=$2
weftrun=$build/tools/weftrun train=$build/train/train_mnist
data=${WEFT_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then
  echo "skip: no Fashion-MNIST in $data (Debian's dataset-fashion-mnist; tools/setup installs it)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# run NAME RANKS ARGS...: train_mnist's stdout in $tmp/NAME.out
run() {
  local name=$1 n=$2
  shift 2
  "$weftrun" -n "$n" "$train" --no-progress --log-every 1000 --data "$data" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
    { cat "$tmp/$name.out" "$tmp/$name.err" >&2; fail "$name exited $?"; }
}
checksum() { awk '/^parameter checksum/ {print $3}' "$tmp/$1.out"; }
# The elastic cases: three ranks, checkpoints after each epoch; rank 2 dies in epoch 2.
elastic_args=(--no-progress --log-every 1000 --data "$data" --limit 3000 --test-limit 500 --epochs 3
              --checkpoint "$tmp/ck" --elastic)
# await_epoch2 PID...: waits for epoch 1's checkpoint (epoch 2 has begun); without one, kills PIDs and fails.
await_epoch2() {
  for _ in $(seq 1200); do [ -e "$tmp/ck/checkpoint.bin" ] && return; sleep 0.05; done
  kill -9 "$@"
  fail "no checkpoint after epoch 1"
}
# check_recovery FILE: rank 0's stdout shows ranks 0 and 1 going on from epoch 1's checkpoint.
check_recovery() {
  cat "$1"
  grep -q '^elastic: lost rank(s) 2, going on with 2 ranks' "$1" || fail "no recovery reported"
  grep -q 'resuming from .*epoch 2, step 0' "$1" || fail "did not resume after epoch 1"
  grep -q '^epoch 3:.*(2 ranks)' "$1" || fail "epoch 3 did not run on 2 ranks"
  grep -q '^parameter checksum' "$1" || fail "no final checksum"
}
summaries() { grep -E '^epoch [0-9]+:' "$tmp/$1.out" | sed 's/, [0-9.]* s, .*//'; }  # without timings

case $case_ in
  learns)
    # The loss falls and test accuracy beats chance (10%) by a wide margin.
    run learns 2 --limit 2000 --test-limit 2000 --epochs 3 --metrics "$tmp/m.json"
    cat "$tmp/learns.out"
    /usr/bin/python3 - "$tmp/m.json" <<'PY'
import json, sys
m = [json.loads(line) for line in open(sys.argv[1])]
assert len(m) == 3, m
assert all(e["world_size"] == 2 and e["samples_per_s"] > 0 and e["epoch_time_s"] > 0 for e in m), m
assert m[0]["train_loss"] < 2.3 and m[2]["train_loss"] < m[0]["train_loss"] - 0.3, m
assert m[2]["test_accuracy"] > 0.45, m
print("loss %.3f -> %.3f, accuracy %.3f" % (m[0]["train_loss"], m[2]["train_loss"], m[2]["test_accuracy"]))
PY
    ;;
  resume)
    # Interrupted mid-epoch and resumed: the same epochs and the same parameters, bit for bit.
    run whole 2 --limit 1280 --test-limit 500 --epochs 2 --checkpoint "$tmp/a"
    run first 2 --limit 1280 --test-limit 500 --epochs 2 --checkpoint "$tmp/b" --checkpoint-every 4 --max-steps 13
    grep -q 'stopped after 13 steps' "$tmp/first.out" || fail "--max-steps did not stop the run"
    [ ! -e "$tmp/b/checkpoint.bin.tmp" ] || fail "a temporary checkpoint was left behind"
    run second 2 --limit 1280 --test-limit 500 --epochs 2 --checkpoint "$tmp/b" --resume
    grep -q 'resuming from .*epoch 2, step 3' "$tmp/second.out" || fail "did not resume at epoch 2, step 3"
    [ -n "$(checksum whole)" ] || fail "no checksum"
    [ "$(checksum whole)" = "$(checksum second)" ] || fail "parameters differ: $(checksum whole) vs $(checksum second)"
    diff <(summaries whole) <(summaries first; summaries second) || fail "epoch results differ after resuming"
    ;;
  elastic)
    # Rank 2 of 3 is SIGKILLed in epoch 2; with --elastic ranks 0 and 1 shrink it away and go on
    # from the checkpoint taken after epoch 1 (Note [Elastic training]). Started by hand as
    # torchrun would; elastic_weftrun runs the same job under weftrun --keep-going.
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pids=()
    for r in 0 1 2; do
      RANK=$r WORLD_SIZE=3 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WEFT_TIMEOUT=30 "$train" "${elastic_args[@]}" \
        >"$tmp/elastic$r.out" 2>"$tmp/elastic$r.err" &
      pids+=($!)
    done
    await_epoch2 "${pids[@]}"
    kill -9 "${pids[2]}"
    for r in 0 1; do
      wait "${pids[$r]}" || { cat "$tmp"/elastic*.out "$tmp"/elastic*.err >&2; fail "rank $r did not go on"; }
    done
    ! wait "${pids[2]}" || fail "rank 2 was not killed"
    check_recovery "$tmp/elastic0.out"
    ;;
  elastic_weftrun)
    # The same job under weftrun --keep-going, which reports rank 2's death and lets 0 and 1 go on.
    WEFT_TIMEOUT=30 "$weftrun" -n 3 --keep-going "$train" "${elastic_args[@]}" >"$tmp/ew.out" 2>"$tmp/ew.err" &
    launcher=$!
    await_epoch2 "$launcher"
    rank2=
    read -ra children <"/proc/$launcher/task/$launcher/children" || true  # weftrun's: its ranks
    for p in "${children[@]}"; do
      grep -qxz 'RANK=2' "/proc/$p/environ" && rank2=$p
    done
    [ -n "$rank2" ] || { kill -9 "$launcher"; fail "rank 2 not found among weftrun's children"; }
    kill -9 "$rank2"
    rc=0
    wait "$launcher" || rc=$?
    [ $rc -eq 0 ] || { cat "$tmp/ew.out" "$tmp/ew.err" >&2; fail "weftrun exited $rc"; }
    check_recovery "$tmp/ew.out"
    grep -qx "weftrun: rank 2 (pid $rank2) was killed by signal 9 (Killed); the other ranks run on (--keep-going)" \
      "$tmp/ew.err" || fail "weftrun did not report rank 2's death"
    grep -qx 'weftrun: 1 of 3 ranks lost (rank 2); the others exited 0' "$tmp/ew.err" || fail "no summary of the loss"
    ;;
  scatter)
    # Rank 0 scattering the shards trains exactly as every rank reading its own (3 ranks: padded).
    run shard 3 --limit 1000 --test-limit 300 --epochs 2 --data-dist shard
    run scatter 3 --limit 1000 --test-limit 300 --epochs 2 --data-dist scatter
    [ "$(checksum shard)" = "$(checksum scatter)" ] || fail "scatter and shard differ"
    diff <(summaries shard) <(summaries scatter) || fail "epoch results differ"
    ;;
  verify)
    run verify 3 --limit 600 --test-limit 300 --verify 1
    grep -q '^epoch 1:' "$tmp/verify.out" || fail "no epoch summary"
    ;;
  launchers)
    # The same job under weftrun, Open MPI's mpirun and torchrun: the same parameters. Those not
    # installed (CI has neither; tools/setup --compare adds both) are left out; none: skip.
    args=(--limit 600 --test-limit 200)
    run weftrun 2 "${args[@]}"
    args+=(--no-progress --log-every 1000 --data "$data")
    ran=0
    if command -v mpirun >/dev/null; then
      mpirun --allow-run-as-root --oversubscribe -np 2 "$train" "${args[@]}" >"$tmp/mpirun.out" 2>&1 ||
        { cat "$tmp/mpirun.out" >&2; fail "mpirun run failed"; }
      [ "$(checksum mpirun)" = "$(checksum weftrun)" ] || fail "mpirun and weftrun differ"
      ran=$((ran + 1))
    fi
    if command -v torchrun >/dev/null; then
      # Debian's torch 1.13 on Python 3.11 needs --redirects/--tee to start its workers.
      torchrun --redirects 1 --tee 1 --nproc_per_node 2 --master_port 29571 --no_python "$train" "${args[@]}" 2>&1 |
        sed -n 's/^\[default0\]://p' >"$tmp/torchrun.out"
      [ "$(checksum torchrun)" = "$(checksum weftrun)" ] || fail "torchrun and weftrun differ"
      ran=$((ran + 1))
    fi
    [ $ran -gt 0 ] || { echo "skip: neither mpirun nor torchrun is installed"; exit 77; }
    ;;
  bad-data)
    # A truncated file is named with what is wrong; no crash, no hang.
    mkdir "$tmp/d"
    cp "$data"/t10k-* "$data"/train-labels-idx1-ubyte.gz "$tmp/d/"
    head -c 100000 "$data/train-images-idx3-ubyte.gz" >"$tmp/d/train-images-idx3-ubyte.gz"
    set +e
    "$weftrun" -n 2 "$train" --data "$tmp/d" --limit 100 >"$tmp/bad.out" 2>&1
    rc=$?
    set -e
    cat "$tmp/bad.out"
    [ $rc -ne 0 ] && [ $rc -lt 128 ] || fail "exit code $rc (expected an error, not a crash)"
    grep -q 'train-images-idx3-ubyte.gz.*truncated' "$tmp/bad.out" || fail "the message does not name the file and the fault"
    # Scatter mode: only rank 0 reads, and rank 1 is told at once instead of waiting for data.
    # Both ranks are started by hand (file rendezvous): a launcher stops rank 1 as soon as rank 0
    # exits with an error, which may be before rank 1 has printed what it was told.
    set +e
    pids=()
    for r in 0 1; do
      WEFT_INIT="file://$tmp/rdv" RANK=$r WORLD_SIZE=2 WEFT_TIMEOUT=60 timeout 50 \
        "$train" --data "$tmp/d" --limit 100 --data-dist scatter >"$tmp/bad2.$r.out" 2>&1 &
      pids+=($!)
    done
    wait "${pids[0]}"; rc0=$?
    wait "${pids[1]}"; rc1=$?
    set -e
    cat "$tmp/bad2.0.out" "$tmp/bad2.1.out"
    [ $rc0 -eq 1 ] && [ $rc1 -eq 1 ] || fail "scatter mode: exit codes $rc0 and $rc1 (expected 1 and 1)"
    grep -q 'truncated' "$tmp/bad2.0.out" || fail "scatter mode: rank 0 did not name the fault"
    grep -q 'rank 0 failed to read the training set.*truncated' "$tmp/bad2.1.out" || fail "scatter mode: rank 1 was not told"
    # A checkpoint directory that cannot be made stops the run before training.
    set +e
    "$weftrun" -n 2 "$train" --data "$data" --limit 100 --checkpoint "$tmp/d/train-labels-idx1-ubyte.gz/ck" \
      >"$tmp/bad3.out" 2>&1
    rc=$?
    set -e
    [ $rc -eq 1 ] || fail "unusable checkpoint directory: exit code $rc"
    grep -q 'cannot create the directory' "$tmp/bad3.out" || fail "unusable checkpoint directory: no clear message"
    ! grep -q '^epoch' "$tmp/bad3.out" || fail "trained before finding the checkpoint directory unusable"
    ;;
  bad-flag)
    set +e
    "$train" --epochs zero >"$tmp/flag.out" 2>&1
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "exit code $rc for a bad flag"
    grep -q -- '--epochs takes an integer' "$tmp/flag.out" || fail "no clear message"
    grep -q 'usage: train_mnist' "$tmp/flag.out" || fail "no usage"
    for bad in "--lr nan" "--batch-size 4294967360" "--momentum -1" "--data-dist all" "--frobnicate"; do
      set +e
      # shellcheck disable=SC2086
      "$train" $bad >"$tmp/flag.out" 2>&1
      rc=$?
      set -e
      [ $rc -eq 2 ] || fail "exit code $rc for '$bad'"
    done
    ;;
  *) fail "unknown case $case_" ;;
esac
echo "ok: $case_"
