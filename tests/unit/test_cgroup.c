// SPDX-License-Identifier: MIT
/*
 * /proc/PID/cgroup: the path (v2, else v1's name=systemd), and the owner
 * its shape names, for the paths systemd, docker, podman, CRI-O,
 * containerd and the kubelet create; then the snapshot: one cgroup entry
 * per distinct path, what a process without a readable file gets, and the
 * source's status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "sources/sources.h"

#define ID64 "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"
#define UID "8f1b6a4c-2d3e-4f50-9a8b-7c6d5e4f3a2b"
#define UID_ "8f1b6a4c_2d3e_4f50_9a8b_7c6d5e4f3a2b"

static unsigned int parse(const char *text, struct gm_cgroup_line *cg)
{
	unsigned int bad = 0;

	gm_cgroup_parse(text, strlen(text), cg, &bad);
	return bad;
}

static void assert_path(const struct gm_cgroup_line *cg, const char *want)
{
	assert_non_null(cg->path);
	assert_int_equal(cg->len, strlen(want));
	assert_memory_equal(cg->path, want, cg->len);
}

static void test_parse_v2(void **state)
{
	struct gm_cgroup_line cg;

	(void)state;
	assert_int_equal(parse("0::/system.slice/foo.service\n", &cg), 0);
	assert_path(&cg, "/system.slice/foo.service");
	assert_false(cg.v1);
	assert_false(cg.deleted);
	/* A removed cgroup (rmdir while the process is still in it). */
	parse("0::/user.slice/x.scope (deleted)\n", &cg);
	assert_path(&cg, "/user.slice/x.scope");
	assert_true(cg.deleted);
	/* A cgroup namespace shows paths relative to its root. */
	parse("0::/../../system.slice\n", &cg);
	assert_path(&cg, "/../../system.slice");
}

/* The 6.18 host of this rig: hybrid, v2 empty ("0::/"), systemd in v1. */
static void test_parse_v1_and_hybrid(void **state)
{
	static const char hybrid[] =
		"9:name=systemd:/system.slice/docker-" ID64 ".scope\n"
		"8:pids:/\n4:memory:/process_api/bc34405b\n1:cpu:/\n0::/\n";
	static const char legacy[] =
		"12:cpu,cpuacct:/\n1:name=systemd:/system.slice/foo.service\n";
	struct gm_cgroup_line cg;

	(void)state;
	assert_int_equal(parse(hybrid, &cg), 0);
	assert_path(&cg, "/system.slice/docker-" ID64 ".scope");
	assert_true(cg.v1);
	parse(legacy, &cg);
	assert_path(&cg, "/system.slice/foo.service");
	assert_true(cg.v1);
	/* Where v2 says something, v2 wins. */
	parse("1:name=systemd:/a.service\n0::/b.service\n", &cg);
	assert_path(&cg, "/b.service");
	assert_false(cg.v1);
	/* A process in the v2 root and no systemd: the root. */
	parse("0::/\n", &cg);
	assert_path(&cg, "/");
	assert_false(cg.v1);
	/* Only other v1 controllers: nothing to go by. */
	assert_int_equal(gm_cgroup_parse("4:memory:/x\n", 11, &cg,
					 &(unsigned int){ 0 }), 0);
	assert_null(cg.path);
}

static void test_parse_malformed(void **state)
{
	struct gm_cgroup_line cg;

	(void)state;
	assert_int_equal(parse("junk\n0:/x\n0::relative\n:a:/b\n\n"
			       "0::/ok.service\n", &cg), 4);
	assert_path(&cg, "/ok.service");
	assert_int_equal(gm_cgroup_parse("0::/a\0b\n", 8, &cg,
					 &(unsigned int){ 0 }), 0);
	assert_int_equal(gm_cgroup_parse("", 0, &cg, &(unsigned int){ 0 }),
			 0);
}

static struct gpumem_cgroup owner(const char *path)
{
	struct gpumem_cgroup o = { .path = path };

	gm_cgroup_owner(&o);
	return o;
}

