#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reference implementation of the module-hashes Merkle format.

Written from the format description alone, independently of the Rust
`module-hashes` tool, so that the committed test vectors it produces catch
a bug that both sides would not share. Uses only the Python standard
library and no randomness, so every Python 3 version emits identical bytes.

Subcommands:
  generate OUTDIR [--force]         write the synthetic vector set
  check OUTDIR                      regenerate and compare byte-for-byte
  verify --root ROOT.bin MODULE...  verify modules with appended trailers
  selftest                          exhaustive checks for N = 1..64
"""

import argparse
import hashlib
import os
import shutil
import struct
import sys
import tempfile

HASH_LEN = 32
LEAF_PREFIX = b"\x01"
NODE_PREFIX = b"\x02"
MAGIC = b"~Module signature appended~\n"
INFO_LEN = 12
ID_MERKLE = 3
ROOT_LEN = 4 + HASH_LEN
ZERO_HASH = bytes(HASH_LEN)

# `struct module_signature`: algo, hash, id_type, signer_len, key_id_len,
# 3 pad bytes, then sig_len big endian.
INFO_FMT = ">BBBBB3sI"
assert struct.calcsize(INFO_FMT) == INFO_LEN
assert len(MAGIC) == 28


# --- The format ----------------------------------------------------------

def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(pos, module_bytes):
    return sha256(LEAF_PREFIX + struct.pack(">I", pos) + module_bytes)


def node_hash(left, right):
    return sha256(NODE_PREFIX + left + right)


def levels_for(n):
    """Tree height; a lone module still gets one level (paired with itself)."""
    if n == 0:
        return 0
    if n == 1:
        return 1
    # ceil(log2(n)) for n >= 2, exact in integers.
    return (n - 1).bit_length()


def build_tree(leaves):
    """Return every level of the tree, leaves first, root level last."""
    tree = [list(leaves)]
    for _ in range(levels_for(len(leaves))):
        cur = tree[-1]
        nxt = []
        for i in range(0, len(cur), 2):
            right = cur[i + 1] if i + 1 < len(cur) else cur[i]
            nxt.append(node_hash(cur[i], right))
        tree.append(nxt)
    if leaves:
        assert len(tree[-1]) == 1, "tree did not reduce to one root"
    return tree


def tree_root(tree):
    return tree[-1][0] if tree[0] else ZERO_HASH


def proof_for(tree, pos):
    """be32(pos) followed by one sibling per level, bottom-up."""
    levels = len(tree) - 1
    out = [struct.pack(">I", pos)]
    for i in range(levels):
        level = tree[i]
        idx = (pos >> i) ^ 1
        # Odd tail: the last node was paired with itself.
        out.append(level[idx] if idx < len(level) else level[pos >> i])
    return b"".join(out)


def info_block(sig_len):
    return struct.pack(INFO_FMT, 0, 0, ID_MERKLE, 0, 0, b"\0\0\0", sig_len)


def trailer_for(tree, pos):
    proof = proof_for(tree, pos)
    return proof + info_block(len(proof)) + MAGIC


def root_file(levels, root):
    return struct.pack("<I", levels) + root


def parse_root_file(data):
    if len(data) != ROOT_LEN:
        raise ValueError("root file is %d bytes, expected %d"
                         % (len(data), ROOT_LEN))
    (levels,) = struct.unpack("<I", data[:4])
    return levels, data[4:]


def verify_signed(signed, levels, root):
    """Check `module_bytes || trailer` against a root.

    Returns None when authentic, else a short reason. Parses strictly from
    the end, as the kernel does, and never trusts lengths it has not checked.
    """
    if levels == 0:
        return "root is of an empty tree, nothing can verify"
    if len(signed) < len(MAGIC) + INFO_LEN:
        return "too short for a trailer"
    if signed[-len(MAGIC):] != MAGIC:
        return "no signature marker"
    body = signed[:-len(MAGIC)]
    algo, hash_id, id_type, signer_len, key_id_len, pad, sig_len = \
        struct.unpack(INFO_FMT, body[-INFO_LEN:])
    if id_type != ID_MERKLE:
        return "id_type %d is not a Merkle proof" % id_type
    if (algo, hash_id, signer_len, key_id_len, pad) != (0, 0, 0, 0, b"\0\0\0"):
        return "info block has non-zero reserved fields"
    body = body[:-INFO_LEN]
    if sig_len < 4 or (sig_len - 4) % HASH_LEN or sig_len > len(body):
        return "bad sig_len %d" % sig_len
    if (sig_len - 4) // HASH_LEN != levels:
        return "proof has %d levels, root has %d" % (
            (sig_len - 4) // HASH_LEN, levels)
    proof = body[len(body) - sig_len:]
    module_bytes = body[:len(body) - sig_len]
    (pos,) = struct.unpack(">I", proof[:4])
    # Valid positions are < N <= 2**levels; anything above is forged.
    if pos >> levels:
        return "position %d out of range for %d levels" % (pos, levels)
    cur = leaf_hash(pos, module_bytes)
    for i in range(levels):
        sib = proof[4 + i * HASH_LEN:4 + (i + 1) * HASH_LEN]
        cur = node_hash(cur, sib) if not (pos >> i) & 1 else node_hash(sib, cur)
    if cur != root:
        return "root mismatch"
    return None


# --- Deterministic vector set ---------------------------------------------

SEED = b"module-hashes reference vectors v1"

# 33 sizes, so the n33 case holds each exactly once. Besides 1/63/64/65/4096
# they sit on SHA-256 block edges of the leaf message (5-byte prefix +
# payload: 50/51/59 give 55/56/64 bytes), on typical read-buffer edges, and
# up to ~20 KB.
SIZES = [
    1, 63, 64, 65, 4096, 20480, 50, 51, 59, 114, 115, 123, 127, 128, 129,
    255, 256, 4095, 4097, 8192, 2, 3, 31, 32, 33, 511, 512, 1000, 12345,
    16384, 777, 4160, 9999,
]
assert len(SIZES) == 33

DIRS = [
    "drivers/net", "fs/ext4", "net/ipv4/netfilter", "sound/core/seq",
    "crypto", "drivers/foo.bar", "lib", "arch/x86/kvm", "fs/xfs.orig",
]

CASE_SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33]

# One case uses the suffix of stripped builds.
STRIPPED_CASE = 7


def det_bytes(label, length):
    """SHA-256 in counter mode over (seed, label): stable across versions."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += sha256(SEED + b"\0" + label + struct.pack(">Q", counter))
        counter += 1
    return bytes(out[:length])


