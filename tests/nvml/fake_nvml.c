// SPDX-License-Identifier: MIT
/*
 * A fake libnvidia-ml.so.1 for the tests: the NVML calls gpumem makes,
 * answering from the script named by $FAKE_NVML, one line each:
 *   init RET                      what nvmlInit returns
 *   gpu TOTAL USED RESERVED PCIID DOMAIN BUS DEV NAME...
 *   mem RET                       what the memory calls return
 *   compute RET PID:BYTES...      (BYTES "na": NVML_VALUE_NOT_AVAILABLE)
 *   graphics RET PID:BYTES...
 * (gpu, mem, compute, graphics apply to the last gpu line).  Each nvmlInit
 * and nvmlShutdown appends a line to $FAKE_NVML_LOG, when set.  Built twice:
 * as today's library, and with -DFAKE_OLD as an old driver's, which has
 * only the first version of each call (a 16-byte process struct, no
 * reserved memory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GPUS 4
#define MAX_PROCS 16

struct proc {
	unsigned int pid;
	unsigned long long used;
};

struct gpu {
	unsigned long long total, used, reserved;
	unsigned int pci_id, domain, bus, dev;
	char name[96];
	int mem_ret, ret[2];
	struct proc procs[2][MAX_PROCS];
	unsigned int nr[2];
};

static struct gpu gpus[MAX_GPUS];
static unsigned int nr_gpus;
static int init_ret;

static void procs_line(struct gpu *g, int k, char *rest)
{
	char *tok;

	g->ret[k] = (int)strtol(rest, &rest, 10);
	while ((tok = strtok(rest, " \n")) && g->nr[k] < MAX_PROCS) {
		struct proc *p = &g->procs[k][g->nr[k]++];
		char *colon = strchr(tok, ':');

		rest = NULL;
		p->pid = (unsigned int)strtoul(tok, NULL, 10);
		p->used = colon && strcmp(colon + 1, "na") ?
			  strtoull(colon + 1, NULL, 10) : ~0ull;
	}
}

static void load(void)
{
	const char *path = getenv("FAKE_NVML");
	char line[512];
	FILE *f = path ? fopen(path, "r") : NULL;

	nr_gpus = 0;
	init_ret = f ? 0 : 9;	/* NVML_ERROR_DRIVER_NOT_LOADED */
	while (f && fgets(line, sizeof(line), f)) {
		struct gpu *g = nr_gpus ? &gpus[nr_gpus - 1] : NULL;
		int n = 0;

		if (!strncmp(line, "init ", 5)) {
			init_ret = atoi(line + 5);
		} else if (!strncmp(line, "gpu ", 4) && nr_gpus < MAX_GPUS) {
			g = &gpus[nr_gpus++];
			memset(g, 0, sizeof(*g));
			sscanf(line + 4, "%llu %llu %llu %x %x %x %x %n", &g->total,
			       &g->used, &g->reserved, &g->pci_id, &g->domain,
			       &g->bus, &g->dev, &n);
			snprintf(g->name, sizeof(g->name), "%.*s",
				 (int)strcspn(line + 4 + n, "\n"), line + 4 + n);
		} else if (g && !strncmp(line, "mem ", 4)) {
			g->mem_ret = atoi(line + 4);
		} else if (g && !strncmp(line, "compute ", 8)) {
			procs_line(g, 0, line + 8);
		} else if (g && !strncmp(line, "graphics ", 9)) {
			procs_line(g, 1, line + 9);
		}
	}
	if (f)
		fclose(f);
}

typedef struct gpu *nvmlDevice_t;

