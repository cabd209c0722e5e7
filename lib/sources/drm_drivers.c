// SPDX-License-Identifier: MIT
/*
 * What gpumem knows of DRM drivers by name, in one table: whether a
 * dma-buf with that exporter name is GPU memory (so a whole-system sum
 * counts it once), and whether the driver's GEM objects are shmem files
 * (their pages are in meminfo's Shmem; docs/explain.md).
 * drm_gem_prime_export() names its exporter KBUILD_MODNAME of drm_prime.c,
 * "drm" (amdgpu and others); drivers with their own dma_buf_ops use their
 * module name.
 */
#include <string.h>

#include "sources.h"

static const struct {
	const char *name;
	bool exporter;		/* a GPU exporter known without its device */
	bool shmem;		/* GEM objects backed by shmem */
} drivers[] = {
	{ "drm", true, false },		{ "amdgpu", true, false },
	{ "i915", true, true },		{ "xe", true, false },
	{ "nouveau", true, false },	{ "radeon", true, false },
	{ "msm", true, true },		{ "panfrost", true, true },
	{ "panthor", true, true },	{ "virtio_gpu", true, true },
	{ "vmwgfx", true, false },	{ "etnaviv", true, true },
	{ "lima", true, true },		{ "v3d", true, true },
	{ "vc4", true, true },		{ "tegra", true, true },
	{ "omapdrm", true, true },	{ "exynos", true, true },
	{ "rockchip", false, true },	{ "mediatek", false, true },
	{ "vkms", false, true },	{ "udl", false, true },
	{ "gud", false, true },
};

static int driver_index(const char *name)
{
	size_t i;

	for (i = 0; i < GM_ARRAY_SIZE(drivers); i++) {
		if (!strcmp(name, drivers[i].name))
			return (int)i;
	}
	return -1;
}

bool gm_is_gpu_exporter(const struct gm_devices *devs, const char *exporter)
{
	int i = driver_index(exporter);
	size_t d;

	if (i >= 0 && drivers[i].exporter)
		return true;
	for (d = 0; d < devs->nr; d++) {
		if (devs->dev[d].driver[0] &&
		    !strcmp(exporter, devs->dev[d].driver))
			return true;
	}
	return false;
}

bool gm_gem_in_shmem(const char *driver)
{
	int i = driver_index(driver);

	return i >= 0 && drivers[i].shmem;
}
