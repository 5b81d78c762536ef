// SPDX-License-Identifier: GPL-2.0
/*
 * Boot-time benchmark of module authentication (CONFIG_MODULE_HASHES_BENCH).
 *
 * For each payload size it verifies the same bytes by Merkle proof (the
 * verifier in kernel/module/hashes.rs) and by PKCS#7 signature (module
 * signing's mod_verify_sig()), hashes them with SHA-256 alone (the crypto
 * driver and the library; the faster is what the verifier uses), and prints
 * the best time of each over all rounds. They are interleaved, round by
 * round, so that they see the same machine, and the best round is the one
 * least disturbed by interrupts and other guests.
 *
 * The inputs come from /bench in the initramfs (tools/bench-kernel.sh makes
 * them): for each SIZE, SIZE.proof (payload and Merkle trailer) and
 * SIZE.pkcs7 (the same payload signed by scripts/sign-file with the build's
 * key), and root.bin, the root of the proofs' tree. Without them the
 * benchmark does nothing.
 */

#define pr_fmt(fmt) "module_hashes_bench: " fmt

#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/kernel_read_file.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module_hashes.h>
#include <linux/module_hashes_sha256.h>
#include <linux/module_signature.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "internal.h"

#define MARKER_LEN (sizeof(MODULE_SIG_STRING) - 1)

static const char *const bench_sizes[] = { "4K", "64K", "1M", "8M" };

/* Hash about this much per size, in at least MIN_ROUNDS rounds. */
#define BENCH_BYTES SZ_32M
#define MIN_ROUNDS 16
#define MAX_ROUNDS 2048

struct bench_input {
	void *data;
	size_t len;
};

static int read_input(const char *name, struct bench_input *in)
{
	char path[64];
	ssize_t ret;

	snprintf(path, sizeof(path), "/bench/%s", name);
	in->data = NULL;
	ret = kernel_read_file_from_path(path, 0, &in->data, SZ_64M, NULL,
					 READING_UNKNOWN);
	if (ret < 0)
		return ret;
	in->len = ret;
	return 0;
}

static void free_input(struct bench_input *in)
{
	vfree(in->data);
	in->data = NULL;
}

/* The loader's PKCS#7 path: mod_verify_sig() on a module with the marker. */
static int verify_pkcs7(const struct bench_input *in)
{
	struct load_info info = { .len = in->len };

	if (in->len <= MARKER_LEN ||
	    memcmp(in->data + in->len - MARKER_LEN, MODULE_SIG_STRING,
		   MARKER_LEN))
		return -ENODATA;
	info.len -= MARKER_LEN;
	return mod_verify_sig(in->data, &info);
}

/* MB/s of @len bytes in @ns nanoseconds. */
static void rate(u64 ns, size_t len, u64 *out_ns, u64 *mbs)
{
	*out_ns = max(ns, 1ULL);
	*mbs = div64_u64((u64)len * 1000, *out_ns);
}

/* "a/b" with two decimals, as text. */
static void ratio(char *buf, size_t size, u64 a, u64 b)
{
	u64 r = div64_u64(a * 100, max(b, 1ULL));

	snprintf(buf, size, "%llu.%02llu", r / 100, r % 100);
}

static int bench_size(const char *size, const struct module_hashes_root *root,
		      struct crypto_shash *tfm)
{
	struct bench_input proof, pkcs7;
	u64 t_proof = U64_MAX, t_pkcs7 = U64_MAX, t_drv = U64_MAX;
	u64 t_lib = U64_MAX, t_fast, t0;
	u64 ns[3], mbs[3];
	char name[16], r1[16], r2[16];
	u8 digest[SHA256_DIGEST_SIZE];
	size_t plen = 0;
	u32 rounds, i;
	int ret;

	snprintf(name, sizeof(name), "%s.proof", size);
	ret = read_input(name, &proof);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%s.pkcs7", size);
	ret = read_input(name, &pkcs7);
	if (ret)
		goto free_proof;

