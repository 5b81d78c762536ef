// SPDX-License-Identifier: GPL-2.0

//! SHA-256 for the module hashes verifier (`hashes.rs`): the kernel's crypto
//! library, which picks the fastest implementation the CPU has (SHA-NI or
//! AVX2 on x86, the Crypto Extensions on arm64) by itself.

use super::proof::{Sha256, HASH_LEN};
use core::mem::MaybeUninit;
use kernel::bindings;

/// A SHA-256 computation in progress.
pub(crate) struct KernelSha256(bindings::sha256_ctx);

impl Sha256 for KernelSha256 {
    fn new() -> Self {
        let mut ctx = MaybeUninit::<bindings::sha256_ctx>::zeroed();
        // SAFETY: `ctx` is valid for writes of a `struct sha256_ctx`.
        unsafe { bindings::sha256_init(ctx.as_mut_ptr()) };
        // SAFETY: `struct sha256_ctx` holds only integers, for which the
        // zero bytes written above are valid; `sha256_init()` then set the
        // initial state.
        KernelSha256(unsafe { ctx.assume_init() })
    }

    fn update(&mut self, data: &[u8]) {
        // SAFETY: `self.0` was set up by `sha256_init()`; `data` is valid for
        // reads of `data.len()` bytes.
        unsafe { bindings::sha256_update(&mut self.0, data.as_ptr(), data.len()) };
    }

    fn finish(mut self) -> [u8; HASH_LEN] {
        let mut digest = [0u8; HASH_LEN];
        // SAFETY: `self.0` was set up by `sha256_init()`; `digest` is valid
        // for writes of `SHA256_DIGEST_SIZE` (`HASH_LEN`) bytes.
        unsafe { bindings::sha256_final(&mut self.0, digest.as_mut_ptr()) };
        digest
    }
}
