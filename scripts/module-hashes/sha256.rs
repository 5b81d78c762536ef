// SPDX-License-Identifier: GPL-2.0

//! SHA-256 (FIPS 180-4) for the `module-hashes` host tool.
//!
//! The tool hashes every module of a kernel build, so throughput matters.
//! There are two compression backends: a portable one in plain Rust, and
//! one using the x86 SHA extensions (SHA-NI) that is picked at run time when
//! the CPU has them. Both produce the same digests; [`Sha256::with_backend`]
//! lets tests and benchmarks force either one.
//!
//! Only `std` is used, so the file builds both under cargo and as a kbuild
//! host program with plain `rustc`.

/// A SHA-256 compression function implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Plain Rust, available everywhere.
    Portable,
    /// The x86 SHA extensions (`x86_64` only).
    ShaNi,
}

impl Backend {
    /// Returns the backend's short name, as printed by the tool.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::ShaNi => "sha-ni",
        }
    }

    /// Returns the fastest backend this CPU supports.
    pub fn best() -> Backend {
        if shani_available() {
            Backend::ShaNi
        } else {
            Backend::Portable
        }
    }

    /// Whether this CPU can run the backend.
    fn supported(self) -> bool {
        match self {
            Backend::Portable => true,
            Backend::ShaNi => shani_available(),
        }
    }
}

/// Whether the CPU has SHA-NI and the SSE levels the SHA-NI code uses.
#[cfg(target_arch = "x86_64")]
fn shani_available() -> bool {
    // Detected once: `best()` runs for every hasher the tool creates.
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
    })
}

/// Whether the CPU has SHA-NI: never outside x86_64.
#[cfg(not(target_arch = "x86_64"))]
fn shani_available() -> bool {
    false
}

/// Size of a SHA-256 message block in bytes.
const BLOCK_LEN: usize = 64;

/// Initial hash value H(0) (FIPS 180-4, 5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Round constants K (FIPS 180-4, 4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// An incremental SHA-256 computation.
#[derive(Clone)]
pub struct Sha256 {
    /// The chaining value H(i).
    state: [u32; 8],
    /// The pending partial block; only `buf[..buf_len]` is meaningful.
    buf: [u8; BLOCK_LEN],
    /// Number of pending bytes in `buf`, always below `BLOCK_LEN`.
    buf_len: usize,
    /// Message length in bytes so far, modulo 2^64.
    len: u64,
    /// Compression backend; only ever one the CPU supports.
    backend: Backend,
}

impl Sha256 {
    /// Starts a new digest using the fastest backend of this CPU.
    pub fn new() -> Self {
        Self::with_state(Backend::best())
    }

    /// Starts a new digest using `backend`, or returns `None` if this CPU
    /// cannot run it.
    pub fn with_backend(backend: Backend) -> Option<Self> {
        if backend.supported() {
            Some(Self::with_state(backend))
        } else {
            None
        }
    }

    /// Builds the initial hasher; `backend` must be supported.
    fn with_state(backend: Backend) -> Self {
        Sha256 {
            state: H0,
            buf: [0; BLOCK_LEN],
            buf_len: 0,
            len: 0,
            backend,
        }
    }

    /// Returns the backend this hasher compresses with.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Feeds `data` into the digest.
    pub fn update(&mut self, data: &[u8]) {
        // usize fits in u64 on every target the tool runs on; the bit
        // length is only needed modulo 2^64 anyway.
        self.len = self.len.wrapping_add(data.len() as u64);
        let mut data = data;

        if self.buf_len > 0 {
            let take = (BLOCK_LEN - self.buf_len).min(data.len());
            let (head, rest) = data.split_at(take);
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(head);
            self.buf_len += take;
            data = rest;
            if self.buf_len < BLOCK_LEN {
                return;
            }
            compress(self.backend, &mut self.state, &self.buf);
            self.buf_len = 0;
        }

        // Whole blocks go straight from the caller's slice, all in one call
        // so the SHA-NI loop keeps the state in registers.
        let (blocks, tail) = data.split_at(data.len() - data.len() % BLOCK_LEN);
        if !blocks.is_empty() {
            compress(self.backend, &mut self.state, blocks);
        }
        self.buf[..tail.len()].copy_from_slice(tail);
        self.buf_len = tail.len();
    }

