// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_uevent_parse() (a DRM device's uevent in sysfs) on
 * arbitrary text, in an exact-size copy so that a read past the end is
 * caught.  Names stay terminated and within their fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpumem_device d = { 0 };
	char *text = malloc(size ? size : 1);
	unsigned int bad = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	gm_uevent_parse(text, size, &d, &bad);
	if (strnlen(d.driver, sizeof(d.driver)) == sizeof(d.driver) ||
	    strnlen(d.pdev, sizeof(d.pdev)) == sizeof(d.pdev) ||
	    d.vendor_id > 0xffff || d.device_id > 0xffff)
		__builtin_trap();
	free(text);
	return 0;
}
