/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg (src/devices/fw_cfg.c) as a guest drives it: any port accesses, and DMA
 * requests with any control word, length and addresses, in RAM, across its ends or
 * nowhere. Checked: a request whose control word is RAM completes with 0 or ERROR
 * there; guest writes reach only the writable file, and only inside it; the device
 * still answers with its signature and the read-only file's bytes afterwards.
 */
#include "fuzz.h"
#include "byteorder.h"
#include "fw_cfg.h"
#include "io.h"
#include "memory.h"

#define RO_LEN		300
#define RW_LEN		16

static uint8_t low[FZ_CF_LOW] __attribute__((aligned(4096)));
static uint8_t high[FZ_CF_HIGH] __attribute__((aligned(4096)));
static uint8_t ro[RO_LEN];
static struct gmem mem;
static unsigned writes;

static void on_write(void *opaque, const char *name, const uint8_t *data, size_t size,
		     uint32_t off, uint32_t len)
{
	(void)opaque, (void)data;
	FZ_CHECK(!strcmp(name, "etc/rw"), "write callback for %s", name);
	FZ_CHECK(size == RW_LEN && len > 0 && off <= size && len <= size - off,
		 "write of %u at %u into %zu bytes", len, off, size);
	writes++;
}

static uint64_t port_in(struct io_bus *bus, uint16_t port, unsigned size)
{
	uint64_t v = 0;

	FZ_CHECK(io_bus_access(bus, port, &v, size, false), "port 0x%x unclaimed", port);
	return v;
}

static void port_out(struct io_bus *bus, uint16_t port, uint64_t v, unsigned size)
{
	FZ_CHECK(io_bus_access(bus, port, &v, size, true), "port 0x%x unclaimed", port);
}

static uint8_t *ram_at(uint64_t gpa, uint64_t len)
{
	return gmem_ptr(&mem, gpa, len);
}

static void dma(struct io_bus *bus, struct fz *in)
{
	uint8_t where = fz_u8(in);
	uint64_t desc;
	uint32_t control = fz_u32(in), length = fz_u32(in);
	uint64_t address = fz_u64(in);
	uint8_t *d;

	if (where == 0)
		desc = fz_u16(in) % FZ_CF_LOW;
	else if (where == 1)
		desc = GMEM_HIGH_BASE + fz_u16(in) % FZ_CF_HIGH;
	else
		desc = fz_u64(in);
	d = ram_at(desc, sizeof(struct fw_cfg_dma_access));
	if (d) {
		put_be32(d, control);
		put_be32(d + 4, length);
		put_be64(d + 8, address);
	}
	port_out(bus, FW_CFG_PORT_DMA, __builtin_bswap32((uint32_t)(desc >> 32)), 4);
	port_out(bus, FW_CFG_PORT_DMA + 4, __builtin_bswap32((uint32_t)desc), 4);
	d = ram_at(desc, 4);
	if (d) {
		uint32_t c = get_be32(d);

		FZ_CHECK(c == 0 || c == FW_CFG_DMA_CTL_ERROR, "control 0x%x after a request", c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct fz in = { data, size };
	struct io_bus bus;
	struct fw_cfg *c;
	uint16_t ro_key;
	uint8_t b[RO_LEN];

	fuzz_quiet_logs();
	if (!initialized) {
		struct gmem_region r[2] = {
			{ 0, FZ_CF_LOW, low, 0 },
			{ GMEM_HIGH_BASE, FZ_CF_HIGH, high, 0 },
		};

		FZ_CHECK(gmem_init_regions(&mem, r, 2) == 0, "gmem");
		for (unsigned i = 0; i < RO_LEN; i++)
			ro[i] = (uint8_t)(i * 7 + 1);
		initialized = true;
	}
	memset(low, 0, sizeof(low));
	memset(high, 0, sizeof(high));
	writes = 0;

	io_bus_init(&bus, "port");
	c = fw_cfg_new(&mem);
	FZ_CHECK(c, "fw_cfg_new");
	FZ_CHECK(fw_cfg_register(c, &bus) == 0, "register");
	FZ_CHECK(fw_cfg_add_u16(c, FW_CFG_NB_CPUS, 2) == 0, "item");
	FZ_CHECK(fw_cfg_add_u64(c, FW_CFG_RAM_SIZE, FZ_CF_LOW + FZ_CF_HIGH) == 0, "item");
	FZ_CHECK(fw_cfg_add_file(c, "etc/ro", ro, RO_LEN) == 0, "ro file");
	{
		uint8_t zero[RW_LEN] = { 0 };

		FZ_CHECK(fw_cfg_add_file_writable(c, "etc/rw", zero, RW_LEN, on_write, NULL) == 0,
			 "rw file");
	}
	ro_key = fw_cfg_file_key(c, "etc/ro");

	while (in.n) {
		switch (fz_u8(&in) % CF_OP_COUNT) {
		case CF_OP_WRITE_MEM: {
			uint16_t off = fz_u16(&in) % FZ_CF_LOW;
			uint8_t len = fz_u8(&in);

			if (len > FZ_CF_LOW - off)
				len = (uint8_t)(FZ_CF_LOW - off);
			fz_bytes(&in, low + off, len);
			break;
		}
		case CF_OP_OUT: {
			uint16_t port = FW_CFG_PORT_BASE + fz_u8(&in) % FW_CFG_PORT_LEN;
			unsigned sz = 1u << (fz_u8(&in) % 3);
			uint32_t v = fz_u32(&in);

			if (port + sz <= FW_CFG_PORT_BASE + FW_CFG_PORT_LEN)
				port_out(&bus, port, v, sz);
			break;
		}
		case CF_OP_IN: {
			uint16_t port = FW_CFG_PORT_BASE + fz_u8(&in) % FW_CFG_PORT_LEN;
			unsigned sz = 1u << (fz_u8(&in) % 3);

			if (port + sz <= FW_CFG_PORT_BASE + FW_CFG_PORT_LEN)
				port_in(&bus, port, sz);
			break;
		}
		case CF_OP_DMA:
			dma(&bus, &in);
			break;
		case CF_OP_RESET:
			fw_cfg_reset(c);
			break;
		}
	}

	/* Whatever happened, the device answers as it did. */
	fw_cfg_reset(c);
	for (unsigned i = 0; i < 4; i++)
		b[i] = (uint8_t)port_in(&bus, FW_CFG_PORT_DATA, 1);
	FZ_CHECK(!memcmp(b, "QEMU", 4), "signature");
	port_out(&bus, FW_CFG_PORT_SEL, ro_key, 2);
	for (unsigned i = 0; i < RO_LEN; i++)
		b[i] = (uint8_t)port_in(&bus, FW_CFG_PORT_DATA, 1);
	FZ_CHECK(!memcmp(b, ro, RO_LEN), "the read-only file changed");
	FZ_CHECK(port_in(&bus, FW_CFG_PORT_DATA, 1) == 0, "read past the end");
	fw_cfg_free(c);
	return 0;
}