static void test_owner_units(void **state)
{
	struct gpumem_cgroup o;

	(void)state;
	o = owner("/system.slice/foo.service");
	assert_int_equal(o.kind, GPUMEM_OWNER_UNIT);
	assert_string_equal(o.unit, "system.slice/foo.service");
	assert_string_equal(o.owner, "system.slice/foo.service");
	o = owner("/user.slice/user-1000.slice/user@1000.service/app.slice/"
		  "app-org.gnome.Terminal-4242.scope");
	assert_string_equal(o.unit,
			    "user@1000.service/app-org.gnome.Terminal-4242.scope");
	o = owner("/user.slice/user-1000.slice/user@1000.service/init.scope");
	assert_string_equal(o.unit, "user@1000.service/init.scope");
	/* The manager itself, when nothing runs below it yet. */
	o = owner("/user.slice/user-1000.slice/user@1000.service");
	assert_string_equal(o.unit, "user@1000.service");
	o = owner("/user.slice/user-1000.slice/session-3.scope");
	assert_string_equal(o.unit, "user-1000.slice/session-3.scope");
	o = owner("/init.scope");
	assert_string_equal(o.unit, "init.scope");
	/* A delegated subtree below a service stays that service's. */
	o = owner("/system.slice/build.service/payload/worker");
	assert_string_equal(o.unit, "system.slice/build.service");
	assert_int_equal(o.kind, GPUMEM_OWNER_UNIT);
}

static void test_owner_unknown(void **state)
{
	struct gpumem_cgroup o;

	(void)state;
	o = owner("/");
	assert_int_equal(o.kind, GPUMEM_OWNER_UNKNOWN);
	assert_string_equal(o.owner, "/");
	assert_string_equal(o.unit, "");
	o = owner("/batch/job17");
	assert_int_equal(o.kind, GPUMEM_OWNER_UNKNOWN);
	assert_string_equal(o.owner, "/batch/job17");
	/* Too short to be an id, a slice is no unit. */
	o = owner("/system.slice/docker-abc.scope/x.slice");
	assert_int_equal(o.kind, GPUMEM_OWNER_UNIT);
	assert_string_equal(o.container_id, "");
}

