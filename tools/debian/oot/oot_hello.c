// SPDX-License-Identifier: GPL-2.0
/*
 * An out-of-tree module, built against an installed linux-headers package
 * the way DKMS builds one, to show that such modules keep loading through
 * module signatures on a kernel whose in-tree modules carry Merkle proofs.
 */
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
MODULE_DESCRIPTION("Out-of-tree test module of the module-hashes project");
MODULE_LICENSE("GPL");
