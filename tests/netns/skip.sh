# SPDX-License-Identifier: Apache-2.0
# Sourced by the tests of tests/netns: skipIfCannot NAME [COMMAND WHY] exits 77 (meson's "skipped")
# with a message naming the test when it does not run as root with network namespaces, or when
# COMMAND is missing (WHY says where it comes from).
skipIfCannot() {
  local name=$1 command=${2:-} why=${3:-}
  if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "$name: skipped (needs root and network namespaces)"
    exit 77
  fi
  if [ -n "$command" ] && ! command -v "$command" >/dev/null; then
    echo "$name: skipped (no $command: $why)"
    exit 77
  fi
}
