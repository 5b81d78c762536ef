// SPDX-License-Identifier: GPL-2.0
/*
 * The root of the Merkle tree over all in-tree modules.
 *
 * vmlinux is linked with the placeholder below. Once all modules are built,
 * the root is written into the .module_hashes section with objcopy
 * --update-section, which moves nothing else in the image. A kernel that
 * still has the placeholder accepts no proof and says so at boot.
 *
 * The root is printed once at boot and readable in /sys/kernel/module_hashes/
 * so that userspace can tell which modules this kernel would accept.
 */

#define pr_fmt(fmt) "module_hashes: " fmt

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/module_hashes.h>
#include <linux/printk.h>
#include <linux/sysfs.h>

static_assert(sizeof(struct module_hashes_root) == 36);

const struct module_hashes_root module_hashes_root __section(".module_hashes") = {
	.levels = MODULE_HASHES_UNSEALED,
};

/* The sealed root: the compiler only knows the placeholder, so hide it. */
static const struct module_hashes_root *sealed_root(void)
{
	const struct module_hashes_root *root = &module_hashes_root;

	OPTIMIZER_HIDE_VAR(root);
	return root;
}

static ssize_t levels_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", sealed_root()->levels);
}
static struct kobj_attribute levels_attr = __ATTR_RO(levels);

static ssize_t root_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	const struct module_hashes_root *root = sealed_root();

	return sysfs_emit(buf, "%*phN\n", (int)sizeof(root->hash), root->hash);
}
static struct kobj_attribute root_attr = __ATTR_RO(root);

static struct attribute *module_hashes_attrs[] = {
	&levels_attr.attr,
	&root_attr.attr,
	NULL,
};

static const struct attribute_group module_hashes_group = {
	.attrs = module_hashes_attrs,
};

static int __init module_hashes_init(void)
{
	const struct module_hashes_root *root = sealed_root();
	struct kobject *kobj;
	int ret;

	if (root->levels == MODULE_HASHES_UNSEALED)
		pr_err("vmlinux was not sealed: it holds no root, so no module is authenticated by its proof; build the kernel again and boot the sealed image\n");
	else
		pr_info("root: %u levels, sha256 %*phN\n", root->levels,
			(int)sizeof(root->hash), root->hash);

	kobj = kobject_create_and_add("module_hashes", kernel_kobj);
	if (!kobj)
		return -ENOMEM;
	ret = sysfs_create_group(kobj, &module_hashes_group);
	if (ret)
		kobject_put(kobj);
	return ret;
}
late_initcall(module_hashes_init);
