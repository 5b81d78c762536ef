// SPDX-License-Identifier: GPL-2.0

//! The Merkle proof core of hash-based module authentication.
//!
//! This one file is compiled verbatim by the kernel verifier
//! (`kernel/module/hashes.rs`) and by the `module-hashes` host tool, so what
//! the host tests and the fuzzer exercise is exactly what the kernel runs.
//! It uses neither `std` nor an allocator, is generic over the SHA-256
//! implementation, and never panics: every slice access goes through `get`
//! and every length computation is checked.
//!
//! The bytes are those of `Documentation/admin-guide/module-hashes-format.rst`:
//! a module is `payload || proof || info block || marker`, the proof is
//! `be32 pos || levels x 32-byte siblings`, a leaf is
//! `SHA256(0x01 || be32 pos || payload)` and an inner node is
//! `SHA256(0x02 || left || right)`.

/// Length of a SHA-256 digest, the only hash the format uses.
pub const HASH_LEN: usize = 32;

/// A SHA-256 digest: a leaf, an inner node or the root.
pub type Hash = [u8; HASH_LEN];

/// The marker that ends every module signature trailer.
pub const MARKER: &[u8; 28] = b"~Module signature appended~\n";

/// Size of `struct module_signature`, the info block before the marker.
pub const INFO_LEN: usize = 12;

/// `id_type` of a PKCS#7 signature (`PKEY_ID_PKCS7`).
pub const ID_PKCS7: u8 = 2;

/// `id_type` of a Merkle inclusion proof.
pub const ID_MERKLE: u8 = 3;

/// Size of the serialised root: `u32 levels` followed by the hash.
pub const ROOT_LEN: usize = 4 + HASH_LEN;

/// The `levels` of the placeholder root vmlinux is linked with before it is
/// sealed: no tree has that many levels.
pub const UNSEALED_LEVELS: u32 = u32::MAX;

/// Domain separation prefix of a leaf.
const LEAF_PREFIX: u8 = 0x01;

/// Domain separation prefix of an inner node.
const NODE_PREFIX: u8 = 0x02;

/// An incremental SHA-256, provided by the kernel or by the host tool.
pub trait Sha256: Sized {
    /// Starts a new digest.
    fn new() -> Self;
    /// Feeds `data` into the digest.
    fn update(&mut self, data: &[u8]);
    /// Returns the digest of everything fed so far.
    fn finish(self) -> Hash;
}

/// Why a module is not authenticated by a Merkle proof.
///
/// Each reason maps to one errno of module signing's policy, see
/// [`Error::class`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The module does not end with the marker.
    NoTrailer,
    /// After the marker there is no room for the info block.
    InfoTruncated,
    /// `sig_len` leaves no payload in front of the signature.
    SigTooLong {
        /// `sig_len` from the info block.
        sig_len: u32,
        /// Bytes in front of the info block.
        available: usize,
    },
    /// The trailer is not a Merkle proof (a PKCS#7 signature, or unknown).
    WrongType {
        /// `id_type` from the info block.
        id_type: u8,
    },
    /// A field that must be zero for a Merkle proof is not.
    ReservedNonZero,
    /// The proof length does not match the levels of the root.
    ProofLength {
        /// `4 + 32 * levels`, or 0 when that overflows.
        expected: usize,
        /// `sig_len` from the info block.
        actual: usize,
    },
    /// The proof folds to another root.
    RootMismatch,
    /// The root is the placeholder of a vmlinux that was never sealed.
    Unsealed,
}

/// The policy class of an [`Error`], as module signing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// No trailer at all: an unsigned module (`-ENODATA`).
    Unsigned,
    /// A trailer this verifier cannot use (`-ENOPKG`).
    Unsupported,
    /// A well-formed proof that does not lead to the root (`-ENOKEY`).
    UnknownKey,
    /// A malformed trailer, always fatal (`-EBADMSG`).
    Malformed,
}

impl Error {
    /// Returns the policy class that decides what the loader does.
    pub fn class(self) -> ErrorClass {
        match self {
            Error::NoTrailer => ErrorClass::Unsigned,
            Error::WrongType { .. } | Error::ProofLength { .. } => ErrorClass::Unsupported,
            Error::RootMismatch | Error::Unsealed => ErrorClass::UnknownKey,
            Error::InfoTruncated | Error::SigTooLong { .. } | Error::ReservedNonZero => {
                ErrorClass::Malformed
            }
        }
    }
}

