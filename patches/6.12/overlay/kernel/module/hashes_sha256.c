// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 for the module hashes verifier.
 *
 * Hashing the module is nearly all the work of a verification. The crypto
 * library's sha256 is portable C; the crypto API may have a faster driver
 * built in (x86 SHA-NI or AVX2, arm64 Crypto Extensions). A late initcall
 * times both on the same buffer, as the RAID6 and XOR code time theirs, and
 * the verifier uses the faster from then on: a driver's priority says what
 * is fastest on real hardware, not under an emulator that implements SIMD
 * instructions slowly. Driver modules are never requested (CRYPTO_NOLOAD):
 * loading one would itself need a module verification. Until the initcall
 * has run, the verifier uses the library.
 */

#define pr_fmt(fmt) "module_hashes: " fmt

#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module_hashes.h>
#include <linux/module_hashes_sha256.h>
#include <linux/printk.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

static struct crypto_shash *module_hashes_tfm;

struct shash_desc *module_hashes_shash_begin(void)
{
	struct crypto_shash *tfm = READ_ONCE(module_hashes_tfm);
	struct shash_desc *desc;

	if (!tfm)
		return NULL;
	desc = kmalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	if (!desc)
		return NULL;
	desc->tfm = tfm;
	if (crypto_shash_init(desc)) {
		kfree_sensitive(desc);
		return NULL;
	}
	return desc;
}

int module_hashes_shash_update(struct shash_desc *desc, const u8 *data,
			       unsigned int len)
{
	return crypto_shash_update(desc, data, len);
}

int module_hashes_shash_final(struct shash_desc *desc, u8 *out)
{
	return crypto_shash_final(desc, out);
}

void module_hashes_shash_free(struct shash_desc *desc)
{
	kfree_sensitive(desc);
}

const char *module_hashes_sha256_driver(void)
{
	struct crypto_shash *tfm = READ_ONCE(module_hashes_tfm);

	return tfm ? crypto_shash_driver_name(tfm) : "the library";
}

/* Nanoseconds for the fastest of a few digests of @buf, by @tfm or the library. */
static u64 __init time_sha256(struct crypto_shash *tfm, const u8 *buf,
			      size_t len)
{
	u8 digest[SHA256_DIGEST_SIZE];
	u64 best = U64_MAX, t0;
	int i;

	for (i = 0; i < 4; i++) {
		t0 = ktime_get_ns();
		if (tfm)
			crypto_shash_tfm_digest(tfm, buf, len, digest);
		else
			sha256(buf, len, digest);
		best = min(best, ktime_get_ns() - t0);
	}
	return max(best, 1ULL);
}

#define CALIBRATION_LEN SZ_16K

/* module_hashes.sha256=driver or =library skips the timing (for tests). */
static enum { SHA256_FASTER, SHA256_DRIVER, SHA256_LIBRARY } sha256_choice __initdata;

static int __init sha256_choice_setup(char *str)
{
	if (!strcmp(str, "driver"))
		sha256_choice = SHA256_DRIVER;
	else if (!strcmp(str, "library"))
		sha256_choice = SHA256_LIBRARY;
	else
		pr_warn("module_hashes.sha256=%s unknown, timing both\n", str);
	return 1;
}
__setup("module_hashes.sha256=", sha256_choice_setup);

static int __init module_hashes_sha256_init(void)
{
	struct crypto_shash *tfm;
	u64 lib_ns, drv_ns;
	u8 *buf;

	if (sha256_choice == SHA256_LIBRARY) {
		pr_info("SHA-256 by the library (module_hashes.sha256=library)\n");
		return 0;
	}
	tfm = crypto_alloc_shash("sha256", 0, CRYPTO_NOLOAD);
	if (IS_ERR(tfm)) {
		pr_info("SHA-256 by the library (no crypto driver)\n");
		return 0;
	}
	if (sha256_choice == SHA256_DRIVER) {
		WRITE_ONCE(module_hashes_tfm, tfm);
		pr_info("SHA-256 by %s (module_hashes.sha256=driver)\n",
			crypto_shash_driver_name(tfm));
		return 0;
	}
	buf = kmalloc(CALIBRATION_LEN, GFP_KERNEL);
	if (!buf) {
		crypto_free_shash(tfm);
		return 0;
	}
	memset(buf, 0x5a, CALIBRATION_LEN);
	lib_ns = time_sha256(NULL, buf, CALIBRATION_LEN);
	drv_ns = time_sha256(tfm, buf, CALIBRATION_LEN);
	kfree(buf);
	pr_info("SHA-256: library %llu MB/s, %s %llu MB/s\n",
		div64_u64((u64)CALIBRATION_LEN * 1000, lib_ns),
		crypto_shash_driver_name(tfm),
		div64_u64((u64)CALIBRATION_LEN * 1000, drv_ns));
	if (drv_ns < lib_ns)
		WRITE_ONCE(module_hashes_tfm, tfm);
	else
		crypto_free_shash(tfm);
	pr_info("SHA-256 by %s\n", module_hashes_sha256_driver());
	return 0;
}
late_initcall(module_hashes_sha256_init);
