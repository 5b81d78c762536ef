//! Fuzzes the proof core the kernel compiles: arbitrary bytes never panic,
//! and a valid proof with any one change never verifies.

#![no_main]

use libfuzzer_sys::fuzz_target;
use module_hashes::proof::{self, Root, HASH_LEN};
use module_hashes::sha256::Sha256;
use module_hashes::tree::{self, Tree};

fuzz_target!(|data: &[u8]| {
    let (&head, rest) = match data.split_first() {
        Some(split) => split,
        None => return,
    };

    // Arbitrary bytes as a module, against roots of any level count.
    for levels in [0, 1, u32::from(head % 40), u32::MAX] {
        let root = Root {
            levels,
            hash: [head; HASH_LEN],
        };
        let _ = proof::verify_module::<Sha256>(rest, &root);
    }
    if let Ok(t) = proof::split_trailer(rest) {
        if let Some(p) = proof::Proof::parse_any(t.sig) {
            let _ = proof::fold::<Sha256>([0; HASH_LEN], &p);
        }
    }

    // A real tree of up to 16 modules derived from the input; the module at
    // one position with its trailer verifies, and any single change to it
    // (byte position and xor value taken from the input) is rejected.
    let n = usize::from(head % 16) + 1;
    let payloads: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut p = rest.to_vec();
            p.push(i as u8);
            p
        })
        .collect();
    let leaves = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| tree::leaf_of(i as u32, p))
        .collect();
    let t = Tree::build(leaves).expect("tree of at most 16 leaves");
    let root = t.root();
    let pos = rest.len() % n;
    let mut module = payloads[pos].clone();
    module.extend(tree::trailer(&t.proof(pos).expect("proof")).expect("trailer"));
    assert_eq!(proof::verify_module::<Sha256>(&module, &root), Ok(()));

    let seed = rest.iter().fold(head as usize, |a, &b| {
        a.wrapping_mul(31).wrapping_add(b as usize)
    });
    let at = seed % module.len();
    let xor = (seed >> 8) as u8 | 1;
    module[at] ^= xor;
    assert!(
        proof::verify_module::<Sha256>(&module, &root).is_err(),
        "a changed module verified (byte {at} ^ {xor:#x})"
    );
});