    /// Pads the message and returns its digest.
    #[must_use]
    pub fn finish(mut self) -> [u8; 32] {
        let bit_len = self.len.wrapping_mul(8);
        let n = self.buf_len;
        self.buf[n] = 0x80;
        self.buf[n + 1..].fill(0);
        // The 8-byte length must fit after the 0x80 byte, else it spills
        // into one more block.
        if n + 1 > BLOCK_LEN - 8 {
            compress(self.backend, &mut self.state, &self.buf);
            self.buf = [0; BLOCK_LEN];
        }
        self.buf[BLOCK_LEN - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress(self.backend, &mut self.state, &self.buf);

        let mut out = [0; 32];
        for (o, s) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&s.to_be_bytes());
        }
        out
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::proof::Sha256 for Sha256 {
    fn new() -> Self {
        Sha256::new()
    }

    fn update(&mut self, data: &[u8]) {
        Sha256::update(self, data);
    }

    fn finish(self) -> [u8; 32] {
        Sha256::finish(self)
    }
}

/// Returns the SHA-256 digest of `data`, using the fastest backend.
#[must_use]
pub fn digest(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(data);
    h.finish()
}

/// Compresses `blocks` (a multiple of 64 bytes) into `state` with `backend`.
///
/// `backend` must be supported by the CPU, which holds for every backend a
/// [`Sha256`] stores.
fn compress(backend: Backend, state: &mut [u32; 8], blocks: &[u8]) {
    match backend {
        Backend::Portable => portable::compress(state, blocks),
        #[cfg(target_arch = "x86_64")]
        Backend::ShaNi => {
            // SAFETY: a `Sha256` only holds `ShaNi` after `with_backend`
            // found sha, sse2, ssse3 and sse4.1 on this CPU.
            unsafe { shani::compress(state, blocks) }
        }
        // Never constructed off x86_64; stay correct rather than panic.
        #[cfg(not(target_arch = "x86_64"))]
        Backend::ShaNi => portable::compress(state, blocks),
    }
}

/// The portable backend: FIPS 180-4, 6.2.2 with fully unrolled rounds.
mod portable {
    use super::{BLOCK_LEN, K};

    #[inline(always)]
    fn ch(x: u32, y: u32, z: u32) -> u32 {
        // Same as (x & y) ^ (!x & z), one operation fewer.
        z ^ (x & (y ^ z))
    }

    #[inline(always)]
    fn maj(x: u32, y: u32, z: u32) -> u32 {
        (x & y) | (z & (x | y))
    }

    #[inline(always)]
    fn big_sigma0(x: u32) -> u32 {
        x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
    }

    #[inline(always)]
    fn big_sigma1(x: u32) -> u32 {
        x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
    }

    #[inline(always)]
    fn small_sigma0(x: u32) -> u32 {
        x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
    }

    #[inline(always)]
    fn small_sigma1(x: u32) -> u32 {
        x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
    }

    /// Returns message schedule word `t`, computing it in place for t >= 16.
    ///
    /// Only the last 16 words are kept: W(t) overwrites W(t - 16). The
    /// masks keep every index in range, so nothing here can panic.
    #[inline(always)]
    fn schedule(w: &mut [u32; 16], t: usize) -> u32 {
        if t >= 16 {
            w[t & 15] = small_sigma1(w[(t + 14) & 15])
                .wrapping_add(w[(t + 9) & 15])
                .wrapping_add(small_sigma0(w[(t + 1) & 15]))
                .wrapping_add(w[t & 15]);
        }
        w[t & 15]
    }

    /// One round; the caller rotates the variable names instead of moving
    /// eight values per round.
    macro_rules! round {
        ($w:ident, $t:expr, $a:ident, $b:ident, $c:ident, $d:ident,
         $e:ident, $f:ident, $g:ident, $h:ident) => {
            let t1 = $h
                .wrapping_add(big_sigma1($e))
                .wrapping_add(ch($e, $f, $g))
                .wrapping_add(K[$t])
                .wrapping_add(schedule(&mut $w, $t));
            let t2 = big_sigma0($a).wrapping_add(maj($a, $b, $c));
            $d = $d.wrapping_add(t1);
            $h = t1.wrapping_add(t2);
        };
    }

