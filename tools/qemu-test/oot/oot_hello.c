// SPDX-License-Identifier: GPL-2.0
/*
 * An out-of-tree module for the test suite: it is not part of the kernel
 * build's Merkle tree, so it is authenticated by a PKCS#7 signature or not
 * at all.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init oot_hello_init(void)
{
	pr_info("oot_hello: loaded\n");
	return 0;
}

static void __exit oot_hello_exit(void)
{
}

module_init(oot_hello_init);
module_exit(oot_hello_exit);
MODULE_DESCRIPTION("Out-of-tree test module for module-hashes");
MODULE_LICENSE("GPL");
