# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts that run the kernel's make: the toolchain of each
# base. Set $kernel (7.3 or 6.12) first; LLVM=1 in the environment selects
# clang on 7.3 (6.12 is always built with LLVM=1), ARCH=arm64 the arm64
# cross build (GCC's aarch64-linux-gnu- unless LLVM=1).
#
#   kmake ARGS...       the kernel's make with the base's toolchain
#   kmake_run CMD...    any command where that toolchain is found
#   kernel_tarball      prints the path of Debian's linux-source tarball

kmake_run() {
	if [ "$kernel" = 7.3 ]; then
		# Debian trixie's own toolchain, in the build root.
		"$top/tools/buildroot.sh" run "$@"
	else
		"$@"
	fi
}

kmake() {
	if [ "$kernel" = 7.3 ]; then
		local cross=()
		case ${ARCH:-x86_64} in
		x86_64 | x86) ;;
		arm64)
			cross=(ARCH=arm64)
			[ -n "${LLVM:-}" ] || cross+=(CROSS_COMPILE=aarch64-linux-gnu-)
			;;
		*) echo "kmake: ARCH=$ARCH: the architectures are x86_64 and arm64" >&2; return 1 ;;
		esac
		kmake_run make ${LLVM:+LLVM=$LLVM} "${cross[@]}" "$@"
	else
		# Debian's rustc-web (with rust-src) and clippy, bindgen from cargo.
		local bindgen_bin
		bindgen_bin=$(command -v bindgen || echo "$HOME/.cargo/bin/bindgen")
		[ -x /usr/bin/rustc ] && [ -x "$bindgen_bin" ] ||
			{ echo "kmake: rustc-web or bindgen missing; run 'make deps'" >&2; return 1; }
		make LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc BINDGEN="$bindgen_bin" \
			CLIPPY_DRIVER=/usr/bin/clippy-driver "$@"
	fi
}

kernel_tarball() {
	if [ -n "${KERNEL_TARBALL:-}" ]; then
		echo "$KERNEL_TARBALL"
	elif [ "$kernel" = 7.3 ]; then
		echo "${BUILDROOT:-$top/build/root-7.3}/usr/src/linux-source-7.3.tar.xz"
	else
		echo /usr/src/linux-source-6.12.tar.xz
	fi
}
