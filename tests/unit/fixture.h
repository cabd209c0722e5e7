/* SPDX-License-Identifier: MIT */
/*
 * Fake /proc and /sys trees for gpumem_snapshot_take(opts.root): fd entries
 * are symlinks whose target is the text readlink shows on a live system.
 * Every helper asserts (cmocka) instead of returning errors.
 */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "gpumem/gpumem.h"

struct fx {
	char root[PATH_MAX];
};

void fx_init(struct fx *f);
void fx_cleanup(struct fx *f);
/* cmocka setup and teardown: a fresh struct fx in *state. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Writes root/path (parents created) with printf-formatted content. */
void fx_write(struct fx *f, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fx_symlink(struct fx *f, const char *path, const char *target);
void fx_chmod(struct fx *f, const char *path, mode_t mode);
/* Removes root/path, a file or an empty directory, to plant another. */
void fx_remove(struct fx *f, const char *path);
/* root/path as a directory, a FIFO; a sparse file of size bytes (zeros)
 * followed by tail. */
void fx_dir(struct fx *f, const char *path);
void fx_fifo(struct fx *f, const char *path);
void fx_sparse(struct fx *f, const char *path, off_t size, const char *tail);

/* An i915 client's fdinfo: drm-client-id id, drm-total-system0 bytes. */
#define FX_DRM_FDINFO(id, bytes) \
	"pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t1053\n" \
	"drm-driver:\ti915\ndrm-client-id:\t" id "\n" \
	"drm-total-system0:\t" bytes "\n"

/* proc/PID with comm, an empty maps, and empty fd/ and fdinfo/. */
void fx_process(struct fx *f, pid_t pid, const char *comm);
/* proc/PID/fd/FD -> target, proc/PID/fdinfo/FD = fdinfo. */
void fx_fd(struct fx *f, pid_t pid, int fd, const char *target,
	   const char *fdinfo);
void fx_maps(struct fx *f, pid_t pid, const char *maps);

/*
 * sys/devices/DEVPATH/uevent, sys/class/drm/cardN/device -> it, and the
 * same for renderD<render> unless render < 0.
 */
void fx_card(struct fx *f, int card, int render, const char *devpath,
	     const char *uevent);
/* sys/kernel/dmabuf/buffers/INO/{size,exporter_name} */
void fx_sysfs_buf(struct fx *f, uint64_t ino, const char *size,
		  const char *exporter);

/* gpumem_snapshot_take() on the tree; asserts it returns want_err. */
struct gpumem_snapshot *fx_snapshot(struct fx *f, pid_t pid, int want_err);

/* Lookups that fail the test when the object is missing. */
const struct gpumem_process *fx_proc(const struct gpumem_snapshot *s,
				     pid_t pid);
const struct gpumem_client *fx_client(const struct gpumem_snapshot *s,
				      int minor, uint64_t client_id);
const struct gpumem_dmabuf *fx_buf(const struct gpumem_snapshot *s,
				   uint64_t ino);
const struct gpumem_device *fx_device(const struct gpumem_snapshot *s,
				      int card);
const struct gpumem_source_status *fx_source(const struct gpumem_snapshot *s,
					     const char *name);

#endif
