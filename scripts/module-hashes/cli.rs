// SPDX-License-Identifier: GPL-2.0

//! The command line: argument parsing, the subcommands and their messages.
//!
//! Exit codes: 0 success, 1 failure (a module that does not verify, bad
//! input, an I/O error), 2 wrong usage.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::elf;
use crate::fsio::{self, Staged};
use crate::hashing::{self, Hashed};
use crate::order;
use crate::proof::{self, Error, Root, SigInfo, HASH_LEN, ID_MERKLE, ID_PKCS7, ROOT_LEN};
use crate::sha256::Sha256;
use crate::tree::{self, Tree};

const USAGE: &str = "\
Usage: module-hashes <command> [options]

Merkle roots and inclusion proofs for hash-based module authentication
(CONFIG_MODULE_HASHES).

Commands:
  build     hash the modules of a kernel build, append its proof to each
            module and write the root
  verify    check modules against a root
  inspect   describe the signature trailer of modules
  root      print the root sealed into a vmlinux

Run 'module-hashes <command> --help' for the options of a command.
";

const BUILD_USAGE: &str = "\
Usage: module-hashes build --order FILE --suffix SUFFIX --root-bin FILE
                           [--big-endian] [--jobs N] [--sync]

Hashes every module listed in modules.order (paths relative to the current
directory, each ending in .o; the module is the path with .o replaced by
SUFFIX, e.g. .ko or .ko.stripped), builds the Merkle tree, checks every proof
against the root, and only then:
  - appends its proof trailer to each module, in place of a Merkle trailer
    it already carries (a module whose proof is already in place is left
    untouched; a module that changed after it was hashed stops the build
    with nothing written)
  - writes the 36-byte root to the --root-bin FILE: u32 levels, then the
    hash
It writes no other file. An existing Merkle trailer on a module is not
hashed, so running build again over modules that carry proofs gives the same
tree. Every output is first written to a temporary file; an error up to
then changes nothing. Only then are they renamed into place, the root last,
so that an interrupted run leaves an old root that marks the outputs as
stale.

Options:
  --big-endian   store levels big endian (for big-endian targets)
  --jobs N       hash on N threads (default: make's -j when run by make,
                 all CPUs otherwise)
  --sync         flush the outputs to disk (one syncfs(2) per file system)
                 before renaming them; kbuild does not, like the linker:
                 it would wait for every dirty file of the build
";

const VERIFY_USAGE: &str = "\
Usage: module-hashes verify (--root FILE | --vmlinux FILE | --running)
                            [--big-endian] MODULE...

Checks each MODULE (with its trailer appended) against a root: the 36-byte
root file written by 'build', the .module_hashes section of a vmlinux, or
the root of the running kernel (would these modules load as authenticated?).
Prints one line per module, 'ok' or the reason it would not load as
authenticated. Exits 0 only when every module verifies.

Options:
  --root FILE     raw root (levels in the byte order of the target)
  --vmlinux FILE  read the root from this kernel image
  --running       read the root of the running kernel from
                  /sys/kernel/module_hashes/ (--sysfs DIR reads another
                  directory with the files levels and root)
  --big-endian    the --root file has big-endian levels
";

const INSPECT_USAGE: &str = "\
Usage: module-hashes inspect MODULE...

Describes the signature trailer of each MODULE: its type, lengths, and for a
Merkle proof the position, levels, sibling hashes, the leaf hash and the root
the proof leads to. PKCS#7 signatures are recognised and described.
";

const ROOT_USAGE: &str = "\
Usage: module-hashes root VMLINUX

Prints the levels and the root hash sealed into the .module_hashes section
of VMLINUX.
";

/// The outcome of a subcommand.
enum Fail {
    /// Bad input or an I/O error: message printed, exit 1.
    Error(String),
    /// Wrong usage: message and usage printed, exit 2.
    Usage(String, &'static str),
    /// Failure already reported (e.g. a module did not verify): exit 1.
    Reported,
}

type CmdResult = Result<(), Fail>;

fn err<T>(msg: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Error(msg.into()))
}

