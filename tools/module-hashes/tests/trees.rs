//! Trees of every size from 1 to 300: every proof verifies through the proof
//! core, and no single-bit change to a module, its proof or its info block
//! gets through.

// Positions index several arrays at once.
#![allow(clippy::needless_range_loop)]

use module_hashes::proof::{
    self, Error, ErrorClass, Root, HASH_LEN, INFO_LEN, MARKER, UNSEALED_LEVELS,
};
use module_hashes::sha256::Sha256;
use module_hashes::tree::{self, Tree};

/// A small deterministic payload for module `pos` of a tree of `n`.
fn payload(n: usize, pos: usize) -> Vec<u8> {
    let len = 1 + (n * 7 + pos * 13) % 48;
    (0..len)
        .map(|i| (n * 31 + pos * 17 + i * 7) as u8)
        .collect()
}

fn build(n: usize) -> (Tree, Vec<Vec<u8>>) {
    let payloads: Vec<Vec<u8>> = (0..n).map(|pos| payload(n, pos)).collect();
    let leaves = payloads
        .iter()
        .enumerate()
        .map(|(pos, p)| tree::leaf_of(pos as u32, p))
        .collect();
    (Tree::build(leaves).expect("tree"), payloads)
}

/// The module as installed: payload followed by its trailer.
fn signed_module(tree: &Tree, payloads: &[Vec<u8>], pos: usize) -> Vec<u8> {
    let mut m = payloads[pos].clone();
    m.extend(tree::trailer(&tree.proof(pos).expect("proof")).expect("trailer"));
    m
}

fn verify(module: &[u8], root: &Root) -> Result<(), Error> {
    proof::verify_module::<Sha256>(module, root)
}

/// Cheap deterministic choice of one bit within `len` bytes.
fn pick_bit(seed: usize, len: usize) -> usize {
    (seed.wrapping_mul(2654435761) >> 3) % (len * 8)
}

fn flip(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] ^= 1 << (bit % 8);
}

#[test]
fn levels_follow_the_format() {
    assert_eq!(proof::tree_levels(0), 0);
    assert_eq!(proof::tree_levels(1), 1);
    assert_eq!(proof::tree_levels(2), 1);
    assert_eq!(proof::tree_levels(3), 2);
    assert_eq!(proof::tree_levels(4), 2);
    assert_eq!(proof::tree_levels(5), 3);
    assert_eq!(proof::tree_levels(4256), 13);
    assert_eq!(proof::tree_levels(u64::from(u32::MAX)), 32);
    assert_eq!(proof::proof_len(13), Some(420));
}

#[test]
fn empty_tree_has_zero_root() {
    let t = Tree::build(Vec::new()).unwrap();
    assert_eq!(
        t.root(),
        Root {
            levels: 0,
            hash: [0; HASH_LEN]
        }
    );
    assert!(t.proof(0).is_none());
}

#[test]
fn single_module_is_paired_with_itself() {
    let (t, p) = build(1);
    let leaf = tree::leaf_of(0, &p[0]);
    assert_eq!(t.root().levels, 1);
    assert_eq!(t.root().hash, proof::node_hash::<Sha256>(&leaf, &leaf));
    let mut expect = vec![0, 0, 0, 0];
    expect.extend_from_slice(&leaf);
    assert_eq!(t.proof(0).unwrap(), expect);
}

#[test]
fn every_proof_of_every_tree_up_to_300_verifies_and_resists_flips() {
    let mut checked = 0usize;
    for n in 1..=300 {
        let (t, payloads) = build(n);
        let root = t.root();
        assert_eq!(root.levels, proof::tree_levels(n as u64), "n={n}");
        for pos in 0..n {
            let module = signed_module(&t, &payloads, pos);
            assert_eq!(verify(&module, &root), Ok(()), "n={n} pos={pos}");
            let plen = payloads[pos].len();
            let proof_start = plen;
            let sib_start = proof_start + 4;
            let info_start = sib_start + HASH_LEN * root.levels as usize;
            // One bit in each region: payload, position, each sibling, info.
            let mut regions = vec![(0, plen), (proof_start, 4), (info_start, INFO_LEN)];
            for l in 0..root.levels as usize {
                regions.push((sib_start + l * HASH_LEN, HASH_LEN));
            }
            for (k, &(start, len)) in regions.iter().enumerate() {
                let mut bad = module.clone();
                flip(
                    &mut bad[start..start + len],
                    pick_bit(n * 1000 + pos * 10 + k, len),
                );
                assert!(verify(&bad, &root).is_err(), "n={n} pos={pos} region={k}");
                checked += 1;
            }
            // Wrong levels: one more or one fewer than the root's.
            for levels in [root.levels + 1, root.levels - 1] {
                let other = Root {
                    levels,
                    hash: root.hash,
                };
                assert!(
                    matches!(verify(&module, &other), Err(Error::ProofLength { .. })),
                    "n={n} pos={pos} levels={levels}"
                );
            }
        }
    }
    assert!(checked > 40_000);
}

