/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hash-based module authentication.
 *
 * The build computes a Merkle tree over all in-tree modules, writes its root
 * into the .module_hashes section of vmlinux and appends an inclusion proof
 * to every module. See Documentation/admin-guide/module-hashes.rst.
 */

#ifndef _LINUX_MODULE_HASHES_H
#define _LINUX_MODULE_HASHES_H

#include <linux/types.h>

/*
 * The levels of the placeholder root vmlinux is linked with: no tree has
 * them, and the root of an empty tree (0 levels, zero hash) differs.
 */
#define MODULE_HASHES_UNSEALED 0xffffffffU

/**
 * struct module_hashes_root - The root of the Merkle tree over all modules
 * @levels: Number of levels of the tree, and of sibling hashes in a proof
 * @hash: SHA-256 root hash
 *
 * vmlinux is linked with a placeholder (levels MODULE_HASHES_UNSEALED); the
 * real value is written into the .module_hashes section once all modules are
 * built.
 */
struct module_hashes_root {
	u32 levels;
	u8 hash[32];
};

extern const struct module_hashes_root module_hashes_root;

/**
 * struct module_hashes_failure - Why a module was not authenticated
 * @reason: what failed, in words for the kernel log
 * @order_line: the line of modules.order the module's proof is for (its
 *	position plus one), or 0 when the trailer holds no proof to read it
 *	from; the loader knows no module name yet, this identifies it
 */
struct module_hashes_failure {
	const char *reason;
	u64 order_line;
};

/* The verifier, in kernel/module/hashes.rs; see there for the contracts. */
int module_hashes_verify(const u8 *module, size_t len, size_t *payload_len,
			 struct module_hashes_failure *failure);
int module_hashes_verify_root(const struct module_hashes_root *root,
			      const u8 *module, size_t len,
			      size_t *payload_len,
			      struct module_hashes_failure *failure);

#endif /* _LINUX_MODULE_HASHES_H */