/// Parsed options of one subcommand.
struct Args {
    values: Vec<(&'static str, OsString)>,
    flags: Vec<&'static str>,
    positional: Vec<OsString>,
    help: bool,
}

impl Args {
    /// Parses `args` given the options that take a value and the flags.
    fn parse(
        args: &[OsString],
        valued: &[&'static str],
        flags: &[&'static str],
        usage: &'static str,
    ) -> Result<Args, Fail> {
        let mut out = Args {
            values: Vec::new(),
            flags: Vec::new(),
            positional: Vec::new(),
            help: false,
        };
        let mut iter = args.iter();
        let mut only_positional = false;
        while let Some(arg) = iter.next() {
            let text = arg.to_str().unwrap_or("");
            if only_positional || !text.starts_with("--") {
                out.positional.push(arg.clone());
                continue;
            }
            if text == "--" {
                only_positional = true;
                continue;
            }
            if text == "--help" {
                out.help = true;
                continue;
            }
            let (name, inline) = match text.split_once('=') {
                Some((n, v)) => (n, Some(OsString::from(v))),
                None => (text, None),
            };
            if let Some(&flag) = flags.iter().find(|&&f| f == name) {
                if inline.is_some() {
                    return Err(Fail::Usage(format!("{flag} takes no value"), usage));
                }
                out.flags.push(flag);
            } else if let Some(&opt) = valued.iter().find(|&&o| o == name) {
                let value = match inline {
                    Some(v) => v,
                    None => iter
                        .next()
                        .cloned()
                        .ok_or_else(|| Fail::Usage(format!("{opt} needs a value"), usage))?,
                };
                if out.values.iter().any(|(n, _)| *n == opt) {
                    return Err(Fail::Usage(format!("{opt} given twice"), usage));
                }
                out.values.push((opt, value));
            } else {
                return Err(Fail::Usage(format!("unknown option {text}"), usage));
            }
        }
        Ok(out)
    }

    fn value(&self, name: &str) -> Option<&OsStr> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_os_str())
    }

    fn required(&self, name: &str, usage: &'static str) -> Result<&OsStr, Fail> {
        self.value(name)
            .ok_or_else(|| Fail::Usage(format!("{name} is required"), usage))
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }
}

/// Runs the command line `args` (without the program name); returns the
/// exit code.
pub fn run(args: &[OsString]) -> i32 {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return 2;
    };
    let result = match command.to_str().unwrap_or("") {
        "build" => cmd_build(rest),
        "verify" => cmd_verify(rest),
        "inspect" => cmd_inspect(rest),
        "root" => cmd_root(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Fail::Usage(format!("unknown command '{other}'"), USAGE)),
    };
    match result {
        Ok(()) => 0,
        Err(Fail::Error(msg)) => {
            eprintln!("module-hashes: {msg}");
            1
        }
        Err(Fail::Usage(msg, usage)) => {
            eprintln!("module-hashes: {msg}\n");
            eprint!("{usage}");
            2
        }
        Err(Fail::Reported) => 1,
    }
}

fn show(path: &Path) -> std::path::Display<'_> {
    path.display()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Serialises a root: levels in the target's byte order, then the hash.
pub fn root_bytes(root: &Root, big_endian: bool) -> [u8; ROOT_LEN] {
    let levels = if big_endian {
        root.levels.to_be_bytes()
    } else {
        root.levels.to_le_bytes()
    };
    let mut out = [0u8; ROOT_LEN];
    let (head, tail) = out.split_at_mut(4);
    head.copy_from_slice(&levels);
    tail.copy_from_slice(&root.hash);
    out
}

