// SPDX-License-Identifier: MIT
/*
 * gm_drm_fdinfo_parse() on fdinfo text in the exact format each 6.12 driver
 * writes (drm_show_fdinfo(), print_size(), drm_print_memory_stats(),
 * drm_show_memory_stats(), amdgpu_show_fdinfo()), and on broken text.
 * The text is passed in a buffer of exactly its length, without a NUL, so
 * that ASan sees any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct parsed {
	struct gm_drm_client d;
	unsigned int malformed;
	int keys;
};

static int parse_len(struct parsed *p, const char *text, size_t len)
{
	char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memcpy(buf, text, len);
	memset(p, 0, sizeof(*p));
	p->keys = gm_drm_fdinfo_parse(buf, len, &p->d, &p->malformed);
	free(buf);
	return p->keys;
}

static int parse(struct parsed *p, const char *text)
{
	return parse_len(p, text, strlen(text));
}

static const struct gpumem_region *region(const struct gm_drm_client *d,
					  const char *name)
{
	unsigned int i;

	for (i = 0; i < d->c.nr_regions; i++) {
		if (!strcmp(d->regions[i].name, name))
			return &d->regions[i];
	}
	fail_msg("no region '%s'", name);
	return NULL;
}

static const struct gpumem_engine *engine(const struct gm_drm_client *d,
					  const char *name)
{
	unsigned int i;

	for (i = 0; i < d->c.nr_engines; i++) {
		if (!strcmp(d->engines[i].name, name))
			return &d->engines[i];
	}
	fail_msg("no engine '%s'", name);
	return NULL;
}

#define BIT(s) (1u << GPUMEM_STAT_##s)

/* Exactly what region, with which stats present, and their values. */
static void assert_region(const struct gm_drm_client *d, const char *name,
			  unsigned int present, uint64_t total, uint64_t shared,
			  uint64_t resident, uint64_t purgeable, uint64_t active)
{
	const struct gpumem_region *r = region(d, name);

	assert_int_equal(r->present, present);
	assert_int_equal(r->bytes[GPUMEM_STAT_TOTAL], total);
	assert_int_equal(r->bytes[GPUMEM_STAT_SHARED], shared);
	assert_int_equal(r->bytes[GPUMEM_STAT_RESIDENT], resident);
	assert_int_equal(r->bytes[GPUMEM_STAT_PURGEABLE], purgeable);
	assert_int_equal(r->bytes[GPUMEM_STAT_ACTIVE], active);
}

/* virtio-gpu in 6.12 has no show_fdinfo: only fs/proc/fd.c's lines. */
static void test_virtio_gpu_no_keys(void **state)
{
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, "pos:\t0\nflags:\t02100002\nmnt_id:\t26\n"
			       "ino:\t1071\n"), 0);
	assert_int_equal(p.malformed, 0);
	assert_false(p.d.c.mem_known);
	assert_false(p.d.c.has_client_id);
	assert_int_equal(p.d.c.nr_regions, 0);
	assert_int_equal(p.d.c.nr_engines, 0);
	assert_int_equal(p.d.c.bytes, 0);
	assert_string_equal(p.d.c.driver, "");
}

/* amdgpu_show_fdinfo() 6.12: legacy drm-memory- with the stray blank. */
static const char amdgpu_612[] =
	"pos:\t0\n"
	"flags:\t02100002\n"
	"mnt_id:\t26\n"
	"ino:\t1071\n"
	"drm-driver:\tamdgpu\n"
	"drm-client-id:\t42\n"
	"drm-pdev:\t0000:03:00.0\n"
	"pasid:\t32770\n"
	"drm-memory-vram:\t1024 KiB\n"
	"drm-memory-gtt: \t2048 KiB\n"
	"drm-memory-cpu: \t0 KiB\n"
	"amd-memory-visible-vram:\t512 KiB\n"
	"amd-evicted-vram:\t0 KiB\n"
	"amd-evicted-visible-vram:\t0 KiB\n"
	"amd-requested-vram:\t1024 KiB\n"
	"amd-requested-visible-vram:\t0 KiB\n"
	"amd-requested-gtt:\t2048 KiB\n"
	"drm-shared-vram:\t0 KiB\n"
	"drm-shared-gtt:\t4 KiB\n"
	"drm-shared-cpu:\t0 KiB\n"
	"drm-engine-gfx:\t123456789 ns\n"
	"drm-engine-compute:\t1000 ns\n";

