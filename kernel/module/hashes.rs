// SPDX-License-Identifier: GPL-2.0

//! Hash-based module authentication: the verifier.
//!
//! The build computes a Merkle tree over every in-tree module, seals its root
//! into the `.module_hashes` section of vmlinux and appends an inclusion proof
//! to each module, in the trailer that module signatures use. This file
//! checks such a proof against the sealed root for the C module loader
//! (`kernel/module/signing.c`), through [`module_hashes_verify`], and against
//! a given root for the KUnit tests, through
//! [`module_hashes_verify_root`].
//!
//! Parsing and folding are done by the proof core in `hashes_proof.rs`, the
//! same source file the `module-hashes` host tool compiles; SHA-256 is the
//! kernel's library ([`kernel::sha256`]). This file only provides the sealed
//! root, the hashing and the mapping of failures to the error codes of module
//! signing.
//!
//! See `Documentation/admin-guide/module-hashes.rst`.

use kernel::{
    bindings, c_str,
    error::{code, Error},
    ffi::c_int,
    prelude::*,
    sha256, task,
};

#[path = "hashes_proof.rs"]
pub mod proof;

use proof::{ErrorClass, Hash, Root, ROOT_LEN};

/// Prefix of the messages printed by this file.
const __LOG_PREFIX: &[u8] = b"module_hashes\0";

// `struct module_hashes_root` is what the host tool writes into vmlinux.
const _: () = assert!(core::mem::size_of::<bindings::module_hashes_root>() == ROOT_LEN);

// The C header and the proof core agree on the placeholder of an unsealed
// vmlinux, which the proof core refuses.
const _: () = assert!(bindings::MODULE_HASHES_UNSEALED == proof::UNSEALED_LEVELS);

// The C prototypes in `<linux/module_hashes.h>` and the definitions below agree.
const _: [unsafe extern "C" fn(*const u8, usize, *mut usize, *mut Failure) -> c_int; 2] =
    [bindings::module_hashes_verify, module_hashes_verify];
const _: [unsafe extern "C" fn(
    *const bindings::module_hashes_root,
    *const u8,
    usize,
    *mut usize,
    *mut Failure,
) -> c_int; 2] = [
    bindings::module_hashes_verify_root,
    module_hashes_verify_root,
];

/// `struct module_hashes_failure`: why a module was not authenticated.
type Failure = bindings::module_hashes_failure;

/// The kernel's SHA-256 for the proof core.
struct KernelSha256(sha256::Sha256);

/// The most bytes hashed between two scheduling points: a module with debug
/// information can have hundreds of megabytes.
const CHUNK: usize = 1 << 20;

impl proof::Sha256 for KernelSha256 {
    fn new() -> Self {
        KernelSha256(sha256::Sha256::new())
    }

    fn update(&mut self, data: &[u8]) {
        for (i, chunk) in data.chunks(CHUNK).enumerate() {
            if i > 0 {
                task::cond_resched();
            }
            self.0.update(chunk);
        }
    }

