# SPDX-License-Identifier: GPL-2.0
#
# The project's driver (not the kernel's Makefile). See README.md.

SHELL := /bin/bash
TOP := $(CURDIR)
# ARCH=arm64 builds 7.3 for arm64 (cross, Debian's aarch64-linux-gnu-gcc).
OUT := $(TOP)/build/out$(if $(filter arm64,$(ARCH)),-arm64)
# The base: Linux 7.3 (Debian's linux-source-7.3, built with Debian's trixie
# toolchain in build/root-7.3) or 6.12 (Debian's linux-source-6.12, LLVM=1).
KERNEL ?= 7.3
export KERNEL

.PHONY: all deps tool kmod-check debian debian-run debian-scale debian-full debian-boot-cost reproducible-debs series check-series kernel run test test-host test-extended bench bench-tool bench-build fuzz reproducible sizes clean help

all: help

help:
	@echo "make deps          install the toolchain (Debian packages, bindgen)"
	@echo "make tool          build the module-hashes tool (cargo, release)"
	@echo "make kmod-check    modinfo with patches/kmod/ on Debian's kmod 34 (archive needed once)"
	@echo "make debian        build the Debian guest's kernel with make bindeb-pkg into build/debian/out/ (7.3)"
	@echo "make debian-run    boot the Debian trixie guest with those packages installed by dpkg, run its checks"
	@echo "make series        export the patch series of KERNEL to build/series/KERNEL/ (git am-able)"
	@echo "make check-series  git am the series patch by patch, checkpatch and build each (15-20 min)"
	@echo "make kernel        build the default kernel into build/out/ (KERNEL=7.3 or 6.12; ARCH=arm64: build/out-arm64/)"
	@echo "make run           build, boot in QEMU, load modules, show a tampered one rejected (ARCH=arm64 too)"
	@echo "make test          every test layer; ends with 'N passed, N failed'"
	@echo "make test-host     only the host layers (tool, proof core, reference)"
	@echo "make test-extended the layers that do not fit in make test (reproducible 7.3 builds, x86_64 and arm64)"
	@echo "make bench         both benchmarks below"
	@echo "make bench-tool    module-hashes against OpenSSL and sign-file on Debian's modules"
	@echo "make bench-build   the sealing step's share of a build, no-op make"
	@echo "make fuzz          the fuzz targets, FUZZ_SECONDS (default 60) each"
	@echo "make reproducible  build twice in different directories and compare (ARCH=arm64 too)"
	@echo "make reproducible-debs  the same for the Debian guest's .deb files (and MODULE_SIG_ALL's)"
	@echo "make debian-scale  Debian's own config, reduced to ~1,800 modules: build, package, measure (1-2.5 h)"
	@echo "make debian-full   Debian's own config, all ~4,200 modules (DEBIAN_SCALE_DEBUG_INFO=off: no DWARF)"
	@echo "make debian-boot-cost  boot those packages with proofs and with PKCS#7 signatures: time spent authenticating"
	@echo "make sizes         vmlinux and module sizes with and without authentication"
	@echo "make clean         remove build/ and cargo output"

deps:
	@tools/deps.sh

tool:
	cargo build --release --manifest-path tools/module-hashes/Cargo.toml

kmod-check:
	tools/kmod-check.sh

# The Debian guest's kernel: the default configuration with what Debian's
# userspace needs and the guest's drivers as modules, packaged by kbuild.
debian: deps
	KERNEL=7.3 PACKAGE=deb tools/build-kernel.sh hashes+debian $(TOP)/build/debian/out

debian-run: deps
	tools/debian/run.sh $(TOP)/build/debian/out

series: deps
	tools/make-series.sh $(KERNEL)

check-series: deps
	tools/check-series.sh

kernel: deps
	tools/build-kernel.sh default $(OUT)

run: kernel
	tools/boot.sh $(OUT)

test: deps
	tools/run-tests.sh

test-host:
	tools/run-tests.sh host reference

test-extended: deps
	tools/run-tests.sh extended

bench-tool: deps
	tools/bench-tool.sh

bench-build: deps
	tools/bench-build.sh

bench: bench-tool bench-build

fuzz:
	tools/fuzz.sh $(or $(FUZZ_SECONDS),60)

clean:
	rm -rf build tools/module-hashes/target

reproducible: deps
	tools/reproducible.sh

reproducible-debs: deps
	KERNEL=7.3 PACKAGE=deb tools/reproducible.sh hashes+debian plain+debian+sig

debian-scale: deps
	tools/debian/scale-build.sh

debian-full: deps
	DEBIAN_SCALE_CONFIG=full tools/debian/scale-build.sh build package stats

debian-boot-cost: deps
	tools/debian/boot-cost.sh $(TOP)/build/debian-scale/out

sizes: deps
	tools/sizes.sh