static void test_amdgpu_612_legacy(void **state)
{
	struct parsed p;

	(void)state;
	/* driver, client-id, pdev, 3 memory, 3 shared, 2 engines */
	assert_int_equal(parse(&p, amdgpu_612), 11);
	assert_int_equal(p.malformed, 0);
	assert_string_equal(p.d.c.driver, "amdgpu");
	assert_string_equal(p.d.c.pdev, "0000:03:00.0");
	assert_true(p.d.c.has_client_id);
	assert_int_equal(p.d.c.client_id, 42);
	assert_true(p.d.c.mem_known);
	assert_int_equal(p.d.c.nr_regions, 3);
	assert_region(&p.d, "vram", BIT(RESIDENT) | BIT(SHARED), 0, 0, 1 * MiB,
		      0, 0);
	assert_region(&p.d, "gtt", BIT(RESIDENT) | BIT(SHARED), 0, 4 * KiB,
		      2 * MiB, 0, 0);
	assert_region(&p.d, "cpu", BIT(RESIDENT) | BIT(SHARED), 0, 0, 0, 0, 0);
	assert_true(region(&p.d, "vram")->legacy);
	assert_true(region(&p.d, "gtt")->legacy);
	assert_int_equal(p.d.c.bytes, 3 * MiB);
	assert_int_equal(p.d.c.resident_bytes, 3 * MiB);
	assert_int_equal(p.d.c.shared_bytes, 4 * KiB);
	assert_int_equal(p.d.c.nr_engines, 2);
	assert_int_equal(engine(&p.d, "gfx")->busy_ns, 123456789);
	assert_int_equal(engine(&p.d, "gfx")->capacity, 1);
	assert_int_equal(engine(&p.d, "compute")->busy_ns, 1000);
}

/*
 * i915 (DG2): drm_print_memory_stats() per region with print_size(): bytes
 * unless divisible by 1024, then KiB, then MiB at most.
 */
static const char i915_dg2[] =
	"pos:\t0\n"
	"flags:\t02100002\n"
	"mnt_id:\t26\n"
	"ino:\t1168\n"
	"drm-driver:\ti915\n"
	"drm-client-id:\t7\n"
	"drm-pdev:\t0000:03:00.0\n"
	"drm-total-system0:\t8448 KiB\n"
	"drm-shared-system0:\t0\n"
	"drm-active-system0:\t0\n"
	"drm-resident-system0:\t8448 KiB\n"
	"drm-purgeable-system0:\t4 KiB\n"
	"drm-total-local0:\t3 MiB\n"
	"drm-shared-local0:\t1 MiB\n"
	"drm-active-local0:\t4097\n"
	"drm-resident-local0:\t2 MiB\n"
	"drm-purgeable-local0:\t0\n"
	"drm-total-stolen-local0:\t0\n"
	"drm-shared-stolen-local0:\t0\n"
	"drm-active-stolen-local0:\t0\n"
	"drm-resident-stolen-local0:\t0\n"
	"drm-purgeable-stolen-local0:\t0\n"
	"drm-engine-render:\t25662044495 ns\n"
	"drm-engine-copy:\t0 ns\n"
	"drm-engine-video:\t1 ns\n"
	"drm-engine-capacity-video:\t2\n"
	"drm-engine-video-enhance:\t0 ns\n";