#[test]
fn every_single_bit_flip_of_small_trees_fails() {
    for n in 1..=17 {
        let (t, payloads) = build(n);
        let root = t.root();
        for pos in 0..n {
            let module = signed_module(&t, &payloads, pos);
            for bit in 0..module.len() * 8 {
                let mut bad = module.clone();
                flip(&mut bad, bit);
                let result = verify(&bad, &root);
                assert!(result.is_err(), "n={n} pos={pos} bit={bit} verified");
            }
        }
    }
}

#[test]
fn a_proof_does_not_verify_another_module_or_position() {
    let n = 37;
    let (t, payloads) = build(n);
    let root = t.root();
    for pos in 0..n {
        let other = (pos + 1) % n;
        // The proof of another module on this payload.
        let mut m = payloads[pos].clone();
        m.extend(tree::trailer(&t.proof(other).unwrap()).unwrap());
        assert_eq!(verify(&m, &root), Err(Error::RootMismatch));
        // This proof with the position changed to the other module's.
        let mut p = t.proof(pos).unwrap();
        p[..4].copy_from_slice(&(other as u32).to_be_bytes());
        let mut m = payloads[pos].clone();
        m.extend(tree::trailer(&p).unwrap());
        assert_eq!(verify(&m, &root), Err(Error::RootMismatch));
    }
}

#[test]
fn trailer_errors_have_the_policy_class_of_module_signing() {
    let (t, payloads) = build(5);
    let root = t.root();
    let good = signed_module(&t, &payloads, 2);
    let body = good.len() - MARKER.len();
    let info_at = body - INFO_LEN;

    assert_eq!(verify(&payloads[2], &root), Err(Error::NoTrailer));
    assert_eq!(Error::NoTrailer.class(), ErrorClass::Unsigned);
    // Only the marker: not even a trailer (the kernel needs len > marker).
    assert_eq!(verify(MARKER, &root), Err(Error::NoTrailer));
    // Marker with less than an info block in front.
    let mut m = vec![0u8; INFO_LEN];
    m.extend_from_slice(MARKER);
    assert_eq!(verify(&m, &root), Err(Error::InfoTruncated));

    let with_info = |f: &dyn Fn(&mut [u8])| {
        let mut m = good.clone();
        f(&mut m[info_at..body]);
        verify(&m, &root)
    };
    // PKCS#7 and unknown types are not ours: ENOPKG.
    let e = with_info(&|i| i[2] = proof::ID_PKCS7);
    assert_eq!(e, Err(Error::WrongType { id_type: 2 }));
    assert_eq!(e.unwrap_err().class(), ErrorClass::Unsupported);
    // Reserved fields: EBADMSG.
    for field in [0, 1, 3, 4, 5, 6, 7] {
        let e = with_info(&|i| i[field] = 1);
        assert_eq!(e, Err(Error::ReservedNonZero), "field {field}");
        assert_eq!(e.unwrap_err().class(), ErrorClass::Malformed);
    }
    // sig_len reaching into or past the payload: EBADMSG.
    let rest = info_at as u32;
    for sig_len in [rest, rest + 1, u32::MAX] {
        let e = with_info(&|i| i[8..].copy_from_slice(&sig_len.to_be_bytes()));
        assert!(
            matches!(e, Err(Error::SigTooLong { .. })),
            "sig_len {sig_len}"
        );
        assert_eq!(e.unwrap_err().class(), ErrorClass::Malformed);
    }
    // A shorter sig_len shifts the proof: wrong length, ENOPKG.
    let e = with_info(&|i| {
        let l = u32::from_be_bytes(i[8..].try_into().unwrap()) - 32;
        i[8..].copy_from_slice(&l.to_be_bytes());
    });
    assert!(matches!(e, Err(Error::ProofLength { .. })));
    assert_eq!(e.unwrap_err().class(), ErrorClass::Unsupported);
    // A root of another build: ENOKEY.
    let other = Root {
        levels: root.levels,
        hash: [7; HASH_LEN],
    };
    let e = verify(&good, &other);
    assert_eq!(e, Err(Error::RootMismatch));
    assert_eq!(e.unwrap_err().class(), ErrorClass::UnknownKey);
    // The placeholder of an unsealed vmlinux: ENOKEY for every proof.
    let unsealed = Root {
        levels: UNSEALED_LEVELS,
        hash: [0; HASH_LEN],
    };
    let e = verify(&good, &unsealed);
    assert_eq!(e, Err(Error::Unsealed));
    assert_eq!(e.unwrap_err().class(), ErrorClass::UnknownKey);
}

#[test]
fn absurd_levels_do_not_panic() {
    let (t, payloads) = build(3);
    let module = signed_module(&t, &payloads, 1);
    for levels in [0, 33, 64, u32::MAX / 32, u32::MAX] {
        let root = Root {
            levels,
            hash: t.root().hash,
        };
        assert!(verify(&module, &root).is_err());
    }
    // A proof of 40 levels folded with positions that overflow a shift.
    let mut sig = vec![0xff; 4 + 40 * HASH_LEN];
    sig[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let p = proof::Proof::parse(&sig, 40).unwrap();
    let _ = proof::fold::<Sha256>([0; HASH_LEN], &p);
}
