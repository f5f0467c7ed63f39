/* SPDX-License-Identifier: MIT */
/*
 * The firmware flash (pflash.h). The state machine follows Intel's command set as the
 * PC's QEMU flash (pflash_cfi01, byte-wide) presents it to OVMF, with two differences
 * that only a guest outside OVMF's protocol could see: an erase happens on its confirm
 * (0xD0) rather than on its set-up command, and a bad confirm or an unknown command
 * sets the command-sequence error bits.
 */
#include "pflash.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum pflash_mode {
	PFLASH_READ_ARRAY,
	PFLASH_READ_STATUS,	/* 0x70, and after a program or an erase */
	PFLASH_PROGRAM,		/* 0x10/0x40: the next write is the data */
	PFLASH_ERASE,		/* 0x20: the next write is the confirm */
	PFLASH_READ_ID,		/* 0x90 */
	PFLASH_QUERY,		/* 0x98 */
};

#define CFI_TABLE_LEN	0x40

struct pflash {
	char name[32];
	struct gmem_devmem *array;
	uint8_t *mem;			/* the array's host memory */
	uint64_t size;
	bool readonly;
	const struct pflash_store_ops *store;
	void *store_opaque;
	uint8_t cfi[CFI_TABLE_LEN];

	pthread_mutex_t lock;		/* everything below; the guest comes from any vCPU */
	enum pflash_mode mode;
	uint8_t status;
	bool dirty;			/* changed since the last flush */
	struct log_ratelimit rl_ro, rl_cmd, rl_store, rl_map;
};

static void build_cfi(struct pflash *fl)
{
	uint64_t nblocks = fl->size / PFLASH_BLOCK_SIZE;
	unsigned size_log2 = 0;
	uint8_t *t = fl->cfi;

	while ((1ull << size_log2) < fl->size)
		size_log2++;
	t[0x10] = 'Q';
	t[0x11] = 'R';
	t[0x12] = 'Y';
	t[0x13] = 0x01;		/* primary command set: Intel/Sharp extended */
	t[0x15] = 0x31;		/* its extended table at 0x31 */
	t[0x1B] = 0x45;		/* Vcc 4.5 V .. 5.5 V */
	t[0x1C] = 0x55;
	t[0x1F] = 0x07;		/* typical byte program 2^7 us */
	t[0x21] = 0x0A;		/* typical block erase 2^10 ms */
	t[0x23] = 0x04;		/* maximum: 2^4 times typical */
	t[0x25] = 0x04;
	t[0x27] = (uint8_t)size_log2;	/* device size 2^n bytes (rounded up) */
	t[0x28] = 0x00;		/* x8 interface */
	t[0x2A] = 0x00;		/* no buffered write */
	t[0x2C] = 0x01;		/* one erase-block region: */
	t[0x2D] = (uint8_t)(nblocks - 1);	/* blocks - 1, */
	t[0x2E] = (uint8_t)((nblocks - 1) >> 8);
	t[0x2F] = (uint8_t)(PFLASH_BLOCK_SIZE >> 8);	/* block size / 256 */
	t[0x30] = (uint8_t)(PFLASH_BLOCK_SIZE >> 16);
	t[0x31] = 'P';
	t[0x32] = 'R';
	t[0x33] = 'I';
	t[0x34] = '1';
	t[0x35] = '0';
	t[0x3F] = 0x01;		/* protection fields */
}

