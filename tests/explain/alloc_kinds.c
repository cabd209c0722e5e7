// SPDX-License-Identifier: MIT
/*
 * alloc_kinds: holds MIB MiB of one kind of memory for the explain proof
 * (tests/vm/tests.d/05-explain.sh), creates READY when everything is in
 * place, and holds it until SIGTERM.
 *
 *   alloc_kinds KIND MIB READY
 *
 * KIND: dumb     virtio-gpu dumb buffers (card0), GEM handles held
 *       prime    the same, exported; the dma-buf fds held by a child,
 *                the exporter keeps its handles
 *       heap     /dev/dma_heap/system buffers held by fd
 *       heapmap  the same, mapped, written, then the fds closed
 *       udmabuf  udmabufs over a memfd that stays open
 *       mix      MIB split over the five kinds above
 * Buffers are made in chunks of at most 4 MiB.  Exit status 0 after
 * SIGTERM, 1 with a message on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm.h>
#include <drm_mode.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#define CHUNK (4ul << 20)
#define PAGE 4096ul

static void die(const char *what)
{
	fprintf(stderr, "alloc_kinds: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(path);
	return fd;
}

/* A dumb buffer of exactly len bytes: 1024 pixels of 4 bytes per row. */
static uint32_t dumb(int card, size_t len)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = len / PAGE, .bpp = 32,
	};

	if (ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		die("DRM_IOCTL_MODE_CREATE_DUMB");
	if (c.size != len) {
		errno = EINVAL;
		die("dumb buffer size");
	}
	return c.handle;
}

static void alloc_dumb(size_t len)
{
	static int card = -1;

	if (card < 0)
		card = open_or_die("/dev/dri/card0");
	for (; len; len -= len < CHUNK ? len : CHUNK)
		dumb(card, len < CHUNK ? len : CHUNK);
}

/* The child holds the dma-buf fds; the parent keeps the handles. */
static void alloc_prime(size_t len)
{
	int card = open_or_die("/dev/dri/card0");
	int fds[1024], n = 0, i;
	pid_t pid;

	for (; len && n < 1024; len -= len < CHUNK ? len : CHUNK) {
		struct drm_prime_handle p = {
			.handle = dumb(card, len < CHUNK ? len : CHUNK),
			.flags = DRM_RDWR,
		};

		if (ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
			die("DRM_IOCTL_PRIME_HANDLE_TO_FD");
		fds[n++] = p.fd;
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(card);
		pause();
		_exit(0);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
}

static int heap_buf(int heap, size_t len)
{
	struct dma_heap_allocation_data a = {
		.len = len, .fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a))
		die("DMA_HEAP_IOCTL_ALLOC");
	return (int)a.fd;
}

static void alloc_heap(size_t len, bool map)
{
	int heap = open_or_die("/dev/dma_heap/system");

	for (; len; len -= len < CHUNK ? len : CHUNK) {
		size_t n = len < CHUNK ? len : CHUNK;
		int fd = heap_buf(heap, n);
		void *p;

		if (!map)
			continue;
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			die("mmap dma-buf");
		memset(p, 0x5a, n);
		close(fd);
	}
	close(heap);
}

static void alloc_udmabuf(size_t len)
{
	int dev = open_or_die("/dev/udmabuf");
	int memfd = memfd_create("explain", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	size_t off;

	if (memfd < 0)
		die("memfd_create");
	if (ftruncate(memfd, (off_t)len))
		die("ftruncate memfd");
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		die("F_SEAL_SHRINK");
	for (off = 0; off < len; off += CHUNK) {
		struct udmabuf_create c = {
			.memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC,
			.offset = off, .size = len - off < CHUNK ? len - off : CHUNK,
		};

		if (ioctl(dev, UDMABUF_CREATE, &c) < 0)
			die("UDMABUF_CREATE");
	}
	close(dev);
}

static void alloc_kind(const char *kind, size_t len)
{
	if (!strcmp(kind, "dumb"))
		alloc_dumb(len);
	else if (!strcmp(kind, "prime"))
		alloc_prime(len);
	else if (!strcmp(kind, "heap") || !strcmp(kind, "heapmap"))
		alloc_heap(len, kind[4] == 'm');
	else if (!strcmp(kind, "udmabuf"))
		alloc_udmabuf(len);
	else {
		fprintf(stderr, "alloc_kinds: unknown kind '%s'\n", kind);
		exit(1);
	}
}

static void alloc_mix(size_t len)
{
	static const char *const kinds[] = {
		"dumb", "prime", "heap", "heapmap", "udmabuf",
	};
	size_t part = len / 5 / PAGE * PAGE;
	int i;

	for (i = 0; i < 4; i++)
		alloc_kind(kinds[i], part);
	alloc_kind(kinds[4], len - 4 * part);
}

static void on_term(int sig)
{
	(void)sig;
	kill(0, SIGTERM);
	_exit(0);
}

int main(int argc, char **argv)
{
	size_t len;
	int fd;

	if (argc != 4 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: alloc_kinds KIND MIB READY\n");
		return 1;
	}
	len = (size_t)atol(argv[2]) << 20;
	setpgid(0, 0);
	signal(SIGTERM, on_term);
	if (!strcmp(argv[1], "mix"))
		alloc_mix(len);
	else
		alloc_kind(argv[1], len);
	fd = open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die(argv[3]);
	close(fd);
	for (;;)
		pause();
}
