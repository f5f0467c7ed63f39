/* SPDX-License-Identifier: MIT */
/*
 * fw_cfg. The interface follows QEMU's docs/specs/fw_cfg.rst; the consumer that
 * matters is OVMF's QemuFwCfgLib, which probes the signature and the ID, selects
 * through port 0x510 and then reads, skips and writes through DMA only, polling the
 * control word until it reads 0 or has the error bit.
 */
#include "fw_cfg.h"
#include "byteorder.h"
#include "memory.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Offsets in the registered range (base FW_CFG_PORT_BASE). */
#define OFF_SEL		0
#define OFF_DATA	1
#define OFF_DMA		4
#define DMA_REG_LEN	8

/* Zeroes for reads past an item's end, written in pieces of this size. */
#define ZERO_CHUNK	65536

struct fw_cfg_item {
	uint8_t *data;
	uint32_t len;
};

struct fw_cfg_file_entry {
	char name[FW_CFG_MAX_FILE_PATH];
	struct fw_cfg_item item;
	bool writable;
	fw_cfg_write_fn *write_fn;
	void *opaque;
};

struct fw_cfg {
	const struct gmem *mem;
	pthread_mutex_t lock;	/* vCPUs trap here concurrently; guards all below */
	struct fw_cfg_item items[FW_CFG_FILE_FIRST];
	struct fw_cfg_file_entry files[FW_CFG_MAX_FILES];	/* sorted by name */
	unsigned nfiles;
	uint16_t cur;		/* selected key */
	uint32_t off;		/* offset in it, shared by the data port and DMA */
	uint32_t dma_high;	/* high half of the DMA address, host order */
};

static const uint8_t zeroes[ZERO_CHUNK];

static int item_set(struct fw_cfg_item *it, const void *data, size_t len)
{
	uint8_t *copy = NULL;

	if (len > UINT32_MAX || (len && !data))
		return -EINVAL;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	return 0;
}

/* The directory: be32 count, then one entry per file in key (= name) order. */
static int dir_rebuild(struct fw_cfg *c)
{
	size_t len = 4 + (size_t)c->nfiles * sizeof(struct fw_cfg_file);
	uint8_t *d = calloc(1, len);

	if (!d)
		return -ENOMEM;
	put_be32(d, c->nfiles);
	for (unsigned i = 0; i < c->nfiles; i++) {
		uint8_t *e = d + 4 + i * sizeof(struct fw_cfg_file);

		put_be32(e, c->files[i].item.len);
		put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
		memcpy(e + 8, c->files[i].name, FW_CFG_MAX_FILE_PATH);
	}
	free(c->items[FW_CFG_FILE_DIR].data);
	c->items[FW_CFG_FILE_DIR].data = d;
	c->items[FW_CFG_FILE_DIR].len = (uint32_t)len;
	return 0;
}

struct fw_cfg *fw_cfg_new(const struct gmem *m)
{
	static const uint8_t sig[4] = { 'Q', 'E', 'M', 'U' };
	struct fw_cfg *c = calloc(1, sizeof(*c));
	uint8_t id[4];

