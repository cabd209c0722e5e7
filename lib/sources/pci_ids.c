// SPDX-License-Identifier: MIT
/*
 * Device names from pci.ids through libpci, from vendor:device alone, so
 * they work on captures too.  Without libpci (static builds: Debian ships
 * no static libpci) names are "".
 */

#include "sources.h"

#ifdef HAVE_LIBPCI
#include <pthread.h>

#include <pci/pci.h>

/* libpci calls these unset, and its default error handler exits. */
static void quiet(char *msg, ...)
{
	(void)msg;
}

/*
 * Parsing pci.ids costs tens of milliseconds and keeps megabytes while its
 * pci_access lives: a daemon sampling every second would spend its time
 * there.  So each (vendor, device) is looked up once per process, with a
 * pci_access freed right after; a machine has a handful of GPUs.
 */
static struct pci_name {
	uint32_t vendor, device;
	char name[2 * GPUMEM_NAME_MAX];
} names[16];
static size_t nr_names;
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static void lookup(struct pci_access **pacc, struct gpumem_device *d)
{
	char buf[256];
	const char *n;

	if (!*pacc) {
		*pacc = pci_alloc();
		if (!*pacc)
			return;
		(*pacc)->warning = quiet;
		(*pacc)->debug = quiet;
	}
	n = pci_lookup_name(*pacc, buf, sizeof(buf), PCI_LOOKUP_VENDOR |
			    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
			    d->vendor_id, d->device_id);
	if (n)
		gm_strlcpy(d->name, n, sizeof(d->name));
	if (nr_names == GM_ARRAY_SIZE(names))
		return;
	names[nr_names] = (struct pci_name){ d->vendor_id, d->device_id };
	gm_strlcpy(names[nr_names++].name, d->name, sizeof(names[0].name));
}

static bool cached(struct gpumem_device *d)
{
	size_t i;

	for (i = 0; i < nr_names; i++) {
		if (names[i].vendor == d->vendor_id &&
		    names[i].device == d->device_id) {
			gm_strlcpy(d->name, names[i].name, sizeof(d->name));
			return true;
		}
	}
	return false;
}

void gm_pci_names(struct gpumem_device *devs, size_t nr)
{
	struct pci_access *pacc = NULL;
	size_t i;

	pthread_mutex_lock(&names_lock);
	for (i = 0; i < nr; i++) {
		/* A name the driver gave (NVML) is its own, kept. */
		if (devs[i].vendor_id && !devs[i].name[0] &&
		    !cached(&devs[i]))
			lookup(&pacc, &devs[i]);
	}
	pthread_mutex_unlock(&names_lock);
	if (pacc)
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
