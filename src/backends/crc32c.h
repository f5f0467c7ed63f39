/* SPDX-License-Identifier: MIT */
/* CRC-32C (Castagnoli), the checksum of VHDX's headers, region tables and log. */
#ifndef HVKVM_CRC32C_H
#define HVKVM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc (0 to start) over len bytes. */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);

static inline uint32_t crc32c(const void *buf, size_t len)
{
	return crc32c_update(0, buf, len);
}

#endif
