// SPDX-License-Identifier: GPL-2.0

//! SHA-256, from the kernel's crypto library.
//!
//! C header: [`include/crypto/sha2.h`](srctree/include/crypto/sha2.h)
//!
//! The library uses the fastest implementation the CPU has (SHA-NI or AVX2
//! on x86, the Cryptography Extensions on arm64) and needs no allocation, so
//! hashing cannot fail.

use crate::bindings;
use core::mem::MaybeUninit;

/// The size of a SHA-256 digest in bytes.
pub const DIGEST_SIZE: usize = bindings::SHA256_DIGEST_SIZE as usize;

/// A SHA-256 computation in progress.
///
/// # Examples
///
/// ```
/// use kernel::sha256::{sha256, Sha256};
///
/// let mut hasher = Sha256::new();
/// hasher.update(b"a");
/// hasher.update(b"bc");
/// let digest = hasher.finalize();
/// assert_eq!(digest, sha256(b"abc"));
/// assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]);
/// ```
pub struct Sha256(bindings::sha256_ctx);

impl Sha256 {
    /// Starts a new digest.
    pub fn new() -> Self {
        // `sha256_init()` leaves the block buffer as it is: start from zeros.
        let mut ctx = MaybeUninit::<bindings::sha256_ctx>::zeroed();
        // SAFETY: `ctx` is valid for writes of a `struct sha256_ctx`.
        unsafe { bindings::sha256_init(ctx.as_mut_ptr()) };
        // SAFETY: `struct sha256_ctx` holds only integers, for which zero
        // bytes are valid, and `sha256_init()` set the initial state.
        Self(unsafe { ctx.assume_init() })
    }

    /// Feeds `data` into the digest.
    pub fn update(&mut self, data: &[u8]) {
        // SAFETY: `self.0` was initialised by `sha256_init()`; `data` is
        // valid for reads of `data.len()` bytes.
        unsafe { bindings::sha256_update(&mut self.0, data.as_ptr(), data.len()) };
    }

    /// Returns the digest of everything fed so far.
    pub fn finalize(mut self) -> [u8; DIGEST_SIZE] {
        let mut digest = [0u8; DIGEST_SIZE];
        // SAFETY: `self.0` was initialised by `sha256_init()`; `digest` is
        // valid for writes of `SHA256_DIGEST_SIZE` bytes.
        unsafe { bindings::sha256_final(&mut self.0, digest.as_mut_ptr()) };
        digest
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

/// Returns the SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; DIGEST_SIZE] {
    let mut digest = [0u8; DIGEST_SIZE];
    // SAFETY: `data` is valid for reads of `data.len()` bytes and `digest`
    // for writes of `SHA256_DIGEST_SIZE` bytes.
    unsafe { bindings::sha256(data.as_ptr(), data.len(), digest.as_mut_ptr()) };
    digest
}