int pflash_new(struct pflash **out, const struct pflash_config *cfg, struct gmem_devmem *array,
	       const struct pflash_store_ops *store, void *store_opaque)
{
	uint64_t size = gmem_devmem_size(array);
	struct pflash *fl;
	int r;

	*out = NULL;
	if (!size || size % PFLASH_BLOCK_SIZE || size / PFLASH_BLOCK_SIZE > 0x10000 ||
	    cfg->gpa % GMEM_PAGE_SIZE || gmem_devmem_gpa(array, &(uint64_t){ 0 }))
		return -EINVAL;
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	snprintf(fl->name, sizeof(fl->name), "%s", cfg->name ? cfg->name : "flash");
	fl->array = array;
	fl->mem = gmem_devmem_host(array);
	fl->size = size;
	fl->readonly = cfg->readonly;
	fl->store = store;
	fl->store_opaque = store_opaque;
	fl->mode = PFLASH_READ_ARRAY;
	fl->status = PFLASH_SR_READY;
	build_cfi(fl);
	pthread_mutex_init(&fl->lock, NULL);
	if ((r = gmem_devmem_set_readonly(array, true)) < 0 || (r = gmem_devmem_map(array, cfg->gpa)) < 0) {
		gmem_devmem_set_readonly(array, false);
		pthread_mutex_destroy(&fl->lock);
		free(fl);
		return r;
	}
	*out = fl;
	return 0;
}

static void flush_locked(struct pflash *fl)
{
	int r;

	if (!fl->dirty)
		return;
	fl->dirty = false;
	if (fl->store && fl->store->flush && (r = fl->store->flush(fl->store_opaque)) < 0)
		log_warn_limited(&fl->rl_store, "%s: cannot flush the changes: %s", fl->name, strerror(-r));
}

/* Leave or enter read-array mode, hiding or showing the array to match. */
static void set_mode(struct pflash *fl, enum pflash_mode mode)
{
	int r;

	if (mode == fl->mode)
		return;
	if (mode == PFLASH_READ_ARRAY) {
		/* If the slot cannot come back, reads still work: they exit, and are served here. */
		r = gmem_devmem_hide(fl->array, false);
		if (r < 0)
			log_warn_limited(&fl->rl_map, "%s: cannot map the array again: %s", fl->name, strerror(-r));
		flush_locked(fl);
	} else if (fl->mode == PFLASH_READ_ARRAY) {
		gmem_devmem_hide(fl->array, true);
	}
	fl->mode = mode;
}

static void store_write(struct pflash *fl, uint64_t off, uint64_t len, uint8_t err_bit)
{
	int r;

	fl->dirty = true;
	if (fl->store && (r = fl->store->write(fl->store_opaque, off, fl->mem + off, len)) < 0) {
		fl->status |= err_bit;
		log_warn_limited(&fl->rl_store, "%s: cannot save %llu bytes at 0x%llx: %s", fl->name,
				 (unsigned long long)len, (unsigned long long)off, strerror(-r));
	}
}

static void program(struct pflash *fl, uint64_t off, uint64_t val, unsigned size)
{
	/* NOR flash: programming clears bits, it cannot set them. */
	for (unsigned i = 0; i < size; i++)
		fl->mem[off + i] &= (uint8_t)(val >> (8 * i));
	store_write(fl, off, size, PFLASH_SR_PROGRAM_ERR);
	fl->status |= PFLASH_SR_READY;
}

static void erase(struct pflash *fl, uint64_t off)
{
	uint64_t base = off & ~(uint64_t)(PFLASH_BLOCK_SIZE - 1);

	memset(fl->mem + base, 0xff, PFLASH_BLOCK_SIZE);
	store_write(fl, base, PFLASH_BLOCK_SIZE, PFLASH_SR_ERASE_ERR);
	fl->status |= PFLASH_SR_READY;
}

static void bad_sequence(struct pflash *fl, uint64_t off, uint8_t cmd)
{
	log_warn_limited(&fl->rl_cmd, "%s: command 0x%02x at 0x%llx in mode %d: not supported", fl->name, cmd,
			 (unsigned long long)off, fl->mode);
	fl->status |= PFLASH_SR_SEQ_ERR;
	set_mode(fl, PFLASH_READ_ARRAY);
}

