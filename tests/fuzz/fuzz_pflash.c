/* SPDX-License-Identifier: MIT */
/*
 * The firmware flash (src/devices/pflash.c) under any sequence of guest accesses, with
 * its array behind a simulated KVM slot as the VM would have it (reads from the slot
 * bypass the device; every write exits). After each access: the slot is present
 * exactly in read-array mode (unless adding it was refused), only ever read-only; a
 * byte of the array only loses bits, unless its whole block was erased; a read-only
 * flash never changes; and the store holds what the array holds.
 */
#include "fuzz.h"
#include "memory.h"
#include "pflash.h"

#include <errno.h>

#define FZ_PF_BASE	0xffc00000ull
#define FZ_PF_MAX	(4 * PFLASH_BLOCK_SIZE)

static struct {
	bool present;
	uint64_t gpa, size;
	unsigned flags;
	uint8_t *host;
	bool refuse_next;	/* the next slot added is refused */
	bool refused;		/* one was: read-array without a slot is allowed */
} kvm;

static int slot_fn(void *opaque, unsigned slot, uint64_t gpa, uint64_t size, void *host, unsigned flags)
{
	(void)opaque;
	(void)slot;
	if (size && kvm.refuse_next) {
		kvm.refuse_next = false;
		kvm.refused = true;
		return -ENOMEM;
	}
	if (size) {
		FZ_CHECK(!kvm.present, "a second slot over the first");
		FZ_CHECK(flags & GMEM_SLOT_READONLY, "a writable slot over the flash");
		kvm.refused = false;
	}
	kvm.present = size != 0;
	kvm.gpa = gpa;
	kvm.size = size;
	kvm.flags = flags;
	kvm.host = host;
	return 0;
}

static struct {
	uint8_t copy[FZ_PF_MAX];
	bool fail, failed;
} store;

static int store_write(void *opaque, uint64_t off, const void *buf, size_t len)
{
	(void)opaque;
	FZ_CHECK(off < FZ_PF_MAX && len <= FZ_PF_MAX - off, "store write past the flash: %llu+%zu",
		 (unsigned long long)off, len);
	if (store.fail) {
		store.failed = true;
		return -EIO;
	}
	memcpy(store.copy + off, buf, len);
	return 0;
}

static int store_flush(void *opaque)
{
	(void)opaque;
	return store.fail ? -EIO : 0;
}

static const struct pflash_store_ops store_ops = { store_write, store_flush };

static struct pflash *fl;
static uint8_t before[FZ_PF_MAX], image[FZ_PF_MAX];

static uint64_t guest_read(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (kvm.present && FZ_PF_BASE + off >= kvm.gpa && FZ_PF_BASE + off + size <= kvm.gpa + kvm.size) {
		memcpy(&v, kvm.host + (FZ_PF_BASE + off - kvm.gpa), size);
		return v;
	}
	return pflash_io_ops.read(fl, off, size);
}

static void check(const uint8_t *mem, uint64_t size, bool readonly)
{
	bool array = pflash_reads_array(fl);

	FZ_CHECK(!(kvm.present && !array), "the slot is present outside read-array mode");
	FZ_CHECK(kvm.present || !array || kvm.refused, "read-array mode without its slot");
	if (readonly) {
		FZ_CHECK(kvm.present && !memcmp(mem, image, size), "a read-only flash changed");
		return;
	}
	for (uint64_t b = 0; b < size; b += PFLASH_BLOCK_SIZE) {
		bool erased = true;

		for (uint64_t i = b; i < b + PFLASH_BLOCK_SIZE && erased; i++)
			erased = mem[i] == 0xff;
		if (erased)
			continue;
		for (uint64_t i = b; i < b + PFLASH_BLOCK_SIZE; i++)
			FZ_CHECK(!(mem[i] & ~before[i]), "byte 0x%llx went from 0x%02x to 0x%02x without an erase",
				 (unsigned long long)i, before[i], mem[i]);
	}
	if (!store.failed)
		FZ_CHECK(!memcmp(store.copy, mem, size), "the store differs from the array");
	memcpy(before, mem, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	uint8_t cfg = fz_u8(&in);
	bool readonly = cfg & 1;
	uint64_t fsize = (uint64_t)((cfg >> 1) % 4 + 1) * PFLASH_BLOCK_SIZE;
	static uint8_t ram[4096];
	struct gmem_region reg = { 0, sizeof(ram), ram, 0 };
	struct pflash_config pc = { .name = "flash", .gpa = FZ_PF_BASE, .readonly = readonly };
	struct gmem mem;
	struct gmem_devmem *array;
	uint8_t *m;
	unsigned ops = 0;

	fuzz_quiet_logs();
	memset(&kvm, 0, sizeof(kvm));
	memset(&store, 0, sizeof(store));
	FZ_CHECK(gmem_init_regions(&mem, &reg, 1) == 0, "regions");
	FZ_CHECK(gmem_set_slot_fn(&mem, slot_fn, NULL) == 0, "slot handler");
	FZ_CHECK(gmem_devmem_new(&mem, fsize, &array) == 0, "device memory");
	m = gmem_devmem_host(array);
	/* a recognisable image: erased blocks, programmed ones, a pattern */
	for (uint64_t i = 0; i < fsize; i++)
		image[i] = (i / PFLASH_BLOCK_SIZE) % 2 ? (uint8_t)(i * 13) : 0xff;
	memcpy(m, image, fsize);
	memcpy(before, image, fsize);
	memcpy(store.copy, image, fsize);
	FZ_CHECK(pflash_new(&fl, &pc, array, readonly ? NULL : &store_ops, NULL) == 0, "pflash_new");
	check(m, fsize, readonly);

	while (in.n && ops++ < 1024) {
		uint8_t op = fz_u8(&in) % PF_OP_COUNT;
		uint64_t off, v;
		unsigned sz;

		switch (op) {
		case PF_OP_CMD:
			off = fz_u16(&in) % fsize;
			pflash_io_ops.write(fl, off, fz_u8(&in), 1);
			break;
		case PF_OP_WRITE:
			off = fz_u16(&in);
			sz = 1u << (fz_u8(&in) % 4);
			v = fz_u64(&in);
			/* the bus passes only accesses inside the range; the device checks too */
			pflash_io_ops.write(fl, off, v, sz);
			break;
		case PF_OP_READ:
			off = fz_u16(&in);
			sz = 1u << (fz_u8(&in) % 4);
			if (off < fsize && sz <= fsize - off) {
				v = guest_read(off, sz);
				if (pflash_reads_array(fl)) {
					uint64_t want = 0;

					memcpy(&want, m + off, sz);
					FZ_CHECK(v == want, "read-array read 0x%llx, the array holds 0x%llx",
						 (unsigned long long)v, (unsigned long long)want);
				}
			} else {
				FZ_CHECK(pflash_io_ops.read(fl, off, sz) == ~0ull, "a read outside the flash");
			}
			break;
		case PF_OP_RESET:
			pflash_reset(fl);
			FZ_CHECK(pflash_reads_array(fl), "reset: not read-array");
			FZ_CHECK(kvm.present || kvm.refused, "reset: no slot");
			break;
		case PF_OP_FAULT:
			v = fz_u8(&in);
			store.fail = store.fail || (v & 1);
			kvm.refuse_next = v & 2;
			break;
		}
		check(m, fsize, readonly);
	}
	pflash_free(fl);
	FZ_CHECK(!kvm.present, "the slot outlived the flash");
	gmem_devmem_free(array);
	gmem_destroy(&mem);
	return 0;
}
