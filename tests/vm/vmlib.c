// SPDX-License-Identifier: MIT
/* Helpers shared by the gpumem VM test programs; see vmlib.h. */
#define _GNU_SOURCE
#include "vmlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>
#include <virtgpu_drm.h>

#if __has_include(<linux/dma-heap.h>)
#include <linux/dma-heap.h>
#else
struct dma_heap_allocation_data {
	uint64_t len;
	uint32_t fd;
	uint32_t fd_flags;
	uint64_t heap_flags;
};
#define DMA_HEAP_IOCTL_ALLOC _IOWR('H', 0x0, struct dma_heap_allocation_data)
#endif

#if __has_include(<linux/udmabuf.h>)
#include <linux/udmabuf.h>
#else
struct udmabuf_create {
	uint32_t memfd;
	uint32_t flags;
	uint64_t offset;
	uint64_t size;
};
#define UDMABUF_FLAGS_CLOEXEC 0x01
#define UDMABUF_CREATE _IOW('u', 0x42, struct udmabuf_create)
#endif

/* ---- output ------------------------------------------------------------ */

static void vm_vprint(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void vm_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vprint("# ", fmt, ap);
	va_end(ap);
}

bool vm_tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vprint(ok ? "ok - " : "not ok - ", fmt, ap);
	va_end(ap);
	return ok;
}

void vm_tap_skip(const char *name, const char *why)
{
	printf("ok - %s # SKIP %s\n", name, why);
	fflush(stdout);
}

void vm_fatal(const char *name, int err)
{
	printf("not ok - %s # setup failed: %s\n", name, strerror(-err));
	fflush(stdout);
	exit(1);
}

bool vm_patch_listed(const char *nnnn)
{
	const char *list = getenv("GPUMEM_PATCHES");

	return list && strstr(list, nnnn);
}

void vm_tap_feature(bool present, const char *nnnn, bool ok, const char *name)
{
	char why[64];

	if (present) {
		vm_tap(ok, "%s", name);
	} else if (vm_patch_listed(nnnn)) {
		vm_diag("patch %s is in kernel/patches but this kernel lacks its feature",
			nnnn);
		vm_tap(false, "%s", name);
	} else {
		snprintf(why, sizeof(why), "patch %s not present", nnnn);
		vm_tap_skip(name, why);
	}
}

/* ---- files ------------------------------------------------------------- */

int vm_write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (len && write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

ssize_t vm_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			got = -errno;
			break;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

/* ---- DRM / virtio-gpu -------------------------------------------------- */

static int vm_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret < 0 ? -errno : 0;
}

int vm_drm_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vm_drm_gpu_index(int fd)
{
	char path[96];
	struct dirent *de;
	struct stat st;
	int index = -ENOENT;
	DIR *dir;

	if (fstat(fd, &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/drm",
		 major(st.st_rdev), minor(st.st_rdev));
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "card", 4)) {
			index = atoi(de->d_name + 4);
			break;
		}
	}
	closedir(dir);
	return index;
}

/* Whether the last component of the link at path is name. */
static bool vm_link_is(const char *path, const char *name)
{
	char target[128];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	return !strcmp(base ? base + 1 : target, name);
}

/* vgem's platform device has no driver bound: its device name is vgem. */
bool vm_gpu_is(int gpu, const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/drm/card%d/device/driver", gpu);
	if (vm_link_is(path, name))
		return true;
	snprintf(path, sizeof(path), "/sys/class/drm/card%d/device", gpu);
	return vm_link_is(path, name);
}

int vm_dumb_create(int fd, uint32_t width, uint32_t height, uint32_t bpp,
		   uint32_t *handle, uint64_t *size)
{
	struct drm_mode_create_dumb arg = {
		.width = width, .height = height, .bpp = bpp,
	};
	int ret = vm_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &arg);

	if (ret)
		return ret;
	*handle = arg.handle;
	*size = arg.size;
	return 0;
}

int vm_virtgpu_create(int fd, uint32_t target, uint32_t width, uint32_t height,
		      uint32_t depth, uint32_t *handle)
{
	struct drm_virtgpu_resource_create arg = {
		.target = target,
		.format = 2,	/* VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM */
		.bind = 2,	/* VIRGL_BIND_RENDER_TARGET */
		.width = width, .height = height, .depth = depth,
		.array_size = 1,
		.size = width * height * 4,
		.stride = width * 4,
	};
	int ret = vm_ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE, &arg);

	if (ret)
		return ret;
	*handle = arg.bo_handle;
	return 0;
}