static void test_i915_regions(void **state)
{
	const unsigned int all = BIT(TOTAL) | BIT(SHARED) | BIT(RESIDENT) |
				 BIT(PURGEABLE) | BIT(ACTIVE);
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, i915_dg2), 3 + 15 + 5);
	assert_int_equal(p.malformed, 0);
	assert_string_equal(p.d.c.driver, "i915");
	assert_int_equal(p.d.c.client_id, 7);
	assert_int_equal(p.d.c.nr_regions, 3);
	assert_region(&p.d, "system0", all, 8448 * KiB, 0, 8448 * KiB, 4 * KiB,
		      0);
	assert_region(&p.d, "local0", all, 3 * MiB, 1 * MiB, 2 * MiB, 0, 4097);
	assert_region(&p.d, "stolen-local0", all, 0, 0, 0, 0, 0);
	assert_false(region(&p.d, "system0")->legacy);
	/* total where the driver reports it */
	assert_int_equal(p.d.c.bytes, 8448 * KiB + 3 * MiB);
	assert_int_equal(p.d.c.shared_bytes, 1 * MiB);
	assert_int_equal(p.d.c.resident_bytes, 8448 * KiB + 2 * MiB);
	assert_int_equal(p.d.c.nr_engines, 4);
	assert_int_equal(engine(&p.d, "render")->busy_ns, 25662044495ull);
	assert_int_equal(engine(&p.d, "video")->busy_ns, 1);
	assert_int_equal(engine(&p.d, "video")->capacity, 2);
	assert_int_equal(engine(&p.d, "video-enhance")->busy_ns, 0);
	assert_int_equal(engine(&p.d, "video-enhance")->capacity, 1);
}

/* print_size() units one by one: bare bytes, KiB, MiB, zero. */
static void test_print_size_units(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-driver:\ti915\n"
		  "drm-total-a:\t1023\n"
		  "drm-total-b:\t1025\n"
		  "drm-total-c:\t1 KiB\n"
		  "drm-total-d:\t1023 KiB\n"
		  "drm-total-e:\t1025 KiB\n"
		  "drm-total-f:\t1 MiB\n"
		  "drm-total-g:\t4096 MiB\n"
		  "drm-total-h:\t0\n");
	assert_int_equal(p.malformed, 0);
	assert_int_equal(region(&p.d, "a")->bytes[GPUMEM_STAT_TOTAL], 1023);
	assert_int_equal(region(&p.d, "b")->bytes[GPUMEM_STAT_TOTAL], 1025);
	assert_int_equal(region(&p.d, "c")->bytes[GPUMEM_STAT_TOTAL], 1024);
	assert_int_equal(region(&p.d, "d")->bytes[GPUMEM_STAT_TOTAL], 1047552);
	assert_int_equal(region(&p.d, "e")->bytes[GPUMEM_STAT_TOTAL], 1049600);
	assert_int_equal(region(&p.d, "f")->bytes[GPUMEM_STAT_TOTAL], 1048576);
	assert_int_equal(region(&p.d, "g")->bytes[GPUMEM_STAT_TOTAL],
			 4294967296ull);
	assert_int_equal(region(&p.d, "h")->bytes[GPUMEM_STAT_TOTAL], 0);
	assert_int_equal(p.d.c.bytes, 1023 + 1025 + 1024 + 1047552 + 1049600 +
			 1048576 + 4294967296ull);
}

/* xe: system (with purgeable), gtt, vram0, stolen; cycles per class. */
static const char xe_bmg[] =
	"drm-driver:\txe\n"
	"drm-client-id:\t3\n"
	"drm-pdev:\t0000:03:00.0\n"
	"drm-total-system:\t12 MiB\n"
	"drm-shared-system:\t0\n"
	"drm-active-system:\t0\n"
	"drm-resident-system:\t12 MiB\n"
	"drm-purgeable-system:\t8 KiB\n"
	"drm-total-gtt:\t4 KiB\n"
	"drm-shared-gtt:\t0\n"
	"drm-active-gtt:\t0\n"
	"drm-resident-gtt:\t4 KiB\n"
	"drm-total-vram0:\t256 MiB\n"
	"drm-shared-vram0:\t64 MiB\n"
	"drm-active-vram0:\t16 MiB\n"
	"drm-resident-vram0:\t255 MiB\n"
	"drm-total-stolen:\t0\n"
	"drm-shared-stolen:\t0\n"
	"drm-active-stolen:\t0\n"
	"drm-resident-stolen:\t0\n"
	"drm-cycles-rcs:\t28257900\n"
	"drm-total-cycles-rcs:\t7655183225\n"
	"drm-cycles-bcs:\t0\n"
	"drm-total-cycles-bcs:\t7655183225\n"
	"drm-cycles-vcs:\t0\n"
	"drm-total-cycles-vcs:\t7655183225\n"
	"drm-engine-capacity-vcs:\t2\n";

