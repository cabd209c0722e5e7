// SPDX-License-Identifier: MIT
/*
 * Device names from pci.ids through libpci, from vendor:device alone, so
 * they work on captures too.  Without libpci (static builds: Debian ships
 * no static libpci) names are "".
 */

#include "sources.h"

#ifdef HAVE_LIBPCI
#include <pci/pci.h>

/* libpci calls these unset, and its default error handler exits. */
static void quiet(char *msg, ...)
{
	(void)msg;
}

void gm_pci_names(struct gpumem_device *devs, size_t nr)
{
	struct pci_access *pacc;
	size_t i;

	if (!nr)
		return;
	pacc = pci_alloc();
	if (!pacc)
		return;
	pacc->warning = quiet;
	pacc->debug = quiet;
	for (i = 0; i < nr; i++) {
		struct gpumem_device *d = &devs[i];
		char buf[256];
		const char *n;

		/* A name the driver gave (NVML) is its own, kept. */
		if (!d->vendor_id || d->name[0])
			continue;
		n = pci_lookup_name(pacc, buf, sizeof(buf), PCI_LOOKUP_VENDOR |
				    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
				    d->vendor_id, d->device_id);
		if (n)
			gm_strlcpy(d->name, n, sizeof(d->name));
	}
	pci_cleanup(pacc);
}
#else
void gm_pci_names(struct gpumem_device *devs, size_t nr)
{
	(void)devs;
	(void)nr;
}
#endif

static void pci_ids_status(const struct gpumem_snapshot *s,
			   struct gpumem_source_status *st)
{
	const struct gpumem_device *d;
	unsigned int named;
	size_t nr;

	d = gpumem_devices(s, &nr);
	named = gm_count_set(d, nr, sizeof(*d),
			     offsetof(struct gpumem_device, name));
#ifdef HAVE_LIBPCI
	gm_source_say(st, named || !nr ? GPUMEM_SOURCE_FOUND :
		      GPUMEM_SOURCE_MISSING, "%u of %zu devices named%s", named,
		      nr, named < nr ? " (install pci.ids)" : "");
#else
	gm_source_say(st, GPUMEM_SOURCE_MISSING, "built without libpci: "
		      "devices have no names");
#endif
}

/* Looked up by the model once the devices are known. */
const struct gm_source gm_src_pci_ids = {
	.name = "pci-ids",
	.what = "device names (pci.ids)",
	.status = pci_ids_status,
};
