//! The module-hashes command line on temporary trees: the outputs, the
//! messages, and that every fault leaves the tree exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use module_hashes::proof::{self, SigInfo, MARKER};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_module-hashes");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run module-hashes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A build tree with `modules` (path stem, contents), listed in that order in
/// its modules.order.
fn tree_of(modules: impl IntoIterator<Item = (String, Vec<u8>)>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut order = String::new();
    for (stem, data) in modules {
        let path = dir.path().join(format!("{stem}.ko"));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
        order.push_str(&format!("{stem}.o\n"));
    }
    fs::write(dir.path().join("modules.order"), order).unwrap();
    dir
}

/// A build tree with `n` modules under nested directories.
fn tree_with(n: usize) -> TempDir {
    tree_of((0..n).map(|i| {
        let data = (0..(100 + i * 37)).map(|b| (b * 7 + i) as u8).collect();
        (format!("drivers/d{}/m{i}", i % 3), data)
    }))
}

const BUILD: &[&str] = &[
    "build",
    "--order",
    "modules.order",
    "--suffix",
    ".ko",
    "--root-bin",
    "root.bin",
];

/// The module at `stem` (relative to `dir`), which `build` has left with its
/// trailer appended, as modules_install would install it.
fn signed_module(dir: &Path, stem: &str) -> Vec<u8> {
    let m = fs::read(dir.join(format!("{stem}.ko"))).unwrap();
    assert!(m.ends_with(MARKER), "{stem}.ko carries no trailer");
    m
}