static void test_xe_regions(void **state)
{
	const unsigned int four = BIT(TOTAL) | BIT(SHARED) | BIT(RESIDENT) |
				  BIT(ACTIVE);
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, xe_bmg), 3 + 17 + 7);
	assert_int_equal(p.malformed, 0);
	assert_int_equal(p.d.c.nr_regions, 4);
	assert_region(&p.d, "system", four | BIT(PURGEABLE), 12 * MiB, 0,
		      12 * MiB, 8 * KiB, 0);
	assert_region(&p.d, "gtt", four, 4 * KiB, 0, 4 * KiB, 0, 0);
	assert_region(&p.d, "vram0", four, 256 * MiB, 64 * MiB, 255 * MiB, 0,
		      16 * MiB);
	assert_region(&p.d, "stolen", four, 0, 0, 0, 0, 0);
	assert_int_equal(p.d.c.bytes, 12 * MiB + 4 * KiB + 256 * MiB);
	assert_int_equal(p.d.c.resident_bytes, 12 * MiB + 4 * KiB + 255 * MiB);
	assert_int_equal(p.d.c.shared_bytes, 64 * MiB);
	assert_int_equal(p.d.c.nr_engines, 3);
	assert_int_equal(engine(&p.d, "rcs")->cycles, 28257900);
	assert_int_equal(engine(&p.d, "rcs")->total_cycles, 7655183225ull);
	assert_int_equal(engine(&p.d, "rcs")->present,
			 1u << 2 | 1u << 3);
	assert_int_equal(engine(&p.d, "vcs")->capacity, 2);
	assert_int_equal(engine(&p.d, "vcs")->present,
			 1u << 1 | 1u << 2 | 1u << 3);
}

/* panfrost: drm_show_memory_stats() with status(): all five stats. */
static const char panfrost[] =
	"drm-driver:\tpanfrost\n"
	"drm-client-id:\t12\n"
	"drm-engine-fragment:\t1846584880 ns\n"
	"drm-cycles-fragment:\t1424359409\n"
	"drm-maxfreq-fragment:\t799999987 Hz\n"
	"drm-curfreq-fragment:\t799999987 Hz\n"
	"drm-engine-vertex-tiler:\t71932239 ns\n"
	"drm-cycles-vertex-tiler:\t52617357\n"
	"drm-maxfreq-vertex-tiler:\t799999987 Hz\n"
	"drm-curfreq-vertex-tiler:\t799999987 Hz\n"
	"drm-total-memory:\t290 MiB\n"
	"drm-shared-memory:\t0\n"
	"drm-active-memory:\t226 MiB\n"
	"drm-resident-memory:\t36496 KiB\n"
	"drm-purgeable-memory:\t128 KiB\n";

static void test_panfrost_memory_region(void **state)
{
	struct parsed p;

	(void)state;
	/* drm-curfreq- is not a usage-stats key: ignored, not malformed */
	assert_int_equal(parse(&p, panfrost), 2 + 6 + 5);
	assert_int_equal(p.malformed, 0);
	assert_int_equal(p.d.c.nr_regions, 1);
	assert_region(&p.d, "memory", BIT(TOTAL) | BIT(SHARED) | BIT(ACTIVE) |
		      BIT(RESIDENT) | BIT(PURGEABLE), 290 * MiB, 0,
		      36496 * KiB, 128 * KiB, 226 * MiB);
	assert_int_equal(p.d.c.bytes, 290 * MiB);
	assert_int_equal(p.d.c.resident_bytes, 36496 * KiB);
	assert_int_equal(p.d.c.nr_engines, 2);
	assert_int_equal(engine(&p.d, "fragment")->busy_ns, 1846584880);
	assert_int_equal(engine(&p.d, "fragment")->cycles, 1424359409);
	assert_int_equal(engine(&p.d, "fragment")->maxfreq_hz, 799999987);
	assert_int_equal(engine(&p.d, "vertex-tiler")->maxfreq_hz, 799999987);
}

