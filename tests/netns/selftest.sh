#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Self-test of netns-hosts: reachability, isolation from the root namespace, host identity, link cuts,
# throughput with and without shaping (iperf3), and that nothing is left after down, a failed up,
# and a run whose command fails or which is stopped by SIGTERM or SIGINT.
# Usage: selftest.sh   (root; exits 77 when network namespaces cannot be made here)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
nh=$here/netns-hosts
p=wst$$
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "no ip command (iproute2)"
ip netns list >/dev/null 2>&1 || skip "ip netns is unavailable"
if ! ip netns add "${p}probe" 2>/dev/null; then skip "cannot create a network namespace"; fi
bridgeOk=1
ip -n "${p}probe" link add br0 type bridge 2>/dev/null || bridgeOk=0
ip netns del "${p}probe"
((bridgeOk)) || skip "cannot create a bridge in a namespace"

tmp=$(mktemp -d)
cleanup() {
  local s
  for s in "" a f r t i; do "$nh" down "$p$s" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

rootLinks() { ip -o link show | awk -F': ' '{print $2}' | sort; }
rootLinks >"$tmp/links.before"

# Fails unless no namespace and no root link named with prefix $1 exists and the root links are unchanged.
assertGone() {
  if ip netns list | awk '{print $1}' | grep -E "^$1-(sw|h[0-9]+)$"; then fail "namespaces of $1 remain ($2)"; fi
  if ip -o link show | grep -F -- "$1-"; then fail "links of $1 remain in the root namespace ($2)"; fi
  rootLinks | diff "$tmp/links.before" - || fail "the root namespace's links changed ($2)"
}

reach() { "$nh" reach "$@"; }
# Prints Gbit/s measured by iperf3 from host 1 to host 0 of prefix $1 (host 0 at $2).
iperfGbps() {
  local srv out i
  "$nh" exec "$1" 0 iperf3 -s -1 -B "$2" >"$tmp/iperf-server" 2>&1 &
  srv=$!
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$1-h0" ss -Hltn 'sport = :5201' | grep -q . && break
    sleep 0.1
  done
  out=$("$nh" exec "$1" 1 timeout 30 iperf3 -c "$2" -t 2 -f g) || { cat "$tmp/iperf-server"; fail "iperf3 -c failed"; }
  wait "$srv" || fail "iperf3 -s failed"
  awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Gbits/sec") print $(i - 1) }' <<<"$out"
}

echo "# up 3: three hosts, one line each"
"$nh" up 3 --prefix "$p" >"$tmp/up"
cat "$tmp/up"
mapfile -t hosts < <(grep '^host ' "$tmp/up")
((${#hosts[@]} == 3)) || fail "expected 3 host lines"
addr=() addr6=()
for ((i = 0; i < 3; i++)); do
  read -r _ idx name a4 a6 <<<"${hosts[i]}"
  [[ $idx == "$i" && $name == "$p-h$i" && -n $a4 && -n $a6 ]] || fail "bad host line '${hosts[i]}'"
  addr[i]=$a4 addr6[i]=$a6
done
rootLinks | diff "$tmp/links.before" - || fail "up changed the root namespace's links"

echo "# every host reaches every other over IPv4 and IPv6"
for ((i = 0; i < 3; i++)); do
  for ((j = 0; j < 3; j++)); do
    ((i != j)) || continue
    reach "$p" "$i" "${addr[j]}" || fail "h$i does not reach h$j at ${addr[j]}"
    reach "$p" "$i" "${addr6[j]}" || fail "h$i does not reach h$j at ${addr6[j]}"
  done
done

echo "# hosts see only lo and eth0, none of the root's interfaces or addresses"
rootMacs=$(ip -o link show | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}' | sort -u)
mapfile -t rootAddrs < <(ip -4 -o addr show scope global | awk '{split($4, a, "/"); print a[1]}')
for ((i = 0; i < 3; i++)); do
  links=$(ip -n "$p-h$i" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort | xargs)
  [ "$links" = "eth0 lo" ] || fail "h$i has links '$links'"
  mac=$(ip -n "$p-h$i" -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | awk '{print $2}')
  if grep -qx -- "$mac" <<<"$rootMacs"; then fail "h$i's eth0 is a root interface"; fi
  for a in "${rootAddrs[@]}"; do
    if reach "$p" "$i" "$a"; then fail "h$i reaches the root namespace's $a"; fi
  done
done

echo "# exec gives each host its own identity"
for ((i = 0; i < 3; i++)); do
  got=$("$nh" exec "$p" "$i" printenv WEFT_HOSTID WEFT_SOCKET_IFNAME | xargs) || true
  [ "$got" = "$p-h$i eth0" ] || fail "h$i: WEFT_HOSTID WEFT_SOCKET_IFNAME = '$got'"
done

echo "# link down cuts one host off, link up restores it"
for side in switch host; do
  "$nh" link "$p" 2 down --side "$side"
  if reach "$p" 0 "${addr[2]}"; then fail "h0 still reaches h2 after link down ($side)"; fi
  reach "$p" 0 "${addr[1]}" || fail "h0 lost h1 when h2's link went down ($side)"
  "$nh" link "$p" 2 up --side "$side"
  ok=0
  for ((t = 0; t < 5; t++)); do reach "$p" 0 "${addr[2]}" && { ok=1; break; }; sleep 0.2; done
  ((ok)) || fail "h0 does not reach h2 after link up ($side)"
done

if command -v iperf3 >/dev/null; then
  echo "# iperf3 h1 -> h0, unshaped"
  plain=$(iperfGbps "$p" "${addr[0]}")
  echo "throughput unshaped: $plain Gbit/s"
fi

echo "# down removes everything, and is idempotent"
"$nh" down "$p"
assertGone "$p" "after down"
"$nh" down "$p"

if "$nh" up 1 --prefix "${p}a" --netem "delay 1ms" >/dev/null 2>&1; then
  "$nh" down "${p}a"
  shaping=(--netem "delay 5ms rate 1gbit")
else
  echo "note: this kernel has no sch_netem; shaping with --rate (tbf) instead, delay not tested"
  shaping=(--rate 1gbit)
fi
assertGone "${p}a" "after a failed or removed netem probe"
if command -v iperf3 >/dev/null; then
  echo "# iperf3 h1 -> h0, shaped with ${shaping[*]}"
  "$nh" up 2 --prefix "$p" "${shaping[@]}" >"$tmp/up"
  a0=$(awk '$1 == "host" && $2 == 0 {print $4}' "$tmp/up")
  shaped=$(iperfGbps "$p" "$a0")
  echo "throughput shaped (${shaping[*]}): $shaped Gbit/s"
  awk -v g="$shaped" 'BEGIN { exit !(g > 0.2 && g <= 1.1) }' || fail "shaped throughput $shaped not in (0.2, 1.1] Gbit/s"
  if [ "${shaping[0]}" = --netem ]; then
    start=$(date +%s%N)
    reach "$p" 1 "$a0" || fail "h1 does not reach h0 with netem"
    rttMs=$((($(date +%s%N) - start) / 1000000))
    echo "round trip with delay 5ms each way: ${rttMs} ms"
    ((rttMs >= 10)) || fail "round trip ${rttMs} ms < 10 ms with netem delay 5ms"
  fi
  "$nh" down "$p"
  assertGone "$p" "after the shaped run"
else
  echo "SKIP iperf3 part: iperf3 is not installed"
fi

echo "# a failed up leaves nothing"
if "$nh" up 2 --prefix "${p}f" --netem "nosuchparameter 1" >/dev/null 2>&1; then fail "up with a bad netem spec passed"; fi
assertGone "${p}f" "after a failed up"

echo "# run: the command sees the hosts; its failure is returned and cleaned up"
rc=0
# shellcheck disable=SC2016  # expanded by the inner bash
"$nh" run 2 --prefix "${p}r" -- bash -c 'env | grep ^NETNS_ | sort >"$1";
  "$NETNS_EXEC" exec "$NETNS_PREFIX" 1 printenv WEFT_HOSTID >>"$1";
  "$NETNS_EXEC" reach "$NETNS_PREFIX" 1 "$NETNS_ADDR_0" && echo reached >>"$1"; exit 1' _ "$tmp/env" || rc=$?
((rc == 1)) || fail "run returned $rc for a command that exits 1"
for want in "NETNS_HOSTS=2" "NETNS_PREFIX=${p}r" "NETNS_EXEC=$nh" "${p}r-h1" "reached"; do
  grep -qx -- "$want" "$tmp/env" || { cat "$tmp/env"; fail "run's command did not see '$want'"; }
done
grep -q '^NETNS_ADDR_1=10\.213\.' "$tmp/env" || fail "no NETNS_ADDR_1"
assertGone "${p}r" "after run's command failed"

# Starts a run of 2 hosts whose command leaves a process in host 0 (in a session of its own, so
# that only down can stop it), and stops the run with signal $2.
runStopped() {
  local pre=$1 sig=$2 want=$3 runPid rc=0 i inner
  rm -f "$tmp/ready"
  set -m # a job of its own, so that SIGINT is not ignored in it
  # shellcheck disable=SC2016  # expanded by the inner bash
  "$nh" run 2 --prefix "$pre" -- bash -c '"$NETNS_EXEC" exec "$NETNS_PREFIX" 0 setsid sleep 300 &
    touch "$1"; sleep 300' _ "$tmp/ready" &
  runPid=$!
  set +m
  for ((i = 0; i < 100; i++)); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
  [ -e "$tmp/ready" ] || fail "run's command did not start"
  sleep 0.3
  inner=$(ip netns pids "$pre-h0" | xargs)
  [ -n "$inner" ] || fail "no process in $pre-h0"
  kill "-$sig" "$runPid"
  wait "$runPid" || rc=$?
  ((rc == want)) || fail "run stopped by SIG$sig returned $rc, not $want"
  for i in $inner; do # a zombie is dead: PID 1 in a container may not reap it
    if [ -e "/proc/$i" ] && [ "$(awk '{print $3}' "/proc/$i/stat" 2>/dev/null)" != Z ]; then
      fail "process $i of $pre-h0 outlived the run (SIG$sig)"
    fi
  done
  assertGone "$pre" "after SIG$sig"
}
echo "# run stopped by SIGTERM or SIGINT cleans up"
runStopped "${p}t" TERM 143
runStopped "${p}i" INT 130

ip netns list | grep -- "$p" && fail "namespaces with prefix $p remain"
echo "PASS"
