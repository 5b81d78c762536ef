// SPDX-License-Identifier: GPL-2.0

//! Hashing module files into leaves, on all cores, reading each file in
//! fixed-size chunks so that memory does not grow with module size.

use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::proof::{self, Hash, SigInfo, HASH_LEN, INFO_LEN, MARKER};
use crate::sha256::Sha256;

/// Read size: large enough to keep the hash busy, small enough per thread.
const CHUNK: usize = 256 * 1024;

/// What identifies one version of a file, to notice it changing under us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
    ctime: i64,
    ctime_nsec: i64,
}

impl Stamp {
    /// The stamp of `meta`.
    pub fn of(meta: &Metadata) -> Self {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            ctime: meta.ctime(),
            ctime_nsec: meta.ctime_nsec(),
        }
    }
}

/// A hashed module.
#[derive(Debug, Clone)]
pub struct Hashed {
    /// The leaf hash of the payload at the module's position.
    pub leaf: Hash,
    /// Bytes hashed: the module without an existing Merkle trailer.
    pub payload_len: u64,
    /// Length of the whole file, existing trailer included.
    pub file_len: u64,
    /// The file as it was hashed.
    pub stamp: Stamp,
}

/// Returns the length of the Merkle trailer at the end of a file whose last
/// `INFO_LEN + MARKER.len()` bytes are `tail`, or 0 when there is none.
///
/// An existing proof is not part of what is authenticated: ignoring it makes
/// re-running the build over modules that already carry proofs idempotent.
pub fn merkle_trailer_len(file_len: u64, tail: &[u8]) -> u64 {
    let (Some(info), Some(marker)) = (tail.get(..INFO_LEN), tail.get(INFO_LEN..)) else {
        return 0;
    };
    let Ok(info) = <&[u8; INFO_LEN]>::try_from(info) else {
        return 0;
    };
    if marker != MARKER.as_slice() {
        return 0;
    }
    let info = SigInfo::from_bytes(info);
    let sig_len = u64::from(info.sig_len);
    let overhead = (INFO_LEN + MARKER.len()) as u64;
    let well_formed = info.id_type == proof::ID_MERKLE
        && info.reserved_fields_zero()
        && sig_len >= 4
        && (sig_len - 4) % HASH_LEN as u64 == 0
        && sig_len + overhead < file_len;
    if well_formed {
        sig_len + overhead
    } else {
        0
    }
}

/// Reads the info block and marker at the end of `file`, with one
/// positioned read that leaves the file offset where it was.
pub fn read_tail(file: &File, file_len: u64) -> std::io::Result<Vec<u8>> {
    let want = (INFO_LEN + MARKER.len()) as u64;
    if file_len < want {
        return Ok(Vec::new());
    }
    let mut tail = vec![0; INFO_LEN + MARKER.len()];
    file.read_exact_at(&mut tail, file_len - want)?;
    Ok(tail)
}

/// Streams the first `len` bytes of `file` into `hasher`, handing each chunk
/// to `sink` as well (to copy what is hashed, and only that).
pub fn hash_prefix<S>(
    file: &mut File,
    len: u64,
    hasher: &mut Sha256,
    buf: &mut [u8],
    mut sink: S,
) -> std::io::Result<()>
where
    S: FnMut(&[u8]) -> std::io::Result<()>,
{
    let mut left = len;
    while left > 0 {
        if let Some(sig) = crate::interrupt::received() {
            return Err(std::io::Error::other(format!(
                "interrupted by signal {sig}"
            )));
        }
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let chunk = buf
            .get_mut(..want)
            .ok_or_else(|| std::io::Error::other("read buffer too small"))?;
        file.read_exact(chunk)?;
        hasher.update(chunk);
        sink(chunk)?;
        left -= want as u64;
    }
    Ok(())
}

/// Hashes the module at `path` as the leaf at `pos`.
pub fn hash_module(path: &Path, pos: u32, buf: &mut [u8]) -> Result<Hashed, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let before = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !before.is_file() {
        return Err("not a regular file".into());
    }
    let file_len = before.len();
    if file_len == 0 {
        return Err("empty module (0 bytes)".into());
    }
    let tail = read_tail(&file, file_len).map_err(|e| format!("read failed: {e}"))?;
    let payload_len = file_len - merkle_trailer_len(file_len, &tail);
    let mut hasher = proof::leaf_hasher::<Sha256>(pos);
    hash_prefix(&mut file, payload_len, &mut hasher, buf, |_| Ok(()))
        .map_err(|e| format!("read failed: {e}"))?;
    let after = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    let stamp = Stamp::of(&before);
    if Stamp::of(&after) != stamp {
        return Err("changed while it was being hashed".into());
    }
    Ok(Hashed {
        leaf: proof::Sha256::finish(hasher),
        payload_len,
        file_len,
        stamp,
    })
}

/// Runs `work` over `items` on `jobs` threads and returns the results in
/// item order, so the output never depends on thread timing. On failure
/// returns the error of the first failing item in order, with its index.
pub fn parallel_map<T, R, F>(items: &[T], jobs: usize, work: F) -> Result<Vec<R>, (usize, String)>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T, &mut Vec<u8>) -> Result<R, String> + Sync,
{
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<R, String>>>> =
        Mutex::new((0..items.len()).map(|_| None).collect());
    let jobs = jobs.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut buf = vec![0u8; CHUNK];
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = work(index, item, &mut buf);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut slots) = results.lock() {
                        if let Some(slot) = slots.get_mut(index) {
                            *slot = Some(result);
                        }
                    }
                }
            });
        }
    });
    let slots = results
        .into_inner()
        .map_err(|_| (0, "worker thread panicked".to_string()))?;
    let mut out = Vec::with_capacity(slots.len());
    for (index, slot) in slots.into_iter().enumerate() {
        match slot {
            Some(Ok(r)) => out.push(r),
            Some(Err(e)) => return Err((index, e)),
            // Skipped after another item failed: that failure comes later.
            None => {}
        }
    }
    if out.len() == items.len() {
        Ok(out)
    } else {
        Err((items.len(), "work stopped early".into()))
    }
}
