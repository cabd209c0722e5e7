// SPDX-License-Identifier: MIT
/*
 * NVIDIA's proprietary driver prints no DRM fdinfo: its memory is known
 * only through NVML, libnvidia-ml.so.1, loaded here at run time (Debian has
 * no NVML headers, and gpumem must work where there is no NVIDIA driver).
 * The few functions and structs used are declared from the NVML API
 * reference (docs.nvidia.com/deploy/nvml-api).  Older drivers lack the
 * newer entry points: as nvtop does, each call falls back from _v3 to _v2
 * to the first version, whose process struct is smaller.
 *
 * Each GPU becomes a device (the DRM one of nvidia-drm with the same PCI
 * slot, else one of its own) whose total is NVML's used memory; each
 * process NVML lists on it (compute and graphics, the larger figure when
 * in both) becomes a client of that device.  Only the live system is
 * asked: a --root tree is another machine.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

/* From the NVML API reference. */
typedef int nvmlReturn_t;
typedef struct nvml_device *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_VALUE_NOT_AVAILABLE (~0ull)
#define NVML_NAME_SIZE 96

struct nvml_memory {		/* nvmlMemory_t */
	unsigned long long total, free, used;
};

struct nvml_memory_v2 {		/* nvmlMemory_v2_t */
	unsigned int version;
	unsigned long long total, reserved, free, used;
};

#define NVML_MEMORY_V2 ((unsigned int)(sizeof(struct nvml_memory_v2) | \
				       2u << 24))

struct nvml_pci {		/* nvmlPciInfo_t: the ints are where v1 has them */
	char bus_id_legacy[16];
	unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
	char bus_id[32];
};

struct nvml_process_v1 {	/* nvmlProcessInfo_v1_t */
	unsigned int pid;
	unsigned long long used;
};

struct nvml_process {		/* nvmlProcessInfo_t (_v2, _v3) */
	unsigned int pid;
	unsigned long long used;
	unsigned int gpu_instance_id, compute_instance_id;
};

typedef nvmlReturn_t (*procs_fn)(nvmlDevice_t, unsigned int *, void *);

struct nvml {
	void *lib;
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	const char *(*error_string)(nvmlReturn_t);
	nvmlReturn_t (*count)(unsigned int *);
	nvmlReturn_t (*handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*memory_v2)(nvmlDevice_t, struct nvml_memory_v2 *);
	nvmlReturn_t (*memory)(nvmlDevice_t, struct nvml_memory *);
	nvmlReturn_t (*pci)(nvmlDevice_t, struct nvml_pci *);
	nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned int);
	/* compute, graphics; with the size of their process struct */
	procs_fn procs[2];
	size_t proc_size[2];
};

#define NVML_MAX_PROCS 4096

static void *sym(void *lib, const char *const *names)
{
	void *p = NULL;

	for (; *names && !p; names++)
		p = dlsym(lib, *names);
	return p;
}

/* The newest of each entry point the library has. */
static bool resolve(struct nvml *n)
{
	static const char *const kinds[2] = { "Compute", "Graphics" };
	char v3[64], v2[64], v1[64];
	int k;

	n->init = sym(n->lib, (const char *const[]){ "nvmlInit_v2", "nvmlInit",
						     NULL });
	n->shutdown = sym(n->lib, (const char *const[]){ "nvmlShutdown", NULL });
	n->error_string = sym(n->lib, (const char *const[]){ "nvmlErrorString",
							     NULL });
	n->count = sym(n->lib, (const char *const[]){ "nvmlDeviceGetCount_v2",
						      "nvmlDeviceGetCount", NULL });
	n->handle = sym(n->lib, (const char *const[]){
			"nvmlDeviceGetHandleByIndex_v2",
			"nvmlDeviceGetHandleByIndex", NULL });
	n->memory_v2 = sym(n->lib, (const char *const[]){
			   "nvmlDeviceGetMemoryInfo_v2", NULL });
	n->memory = sym(n->lib, (const char *const[]){
			"nvmlDeviceGetMemoryInfo", NULL });
	n->pci = sym(n->lib, (const char *const[]){ "nvmlDeviceGetPciInfo_v3",
			"nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo", NULL });
	n->name = sym(n->lib, (const char *const[]){ "nvmlDeviceGetName",
						     NULL });
	for (k = 0; k < 2; k++) {
		snprintf(v3, sizeof(v3), "nvmlDeviceGet%sRunningProcesses_v3",
			 kinds[k]);
		snprintf(v2, sizeof(v2), "nvmlDeviceGet%sRunningProcesses_v2",
			 kinds[k]);
		snprintf(v1, sizeof(v1), "nvmlDeviceGet%sRunningProcesses",
			 kinds[k]);
		n->procs[k] = sym(n->lib, (const char *const[]){ v3, v2, NULL });
		n->proc_size[k] = sizeof(struct nvml_process);
		if (!n->procs[k]) {
			n->procs[k] = sym(n->lib, (const char *const[]){ v1,
								       NULL });
			n->proc_size[k] = sizeof(struct nvml_process_v1);
		}
	}
	return n->init && n->shutdown && n->count && n->handle &&
	       (n->memory_v2 || n->memory);
}

