// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the module hashes verifier (kernel/module/hashes.rs).
 *
 * The vectors come from the independent Python implementation in
 * tools/module-hashes/reference (hashes_kunit_vectors.h is generated from
 * them). The tests call the verifier with that tree's root, so they run in
 * any kernel with MODULE_HASHES, whatever root it has sealed.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/module_hashes.h>
#include <linux/module_signature.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

struct kunit_vector {
	const char *name;
	const u8 *module;
	size_t len;
	size_t payload_len;
};

#include "hashes_kunit_vectors.h"

#define MARKER_LEN (sizeof(MODULE_SIGNATURE_MARKER) - 1)
#define INFO_LEN sizeof(struct module_signature)
#define HASH_LEN 32

/* Verifies @len bytes at @module against @root; -1 in *@plen if unset. */
static int verify(const struct module_hashes_root *root, const u8 *module,
		  size_t len, size_t *plen)
{
	struct module_hashes_failure why;

	*plen = (size_t)-1;
	return module_hashes_verify_root(root, module, len, plen, &why);
}

/* A copy of @v in test-managed memory that a test may change. */
static u8 *copy_of(struct kunit *test, const struct kunit_vector *v)
{
	u8 *buf = kunit_kmalloc(test, v->len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, v->module, v->len);
	return buf;
}

static void vector_desc(const struct kunit_vector *v, char *desc)
{
	strscpy(desc, v->name, KUNIT_PARAM_DESC_SIZE);
}
KUNIT_ARRAY_PARAM(vector, kunit_vectors, vector_desc);

/* Every module of the reference tree verifies and its payload is split off. */
static void known_vector_verifies(struct kunit *test)
{
	const struct kunit_vector *v = test->param_value;
	size_t plen;

	KUNIT_EXPECT_EQ(test, verify(&kunit_root, v->module, v->len, &plen), 0);
	KUNIT_EXPECT_EQ(test, plen, v->payload_len);
}

/* The parts of a module with a Merkle trailer. */
enum part {
	PAYLOAD, POSITION, SIBLINGS, ALGO_HASH, ID_TYPE, LENGTHS_PAD, SIG_LEN,
	MARKER,
};

static const struct region {
	const char *name;
	enum part part;
} regions[] = {
	{ "payload", PAYLOAD },
	{ "position", POSITION },
	{ "sibling hashes", SIBLINGS },
	{ "algo and hash", ALGO_HASH },
	{ "id_type", ID_TYPE },
	{ "signer_len, key_id_len, pad", LENGTHS_PAD },
	{ "sig_len", SIG_LEN },
	{ "marker", MARKER },
};

/* [*start, *end) of @part in @v. */
static void part_bounds(const struct kunit_vector *v, enum part part,
			size_t *start, size_t *end)
{
	size_t info = v->len - MARKER_LEN - INFO_LEN;
	/* offsetof() struct module_signature, and the end of the trailer */
	static const size_t info_at[] = {
		[ALGO_HASH] = 0, [ID_TYPE] = 2, [LENGTHS_PAD] = 3,
		[SIG_LEN] = 8, [MARKER] = INFO_LEN,
	};

	switch (part) {
	case PAYLOAD:
		*start = 0;
		*end = v->payload_len;
		break;
	case POSITION:
		*start = v->payload_len;
		*end = v->payload_len + 4;
		break;
	case SIBLINGS:
		*start = v->payload_len + 4;
		*end = info;
		break;
	case MARKER:
		*start = info + INFO_LEN;
		*end = v->len;
		break;
	default:
		*start = info + info_at[part];
		*end = info + info_at[part + 1];
		break;
	}
}

static void region_desc(const struct region *r, char *desc)
{
	strscpy(desc, r->name, KUNIT_PARAM_DESC_SIZE);
}
KUNIT_ARRAY_PARAM(region, regions, region_desc);