static void log_call(const char *name)
{
	const char *path = getenv("FAKE_NVML_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;

	if (f) {
		fprintf(f, "%s\n", name);
		fclose(f);
	}
}

static int do_init(void)
{
	log_call("init");
	load();
	return init_ret;
}

int nvmlShutdown(void);
int nvmlShutdown(void)
{
	log_call("shutdown");
	return 0;
}

const char *nvmlErrorString(int r);
const char *nvmlErrorString(int r)
{
	return r == 3 ? "Not Supported" : r == 9 ? "Driver Not Loaded" :
	       "Unknown Error";
}

static int count(unsigned int *n)
{
	*n = nr_gpus;
	return 0;
}

static int handle(unsigned int i, nvmlDevice_t *h)
{
	if (i >= nr_gpus)
		return 2;
	*h = &gpus[i];
	return 0;
}

struct memory {
	unsigned long long total, free, used;
};

int nvmlDeviceGetMemoryInfo(nvmlDevice_t h, struct memory *m);
int nvmlDeviceGetMemoryInfo(nvmlDevice_t h, struct memory *m)
{
	if (h->mem_ret)
		return h->mem_ret;
	m->total = h->total;
	m->used = h->used;
	m->free = h->total - h->used;
	return 0;
}

struct pci {
	char legacy[16];
	unsigned int domain, bus, device, pci_device_id, subsys;
	char bus_id[32];
};

int nvmlDeviceGetPciInfo(nvmlDevice_t h, struct pci *p);
int nvmlDeviceGetPciInfo(nvmlDevice_t h, struct pci *p)
{
	memset(p, 0, sizeof(*p));
	p->domain = h->domain;
	p->bus = h->bus;
	p->device = h->dev;
	p->pci_device_id = h->pci_id;
	return 0;
}

int nvmlDeviceGetName(nvmlDevice_t h, char *name, unsigned int len);
int nvmlDeviceGetName(nvmlDevice_t h, char *name, unsigned int len)
{
	snprintf(name, len, "%s", h->name);
	return 0;
}

/* Fills n entries of size bytes each; the pid and the bytes lead. */
static int list(nvmlDevice_t h, int k, unsigned int *n, void *infos,
		size_t size)
{
	unsigned int i;

	if (h->ret[k])
		return h->ret[k];
	if (*n < h->nr[k]) {
		*n = h->nr[k];
		return 7;	/* NVML_ERROR_INSUFFICIENT_SIZE */
	}
	memset(infos, 0, *n * size);
	for (i = 0; i < h->nr[k]; i++) {
		char *e = (char *)infos + i * size;

		memcpy(e, &h->procs[k][i].pid, sizeof(unsigned int));
		memcpy(e + 8, &h->procs[k][i].used, sizeof(unsigned long long));
	}
	*n = h->nr[k];
	return 0;
}

#define V1 16
#define V2 24

#define PROCS(name, k, size) \
	int name(nvmlDevice_t h, unsigned int *n, void *infos); \
	int name(nvmlDevice_t h, unsigned int *n, void *infos) \
	{ \
		return list(h, k, n, infos, size); \
	}

PROCS(nvmlDeviceGetComputeRunningProcesses, 0, V1)
PROCS(nvmlDeviceGetGraphicsRunningProcesses, 1, V1)

int nvmlInit(void);
int nvmlInit(void)
{
	return do_init();
}

int nvmlDeviceGetCount(unsigned int *n);
int nvmlDeviceGetCount(unsigned int *n)
{
	return count(n);
}

int nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *h);
int nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *h)
{
	return handle(i, h);
}

#ifndef FAKE_OLD
PROCS(nvmlDeviceGetComputeRunningProcesses_v3, 0, V2)
PROCS(nvmlDeviceGetGraphicsRunningProcesses_v3, 1, V2)
PROCS(nvmlDeviceGetComputeRunningProcesses_v2, 0, V2)
PROCS(nvmlDeviceGetGraphicsRunningProcesses_v2, 1, V2)

int nvmlInit_v2(void);
int nvmlInit_v2(void)
{
	return do_init();
}

int nvmlDeviceGetCount_v2(unsigned int *n);
int nvmlDeviceGetCount_v2(unsigned int *n)
{
	return count(n);
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *h);
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *h)
{
	return handle(i, h);
}

struct memory_v2 {
	unsigned int version;
	unsigned long long total, reserved, free, used;
};

int nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t h, struct memory_v2 *m);
int nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t h, struct memory_v2 *m)
{
	if (h->mem_ret)
		return h->mem_ret;
	if (m->version != (sizeof(*m) | 2u << 24))
		return 25;	/* NVML_ERROR_ARGUMENT_VERSION_MISMATCH */
	m->total = h->total;
	m->reserved = h->reserved;
	m->used = h->used;
	m->free = h->total - h->used - h->reserved;
	return 0;
}
#endif