/// Parses a serialised root.
pub fn parse_root(bytes: &[u8], big_endian: bool) -> Option<Root> {
    let bytes: &[u8; ROOT_LEN] = bytes.try_into().ok()?;
    let (head, tail) = bytes.split_at(4);
    let levels: [u8; 4] = head.try_into().ok()?;
    Some(Root {
        levels: if big_endian {
            u32::from_be_bytes(levels)
        } else {
            u32::from_le_bytes(levels)
        },
        hash: tail.try_into().ok()?,
    })
}

/// The threads to hash on: `--jobs`; else, when make runs the tool, make's
/// job limit; else every CPU.
fn jobs_option(args: &Args, usage: &'static str) -> Result<usize, Fail> {
    let cpus = || std::thread::available_parallelism().map_or(1, |n| n.get());
    match args.value("--jobs") {
        None => Ok(std::env::var("MAKEFLAGS")
            .ok()
            .map_or_else(|| Some(cpus()), |flags| jobs_from_makeflags(&flags))
            .unwrap_or_else(cpus)),
        Some(v) => v
            .to_str()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| Fail::Usage("--jobs needs a positive number".into(), usage)),
    }
}

/// make's job limit from `MAKEFLAGS`: `-jN` is N, no `-j` is one job, and a
/// bare `-j` (no limit) is `None`.
pub fn jobs_from_makeflags(flags: &str) -> Option<usize> {
    match flags.split_whitespace().find_map(|w| w.strip_prefix("-j")) {
        None => Some(1),
        Some(n) => n.parse::<usize>().ok().filter(|&n| n > 0),
    }
}

/// Reads the whole file at `path`, naming it in the error.
fn read_file(path: &Path) -> Result<Vec<u8>, Fail> {
    fs::read(path).or_else(|e| err(format!("{}: cannot read: {e}", show(path))))
}