/// The root hash in `dir/root.bin`, in hex.
fn root_hex(dir: &Path) -> String {
    let root = fs::read(dir.join("root.bin")).unwrap();
    root[4..].iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir` with its contents, to compare whole trees.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if let Ok(data) = fs::read(&path) {
                out.insert(path.strip_prefix(base).unwrap().to_path_buf(), data);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs a build that must fail, and checks that it named `needle` and left
/// every file as it was.
fn assert_build_fails_cleanly(dir: &Path, args: &[&str], needle: &str) {
    let before = snapshot(dir);
    let out = run(dir, args);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains(needle),
        "stderr {:?} lacks {needle:?}",
        stderr(&out)
    );
    assert_eq!(snapshot(dir), before, "the failed build changed the tree");
}

#[test]
fn build_writes_root_and_appends_one_trailer_per_module() {
    let dir = tree_with(5);
    let before = snapshot(dir.path());
    let out = run(dir.path(), BUILD);
    assert!(out.status.success(), "{}", stderr(&out));
    let root = fs::read(dir.path().join("root.bin")).unwrap();
    assert_eq!(root.len(), 36);
    assert_eq!(&root[..4], &3u32.to_le_bytes());
    for i in 0..5 {
        let name = PathBuf::from(format!("drivers/d{}/m{i}.ko", i % 3));
        let m = fs::read(dir.path().join(&name)).unwrap();
        // The module as it was, then its trailer.
        let payload = &before[&name];
        assert_eq!(&m[..payload.len()], payload.as_slice(), "{name:?}");
        let t = &m[payload.len()..];
        assert_eq!(t.len(), 4 + 3 * 32 + 12 + 28);
        assert!(t.ends_with(MARKER));
        let info = SigInfo::from_bytes(t[t.len() - 40..t.len() - 28].try_into().unwrap());
        assert_eq!(info, SigInfo::merkle(100));
        assert_eq!(&t[..4], &(i as u32).to_be_bytes());
    }
    // Nothing else: no trailer files, no temporary files left behind.
    let names: Vec<_> = snapshot(dir.path()).into_keys().collect();
    assert_eq!(names.len(), 1 + 5 + 1, "{names:?}");
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let original = tree_with(40);
    let mut results = Vec::new();
    for jobs in ["1", "2", "7", "64"] {
        // Each on the tree without proofs: every module is rewritten.
        let dir = copy_tree(original.path());
        let mut args = BUILD.to_vec();
        args.extend(["--jobs", jobs]);
        assert!(run(dir.path(), &args).status.success());
        results.push(snapshot(dir.path()));
    }
    assert_ne!(results[0], snapshot(original.path()));
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn big_endian_root_stores_levels_big_endian() {
    let dir = tree_with(3);
    let mut args = BUILD.to_vec();
    args.push("--big-endian");
    assert!(run(dir.path(), &args).status.success());
    let root = fs::read(dir.path().join("root.bin")).unwrap();
    assert_eq!(&root[..4], &2u32.to_be_bytes());
    let signed = signed_module(dir.path(), "drivers/d0/m0");
    fs::write(dir.path().join("s.ko"), signed).unwrap();
    let ok = run(
        dir.path(),
        &["verify", "--root", "root.bin", "--big-endian", "s.ko"],
    );
    assert!(ok.status.success(), "{}", stdout(&ok));
    let wrong = run(dir.path(), &["verify", "--root", "root.bin", "s.ko"]);
    assert!(
        stdout(&wrong).contains("bad proof length"),
        "{}",
        stdout(&wrong)
    );
}

#[test]
fn empty_order_gives_the_zero_root() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("modules.order"), "").unwrap();
    assert!(run(dir.path(), BUILD).status.success());
    assert_eq!(
        fs::read(dir.path().join("root.bin")).unwrap(),
        vec![0u8; 36]
    );
}

#[test]
fn build_is_idempotent_and_modules_verify() {
    let dir = tree_with(6);
    let args = BUILD;
    assert!(run(dir.path(), args).status.success());
    let first = snapshot(dir.path());
    let modules: Vec<String> = (0..6)
        .map(|i| format!("drivers/d{}/m{i}.ko", i % 3))
        .collect();
    let mut verify = vec!["verify", "--root", "root.bin"];
    verify.extend(modules.iter().map(String::as_str));
    let out = run(dir.path(), &verify);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(stdout(&out).matches(": ok").count(), 6);
    // Again: same tree, same bytes; proofs on the modules are not hashed.
    let mtime = |p: &str| {
        fs::metadata(dir.path().join(p))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = mtime(&modules[0]);
    assert!(run(dir.path(), args).status.success());
    assert_eq!(snapshot(dir.path()), first);
    assert_eq!(
        mtime(&modules[0]),
        before,
        "an unchanged module was rewritten"
    );
    // Another module's Merkle trailer in place of its own is replaced.
    let (m0, m1) = (
        &first[Path::new(&modules[0])],
        &first[Path::new(&modules[1])],
    );
    let trailer_len = 4 + 3 * 32 + 40;
    let mut swapped = m1[..m1.len() - trailer_len].to_vec();
    swapped.extend_from_slice(&m0[m0.len() - trailer_len..]);
    fs::write(dir.path().join(&modules[1]), &swapped).unwrap();
    assert!(run(dir.path(), args).status.success());
    assert_eq!(snapshot(dir.path()), first);
}

#[test]
fn paths_with_dots_keep_everything_before_the_suffix() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("fs/xfs.orig")).unwrap();
    fs::write(dir.path().join("fs/xfs.orig/x.fs.ko.stripped"), b"abc").unwrap();
    fs::write(dir.path().join("modules.order"), "fs/xfs.orig/x.fs.o\n").unwrap();
    let out = run(
        dir.path(),
        &[
            "build",
            "--order",
            "modules.order",
            "--suffix",
            ".ko.stripped",
            "--root-bin",
            "r",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The proof went to the module named by the whole stem, and nowhere else.
    let names: Vec<_> = snapshot(dir.path()).into_keys().collect();
    assert_eq!(
        names,
        ["fs/xfs.orig/x.fs.ko.stripped", "modules.order", "r"].map(PathBuf::from),
    );
    let m = fs::read(dir.path().join("fs/xfs.orig/x.fs.ko.stripped")).unwrap();
    assert!(m.starts_with(b"abc") && m.ends_with(MARKER));
    assert_eq!(m.len(), 3 + 4 + 32 + 40);
    let out = run(
        dir.path(),
        &["verify", "--root", "r", "fs/xfs.orig/x.fs.ko.stripped"],
    );
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn missing_module_fails_and_writes_nothing() {
    let dir = tree_with(4);
    // Old outputs exist: they must survive untouched.
    assert!(run(dir.path(), BUILD).status.success());
    fs::remove_file(dir.path().join("drivers/d2/m2.ko")).unwrap();
    fs::write(dir.path().join("drivers/d0/m0.ko"), b"changed").unwrap();
    assert_build_fails_cleanly(dir.path(), BUILD, "drivers/d2/m2.ko: cannot open");
}

#[test]
fn unreadable_module_fails_and_writes_nothing() {
    let dir = tree_with(4);
    // A directory where the module should be: opening works, reading not.
    fs::remove_file(dir.path().join("drivers/d1/m1.ko")).unwrap();
    fs::create_dir(dir.path().join("drivers/d1/m1.ko")).unwrap();
    assert_build_fails_cleanly(dir.path(), BUILD, "drivers/d1/m1.ko: not a regular file");
}

#[test]
fn empty_module_fails_and_writes_nothing() {
    let dir = tree_with(4);
    fs::write(dir.path().join("drivers/d0/m3.ko"), b"").unwrap();
    assert_build_fails_cleanly(
        dir.path(),
        BUILD,
        "drivers/d0/m3.ko: empty module (0 bytes)",
    );
}

#[test]
fn malformed_order_lines_fail_with_file_and_line() {
    let cases = [
        (
            "drivers/d0/m0.o\ndrivers/d1/m1.ko\n",
            "line 2: does not end in .o",
        ),
        ("drivers/d0/m0.o\n\n", "line 2: empty line"),
        (
            " drivers/d0/m0.o\n",
            "line 1: leading or trailing white space",
        ),
        ("/abs/m0.o\n", "line 1: absolute path"),
        (
            "drivers/d0/m0.o\ndrivers/d0/m0.o\n",
            "line 2: module listed twice",
        ),
        ("drivers/d0/m0.o", "line 1: last line has no newline"),
        ("drivers/d0/.o\n", "line 1: no module name"),
        ("drivers/d0/m\t0.o\n", "line 1: control character"),
    ];
    for (text, needle) in cases {
        let dir = tree_with(2);
        fs::write(dir.path().join("modules.order"), text).unwrap();
        assert_build_fails_cleanly(dir.path(), BUILD, &format!("modules.order: {needle}"));
    }
}

#[test]
fn too_many_modules_is_an_error() {
    use module_hashes::order::{check_count, OrderError, MAX_MODULES};
    assert_eq!(check_count(MAX_MODULES), Ok(()));
    assert_eq!(check_count(MAX_MODULES + 1), Err(OrderError::TooMany));
    assert!(module_hashes::tree::Tree::build(Vec::new()).is_some());
}

#[test]
fn unwritable_output_fails_and_writes_nothing() {
    let dir = tree_with(3);
    // The root's directory is a file: nothing can be created in it.
    fs::write(dir.path().join("notadir"), b"x").unwrap();
    let mut args = BUILD.to_vec();
    args[6] = "notadir/root.bin";
    assert_build_fails_cleanly(dir.path(), &args, "notadir/root.bin: cannot write");
    // An output path occupied by a directory is refused before any rename,
    // once every module has been staged.
    let dir = tree_with(3);
    fs::create_dir(dir.path().join("root.bin")).unwrap();
    assert_build_fails_cleanly(
        dir.path(),
        BUILD,
        "root.bin: cannot write: exists and is not a regular file",
    );
}

#[test]
fn full_disk_fails_and_leaves_no_partial_file() {
    let dir = tree_with(8);
    // The modules fit in 128 KiB of tmpfs; a filler then takes the rest,
    // so the first module rewritten with its proof hits ENOSPC.
    let script = r#"
        mount -t tmpfs -o size=128k tmpfs "$2"
        cp -a "$1/." "$2/"
        cd "$2"
        head -c 1000000 /dev/zero > filler 2>/dev/null || true
        before=$(find . -type f -exec sha256sum {} + | sort)
        if "$BIN" build --order modules.order --suffix .ko --root-bin root.bin; then
            echo "BUILD SUCCEEDED"; exit 1
        fi
        after=$(find . -type f -exec sha256sum {} + | sort)
        [ "$after" = "$before" ] || { echo "TREE CHANGED"; exit 1; }
        echo CLEAN
    "#;
    let mnt = tempfile::tempdir().unwrap();
    let out = Command::new("unshare")
        .args(["-m", "sh", "-euc", script, "sh"])
        .arg(dir.path())
        .arg(mnt.path())
        .env("BIN", BIN)
        .output()
        .expect("unshare");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
    assert!(text.contains("CLEAN"), "{text}");
}

#[test]
fn read_only_output_fails_and_writes_nothing() {
    let dir = tree_with(3);
    let script = r#"
        mount --bind "$1" "$1"
        mount -o remount,bind,ro "$1"
        cd "$1"
        if "$BIN" build --order modules.order --suffix .ko --root-bin root.bin 2>&1; then
            echo "BUILD SUCCEEDED"; exit 1
        fi
    "#;
    let before = snapshot(dir.path());
    let out = Command::new("unshare")
        .args(["-m", "sh", "-euc", script, "sh"])
        .arg(dir.path())
        .env("BIN", BIN)
        .output()
        .expect("unshare");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Read-only file system"), "{text}");
    assert_eq!(snapshot(dir.path()), before);
}

/// A module with a trailer whose info block is modified by `edit`.
fn module_with_trailer(sig: &[u8], edit: impl Fn(&mut SigInfo)) -> Vec<u8> {
    let mut info = SigInfo::merkle(sig.len() as u32);
    edit(&mut info);
    let mut m = b"\x7fELF-module-payload".to_vec();
    m.extend_from_slice(sig);
    m.extend_from_slice(&info.to_bytes());
    m.extend_from_slice(MARKER);
    m
}

#[test]
fn verify_names_the_precise_reason() {
    let dir = tree_with(4);
    assert!(run(dir.path(), BUILD).status.success());
    let p = dir.path();
    let good = signed_module(p, "drivers/d1/m1");
    let proof_bytes = &good[good.len() - 40 - 68..good.len() - 40];
    let mut tampered = good.clone();
    tampered[10] ^= 1;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("good.ko", good.clone(), ": ok"),
        (
            "plain.ko",
            b"\x7fELF plain".to_vec(),
            "no signature trailer",
        ),
        (
            "pkcs7.ko",
            module_with_trailer(&[0x30; 300], |i| i.id_type = proof::ID_PKCS7),
            "PKCS#7 signature",
        ),
        (
            "type9.ko",
            module_with_trailer(proof_bytes, |i| i.id_type = 9),
            "wrong trailer type: id_type 9",
        ),
        (
            "short.ko",
            module_with_trailer(&proof_bytes[..36], |_| {}),
            "bad proof length: 36 bytes, the root has 2 levels and needs 68 bytes",
        ),
        (
            "reserved.ko",
            module_with_trailer(proof_bytes, |i| i.key_id_len = 1),
            "malformed info block",
        ),
        (
            "toolong.ko",
            module_with_trailer(proof_bytes, |i| i.sig_len = 5000),
            "malformed trailer: sig_len 5000",
        ),
        ("tampered.ko", tampered, "root mismatch"),
    ];
    for (name, data, _) in &cases {
        fs::write(p.join(name), data).unwrap();
    }
    for (name, _, needle) in &cases {
        let out = run(p, &["verify", "--root", "root.bin", name]);
        let line = stdout(&out);
        assert!(line.starts_with(&format!("{name}: ")), "{line}");
        assert!(line.contains(needle), "{name}: {line:?} lacks {needle:?}");
        assert_eq!(out.status.success(), *needle == ": ok", "{name}");
    }
    // Several modules: one line each, failure if any fails.
    let out = run(
        p,
        &["verify", "--root", "root.bin", "good.ko", "tampered.ko"],
    );
    assert_eq!(stdout(&out).lines().count(), 2);
    assert_eq!(out.status.code(), Some(1));
    let out = run(p, &["verify", "--root", "modules.order", "good.ko"]);
    assert!(
        stderr(&out).contains("modules.order: not a root file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn verify_and_root_read_a_vmlinux_elf() {
    let dir = tree_with(5);
    assert!(run(dir.path(), BUILD).status.success());
    let p = dir.path();
    // Any ELF with a .module_hashes section stands in for vmlinux here.
    let status = Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".module_hashes={}", p.join("root.bin").display()))
        .arg(std::env::current_exe().unwrap())
        .arg(p.join("vmlinux"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = run(p, &["root", "vmlinux"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hex = root_hex(p);
    assert!(stdout(&out).contains("levels: 3\n"));
    assert!(stdout(&out).contains(&format!("root: {hex}\n")));
    fs::write(p.join("s.ko"), signed_module(p, "drivers/d0/m3")).unwrap();
    assert!(run(p, &["verify", "--vmlinux", "vmlinux", "s.ko"])
        .status
        .success());
    let out = run(p, &["root", "modules.order"]);
    assert!(stderr(&out).contains("modules.order: not an ELF file"));
    let out = run(p, &["root", BIN]);
    assert!(
        stderr(&out).contains("no .module_hashes section"),
        "{}",
        stderr(&out)
    );
}

/// A minimal ELF file of the given class and byte order holding one section,
/// `.module_hashes`, with `contents`: the shape of a vmlinux for a target
/// this host cannot build for (the tool reads the byte order from
/// `EI_DATA`, never from the host).
fn elf_with_root(wide: bool, big: bool, contents: &[u8]) -> Vec<u8> {
    let half = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let word = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let addr = |v: u64| -> Vec<u8> {
        match (wide, big) {
            (true, true) => v.to_be_bytes().to_vec(),
            (true, false) => v.to_le_bytes().to_vec(),
            (false, _) => word(v as u32).to_vec(),
        }
    };
    let (ehdr_len, shdr_len) = if wide { (64, 64) } else { (52, 40) };
    let names = b"\0.module_hashes\0.shstrtab\0";
    let data_at = ehdr_len as u64;
    let names_at = data_at + contents.len() as u64;
    let shoff = names_at + names.len() as u64;
    let mut elf = b"\x7fELF".to_vec();
    elf.extend([if wide { 2 } else { 1 }, if big { 2 } else { 1 }, 1]);
    elf.resize(16, 0);
    elf.extend(half(2)); // e_type: ET_EXEC
    elf.extend(half(if wide { 22 } else { 8 })); // e_machine: s390 or MIPS
    elf.extend(word(1)); // e_version
    elf.extend(addr(0)); // e_entry
    elf.extend(addr(0)); // e_phoff
    elf.extend(addr(shoff));
    elf.extend(word(0)); // e_flags
    elf.extend(half(ehdr_len));
    elf.extend(half(0)); // e_phentsize
    elf.extend(half(0)); // e_phnum
    elf.extend(half(shdr_len));
    elf.extend(half(3)); // e_shnum: null, .module_hashes, .shstrtab
    elf.extend(half(2)); // e_shstrndx
    assert_eq!(elf.len(), usize::from(ehdr_len));
    elf.extend(contents);
    elf.extend(names);
    let mut shdr = |name: u32, kind: u32, offset: u64, size: u64| {
        let start = elf.len();
        elf.extend(word(name));
        elf.extend(word(kind));
        elf.extend(addr(0)); // sh_flags
        elf.extend(addr(0)); // sh_addr
        elf.extend(addr(offset));
        elf.extend(addr(size));
        elf.resize(start + usize::from(shdr_len), 0);
    };
    shdr(0, 0, 0, 0);
    shdr(1, 1, data_at, contents.len() as u64); // SHT_PROGBITS
    shdr(16, 3, names_at, names.len() as u64); // SHT_STRTAB
    elf
}

#[test]
fn the_root_byte_order_is_the_target_s_not_the_host_s() {
    let dir = tree_with(5);
    let p = dir.path();
    let mut args = BUILD.to_vec();
    args.push("--big-endian");
    assert!(run(p, &args).status.success());
    let be_root = fs::read(p.join("root.bin")).unwrap();
    assert_eq!(&be_root[..4], &[0, 0, 0, 3]);
    let hex = root_hex(p);
    let signed_be = signed_module(p, "drivers/d2/m2");
    fs::write(p.join("s.ko"), &signed_be).unwrap();
    // Proofs do not depend on the byte order: be32 position, then hashes.
    assert!(run(p, BUILD).status.success());
    assert_eq!(signed_module(p, "drivers/d2/m2"), signed_be);
    let le_root = fs::read(p.join("root.bin")).unwrap();
    assert_eq!(le_root[4..], be_root[4..]);
    for wide in [true, false] {
        let class = if wide { "ELF64" } else { "ELF32" };
        for (big, root, other) in [(true, &be_root, &le_root), (false, &le_root, &be_root)] {
            let what = format!(
                "{class} {}",
                if big { "big endian" } else { "little endian" }
            );
            fs::write(p.join("vmlinux"), elf_with_root(wide, big, root)).unwrap();
            let out = run(p, &["root", "vmlinux"]);
            assert!(out.status.success(), "{what}: {}", stderr(&out));
            assert_eq!(stdout(&out), format!("levels: 3\nroot: {hex}\n"), "{what}");
            let out = run(p, &["verify", "--vmlinux", "vmlinux", "s.ko"]);
            assert!(out.status.success(), "{what}: {}", stdout(&out));
            // The other byte order's root in this vmlinux: levels 0x03000000.
            fs::write(p.join("vmlinux"), elf_with_root(wide, big, other)).unwrap();
            let out = run(p, &["verify", "--vmlinux", "vmlinux", "s.ko"]);
            assert_eq!(out.status.code(), Some(1), "{what}");
            assert!(
                stdout(&out).contains("bad proof length"),
                "{what}: {}",
                stdout(&out)
            );
        }
    }
}

#[test]
fn verify_running_reads_the_root_from_sysfs() {
    let dir = tree_with(5);
    assert!(run(dir.path(), BUILD).status.success());
    let p = dir.path();
    let hex = root_hex(p);
    fs::create_dir(p.join("sys")).unwrap();
    fs::write(p.join("sys/levels"), "3\n").unwrap();
    fs::write(p.join("sys/root"), format!("{hex}\n")).unwrap();
    fs::write(p.join("s.ko"), signed_module(p, "drivers/d1/m1")).unwrap();
    let out = run(p, &["verify", "--running", "--sysfs", "sys", "s.ko"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // Another kernel's root.
    fs::write(p.join("sys/root"), format!("{}\n", "ab".repeat(32))).unwrap();
    let out = run(p, &["verify", "--running", "--sysfs", "sys", "s.ko"]);
    assert!(stdout(&out).contains("root mismatch"), "{}", stdout(&out));
    for bad in ["xyz\n", &format!("+{}\n", &hex[1..])] {
        fs::write(p.join("sys/root"), bad).unwrap();
        let out = run(p, &["verify", "--running", "--sysfs", "sys", "s.ko"]);
        assert!(
            stderr(&out).contains("sys/root: not a SHA-256 hash in hex"),
            "{}",
            stderr(&out)
        );
    }
    let out = run(p, &["verify", "--running", "--sysfs", "nosuch", "s.ko"]);
    assert!(
        stderr(&out)
            .contains("nosuch/levels: not found: the running kernel has no CONFIG_MODULE_HASHES"),
        "{}",
        stderr(&out)
    );
    let out = run(p, &["verify", "--running", "--root", "root.bin", "s.ko"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn inspect_describes_merkle_and_pkcs7_trailers() {
    let dir = tree_with(5);
    let p = dir.path();
    let payload_len = fs::read(p.join("drivers/d1/m4.ko")).unwrap().len();
    // A module without a trailer: a copy of one before the build.
    fs::copy(p.join("drivers/d0/m0.ko"), p.join("u.ko")).unwrap();
    assert!(run(p, BUILD).status.success());
    fs::write(p.join("s.ko"), signed_module(p, "drivers/d1/m4")).unwrap();
    fs::write(
        p.join("p.ko"),
        module_with_trailer(&[0x30; 300], |i| i.id_type = 2),
    )
    .unwrap();
    let out = run(p, &["inspect", "s.ko", "p.ko", "u.ko"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let hex = root_hex(p);
    for needle in [
        "file: s.ko\n",
        "trailer: Merkle proof (id_type 3)\n",
        &format!("payload: {payload_len} bytes\n"),
        &format!("signature: 100 bytes at offset {payload_len}\n"),
        "position: 4\n",
        "levels: 3\n",
        "sibling[2]: ",
        &format!("root: {hex}\n"),
        "file: p.ko\n",
        "trailer: PKCS#7 signature (id_type 2)\n",
        "signature: 300 bytes",
        "file: u.ko\n",
        "trailer: none (unsigned module)\n",
    ] {
        assert!(
            text.contains(needle),
            "inspect output lacks {needle:?}:\n{text}"
        );
    }
    // The PKCS#7 part is described, not parsed as a proof.
    let pkcs7_part = text
        .split("file: p.ko")
        .nth(1)
        .unwrap()
        .split("file:")
        .next()
        .unwrap();
    assert!(!pkcs7_part.contains("position:"));
}

#[test]
fn every_command_has_help_and_usage_errors_exit_2() {
    for cmd in ["build", "verify", "inspect", "root"] {
        let out = run(Path::new("."), &[cmd, "--help"]);
        assert!(out.status.success(), "{cmd} --help");
        assert!(stdout(&out).starts_with(&format!("Usage: module-hashes {cmd}")));
    }
    let out = run(Path::new("."), &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(Path::new("."), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown command 'frobnicate'"));
    let out = run(Path::new("."), &["build", "--order", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--suffix is required"));
    let out = run(
        Path::new("."),
        &["verify", "--root", "a", "--vmlinux", "b", "m.ko"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn removed_options_and_the_append_command_are_refused_with_exit_2() {
    let dir = tree_with(3);
    let p = dir.path();
    fs::write(p.join("m.merkle"), b"not used").unwrap();
    let before = snapshot(p);
    let removed: [(&[&str], &str); 5] = [
        (&["--append"], "unknown option --append"),
        (&["--root-c", "root.c"], "unknown option --root-c"),
        (&["--root-c=root.c"], "unknown option --root-c=root.c"),
        (&[], "unknown command 'append'"),
        (&["--help"], "unknown command 'append'"),
    ];
    for (i, (extra, needle)) in removed.iter().enumerate() {
        let args = if i < 3 {
            [BUILD, *extra].concat()
        } else {
            [&["append"], *extra, &["m.merkle", "drivers/d0/m0.ko"]].concat()
        };
        let out = run(p, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(needle),
            "{args:?}: {:?} lacks {needle:?}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
        assert_eq!(snapshot(p), before, "{args:?} changed the tree");
    }
    // Neither is offered any more.
    let build_help = stdout(&run(p, &["build", "--help"]));
    for gone in ["--append", "--root-c", ".merkle"] {
        assert!(!build_help.contains(gone), "build --help names {gone}");
    }
    let help = stdout(&run(p, &["help"]));
    assert!(
        !help.lines().any(|l| l.trim_start().starts_with("append")),
        "{help}"
    );
}

#[test]
fn compressed_modules_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("root.bin"), [0u8; 36]).unwrap();
    fs::write(p.join("m.ko.xz"), b"\xfd7zXZ\x00\x00rest").unwrap();
    let out = run(p, &["verify", "--root", "root.bin", "m.ko.xz"]);
    assert!(stdout(&out).contains("xz-compressed: decompress it first"));
}

/// A tree whose first module is `big` bytes and 31 more of 64 KiB: long
/// enough to stop a build in the middle of it.
fn big_tree(big: usize) -> TempDir {
    tree_of((0..32).map(|i| {
        let len = if i == 0 { big } else { 64 << 10 };
        let data = (0..len)
            .map(|b| (b * 13 + i * 7 + (b >> 12)) as u8)
            .collect();
        (format!("m{i}"), data)
    }))
}

/// Copies every file of `from` into a new temporary directory.
fn copy_tree(from: &Path) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, data) in snapshot(from) {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }
    dir
}

/// `build` as kbuild runs it, on one thread so that a run lasts long enough
/// to be interrupted.
fn build_args() -> Vec<&'static str> {
    [BUILD, &["--jobs", "1"]].concat()
}

/// Builds a copy of `original` once; returns the copy and how long it took.
fn timed_build(original: &Path) -> (TempDir, std::time::Duration) {
    let copy = copy_tree(original);
    let start = std::time::Instant::now();
    assert!(run(copy.path(), &build_args()).status.success());
    (copy, start.elapsed())
}

/// Starts the build of `dir` in the background, stderr captured.
fn spawn_build(dir: &Path) -> std::process::Child {
    Command::new(BIN)
        .args(build_args())
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn signals_leave_the_tree_as_it_was_or_complete() {
    use std::os::unix::process::ExitStatusExt;
    use std::time::Duration;

    let original = big_tree(24 << 20);
    let before = snapshot(original.path());
    // The complete result, and how long a build takes here.
    let (reference, took) = timed_build(original.path());
    let complete = snapshot(reference.path());

    let mut stopped = 0;
    for (sig, name) in [(2, "INT"), (15, "TERM"), (1, "HUP")] {
        for tenth in [1, 3, 5, 7] {
            let dir = copy_tree(original.path());
            let child = spawn_build(dir.path());
            // Not before the handler is surely installed (the binary has
            // just been exec'ed): a signal then would kill it silently.
            std::thread::sleep((took * tenth / 10).max(Duration::from_millis(15)));
            let _ = Command::new("kill")
                .args(["-s", name, &child.id().to_string()])
                .status();
            let out = child.wait_with_output().unwrap();
            let (status, err) = (out.status, stderr(&out));
            let after = snapshot(dir.path());
            let when = format!("SIG{name} at {}/10 of {:?}", tenth, took);
            if status.success() {
                // It finished before the signal arrived.
                assert_eq!(after, complete, "{when}: finished with other outputs");
                continue;
            }
            assert_eq!(
                status.signal(),
                Some(sig),
                "{when}: {status:?}, stderr {err}"
            );
            if after == before {
                assert!(
                    err.contains(&format!("interrupted by signal {sig}")),
                    "{when}: {err}"
                );
                stopped += 1;
            } else {
                // Renaming had started: it completed first.
                assert_eq!(after, complete, "{when}: the tree is neither old nor new");
            }
        }
    }
    println!("signals: {stopped} of 12 stopped the build before any rename");
    assert!(
        stopped > 0,
        "no signal arrived before the outputs were renamed"
    );
}

#[test]
fn a_module_changing_while_hashed_gets_no_proof() {
    use std::io::{Seek, SeekFrom, Write};

    let big = 24 << 20;
    let original = big_tree(big);
    let (_, took) = timed_build(original.path());
    // The tree as it is once the write below has happened.
    let mut changed = snapshot(original.path());
    changed.get_mut(Path::new("m0.ko")).unwrap()[big / 2] = b'!';

    let mut detected = 0;
    for tenth in [0, 1, 2, 3, 4, 5, 6] {
        let dir = copy_tree(original.path());
        let module = dir.path().join("m0.ko");
        // Opened before the build starts: the write goes to the file the
        // build reads, even if the build renames a new one over it.
        let mut file = fs::OpenOptions::new().write(true).open(&module).unwrap();
        let child = spawn_build(dir.path());
        std::thread::sleep(took * tenth / 10);
        // One byte in the middle, same length: only the contents change.
        file.seek(SeekFrom::Start(big as u64 / 2)).unwrap();
        file.write_all(b"!").unwrap();
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        if out.status.success() {
            // The build read the changed bytes, or renamed its copy over the
            // file before the write: either way every proof verifies.
            for i in 0..32 {
                let out = run(
                    dir.path(),
                    &["verify", "--root", "root.bin", &format!("m{i}.ko")],
                );
                assert!(
                    out.status.success(),
                    "{tenth}/10: m{i}.ko: {}",
                    stderr(&out)
                );
            }
        } else {
            assert!(
                err.contains("m0.ko: ") && err.contains("changed"),
                "{tenth}/10: {err}"
            );
            assert_eq!(
                snapshot(dir.path()),
                changed,
                "{tenth}/10: the tree was changed"
            );
            detected += 1;
        }
    }
    println!("changes: {detected} of 7 caught during the build");
    assert!(detected > 0, "no change was caught during the build");
}

#[test]
fn jobs_follow_make() {
    use module_hashes::cli::jobs_from_makeflags;
    // GNU make 4.3 (pipe) and 4.4 (fifo) jobservers, a serial make, and -j
    // without a limit.
    assert_eq!(jobs_from_makeflags("w -j3 --jobserver-auth=3,4"), Some(3));
    assert_eq!(
        jobs_from_makeflags(" -j12 --jobserver-auth=fifo:/tmp/GMfifo1"),
        Some(12)
    );
    assert_eq!(jobs_from_makeflags("w"), Some(1));
    assert_eq!(jobs_from_makeflags(""), Some(1));
    assert_eq!(jobs_from_makeflags(" -j"), None);
    assert_eq!(jobs_from_makeflags(" -j0"), None);
}
