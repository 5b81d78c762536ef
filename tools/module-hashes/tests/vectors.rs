// SPDX-License-Identifier: GPL-2.0

//! Runs the `module-hashes` binary over the committed test vectors.
//!
//! The vectors under `vectors/` are produced by `reference/merkle_ref.py`,
//! an independent Python implementation of the format, so agreement here
//! means two implementations written apart produce the same bytes. Each
//! case directory holds `case.txt` (the module suffix), `modules.order`, the
//! module files and `expected/` (root.bin and one `.merkle` per module: the
//! trailer that `build` must append to it).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOOL: &str = env!("CARGO_BIN_EXE_module-hashes");

struct Case {
    name: String,
    dir: PathBuf,
    suffix: String,
    /// `modules.order` lines without their trailing `.o`, in order.
    stems: Vec<String>,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

fn write(path: &Path, data: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("mkdir {}: {e}", parent.display()))?;
    }
    fs::write(path, data).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn load_case(dir: &Path) -> Result<Case, String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let info = String::from_utf8(read(&dir.join("case.txt"))?)
        .map_err(|_| format!("{name}: case.txt is not UTF-8"))?;
    let suffix = info
        .lines()
        .find_map(|l| l.strip_prefix("suffix="))
        .ok_or_else(|| format!("{name}: case.txt has no suffix= line"))?
        .to_string();
    let order = String::from_utf8(read(&dir.join("modules.order"))?)
        .map_err(|_| format!("{name}: modules.order is not UTF-8"))?;
    let stems = order
        .lines()
        .map(|l| {
            l.strip_suffix(".o")
                .map(str::to_string)
                .ok_or_else(|| format!("{name}: modules.order line {l:?} lacks .o"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Case {
        name,
        dir: dir.to_path_buf(),
        suffix,
        stems,
    })
}

/// Relative paths (with `/`) of every file under `root` ending in `ext`.
fn files_ending(root: &Path, ext: &str) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, ext: &str, out: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, ext, out);
            } else if path.to_string_lossy().ends_with(ext) {
                let rel = path.strip_prefix(root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, ext, &mut out);
    out
}

fn same_bytes(what: &str, want: &[u8], got: &[u8]) -> Result<(), String> {
    if want == got {
        return Ok(());
    }
    let at = want
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    Err(format!(
        "{what}: expected {} bytes, got {}, first difference at offset {at}",
        want.len(),
        got.len()
    ))
}

fn run(args: &[&str], cwd: Option<&Path>) -> Result<Output, String> {
    let mut cmd = Command::new(TOOL);
    cmd.args(args);
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    cmd.output().map_err(|e| format!("running {TOOL}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn check_build(case: &Case) -> Result<(), String> {
    let name = &case.name;
    let expected = case.dir.join("expected");

    // A fresh directory holding only the inputs, so stale or extra outputs
    // cannot come from anywhere but the tool.
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = work.path();
    write(
        &work.join("modules.order"),
        &read(&case.dir.join("modules.order"))?,
    )?;
    for stem in &case.stems {
        let module = format!("{stem}{}", case.suffix);
        write(&work.join(&module), &read(&case.dir.join(&module))?)?;
    }

    let out = run(
        &[
            "build",
            "--order",
            "modules.order",
            "--suffix",
            &case.suffix,
            "--root-bin",
            "root.bin",
        ],
        Some(work),
    )?;
    if !out.status.success() {
        return Err(format!("{name}: build failed: {}", describe(&out)));
    }

    same_bytes(
        &format!("{name}: root.bin"),
        &read(&expected.join("root.bin"))?,
        &read(&work.join("root.bin"))?,
    )?;
    // Each module is the input module followed by the expected trailer.
    for stem in &case.stems {
        let module = format!("{stem}{}", case.suffix);
        let mut want = read(&case.dir.join(&module))?;
        want.extend(read(&expected.join(format!("{stem}.merkle")))?);
        let got = read(&work.join(&module)).map_err(|e| format!("{name}: {e}"))?;
        same_bytes(&format!("{name}: {module}"), &want, &got)?;
    }

    // Nothing else: no trailer files, no temporary files.
    let want: BTreeSet<String> = case
        .stems
        .iter()
        .map(|s| format!("{s}{}", case.suffix))
        .chain(["modules.order".into(), "root.bin".into()])
        .collect();
    let got = files_ending(work, "");
    if got != want {
        return Err(format!(
            "{name}: tool wrote unexpected files {:?} / missed {:?}",
            got.difference(&want).collect::<Vec<_>>(),
            want.difference(&got).collect::<Vec<_>>()
        ));
    }
    // Guards the vectors themselves against a stray or missing file.
    let want: BTreeSet<String> = case.stems.iter().map(|s| format!("{s}.merkle")).collect();
    if files_ending(&expected, ".merkle") != want {
        return Err(format!("{name}: expected/ does not match modules.order"));
    }
    Ok(())
}

fn check_verify(case: &Case) -> Result<(), String> {
    let name = &case.name;
    if case.stems.is_empty() {
        return Ok(());
    }
    let expected = case.dir.join("expected");
    let root = expected.join("root.bin");
    let root = root.to_str().unwrap();

    let signed = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut copies = Vec::new();
    for stem in &case.stems {
        let module = format!("{stem}{}", case.suffix);
        let mut data = read(&case.dir.join(&module))?;
        let payload_len = data.len();
        data.extend(read(&expected.join(format!("{stem}.merkle")))?);
        let copy = signed.path().join(&module);
        write(&copy, &data)?;
        copies.push((copy, payload_len));
    }
    let paths: Vec<&str> = copies.iter().map(|(p, _)| p.to_str().unwrap()).collect();
    let mut args = vec!["verify", "--root", root];
    args.extend(&paths);

    let out = run(&args, None)?;
    if !out.status.success() {
        return Err(format!(
            "{name}: verify rejected genuine modules: {}",
            describe(&out)
        ));
    }

    // Tamper with the payload of one module: verification must now fail.
    let (victim, payload_len) = &copies[copies.len() / 2];
    let mut data = read(victim)?;
    data[payload_len / 2] ^= 0x01;
    write(victim, &data)?;
    let out = run(&args, None)?;
    if out.status.success() {
        return Err(format!(
            "{name}: verify accepted {} with a flipped payload byte",
            victim.display()
        ));
    }
    Ok(())
}

#[test]
fn tool_matches_reference_vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        !dirs.is_empty(),
        "no cases in {}; run reference/merkle_ref.py generate",
        root.display()
    );

    // Report every failing case, not just the first.
    let mut failures = Vec::new();
    for dir in &dirs {
        let result = load_case(dir).and_then(|case| {
            check_build(&case)?;
            check_verify(&case)
        });
        if let Err(e) = result {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vector cases failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}
