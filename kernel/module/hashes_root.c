// SPDX-License-Identifier: GPL-2.0
/*
 * The root of the Merkle tree over all in-tree modules.
 *
 * vmlinux is linked with the zero placeholder below. Once all modules are
 * built, the root is written into the .module_hashes section with objcopy
 * --update-section, which moves nothing else in the image.
 */

#define pr_fmt(fmt) "module_hashes: " fmt

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/module_hashes.h>
#include <linux/printk.h>

static_assert(sizeof(struct module_hashes_root) == 36);

const struct module_hashes_root module_hashes_root __section(".module_hashes");

static int __init module_hashes_print_root(void)
{
	const struct module_hashes_root *root = &module_hashes_root;

	/* The value seen here is the placeholder, not the sealed root. */
	OPTIMIZER_HIDE_VAR(root);
	pr_info("root: %u levels, sha256 %*phN\n", root->levels,
		(int)sizeof(root->hash), root->hash);
	return 0;
}
late_initcall(module_hashes_print_root);
