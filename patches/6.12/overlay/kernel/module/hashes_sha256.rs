// SPDX-License-Identifier: GPL-2.0

//! SHA-256 for the module hashes verifier (`hashes.rs`), Linux 6.12: the
//! fastest of the crypto library and the best built-in crypto API driver,
//! as timed at boot by `hashes_sha256.c`.

use super::proof::{Sha256, HASH_LEN};
use core::ptr::NonNull;
use kernel::bindings;

/// SHA-256 as the kernel offers it fastest: through a crypto API driver (SHA-NI,
/// AVX2, ...) when `hashes_sha256.c` found one faster than the library at
/// boot, otherwise from the crypto library (`lib/crypto/sha256.c`).
pub(crate) enum KernelSha256 {
    /// A crypto API hash state.
    Driver(DriverState),
    /// The library's state.
    Library(bindings::sha256_state),
}

/// A crypto API hash state from `module_hashes_shash_begin()`, freed on drop.
pub(crate) struct DriverState {
    desc: NonNull<bindings::shash_desc>,
    /// No call to the driver has failed so far.
    ok: bool,
}

impl Drop for DriverState {
    fn drop(&mut self) {
        // SAFETY: `desc` came from `module_hashes_shash_begin()` and is owned
        // by `self`, so it is freed exactly once, here.
        unsafe { bindings::module_hashes_shash_free(self.desc.as_ptr()) };
    }
}

/// The largest update handed to a crypto driver at once.
const DRIVER_CHUNK: usize = 64 * 1024;

impl KernelSha256 {
    fn library() -> Self {
        // `sha256_init()` is a `static inline` function, which `bindgen` does
        // not export; this is its body.
        KernelSha256::Library(bindings::sha256_state {
            state: [
                bindings::SHA256_H0,
                bindings::SHA256_H1,
                bindings::SHA256_H2,
                bindings::SHA256_H3,
                bindings::SHA256_H4,
                bindings::SHA256_H5,
                bindings::SHA256_H6,
                bindings::SHA256_H7,
            ],
            count: 0,
            buf: [0; bindings::SHA256_BLOCK_SIZE as usize],
        })
    }
}

impl Sha256 for KernelSha256 {
    fn new() -> Self {
        // SAFETY: no preconditions; the result is null or a state that the
        // returned value owns from now on.
        let desc = unsafe { bindings::module_hashes_shash_begin() };
        match NonNull::new(desc) {
            Some(desc) => KernelSha256::Driver(DriverState { desc, ok: true }),
            None => Self::library(),
        }
    }

    fn update(&mut self, data: &[u8]) {
        // Both take an `unsigned int` length; the SIMD drivers keep
        // preemption off for a whole update, so give them at most 64 KiB.
        let chunk_len = match self {
            KernelSha256::Driver(_) => DRIVER_CHUNK,
            KernelSha256::Library(_) => u32::MAX as usize,
        };
        for chunk in data.chunks(chunk_len) {
            match self {
                KernelSha256::Driver(state) => {
                    // SAFETY: `state.desc` is a live state owned by `state`;
                    // `chunk` is valid for reads of `chunk.len()` bytes,
                    // which fits in a `u32` because of the chunk size.
                    let ret = unsafe {
                        bindings::module_hashes_shash_update(
                            state.desc.as_ptr(),
                            chunk.as_ptr(),
                            chunk.len() as u32,
                        )
                    };
                    state.ok &= ret == 0;
                }
                KernelSha256::Library(state) => {
                    // SAFETY: `state` was set up by `library()`; `chunk` is
                    // valid for reads of `chunk.len()` bytes, which fits in a
                    // `u32` because of the chunk size.
                    unsafe { bindings::sha256_update(state, chunk.as_ptr(), chunk.len() as u32) };
                }
            }
        }
    }

    fn finish(self) -> [u8; HASH_LEN] {
        let mut digest = [0u8; HASH_LEN];
        match self {
            KernelSha256::Driver(state) => {
                // SAFETY: `state.desc` is a live state owned by `state`;
                // `digest` is valid for writes of `SHA256_DIGEST_SIZE`
                // (`HASH_LEN`) bytes.
                let ret = unsafe {
                    bindings::module_hashes_shash_final(state.desc.as_ptr(), digest.as_mut_ptr())
                };
                if !state.ok || ret != 0 {
                    // A driver that failed leaves no digest. Return a fixed
                    // value rather than a partial digest: finding a module
                    // that hashes to it is a preimage attack, so the proof
                    // does not fold to the root and the module is refused.
                    digest = [0xff; HASH_LEN];
                }
                // `state` is dropped here, which frees it.
            }
            KernelSha256::Library(mut state) => {
                // SAFETY: `state` was set up by `library()`; `digest` is
                // valid for writes of `SHA256_DIGEST_SIZE` (`HASH_LEN`) bytes.
                unsafe { bindings::sha256_final(&mut state, digest.as_mut_ptr()) };
            }
        }
        digest
    }
}
