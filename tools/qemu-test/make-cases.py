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
  unsealed  module.sig_enforce=1 on the image as linked, before SEAL: the
            placeholder root accepts no proof, so every module is refused
  ima       booted by UEFI firmware with Secure Boot: IMA's architecture
            policy enforces module authentication and, with proofs, leaves
            modules to it

Malformed trailers give EBADMSG in every mode. Every variant is made here,
from the build's own modules, by rewriting trailers; nothing is hand-made.
"""

import argparse
import hashlib
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile

MARKER = b"~Module signature appended~\n"

# The hostile modules that the concurrent loaders use (see "stress").
STRESS_BAD = ("flipped-byte", "sig-len-max", "position-2^32-1",
              "sig-len-whole-module", "id-type-7", "trailer-stacked-twice")
INFO = ">BBBBB3sI"
INFO_LEN = 12
ELF64_EHDR_LEN = 64
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
        payloads = []
        for i, name in enumerate(order):
            payload = split(modules[name])[0] if modules[name].endswith(MARKER) else modules[name]
            if i == len(order) - 1 or (name != target and i == 0):
                payload = payload + b"\0other build"
            with open(os.path.join(tmp, f"m{i}.ko"), "wb") as f:
                f.write(payload)
            payloads.append(payload)
            lines.append(f"m{i}.o\n")
        with open(os.path.join(tmp, "modules.order"), "w") as f:
            f.writelines(lines)
        run([tool, "build", "--order", "modules.order", "--suffix", ".ko",
             "--root-bin", "root.bin"], cwd=tmp)
        # The tool appended the proof: the trailer is what follows the payload.
        at = order.index(target)
        return open(os.path.join(tmp, f"m{at}.ko"), "rb").read()[len(payloads[at]):]


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
    ap.add_argument("--other-moddir", help="installed modules of another build, for a foreign romfs")
    ap.add_argument("--btf", action="store_true",
                    help="the kernel has module BTF: check that it accepted that of loaded modules")
    ap.add_argument("--kernel-has-module-sig", action="store_true",
                    help="the kernel also has MODULE_SIG (PKCS#7 trailers are parsed)")
    ap.add_argument("--stress-rounds", type=int, default=1000,
                    help="rounds of each concurrent loader (enforcing modes)")
    ap.add_argument("--revoked",
                    help="a module whose file hash the kernel's blacklist holds: refused in every mode")
    ap.add_argument("--modes", default="off,enforce,lockdown",
                    help="comma-separated boot modes to write case files for")
    a = ap.parse_args()

    paths = find_modules(a.moddir)
    for needed in ("romfs", "crc-itu-t", "omfs", "rust_minimal", "rust_print"):
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

    good = {n: put(f"{n}.ko", modules[n]) for n in ("romfs", "rust_minimal", "rust_print", "crc-itu-t")
            if n != a.revoked}
    xz = os.path.basename(paths["romfs"])
    compressed = put("romfs-compressed.ko.xz", open(paths["romfs"], "rb").read()) if xz.endswith(".xz") else None

    romfs = modules["romfs"]
    payload, sig, _ = split(romfs)
    levels = (len(sig) - 4) // 32
    rust_payload, rust_sig, _ = split(modules["rust_minimal"])
    flip = harmless_flip(payload)
    rust_flip = harmless_flip(rust_payload)

    # (name, bytes, class). Classes, by what module signing's policy does:
    #   nonfatal   -ENODATA/-ENOPKG/-ENOKEY: refused when enforcing,
    #              otherwise loaded and tainted
    #   unloadable nonfatal, and then not a module this kernel can load
    #              (not ELF, truncated, built for another struct module):
    #              -ENOEXEC when not enforcing
    #   malformed  -EBADMSG, always fatal
    #   pkcs7      a real PKCS#7 signature: valid only where MODULE_SIG
    #              trusts the key
    #   pkcs7-junk id_type PKCS#7 over bytes that are not one: malformed
    #              where MODULE_SIG parses it, unsupported elsewhere
    other_payload = split(modules["crc-itu-t"])[0]
    pos = struct.unpack(">I", sig[:4])[0]

    def with_pos(p):
        return struct.pack(">I", p) + sig[4:]

    bad = [
        ("flipped-byte", flip + trailer(sig), "nonfatal"),
        ("rust-flipped-byte", rust_flip + trailer(rust_sig), "nonfatal"),
        ("trailer-removed", payload, "nonfatal"),
        ("proof-of-other-module", payload + trailer(rust_sig), "nonfatal"),
        ("payload-of-other-module", other_payload + trailer(sig), "nonfatal"),
        ("other-build", payload + other_build_trailer(a.tool, modules, order, "romfs"), "nonfatal"),
        ("proof-one-hash-short", payload + trailer(sig[:-32]), "nonfatal"),
        ("proof-one-hash-long", payload + trailer(sig + sig[-32:]), "nonfatal"),
        ("proof-empty", payload + trailer(b""), "nonfatal"),
        ("position-beyond-modules", payload + trailer(with_pos(len(order))), "nonfatal"),
        ("position-2^levels", payload + trailer(with_pos(1 << levels)), "nonfatal"),
        ("position-2^32-1", payload + trailer(with_pos(0xFFFFFFFF)), "nonfatal"),
        ("position-of-neighbour", payload + trailer(with_pos(pos ^ 1)), "nonfatal"),
        ("sig-len-0", payload + sig + trailer(b""), "nonfatal"),
        ("sig-len-1", payload + sig + trailer(b"", sig_len=1), "nonfatal"),
        ("sig-len-one-short", payload + trailer(sig, sig_len=len(sig) - 1), "nonfatal"),
        ("sig-len-whole-module", payload + trailer(sig, sig_len=len(payload) + len(sig)), "malformed"),
        ("sig-len-beyond-module", payload + trailer(sig, sig_len=len(payload) + len(sig) + 1), "malformed"),
        ("sig-len-max", payload + trailer(sig, sig_len=0xFFFFFFFF), "malformed"),
        ("marker-truncated", payload + trailer(sig)[:-1], "nonfatal"),
        ("marker-first-byte-changed", payload + trailer(sig)[:-len(MARKER)] + b"_" + MARKER[1:], "nonfatal"),
        ("marker-alone", MARKER, "unloadable"),
        ("marker-after-11-bytes", b"\x7fELF" + b"\0" * 7 + MARKER, "malformed"),
        ("marker-after-info-only", trailer(b"", sig_len=0), "malformed"),
        ("algo-nonzero", payload + trailer(sig, reserved=(1, 0, 0, 0, b"\0\0\0")), "malformed"),
        ("hash-nonzero", payload + trailer(sig, reserved=(0, 1, 0, 0, b"\0\0\0")), "malformed"),
        ("signer-len-nonzero", payload + trailer(sig, reserved=(0, 0, 1, 0, b"\0\0\0")), "malformed"),
        ("key-id-len-nonzero", payload + trailer(sig, reserved=(0, 0, 0, 1, b"\0\0\0")), "malformed"),
        ("pad-nonzero", payload + trailer(sig, reserved=(0, 0, 0, 0, b"\0\1\0")), "malformed"),
        ("trailer-stacked-twice", payload + trailer(sig) + trailer(sig), "nonfatal"),
        ("payload-empty", trailer(sig), "malformed"),
        ("payload-1-byte", payload[:1] + trailer(sig), "unloadable"),
        ("payload-truncated", payload[:-1] + trailer(sig), "unloadable"),
        ("payload-extended", payload + b"\0" + trailer(sig), "nonfatal"),
    ]
    # Every id_type but the Merkle one, on a valid proof.
    for id_type in range(256):
        if id_type == 3:
            continue
        cls = "pkcs7-junk" if id_type == 2 else "nonfatal"
        bad.append((f"id-type-{id_type}", payload + trailer(sig, id_type=id_type), cls))
    if a.other_moddir:
        # The same module from a real other build (another configuration):
        # its proof leads to that build's root, and its struct module has
        # another size, so the loader refuses it even when it may load
        # unauthenticated modules.
        other = find_modules(a.other_moddir).get("romfs")
        if not other:
            sys.exit(f"make-cases: romfs not found under {a.other_moddir}")
        other_bytes = read_module(other)
        if other_bytes != romfs:
            bad.append(("module-of-another-build", other_bytes, "unloadable"))
    if a.sign_file and a.key and a.cert:
        def sign(data):
            path = os.path.join(t, "signing.ko")
            with open(path, "wb") as f:
                f.write(data)
            run([a.sign_file, "sha256", a.key, a.cert, path])
            signed = open(path, "rb").read()
            os.unlink(path)
            return signed

        pkcs7 = sign(payload)
        # Valid on a kernel that trusts this key, unsupported on one
        # without MODULE_SIG.
        bad.append(("pkcs7-signature", pkcs7, "pkcs7"))
        # A signature over the module with its proof: valid where trusted.
        bad.append(("pkcs7-around-proof", sign(romfs), "pkcs7"))
        # A proof appended to a signed module covers the wrong bytes.
        bad.append(("proof-around-pkcs7", pkcs7 + trailer(sig), "nonfatal"))
        psig = split(pkcs7)[1]
        bad.append(("pkcs7-signature-of-other-module", other_payload + trailer(psig, id_type=2), "pkcs7-wrong"))
        bad.append(("pkcs7-truncated", payload + trailer(psig[:-1], id_type=2), "pkcs7-junk"))

    bad_paths = [(name, put(f"bad-{name}.ko", data), cls) for name, data, cls in bad]
    by_name = {name: (path, cls) for name, path, cls in bad_paths}
    # init_module refuses a buffer shorter than an ELF header before any
    # signature check; finit_module reads the file and checks it.
    too_short = {name for name, data, _ in bad if len(data) < ELF64_EHDR_LEN}

    refused = {"off": None, "enforce": "EKEYREJECTED", "lockdown": "EPERM", "sig": "EKEYREJECTED"}
    sig_kernel = a.kernel_has_module_sig

    def expected(mode, cls):
        """The result of loading a module of class cls in boot mode."""
        if cls == "pkcs7-junk":
            cls = "malformed" if sig_kernel else "nonfatal"
        if cls == "pkcs7-wrong":
            # MODULE_SIG: the signature does not match (-EKEYREJECTED,
            # fatal); elsewhere an unsupported trailer.
            return "EKEYREJECTED" if sig_kernel else expected(mode, "nonfatal")
        if cls == "malformed":
            return "EBADMSG"
        if cls == "pkcs7" and sig_kernel:
            return "ok"
        if refused[mode]:
            return refused[mode]
        return "ENOEXEC" if cls == "unloadable" else "ok"

    # What the kernel says when it refuses a module for its trailer: the
    # line of modules.order the proof is for (romfs's) and the reason.
    order_line = pos + 1
    rust_line = struct.unpack(">I", rust_sig[:4])[0] + 1

    def named_at(line):
        return f"Loading of the module on line {line} of modules.order is rejected: "

    named = named_at(order_line)
    unnamed = "Loading of module is rejected: "
    explained = [
        ("flipped-byte", named + "its proof does not lead to this kernel's root"),
        ("rust-flipped-byte", named_at(rust_line) + "its proof does not lead to this kernel's root"),
        ("proof-one-hash-short", named + "its proof has the wrong length for this kernel's root (another build?)"),
        ("algo-nonzero", named + "its trailer has reserved fields set"),
        ("sig-len-max", unnamed + "its trailer is longer than the module"),
        ("marker-after-info-only", unnamed + "its trailer is truncated"),
        ("id-type-7", unnamed + "its trailer is neither a proof nor a signature"),
        ("trailer-removed", "Loading of module without proof or signature is rejected"),
    ]
    if a.sign_file and not sig_kernel:
        explained.append(("pkcs7-signature", unnamed + "it is signed, and this kernel checks no signatures"))

    def order_entry(name):
        """The line of the installed modules.order that names module name."""
        entry = os.path.relpath(paths[name], a.moddir)
        return entry[: entry.index(".ko") + 3]

    def explains(message, said=True):
        """Lines that check the kernel log since the last dmesg -c."""
        return [f'sh {0 if said else 1} dmesg | grep -qF "{message}"']

    def names_modules():
        """The lines the messages name hold the modules the proofs are for."""
        return [f"sh 0 [ $(sed -n {line}p /lib/modules/*/modules.order) = {order_entry(name)} ]"
                for name, line in (("romfs", order_line), ("rust_minimal", rust_line))]

    cases = os.path.join(a.out, "cases")
    os.makedirs(cases, exist_ok=True)
    for mode in a.modes.split(","):
        if mode == "unsealed":
            lines = ["# mode unsealed: the kernel holds the placeholder root"]
            lines.append("sh 0 dmesg -c >/dev/null")
            lines.append(f"load - EKEYREJECTED {good['romfs']} romfs, valid proof, unsealed kernel: explained")
            lines += explains(named + "this kernel was not sealed and holds no root")
            for name, path in good.items():
                lines.append(f"load EKEYREJECTED EKEYREJECTED {path} in-tree module {name}, valid proof, unsealed kernel")
            lines.append("sh 0 grep -qx 4294967295 /sys/kernel/module_hashes/levels")
            lines.append("taint 0 nothing was loaded")
            with open(os.path.join(cases, "unsealed.txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
            continue
        if mode == "ima":
            policy = "/sys/kernel/security/ima/policy"
            lines = ["# mode ima: Secure Boot, IMA's architecture policy",
                     "sh 0 mount -t securityfs securityfs /sys/kernel/security",
                     "sh 0 dmesg | grep -q 'secureboot: Secure boot enabled'",
                     # The policy turned enforcement on, measures modules
                     # and, the kernel authenticating them, appraises none.
                     "sh 0 grep -qx Y /sys/module/module/parameters/sig_enforce",
                     f"sh 0 grep -q '^measure func=MODULE_CHECK' {policy}",
                     f"sh 1 grep -q '^appraise func=MODULE_CHECK' {policy}"]
            for name, path in good.items():
                lines.append(f"load ok ok {path} in-tree module {name} with its proof, IMA arch policy")
            lines.append("sh 0 modprobe omfs && modprobe -r omfs && modprobe -r crc_itu_t")
            lines.append(f"load EKEYREJECTED EKEYREJECTED {by_name['flipped-byte'][0]} flipped-byte, enforced by the arch policy")
            lines.append("taint 0 nothing unauthenticated was loaded")
            # A rule of one's own that appraises modules by IMA signature
            # or appended PKCS#7 signature: a proof is neither, so IMA
            # refuses the module (finit_module only: IMA sees files).
            lines.append(f"sh 0 echo 'appraise func=MODULE_CHECK appraise_type=imasig|modsig' > {policy}")
            lines.append(f"load - EACCES {good['romfs']} romfs with its proof, under an IMA appraisal rule")
            lines.append(f"sh 0 grep -q '^appraise func=MODULE_CHECK' {policy}")
            with open(os.path.join(cases, "ima.txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
            continue
        lines = [f"# mode {mode}: root has {levels} levels"]
        for name, path in good.items():
            lines.append(f"load ok ok {path} in-tree module {name} with its proof")
        if compressed:
            lines.append(f"cload ok {compressed} in-tree xz module decompressed by the kernel")
        lines.append("sh 0 modprobe omfs && grep -q '^crc_itu_t ' /proc/modules && grep -q '^omfs ' /proc/modules")
        lines.append("sh 0 modprobe -r omfs && modprobe -r crc_itu_t && ! grep -q '^omfs ' /proc/modules")
        if a.btf:
            lines.append("sh 0 modprobe omfs && [ -s /sys/kernel/btf/omfs ] && [ -s /sys/kernel/btf/crc_itu_t ]"
                         " && modprobe -r omfs && modprobe -r crc_itu_t")
        if a.revoked:
            # Revoked by the hash of its file: -EKEYREJECTED whatever the
            # mode, as for a signed module (Debian's 6.12).
            digest = hashlib.sha256(modules[a.revoked]).hexdigest()
            path = put(f"{a.revoked}-revoked.ko", modules[a.revoked])
            lines.append(f"load EKEYREJECTED EKEYREJECTED {path} {a.revoked}, valid proof, revoked by its hash")
            lines.append(f"sh 0 dmesg | grep -q 'Module hash {digest} is blacklisted'")
        lines.append("taint 0 loading modules with proofs does not taint")
        if mode != "lockdown":
            # One load of the first of each failure, so that rate limiting
            # (ten messages in five seconds) hides none: a refusal says
            # which module and why; one that loads says nothing.
            lines += names_modules()
            for name, message in explained:
                path, cls = by_name[name]
                want = expected(mode, cls)
                lines.append("sh 0 dmesg -c >/dev/null")
                lines.append(f"load - {want} {path} {name} ({cls}): explained")
                lines += explains(message, said=want in ("EKEYREJECTED", "EBADMSG"))
        if a.sealed_root:
            levels, digest = a.sealed_root.split(":")
            sysfs = "/sys/kernel/module_hashes"
            lines.append(f"sh 0 grep -qx {levels} {sysfs}/levels && grep -qx {digest} {sysfs}/root")
            lines.append(f"sh 0 [ $(stat -c %a {sysfs}/levels {sysfs}/root | sort -u) = 444 ]")
            lines.append(f"sh 1 echo 0 2>/dev/null > {sysfs}/levels")
        for name, path, cls in bad_paths:
            want = expected(mode, cls)
            init = "ENOEXEC" if name in too_short else want
            lines.append(f"load {init} {want} {path} {name} ({cls})")
        # A mangled load counts as unauthenticated, whatever its proof:
        # refused with enforcement or lockdown, otherwise loaded (forced,
        # CONFIG_MODULE_FORCE_LOAD) and tainted E.
        lines.append(f"mangled {expected(mode, 'nonfatal')} {good['romfs']} proof ignored on a mangled load")
        if mode == "off":
            lines.append("taint 1 an unauthenticated module tainted the kernel")
        else:
            lines.append("taint 0 nothing unauthenticated was loaded")
        if refused[mode]:
            # Concurrent loads: each process loads and unloads its own
            # good module and every process loads the same hostile ones,
            # alternating init_module and finit_module (finit_module of one
            # file from several processes shares one load in 6.12). Only
            # warnings and worse reach the console meanwhile.
            specs = [f"{w}:ok:{good[n]}:{n.replace('-', '_')}"
                     for w, n in enumerate(("romfs", "crc-itu-t", "rust_minimal"))]
            for name in STRESS_BAD:
                path, cls = by_name[name]
                specs.append(f"*:{expected(mode, cls)}:{path}")
            lines.append("sh 0 echo 5 > /proc/sys/kernel/printk")
            lines.append(f"stress 3 {a.stress_rounds} " + " ".join(specs))
            lines.append("sh 0 echo 7 > /proc/sys/kernel/printk")
            # The brackets keep this line itself from matching the
            # suite's check of the console log.
            lines.append("sh 1 dmesg | grep -Eq 'BU[G]:|WARNIN[G]:|Oop[s]|Kernel pani[c]|panicke[d]|Call [Tt]rac[e]'")
            lines.append("sh 1 grep -Eq '^(romfs|crc_itu_t|rust_minimal) ' /proc/modules")
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