def case_paths(n):
    """modules.order lines for an n-module case, deliberately unsorted.

    Mixes in a path with extra dots in directory and basename, a directory
    containing ".o" that a naive replace() would mangle, and a top-level
    module, so path handling is exercised, not just hashing.
    """
    paths = []
    for j in range(n):
        if j == 1 and n >= 3:
            paths.append("drivers/foo.bar/baz.qux.o")
        elif j == 2 and n >= 5:
            paths.append("fs/xfs.orig/xfs.o")
        elif j == 3 and n >= 7:
            paths.append("hello.o")
        else:
            paths.append("%s/mod_%02d.o" % (DIRS[(j * 4) % len(DIRS)], j))
    assert len(set(paths)) == n
    return paths


def case_modules(ci, n, paths):
    mods = []
    for j, path in enumerate(paths):
        size = SIZES[(ci * 5 + j) % len(SIZES)]
        mods.append(det_bytes(("n%d/%s" % (n, path)).encode(), size))
    if n == 16:
        # Same bytes at two positions: leaves must still differ by pos, so a
        # tool that keys anything on content alone shows up here.
        mods[9] = mods[8]
    return mods


def strip_o(line):
    if not line.endswith(".o"):
        raise ValueError("modules.order line does not end in .o: %r" % line)
    return line[:-2]