/* msm: one "gpu" engine with maxfreq, memory with resident/purgeable. */
static void test_msm_memory_region(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-driver:\tmsm\n"
		  "drm-client-id:\t5\n"
		  "drm-engine-gpu:\t4096 ns\n"
		  "drm-cycles-gpu:\t1000\n"
		  "drm-maxfreq-gpu:\t587 MHz\n"
		  "drm-total-memory:\t20 MiB\n"
		  "drm-shared-memory:\t4 MiB\n"
		  "drm-active-memory:\t0\n"
		  "drm-resident-memory:\t12288 KiB\n"
		  "drm-purgeable-memory:\t0\n");
	assert_int_equal(p.malformed, 0);
	assert_region(&p.d, "memory", BIT(TOTAL) | BIT(SHARED) | BIT(ACTIVE) |
		      BIT(RESIDENT) | BIT(PURGEABLE), 20 * MiB, 4 * MiB,
		      12 * MiB, 0, 0);
	assert_int_equal(p.d.c.bytes, 20 * MiB);
	assert_int_equal(p.d.c.shared_bytes, 4 * MiB);
	assert_int_equal(engine(&p.d, "gpu")->maxfreq_hz, 587000000);
	assert_int_equal(engine(&p.d, "gpu")->cycles, 1000);
}

/* v3d: objects without status(): total/shared/active only. */
static void test_v3d_no_resident(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-driver:\tv3d\n"
		  "drm-client-id:\t9\n"
		  "drm-engine-bin:\t123 ns\n"
		  "v3d-jobs-bin:\t4 jobs\n"
		  "drm-engine-render:\t456 ns\n"
		  "drm-total-memory:\t8196\n"
		  "drm-shared-memory:\t0\n"
		  "drm-active-memory:\t0\n");
	assert_int_equal(p.malformed, 0);
	assert_region(&p.d, "memory", BIT(TOTAL) | BIT(SHARED) | BIT(ACTIVE),
		      8196, 0, 0, 0, 0);
	assert_true(p.d.c.mem_known);
	assert_int_equal(p.d.c.bytes, 8196);
	assert_int_equal(p.d.c.resident_bytes, 0);
	assert_int_equal(engine(&p.d, "render")->busy_ns, 456);
}

static void test_client_name_and_freq_units(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-driver:\tpanthor\n"
		  "drm-client-id:\t77\n"
		  "drm-client-name:\tfirefox gpu\n"
		  "drm-maxfreq-a:\t1 GHz\n"
		  "drm-maxfreq-b:\t5 kHz\n"
		  "drm-maxfreq-c:\t5 KHz\n"
		  "drm-maxfreq-d:\t42\n");
	assert_int_equal(p.malformed, 0);
	assert_string_equal(p.d.c.name, "firefox gpu");
	assert_int_equal(engine(&p.d, "a")->maxfreq_hz, 1000000000);
	assert_int_equal(engine(&p.d, "b")->maxfreq_hz, 5000);
	assert_int_equal(engine(&p.d, "c")->maxfreq_hz, 5000);
	assert_int_equal(engine(&p.d, "d")->maxfreq_hz, 42);
	assert_false(p.d.c.mem_known);
}

static void test_gib_and_limits(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-total-a:\t2 GiB\n"
		  "drm-total-b:\t18446744073709551615\n"
		  "drm-total-c:\t17179869183 GiB\n");
	assert_int_equal(p.malformed, 0);
	assert_int_equal(region(&p.d, "a")->bytes[GPUMEM_STAT_TOTAL], 2 * GiB);
	assert_int_equal(region(&p.d, "b")->bytes[GPUMEM_STAT_TOTAL],
			 UINT64_MAX);
	assert_int_equal(region(&p.d, "c")->bytes[GPUMEM_STAT_TOTAL],
			 17179869183ull * GiB);
}

/* Every one of these values is skipped, counted, and makes no region. */
static void test_malformed_values(void **state)
{
	static const char *const bad[] = {
		"18446744073709551616",		/* 2^64 */
		"99999999999999999999999",
		"18446744073709551615 KiB",	/* overflow by the unit */
		"17179869184 GiB",		/* exactly 2^64 */
		"-1",
		"-4 KiB",
		"abc",
		"",
		"12x",
		"12 KiBx",
		"12 KiB KiB",
		"12 TiB",
		"12 kB",
		"12 KB",
		"0x10",
		"+5",
		"1.5 MiB",
		"KiB",
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(bad); i++) {
		char text[128];
		struct parsed p;

		snprintf(text, sizeof(text), "drm-driver:\txe\n"
			 "drm-total-vram0:\t%s\ndrm-total-gtt:\t8 KiB\n", bad[i]);
		print_message("# value '%s'\n", bad[i]);
		assert_int_equal(parse(&p, text), 2);
		assert_int_equal(p.malformed, 1);
		assert_int_equal(p.d.c.nr_regions, 1);
		assert_string_equal(p.d.regions[0].name, "gtt");
		assert_int_equal(p.d.c.bytes, 8 * KiB);
	}
}

