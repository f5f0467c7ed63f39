/* SPDX-License-Identifier: MIT */
#include "fw_cfg_fixture.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

void fw_cfg_fx_init(struct fw_cfg_fx *x, size_t ram_size)
{
	struct gmem_region r = { .gpa = 0, .size = ram_size };

	memset(x, 0, sizeof(*x));
	x->ram = calloc(1, ram_size);
	ck_assert_ptr_nonnull(x->ram);
	r.host = x->ram;
	ck_assert_int_eq(gmem_init_regions(&x->mem, &r, 1), 0);
	io_bus_init(&x->bus, "port");
	x->fc = fw_cfg_new(&x->mem);
	ck_assert_ptr_nonnull(x->fc);
	ck_assert_int_eq(fw_cfg_register(x->fc, &x->bus), 0);
}

void fw_cfg_fx_fini(struct fw_cfg_fx *x)
{
	fw_cfg_free(x->fc);
	x->fc = NULL;
	gmem_destroy(&x->mem);
	free(x->ram);
	x->ram = NULL;
}

void fw_cfg_fx_select(struct fw_cfg_fx *x, uint16_t key)
{
	uint64_t v = key;

	ck_assert(io_bus_access(&x->bus, FW_CFG_PORT_SEL, &v, 2, true));
}

void fw_cfg_fx_read(struct fw_cfg_fx *x, void *dst, size_t n)
{
	uint8_t *d = dst;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = 0;

		ck_assert(io_bus_access(&x->bus, FW_CFG_PORT_DATA, &v, 1, false));
		d[i] = (uint8_t)v;
	}
}
