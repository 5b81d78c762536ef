// SPDX-License-Identifier: GPL-2.0

//! File output that never leaves a file half-written: every output is
//! written to a temporary file in the destination's directory, flushed to
//! disk, and renamed over the destination only once everything is ready.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A complete, flushed temporary file waiting to replace its destination.
/// Dropping it without [`Staged::commit`] removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

/// The temporary name for `dest`: hidden, in the same directory (so the
/// rename stays within one file system), and unique to this process.
fn temp_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = format!(".{name}.tmp{}", std::process::id());
    match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(tmp),
        _ => PathBuf::from(tmp),
    }
}

/// Writes a temporary file for `dest` with `fill`, gives it `perm` when set,
/// and flushes it to disk.
pub fn stage_with<F>(dest: &Path, perm: Option<Permissions>, fill: F) -> io::Result<Staged>
where
    F: FnOnce(&mut File) -> io::Result<()>,
{
    // Renaming over a directory or a device would fail only at commit
    // time, after other outputs have been replaced: refuse it now.
    if let Ok(meta) = fs::symlink_metadata(dest) {
        if !meta.is_file() {
            return Err(io::Error::other("exists and is not a regular file"));
        }
    }
    let tmp = temp_path(dest);
    let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    // From here on the temporary file is removed on any failure.
    let staged = Staged {
        tmp,
        dest: dest.to_path_buf(),
        committed: false,
    };
    fill(&mut file)?;
    if let Some(perm) = perm {
        file.set_permissions(perm)?;
    }
    file.sync_all()?;
    Ok(staged)
}

/// Writes `data` to a temporary file for `dest` and flushes it to disk.
pub fn stage(dest: &Path, data: &[u8]) -> io::Result<Staged> {
    stage_with(dest, None, |f| f.write_all(data))
}

impl Staged {
    /// The destination this file will replace.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Renames the temporary file over its destination.
    pub fn commit(mut self) -> io::Result<()> {
        fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `data` to `dest` atomically.
pub fn write_atomic(dest: &Path, data: &[u8]) -> io::Result<()> {
    stage(dest, data)?.commit()
}
