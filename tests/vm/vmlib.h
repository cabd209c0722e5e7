/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the programs that run inside the gpumem test VM:
 * DRM / virtio-gpu / dma-buf allocation, fd passing, TAP output, the
 * gpu_mem_total tracepoint reader and /proc fdinfo parsing.
 *
 * Functions return 0 (or a non-negative value) on success and a negative
 * errno on failure, unless documented otherwise.
 */
#ifndef GPUMEM_VMLIB_H
#define GPUMEM_VMLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VM_PAGE_SIZE 4096ULL
#define VM_PAGE_ALIGN(x) (((x) + VM_PAGE_SIZE - 1) & ~(VM_PAGE_SIZE - 1))
#define VM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define VM_CARD "/dev/dri/card0"
#define VM_RENDER "/dev/dri/renderD128"
/* The second virtio-gpu device (tests/vm/run.sh boots two). */
#define VM_CARD1 "/dev/dri/card1"
#define VM_RENDER1 "/dev/dri/renderD129"
/* vgem, built in and linked after virtio-gpu (kernel/rig/) */
#define VM_VGEM "/dev/dri/card2"
#define VM_TRACEFS "/sys/kernel/tracing"

/* ---- output ------------------------------------------------------------ */

/* "# ..." diagnostic line on stdout. */
void vm_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One TAP result "ok - name" / "not ok - name"; returns ok. */
bool vm_tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ok - name # SKIP why". */
void vm_tap_skip(const char *name, const char *why);
/* Print "not ok - name # err" and exit(1): for broken test setup. */
void vm_fatal(const char *name, int err) __attribute__((noreturn));
/* Runs argv with pipes to its stdin (*to) and from its stdout (*from). */
pid_t vm_spawn(char **argv, int *to, int *from);

/*
 * Whether kernel/patches/<nnnn>-*.patch existed on the host when the VM
 * image was built (GPUMEM_PATCHES, set by /init from the kernel command
 * line).  A test of a listed patch's feature must fail, not skip, when the
 * feature is missing.
 */
bool vm_patch_listed(const char *nnnn);
/*
 * Report a test whose feature may be missing: skip when the feature is
 * absent and patch nnnn is not in the series, else report ok.
 */
void vm_tap_feature(bool present, const char *nnnn, bool ok, const char *name);

/* ---- files ------------------------------------------------------------- */

int vm_write_file(const char *path, const char *val);
/* Read a whole small file into buf (NUL-terminated); returns length. */
ssize_t vm_read_file(const char *path, char *buf, size_t len);

/* ---- DRM / virtio-gpu -------------------------------------------------- */

int vm_drm_open(const char *path);
/* DRM primary minor index (cardN) of the device behind a card or render fd. */
int vm_drm_gpu_index(int fd);
/* Whether the driver (or the device) of /sys/class/drm/card<gpu> is name. */
bool vm_gpu_is(int gpu, const char *name);
/* MODE_CREATE_DUMB, bpp bits per pixel; *size is the kernel's object size. */
int vm_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t bpp,
		   uint32_t *handle, uint64_t *size);
/* VIRTGPU_RESOURCE_CREATE (2D target unless target != 2, B8G8R8X8). */
int vm_virtgpu_create(int fd, uint32_t target, uint32_t width, uint32_t height,
		      uint32_t depth, uint32_t *handle);
int vm_gem_close(int fd, uint32_t handle);
/* MODE_MAP_DUMB + mmap of the whole object, written once. */
int vm_dumb_map(int fd, uint32_t handle, uint64_t size, void **addr);
int vm_prime_export(int fd, uint32_t handle, int *dmabuf_fd);
int vm_prime_import(int fd, int dmabuf_fd, uint32_t *handle);

/* ---- dma-buf ----------------------------------------------------------- */

/* /dev/dma_heap/system */
int vm_heap_alloc(uint64_t size, int *dmabuf_fd);
/* memfd (F_SEAL_SHRINK) turned into a dma-buf by /dev/udmabuf */
int vm_udmabuf_create(uint64_t size, int *dmabuf_fd);
/* mmap a dma-buf fd shared and touch every page */
int vm_dmabuf_map(int fd, uint64_t size, void **addr);

/* ---- fd passing over AF_UNIX (SCM_RIGHTS) ------------------------------ */

/* Send len bytes, with fd attached when fd >= 0. */
int vm_send(int sock, const void *buf, size_t len, int fd);
/* Receive exactly len bytes; *fd gets a passed fd or -1 (fd may be NULL). */
int vm_recv(int sock, void *buf, size_t len, int *fd);

/* ---- the gpu_mem_total tracepoint -------------------------------------- */

#define VM_TRACE_MAX_KEYS 256

struct vm_total {
	uint32_t gpu;
	uint32_t pid;
	uint64_t size;		/* latest value */
};

struct vm_trace {
	int pipe_fd;
	size_t nkeys;
	struct vm_total keys[VM_TRACE_MAX_KEYS];
	uint64_t events;	/* gpu_mem_total events parsed */
	uint64_t huge;		/* events with size >= 2^63 ("negative") */
	uint64_t unparsed;	/* lines that did not parse */
	char partial[256];	/* incomplete last line of the previous read */
	size_t partial_len;
};

bool vm_trace_available(void);
/* Enable or disable events/gpu_mem/gpu_mem_total. */
int vm_trace_enable(bool on);
/* Clear the ring buffer, set its per-cpu size (0 keeps it), open trace_pipe. */
int vm_trace_open(struct vm_trace *t, unsigned int buffer_kb);
void vm_trace_close(struct vm_trace *t);
/* Read everything trace_pipe has now; returns the number of new events. */
int vm_trace_drain(struct vm_trace *t);
/* Latest size reported for (gpu, pid); false if never reported. */
bool vm_trace_get(const struct vm_trace *t, uint32_t gpu, uint32_t pid,
		  uint64_t *size);
/* Set the latest size of (gpu, pid), as a snapshot read by a late reader. */
void vm_trace_set(struct vm_trace *t, uint32_t gpu, uint32_t pid, uint64_t size);
/* Sum of the per-cpu "overrun" counters: events lost by the ring buffer. */
uint64_t vm_trace_overruns(void);

/* ---- /proc fdinfo ------------------------------------------------------ */

/*
 * Value of "key:" in /proc/pid/fdinfo/fd.  DRM values with a " KiB" or
 * " MiB" unit are converted to bytes.  -ENOENT if the key is absent.
 */
int vm_fdinfo_u64(pid_t pid, int fd, const char *key, uint64_t *val);

#endif /* GPUMEM_VMLIB_H */