/// `struct module_signature`: the 12-byte info block in front of the marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigInfo {
    /// Public-key algorithm, zero for PKCS#7 and Merkle proofs.
    pub algo: u8,
    /// Digest algorithm, zero for PKCS#7 and Merkle proofs.
    pub hash: u8,
    /// Kind of signature: [`ID_PKCS7`], [`ID_MERKLE`] or unknown.
    pub id_type: u8,
    /// Length of the signer's name, zero for PKCS#7 and Merkle proofs.
    pub signer_len: u8,
    /// Length of the key identifier, zero for PKCS#7 and Merkle proofs.
    pub key_id_len: u8,
    /// Padding, zero.
    pub pad: [u8; 3],
    /// Length of the signature data in front of the info block.
    pub sig_len: u32,
}

impl SigInfo {
    /// Decodes an info block.
    pub fn from_bytes(b: &[u8; INFO_LEN]) -> Self {
        let [algo, hash, id_type, signer_len, key_id_len, p0, p1, p2, l0, l1, l2, l3] = *b;
        SigInfo {
            algo,
            hash,
            id_type,
            signer_len,
            key_id_len,
            pad: [p0, p1, p2],
            sig_len: u32::from_be_bytes([l0, l1, l2, l3]),
        }
    }

    /// Encodes the info block.
    pub fn to_bytes(&self) -> [u8; INFO_LEN] {
        let [p0, p1, p2] = self.pad;
        let [l0, l1, l2, l3] = self.sig_len.to_be_bytes();
        [
            self.algo,
            self.hash,
            self.id_type,
            self.signer_len,
            self.key_id_len,
            p0,
            p1,
            p2,
            l0,
            l1,
            l2,
            l3,
        ]
    }

    /// The info block of a Merkle proof of `sig_len` bytes.
    pub fn merkle(sig_len: u32) -> Self {
        SigInfo {
            algo: 0,
            hash: 0,
            id_type: ID_MERKLE,
            signer_len: 0,
            key_id_len: 0,
            pad: [0; 3],
            sig_len,
        }
    }

    /// Whether every field other than `id_type` and `sig_len` is zero.
    pub fn reserved_fields_zero(&self) -> bool {
        self.algo == 0
            && self.hash == 0
            && self.signer_len == 0
            && self.key_id_len == 0
            && self.pad == [0; 3]
    }
}

/// A module split into payload and trailer.
#[derive(Debug, Clone, Copy)]
pub struct Trailer<'a> {
    /// The module as built, without the trailer: the bytes that are hashed.
    pub payload: &'a [u8],
    /// The signature data (`sig_len` bytes).
    pub sig: &'a [u8],
    /// The decoded info block.
    pub info: SigInfo,
}

/// Splits `module` into payload, signature data and info block.
///
/// The checks and their order are those of the kernel's module signature
/// check: a module counts as signed only when it is longer than the marker
/// and ends with it; the info block must fit; `sig_len` must leave at least
/// one byte of payload.
pub fn split_trailer(module: &[u8]) -> Result<Trailer<'_>, Error> {
    if module.len() <= MARKER.len() {
        return Err(Error::NoTrailer);
    }
    let body_len = module.len() - MARKER.len();
    if module.get(body_len..) != Some(&MARKER[..]) {
        return Err(Error::NoTrailer);
    }
    if body_len <= INFO_LEN {
        return Err(Error::InfoTruncated);
    }
    let rest_len = body_len - INFO_LEN;
    let info_bytes = module
        .get(rest_len..body_len)
        .and_then(|b| <&[u8; INFO_LEN]>::try_from(b).ok())
        .ok_or(Error::InfoTruncated)?;
    let info = SigInfo::from_bytes(info_bytes);
    let too_long = Error::SigTooLong {
        sig_len: info.sig_len,
        available: rest_len,
    };
    let sig_len = usize::try_from(info.sig_len).map_err(|_| too_long)?;
    if sig_len >= rest_len {
        return Err(too_long);
    }
    let payload_len = rest_len - sig_len;
    match (module.get(..payload_len), module.get(payload_len..rest_len)) {
        (Some(payload), Some(sig)) => Ok(Trailer { payload, sig, info }),
        _ => Err(too_long),
    }
}

/// The root sealed into vmlinux.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Root {
    /// Number of levels of the tree, and of siblings in every proof.
    pub levels: u32,
    /// The root hash.
    pub hash: Hash,
}

/// Returns the proof length for `levels`: `4 + 32 * levels`.
pub fn proof_len(levels: u32) -> Option<usize> {
    usize::try_from(levels)
        .ok()?
        .checked_mul(HASH_LEN)?
        .checked_add(4)
}

/// Returns the number of levels of a tree of `count` leaves.
pub fn tree_levels(count: u64) -> u32 {
    if count <= 1 {
        // A single leaf is still paired with itself once; no leaves: no tree.
        return if count == 0 { 0 } else { 1 };
    }
    // ceil(log2(count)) for count >= 2.
    u64::BITS - (count - 1).leading_zeros()
}

