// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 for the module hashes verifier.
 *
 * Hashing the module is nearly all the work of a verification. The crypto
 * library's sha256 is portable C; where the architecture has a faster
 * driver built in (x86 SHA-NI or AVX2, arm64 Crypto Extensions), hash
 * through the crypto API instead. Driver modules are never requested
 * (CRYPTO_NOLOAD): loading one would itself need a module verification.
 * Until the transform is set up in a late initcall, and when only the
 * generic driver exists, the verifier uses the library.
 */

#define pr_fmt(fmt) "module_hashes: " fmt

#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/module_hashes.h>
#include <linux/printk.h>
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

	return tfm ? crypto_shash_driver_name(tfm) : "sha256 library";
}

static int __init module_hashes_sha256_init(void)
{
	struct crypto_shash *tfm;

	tfm = crypto_alloc_shash("sha256", 0, CRYPTO_NOLOAD);
	if (!IS_ERR(tfm) &&
	    !strcmp(crypto_shash_driver_name(tfm), "sha256-generic")) {
		/* The same C code as the library, behind an indirection. */
		crypto_free_shash(tfm);
		tfm = ERR_PTR(-ENOENT);
	}
	if (!IS_ERR(tfm))
		WRITE_ONCE(module_hashes_tfm, tfm);
	pr_info("SHA-256 by %s\n", module_hashes_sha256_driver());
	return 0;
}
late_initcall(module_hashes_sha256_init);