    /// Eight rounds, after which the names are back in place.
    macro_rules! round8 {
        ($w:ident, $t:expr, $a:ident, $b:ident, $c:ident, $d:ident,
         $e:ident, $f:ident, $g:ident, $h:ident) => {
            round!($w, $t, $a, $b, $c, $d, $e, $f, $g, $h);
            round!($w, $t + 1, $h, $a, $b, $c, $d, $e, $f, $g);
            round!($w, $t + 2, $g, $h, $a, $b, $c, $d, $e, $f);
            round!($w, $t + 3, $f, $g, $h, $a, $b, $c, $d, $e);
            round!($w, $t + 4, $e, $f, $g, $h, $a, $b, $c, $d);
            round!($w, $t + 5, $d, $e, $f, $g, $h, $a, $b, $c);
            round!($w, $t + 6, $c, $d, $e, $f, $g, $h, $a, $b);
            round!($w, $t + 7, $b, $c, $d, $e, $f, $g, $h, $a);
        };
    }

    /// Compresses `blocks` into `state`; a trailing partial block is ignored.
    pub(super) fn compress(state: &mut [u32; 8], blocks: &[u8]) {
        for block in blocks.chunks_exact(BLOCK_LEN) {
            let mut w = [0u32; 16];
            for (w, b) in w.iter_mut().zip(block.chunks_exact(4)) {
                *w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            }

            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
            round8!(w, 0, a, b, c, d, e, f, g, h);
            round8!(w, 8, a, b, c, d, e, f, g, h);
            round8!(w, 16, a, b, c, d, e, f, g, h);
            round8!(w, 24, a, b, c, d, e, f, g, h);
            round8!(w, 32, a, b, c, d, e, f, g, h);
            round8!(w, 40, a, b, c, d, e, f, g, h);
            round8!(w, 48, a, b, c, d, e, f, g, h);
            round8!(w, 56, a, b, c, d, e, f, g, h);

            for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
                *s = s.wrapping_add(v);
            }
        }
    }
}

