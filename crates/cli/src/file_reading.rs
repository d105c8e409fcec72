//! How `verify-blob` and `verify-dir` bring files to the hash, and the `SIGBUS` handler that
//! hashing mapped files needs.
//!
//! Files are mapped and hashed where they lie in the page cache, on the hashing thread. A second
//! thread mapping ahead (`map-ahead`) is as fast on a quiet machine and slower whenever the
//! other core is busy, since the hash then waits for it; docs/performance.md ("Files") has the
//! measurements. `VOUCH_FILE_READING` picks another way, so that `cargo xtask bench blob` can
//! measure every way on the machine at hand.
#![allow(
    unsafe_code,
    reason = "a SIGBUS handler, for mapped files: see the module documentation"
)]

use std::sync::Once;

use vouch_blob::FileReading;

use crate::error::InputError;
use crate::exit;

/// Names the way for every file of the run: `read`, `read-ahead`, `map` or `map-ahead`.
pub(crate) const ENV: &str = "VOUCH_FILE_READING";

/// The way to read files: `map`, unless `VOUCH_FILE_READING` names another.
///
/// # Errors
///
/// [`InputError::Usage`] when `VOUCH_FILE_READING` names no way.
pub(crate) fn choose() -> Result<FileReading, InputError> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reads the environment: VOUCH_FILE_READING, for benchmarks"
    )]
    let name = match std::env::var(ENV) {
        Ok(name) => name,
        Err(_) => "map".to_owned(),
    };
    match name.as_str() {
        "read" => Ok(FileReading::READ),
        "read-ahead" => Ok(FileReading::READ_AHEAD),
        "map" => {
            handle_sigbus();
            // SAFETY: handle_sigbus installed the handler that ends the process with a message
            // when a mapped file is truncated.
            Ok(unsafe { FileReading::map() })
        }
        "map-ahead" => {
            handle_sigbus();
            // SAFETY: as above.
            Ok(unsafe { FileReading::map_ahead() })
        }
        other => Err(InputError::Usage {
            message: format!(
                "{ENV}={}: expected read, read-ahead, map or map-ahead",
                crate::escape::text(other)
            ),
        }),
    }
}

/// Installs, once, a handler that turns `SIGBUS` into an error message and exit code 2.
///
/// A mapped file that another process truncates raises `SIGBUS` at the next page past its new
/// end, as does a storage error under a mapped page. Without a handler the process dies with
/// no word; with it, the lines already printed stand (each was verified) and the run ends
/// saying why, with no verdict for the rest.
fn handle_sigbus() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler only
        // makes async-signal-safe calls (write, _exit).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &raw const action, std::ptr::null_mut());
        }
    });
}

extern "C" fn on_sigbus(_signal: libc::c_int) {
    const MESSAGE: &[u8] = b"vouch: error: a file changed size or could not be read from \
its storage while it was being verified (SIGBUS); nothing after the lines above was verified\n\
hint: verify again once no other program writes to the files, or check the disk for errors\n";
    // SAFETY: write(2) and _exit(2) are async-signal-safe; the message is static.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(i32::from(exit::BAD_INPUT));
    }
}
