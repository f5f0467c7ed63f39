/* SPDX-License-Identifier: MIT */
/*
 * The Linux loader (src/machine/boot.c) on a hostile kernel image: a bzImage's setup
 * header or an ELF vmlinux's program headers. It answers 0 or an error with a
 * message; what it accepts lies between 1 MiB and the end of low RAM with the entry
 * inside it, and a bzImage's protected-mode code is in RAM as the file holds it.
 */
#include "boot.h"
#include "fuzz.h"
#include "memory.h"

#include <elf.h>

static struct gmem ram[FZ_BI_RAMS];
static bool ram_ready[FZ_BI_RAMS];

static struct gmem *guest_ram(unsigned i)
{
	static const uint64_t size[FZ_BI_RAMS] = FZ_BI_RAM;

	if (!ram_ready[i]) {
		FZ_CHECK(gmem_init(&ram[i], size[i]) == 0, "guest RAM of %llu bytes", (unsigned long long)size[i]);
		ram_ready[i] = true;
	}
	return &ram[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct gmem *m = guest_ram(fz_u8(&in) % FZ_BI_RAMS);
	struct boot_kernel k;
	char err[512] = "";
	int r;

	memset(&k, 0xee, sizeof(k));
	r = boot_load_kernel(m, in.p, in.n, "fuzz", &k, err, sizeof(err));
	FZ_CHECK(r <= 0, "returned %d", r);
	if (r < 0) {
		FZ_CHECK(err[0], "an error (%d) without a message", r);
		return 0;
	}
	FZ_CHECK(k.end <= gmem_low_end(m), "the kernel ends at 0x%llx, past low RAM",
		 (unsigned long long)k.end);
	FZ_CHECK(k.entry >= BOOT_HIGH_MEM && k.entry < k.end, "entry 0x%llx outside the kernel (to 0x%llx)",
		 (unsigned long long)k.entry, (unsigned long long)k.end);
	FZ_CHECK(k.cmdline_size >= 1, "no room for the command line's NUL");
	FZ_CHECK(k.hdr.type_of_loader == BOOT_LOADER_UNDEFINED, "loader type %u", k.hdr.type_of_loader);
	if (in.n < SELFMAG || memcmp(in.p, ELFMAG, SELFMAG)) {
		uint64_t setup = ((uint64_t)(in.p[BOOT_HDR_OFFSET] ? in.p[BOOT_HDR_OFFSET] : 4) + 1) * 512;
		uint64_t load = k.hdr.code32_start;
		const uint8_t *code;

		FZ_CHECK(setup < in.n, "a bzImage without protected-mode code");
		FZ_CHECK(k.entry == load + 0x200, "entry 0x%llx, loaded at 0x%llx", (unsigned long long)k.entry,
			 (unsigned long long)load);
		code = gmem_ptr(m, load, in.n - setup);
		FZ_CHECK(code && !memcmp(code, in.p + setup, in.n - setup), "the kernel is not in RAM as the file has it");
		FZ_CHECK(load + (in.n - setup) <= k.end, "the kernel's code past its end");
	}
	return 0;
}
