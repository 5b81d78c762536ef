// SPDX-License-Identifier: GPL-2.0

//! File output that never leaves a file half-written: every output is
//! written to a temporary file in the destination's directory and renamed
//! over the destination only once everything is ready.
//!
//! Callers that want the outputs on disk before they replace the old ones
//! flush them first ([`flush`]): a kernel build writes thousands of small
//! outputs at once and one fsync per file would cost more than hashing all
//! modules, so they are flushed together, one `syncfs(2)` per file system.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A complete, flushed temporary file waiting to replace its destination.
/// Dropping it without [`Staged::commit`] removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    /// The file system it is on, for [`flush`].
    dev: u64,
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

/// Writes a temporary file for `dest` with `fill` and gives it `perm` when
/// set. To have it on disk before it replaces `dest`, [`flush`] it first.
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
    let mut staged = Staged {
        tmp,
        dest: dest.to_path_buf(),
        dev: 0,
        committed: false,
    };
    staged.dev = file.metadata()?.dev();
    fill(&mut file)?;
    if let Some(perm) = perm {
        file.set_permissions(perm)?;
    }
    Ok(staged)
}

/// Writes `data` to a temporary file for `dest`.
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

#[cfg(target_os = "linux")]
extern "C" {
    /// `syncfs(2)` from the C library, which std already links.
    fn syncfs(fd: std::os::raw::c_int) -> std::os::raw::c_int;
}

/// Flushes staged files to disk: one `syncfs(2)` per file system on Linux,
/// one fsync per file elsewhere.
pub fn flush<'a>(staged: impl IntoIterator<Item = &'a Staged>) -> io::Result<()> {
    let mut devices = Vec::new();
    for s in staged {
        if cfg!(target_os = "linux") && devices.contains(&s.dev) {
            continue;
        }
        devices.push(s.dev);
        let file = File::open(&s.tmp)?;
        if cfg!(not(target_os = "linux")) {
            file.sync_all()?;
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: `file` is open for the whole call, so its descriptor
            // is valid; syncfs() only reads it.
            if unsafe { syncfs(file.as_raw_fd()) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}
