// SPDX-License-Identifier: GPL-2.0

//! Tests of `scripts/module-hashes/sha256.rs`: NIST vectors and comparison
//! against the `sha2` crate, run on every backend this CPU supports.

use module_hashes::sha256::{self, Backend, Sha256};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use sha2::Digest as _;

/// Returns whether /proc/cpuinfo lists the `sha_ni` flag.
fn cpuinfo_has_sha_ni() -> bool {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "sha_ni"))
}

/// Every backend this CPU runs. Fails if the CPU has SHA-NI but the ShaNi
/// backend is refused, so the fast path cannot silently go untested.
fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Portable];
    match Sha256::with_backend(Backend::ShaNi) {
        Some(h) => {
            assert_eq!(h.backend(), Backend::ShaNi);
            v.push(Backend::ShaNi);
        }
        None => assert!(
            !cpuinfo_has_sha_ni(),
            "/proc/cpuinfo lists sha_ni but the ShaNi backend is unavailable"
        ),
    }
    v
}

fn hasher(b: Backend) -> Sha256 {
    Sha256::with_backend(b).expect("backend listed by backends()")
}

fn hash_with(b: Backend, data: &[u8]) -> [u8; 32] {
    let mut h = hasher(b);
    h.update(data);
    h.finish()
}

/// Hashes `data` fed in pieces that end at `cuts` (sorted, within bounds).
fn hash_split(b: Backend, data: &[u8], cuts: &[usize]) -> [u8; 32] {
    let mut h = hasher(b);
    let mut start = 0;
    for &c in cuts {
        h.update(&data[start..c]);
        start = c;
    }
    h.update(&data[start..]);
    h.finish()
}

fn random_cuts(rng: &mut StdRng, len: usize, max_pieces: usize) -> Vec<usize> {
    let n = rng.gen_range(0..=max_pieces);
    let mut cuts: Vec<usize> = (0..n).map(|_| rng.gen_range(0..=len)).collect();
    cuts.sort_unstable();
    cuts
}