static const char *why(const struct nvml *n, nvmlReturn_t r)
{
	const char *s = n->error_string ? n->error_string(r) : NULL;

	return s ? s : "error";
}

/* One GPU's memory: v2 gives the reserved part too. */
static nvmlReturn_t memory(const struct nvml *n, nvmlDevice_t h,
			   struct nvml_memory_v2 *m)
{
	struct nvml_memory v1;
	nvmlReturn_t r = NVML_ERROR_NOT_SUPPORTED;

	memset(m, 0, sizeof(*m));
	m->version = NVML_MEMORY_V2;
	if (n->memory_v2)
		r = n->memory_v2(h, m);
	if (r == NVML_SUCCESS || !n->memory)
		return r;
	r = n->memory(h, &v1);
	m->total = v1.total;
	m->free = v1.free;
	m->used = v1.used;
	m->reserved = 0;
	return r;
}

/* The DRM device of that PCI slot (nvidia-drm), else a new one. */
static int device_for(struct gm_devices *devs, const char *pdev,
		      unsigned int index)
{
	struct gpumem_device *d;
	size_t i;
	int err;

	for (i = 0; i < devs->nr; i++) {
		if (!strcmp(devs->dev[i].pdev, pdev))
			return (int)i;
	}
	err = gm_grow((void **)&devs->dev, &devs->cap, devs->nr + 1,
		      sizeof(*devs->dev));
	if (err)
		return err;
	d = &devs->dev[devs->nr];
	memset(d, 0, sizeof(*d));
	d->index = -1 - (int)index;	/* no DRM node: "nvidiaN" */
	d->render_minor = -1;
	gm_strlcpy(d->pdev, pdev, sizeof(d->pdev));
	return (int)devs->nr++;
}

struct nvml_proc {
	pid_t pid;
	uint64_t bytes;
	bool known;
};

struct nvml_read {
	struct gm_source_ctx *ctx;
	const struct nvml *n;
	struct nvml_proc *procs;
	size_t nr, cap;
	unsigned int gpus, processes, unsupported, not_here;
};

/* pid's entry, the larger figure kept: both lists count the same memory. */
static int merge(struct nvml_read *r, unsigned int pid, uint64_t used)
{
	bool known = used != NVML_VALUE_NOT_AVAILABLE;
	size_t i;
	int err;

	for (i = 0; i < r->nr; i++) {
		if (r->procs[i].pid != (pid_t)pid)
			continue;
		if (known && (!r->procs[i].known || used > r->procs[i].bytes))
			r->procs[i] = (struct nvml_proc){ (pid_t)pid, used, true };
		return 0;
	}
	err = gm_grow((void **)&r->procs, &r->cap, r->nr + 1,
		      sizeof(*r->procs));
	if (!err)
		r->procs[r->nr++] = (struct nvml_proc){ (pid_t)pid,
							known ? used : 0, known };
	return err;
}