int vm_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	return vm_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &arg);
}

static int vm_map_touch(int fd, uint64_t offset, uint64_t size, void **addr)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)offset);

	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0x5a, size);
	*addr = p;
	return 0;
}

int vm_dumb_map(int fd, uint32_t handle, uint64_t size, void **addr)
{
	struct drm_mode_map_dumb arg = { .handle = handle };
	int ret = vm_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg);

	if (ret)
		return ret;
	return vm_map_touch(fd, arg.offset, size, addr);
}

int vm_prime_export(int fd, uint32_t handle, int *dmabuf_fd)
{
	struct drm_prime_handle arg = {
		.handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR,
	};
	int ret = vm_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg);

	if (ret)
		return ret;
	*dmabuf_fd = arg.fd;
	return 0;
}

int vm_prime_import(int fd, int dmabuf_fd, uint32_t *handle)
{
	struct drm_prime_handle arg = { .fd = dmabuf_fd };
	int ret = vm_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg);

	if (ret)
		return ret;
	*handle = arg.handle;
	return 0;
}

/* ---- dma-buf ----------------------------------------------------------- */

int vm_heap_alloc(uint64_t size, int *dmabuf_fd)
{
	struct dma_heap_allocation_data arg = {
		.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap, ret;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	if (heap < 0)
		return -errno;
	ret = vm_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &arg);
	close(heap);
	if (!ret)
		*dmabuf_fd = (int)arg.fd;
	return ret;
}

int vm_udmabuf_create(uint64_t size, int *dmabuf_fd)
{
	struct udmabuf_create arg = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int memfd, dev, ret;

	memfd = memfd_create("gpumem-vm", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, (off_t)size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ret = -errno;
		goto out_memfd;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		ret = -errno;
		goto out_memfd;
	}
	arg.memfd = (uint32_t)memfd;
	ret = ioctl(dev, UDMABUF_CREATE, &arg);
	if (ret < 0) {
		ret = -errno;
	} else {
		*dmabuf_fd = ret;
		ret = 0;
	}
	close(dev);
out_memfd:
	close(memfd);
	return ret;
}

int vm_dmabuf_map(int fd, uint64_t size, void **addr)
{
	return vm_map_touch(fd, 0, size, addr);
}

/* ---- fd passing -------------------------------------------------------- */

int vm_send(int sock, const void *buf, size_t len, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd >= 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int vm_recv(int sock, void *buf, size_t len, int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)len)
		return -EPIPE;
	if (fd)
		*fd = -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_type == SCM_RIGHTS && fd)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	}
	return 0;
}

/* ---- the gpu_mem_total tracepoint -------------------------------------- */

#define VM_EVENT_DIR VM_TRACEFS "/events/gpu_mem/gpu_mem_total"

bool vm_trace_available(void)
{
	return access(VM_EVENT_DIR "/enable", W_OK) == 0;
}

int vm_trace_enable(bool on)
{
	return vm_write_file(VM_EVENT_DIR "/enable", on ? "1" : "0");
}

int vm_trace_open(struct vm_trace *t, unsigned int buffer_kb)
{
	char kb[32];
	int ret;

	memset(t, 0, sizeof(*t));
	t->pipe_fd = -1;
	if (buffer_kb) {
		snprintf(kb, sizeof(kb), "%u", buffer_kb);
		ret = vm_write_file(VM_TRACEFS "/buffer_size_kb", kb);
		if (ret)
			return ret;
	}
	/*
	 * trace_pipe merges the per-CPU buffers by timestamp, and the default
	 * "local" clock is per CPU: two events emitted under one lock on two
	 * CPUs could come out in the wrong order and a stale total win.
	 */
	ret = vm_write_file(VM_TRACEFS "/trace_clock", "global");
	if (ret)
		return ret;
	ret = vm_write_file(VM_TRACEFS "/trace", "");
	if (ret)
		return ret;
	t->pipe_fd = open(VM_TRACEFS "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return t->pipe_fd < 0 ? -errno : 0;
}

void vm_trace_close(struct vm_trace *t)
{
	if (t->pipe_fd >= 0)
		close(t->pipe_fd);
	t->pipe_fd = -1;
}

static struct vm_total *vm_trace_key(struct vm_trace *t, uint32_t gpu, uint32_t pid)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].gpu == gpu && t->keys[i].pid == pid)
			return &t->keys[i];
	}
	if (t->nkeys == VM_TRACE_MAX_KEYS)
		return NULL;
	t->keys[t->nkeys] = (struct vm_total){ .gpu = gpu, .pid = pid };
	return &t->keys[t->nkeys++];
}

