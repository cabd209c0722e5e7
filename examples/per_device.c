// SPDX-License-Identifier: MIT
/*
 * Each process's GPU memory per device and per kind of memory, through
 * libgpumem only: the question a two-GPU machine asks first.
 *
 *   per_device [ROOT]      ROOT: a capture or fixture tree; default: /
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <gpumem/gpumem.h>

static void print_process(const struct gpumem_snapshot *s,
			  const struct gpumem_process *p)
{
	const struct gpumem_process_device *pd;
	const struct gpumem_device *devs;
	size_t i, nr, nr_devs;
	int k;

	devs = gpumem_devices(s, &nr_devs);
	pd = gpumem_process_devices(s, p, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_process_device *d = gpumem_at(pd, i);
		int card = d->device >= 0 && (size_t)d->device < nr_devs ?
			   gpumem_at(devs, d->device)->index : -1;

		printf("%d\t%s\tcard%d\t%" PRIu64 "\t%" PRIu64, (int)p->pid,
		       p->comm, card, d->rss_bytes, d->pss_bytes);
		for (k = 0; k < GPUMEM_KIND_COUNT; k++)
			printf("\t%s=%" PRIu64, gpumem_kind_name(k),
			       d->by_kind[k]);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT,
				    .root = argc > 1 ? argv[1] : NULL };
	const struct gpumem_process *procs;
	struct gpumem_snapshot *s;
	size_t i, nr;
	int err;

	err = gpumem_snapshot_take(&opts, &s);
	if (err) {
		fprintf(stderr, "per_device: %s\n", strerror(-err));
		return 1;
	}
	printf("PID\tCOMM\tDEVICE\tRSS\tPSS\tBY KIND (RSS)\n");
	procs = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++)
		print_process(s, gpumem_at(procs, i));
	gpumem_snapshot_free(s);
	return fflush(stdout) ? 1 : 0;
}