/* The result module signing's policy demands for a flip at @at. */
static int expected_for_flip(const struct kunit_vector *v, const u8 *flipped,
			     size_t at)
{
	size_t sig_end = v->len - MARKER_LEN - INFO_LEN;
	size_t sig_len = sig_end - v->payload_len;
	struct module_signature ms;

	if (at < sig_end)
		return -ENOKEY;		/* payload, position, siblings */
	if (at >= v->len - MARKER_LEN)
		return -ENODATA;	/* no marker: no trailer */
	memcpy(&ms, flipped + sig_end, sizeof(ms));
	if (ms.id_type != MODULE_SIGNATURE_TYPE_MERKLE)
		return -ENOPKG;		/* not a Merkle proof */
	if (ms.algo || ms.hash || ms.signer_len || ms.key_id_len ||
	    ms.__pad[0] || ms.__pad[1] || ms.__pad[2])
		return -EBADMSG;
	if (be32_to_cpu(ms.sig_len) >= sig_end)
		return -EBADMSG;	/* nothing left for the payload */
	if (be32_to_cpu(ms.sig_len) != sig_len)
		return -ENOPKG;		/* not 4 + 32 * levels bytes */
	return 0;
}

/* Every single-bit flip in one region of the smallest module is refused. */
static void bit_flip_refused(struct kunit *test)
{
	const struct region *r = test->param_value;
	const struct kunit_vector *v = &kunit_vectors[0];
	size_t start, end, at, plen;
	u8 *buf = copy_of(test, v);
	unsigned int bit;

	part_bounds(v, r->part, &start, &end);
	KUNIT_ASSERT_LT(test, start, end);
	for (at = start; at < end; at++) {
		for (bit = 0; bit < 8; bit++) {
			int want, got;

			buf[at] ^= 1 << bit;
			want = expected_for_flip(v, buf, at);
			got = verify(&kunit_root, buf, v->len, &plen);
			buf[at] ^= 1 << bit;
			KUNIT_EXPECT_NE_MSG(test, got, 0, "byte %zu bit %u", at, bit);
			KUNIT_EXPECT_EQ_MSG(test, got, want, "byte %zu bit %u",
					    at, bit);
		}
	}
	/* Restored, it verifies again: the flips were the only change. */
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, v->len, &plen), 0);
}

/* Writes @payload + @sig + an info block for @sig_len + the marker. */
static size_t build(u8 *out, const u8 *payload, size_t payload_len,
		    const u8 *sig, size_t sig_len, u32 info_sig_len)
{
	struct module_signature ms = {
		.id_type = MODULE_SIGNATURE_TYPE_MERKLE,
		.sig_len = cpu_to_be32(info_sig_len),
	};
	size_t n = 0;

	memcpy(out + n, payload, payload_len);
	n += payload_len;
	memcpy(out + n, sig, sig_len);
	n += sig_len;
	memcpy(out + n, &ms, sizeof(ms));
	n += sizeof(ms);
	memcpy(out + n, MODULE_SIGNATURE_MARKER, MARKER_LEN);
	return n + MARKER_LEN;
}