static void test_owner_containers(void **state)
{
	static const struct {
		const char *path, *runtime;
	} cases[] = {
		{ "/system.slice/docker-" ID64 ".scope", "docker" },
		{ "/docker/" ID64, "docker" },
		{ "/machine.slice/libpod-" ID64 ".scope", "podman" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/"
		  "libpod-" ID64 ".scope/container", "podman" },
		{ "/machine.slice/libpod-conmon-" ID64 ".scope", "podman" },
		{ "/system.slice/crio-" ID64 ".scope", "crio" },
		{ "/system.slice/crio-conmon-" ID64 ".scope", "crio" },
		{ "/system.slice/cri-containerd-" ID64 ".scope", "containerd" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gpumem_cgroup o = owner(cases[i].path);

		assert_int_equal(o.kind, GPUMEM_OWNER_CONTAINER);
		assert_string_equal(o.runtime, cases[i].runtime);
		assert_string_equal(o.container_id, ID64);
		assert_string_equal(o.pod_uid, "");
	}
	assert_string_equal(owner(cases[0].path).owner, "docker 0123456789ab");
	assert_string_equal(owner(cases[1].path).unit, "");
}

static void test_owner_pods(void **state)
{
	struct gpumem_cgroup o;

	(void)state;
	/* The kubelet's systemd driver spells the uid with "_". */
	o = owner("/kubepods.slice/kubepods-burstable.slice/"
		  "kubepods-burstable-pod" UID_ ".slice/"
		  "cri-containerd-" ID64 ".scope");
	assert_int_equal(o.kind, GPUMEM_OWNER_POD);
	assert_string_equal(o.pod_uid, UID);
	assert_string_equal(o.container_id, ID64);
	assert_string_equal(o.runtime, "containerd");
	assert_string_equal(o.owner, "pod " UID);
	/* Guaranteed QoS has no QoS slice. */
	o = owner("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID64
		  ".scope");
	assert_string_equal(o.pod_uid, UID);
	assert_string_equal(o.runtime, "crio");
	/* cgroupfs driver: bare ids, runtime not named. */
	o = owner("/kubepods/besteffort/pod" UID "/" ID64);
	assert_int_equal(o.kind, GPUMEM_OWNER_POD);
	assert_string_equal(o.pod_uid, UID);
	assert_string_equal(o.container_id, ID64);
	assert_string_equal(o.runtime, "");
	/* The pod's own cgroup (its pause process is in a container). */
	o = owner("/kubepods/pod" UID);
	assert_int_equal(o.kind, GPUMEM_OWNER_POD);
	assert_string_equal(o.container_id, "");
	/* "pod..." outside kubepods is nobody's pod. */
	o = owner("/system.slice/pod" UID ".service");
	assert_int_equal(o.kind, GPUMEM_OWNER_UNIT);
	assert_string_equal(o.pod_uid, "");
}

#define FDINFO "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t7\n" \
	"drm-driver:\ti915\ndrm-client-id:\t%d\ndrm-total-local0:\t4096\n"

/* A process holding a DRM client of its own; cgroup NULL: no such file. */
static void holder(struct fx *f, pid_t pid, const char *cgroup)
{
	char comm[16], info[256], path[32];

	snprintf(comm, sizeof(comm), "p%d", (int)pid);
	snprintf(info, sizeof(info), FDINFO, (int)pid);
	fx_process(f, pid, comm);
	fx_fd(f, pid, 3, "/dev/dri/renderD129", info);
	snprintf(path, sizeof(path), "proc/%d/cgroup", (int)pid);
	if (cgroup)
		fx_write(f, path, "%s", cgroup);
}

static void test_snapshot_cgroups(void **state)
{
	struct fx f;
	struct gpumem_snapshot *s;
	const struct gpumem_cgroup *a, *b;
	const struct gpumem_source_status *st;
	size_t nr;

	(void)state;
	fx_init(&f);
	holder(&f, 100, "0::/system.slice/a.service\n");
	holder(&f, 101, "0::/system.slice/a.service\n");
	holder(&f, 102, "0::/system.slice/docker-" ID64 ".scope\n");
	holder(&f, 103, NULL);
	holder(&f, 104, "4:memory:/x\n");
	s = fx_snapshot(&f, 0, 0);
	gpumem_cgroups(s, &nr);
	assert_int_equal(nr, 2);
	a = gpumem_process_cgroup(s, fx_proc(s, 100));
	b = gpumem_process_cgroup(s, fx_proc(s, 101));
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_string_equal(a->path, "/system.slice/a.service");
	assert_int_equal(a->struct_size, sizeof(*a));
	assert_string_equal(gpumem_process_owner(s, fx_proc(s, 102)),
			    "docker 0123456789ab");
	assert_null(gpumem_process_cgroup(s, fx_proc(s, 103)));
	assert_string_equal(gpumem_process_owner(s, fx_proc(s, 103)),
			    "unknown");
	assert_null(gpumem_process_cgroup(s, fx_proc(s, 104)));
	st = fx_source(s, "proc-cgroup");
	assert_int_equal(st->state, GPUMEM_SOURCE_FOUND);
	assert_string_equal(st->detail, "3 processes in cgroup v2, 0 in v1 "
			    "name=systemd, 1 of neither, 0 not readable");
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

/* A kernel without CONFIG_CGROUPS has no such file: said, not failed. */
static void test_snapshot_no_cgroups(void **state)
{
	struct fx f;
	struct gpumem_snapshot *s;
	size_t nr;

	(void)state;
	fx_init(&f);
	holder(&f, 100, NULL);
	holder(&f, 101, NULL);
	s = fx_snapshot(&f, 0, 0);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 2);
	assert_int_equal(fx_source(s, "proc-cgroup")->state,
			 GPUMEM_SOURCE_MISSING);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v2),
		cmocka_unit_test(test_parse_v1_and_hybrid),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_owner_units),
		cmocka_unit_test(test_owner_unknown),
		cmocka_unit_test(test_owner_containers),
		cmocka_unit_test(test_owner_pods),
		cmocka_unit_test(test_snapshot_cgroups),
		cmocka_unit_test(test_snapshot_no_cgroups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
