# SPDX-License-Identifier: GPL-2.0
# What `make run` shows: in-tree modules load by proof, a tampered copy is
# rejected. Runs inside the test kernel, booted with module.sig_enforce=1.
step() { printf '\n### %s\n' "$*"; }
step "the root this kernel trusts (boot log)"
dmesg | grep -i 'module.hashes' | head -n 3
step "modprobe omfs (pulls in crc-itu-t), modprobe romfs, insmod a Rust module"
modprobe omfs && modprobe romfs && insmod /t/rust_minimal.ko
lsmod
step "insmod a copy of romfs with one byte flipped (module.sig_enforce=1)"
modprobe -r romfs
if insmod /t/bad-flipped-byte.ko; then
	echo "DEMO FAILED: the tampered module loaded"
else
	echo "rejected, as it must be"
fi
dmesg | tail -n 2
