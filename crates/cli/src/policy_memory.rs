//! The memory bound on Rego policy evaluation: vouch's global allocator.
//!
//! regorus bounds evaluation time, not memory, and a policy can ask for gigabytes in one
//! call (`numbers.range(1, 1e9)` allocates a 24 GB array at once, before any time check). While
//! a policy runs ([`with_limit`]), every allocation is counted; one that would take the
//! evaluation past its budget ends the process with a message and exit code 16 (policy
//! denied) before the memory is asked for. Nothing is printed on stdout for it: no verdict
//! line for an attestation that was not checked to the end. Outside evaluations the
//! allocator only forwards to the system's, after one relaxed atomic load.
#![allow(
    unsafe_code,
    reason = "a global allocator forwards to the system's: see the module documentation"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use crate::exit;

/// The global allocator: the system's, counted while a policy runs.
pub(crate) struct Bounded;

static COUNTING: AtomicBool = AtomicBool::new(false);
static USED: AtomicIsize = AtomicIsize::new(0);
static LIMIT: AtomicIsize = AtomicIsize::new(isize::MAX);

/// Runs `evaluate` (one policy over one statement, on this thread) with at most `bytes` more of
/// heap; past it, the process exits 16.
pub(crate) fn with_limit<T>(bytes: usize, evaluate: impl FnOnce() -> T) -> T {
    USED.store(0, Ordering::Relaxed);
    LIMIT.store(
        isize::try_from(bytes).unwrap_or(isize::MAX),
        Ordering::Relaxed,
    );
    COUNTING.store(true, Ordering::SeqCst);
    let result = evaluate();
    COUNTING.store(false, Ordering::SeqCst);
    result
}

fn charge(size: usize) {
    let size = isize::try_from(size).unwrap_or(isize::MAX);
    let used = USED.fetch_add(size, Ordering::Relaxed).saturating_add(size);
    if used > LIMIT.load(Ordering::Relaxed) {
        exceeded();
    }
}

fn refund(size: usize) {
    USED.fetch_sub(
        isize::try_from(size).unwrap_or(isize::MAX),
        Ordering::Relaxed,
    );
}

/// Async-signal-safe calls only, and no allocation: the allocator is what failed.
fn exceeded() -> ! {
    const MESSAGE: &[u8] = b"error: a --policy evaluation asked for more memory than its limit \
(--policy-memory): it is stopped, and the attestation is not accepted (exit 16, policy denied)\n";
    // SAFETY: write(2) and _exit(2) with a static buffer; nothing else runs after.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(i32::from(exit::POLICY_DENIED));
    }
}

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged; the
// counting around it allocates nothing.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            charge(layout.size());
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            charge(layout.size());
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            refund(layout.size());
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            if new_size > layout.size() {
                charge(new_size - layout.size());
            } else {
                refund(layout.size() - new_size);
            }
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