	if (!c)
		return NULL;
	c->mem = m;
	pthread_mutex_init(&c->lock, NULL);
	put_le32(id, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	if (item_set(&c->items[FW_CFG_SIGNATURE], sig, sizeof(sig)) ||
	    item_set(&c->items[FW_CFG_ID], id, sizeof(id)) || dir_rebuild(c)) {
		fw_cfg_free(c);
		return NULL;
	}
	fw_cfg_reset(c);
	return c;
}

void fw_cfg_free(struct fw_cfg *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < FW_CFG_FILE_FIRST; i++)
		free(c->items[i].data);
	for (unsigned i = 0; i < c->nfiles; i++)
		free(c->files[i].item.data);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void fw_cfg_reset(struct fw_cfg *c)
{
	pthread_mutex_lock(&c->lock);
	c->cur = FW_CFG_SIGNATURE;
	c->off = 0;
	c->dma_high = 0;
	pthread_mutex_unlock(&c->lock);
}

int fw_cfg_add_item(struct fw_cfg *c, uint16_t key, const void *data, size_t len)
{
	int r;

	if (key >= FW_CFG_FILE_FIRST || key == FW_CFG_SIGNATURE || key == FW_CFG_ID ||
	    key == FW_CFG_FILE_DIR)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	r = item_set(&c->items[key], data, len);
	pthread_mutex_unlock(&c->lock);
	return r;
}

int fw_cfg_add_u16(struct fw_cfg *c, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return fw_cfg_add_item(c, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *c, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	return fw_cfg_add_item(c, key, b, sizeof(b));
}

int fw_cfg_add_u64(struct fw_cfg *c, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	put_le64(b, v);
	return fw_cfg_add_item(c, key, b, sizeof(b));
}

static int file_find(const struct fw_cfg *c, const char *name, bool *found)
{
	unsigned lo = 0, hi = c->nfiles;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int d = strcmp(name, c->files[mid].name);

		if (d == 0) {
			*found = true;
			return (int)mid;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return (int)lo;
}

static int add_file(struct fw_cfg *c, const char *name, const void *data, size_t len,
		    bool writable, fw_cfg_write_fn *write_fn, void *opaque)
{
	struct fw_cfg_file_entry e = { .writable = writable, .write_fn = write_fn,
				       .opaque = opaque };
	size_t nlen = name ? strnlen(name, FW_CFG_MAX_FILE_PATH) : 0;
	bool found;
	int pos, r;

	if (nlen == 0 || nlen >= FW_CFG_MAX_FILE_PATH)
		return -EINVAL;
	memcpy(e.name, name, nlen);
	r = item_set(&e.item, data, len);
	if (r)
		return r;

	pthread_mutex_lock(&c->lock);
	pos = file_find(c, e.name, &found);
	if (found)
		r = -EEXIST;
	else if (c->nfiles == FW_CFG_MAX_FILES)
		r = -ENOSPC;
	if (!r) {
		memmove(&c->files[pos + 1], &c->files[pos],
			(c->nfiles - (unsigned)pos) * sizeof(c->files[0]));
		c->files[pos] = e;
		c->nfiles++;
		r = dir_rebuild(c);
		if (r) {
			c->nfiles--;
			memmove(&c->files[pos], &c->files[pos + 1],
				(c->nfiles - (unsigned)pos) * sizeof(c->files[0]));
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (r)
		free(e.item.data);
	return r;
}

int fw_cfg_add_file(struct fw_cfg *c, const char *name, const void *data, size_t len)
{
	return add_file(c, name, data, len, false, NULL, NULL);
}

int fw_cfg_add_file_writable(struct fw_cfg *c, const char *name, const void *data,
			     size_t len, fw_cfg_write_fn *write_fn, void *opaque)
{
	return add_file(c, name, data, len, true, write_fn, opaque);
}

uint16_t fw_cfg_file_key(struct fw_cfg *c, const char *name)
{
	uint16_t key = FW_CFG_INVALID;
	bool found;
	int pos;

	if (!name || strnlen(name, FW_CFG_MAX_FILE_PATH) >= FW_CFG_MAX_FILE_PATH)
		return key;
	pthread_mutex_lock(&c->lock);
	pos = file_find(c, name, &found);
	if (found)
		key = (uint16_t)(FW_CFG_FILE_FIRST + pos);
	pthread_mutex_unlock(&c->lock);
	return key;
}

/* The selected item, or NULL when the key names nothing; *file for files. */
static struct fw_cfg_item *cur_item(struct fw_cfg *c, struct fw_cfg_file_entry **file)
{
	*file = NULL;
	if (c->cur < FW_CFG_FILE_FIRST)
		return &c->items[c->cur];
	if (c->cur - FW_CFG_FILE_FIRST < (int)c->nfiles) {
		*file = &c->files[c->cur - FW_CFG_FILE_FIRST];
		return &(*file)->item;
	}
	return NULL;
}

static void select_key(struct fw_cfg *c, uint16_t key)
{
	c->cur = key;
	c->off = 0;
}

static uint8_t data_read_byte(struct fw_cfg *c)
{
	struct fw_cfg_file_entry *f;
	struct fw_cfg_item *it = cur_item(c, &f);

	if (!it || c->off >= it->len)
		return 0;
	return it->data[c->off++];
}

/* Zero len bytes of guest RAM at gpa, a piece at a time; false if some is not RAM. */
static bool dma_zero(struct fw_cfg *c, uint64_t gpa, uint32_t len)
{
	while (len) {
		uint32_t n = len < ZERO_CHUNK ? len : ZERO_CHUNK;

		if (gpa > UINT64_MAX - n || gmem_write(c->mem, gpa, zeroes, n))
			return false;
		gpa += n;
		len -= n;
	}
	return true;
}

/*
 * One DMA request, done before the vCPU resumes. As QEMU does it: SELECT first,
 * then READ, else WRITE, else SKIP (a request with none of them transfers nothing);
 * a read past the item's end fills with zeroes, a write past it or into a read-only
 * item is an error; the control word is written back as 0 or ERROR.
 */
static void dma_transfer(struct fw_cfg *c, uint64_t desc)
{
	struct fw_cfg_dma_access acc;
	uint32_t control, length, result = 0;
	uint64_t address;
	bool read = false, write = false;
	uint8_t be[4];

	if (desc > UINT64_MAX - sizeof(acc) || gmem_read(c->mem, desc, &acc, sizeof(acc))) {
		put_be32(be, FW_CFG_DMA_CTL_ERROR);
		gmem_write(c->mem, desc, be, sizeof(be));	/* not RAM: nowhere to report */
		return;
	}
	control = get_be32(&acc.control);
	length = get_be32(&acc.length);
	address = get_be64(&acc.address);

	if (control & FW_CFG_DMA_CTL_SELECT)
		select_key(c, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_CTL_READ)
		read = true;
	else if (control & FW_CFG_DMA_CTL_WRITE)
		write = true;
	else if (!(control & FW_CFG_DMA_CTL_SKIP))
		length = 0;

	/* Each turn moves at least one byte or ends the request: at most two turns
	 * (the item's rest, then what lies past its end). */
	while (length && !(result & FW_CFG_DMA_CTL_ERROR)) {
		struct fw_cfg_file_entry *f;
		struct fw_cfg_item *it = cur_item(c, &f);
		uint32_t n;

		if (!it || c->off >= it->len) {
			n = length;
			if (read && !dma_zero(c, address, n))
				result |= FW_CFG_DMA_CTL_ERROR;
			if (write)
				result |= FW_CFG_DMA_CTL_ERROR;
		} else {
			n = it->len - c->off < length ? it->len - c->off : length;
			if (read && gmem_write(c->mem, address, it->data + c->off, n))
				result |= FW_CFG_DMA_CTL_ERROR;
			if (write) {
				/* All of it must fit, and the guest's bytes must be RAM. */
				if (!f || !f->writable || n != length ||
				    gmem_read(c->mem, address, it->data + c->off, n))
					result |= FW_CFG_DMA_CTL_ERROR;
				else if (f->write_fn)
					f->write_fn(f->opaque, f->name, it->data, it->len,
						    c->off, n);
			}
			if (!(result & FW_CFG_DMA_CTL_ERROR))
				c->off += n;
		}
		address += n;	/* wraps only after an error, which ends the loop */
		length -= n;
	}

	put_be32(be, result);
	gmem_write(c->mem, desc, be, sizeof(be));	/* a failure here was reported above */
}

static uint64_t fw_cfg_read(void *dev, uint64_t off, unsigned size)
{
	struct fw_cfg *c = dev;
	uint64_t v = 0;

	if (off == OFF_DATA) {
		/* Bytes in stream order, as rep insb sees them. */
		pthread_mutex_lock(&c->lock);
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)data_read_byte(c) << (8 * i);
		pthread_mutex_unlock(&c->lock);
		return v;
	}
	if (off >= OFF_DMA && off - OFF_DMA + size <= DMA_REG_LEN) {
		/* The register reads as the signature, in memory (big-endian) order. */
		for (unsigned i = 0; i < size; i++)
			v |= ((FW_CFG_DMA_SIGNATURE >> (8 * (7 - (off - OFF_DMA + i)))) & 0xff)
			     << (8 * i);
		return v;
	}
	/* Reads of the selector and of 0x512-0x513: nothing there. */
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void fw_cfg_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *c = dev;

	pthread_mutex_lock(&c->lock);
	if (off == OFF_SEL && size == 2) {
		select_key(c, (uint16_t)val);
	} else if (off == OFF_DMA && size == 4) {
		/* The register is big-endian: the byte at 0x514 is bit 63 of the address. */
		c->dma_high = __builtin_bswap32((uint32_t)val);
	} else if (off == OFF_DMA + 4 && size == 4) {
		uint64_t desc = (uint64_t)c->dma_high << 32 | __builtin_bswap32((uint32_t)val);

		c->dma_high = 0;
		dma_transfer(c, desc);
	}
	/* Data port writes are ignored, as by QEMU since 2.4; so is anything else. */
	pthread_mutex_unlock(&c->lock);
}

const struct io_ops fw_cfg_io_ops = {
	.read = fw_cfg_read,
	.write = fw_cfg_write,
};

int fw_cfg_register(struct fw_cfg *c, struct io_bus *bus)
{
	return io_bus_register(bus, FW_CFG_PORT_BASE, FW_CFG_PORT_LEN, &fw_cfg_io_ops, c,
			       "fw_cfg");
}