static void test_malformed_engine_and_ident(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-driver:\n"			/* empty */
		  "drm-client-id:\t-3\n"
		  "drm-engine-gfx:\t5 KiB\n"		/* not ns */
		  "drm-engine-capacity-gfx:\t0\n"	/* 0 not allowed */
		  "drm-cycles-gfx:\t7 ns\n"
		  "drm-engine-copy:\t9 ns\n");
	assert_int_equal(p.malformed, 5);
	assert_false(p.d.c.has_client_id);
	assert_string_equal(p.d.c.driver, "");
	assert_int_equal(p.d.c.nr_engines, 1);
	assert_int_equal(engine(&p.d, "copy")->busy_ns, 9);
}

/* Blanks around the value, as some drivers print them, are not junk. */
static void test_blanks_around_value(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-total-vram0:  \t 5 \t KiB \t\n"
		  "drm-memory-gtt: \t 3 KiB\n");
	assert_int_equal(p.malformed, 0);
	assert_int_equal(region(&p.d, "vram0")->bytes[GPUMEM_STAT_TOTAL],
			 5 * KiB);
	assert_int_equal(region(&p.d, "gtt")->bytes[GPUMEM_STAT_RESIDENT],
			 3 * KiB);
	assert_int_equal(p.d.c.bytes, 8 * KiB);
}

/*
 * A NUL inside the value is junk after the number: the value is
 * "<uint>[<blanks><unit>]" and nothing else.
 */
static void test_nul_in_value(void **state)
{
	static const char text[] = "drm-total-vram0:\t5\0junk\n"
				   "drm-total-gtt:\t1 KiB\n";
	struct parsed p;

	(void)state;
	parse_len(&p, text, sizeof(text) - 1);
	/* parse_amount()'s strcmp stopped at the NUL (fixed in ea7a86f) */
	assert_int_equal(p.malformed, 1);
	assert_int_equal(p.d.c.bytes, 1 * KiB);
}

static void test_key_without_colon(void **state)
{
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, "drm-driver\tamdgpu\n"
			       "drm-total-vram0 4096\n"
			       "drm-total-vram0\n"
			       ":\t4096\n"
			       "\n"
			       "drm-total-gtt:\t4096\n"), 1);
	assert_string_equal(p.d.c.driver, "");
	assert_int_equal(p.d.c.nr_regions, 1);
	assert_int_equal(p.d.c.bytes, 4096);
}

/* Keys that contain a real key but are not one: no strstr() matching. */
static void test_strstr_traps(void **state)
{
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, "xdrm-total-vram: 5\n"
			       "amd-drm-total-vram: 5\n"
			       " drm-total-vram0: 5\n"
			       "drm-total-vram0 : 5\n"
			       "DRM-total-vram0: 5\n"
			       "drm-totalvram0: 5\n"
			       "drm-total-: 5\n"
			       "drm-memory-: 5\n"
			       "drm-: 5\n"
			       "drm-client-idx: 5\n"
			       "drm-client-i: 5\n"
			       "drm-driverx: foo\n"
			       "pasid: drm-total-vram0: 5\n"
			       "drm-driver:\tdrm-total-vram0: 5\n"), 1);
	assert_int_equal(p.malformed, 0);
	assert_false(p.d.c.has_client_id);
	assert_int_equal(p.d.c.nr_regions, 0);
	assert_false(p.d.c.mem_known);
	assert_string_equal(p.d.c.driver, "drm-total-vram0: 5");
}

