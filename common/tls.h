// SPDX-License-Identifier: Apache-2.0
// The thread-local storage model of the variables every call touches.
#pragma once

// Note [Thread-locals on the hot path]
// In a shared library a thread_local is reached through __tls_get_addr (the general-dynamic
// model), a call into the dynamic loader; a collective used to make four of them (its rank in
// log lines, twice, the last handle looked up, the group depth), about a tenth of an 8-byte
// broadcast's time here. The initial-exec model reads the variable at a fixed offset from the
// thread pointer instead. Its one cost is that libweft, when loaded with dlopen (as Python loads
// the torch backend), must fit these variables into the static TLS space glibc keeps spare for
// such libraries (hundreds of bytes); they take a few dozen, so keep the macro for small ones.
#define WEFT_HOT_TLS __attribute__((tls_model("initial-exec")))
