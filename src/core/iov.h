/* SPDX-License-Identifier: MIT */
/*
 * Walking lists of iovecs: the data ranges of a guest's packet, a SCSI command's
 * buffer, a stream of RNDIS messages, what is left of a block request after a short
 * transfer, the pieces of a frame. Offsets and lengths are those
 * of the list read as one run of bytes; nothing here reads or writes past a piece.
 */
#ifndef HVKVM_CORE_IOV_H
#define HVKVM_CORE_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Bytes in iov[0..n). */
uint64_t iov_size(const struct iovec *iov, unsigned n);

/* Copy up to len bytes at offset off of the list into dst; returns the bytes copied,
 * fewer than len where the list ends first. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, uint64_t off, void *dst, size_t len);

/* Copy up to len bytes of src into the list at offset off; returns the bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, uint64_t off, const void *src, size_t len);

/*
 * The pieces of [off, off + len) of the list, as at most max iovecs in out (empty
 * pieces skipped). Returns their count, -ERANGE if the list ends before off + len,
 * -E2BIG if more than max pieces are needed.
 */
int iov_slice(const struct iovec *iov, unsigned n, uint64_t off, uint64_t len, struct iovec *out, unsigned max);

#endif