fn reference(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

fn unhex(s: &str) -> [u8; 32] {
    assert_eq!(s.len(), 64);
    let mut out = [0; 32];
    for (o, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
    }
    out
}

fn rng() -> StdRng {
    let seed = std::env::var("SHA256_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("SHA256_TEST_SEED={seed}");
    StdRng::seed_from_u64(seed)
}

fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    rng.fill_bytes(&mut v);
    v
}

/// Known-answer messages: FIPS 180-4 examples, CAVS `SHA256ShortMsg`, and
/// the NIST additional SHA-256 examples.
fn vectors() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (
            b"".to_vec(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abc".to_vec(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".to_vec(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
        (
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn\
              hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
                .to_vec(),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        ),
        (
            vec![b'a'; 1_000_000],
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        ),
        (
            vec![0xd3],
            "28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1",
        ),
        (
            vec![0xbd],
            "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b",
        ),
        (
            vec![0xc9, 0x8c, 0x8e, 0x55],
            "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504",
        ),
        (
            vec![0; 55],
            "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7",
        ),
        (
            vec![0; 56],
            "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb",
        ),
        (
            vec![0; 57],
            "65a16cb7861335d5ace3c60718b5052e44660726da4cd13bb745381b235a1785",
        ),
        (
            vec![0; 64],
            "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b",
        ),
        (
            vec![0; 1000],
            "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53",
        ),
        (
            vec![0x41; 1000],
            "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4",
        ),
        (
            vec![0x55; 1005],
            "f4d62ddec0f3dd90ea1380fa16a5ff8dc4c54b21740650f24afc4120903552b0",
        ),
        (
            vec![0; 1_000_000],
            "d29751f2649b32ff572b5e0a9f541ea660a50f94ff0beedfb0b692b924cc8025",
        ),
        (
            b"The quick brown fox jumps over the lazy dog".to_vec(),
            "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
        ),
    ]
}

#[test]
fn shani_detected_when_cpu_has_it() {
    let has = Sha256::with_backend(Backend::ShaNi).is_some();
    if cpuinfo_has_sha_ni() {
        assert!(has, "/proc/cpuinfo lists sha_ni but ShaNi is refused");
    }
    if cfg!(not(target_arch = "x86_64")) {
        assert!(!has);
    }
    assert_eq!(
        Backend::best(),
        if has {
            Backend::ShaNi
        } else {
            Backend::Portable
        }
    );
    // Detection is cached; asking again must agree.
    assert_eq!(Backend::best(), Backend::best());
}

#[test]
fn backend_api() {
    assert_eq!(Backend::Portable.name(), "portable");
    assert_eq!(Backend::ShaNi.name(), "sha-ni");
    assert!(Sha256::with_backend(Backend::Portable).is_some());
    assert_eq!(Sha256::new().backend(), Backend::best());
    assert_eq!(Sha256::default().backend(), Backend::best());
    for b in backends() {
        assert_eq!(hasher(b).backend(), b);
    }
}

#[test]
fn nist_vectors() {
    for b in backends() {
        for (msg, hex) in vectors() {
            let want = unhex(hex);
            assert_eq!(hash_with(b, &msg), want, "{} len {}", b.name(), msg.len());
            // Also through the buffer: odd piece sizes straddle blocks.
            for piece in [1, 3, 63, 64, 65, 1000] {
                if msg.len() > 20_000 && piece < 63 {
                    continue;
                }
                let mut h = hasher(b);
                for c in msg.chunks(piece) {
                    h.update(c);
                }
                assert_eq!(
                    h.finish(),
                    want,
                    "{} len {} piece {piece}",
                    b.name(),
                    msg.len()
                );
            }
        }
    }
}

#[test]
fn digest_fn_and_default() {
    for (msg, hex) in vectors() {
        assert_eq!(sha256::digest(&msg), unhex(hex));
        let mut h = Sha256::default();
        h.update(&msg);
        assert_eq!(h.finish(), unhex(hex));
    }
}

#[test]
fn proof_trait_impl() {
    use module_hashes::proof;
    let mut rng = rng();
    for b in backends() {
        let mut h = <Sha256 as proof::Sha256>::new();
        proof::Sha256::update(&mut h, b"ab");
        proof::Sha256::update(&mut h, b"c");
        assert_eq!(
            proof::Sha256::finish(h),
            unhex(vectors()[1].1),
            "{}",
            b.name()
        );
    }
    for len in [0, 1, 59, 64, 4096, 100_000] {
        let payload = random_bytes(&mut rng, len);
        let pos: u32 = rng.gen();
        let mut prefixed = vec![0x01];
        prefixed.extend_from_slice(&pos.to_be_bytes());
        prefixed.extend_from_slice(&payload);
        assert_eq!(
            proof::leaf_hash::<Sha256>(pos, &payload),
            reference(&prefixed)
        );
    }
}

#[test]
fn every_length_0_to_300() {
    let mut rng = rng();
    let data = random_bytes(&mut rng, 300);
    for b in backends() {
        for len in 0..=300 {
            let msg = &data[..len];
            let want = reference(msg);
            assert_eq!(hash_with(b, msg), want, "{} len {len}", b.name());
            for _ in 0..4 {
                let cuts = random_cuts(&mut rng, len, 6);
                assert_eq!(
                    hash_split(b, msg, &cuts),
                    want,
                    "{} len {len} cuts {cuts:?}",
                    b.name()
                );
            }
        }
    }
}

#[test]
fn every_split_of_two_blocks() {
    // Two updates at every split point of 0..=200 bytes: the buffered
    // path meets the bulk path at every offset.
    let mut rng = rng();
    let data = random_bytes(&mut rng, 200);
    for b in backends() {
        for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 200] {
            let want = reference(&data[..len]);
            for cut in 0..=len {
                assert_eq!(
                    hash_split(b, &data[..len], &[cut]),
                    want,
                    "{} {len}/{cut}",
                    b.name()
                );
            }
        }
    }
}

#[test]
fn random_lengths_up_to_1mb() {
    let mut rng = rng();
    let data = random_bytes(&mut rng, 1 << 20);
    for b in backends() {
        for _ in 0..24 {
            // Mostly short lengths, some near a megabyte.
            let len = if rng.gen_bool(0.5) {
                rng.gen_range(0..=4096)
            } else {
                rng.gen_range(0..=data.len())
            };
            let msg = &data[..len];
            let want = reference(msg);
            assert_eq!(hash_with(b, msg), want, "{} len {len}", b.name());
            let cuts = random_cuts(&mut rng, len, 40);
            assert_eq!(
                hash_split(b, msg, &cuts),
                want,
                "{} len {len} cuts {cuts:?}",
                b.name()
            );
        }
    }
}

#[test]
fn long_message_10mb() {
    let mut rng = rng();
    let data = random_bytes(&mut rng, 10 << 20);
    let want = reference(&data);
    for b in backends() {
        assert_eq!(hash_with(b, &data), want, "{}", b.name());
        // Odd-sized chunks, like reading a file through a buffer.
        let mut h = hasher(b);
        for c in data.chunks(65_537) {
            h.update(c);
        }
        assert_eq!(h.finish(), want, "{} chunked", b.name());
    }
}

#[test]
fn empty_updates_and_clone() {
    let mut rng = rng();
    let data = random_bytes(&mut rng, 5000);
    for b in backends() {
        let mut h = hasher(b);
        h.update(&[]);
        h.update(&data[..100]);
        h.update(&[]);
        // A clone taken mid-stream continues independently.
        let mut fork = h.clone();
        h.update(&data[100..]);
        fork.update(&data[100..3000]);
        assert_eq!(h.finish(), reference(&data), "{}", b.name());
        assert_eq!(fork.finish(), reference(&data[..3000]), "{}", b.name());
    }
}

#[test]
fn backends_agree() {
    let mut rng = rng();
    for _ in 0..200 {
        let len = rng.gen_range(0..=20_000);
        let msg = random_bytes(&mut rng, len);
        let digests: Vec<_> = backends().into_iter().map(|b| hash_with(b, &msg)).collect();
        assert!(digests.windows(2).all(|w| w[0] == w[1]), "len {len}");
    }
}