/* A region whose name merely starts like a real one is its own region. */
static void test_region_suffix_traps(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-total-vram0:\t4096\n"
		  "drm-total-vram0x:\t8192\n"
		  "drm-total-vram:\t1\n"
		  "drm-total-vram0y: \n");	/* empty value: malformed */
	assert_int_equal(p.malformed, 1);
	assert_int_equal(p.d.c.nr_regions, 3);
	assert_int_equal(region(&p.d, "vram0")->bytes[GPUMEM_STAT_TOTAL], 4096);
	assert_int_equal(region(&p.d, "vram0x")->bytes[GPUMEM_STAT_TOTAL],
			 8192);
	assert_int_equal(region(&p.d, "vram")->bytes[GPUMEM_STAT_TOTAL], 1);
	assert_int_equal(p.d.c.bytes, 4096 + 8192 + 1);
}

static void test_no_newline_at_end(void **state)
{
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, "drm-driver:\ti915\n"
			       "drm-total-system0:\t4 KiB"), 2);
	assert_int_equal(p.d.c.bytes, 4 * KiB);
	assert_int_equal(parse(&p, "drm-total-system0:\t4 K"), 0);
	assert_int_equal(p.malformed, 1);
	assert_int_equal(parse(&p, "drm-engine-render:\t4 ns"), 1);
	assert_int_equal(engine(&p.d, "render")->busy_ns, 4);
	assert_int_equal(parse_len(&p, "", 0), 0);
}

/* Duplicate keys: one region, the last value, and no double count. */
static void test_duplicate_keys(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-client-id:\t1\n"
		  "drm-total-vram0:\t4 KiB\n"
		  "drm-total-vram0:\t8 KiB\n"
		  "drm-client-id:\t2\n"
		  "drm-engine-gfx:\t1 ns\n"
		  "drm-engine-gfx:\t3 ns\n");
	assert_int_equal(p.malformed, 0);
	assert_int_equal(p.d.c.nr_regions, 1);
	assert_int_equal(p.d.c.bytes, 8 * KiB);
	assert_int_equal(p.d.c.client_id, 2);
	assert_int_equal(p.d.c.nr_engines, 1);
	assert_int_equal(engine(&p.d, "gfx")->busy_ns, 3);
}

/* drm-resident- wins over its legacy alias drm-memory-, in either order. */
static void test_legacy_precedence(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "drm-memory-vram:\t1024 KiB\n"
		  "drm-resident-vram:\t2048 KiB\n");
	assert_int_equal(region(&p.d, "vram")->bytes[GPUMEM_STAT_RESIDENT],
			 2 * MiB);
	assert_false(region(&p.d, "vram")->legacy);
	assert_int_equal(p.d.c.bytes, 2 * MiB);

	parse(&p, "drm-resident-vram:\t2048 KiB\n"
		  "drm-memory-vram:\t1024 KiB\n");
	assert_int_equal(region(&p.d, "vram")->bytes[GPUMEM_STAT_RESIDENT],
			 2 * MiB);
	assert_false(region(&p.d, "vram")->legacy);
	assert_int_equal(p.d.c.bytes, 2 * MiB);
	assert_int_equal(p.malformed, 0);

	/* amdgpu after 6.12: total and resident next to the legacy key */
	parse(&p, "drm-memory-vram:\t1024 KiB\n"
		  "drm-total-vram:\t3072 KiB\n"
		  "drm-resident-vram:\t1024 KiB\n");
	assert_int_equal(p.d.c.bytes, 3 * MiB);
	assert_int_equal(p.d.c.resident_bytes, 1 * MiB);
	assert_int_equal(p.d.c.nr_regions, 1);
}

/* More regions than fit: the first ones kept, the rest counted malformed. */
static void test_too_many_regions(void **state)
{
	char text[2048];
	size_t off = 0;
	struct parsed p;
	unsigned int i;

	(void)state;
	for (i = 0; i < GPUMEM_MAX_REGIONS + 2; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"drm-total-r%u:\t%u\n", i, 1000 + i);
	parse(&p, text);
	assert_int_equal(p.d.c.nr_regions, GPUMEM_MAX_REGIONS);
	assert_int_equal(p.malformed, 2);
	/* 1000 + ... + (1000 + GPUMEM_MAX_REGIONS - 1) */
	assert_int_equal(p.d.c.bytes, GPUMEM_MAX_REGIONS * 1000 +
			 (GPUMEM_MAX_REGIONS - 1) * GPUMEM_MAX_REGIONS / 2);
	snprintf(text, sizeof(text), "r%u", GPUMEM_MAX_REGIONS - 1);
	assert_string_equal(p.d.regions[GPUMEM_MAX_REGIONS - 1].name, text);

	/* a further stat of a region already kept still lands */
	off = 0;
	for (i = 0; i < GPUMEM_MAX_REGIONS + 1; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"drm-total-r%u:\t1\n", i);
	snprintf(text + off, sizeof(text) - off, "drm-shared-r3:\t1\n");
	parse(&p, text);
	assert_int_equal(p.malformed, 1);
	assert_int_equal(p.d.c.shared_bytes, 1);
	assert_int_equal(p.d.c.bytes, GPUMEM_MAX_REGIONS);
}

