// SPDX-License-Identifier: GPL-2.0

//! module-hashes: Merkle roots and inclusion proofs for hash-based module
//! authentication (CONFIG_MODULE_HASHES).
//!
//! During a kernel build, `build` hashes every module listed in
//! `modules.order`, builds the tree, appends its proof to every module and
//! writes the root that is sealed into vmlinux. For users, `verify`, `inspect` and
//! `root` check and describe modules and kernels.
//!
//! Only `std` is used, so that kbuild can build this with plain rustc.

#[path = "../../kernel/module/hashes_proof.rs"]
pub mod proof;

pub mod cli;
pub mod elf;
pub mod fsio;
pub mod hashing;
pub mod interrupt;
pub mod order;
pub mod sha256;
pub mod tree;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    interrupt::install();
    let status = cli::run(&args);
    if let Some(sig) = interrupt::received() {
        interrupt::reraise(sig);
    }
    std::process::exit(status);
}
