//! Fuzzes the tool's ELF reader, which `verify --vmlinux` and `root` run on
//! any file a user names: arbitrary bytes give a section or an error, never
//! a panic or an unbounded allocation, and a section found is bytes of the
//! input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use module_hashes::{cli, elf};
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    // The name comes first so that the fuzzer also varies it; most inputs
    // look for the section the tool really reads.
    let (name, image) = match data.split_first() {
        Some((&n, rest)) if n < 0x80 => (".module_hashes", rest),
        Some((_, rest)) => (".shstrtab", rest),
        None => return,
    };
    if let Ok(section) = elf::read_section(&mut Cursor::new(image), name) {
        assert!(section.data.len() <= 1 << 20);
        assert!(
            section.data.is_empty() || image.windows(section.data.len()).any(|w| w == section.data),
            "section bytes not from the input"
        );
        let _ = cli::parse_root(&section.data, section.endian == elf::Endian::Big);
    }
});
