//! The module-hashes tool's modules as a library, for tests, the fuzzer and
//! benchmarks. The binary (scripts/module-hashes/module-hashes.rs) declares
//! the same modules from the same files.

#[path = "../../kernel/module/hashes_proof.rs"]
pub mod proof;

#[path = "../../scripts/module-hashes/cli.rs"]
pub mod cli;
#[path = "../../scripts/module-hashes/elf.rs"]
pub mod elf;
#[path = "../../scripts/module-hashes/fsio.rs"]
pub mod fsio;
#[path = "../../scripts/module-hashes/hashing.rs"]
pub mod hashing;
#[path = "../../scripts/module-hashes/interrupt.rs"]
pub mod interrupt;
#[path = "../../scripts/module-hashes/order.rs"]
pub mod order;
#[path = "../../scripts/module-hashes/sha256.rs"]
pub mod sha256;
#[path = "../../scripts/module-hashes/tree.rs"]
pub mod tree;