/// The SHA-NI backend.
///
/// The SHA instructions keep the working variables as two vectors, ABEF and
/// CDGH (A in the highest lane). `sha256rnds2` does two rounds using the
/// low two lanes of W+K, `sha256msg1`/`sha256msg2` do the message schedule
/// four words at a time.
#[cfg(target_arch = "x86_64")]
mod shani {
    use super::{BLOCK_LEN, K};
    use core::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi32,
        _mm_set_epi64x, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
        _mm_shuffle_epi32, _mm_shuffle_epi8, _mm_storeu_si128,
    };

    /// Compresses `blocks` into `state`; a trailing partial block is ignored.
    ///
    /// All blocks go through one call so the state stays in registers
    /// between blocks.
    ///
    /// # Safety
    ///
    /// The CPU must support the `sha`, `sse2`, `ssse3` and `sse4.1` target
    /// features.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress(state: &mut [u32; 8], blocks: &[u8]) {
        // Four rounds on message words `$w` (rounds 4 * `$q` to 4 * `$q` + 3).
        macro_rules! rounds4 {
            ($abef:ident, $cdgh:ident, $w:expr, $q:expr) => {
                let wk = _mm_add_epi32(
                    $w,
                    _mm_set_epi32(
                        K[4 * $q + 3] as i32,
                        K[4 * $q + 2] as i32,
                        K[4 * $q + 1] as i32,
                        K[4 * $q] as i32,
                    ),
                );
                // Each rnds2 returns the new ABEF; the old ABEF becomes
                // the new CDGH, hence the swapped destinations.
                $cdgh = _mm_sha256rnds2_epu32($cdgh, $abef, wk);
                $abef = _mm_sha256rnds2_epu32($abef, $cdgh, _mm_shuffle_epi32(wk, 0x0e));
            };
        }

        // Finishes W[t+4..t+8] in `$dst`, which holds msg1's W[t-12..] +
        // sigma0 part, given `$prev` = W[t-4..t] and `$cur` = W[t..t+4].
        macro_rules! next {
            ($dst:ident, $prev:ident, $cur:ident) => {
                $dst = _mm_sha256msg2_epu32(
                    _mm_add_epi32($dst, _mm_alignr_epi8($cur, $prev, 4)),
                    $cur,
                );
            };
        }

        let sp = state.as_mut_ptr().cast::<__m128i>();
        // SAFETY: `state` is 32 bytes, so both 16-byte unaligned loads are
        // in bounds; the caller guarantees the CPU features.
        let (mut abef, mut cdgh) = unsafe {
            let dcba = _mm_shuffle_epi32(_mm_loadu_si128(sp), 0xb1);
            let hgfe = _mm_shuffle_epi32(_mm_loadu_si128(sp.add(1)), 0x1b);
            (
                _mm_alignr_epi8(dcba, hgfe, 8),
                _mm_blend_epi16(hgfe, dcba, 0xf0),
            )
        };

        for block in blocks.chunks_exact(BLOCK_LEN) {
            let bp = block.as_ptr().cast::<__m128i>();
            // SAFETY: `block` is 64 bytes, so the four 16-byte unaligned
            // loads are in bounds; the caller guarantees the CPU features.
            unsafe {
                // Byte-swaps each 32-bit lane: message words are big endian.
                let bswap = _mm_set_epi64x(0x0c0d0e0f_08090a0b, 0x04050607_00010203);
                let mut m0 = _mm_shuffle_epi8(_mm_loadu_si128(bp), bswap);
                let mut m1 = _mm_shuffle_epi8(_mm_loadu_si128(bp.add(1)), bswap);
                let mut m2 = _mm_shuffle_epi8(_mm_loadu_si128(bp.add(2)), bswap);
                let mut m3 = _mm_shuffle_epi8(_mm_loadu_si128(bp.add(3)), bswap);
                let (abef0, cdgh0) = (abef, cdgh);

                // m0..m3 hold a sliding window of 16 schedule words. After
                // the rounds on a group, the following group is finished
                // (msg2) and the one three ahead started (msg1), interleaved
                // with the rounds to hide latency.
                rounds4!(abef, cdgh, m0, 0);
                rounds4!(abef, cdgh, m1, 1);
                m0 = _mm_sha256msg1_epu32(m0, m1);
                rounds4!(abef, cdgh, m2, 2);
                m1 = _mm_sha256msg1_epu32(m1, m2);
                rounds4!(abef, cdgh, m3, 3);
                next!(m0, m2, m3);
                m2 = _mm_sha256msg1_epu32(m2, m3);
                rounds4!(abef, cdgh, m0, 4);
                next!(m1, m3, m0);
                m3 = _mm_sha256msg1_epu32(m3, m0);
                rounds4!(abef, cdgh, m1, 5);
                next!(m2, m0, m1);
                m0 = _mm_sha256msg1_epu32(m0, m1);
                rounds4!(abef, cdgh, m2, 6);
                next!(m3, m1, m2);
                m1 = _mm_sha256msg1_epu32(m1, m2);
                rounds4!(abef, cdgh, m3, 7);
                next!(m0, m2, m3);
                m2 = _mm_sha256msg1_epu32(m2, m3);
                rounds4!(abef, cdgh, m0, 8);
                next!(m1, m3, m0);
                m3 = _mm_sha256msg1_epu32(m3, m0);
                rounds4!(abef, cdgh, m1, 9);
                next!(m2, m0, m1);
                m0 = _mm_sha256msg1_epu32(m0, m1);
                rounds4!(abef, cdgh, m2, 10);
                next!(m3, m1, m2);
                m1 = _mm_sha256msg1_epu32(m1, m2);
                rounds4!(abef, cdgh, m3, 11);
                next!(m0, m2, m3);
                m2 = _mm_sha256msg1_epu32(m2, m3);
                rounds4!(abef, cdgh, m0, 12);
                next!(m1, m3, m0);
                m3 = _mm_sha256msg1_epu32(m3, m0);
                rounds4!(abef, cdgh, m1, 13);
                next!(m2, m0, m1);
                rounds4!(abef, cdgh, m2, 14);
                next!(m3, m1, m2);
                rounds4!(abef, cdgh, m3, 15);

                abef = _mm_add_epi32(abef, abef0);
                cdgh = _mm_add_epi32(cdgh, cdgh0);
            }
        }

        // SAFETY: `state` is 32 bytes, so both 16-byte unaligned stores are
        // in bounds; the caller guarantees the CPU features.
        unsafe {
            let feba = _mm_shuffle_epi32(abef, 0x1b);
            let dchg = _mm_shuffle_epi32(cdgh, 0xb1);
            _mm_storeu_si128(sp, _mm_blend_epi16(feba, dchg, 0xf0));
            _mm_storeu_si128(sp.add(1), _mm_alignr_epi8(dchg, feba, 8));
        }
    }
}
