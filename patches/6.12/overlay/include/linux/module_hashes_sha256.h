/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux 6.12 only: the module hashes verifier's SHA-256 through the crypto
 * API (kernel/module/hashes_sha256.c).
 */

#ifndef _LINUX_MODULE_HASHES_SHA256_H
#define _LINUX_MODULE_HASHES_SHA256_H

#include <linux/types.h>

/*
 * SHA-256 through the fastest built-in crypto driver, for the verifier
 * (kernel/module/hashes_sha256.c). module_hashes_shash_begin() returns a
 * state to free with module_hashes_shash_free(), or NULL when there is no
 * such driver: use the crypto library then.
 */
struct shash_desc;
struct shash_desc *module_hashes_shash_begin(void);
int module_hashes_shash_update(struct shash_desc *desc, const u8 *data,
			       unsigned int len);
int module_hashes_shash_final(struct shash_desc *desc, u8 *out);
void module_hashes_shash_free(struct shash_desc *desc);
const char *module_hashes_sha256_driver(void);

#endif /* _LINUX_MODULE_HASHES_SHA256_H */
