/* SPDX-License-Identifier: MIT */
/*
 * What the fw_cfg, PC firmware and ACPI loader tests share (tests/unit/fw_cfg_fixture.c):
 * a fw_cfg device on a port bus over guest RAM at 0, and reading it as firmware does.
 */
#ifndef HVKVM_TEST_FW_CFG_FIXTURE_H
#define HVKVM_TEST_FW_CFG_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "fw_cfg.h"
#include "io.h"
#include "memory.h"

struct fw_cfg_fx {
	uint8_t *ram;		/* the guest's RAM: ram_size bytes at 0, zeroed */
	struct gmem mem;
	struct io_bus bus;
	struct fw_cfg *fc;	/* registered on bus */
};

void fw_cfg_fx_init(struct fw_cfg_fx *x, size_t ram_size);
void fw_cfg_fx_fini(struct fw_cfg_fx *x);
/* A key written to the selector port. */
void fw_cfg_fx_select(struct fw_cfg_fx *x, uint16_t key);
/* n bytes from the data port, one at a time. */
void fw_cfg_fx_read(struct fw_cfg_fx *x, void *dst, size_t n);

#endif