/* One list (compute or graphics); INSUFFICIENT_SIZE: once more, larger. */
static nvmlReturn_t list(struct nvml_read *r, nvmlDevice_t h, int k)
{
	const struct nvml *n = r->n;
	unsigned int count = 64, i, tries;
	nvmlReturn_t ret = NVML_ERROR_INSUFFICIENT_SIZE;
	char *buf = NULL;

	if (!n->procs[k])
		return NVML_ERROR_NOT_SUPPORTED;
	for (tries = 0; tries < 2 && ret == NVML_ERROR_INSUFFICIENT_SIZE;
	     tries++) {
		char *nb;

		if (count > NVML_MAX_PROCS)
			count = NVML_MAX_PROCS;
		nb = realloc(buf, (count ? count : 1) * n->proc_size[k]);
		if (!nb)
			break;
		buf = nb;
		ret = n->procs[k](h, &count, buf);
	}
	for (i = 0; ret == NVML_SUCCESS && i < count && i < NVML_MAX_PROCS;
	     i++) {
		struct nvml_process p;

		/* pid and used sit alike in both versions of the struct */
		memcpy(&p, buf + i * n->proc_size[k],
		       sizeof(struct nvml_process_v1));
		if (merge(r, p.pid, p.used))
			ret = -ENOMEM;
	}
	free(buf);
	return ret;
}

/* A process the walk did not find (CUDA holds no DRM fd): added. */
static int hand_out(struct nvml_read *r, int dev, const struct nvml_proc *p)
{
	const struct gm_feed *f = r->ctx->feed;
	char path[32], comm[GPUMEM_NAME_MAX];
	struct gm_text t = { 0 };
	int err = f->gpu_process(f->ctx, p->pid, dev, p->bytes, p->known);
	unsigned int bad = 0;
	size_t len;
	struct gm_status st;

	if (err != -ENOENT)
		return err;
	snprintf(path, sizeof(path), "%d/comm", (int)p->pid);
	err = gm_read_record_at(r->ctx->procfd, path, &t);
	if (err) {
		gm_text_free(&t);
		r->not_here++;		/* another pid namespace, or gone */
		return err == -ENOMEM ? err : 0;
	}
	len = t.len && t.buf[t.len - 1] == '\n' ? t.len - 1 : t.len;
	gm_copy_field(comm, sizeof(comm), t.buf, len);
	snprintf(path, sizeof(path), "%d/status", (int)p->pid);
	gm_read_status_at(r->ctx->procfd, path, &t, GM_READ_KERNEL, &st,
			  &bad);
	gm_text_free(&t);
	err = f->holders->process(f->holders->ctx, p->pid, comm, &st);
	return err ? err : f->gpu_process(f->ctx, p->pid, dev, p->bytes,
					  p->known);
}

static void describe(const struct nvml *n, nvmlDevice_t h,
		     struct gpumem_device *d, const struct nvml_pci *pci)
{
	char name[NVML_NAME_SIZE] = "";

	gm_strlcpy(d->driver, "nvidia", sizeof(d->driver));
	d->vendor_id = pci->pci_device_id & 0xffff;
	d->device_id = pci->pci_device_id >> 16;
	if (n->name && n->name(h, name, sizeof(name)) == NVML_SUCCESS) {
		name[sizeof(name) - 1] = '\0';
		gm_strlcpy(d->name, name, sizeof(d->name));
	}
}

