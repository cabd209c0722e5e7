// SPDX-License-Identifier: MIT
/*
 * Who asks: the kernel's word (SO_PEERCRED, SO_PEERGROUPS), taken when the
 * client connected, never anything the client says.  Root and members of
 * the group see everything; anyone else the device totals and their own
 * processes (the real uid of /proc/PID/status, proc_status.c).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "gpumemd.h"

static gid_t group_gid;
static bool group_found;

int gmd_access_init(const char *group)
{
	struct group *g;

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
