// SPDX-License-Identifier: MIT
/*
 * What gpumem knows of DRM drivers by name, in one table: whether a
 * dma-buf with that exporter name is GPU memory (so a whole-system sum
 * counts it once), whether the driver's GEM objects are shmem files
 * (their pages are in meminfo's Shmem) and whether its system memory comes
 * from the TTM pool (in meminfo's GPUActive/GPUReclaim, 7.1+; see
 * docs/explain.md).
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
	bool ttm;		/* system memory from the TTM pool */
} drivers[] = {
	{ "drm", true, false, false },		{ "amdgpu", true, false, true },
	{ "i915", true, true, false },		{ "xe", true, false, true },
	{ "nouveau", true, false, true },	{ "radeon", true, false, true },
	{ "msm", true, true, false },		{ "panfrost", true, true, false },
	{ "panthor", true, true, false },	{ "virtio_gpu", true, true, false },
	{ "vmwgfx", true, false, true },	{ "etnaviv", true, true, false },
	{ "lima", true, true, false },		{ "v3d", true, true, false },
	{ "vc4", true, true, false },		{ "tegra", true, true, false },
	{ "omapdrm", true, true, false },	{ "exynos", true, true, false },
	{ "rockchip", false, true, false },	{ "mediatek", false, true, false },
	{ "vkms", false, true, false },		{ "udl", false, true, false },
	{ "gud", false, true, false },		{ "qxl", true, false, true },
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

bool gm_gem_in_ttm(const char *driver)
{
	int i = driver_index(driver);

	return i >= 0 && drivers[i].ttm;
}