static int one_gpu(struct nvml_read *r, unsigned int index)
{
	const struct nvml *n = r->n;
	struct gm_devices *devs = r->ctx->feed->devs;
	struct nvml_memory_v2 m;
	struct nvml_pci pci = { 0 };
	char pdev[GPUMEM_NAME_MAX] = "";
	nvmlDevice_t h;
	size_t i;
	int dev, k, err = 0;

	if (n->handle(index, &h) != NVML_SUCCESS)
		return 0;
	if (n->pci && n->pci(h, &pci) == NVML_SUCCESS)
		snprintf(pdev, sizeof(pdev), "%04x:%02x:%02x.0",
			 pci.domain & 0xffff, pci.bus & 0xff,
			 pci.device & 0x1f);
	dev = device_for(devs, pdev, index);
	if (dev < 0)
		return dev;
	describe(n, h, &devs->dev[dev], &pci);
	r->gpus++;
	if (memory(n, h, &m) == NVML_SUCCESS) {
		devs->dev[dev].vram_used = m.used;
		devs->dev[dev].vram_total = m.total;
		devs->dev[dev].vram_reserved = m.reserved;
		gm_device_reading(&devs->dev[dev], GPUMEM_ORIGIN_NVML, m.used);
	} else {
		r->unsupported++;
	}
	r->nr = 0;
	for (k = 0; k < 2; k++) {
		nvmlReturn_t ret = list(r, h, k);

		if (ret < 0)
			return ret;
		r->unsupported += ret != NVML_SUCCESS;
	}
	for (i = 0; !err && i < r->nr; i++)
		err = hand_out(r, dev, &r->procs[i]);
	r->processes += (unsigned int)r->nr;
	return err;
}

/*
 * Loading the library and nvmlInit() (which opens the driver's devices)
 * cost more than a sample's calls: done once and kept for the life of
 * the process, as DCGM keeps them.  A failed
 * nvmlInit (the driver not loaded yet: gpumemd starts early at boot), or
 * a device count that fails after it, is tried again at the next sample;
 * a missing or incomplete library is not.
 */
static struct {
	pthread_mutex_t lock;
	bool tried;		/* dlopen() */
	bool usable;		/* and the calls gpumem needs resolved */
	bool up;		/* nvmlInit() succeeded */
	struct nvml n;
} kept = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int walk_gpus(struct nvml_read *r, struct gpumem_source_status *st)
{
	const struct nvml *n = r->n;
	unsigned int count = 0, i;
	nvmlReturn_t ret = kept.up ? NVML_SUCCESS : n->init();
	int err = 0;

	if (ret != NVML_SUCCESS) {
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "NVML: %s: NVIDIA GPUs "
			      "are not seen", why(n, ret));
		return 0;
	}
	kept.up = true;
	ret = n->count(&count);
	for (i = 0; !err && ret == NVML_SUCCESS && i < count; i++)
		err = one_gpu(r, i);
	if (ret != NVML_SUCCESS) {
		n->shutdown();
		kept.up = false;
	}
	if (!err && ret != NVML_SUCCESS)
		gm_source_say(st, GPUMEM_SOURCE_ERROR, "NVML device count: %s",
			      why(n, ret));
	else if (!err)
		gm_source_say(st, GPUMEM_SOURCE_FOUND, "%u GPUs, %u processes "
			      "(%u not in this /proc), %u calls not supported",
			      r->gpus, r->processes, r->not_here,
			      r->unsupported);
	return err;
}

static void load(void)
{
	kept.tried = true;
	kept.n.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	kept.usable = kept.n.lib && resolve(&kept.n);
}

static int read_nvml(struct gm_source_ctx *ctx,
		     struct gpumem_source_status *st)
{
	struct nvml_read r = { .ctx = ctx, .n = &kept.n };
	int err = 0;

	if (!ctx->live) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "not for a --root tree "
			      "(NVML answers for this machine)");
		return 0;
	}
	pthread_mutex_lock(&kept.lock);
	if (!kept.tried)
		load();
	if (!kept.n.lib)
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no libnvidia-ml.so.1 "
			      "(no NVIDIA driver): NVIDIA GPUs are not seen");
	else if (!kept.usable)
		gm_source_say(st, GPUMEM_SOURCE_ERROR, "libnvidia-ml.so.1 lacks "
			      "nvmlInit, nvmlDeviceGetCount or a memory call");
	else
		err = walk_gpus(&r, st);
	pthread_mutex_unlock(&kept.lock);
	free(r.procs);
	return err;
}

const struct gm_source gm_src_nvml = {
	.name = "nvml",
	.what = "NVIDIA GPUs (NVML)",
	.cap = GM_CAP_NONE,	/* the live driver's, not a file */
	.read = read_nvml,
};