fn cmd_build(raw: &[OsString]) -> CmdResult {
    let usage = BUILD_USAGE;
    let args = Args::parse(
        raw,
        &["--order", "--suffix", "--root-bin", "--jobs"],
        &["--big-endian", "--sync"],
        usage,
    )?;
    if args.help {
        print!("{usage}");
        return Ok(());
    }
    if let Some(extra) = args.positional.first() {
        return Err(Fail::Usage(
            format!("unexpected argument {}", extra.to_string_lossy()),
            usage,
        ));
    }
    let order_path = PathBuf::from(args.required("--order", usage)?);
    let suffix = args
        .required("--suffix", usage)?
        .to_str()
        .filter(|s| !s.is_empty() && !s.contains('/'))
        .ok_or_else(|| {
            Fail::Usage(
                "--suffix must be a file name suffix such as .ko".into(),
                usage,
            )
        })?
        .to_string();
    let root_bin = PathBuf::from(args.required("--root-bin", usage)?);
    let big_endian = args.flag("--big-endian");
    let jobs = jobs_option(&args, usage)?;

    let text = read_file(&order_path)?;
    let text = String::from_utf8(text)
        .or_else(|_| err(format!("{}: not UTF-8 text", show(&order_path))))?;
    let entries = order::parse(&text).or_else(|e| err(format!("{}: {e}", show(&order_path))))?;

    // Phase 1: hash everything. Nothing is written before the tree is known
    // and every proof has been checked against it.
    let hashed = hashing::parallel_map(&entries, jobs, |pos, entry, buf| {
        let pos = u32::try_from(pos).map_err(|_| "too many modules".to_string())?;
        let path = entry.module_path(&suffix);
        hashing::hash_module(Path::new(&path), pos, buf).map_err(|e| format!("{path}: {e}"))
    })
    .or_else(|(_, e)| {
        stop_if_interrupted()?;
        err(e)
    })?;

    let leaves = hashed.iter().map(|h| h.leaf).collect();
    let Some(tree) = Tree::build(leaves) else {
        return err(format!(
            "{}: too many modules for a tree",
            show(&order_path)
        ));
    };
    let root = tree.root();
    let mut trailers = Vec::with_capacity(entries.len());
    for (pos, entry) in entries.iter().enumerate() {
        let (Some(leaf), Some(p)) = (tree.leaf(pos), tree.proof(pos)) else {
            return err(format!("internal error: no proof for position {pos}"));
        };
        if !tree::proof_leads_to_root(leaf, &p, &root) {
            return err(format!(
                "internal error: the proof of {} does not verify",
                entry.module_path(&suffix)
            ));
        }
        let Some(t) = tree::trailer(&p) else {
            return err("internal error: proof too long");
        };
        trailers.push(t);
    }

    stop_if_interrupted()?;

    // Phase 2: stage every output as a temporary file. Any failure
    // drops the staged files, which removes them, leaving the tree as it was.
    let work: Vec<(usize, &order::Entry)> = entries.iter().enumerate().collect();
    let staged_modules = hashing::parallel_map(&work, jobs, |_, &(pos, entry), buf| {
        let path = PathBuf::from(entry.module_path(&suffix));
        let (Some(h), Some(t)) = (hashed.get(pos), trailers.get(pos)) else {
            return Err("internal error: missing proof".into());
        };
        stage_module_with_trailer(&path, pos, h, t, buf)
            .map_err(|e| format!("{}: {e}", show(&path)))
    })
    .or_else(|(_, e)| {
        stop_if_interrupted()?;
        err(e)
    })?;

    // The raw root is always rewritten, and last, so that it is newer than
    // every module for make.
    let staged_root = fsio::stage(&root_bin, &root_bytes(&root, big_endian))
        .or_else(|e| err(format!("{}: cannot write: {e}", show(&root_bin))))?;

    // Phase 3: with --sync, flush everything to disk; check that no module
    // changed since it was hashed; then rename into place. From the first
    // rename on, a signal waits until all outputs are in place.
    let all: Vec<Staged> = staged_modules
        .into_iter()
        .flatten()
        .chain([staged_root])
        .collect();
    if args.flag("--sync") {
        fsio::flush(&all).or_else(|e| err(format!("cannot flush outputs to disk: {e}")))?;
    }
    stop_if_interrupted()?;
    for (entry, h) in entries.iter().zip(&hashed) {
        let path = entry.module_path(&suffix);
        let now = fs::metadata(&path).map(|m| hashing::Stamp::of(&m));
        if now.ok() != Some(h.stamp) {
            return err(format!(
                "{path}: changed after it was hashed; nothing written"
            ));
        }
    }
    stop_if_interrupted()?;
    for staged in all {
        let dest = staged.dest().to_path_buf();
        staged
            .commit()
            .or_else(|e| err(format!("{}: cannot rename into place: {e}", show(&dest))))?;
    }
    Ok(())
}

/// Fails when a signal asked the build to stop (see `interrupt`).
fn stop_if_interrupted() -> Result<(), Fail> {
    match crate::interrupt::received() {
        Some(sig) => err(format!("interrupted by signal {sig}; nothing written")),
        None => Ok(()),
    }
}