def write_file(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def generate(outdir):
    for ci, n in enumerate(CASE_SIZES):
        case_dir = os.path.join(outdir, "n%d" % n)
        suffix = ".ko.stripped" if n == STRIPPED_CASE else ".ko"
        paths = case_paths(n)
        mods = case_modules(ci, n, paths)

        tree = build_tree([leaf_hash(p, m) for p, m in enumerate(mods)])
        levels = len(tree) - 1
        root = tree_root(tree)

        write_file(os.path.join(case_dir, "modules.order"),
                   "".join(p + "\n" for p in paths).encode())
        write_file(os.path.join(case_dir, "case.txt"),
                   ("suffix=%s\nmodules=%d\n" % (suffix, n)).encode())
        exp = os.path.join(case_dir, "expected")
        write_file(os.path.join(exp, "root.bin"), root_file(levels, root))
        write_file(os.path.join(exp, "root.txt"),
                   ("levels=%d\nroot=%s\n" % (levels, root.hex())).encode())
        for pos, (path, mod) in enumerate(zip(paths, mods)):
            stem = strip_o(path)
            write_file(os.path.join(case_dir, stem + suffix), mod)
            write_file(os.path.join(exp, stem + ".merkle"),
                       trailer_for(tree, pos))


def list_files(top):
    found = {}
    for dirpath, _, files in os.walk(top):
        for name in files:
            full = os.path.join(dirpath, name)
            found[os.path.relpath(full, top).replace(os.sep, "/")] = full
    return found


def compare_trees(want_dir, have_dir):
    """Return a list of human-readable differences (empty when equal)."""
    want, have = list_files(want_dir), list_files(have_dir)
    problems = []
    for rel in sorted(set(want) - set(have)):
        problems.append("missing: %s" % rel)
    for rel in sorted(set(have) - set(want)):
        problems.append("unexpected file: %s" % rel)
    for rel in sorted(set(want) & set(have)):
        with open(want[rel], "rb") as f:
            a = f.read()
        with open(have[rel], "rb") as f:
            b = f.read()
        if a != b:
            off = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y),
                       min(len(a), len(b)))
            problems.append("differs: %s (expected %d bytes, found %d, first "
                            "difference at offset %d)"
                            % (rel, len(a), len(b), off))
    return problems


# --- Self-test -------------------------------------------------------------

def flip(data, byte_index, bit=0):
    b = bytearray(data)
    b[byte_index] ^= 1 << bit
    return bytes(b)