    fn finish(self) -> Hash {
        self.0.finalize()
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
    match class {
        ErrorClass::Unsigned => code::ENODATA,
        ErrorClass::Unsupported => code::ENOPKG,
        ErrorClass::UnknownKey => code::ENOKEY,
        ErrorClass::Malformed => code::EBADMSG,
    }
}

/// Says why `error` failed a module, for the kernel log: the loader prints
/// it with the module's line in `modules.order` when it refuses the module.
fn reason(error: proof::Error) -> &'static CStr {
    match error {
        proof::Error::NoTrailer => c_str!("it has no trailer"),
        proof::Error::InfoTruncated => c_str!("its trailer is truncated"),
        proof::Error::SigTooLong { .. } => c_str!("its trailer is longer than the module"),
        proof::Error::WrongType {
            id_type: proof::ID_PKCS7,
        } => c_str!("it is signed, and this kernel checks no signatures"),
        proof::Error::WrongType { .. } => c_str!("its trailer is neither a proof nor a signature"),
        proof::Error::ReservedNonZero => c_str!("its trailer has reserved fields set"),
        proof::Error::ProofLength { .. } => {
            c_str!("its proof has the wrong length for this kernel's root (another build?)")
        }
        proof::Error::RootMismatch => c_str!("its proof does not lead to this kernel's root"),
        proof::Error::Unsealed => c_str!("this kernel was not sealed and holds no root"),
    }
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
///   module, or its position, is not the one the root was computed over; or
///   vmlinux was never sealed and holds no root.
/// * `-EBADMSG`: the trailer is malformed (`sig_len` larger than the module,
///   non-zero reserved fields).
///
/// When the trailer could be split off the module (every result other than
/// `-ENODATA` and `-EBADMSG`), the length of the module without its trailer
/// is stored in `*payload_len`; otherwise `*payload_len` is left untouched.
/// On failure `*failure` says why, and names the line of `modules.order` the
/// proof is for when the trailer holds one; on success it is left untouched.
///
/// * `module`: the module as passed to the loader, trailer and marker
///   included.
/// * `len`: the length of `module` in bytes.
/// * `payload_len`: where to store the length of the module without trailer.
/// * `failure`: where to store why the module was not authenticated.
///
/// # Safety
///
/// * `module` must be valid for reads of `len` bytes, `len` must not exceed
///   `isize::MAX`, and those bytes must not be written until the function
///   returns.
/// * `payload_len` must be valid for a write of a `usize` (`size_t`) and
///   suitably aligned for it; `failure` likewise for a
///   `struct module_hashes_failure`.
#[no_mangle]
pub unsafe extern "C" fn module_hashes_verify(
    module: *const u8,
    len: usize,
    payload_len: *mut usize,
    failure: *mut Failure,
) -> c_int {
    // SAFETY: the caller's guarantees are those of `verify_raw()`.
    unsafe { verify_raw(&sealed_root(), module, len, payload_len, failure) }
}

/// Like [`module_hashes_verify`], against the root `*root` instead of the
/// sealed one: for the KUnit tests, which bring their own trees.
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
    failure: *mut Failure,
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
    unsafe { verify_raw(&root, module, len, payload_len, failure) }
}

/// Checks `module` against `root`; the contract of [`module_hashes_verify`].
///
/// # Safety
///
/// See [`module_hashes_verify`].
unsafe fn verify_raw(
    root: &Root,
    module: *const u8,
    len: usize,
    payload_len: *mut usize,
    failure: *mut Failure,
) -> c_int {
    if module.is_null() || payload_len.is_null() || failure.is_null() {
        return to_error(ErrorClass::Malformed).to_errno();
    }
    // SAFETY: `module` is not null and the caller guarantees that it is valid
    // for reads of `len <= isize::MAX` bytes that are not written during this
    // call.
    let module = unsafe { core::slice::from_raw_parts(module, len) };

    // A failed proof still says which module it is for: the loader knows no
    // name yet.
    let (error, proof) = match proof::split_trailer(module) {
        Err(e) => (e, None),
        Ok(trailer) => {
            // SAFETY: `payload_len` is not null and the caller guarantees it
            // is valid and aligned for a write of a `usize`.
            unsafe { payload_len.write(trailer.payload.len()) };
            match proof::verify_trailer::<KernelSha256>(&trailer, root) {
                Ok(()) => return 0,
                Err(e) if trailer.info.id_type == proof::ID_MERKLE => {
                    (e, proof::Proof::parse_any(trailer.sig))
                }
                Err(e) => (e, None),
            }
        }
    };
    let order_line = proof.map_or(0, |p| u64::from(p.pos) + 1);
    // SAFETY: `failure` is not null and the caller guarantees it is valid and
    // aligned for a write of a `struct module_hashes_failure`.
    unsafe {
        failure.write(Failure {
            reason: reason(error).as_char_ptr(),
            order_line,
        })
    };
    to_error(error.class()).to_errno()
}
