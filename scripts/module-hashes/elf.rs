// SPDX-License-Identifier: GPL-2.0

//! Just enough ELF to read one section of vmlinux: the section headers and
//! their names. Only the headers and the section are read, not the image.

use std::io::{Read, Seek, SeekFrom};

/// Byte order of an ELF file (`EI_DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// `ELFDATA2LSB`.
    Little,
    /// `ELFDATA2MSB`.
    Big,
}

impl Endian {
    /// Decodes a `u16`.
    pub fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    /// Decodes a `u32`.
    pub fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    /// Decodes a `u64`.
    pub fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        }
    }
}

/// A section found in an ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The file's byte order.
    pub endian: Endian,
    /// The section's contents.
    pub data: Vec<u8>,
}

/// Reads `len` bytes at `offset`; errors name what was being read.
fn read_at<F: Read + Seek>(
    file: &mut F,
    offset: u64,
    len: usize,
    what: &str,
) -> Result<Vec<u8>, String> {
    let mut buf = vec![0; len];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut buf))
        .map_err(|e| format!("cannot read {what} at offset {offset}: {e}"))?;
    Ok(buf)
}

/// Fixed-width field reader over a header.
struct Fields<'a> {
    buf: &'a [u8],
    endian: Endian,
    wide: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N], String> {
        self.buf
            .get(at..at.saturating_add(N))
            .and_then(|b| <[u8; N]>::try_from(b).ok())
            .ok_or_else(|| "truncated ELF header".to_string())
    }

    fn half(&self, at: usize) -> Result<u16, String> {
        Ok(self.endian.u16(self.bytes(at)?))
    }

    fn word(&self, at: usize) -> Result<u32, String> {
        Ok(self.endian.u32(self.bytes(at)?))
    }

    /// An address or offset: 8 bytes in ELF64, 4 in ELF32.
    fn addr(&self, at64: usize, at32: usize) -> Result<u64, String> {
        if self.wide {
            Ok(self.endian.u64(self.bytes(at64)?))
        } else {
            Ok(u64::from(self.endian.u32(self.bytes(at32)?)))
        }
    }
}

/// A section header: name offset, type, file offset and size.
struct Shdr {
    name: u32,
    kind: u32,
    offset: u64,
    size: u64,
}

const SHT_NOBITS: u32 = 8;
const SHN_XINDEX: u16 = 0xffff;

fn parse_shdr(f: &Fields<'_>) -> Result<Shdr, String> {
    Ok(Shdr {
        name: f.word(0)?,
        kind: f.word(4)?,
        offset: f.addr(24, 16)?,
        size: f.addr(32, 20)?,
    })
}

/// Reads section `name` from an ELF file (any reader, so that the fuzzer
/// can pass bytes in memory).
pub fn read_section<F: Read + Seek>(file: &mut F, name: &str) -> Result<Section, String> {
    let ident = read_at(file, 0, 16, "ELF identification")?;
    if ident.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err("not an ELF file".into());
    }
    let wide = match ident.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err("unknown ELF class".into()),
    };
    let endian = match ident.get(5) {
        Some(1) => Endian::Little,
        Some(2) => Endian::Big,
        _ => return Err("unknown ELF byte order".into()),
    };
    let ehdr_len = if wide { 64 } else { 52 };
    let ehdr = read_at(file, 0, ehdr_len, "ELF header")?;
    let eh = Fields {
        buf: &ehdr,
        endian,
        wide,
    };
    let shoff = eh.addr(0x28, 0x20)?;
    let (shentsize_at, shnum_at, shstrndx_at) = if wide {
        (0x3a, 0x3c, 0x3e)
    } else {
        (0x2e, 0x30, 0x32)
    };
    let shentsize = usize::from(eh.half(shentsize_at)?);
    let min_entsize = if wide { 64 } else { 40 };
    if shoff == 0 || shentsize < min_entsize {
        return Err("no section headers".into());
    }
    let entry = |file: &mut F, index: u64| -> Result<Shdr, String> {
        let at = index
            .checked_mul(shentsize as u64)
            .and_then(|o| o.checked_add(shoff))
            .ok_or("section header offset overflows")?;
        let buf = read_at(file, at, shentsize, "section header")?;
        parse_shdr(&Fields {
            buf: &buf,
            endian,
            wide,
        })
    };
    // Section 0 holds the real counts when they do not fit the ELF header.
    let first = entry(file, 0)?;
    let mut shnum = u64::from(eh.half(shnum_at)?);
    if shnum == 0 {
        shnum = first.size;
    }
    let raw_strndx = eh.half(shstrndx_at)?;
    let strndx = if raw_strndx == SHN_XINDEX {
        // sh_link of section 0 carries the index.
        let buf = read_at(file, shoff, shentsize, "section header")?;
        u64::from(
            Fields {
                buf: &buf,
                endian,
                wide,
            }
            .word(if wide { 40 } else { 24 })?,
        )
    } else {
        u64::from(raw_strndx)
    };
    if strndx >= shnum {
        return Err("bad section name table index".into());
    }
    let strtab_hdr = entry(file, strndx)?;
    let strtab_len = usize::try_from(strtab_hdr.size)
        .ok()
        .filter(|&n| n <= 1 << 24)
        .ok_or("section name table too large")?;
    let strtab = read_at(file, strtab_hdr.offset, strtab_len, "section names")?;
    for index in 1..shnum {
        let shdr = entry(file, index)?;
        let start = usize::try_from(shdr.name).map_err(|_| "bad section name")?;
        let found = strtab
            .get(start..)
            .and_then(|rest| rest.split(|&b| b == 0).next())
            .is_some_and(|n| n == name.as_bytes());
        if !found {
            continue;
        }
        if shdr.kind == SHT_NOBITS {
            return Err(format!("section {name} has no contents in the file"));
        }
        let len = usize::try_from(shdr.size)
            .ok()
            .filter(|&n| n <= 1 << 20)
            .ok_or_else(|| format!("section {name} is too large"))?;
        let data = read_at(file, shdr.offset, len, name)?;
        return Ok(Section { endian, data });
    }
    Err(format!("no {name} section"))
}