	/* Both must really verify before they are timed. */
	ret = module_hashes_verify_root(root, proof.data, proof.len, &plen);
	if (ret) {
		pr_err("%s: the proof does not verify (%d)\n", size, ret);
		goto free_pkcs7;
	}
	ret = verify_pkcs7(&pkcs7);
	if (ret) {
		pr_err("%s: the PKCS#7 signature does not verify (%d)\n", size, ret);
		goto free_pkcs7;
	}

	rounds = clamp_t(u32, BENCH_BYTES / plen, MIN_ROUNDS, MAX_ROUNDS);
	for (i = 0; i < rounds && !ret; i++) {
		size_t unused;

		t0 = ktime_get_ns();
		ret = module_hashes_verify_root(root, proof.data, proof.len,
						&unused);
		t_proof = min(t_proof, ktime_get_ns() - t0);
		if (ret)
			break;

		t0 = ktime_get_ns();
		ret = verify_pkcs7(&pkcs7);
		t_pkcs7 = min(t_pkcs7, ktime_get_ns() - t0);
		if (ret)
			break;

		t0 = ktime_get_ns();
		ret = crypto_shash_tfm_digest(tfm, proof.data, plen, digest);
		t_drv = min(t_drv, ktime_get_ns() - t0);

		t0 = ktime_get_ns();
		sha256(proof.data, plen, digest);
		t_lib = min(t_lib, ktime_get_ns() - t0);
	}
	if (ret) {
		pr_err("%s: round %u failed (%d)\n", size, i, ret);
		goto free_pkcs7;
	}

	/* The raw hash: the faster of the driver and the library, as the
	 * verifier picks it (kernel/module/hashes_sha256.c).
	 */
	t_fast = min(t_drv, t_lib);
	rate(t_proof, plen, &ns[0], &mbs[0]);
	rate(t_pkcs7, plen, &ns[1], &mbs[1]);
	rate(t_fast, plen, &ns[2], &mbs[2]);
	ratio(r1, sizeof(r1), t_pkcs7, t_proof);
	ratio(r2, sizeof(r2), t_proof, t_fast);
	pr_info("%s (%zu bytes, best of %u rounds): proof %llu ns %llu MB/s, pkcs7 %llu ns %llu MB/s, sha256 %llu ns %llu MB/s; pkcs7/proof %s, proof/sha256 %s\n",
		size, plen, rounds, ns[0], mbs[0], ns[1], mbs[1], ns[2], mbs[2],
		r1, r2);
	pr_info("result size=%s bytes=%zu rounds=%u proof_ns=%llu pkcs7_ns=%llu sha256_ns=%llu %s_ns=%llu library_ns=%llu\n",
		size, plen, rounds, ns[0], ns[1], ns[2],
		crypto_shash_driver_name(tfm), t_drv, t_lib);

free_pkcs7:
	free_input(&pkcs7);
free_proof:
	free_input(&proof);
	return ret;
}

static int __init module_hashes_bench(void)
{
	struct bench_input root_file;
	struct module_hashes_root root;
	struct crypto_shash *tfm;
	size_t i;
	int ret;

	wait_for_initramfs();
	if (read_input("root.bin", &root_file)) {
		pr_info("no inputs in /bench, nothing to measure\n");
		return 0;
	}
	ret = root_file.len == sizeof(root) ? 0 : -EINVAL;
	if (!ret)
		memcpy(&root, root_file.data, sizeof(root));
	free_input(&root_file);
	if (ret) {
		pr_err("/bench/root.bin is not a root\n");
		return 0;
	}

	tfm = crypto_alloc_shash("sha256", 0, CRYPTO_NOLOAD);
	if (IS_ERR(tfm)) {
		pr_err("no sha256 in the crypto API (%ld)\n", PTR_ERR(tfm));
		return 0;
	}
	pr_info("start: verifier SHA-256 by %s, %u levels\n",
		module_hashes_sha256_driver(), root.levels);
	for (i = 0; i < ARRAY_SIZE(bench_sizes); i++) {
		ret = bench_size(bench_sizes[i], &root, tfm);
		if (ret)
			pr_err("%s: not measured (%d)\n", bench_sizes[i], ret);
	}
	crypto_free_shash(tfm);
	pr_info("end\n");
	return 0;
}
late_initcall_sync(module_hashes_bench);