/// Stages `path` with `trailer` in place of any Merkle trailer, re-hashing
/// the payload while copying it so that a proof is never attached to bytes
/// other than those hashed. Returns `None` when the trailer is in place.
fn stage_module_with_trailer(
    path: &Path,
    pos: usize,
    hashed: &Hashed,
    trailer: &[u8],
    buf: &mut [u8],
) -> Result<Option<Staged>, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if hashing::Stamp::of(&meta) != hashed.stamp {
        return Err("changed after it was hashed".into());
    }
    let current_trailer = hashed.file_len - hashed.payload_len;
    if current_trailer == trailer.len() as u64 {
        let mut existing = Vec::with_capacity(trailer.len());
        io::Seek::seek(&mut file, io::SeekFrom::Start(hashed.payload_len))
            .and_then(|_| (&mut file).take(current_trailer).read_to_end(&mut existing))
            .map_err(|e| format!("read failed: {e}"))?;
        if existing == trailer {
            return Ok(None);
        }
        io::Seek::seek(&mut file, io::SeekFrom::Start(0))
            .map_err(|e| format!("read failed: {e}"))?;
    }
    let pos = u32::try_from(pos).map_err(|_| "too many modules".to_string())?;
    let staged = fsio::stage_with(path, Some(meta.permissions()), |out| {
        let mut hasher = crate::proof::leaf_hasher::<Sha256>(pos);
        hashing::hash_prefix(&mut file, hashed.payload_len, &mut hasher, buf, |chunk| {
            out.write_all(chunk)
        })?;
        if hasher.finish() != hashed.leaf {
            return Err(io::Error::other("changed after it was hashed"));
        }
        out.write_all(trailer)
    })
    .map_err(|e| format!("cannot rewrite: {e}"))?;
    Ok(Some(staged))
}

/// Where the running kernel shows its root.
const RUNNING_ROOT_DIR: &str = "/sys/kernel/module_hashes";

/// Where a root comes from.
fn load_root(args: &Args, usage: &'static str) -> Result<Root, Fail> {
    let sources = [
        args.value("--root").is_some(),
        args.value("--vmlinux").is_some(),
        args.flag("--running"),
    ];
    match sources.iter().filter(|&&given| given).count() {
        0 => {
            return Err(Fail::Usage(
                "--root, --vmlinux or --running is required".into(),
                usage,
            ))
        }
        1 => {}
        _ => {
            return Err(Fail::Usage(
                "give one of --root, --vmlinux and --running".into(),
                usage,
            ))
        }
    }
    if args.value("--sysfs").is_some() && !args.flag("--running") {
        return Err(Fail::Usage("--sysfs goes with --running".into(), usage));
    }
    if let Some(path) = args.value("--root") {
        let path = Path::new(path);
        let bytes = read_file(path)?;
        return parse_root(&bytes, args.flag("--big-endian")).ok_or_else(|| {
            Fail::Error(format!(
                "{}: not a root file: {} bytes, expected {ROOT_LEN}",
                show(path),
                bytes.len()
            ))
        });
    }
    if let Some(path) = args.value("--vmlinux") {
        let root = root_from_vmlinux(Path::new(path))?;
        if root.levels == proof::UNSEALED_LEVELS {
            return err(format!(
                "{}: not sealed: .module_hashes holds the placeholder, no module verifies",
                show(Path::new(path))
            ));
        }
        return Ok(root);
    }
    let dir = args
        .value("--sysfs")
        .map_or_else(|| PathBuf::from(RUNNING_ROOT_DIR), PathBuf::from);
    root_from_sysfs(&dir)
}

/// Reads the running kernel's root: `levels` in decimal, `root` in hex.
fn root_from_sysfs(dir: &Path) -> Result<Root, Fail> {
    let read = |name: &str| -> Result<String, Fail> {
        let path = dir.join(name);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text.trim_end_matches('\n').to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => err(format!(
                "{}: not found: the running kernel has no CONFIG_MODULE_HASHES",
                show(&path)
            )),
            Err(e) => err(format!("{}: cannot read: {e}", show(&path))),
        }
    };
    let levels_text = read("levels")?;
    let levels = levels_text.parse::<u32>().or_else(|_| {
        err(format!(
            "{}: not a number: {levels_text:?}",
            show(&dir.join("levels"))
        ))
    })?;
    let hex_text = read("root")?;
    let hash = parse_hex_hash(&hex_text).ok_or_else(|| {
        Fail::Error(format!(
            "{}: not a SHA-256 hash in hex",
            show(&dir.join("root"))
        ))
    })?;
    Ok(Root { levels, hash })
}

