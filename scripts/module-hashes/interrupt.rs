// SPDX-License-Identifier: GPL-2.0

//! Stopping cleanly on SIGINT, SIGTERM and SIGHUP (make interrupted, a
//! killed build).
//!
//! The handler only records the signal. `build` checks for it between
//! chunks and phases: before the first output is renamed into place it
//! stops, its staged temporary files are removed, and the tree is as it
//! was. Once renaming has started it finishes (a few milliseconds), so the
//! outputs are all old or all new. The binary then dies by the same signal,
//! so that make and shells see what happened. SIGKILL cannot be caught: it
//! can leave `.NAME.tmpPID` files, never a partly written output.

use std::os::raw::c_int;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals that stop a build.
const SIGNALS: [c_int; 3] = [
    1,  /* SIGHUP */
    2,  /* SIGINT */
    15, /* SIGTERM */
];
const SIG_DFL: usize = 0;

/// The first signal received, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" {
    /// `signal(2)` and `raise(3)` from the C library, which std links.
    fn signal(signum: c_int, handler: usize) -> usize;
    fn raise(sig: c_int) -> c_int;
}

extern "C" fn record(sig: c_int) {
    // Async-signal-safe: one atomic store.
    let _ = RECEIVED.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
}

/// Installs the handler; only the binary does, not library users.
pub fn install() {
    let handler: extern "C" fn(c_int) = record;
    for sig in SIGNALS {
        // SAFETY: `record` is async-signal-safe and lives for the whole
        // program; `sig` is a valid signal number.
        unsafe { signal(sig, handler as usize) };
    }
}

/// The signal received so far, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Dies by `sig` with its default action, after cleanup has run.
pub fn reraise(sig: i32) {
    // SAFETY: restoring the default action and raising a signal number that
    // was delivered to us are both valid.
    unsafe {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}