/* Lengths that do not fit: truncations, proofs of other sizes, sig_len. */
static void wrong_lengths_refused(struct kunit *test)
{
	const struct kunit_vector *v = &kunit_vectors[0];
	size_t sig_end = v->len - MARKER_LEN - INFO_LEN;
	size_t sig_len = sig_end - v->payload_len;
	const u8 *sig = v->module + v->payload_len;
	u8 *buf = kunit_kzalloc(test, v->len + HASH_LEN, GFP_KERNEL);
	u8 *long_sig = kunit_kzalloc(test, sig_len + HASH_LEN, GFP_KERNEL);
	struct module_hashes_failure why;
	size_t len, plen;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, long_sig);

	/* Every truncation loses the marker: no trailer at all. */
	for (len = 0; len < v->len; len++)
		KUNIT_EXPECT_EQ_MSG(test, verify(&kunit_root, v->module, len, &plen),
				    -ENODATA, "truncated to %zu bytes", len);
	KUNIT_EXPECT_EQ(test, plen, (size_t)-1);

	/* The marker with less than an info block in front of it. */
	for (len = 0; len <= INFO_LEN; len++) {
		memset(buf, 0, len);
		memcpy(buf + len, MODULE_SIGNATURE_MARKER, MARKER_LEN);
		KUNIT_EXPECT_EQ_MSG(test, verify(&kunit_root, buf, len + MARKER_LEN, &plen),
				    len ? -EBADMSG : -ENODATA, "%zu bytes before the marker", len);
	}

	/* One hash short, one hash long: not a proof for this root. */
	len = build(buf, v->module, v->payload_len, sig, sig_len - HASH_LEN,
		    sig_len - HASH_LEN);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -ENOPKG);
	KUNIT_EXPECT_EQ(test, plen, v->payload_len);
	memcpy(long_sig, sig, sig_len);
	memcpy(long_sig + sig_len, sig + sig_len - HASH_LEN, HASH_LEN);
	len = build(buf, v->module, v->payload_len, long_sig,
		    sig_len + HASH_LEN, sig_len + HASH_LEN);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -ENOPKG);

	/* sig_len at the limits: all of the module, beyond it, 2^32 - 1. */
	len = build(buf, v->module, v->payload_len, sig, sig_len,
		    v->payload_len + sig_len);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -EBADMSG);
	len = build(buf, v->module, v->payload_len, sig, sig_len, U32_MAX);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -EBADMSG);
	len = build(buf, v->module, v->payload_len, sig, sig_len, 0);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -ENOPKG);

	/* No payload at all, and a payload of one byte. */
	len = build(buf, NULL, 0, sig, sig_len, sig_len);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -EBADMSG);
	len = build(buf, v->module, 1, sig, sig_len, sig_len);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -ENOKEY);
	KUNIT_EXPECT_EQ(test, plen, 1);

	/* NULL pointers are refused, not dereferenced. */
	KUNIT_EXPECT_EQ(test, module_hashes_verify_root(&kunit_root, NULL, 0, &plen,
							&why), -EBADMSG);
	KUNIT_EXPECT_EQ(test, module_hashes_verify_root(&kunit_root, v->module,
							v->len, NULL, &why), -EBADMSG);
	KUNIT_EXPECT_EQ(test, module_hashes_verify_root(NULL, v->module, v->len,
							&plen, &why), -EBADMSG);
	KUNIT_EXPECT_EQ(test, module_hashes_verify_root(&kunit_root, v->module,
							v->len, &plen, NULL), -EBADMSG);
}

/* Proofs and roots that belong to something else. */
static void other_tree_refused(struct kunit *test)
{
	const struct kunit_vector *a = &kunit_vectors[0], *b = &kunit_vectors[1];
	size_t a_sig = a->len - MARKER_LEN - INFO_LEN - a->payload_len;
	struct module_hashes_root root = kunit_root;
	u8 *buf = kunit_kzalloc(test, a->len + b->len, GFP_KERNEL);
	size_t len, plen;
	unsigned int levels;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);

	/* Module b with module a's proof, and a's proof over b's payload. */
	len = build(buf, b->module, b->payload_len, a->module + a->payload_len,
		    a_sig, a_sig);
	KUNIT_EXPECT_EQ(test, verify(&kunit_root, buf, len, &plen), -ENOKEY);

	/* Every bit of the root matters. */
	for (levels = 0; levels < 8 * HASH_LEN; levels++) {
		root.hash[levels / 8] ^= 1 << (levels % 8);
		KUNIT_EXPECT_EQ_MSG(test, verify(&root, a->module, a->len, &plen),
				    -ENOKEY, "root bit %u", levels);
		root.hash[levels / 8] ^= 1 << (levels % 8);
	}

	/* A root of other levels wants proofs of another length. */
	for (levels = 0; levels <= 33; levels++) {
		root.levels = levels;
		KUNIT_EXPECT_EQ_MSG(test, verify(&root, a->module, a->len, &plen),
				    levels == kunit_root.levels ? 0 : -ENOPKG,
				    "root of %u levels", levels);
	}
	/* The placeholder of an unsealed vmlinux: no proof leads to it. */
	root.levels = MODULE_HASHES_UNSEALED;
	KUNIT_EXPECT_EQ(test, verify(&root, a->module, a->len, &plen), -ENOKEY);
}