def selftest():
    passed = failed = 0

    def expect(cond, what):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL: " + what)

    for n, lv in [(0, 0), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3),
                  (9, 4), (33, 6), (64, 6), (65, 7)]:
        expect(levels_for(n) == lv, "levels_for(%d) == %d" % (n, lv))
    expect(tree_root(build_tree([])) == ZERO_HASH, "empty root is zero")

    for n in range(1, 65):
        mods = [det_bytes(b"selftest/%d/%d" % (n, p), 1 + (p * 7 + n) % 70)
                for p in range(n)]
        tree = build_tree([leaf_hash(p, m) for p, m in enumerate(mods)])
        levels, root = len(tree) - 1, tree_root(tree)
        expect(levels == levels_for(n), "N=%d height" % n)
        tail = len(MAGIC) + INFO_LEN
        for pos in range(n):
            tr = trailer_for(tree, pos)
            signed = mods[pos] + tr
            plen = 4 + HASH_LEN * levels
            where = "N=%d pos=%d" % (n, pos)
            expect(len(tr) == plen + tail, where + ": trailer length")
            expect(verify_signed(signed, levels, root) is None,
                   where + ": genuine module verifies")
            # Payload: first and last byte, varying bit.
            m = len(mods[pos])
            for bi in {0, m - 1}:
                expect(verify_signed(flip(signed, bi, pos % 8), levels, root)
                       is not None, where + ": payload byte %d flipped" % bi)
            # Every bit of the be32 position.
            for bit in range(32):
                i = m + 3 - bit // 8
                expect(verify_signed(flip(signed, i, bit % 8), levels, root)
                       is not None, where + ": pos bit %d flipped" % bit)
            # One bit in every sibling, including self-paired ones.
            for lvl in range(levels):
                i = m + 4 + lvl * HASH_LEN + (pos + lvl) % HASH_LEN
                expect(verify_signed(flip(signed, i, lvl % 8), levels, root)
                       is not None, where + ": sibling %d flipped" % lvl)
            # Info block and marker.
            for i in (m + plen + 2, m + plen + 11, len(signed) - 1):
                expect(verify_signed(flip(signed, i), levels, root)
                       is not None, where + ": info/marker byte flipped")
            # A genuine proof for another position must not carry over.
            if pos:
                expect(verify_signed(mods[pos] + trailer_for(tree, pos - 1),
                                     levels, root) is not None,
                       where + ": proof of pos-1 rejected")
            expect(verify_signed(signed, levels + 1, root) is not None,
                   where + ": wrong root levels rejected")

    # The file-level path: generated vectors verify through the same
    # checker the `verify` subcommand uses.
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        for n in CASE_SIZES:
            case_dir = os.path.join(tmp, "n%d" % n)
            with open(os.path.join(case_dir, "case.txt")) as f:
                suffix = f.read().split("\n")[0].split("=", 1)[1]
            with open(os.path.join(case_dir, "expected", "root.bin"), "rb") as f:
                levels, root = parse_root_file(f.read())
            expect(levels == levels_for(n), "n%d root.bin levels" % n)
            with open(os.path.join(case_dir, "modules.order")) as f:
                lines = f.read().splitlines()
            expect(len(lines) == n, "n%d modules.order length" % n)
            for line in lines:
                stem = strip_o(line)
                with open(os.path.join(case_dir, stem + suffix), "rb") as f:
                    mod = f.read()
                with open(os.path.join(case_dir, "expected", stem + ".merkle"),
                          "rb") as f:
                    tr = f.read()
                expect(verify_signed(mod + tr, levels, root) is None,
                       "n%d %s verifies" % (n, line))

    print("selftest: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


# --- CLI ------------------------------------------------------------------

def cmd_generate(args):
    case_dirs = [os.path.join(args.outdir, "n%d" % n) for n in CASE_SIZES]
    existing = [d for d in case_dirs if os.path.exists(d)]
    if existing and not args.force:
        print("error: %s already holds case directories; use --force to "
              "replace them" % args.outdir, file=sys.stderr)
        return 1
    for d in existing:
        shutil.rmtree(d)
    generate(args.outdir)
    print("wrote %d cases to %s" % (len(CASE_SIZES), args.outdir))
    return 0


def cmd_check(args):
    if not os.path.isdir(args.outdir):
        print("error: %s is not a directory" % args.outdir, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        problems = compare_trees(tmp, args.outdir)
    if problems:
        print("error: %s does not match freshly generated vectors:"
              % args.outdir, file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        print("regenerate with: %s generate --force %s"
              % (sys.argv[0], args.outdir), file=sys.stderr)
        return 1
    print("%s matches the reference generator (%d cases)"
          % (args.outdir, len(CASE_SIZES)))
    return 0


def cmd_verify(args):
    try:
        with open(args.root, "rb") as f:
            levels, root = parse_root_file(f.read())
    except (OSError, ValueError) as e:
        print("error: %s: %s" % (args.root, e), file=sys.stderr)
        return 1
    bad = 0
    for path in args.modules:
        try:
            with open(path, "rb") as f:
                reason = verify_signed(f.read(), levels, root)
        except OSError as e:
            reason = str(e)
        if reason is None:
            print("OK   %s" % path)
        else:
            bad += 1
            print("FAIL %s: %s" % (path, reason))
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("generate", help="write the synthetic vector set")
    p.add_argument("outdir")
    p.add_argument("--force", action="store_true",
                   help="replace existing case directories")
    p = sub.add_parser("check", help="compare OUTDIR with fresh vectors")
    p.add_argument("outdir")
    p = sub.add_parser("verify", help="verify modules with trailers")
    p.add_argument("--root", required=True, help="36-byte root file")
    p.add_argument("modules", nargs="+")
    sub.add_parser("selftest", help="exhaustive self-test, N = 1..64")
    args = ap.parse_args(argv)
    return {
        "generate": cmd_generate,
        "check": cmd_check,
        "verify": cmd_verify,
        "selftest": lambda a: selftest(),
    }[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