static void test_too_many_engines(void **state)
{
	char text[2048];
	size_t off = 0;
	struct parsed p;
	unsigned int i;

	(void)state;
	for (i = 0; i < GPUMEM_MAX_ENGINES + 1; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"drm-engine-e%u:\t%u ns\n", i, i);
	parse(&p, text);
	assert_int_equal(p.d.c.nr_engines, GPUMEM_MAX_ENGINES);
	assert_int_equal(p.malformed, 1);
}

/* A region name that does not fit its field is not truncated. */
#define REGION_NAME_MAX sizeof(((struct gpumem_region *)0)->name)

static void test_long_region_name(void **state)
{
	char text[512], name[REGION_NAME_MAX + 1];
	struct parsed p;

	(void)state;
	memset(name, 'r', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "drm-total-%s:\t7\ndrm-total-%.*s:\t9\n",
		 name, (int)REGION_NAME_MAX - 1, name);
	parse(&p, text);
	assert_int_equal(p.malformed, 1);
	assert_int_equal(p.d.c.nr_regions, 1);
	assert_int_equal(strlen(p.d.regions[0].name), REGION_NAME_MAX - 1);
	assert_int_equal(p.d.c.bytes, 9);
}

/* A 1 MB line (value, then name, then no colon) between good lines. */
static void test_one_megabyte_line(void **state)
{
	static const char *const heads[] = {
		"drm-total-vram0:\t", "drm-client-name:\t", "drm-", "x",
	};
	const size_t big = 1u << 20;
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(heads); i++) {
		const char *pre = "drm-driver:\tamdgpu\n";
		const char *post = "\ndrm-total-gtt:\t12 KiB\n";
		size_t hl = strlen(heads[i]);
		char *text = malloc(strlen(pre) + hl + big + strlen(post) + 1);
		struct parsed p;
		char *q;

		assert_non_null(text);
		q = stpcpy(text, pre);
		q = stpcpy(q, heads[i]);
		memset(q, '7', big);
		strcpy(q + big, post);
		parse(&p, text);
		free(text);
		assert_string_equal(p.d.c.driver, "amdgpu");
		assert_int_equal(p.d.c.bytes, 12 * KiB);
		assert_int_equal(p.d.c.nr_regions, 1);
		assert_string_equal(p.d.c.name, "");
		assert_int_equal(p.malformed, i < 2 ? 1 : 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virtio_gpu_no_keys),
		cmocka_unit_test(test_amdgpu_612_legacy),
		cmocka_unit_test(test_i915_regions),
		cmocka_unit_test(test_print_size_units),
		cmocka_unit_test(test_xe_regions),
		cmocka_unit_test(test_panfrost_memory_region),
		cmocka_unit_test(test_msm_memory_region),
		cmocka_unit_test(test_v3d_no_resident),
		cmocka_unit_test(test_client_name_and_freq_units),
		cmocka_unit_test(test_gib_and_limits),
		cmocka_unit_test(test_malformed_values),
		cmocka_unit_test(test_malformed_engine_and_ident),
		cmocka_unit_test(test_blanks_around_value),
		cmocka_unit_test(test_nul_in_value),
		cmocka_unit_test(test_key_without_colon),
		cmocka_unit_test(test_strstr_traps),
		cmocka_unit_test(test_region_suffix_traps),
		cmocka_unit_test(test_no_newline_at_end),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_legacy_precedence),
		cmocka_unit_test(test_too_many_regions),
		cmocka_unit_test(test_too_many_engines),
		cmocka_unit_test(test_long_region_name),
		cmocka_unit_test(test_one_megabyte_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