/*
 * Checks that verifying @module against @root fails with @err, and that
 * the failure names @reason and the line of modules.order @line.
 */
static void expect_failure(struct kunit *test,
			   const struct module_hashes_root *root,
			   const u8 *module, size_t len, int err,
			   const char *reason, u64 line)
{
	struct module_hashes_failure why = { .reason = NULL, .order_line = ~0ULL };
	size_t plen;

	KUNIT_EXPECT_EQ(test, module_hashes_verify_root(root, module, len,
							&plen, &why), err);
	KUNIT_EXPECT_STREQ(test, why.reason ? why.reason : "(none)", reason);
	KUNIT_EXPECT_EQ(test, why.order_line, line);
}

/* A refusal says why, and which module of modules.order it was for. */
static void failure_explained(struct kunit *test)
{
	const struct kunit_vector *v = &kunit_vectors[1];
	size_t info = v->len - MARKER_LEN - INFO_LEN;
	size_t sig_len = info - v->payload_len;
	u64 line = get_unaligned_be32(v->module + v->payload_len) + 1ULL;
	struct module_hashes_root root = kunit_root;
	struct module_hashes_failure why = { .reason = "unchanged" };
	u8 *buf = copy_of(test, v);
	size_t plen;

	/* Success leaves it alone. */
	KUNIT_EXPECT_EQ(test, module_hashes_verify_root(&kunit_root, buf, v->len,
							&plen, &why), 0);
	KUNIT_EXPECT_STREQ(test, why.reason, "unchanged");

	buf[0] ^= 1;
	expect_failure(test, &kunit_root, buf, v->len, -ENOKEY,
		       "its proof does not lead to this kernel's root", line);
	buf[0] ^= 1;

	root.levels = kunit_root.levels + 1;
	expect_failure(test, &root, buf, v->len, -ENOPKG,
		       "its proof has the wrong length for this kernel's root (another build?)",
		       line);
	root.levels = MODULE_HASHES_UNSEALED;
	expect_failure(test, &root, buf, v->len, -ENOKEY,
		       "this kernel was not sealed and holds no root", line);

	buf[info + 1] = 1;	/* hash */
	expect_failure(test, &kunit_root, buf, v->len, -EBADMSG,
		       "its trailer has reserved fields set", line);
	buf[info + 1] = 0;

	/* No proof to read a position from. */
	buf[info + 2] = 2;	/* PKCS#7 */
	expect_failure(test, &kunit_root, buf, v->len, -ENOPKG,
		       "it is signed, and this kernel checks no signatures", 0);
	buf[info + 2] = 7;
	expect_failure(test, &kunit_root, buf, v->len, -ENOPKG,
		       "its trailer is neither a proof nor a signature", 0);
	buf[info + 2] = MODULE_SIGNATURE_TYPE_MERKLE;

	put_unaligned_be32(info, buf + info + 8);	/* sig_len */
	expect_failure(test, &kunit_root, buf, v->len, -EBADMSG,
		       "its trailer is longer than the module", 0);
	put_unaligned_be32(sig_len, buf + info + 8);
	expect_failure(test, &kunit_root, buf + info + 1,
		       INFO_LEN - 1 + MARKER_LEN, -EBADMSG,
		       "its trailer is truncated", 0);
	expect_failure(test, &kunit_root, buf, v->len - 1, -ENODATA,
		       "it has no trailer", 0);
}

static struct kunit_case module_hashes_cases[] = {
	KUNIT_CASE_PARAM(known_vector_verifies, vector_gen_params),
	KUNIT_CASE_PARAM(bit_flip_refused, region_gen_params),
	KUNIT_CASE(wrong_lengths_refused),
	KUNIT_CASE(other_tree_refused),
	KUNIT_CASE(failure_explained),
	{}
};

static struct kunit_suite module_hashes_suite = {
	.name = "module_hashes",
	.test_cases = module_hashes_cases,
};
kunit_test_suite(module_hashes_suite);

MODULE_DESCRIPTION("KUnit tests for hash-based module authentication");
MODULE_LICENSE("GPL");
