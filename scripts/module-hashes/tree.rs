// SPDX-License-Identifier: GPL-2.0

//! The Merkle tree over all modules: every level is kept, so that each
//! module's proof is read off the tree; memory is about twice the number of
//! modules times 32 bytes.

use crate::proof::{self, tree_levels, Hash, Root, HASH_LEN};
use crate::sha256::Sha256;

/// A complete tree: `levels[0]` holds the leaves, the last level the root.
#[derive(Debug, Clone)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
    root: Root,
}

impl Tree {
    /// Builds the tree over `leaves` in `modules.order` order.
    ///
    /// Returns `None` when there are more leaves than a `u32` position can
    /// name.
    pub fn build(leaves: Vec<Hash>) -> Option<Tree> {
        let count = u64::try_from(leaves.len()).ok()?;
        if count > u64::from(u32::MAX) {
            return None;
        }
        let depth = tree_levels(count);
        if leaves.is_empty() {
            return Some(Tree {
                levels: vec![leaves],
                root: Root {
                    levels: 0,
                    hash: [0; HASH_LEN],
                },
            });
        }
        let mut levels = vec![leaves];
        for _ in 0..depth {
            let below = levels.last()?;
            let above = below
                .chunks(2)
                .map(|pair| {
                    let left = pair.first()?;
                    // The odd last node is paired with itself.
                    let right = pair.get(1).unwrap_or(left);
                    Some(proof::node_hash::<Sha256>(left, right))
                })
                .collect::<Option<Vec<Hash>>>()?;
            levels.push(above);
        }
        let top = levels.last()?;
        // Exactly one node must remain: anything else is a bug in the levels.
        let hash = match top.as_slice() {
            [hash] => *hash,
            _ => return None,
        };
        Some(Tree {
            levels,
            root: Root {
                levels: depth,
                hash,
            },
        })
    }

    /// The root to seal into vmlinux.
    pub fn root(&self) -> Root {
        self.root
    }

    /// The leaf at `pos`.
    pub fn leaf(&self, pos: usize) -> Option<&Hash> {
        self.levels.first()?.get(pos)
    }

    /// The serialised proof for the leaf at `pos`: `be32 pos` and one
    /// sibling per level, bottom-up.
    pub fn proof(&self, pos: usize) -> Option<Vec<u8>> {
        let pos32 = u32::try_from(pos).ok()?;
        self.leaf(pos)?;
        let mut out = Vec::with_capacity(proof::proof_len(self.root.levels)?);
        out.extend_from_slice(&pos32.to_be_bytes());
        let depth = usize::try_from(self.root.levels).ok()?;
        for (i, level) in self.levels.iter().take(depth).enumerate() {
            let index = pos >> i;
            // A missing right neighbour means the node was paired with itself.
            let sibling = level.get(index ^ 1).or_else(|| level.get(index))?;
            out.extend_from_slice(sibling);
        }
        Some(out)
    }
}

/// The full trailer for a proof: proof, info block and marker, ready to be
/// appended to a module.
pub fn trailer(proof_bytes: &[u8]) -> Option<Vec<u8>> {
    let sig_len = u32::try_from(proof_bytes.len()).ok()?;
    let mut out = Vec::with_capacity(proof_bytes.len() + proof::INFO_LEN + proof::MARKER.len());
    out.extend_from_slice(proof_bytes);
    out.extend_from_slice(&proof::SigInfo::merkle(sig_len).to_bytes());
    out.extend_from_slice(proof::MARKER);
    Some(out)
}

/// Folds `proof_bytes` for `leaf` and compares with `root`, through the same
/// proof core the kernel runs.
pub fn proof_leads_to_root(leaf: &Hash, proof_bytes: &[u8], root: &Root) -> bool {
    match proof::Proof::parse(proof_bytes, root.levels) {
        Ok(p) => proof::fold::<Sha256>(*leaf, &p) == root.hash,
        Err(_) => false,
    }
}

/// Hashes `data` as the leaf at `pos` (convenience for tests and tools).
pub fn leaf_of(pos: u32, data: &[u8]) -> Hash {
    let mut h = proof::leaf_hasher::<Sha256>(pos);
    h.update(data);
    h.finish()
}