static void vm_trace_line(struct vm_trace *t, const char *line)
{
	const char *ev = strstr(line, "gpu_mem_total: ");
	unsigned long long size;
	unsigned int gpu, pid;
	struct vm_total *k;

	if (!ev)
		return;
	if (sscanf(ev, "gpu_mem_total: gpu_id=%u pid=%u size=%llu", &gpu, &pid,
		   &size) != 3) {
		t->unparsed++;
		return;
	}
	t->events++;
	if (size >> 63)
		t->huge++;
	k = vm_trace_key(t, gpu, pid);
	if (!k) {
		t->unparsed++;
		return;
	}
	k->size = size;
}

/* Feed bytes; complete lines are parsed, a trailing fragment is kept. */
static void vm_trace_feed(struct vm_trace *t, const char *buf, size_t len)
{
	const char *nl;
	size_t n;

	while (len) {
		nl = memchr(buf, '\n', len);
		n = nl ? (size_t)(nl - buf) : len;
		if (t->partial_len + n >= sizeof(t->partial))
			n = sizeof(t->partial) - 1 - t->partial_len;
		memcpy(t->partial + t->partial_len, buf, n);
		t->partial_len += n;
		if (!nl)
			return;
		t->partial[t->partial_len] = '\0';
		vm_trace_line(t, t->partial);
		t->partial_len = 0;
		len -= nl + 1 - buf;
		buf = nl + 1;
	}
}

int vm_trace_drain(struct vm_trace *t)
{
	static char buf[1 << 16];
	uint64_t before = t->events;
	ssize_t n;

	for (;;) {
		n = read(t->pipe_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		vm_trace_feed(t, buf, (size_t)n);
	}
	return (int)(t->events - before);
}

void vm_trace_set(struct vm_trace *t, uint32_t gpu, uint32_t pid, uint64_t size)
{
	struct vm_total *k = vm_trace_key(t, gpu, pid);

	if (k)
		k->size = size;
}

bool vm_trace_get(const struct vm_trace *t, uint32_t gpu, uint32_t pid,
		  uint64_t *size)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++) {
		if (t->keys[i].gpu == gpu && t->keys[i].pid == pid) {
			*size = t->keys[i].size;
			return true;
		}
	}
	*size = 0;
	return false;
}

uint64_t vm_trace_overruns(void)
{
	char path[96], buf[1024], *p;
	uint64_t sum = 0;
	int cpu;

	for (cpu = 0; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), VM_TRACEFS "/per_cpu/cpu%d/stats", cpu);
		if (vm_read_file(path, buf, sizeof(buf)) < 0)
			break;
		p = strstr(buf, "overrun:");
		if (p)
			sum += strtoull(p + 8, NULL, 10);
	}
	return sum;
}

/* ---- /proc fdinfo ------------------------------------------------------ */

static uint64_t vm_unit(const char *s, uint64_t v)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "KiB", 3))
		return v << 10;
	if (!strncmp(s, "MiB", 3))
		return v << 20;
	return v;
}

int vm_fdinfo_u64(pid_t pid, int fd, const char *key, uint64_t *val)
{
	char path[64], buf[4096], *line, *end;
	size_t klen = strlen(key);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	n = vm_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (line = buf; line && *line; line = strchr(line, '\n'), line += !!line) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		*val = strtoull(line + klen + 1, &end, 10);
		if (end == line + klen + 1)
			return -EINVAL;
		*val = vm_unit(end, *val);
		return 0;
	}
	return -ENOENT;
}

pid_t vm_spawn(char **argv, int *to, int *from)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		vm_fatal("pipe", -errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		vm_fatal("fork", -errno);
	if (!pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*to = in[1];
	*from = out[0];
	return pid;
}
