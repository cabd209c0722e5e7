// SPDX-License-Identifier: MIT
/*
 * Who asks: the kernel's word (SO_PEERCRED, SO_PEERGROUPS), taken when the
 * client connected, never anything the client says.  Root and members of
 * the group see everything; anyone else the device totals and their own
 * processes (the real uid of /proc/PID/status, proc_status.c).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gpumemd.h"

static gid_t group_gid;
static bool group_found;

/*
 * /etc/group first, where systemd-sysusers writes the group: getgrnam()
 * loads the NSS modules of nsswitch.conf for it (libnss_systemd and what
 * it links: 400 KiB of gpumemd's RSS, for good).  Other databases (LDAP,
 * NIS) only when it is not there.
 */
static int group_file_gid(const char *group, gid_t *gid)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *g;
	int err = -ENOENT;

	while (f && (g = fgetgrent(f))) {
		if (!strcmp(g->gr_name, group)) {
			*gid = g->gr_gid;
			err = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return err;
}

int gmd_access_init(const char *group)
{
	struct group *g;

	if (!group_file_gid(group, &group_gid)) {
		group_found = true;
		return 0;
	}
	errno = 0;
	g = getgrnam(group);
	if (!g)
		return errno ? -errno : -ENOENT;
	group_gid = g->gr_gid;
	group_found = true;
	return 0;
}

/* SO_PEERGROUPS (Linux 4.13): the supplementary groups of the peer. */
static bool peer_in_group(int fd, gid_t primary)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	size_t i;

	if (!group_found)
		return false;
	if (primary == group_gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (i = 0; i < len / sizeof(groups[0]); i++) {
		if (groups[i] == group_gid)
			return true;
	}
	return false;
}

int gmd_peer_of(int fd, struct gmd_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	peer->pid = cred.pid;
	peer->uid = cred.uid;
	peer->all = cred.uid == 0 || peer_in_group(fd, cred.gid);
	return 0;
}
