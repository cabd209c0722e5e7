// SPDX-License-Identifier: MIT
/*
 * A process's dma-buf mappings found two ways, on a process shaped like a
 * real GPU client (a browser or a game has thousands of mappings, most of
 * them its libraries'): the text of /proc/PID/maps, chunk by chunk, and
 * PROCMAP_QUERY (Linux 6.11), which steps over the file mappings and
 * names only those of pseudo filesystems.  gpumem reads each GPU process's maps at every refresh
 * and every process's at each full walk.  Times are this process's CPU
 * time (user + system), the least of a few runs of many reads each, so
 * that load on the machine does not inflate them; the ratio is from one
 * run.  Nothing is asserted.
 *
 * Usage: bench_maps [MAPPINGS]   (default 3000: a browser content process)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gm.h"
#include "sources/sources.h"

#define READS 200
#define RUNS 5

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * Mappings of a library (private, each a path to print), anonymous ones
 * (protections alternate, so that none merge) and a few shared memfds
 * (what the query must name), in the ratio of a browser's maps.
 */
static int map_like_a_client(unsigned int n)
{
	long page = sysconf(_SC_PAGESIZE);
	int lib = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int shm = memfd_create("gpumem-bench", MFD_CLOEXEC);
	unsigned int i;

	if (lib < 0 || shm < 0 || ftruncate(shm, page))
		return -1;
	for (i = 0; i < n; i++) {
		int prot = i % 2 ? PROT_READ : PROT_NONE;
		void *p;

		if (i % 100 == 0)
			p = mmap(NULL, page, PROT_READ, MAP_SHARED, shm, 0);
		else if (i % 3 == 0)
			p = mmap(NULL, page, prot, MAP_PRIVATE, lib, 0);
		else
			p = mmap(NULL, page, prot, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
		if (p == MAP_FAILED)
			return -1;
	}
	return 0;
}

/* CPU seconds per read of pid's maps by way 0 (text) or 1 (query). */
static double per_read(int fd, int way)
{
	struct gm_text chunk = { 0 }, kept = { 0 };
	double best = 1e9;
	int run, i;

	for (run = 0; run < RUNS; run++) {
		double t = cpu_now();

		for (i = 0; i < READS; i++) {
			ssize_t n = way ? gm_maps_query_fd(fd, &kept) :
				    gm_maps_read_fd(fd, &chunk, &kept);

			if (n <= 0) {
				fprintf(stderr, "bench_maps: %s: %s\n",
					way ? "PROCMAP_QUERY" : "maps",
					n ? strerror((int)-n) : "empty");
				exit(1);
			}
		}
		t = (cpu_now() - t) / READS;
		if (t < best)
			best = t;
	}
	gm_text_free(&chunk);
	gm_text_free(&kept);
	return best;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 3000;
	int go[2], status, fd;
	double text, query;
	char path[64], c;
	pid_t child;

	if (pipe(go))
		return 1;
	child = fork();
	if (child == 0) {
		close(go[0]);
		c = map_like_a_client(n) ? 'x' : 'r';
		if (write(go[1], &c, 1) != 1 || c != 'r')
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	if (child < 0 || read(go[0], &c, 1) != 1 || c != 'r') {
		fprintf(stderr, "bench_maps: the mapping child failed\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	text = per_read(fd, 0);
	query = per_read(fd, 1);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	printf("dma-buf mappings of a process with %u mappings, per read: "
	       "maps text %.1f us, PROCMAP_QUERY %.1f us (%.3fx)\n", n,
	       text * 1e6, query * 1e6, query / text);
	return 0;
}