static void pflash_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct pflash *fl = dev;
	uint8_t cmd = (uint8_t)val;

	/* The bus only passes accesses inside the registered range; a caller may not. */
	if (off >= fl->size || size > fl->size - off || !size || size > 8)
		return;
	if (fl->readonly) {
		log_warn_limited(&fl->rl_ro, "%s: write of 0x%llx at 0x%llx ignored: read-only", fl->name,
				 (unsigned long long)val, (unsigned long long)off);
		return;
	}
	pthread_mutex_lock(&fl->lock);
	switch (fl->mode) {
	case PFLASH_PROGRAM:
		program(fl, off, val, size);
		set_mode(fl, PFLASH_READ_STATUS);
		break;
	case PFLASH_ERASE:
		if (cmd == 0xD0) {
			erase(fl, off);
			set_mode(fl, PFLASH_READ_STATUS);
		} else if (cmd == 0xFF) {
			set_mode(fl, PFLASH_READ_ARRAY);
		} else {
			bad_sequence(fl, off, cmd);
		}
		break;
	default:
		switch (cmd) {
		case 0x10:
		case 0x40:
			set_mode(fl, PFLASH_PROGRAM);
			break;
		case 0x20:
			set_mode(fl, PFLASH_ERASE);
			break;
		case 0x50:
			/* OVMF's probe wants 0x00 from a read status after this, not ready (0x80). */
			fl->status = 0;
			set_mode(fl, PFLASH_READ_ARRAY);
			break;
		case 0x70:
			set_mode(fl, PFLASH_READ_STATUS);
			break;
		case 0x90:
			set_mode(fl, PFLASH_READ_ID);
			break;
		case 0x98:
			set_mode(fl, PFLASH_QUERY);
			break;
		case 0x00:
		case 0xF0:
		case 0xFF:
			set_mode(fl, PFLASH_READ_ARRAY);
			break;
		default:
			bad_sequence(fl, off, cmd);
			break;
		}
		break;
	}
	pthread_mutex_unlock(&fl->lock);
}

static uint8_t read_byte(struct pflash *fl, uint64_t off)
{
	switch (fl->mode) {
	case PFLASH_READ_ARRAY:
		return fl->mem[off];
	case PFLASH_READ_ID:
		return 0;	/* manufacturer and device code 0, as the PC's QEMU flash */
	case PFLASH_QUERY:
		return (off & 0xff) < CFI_TABLE_LEN ? fl->cfi[off & 0xff] : 0;
	default:
		/* Every byte lane shows the status, as from a bank of x8 chips. */
		return fl->status;
	}
}

static uint64_t pflash_read(void *dev, uint64_t off, unsigned size)
{
	struct pflash *fl = dev;
	uint64_t v = 0;

	if (off >= fl->size || size > fl->size - off || !size || size > 8)
		return ~0ull;
	pthread_mutex_lock(&fl->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)read_byte(fl, off + i) << (8 * i);
	pthread_mutex_unlock(&fl->lock);
	return v;
}

const struct io_ops pflash_io_ops = {
	.read = pflash_read,
	.write = pflash_write,
};

void pflash_reset(struct pflash *fl)
{
	int r;

	pthread_mutex_lock(&fl->lock);
	set_mode(fl, PFLASH_READ_ARRAY);
	/* A slot that could not come back earlier gets another chance. */
	if ((r = gmem_devmem_hide(fl->array, false)) < 0)
		log_warn_limited(&fl->rl_map, "%s: cannot map the array again: %s", fl->name, strerror(-r));
	fl->status = PFLASH_SR_READY;
	pthread_mutex_unlock(&fl->lock);
}

bool pflash_reads_array(struct pflash *fl)
{
	bool r;

	pthread_mutex_lock(&fl->lock);
	r = fl->mode == PFLASH_READ_ARRAY;
	pthread_mutex_unlock(&fl->lock);
	return r;
}

void pflash_free(struct pflash *fl)
{
	if (!fl)
		return;
	pthread_mutex_lock(&fl->lock);
	flush_locked(fl);
	pthread_mutex_unlock(&fl->lock);
	/* Unmapped first: a hidden array then has no slot to remove, nor one to restore. */
	gmem_devmem_unmap(fl->array);
	gmem_devmem_hide(fl->array, false);
	gmem_devmem_set_readonly(fl->array, false);
	pthread_mutex_destroy(&fl->lock);
	free(fl);
}
