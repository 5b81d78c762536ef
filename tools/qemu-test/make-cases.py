#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Builds the modules and case files that modtest loads inside QEMU.

From an installed module tree (proofs appended, possibly xz-compressed) it
derives good modules and hostile variants of them, and writes one case file
per boot mode with the exact result module signing's policy demands:

  off       no enforcement: "non-fatal" failures load and taint the kernel
  enforce   module.sig_enforce=1: non-fatal failures give EKEYREJECTED
  lockdown  lockdown=integrity: non-fatal failures give EPERM
  sig       hashes plus MODULE_SIG, enforced: signed out-of-tree modules load

Malformed trailers give EBADMSG in every mode. Every variant is made here,
from the build's own modules, by rewriting trailers; nothing is hand-made.
"""

import argparse
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile

MARKER = b"~Module signature appended~\n"
INFO = ">BBBBB3sI"
INFO_LEN = 12
OVERHEAD = INFO_LEN + len(MARKER)


def split(module):
    """Returns (payload, sig, info tuple) of a module with a trailer."""
    assert module.endswith(MARKER), "module has no trailer"
    info = struct.unpack(INFO, module[-OVERHEAD:-len(MARKER)])
    sig_len = info[6]
    payload = module[: len(module) - OVERHEAD - sig_len]
    return payload, module[len(payload): len(payload) + sig_len], info


def trailer(sig, id_type=3, sig_len=None, reserved=(0, 0, 0, 0, b"\0\0\0")):
    algo, hash_, signer_len, key_id_len, pad = reserved
    info = struct.pack(INFO, algo, hash_, id_type, signer_len, key_id_len,
                       pad, len(sig) if sig_len is None else sig_len)
    return sig + info + MARKER


def harmless_flip(payload):
    """The payload with one bit changed where loading it stays safe: the
    case of a letter in the module's description. Without enforcement the
    tampered module really loads, and a bit flipped in code or relocations
    could crash the kernel, which is not what is being tested."""
    at = payload.find(b"description=")
    assert at >= 0, "module has no description to change"
    at += len(b"description=")
    assert chr(payload[at]).isalpha()
    return payload[:at] + bytes([payload[at] ^ 0x20]) + payload[at + 1:]


def read_module(path):
    data = open(path, "rb").read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def find_modules(moddir):
    """Maps module file names (without .ko/.ko.xz) to their paths."""
    found = {}
    for dirpath, _, files in os.walk(os.path.join(moddir, "kernel")):
        for f in files:
            for ext in (".ko.xz", ".ko.zst", ".ko"):
                if f.endswith(ext):
                    found[f[: -len(ext)]] = os.path.join(dirpath, f)
    return found


def run(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def other_build_trailer(tool, modules, order, target):
    """The trailer `target` gets in another build of the same config: the
    same modules in the same order, one of them (not target) different, so
    the tree has the same levels and another root."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = []
        for i, name in enumerate(order):
            payload = split(modules[name])[0] if modules[name].endswith(MARKER) else modules[name]
            if i == len(order) - 1 or (name != target and i == 0):
                payload = payload + b"\0other build"
            with open(os.path.join(tmp, f"m{i}.ko"), "wb") as f:
                f.write(payload)
            lines.append(f"m{i}.o\n")
        with open(os.path.join(tmp, "modules.order"), "w") as f:
            f.writelines(lines)
        run([tool, "build", "--order", "modules.order", "--suffix", ".ko",
             "--root-bin", "root.bin"], cwd=tmp)
        return open(os.path.join(tmp, f"m{order.index(target)}.merkle"), "rb").read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moddir", required=True, help="installed lib/modules/VERSION")
    ap.add_argument("--tool", required=True, help="module-hashes binary")
    ap.add_argument("--sign-file", help="scripts/sign-file of a MODULE_SIG build")
    ap.add_argument("--key", help="signing key (PEM) of that build")
    ap.add_argument("--cert", help="its certificate")
    ap.add_argument("--oot", help="an out-of-tree module (.ko) built for the sig kernel")
    ap.add_argument("--out", required=True, help="staging directory of the initramfs")
    ap.add_argument("--sealed-root", help="LEVELS:HEX, the root sealed into the kernel's vmlinux")
    ap.add_argument("--modes", default="off,enforce,lockdown",
                    help="comma-separated boot modes to write case files for")
    a = ap.parse_args()

    paths = find_modules(a.moddir)
    for needed in ("crc7", "crc-itu-t", "omfs", "rust_minimal", "rust_print"):
        if needed not in paths:
            sys.exit(f"make-cases: {needed} not found under {a.moddir}")
    modules = {name: read_module(p) for name, p in paths.items()}
    with open(os.path.join(a.moddir, "modules.order")) as f:
        order_files = [os.path.basename(l.strip()) for l in f if l.strip()]
    order = [n[: -len(".ko")] if n.endswith(".ko") else n for n in order_files]

    t = os.path.join(a.out, "t")
    os.makedirs(t, exist_ok=True)

    def put(name, data):
        with open(os.path.join(t, name), "wb") as f:
            f.write(data)
        return "/t/" + name

    good = {n: put(f"{n}.ko", modules[n]) for n in ("crc7", "rust_minimal", "rust_print", "crc-itu-t")}
    xz = os.path.basename(paths["crc7"])
    compressed = put("crc7-compressed.ko.xz", open(paths["crc7"], "rb").read()) if xz.endswith(".xz") else None

    crc7 = modules["crc7"]
    payload, sig, _ = split(crc7)
    levels = (len(sig) - 4) // 32
    rust_payload, rust_sig, _ = split(modules["rust_minimal"])
    flip = harmless_flip(payload)
    rust_flip = harmless_flip(rust_payload)

    # (name, bytes, class): class is "nonfatal" (-ENODATA/-ENOPKG/-ENOKEY)
    # or "malformed" (-EBADMSG).
    bad = [
        ("flipped-byte", flip + trailer(sig), "nonfatal"),
        ("rust-flipped-byte", rust_flip + trailer(rust_sig), "nonfatal"),
        ("trailer-removed", payload, "nonfatal"),
        ("proof-of-other-module", payload + trailer(rust_sig), "nonfatal"),
        ("other-build", payload + other_build_trailer(a.tool, modules, order, "crc7"), "nonfatal"),
        ("proof-one-hash-short", payload + trailer(sig[:-32]), "nonfatal"),
        ("proof-one-hash-long", payload + trailer(sig + sig[-32:]), "nonfatal"),
        ("unknown-id-type", payload + trailer(sig, id_type=7), "nonfatal"),
        ("sig-len-beyond-module", payload + trailer(sig, sig_len=len(payload) + len(sig)), "malformed"),
        ("sig-len-max", payload + trailer(sig, sig_len=0xFFFFFFFF), "malformed"),
        ("reserved-nonzero", payload + trailer(sig, reserved=(0, 0, 0, 1, b"\0\0\0")), "malformed"),
        ("pad-nonzero", payload + trailer(sig, reserved=(0, 0, 0, 0, b"\0\1\0")), "malformed"),
    ]
    if a.sign_file and a.key and a.cert:
        signed = os.path.join(t, "crc7-pkcs7.ko")
        with open(signed, "wb") as f:
            f.write(payload)
        run([a.sign_file, "sha256", a.key, a.cert, signed])
        # Valid on a kernel that trusts this key, unsupported on one
        # without MODULE_SIG.
        bad.append(("pkcs7-signature", open(signed, "rb").read(), "pkcs7"))
        os.unlink(signed)

    bad_paths = [(name, put(f"bad-{name}.ko", data), cls) for name, data, cls in bad]

    result = {
        "off": {"nonfatal": "ok", "malformed": "EBADMSG", "pkcs7": "ok"},
        "enforce": {"nonfatal": "EKEYREJECTED", "malformed": "EBADMSG", "pkcs7": "EKEYREJECTED"},
        "lockdown": {"nonfatal": "EPERM", "malformed": "EBADMSG", "pkcs7": "EPERM"},
        "sig": {"nonfatal": "EKEYREJECTED", "malformed": "EBADMSG", "pkcs7": "ok"},
    }
    cases = os.path.join(a.out, "cases")
    os.makedirs(cases, exist_ok=True)
    for mode in a.modes.split(","):
        expect = result[mode]
        lines = [f"# mode {mode}: root has {levels} levels"]
        for name, path in good.items():
            lines.append(f"load ok ok {path} in-tree module {name} with its proof")
        if compressed:
            lines.append(f"cload ok {compressed} in-tree xz module decompressed by the kernel")
        lines.append("sh 0 modprobe omfs && grep -q '^crc_itu_t ' /proc/modules && grep -q '^omfs ' /proc/modules")
        lines.append("sh 0 modprobe -r omfs && modprobe -r crc_itu_t && ! grep -q '^omfs ' /proc/modules")
        lines.append("taint 0 loading modules with proofs does not taint")
        if a.sealed_root:
            levels, digest = a.sealed_root.split(":")
            sysfs = "/sys/kernel/module_hashes"
            lines.append(f"sh 0 grep -qx {levels} {sysfs}/levels && grep -qx {digest} {sysfs}/root")
            lines.append(f"sh 0 [ $(stat -c %a {sysfs}/levels {sysfs}/root | sort -u) = 444 ]")
            lines.append(f"sh 1 echo 0 2>/dev/null > {sysfs}/levels")
        for name, path, cls in bad_paths:
            lines.append(f"load {expect[cls]} {expect[cls]} {path} {name} ({cls})")
        # A mangled load counts as unauthenticated, whatever its proof:
        # refused with enforcement or lockdown, otherwise loaded (forced,
        # CONFIG_MODULE_FORCE_LOAD) and tainted E.
        lines.append(f"mangled {expect['nonfatal']} {good['crc7']} proof ignored on a mangled load")
        if mode == "off":
            lines.append("taint 1 an unauthenticated module tainted the kernel")
        else:
            lines.append("taint 0 nothing unauthenticated was loaded")
        if mode == "sig" and a.oot:
            oot = os.path.basename(a.oot)
            unsigned = split_trailerless(a.oot)
            upath = put("oot-unsigned.ko", unsigned)
            spath = put("oot-signed.ko", open(a.oot, "rb").read())
            lines.append(f"load ok ok {spath} out-of-tree module {oot} signed with sign-file")
            lines.append(f"load EKEYREJECTED EKEYREJECTED {upath} out-of-tree module without signature")
        with open(os.path.join(cases, f"{mode}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def split_trailerless(path):
    data = open(path, "rb").read()
    return split(data)[0] if data.endswith(MARKER) else data


if __name__ == "__main__":
    main()
