// SPDX-License-Identifier: GPL-2.0

//! Hash-based module authentication: the verifier.
//!
//! The build computes a Merkle tree over every in-tree module, seals its root
//! into the `.module_hashes` section of vmlinux and appends an inclusion proof
//! to each module, in the trailer that module signatures use. This file
//! checks such a proof against the sealed root for the C module loader
//! (`kernel/module/signing.c`), through [`module_hashes_verify`], and against
//! a given root for the KUnit tests and the benchmark, through
//! [`module_hashes_verify_root`].
//!
//! Parsing and folding are done by the proof core in `hashes_proof.rs`, the
//! same source file the `module-hashes` host tool compiles. This file only
//! provides SHA-256 (the fastest the kernel has, see `hashes_sha256.c`), the
//! sealed root and the mapping of failures to the error codes of module
//! signing.
//!
//! See `Documentation/admin-guide/module-hashes.rst`.

use core::ptr::NonNull;
use kernel::{bindings, error::Error, ffi::c_int, prelude::*};

#[path = "hashes_proof.rs"]
pub mod proof;

use proof::{ErrorClass, Root, Sha256, HASH_LEN, ROOT_LEN};

/// Prefix of the messages printed by this file.
const __LOG_PREFIX: &[u8] = b"module_hashes\0";

// `struct module_hashes_root` is what the host tool writes into vmlinux.
const _: () = assert!(core::mem::size_of::<bindings::module_hashes_root>() == ROOT_LEN);

// The C headers and the proof core agree on the trailer type.
const _: () = assert!(bindings::MODULE_HASHES_ID_TYPE == proof::ID_MERKLE as u32);

// The C prototypes in `<linux/module_hashes.h>` and the definitions below agree.
const _: [unsafe extern "C" fn(*const u8, usize, *mut usize) -> c_int; 2] =
    [bindings::module_hashes_verify, module_hashes_verify];
type VerifyRoot = unsafe extern "C" fn(
    *const bindings::module_hashes_root,
    *const u8,
    usize,
    *mut usize,
) -> c_int;
const _: [VerifyRoot; 2] = [
    bindings::module_hashes_verify_root,
    module_hashes_verify_root,
];

/// SHA-256 as the kernel offers it fastest: through a crypto API driver (SHA-NI,
/// AVX2, ...) when `hashes_sha256.c` found one faster than the library at
/// boot, otherwise from the crypto library (`lib/crypto/sha256.c`).
enum KernelSha256 {
    /// A crypto API hash state.
    Driver(DriverState),
    /// The library's state.
    Library(bindings::sha256_state),
}

/// A crypto API hash state from `module_hashes_shash_begin()`, freed on drop.
struct DriverState {
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

/// Returns the root sealed into vmlinux.
fn sealed_root() -> Root {
    // The section is written after vmlinux has been linked, so the compiler
    // must not assume it knows the value: read it with a volatile load.
    //
    // SAFETY: `module_hashes_root` is a constant object defined in
    // `kernel/module/hashes_root.c`, valid for reads for the lifetime of the
    // kernel and never written.
    let root = unsafe { core::ptr::addr_of!(bindings::module_hashes_root).read_volatile() };
    Root {
        levels: root.levels,
        hash: root.hash,
    }
}

/// Maps a policy class to the error code module signing uses for it.
fn to_error(class: ErrorClass) -> Error {
    let errno = match class {
        ErrorClass::Unsigned => bindings::ENODATA,
        ErrorClass::Unsupported => bindings::ENOPKG,
        ErrorClass::UnknownKey => bindings::ENOKEY,
        ErrorClass::Malformed => bindings::EBADMSG,
    };
    Error::from_errno(-(errno as c_int))
}

/// Checks the Merkle proof appended to a module against the root sealed into
/// vmlinux.
///
/// Returns 0 when the proof leads to the root, or a negative error code as
/// the signature check of a module returns it:
///
/// * `-ENODATA`: the module has no trailer.
/// * `-ENOPKG`: the trailer is not a Merkle proof (for example a PKCS#7
///   signature), or the proof does not have the length `4 + 32 * levels`
///   that the sealed root requires.
/// * `-ENOKEY`: the proof is well formed but does not lead to the root: the
///   module, or its position, is not the one the root was computed over.
/// * `-EBADMSG`: the trailer is malformed (`sig_len` larger than the module,
///   non-zero reserved fields).
///
/// When the trailer could be split off the module (every result other than
/// `-ENODATA` and `-EBADMSG`), the length of the module without its trailer
/// is stored in `*payload_len`; otherwise `*payload_len` is left untouched.
///
/// * `module`: the module as passed to the loader, trailer and marker
///   included.
/// * `len`: the length of `module` in bytes.
/// * `payload_len`: where to store the length of the module without trailer.
///
/// # Safety
///
/// * `module` must be valid for reads of `len` bytes, `len` must not exceed
///   `isize::MAX`, and those bytes must not be written until the function
///   returns.
/// * `payload_len` must be valid for a write of a `usize` (`size_t`) and
///   suitably aligned for it.
#[no_mangle]
pub unsafe extern "C" fn module_hashes_verify(
    module: *const u8,
    len: usize,
    payload_len: *mut usize,
) -> c_int {
    // SAFETY: the caller's guarantees are those of `verify_raw()`.
    unsafe { verify_raw(&sealed_root(), module, len, payload_len) }
}

/// Like [`module_hashes_verify`], against the root `*root` instead of the
/// sealed one: for the KUnit tests and the benchmark, which bring their own
/// trees.
///
/// # Safety
///
/// The contract of [`module_hashes_verify`]; in addition `root` must be
/// valid for reads of a `struct module_hashes_root`.
#[no_mangle]
pub unsafe extern "C" fn module_hashes_verify_root(
    root: *const bindings::module_hashes_root,
    module: *const u8,
    len: usize,
    payload_len: *mut usize,
) -> c_int {
    if root.is_null() {
        return to_error(ErrorClass::Malformed).to_errno();
    }
    // SAFETY: `root` is not null and the caller guarantees it is valid for
    // reads of a `struct module_hashes_root`.
    let root = unsafe { root.read_unaligned() };
    let root = Root {
        levels: root.levels,
        hash: root.hash,
    };
    // SAFETY: the caller's guarantees are those of `verify_raw()`.
    unsafe { verify_raw(&root, module, len, payload_len) }
}

/// Checks `module` against `root`; the contract of [`module_hashes_verify`].
///
/// # Safety
///
/// See [`module_hashes_verify`].
unsafe fn verify_raw(root: &Root, module: *const u8, len: usize, payload_len: *mut usize) -> c_int {
    if module.is_null() || payload_len.is_null() {
        return to_error(ErrorClass::Malformed).to_errno();
    }
    // SAFETY: `module` is not null and the caller guarantees that it is valid
    // for reads of `len <= isize::MAX` bytes that are not written during this
    // call.
    let module = unsafe { core::slice::from_raw_parts(module, len) };

    let trailer = match proof::split_trailer(module) {
        Ok(trailer) => trailer,
        Err(e) => return to_error(e.class()).to_errno(),
    };
    // SAFETY: `payload_len` is not null and the caller guarantees it is valid
    // and aligned for a write of a `usize`.
    unsafe { payload_len.write(trailer.payload.len()) };

    match proof::verify_trailer::<KernelSha256>(&trailer, root) {
        Ok(()) => 0,
        Err(e) => {
            pr_debug!("module not authenticated: {:?}\n", e);
            to_error(e.class()).to_errno()
        }
    }
}
