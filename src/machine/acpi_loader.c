/* SPDX-License-Identifier: MIT */
/*
 * The table-loader script. The checks are those OVMF's AcpiPlatformDxe applies
 * (QemuFwCfgAcpi.c), plus the ones whose failure it would not notice: a checksum
 * byte outside its range or not zero beforehand gives a table with a bad checksum,
 * which OVMF then silently does not install.
 */
#include "acpi_loader.h"
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void acpi_loader_init(struct acpi_loader *l)
{
	memset(l, 0, sizeof(*l));
}

void acpi_loader_free(struct acpi_loader *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool name_ok(const char *name)
{
	size_t n = name ? strnlen(name, ACPI_LOADER_FNAME_SIZE) : 0;

	return n > 0 && n < ACPI_LOADER_FNAME_SIZE;
}

static const struct acpi_loader_blob *blob_find(const struct acpi_loader *l, const char *name)
{
	if (!name_ok(name))
		return NULL;
	for (unsigned i = 0; i < l->nblobs; i++)
		if (!strcmp(l->blob[i].name, name))
			return &l->blob[i];
	return NULL;
}

static bool size_ok(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* A new zeroed command of the given type at the end of the script, or NULL. */
static uint8_t *cmd_new(struct acpi_loader *l, uint32_t type)
{
	uint8_t *c;

	if (l->cap - l->len < ACPI_LOADER_ENTRY_SIZE) {
		size_t cap = l->cap ? 2 * l->cap : 16 * ACPI_LOADER_ENTRY_SIZE;
		uint8_t *b = realloc(l->buf, cap);

		if (!b)
			return NULL;
		l->buf = b;
		l->cap = cap;
	}
	c = l->buf + l->len;
	memset(c, 0, ACPI_LOADER_ENTRY_SIZE);
	put32(c + ACPI_LOADER_OFF_TYPE, type);
	l->len += ACPI_LOADER_ENTRY_SIZE;
	return c;
}

int acpi_loader_allocate(struct acpi_loader *l, const char *name, const void *data,
			 size_t size, uint32_t align, uint8_t zone)
{
	struct acpi_loader_blob *b;
	uint8_t *c;

	if (!name_ok(name) || blob_find(l, name) || !data || size == 0 || size > UINT32_MAX ||
	    align == 0 || (align & (align - 1)) || align > ACPI_LOADER_MAX_ALIGN ||
	    (zone != ACPI_LOADER_ZONE_HIGH && zone != ACPI_LOADER_ZONE_FSEG)) {
		log_error("acpi-loader: cannot allocate \"%s\" (%zu bytes, align %u, zone %u)",
			  name ? name : "", size, align, zone);
		return -EINVAL;
	}
	if (l->nblobs == ACPI_LOADER_MAX_BLOBS)
		return -ENOSPC;
	c = cmd_new(l, ACPI_LOADER_ALLOCATE);
	if (!c)
		return -ENOMEM;
	memcpy(c + ACPI_LOADER_OFF_FILE, name, strlen(name));
	put32(c + ACPI_LOADER_OFF_ALLOC_ALIGN, align);
	c[ACPI_LOADER_OFF_ALLOC_ZONE] = zone;

	b = &l->blob[l->nblobs++];
	memset(b, 0, sizeof(*b));
	memcpy(b->name, name, strlen(name));
	b->data = data;
	b->size = (uint32_t)size;
	return 0;
}

static uint64_t get_le(const uint8_t *p, uint8_t size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int acpi_loader_add_pointer(struct acpi_loader *l, const char *dst, uint32_t dst_off,
			    uint8_t size, const char *src)
{
	const struct acpi_loader_blob *d = blob_find(l, dst), *s = blob_find(l, src);
	uint8_t *c;

	if (!d || !s || !size_ok(size) || d->size < size || dst_off > d->size - size ||
	    get_le(d->data + dst_off, size) >= s->size) {
		log_error("acpi-loader: bad pointer at \"%s\"+0x%x (%u bytes) to \"%s\"",
			  dst ? dst : "", dst_off, size, src ? src : "");
		return -EINVAL;
	}
	c = cmd_new(l, ACPI_LOADER_ADD_POINTER);
	if (!c)
		return -ENOMEM;
	memcpy(c + ACPI_LOADER_OFF_FILE, dst, strlen(dst));
	memcpy(c + ACPI_LOADER_OFF_FILE2, src, strlen(src));
	put32(c + ACPI_LOADER_OFF_PTR_OFFSET, dst_off);
	c[ACPI_LOADER_OFF_PTR_SIZE] = size;
	return 0;
}

int acpi_loader_add_checksum(struct acpi_loader *l, const char *file, uint32_t result_off,
			     uint32_t start, uint32_t len)
{
	const struct acpi_loader_blob *b = blob_find(l, file);
	uint8_t *c;

	if (!b || len == 0 || start >= b->size || len > b->size - start ||
	    result_off < start || result_off - start >= len || b->data[result_off] != 0) {
		log_error("acpi-loader: bad checksum at \"%s\"+0x%x over 0x%x+0x%x",
			  file ? file : "", result_off, start, len);
		return -EINVAL;
	}
	c = cmd_new(l, ACPI_LOADER_ADD_CHECKSUM);
	if (!c)
		return -ENOMEM;
	memcpy(c + ACPI_LOADER_OFF_FILE, file, strlen(file));
	put32(c + ACPI_LOADER_OFF_CSUM_RESULT, result_off);
	put32(c + ACPI_LOADER_OFF_CSUM_START, start);
	put32(c + ACPI_LOADER_OFF_CSUM_LENGTH, len);
	return 0;
}

int acpi_loader_write_pointer(struct acpi_loader *l, const char *dst, uint32_t dst_size,
			      uint32_t dst_off, uint8_t size, const char *src,
			      uint32_t src_off)
{
	const struct acpi_loader_blob *s = blob_find(l, src);
	uint8_t *c;

	/* The destination is a fw_cfg file the guest writes back, not a blob. */
	if (!name_ok(dst) || blob_find(l, dst) || !s || !size_ok(size) || dst_size < size ||
	    dst_off > dst_size - size || src_off >= s->size) {
		log_error("acpi-loader: bad write pointer at \"%s\"+0x%x (%u bytes) to \"%s\"+0x%x",
			  dst ? dst : "", dst_off, size, src ? src : "", src_off);
		return -EINVAL;
	}
	c = cmd_new(l, ACPI_LOADER_WRITE_POINTER);
	if (!c)
		return -ENOMEM;
	memcpy(c + ACPI_LOADER_OFF_FILE, dst, strlen(dst));
	memcpy(c + ACPI_LOADER_OFF_FILE2, src, strlen(src));
	put32(c + ACPI_LOADER_OFF_WP_DST_OFFSET, dst_off);
	put32(c + ACPI_LOADER_OFF_WP_SRC_OFFSET, src_off);
	c[ACPI_LOADER_OFF_WP_SIZE] = size;
	return 0;
}