/// Parses 64 hex digits.
fn parse_hex_hash(text: &str) -> Option<[u8; HASH_LEN]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * HASH_LEN || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut hash = [0u8; HASH_LEN];
    for (byte, pair) in hash.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(hash)
}

fn root_from_vmlinux(path: &Path) -> Result<Root, Fail> {
    let mut file =
        File::open(path).or_else(|e| err(format!("{}: cannot open: {e}", show(path))))?;
    let section = elf::read_section(&mut file, ".module_hashes")
        .or_else(|e| err(format!("{}: {e}", show(path))))?;
    parse_root(&section.data, section.endian == elf::Endian::Big).ok_or_else(|| {
        Fail::Error(format!(
            "{}: .module_hashes is {} bytes, expected {ROOT_LEN}",
            show(path),
            section.data.len()
        ))
    })
}

/// Recognises compressed modules, which must be decompressed first.
fn compression(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\xfd7zXZ\x00") {
        Some("xz")
    } else if data.starts_with(b"\x28\xb5\x2f\xfd") {
        Some("zstd")
    } else if data.starts_with(b"\x1f\x8b") {
        Some("gzip")
    } else {
        None
    }
}

/// Explains a verification failure the way a user needs it.
pub fn explain(error: Error, root: &Root) -> String {
    match error {
        Error::NoTrailer => "no signature trailer (unsigned module)".into(),
        Error::InfoTruncated => "malformed trailer: marker without a complete info block".into(),
        Error::SigTooLong { sig_len, available } => format!(
            "malformed trailer: sig_len {} leaves no module in front of it ({} bytes)",
            sig_len, available
        ),
        Error::WrongType { id_type: ID_PKCS7 } => {
            "PKCS#7 signature, not a Merkle proof (checked by module signing, not here)".into()
        }
        Error::WrongType { id_type } => {
            format!("wrong trailer type: id_type {id_type}, expected {ID_MERKLE} (Merkle proof)")
        }
        Error::ReservedNonZero => {
            "malformed info block: non-zero algo, hash, signer, key id or padding".into()
        }
        Error::ProofLength { actual, .. } => {
            let needed = proof::proof_len(root.levels)
                .map_or("an impossible length".into(), |n| format!("{n} bytes"));
            format!(
                "bad proof length: {actual} bytes, the root has {} levels and needs {needed}",
                root.levels
            )
        }
        Error::RootMismatch => concat!(
            "root mismatch: the proof does not lead to the root ",
            "(module modified, or from another build)"
        )
        .into(),
        Error::Unsealed => concat!(
            "the root is the placeholder of an unsealed vmlinux: ",
            "no proof leads to it"
        )
        .into(),
    }
}

fn cmd_verify(raw: &[OsString]) -> CmdResult {
    let usage = VERIFY_USAGE;
    let args = Args::parse(
        raw,
        &["--root", "--vmlinux", "--sysfs"],
        &["--big-endian", "--running"],
        usage,
    )?;
    if args.help {
        print!("{usage}");
        return Ok(());
    }
    if args.positional.is_empty() {
        return Err(Fail::Usage("no module given".into(), usage));
    }
    let root = load_root(&args, usage)?;
    let mut failed = 0usize;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for module in &args.positional {
        let path = Path::new(module);
        let verdict = match fs::read(path) {
            Err(e) => Err(format!("cannot read: {e}")),
            Ok(data) => match compression(&data) {
                Some(kind) => Err(format!("{kind}-compressed: decompress it first")),
                None => proof::verify_module::<Sha256>(&data, &root).map_err(|e| explain(e, &root)),
            },
        };
        let line = match &verdict {
            Ok(()) => format!("{}: ok", show(path)),
            Err(reason) => {
                failed += 1;
                format!("{}: FAILED: {reason}", show(path))
            }
        };
        if writeln!(out, "{line}").is_err() {
            return err("cannot write to standard output");
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Fail::Reported)
    }
}