/// A parsed inclusion proof.
#[derive(Debug, Clone, Copy)]
pub struct Proof<'a> {
    /// Position of the module in `modules.order`.
    pub pos: u32,
    /// The sibling hashes, bottom-up, `HASH_LEN` bytes each.
    siblings: &'a [u8],
}

impl<'a> Proof<'a> {
    /// Parses `sig` as a proof for a tree of `levels` levels.
    pub fn parse(sig: &'a [u8], levels: u32) -> Result<Self, Error> {
        let expected = proof_len(levels).unwrap_or(0);
        if expected == 0 || sig.len() != expected {
            return Err(Error::ProofLength {
                expected,
                actual: sig.len(),
            });
        }
        match (sig.get(..4), sig.get(4..)) {
            (Some(&[a, b, c, d]), Some(siblings)) => Ok(Proof {
                pos: u32::from_be_bytes([a, b, c, d]),
                siblings,
            }),
            _ => Err(Error::ProofLength {
                expected,
                actual: sig.len(),
            }),
        }
    }

    /// Parses `sig` without a root: the levels follow from its length.
    ///
    /// For inspecting a proof; verification uses [`Proof::parse`], which
    /// insists on the root's levels.
    pub fn parse_any(sig: &'a [u8]) -> Option<Self> {
        let siblings = sig.get(4..)?;
        if siblings.len() % HASH_LEN != 0 {
            return None;
        }
        let levels = u32::try_from(siblings.len() / HASH_LEN).ok()?;
        Proof::parse(sig, levels).ok()
    }

    /// Number of sibling hashes.
    pub fn levels(&self) -> usize {
        self.siblings.len() / HASH_LEN
    }

    /// The sibling hashes, bottom-up.
    pub fn siblings(&self) -> impl Iterator<Item = &'a Hash> + 'a {
        self.siblings
            .chunks_exact(HASH_LEN)
            .filter_map(|c| <&Hash>::try_from(c).ok())
    }
}

/// Returns a digest already fed with the leaf prefix for position `pos`.
///
/// Feed the module payload into it and finish it to get the leaf hash; this
/// lets the host tool hash a module while reading it.
pub fn leaf_hasher<H: Sha256>(pos: u32) -> H {
    let mut h = H::new();
    let [a, b, c, d] = pos.to_be_bytes();
    h.update(&[LEAF_PREFIX, a, b, c, d]);
    h
}

/// Returns the leaf hash of `payload` at position `pos`.
pub fn leaf_hash<H: Sha256>(pos: u32, payload: &[u8]) -> Hash {
    let mut h = leaf_hasher::<H>(pos);
    h.update(payload);
    h.finish()
}

/// Returns the inner node over `left` and `right`.
pub fn node_hash<H: Sha256>(left: &Hash, right: &Hash) -> Hash {
    let mut h = H::new();
    h.update(&[NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finish()
}

/// Folds `proof` into the root it implies for `leaf`.
///
/// At level `i` the running hash is the left child when bit `i` of the
/// position is clear, the right child otherwise.
pub fn fold<H: Sha256>(leaf: Hash, proof: &Proof<'_>) -> Hash {
    let mut cur = leaf;
    let mut pos = proof.pos;
    for sibling in proof.siblings() {
        cur = if pos & 1 == 0 {
            node_hash::<H>(&cur, sibling)
        } else {
            node_hash::<H>(sibling, &cur)
        };
        pos >>= 1;
    }
    cur
}

/// Compares two hashes in time independent of where they differ.
fn hashes_equal(a: &Hash, b: &Hash) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Checks a Merkle trailer that has been split off a module against `root`.
pub fn verify_trailer<H: Sha256>(trailer: &Trailer<'_>, root: &Root) -> Result<(), Error> {
    if root.levels == UNSEALED_LEVELS {
        return Err(Error::Unsealed);
    }
    if trailer.info.id_type != ID_MERKLE {
        return Err(Error::WrongType {
            id_type: trailer.info.id_type,
        });
    }
    if !trailer.info.reserved_fields_zero() {
        return Err(Error::ReservedNonZero);
    }
    let proof = Proof::parse(trailer.sig, root.levels)?;
    let leaf = leaf_hash::<H>(proof.pos, trailer.payload);
    if hashes_equal(&fold::<H>(leaf, &proof), &root.hash) {
        Ok(())
    } else {
        Err(Error::RootMismatch)
    }
}

/// Checks a whole module (payload and trailer) against `root`.
pub fn verify_module<H: Sha256>(module: &[u8], root: &Root) -> Result<(), Error> {
    verify_trailer::<H>(&split_trailer(module)?, root)
}