/// The description of one module's trailer, as printed by `inspect`.
pub fn describe(data: &[u8]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "size: {} bytes", data.len());
    if let Some(kind) = compression(data) {
        let _ = writeln!(
            s,
            "trailer: unknown ({kind}-compressed: decompress it first)"
        );
        return s;
    }
    let trailer = match proof::split_trailer(data) {
        Ok(t) => t,
        Err(Error::NoTrailer) => {
            s.push_str("trailer: none (unsigned module)\n");
            return s;
        }
        Err(e) => {
            let _ = writeln!(
                s,
                "trailer: {}",
                explain(
                    e,
                    &Root {
                        levels: 0,
                        hash: [0; HASH_LEN]
                    }
                )
            );
            return s;
        }
    };
    let info: SigInfo = trailer.info;
    let kind = match info.id_type {
        ID_PKCS7 => "PKCS#7 signature",
        ID_MERKLE => "Merkle proof",
        _ => "unknown",
    };
    let _ = writeln!(s, "trailer: {kind} (id_type {})", info.id_type);
    let _ = writeln!(s, "payload: {} bytes", trailer.payload.len());
    let _ = writeln!(
        s,
        "signature: {} bytes at offset {}",
        info.sig_len,
        trailer.payload.len()
    );
    let _ = writeln!(
        s,
        "info block: algo {} hash {} signer_len {} key_id_len {} pad {}",
        info.algo,
        info.hash,
        info.signer_len,
        info.key_id_len,
        hex(&info.pad)
    );
    if info.id_type != ID_MERKLE {
        return s;
    }
    if !info.reserved_fields_zero() {
        s.push_str(
            "warning: non-zero reserved fields: the kernel rejects this proof as malformed\n",
        );
    }
    let Some(p) = proof::Proof::parse_any(trailer.sig) else {
        let _ = writeln!(
            s,
            "proof: malformed: {} bytes is not 4 + 32 * levels",
            trailer.sig.len()
        );
        return s;
    };
    let _ = writeln!(s, "position: {}", p.pos);
    let _ = writeln!(s, "levels: {}", p.levels());
    for (i, sibling) in p.siblings().enumerate() {
        let _ = writeln!(s, "sibling[{i}]: {}", hex(sibling));
    }
    let leaf = tree::leaf_of(p.pos, trailer.payload);
    let _ = writeln!(s, "leaf: {}", hex(&leaf));
    let _ = writeln!(s, "root: {}", hex(&proof::fold::<Sha256>(leaf, &p)));
    s
}

fn cmd_inspect(raw: &[OsString]) -> CmdResult {
    let usage = INSPECT_USAGE;
    let args = Args::parse(raw, &[], &[], usage)?;
    if args.help {
        print!("{usage}");
        return Ok(());
    }
    if args.positional.is_empty() {
        return Err(Fail::Usage("no module given".into(), usage));
    }
    let mut text = String::new();
    for (i, module) in args.positional.iter().enumerate() {
        let path = Path::new(module);
        let data = read_file(path)?;
        if i > 0 {
            text.push('\n');
        }
        let _ = writeln!(text, "file: {}", show(path));
        text.push_str(&describe(&data));
    }
    print!("{text}");
    Ok(())
}

fn cmd_root(raw: &[OsString]) -> CmdResult {
    let usage = ROOT_USAGE;
    let args = Args::parse(raw, &[], &[], usage)?;
    if args.help {
        print!("{usage}");
        return Ok(());
    }
    let [vmlinux] = args.positional.as_slice() else {
        return Err(Fail::Usage("give exactly one vmlinux".into(), usage));
    };
    let root = root_from_vmlinux(Path::new(vmlinux))?;
    if root.levels == proof::UNSEALED_LEVELS {
        println!("levels: unsealed (placeholder)");
        return Ok(());
    }
    println!("levels: {}", root.levels);
    println!("root: {}", hex(&root.hash));
    Ok(())
}
