/* SPDX-License-Identifier: MIT */
#include "scsi_disk.h"
#include "scsi_disk_internal.h"
#include "iov.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCSI_DISK_MAX_IOV	1024		/* the back end's limit per request (IOV_MAX) */
#define SCSI_DISK_LBP_BYTES	(1ULL << 30)	/* per UNMAP and WRITE SAME: bounds one command's time */
#define SCSI_DISK_MAX_UNMAP_DESC 256
#define SCSI_DISK_WS_CHUNK	(1U << 20)	/* WRITE SAME with a pattern: bytes per write */
#define SCSI_DISK_MODE_SELECT_MAX 512		/* longer lists cannot hold only our pages */
#define SCSI_DISK_OUI		0x002248	/* Microsoft, the OUI in Hyper-V's disk NAA ids */


enum scsi_disk_stage {
	STAGE_RW,
	STAGE_FLUSH,		/* SYNCHRONIZE CACHE, START STOP UNIT, MODE SELECT turning WCE off */
	STAGE_WS_DISCARD,
	STAGE_WS_ZEROES,
	STAGE_WS_WRITE,
	STAGE_UNMAP,
	STAGE_SETTLE,		/* the flush after a discard or zeroing with WCE off */
};


static const char scsi_vendor[8] = { 'M', 's', 'f', 't', ' ', ' ', ' ', ' ' };
static const char scsi_product[16] = { 'V', 'i', 'r', 't', 'u', 'a', 'l', ' ', 'D', 'i', 's', 'k', ' ', ' ', ' ', ' ' };
static const char scsi_cd_product[16] = { 'V', 'i', 'r', 't', 'u', 'a', 'l', ' ', 'D', 'V', 'D', '-', 'R', 'O', 'M', ' ' };
static const char scsi_revision[4] = { '1', '.', '0', ' ' };

/* ---- command plumbing ------------------------------------------------------------ */

/* ---- INQUIRY --------------------------------------------------------------------- */

static unsigned scsi_inquiry_standard(uint8_t *p, uint8_t peripheral)
{
	memset(p, 0, 96);
	p[0] = peripheral;
	p[2] = SCSI_VERSION_SPC4;
	p[3] = 0x02;			/* response data format 2 */
	p[4] = 96 - 5;			/* additional length */
	p[7] = 0x02;			/* CmdQue: commands may overlap */
	memcpy(p + 8, scsi_vendor, 8);
	memcpy(p + 16, scsi_product, 16);
	memcpy(p + 32, scsi_revision, 4);
	put_be16(p + 58, 0x00a0);	/* version descriptors: SAM-5, SPC-4, SBC-3 */
	put_be16(p + 60, 0x0460);
	put_be16(p + 62, 0x04c0);
	return 96;
}

static unsigned disk_vpd_pages(const struct scsi_disk *d, uint8_t *p)
{
	unsigned n = 4;

	p[n++] = SCSI_VPD_SUPPORTED_PAGES;
	p[n++] = SCSI_VPD_UNIT_SERIAL_NUMBER;
	p[n++] = SCSI_VPD_DEVICE_IDENTIFICATION;
	p[n++] = SCSI_VPD_BLOCK_LIMITS;
	p[n++] = SCSI_VPD_BLOCK_DEVICE_CHARACTERISTICS;
	if (d->discard)
		p[n++] = SCSI_VPD_LOGICAL_BLOCK_PROVISIONING;
	return n;
}

static unsigned disk_vpd_serial(const struct scsi_disk *d, uint8_t *p)
{
	size_t len = strlen(d->serial);

	memcpy(p + 4, d->serial, len);
	return 4 + (unsigned)len;
}

static unsigned disk_vpd_ident(const struct scsi_disk *d, uint8_t *p)
{
	size_t slen = strlen(d->serial);
	uint8_t *q = p + 4;

	/* NAA 6: NAA, 24-bit OUI, 36-bit vendor id (0), 64-bit extension (naa_id). */
	q[0] = 0x01;			/* protocol 0, code set binary */
	q[1] = 0x03;			/* associated with the LU, NAA */
	q[3] = 16;
	q[4] = 0x60 | (uint8_t)(SCSI_DISK_OUI >> 20);
	q[5] = (uint8_t)(SCSI_DISK_OUI >> 12);
	q[6] = (uint8_t)(SCSI_DISK_OUI >> 4);
	q[7] = (uint8_t)((SCSI_DISK_OUI & 0xf) << 4);
	put_be64(q + 12, d->naa_id);
	q += 20;
	/* T10 vendor id: the vendor, then the serial number. */
	q[0] = 0x02;			/* code set ASCII */
	q[1] = 0x01;			/* associated with the LU, T10 vendor id */
	q[3] = (uint8_t)(8 + slen);
	memcpy(q + 4, scsi_vendor, 8);
	memcpy(q + 12, d->serial, slen);
	q += 12 + slen;
	return (unsigned)(q - p);
}

static unsigned disk_vpd_limits(const struct scsi_disk *d, uint8_t *p)
{
	p[4] = 0x01;			/* WSNZ: WRITE SAME needs a block count */
	put_be16(p + 6, (uint16_t)(1U << d->phys_exp));	/* optimal granularity */
	put_be32(p + 8, d->max_xfer_blocks);
	put_be32(p + 12, d->opt_xfer_blocks);
	if (d->discard) {
		put_be32(p + 20, d->max_unmap_blocks);
		put_be32(p + 24, SCSI_DISK_MAX_UNMAP_DESC);
		put_be32(p + 28, 1U << d->phys_exp);
	}
	put_be64(p + 36, d->max_ws_blocks);
	return 64;
}

static unsigned disk_vpd_characteristics(const struct scsi_disk *d, uint8_t *p)
{
	/* Rotation rate 0 is "not reported", which Linux takes as rotational. */
	put_be16(p + 4, d->rotational ? 0 : 1);
	return 64;
}

static unsigned disk_vpd_provisioning(const struct scsi_disk *d, uint8_t *p)
{
	(void)d;
	p[5] = 0x80 | 0x40 | 0x20 | 0x04;	/* LBPU, LBPWS, LBPWS10, LBPRZ */
	p[6] = 0x02;				/* provisioning type: thin */
	return 8;
}

void scsi_disk_inquiry(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint8_t p[256] = { 0 };
	unsigned len;

	if (cdb[1] & 0xfe)		/* CMDDT and reserved bits */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!(cdb[1] & 0x01)) {
		if (cdb[2])
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		len = scsi_inquiry_standard(p, d->cd ? SCSI_TYPE_CDROM : SCSI_TYPE_DISK);
		if (d->cd) {
			p[1] = 0x80;		/* RMB: the medium is removable */
			memcpy(p + 16, scsi_cd_product, 16);
			put_be16(p + 62, 0x05c0);	/* MMC-5 in place of SBC-3 */
		}
		return cmd_reply(cmd, p, len, get_be16(cdb + 3));
	}
	switch (cdb[2]) {
	case SCSI_VPD_SUPPORTED_PAGES:
		len = disk_vpd_pages(d, p);
		break;
	case SCSI_VPD_UNIT_SERIAL_NUMBER:
		len = disk_vpd_serial(d, p);
		break;
	case SCSI_VPD_DEVICE_IDENTIFICATION:
		len = disk_vpd_ident(d, p);
		break;
	case SCSI_VPD_BLOCK_LIMITS:
		len = disk_vpd_limits(d, p);
		break;
	case SCSI_VPD_BLOCK_DEVICE_CHARACTERISTICS:
		len = disk_vpd_characteristics(d, p);
		break;
	case SCSI_VPD_LOGICAL_BLOCK_PROVISIONING:
		if (d->discard) {
			len = disk_vpd_provisioning(d, p);
			break;
		}
		/* fall through */
	default:
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	}
	p[0] = d->cd ? SCSI_TYPE_CDROM : SCSI_TYPE_DISK;
	p[1] = cdb[2];
	put_be16(p + 2, (uint16_t)(len - 4));
	cmd_reply(cmd, p, len, get_be16(cdb + 3));
}

/* ---- capacity, sense, simple commands -------------------------------------------- */

static void disk_read_capacity_10(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint64_t last = d->blocks - 1;
	uint8_t p[8];

	/* Without PMI the (obsolete) LBA field must be zero. */
	if (!(cmd->cdb[8] & 0x01) && get_be32(cmd->cdb + 2))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Too large for 32 bits: FFFFFFFFh sends the initiator to READ CAPACITY (16). */
	put_be32(p, last > 0xfffffffeULL ? 0xffffffffU : (uint32_t)last);
	put_be32(p + 4, d->block_size);
	cmd_reply(cmd, p, sizeof(p), sizeof(p));
}

static void disk_service_action_in(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint8_t p[32] = { 0 };

	if ((cdb[1] & 0x1f) != SCSI_SAI_READ_CAPACITY_16)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!(cdb[14] & 0x01) && get_be64(cdb + 2))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	put_be64(p, d->blocks - 1);
	put_be32(p + 8, d->block_size);
	p[13] = d->phys_exp;
	if (d->discard)
		p[14] = 0x80 | 0x40;	/* LBPME, LBPRZ */
	cmd_reply(cmd, p, sizeof(p), get_be32(cdb + 10));
}

static void disk_request_sense(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t p[SCSI_SENSE_FIXED_LEN];

	(void)d;
	if (cmd->cdb[1] & 0x01)		/* DESC: descriptor format is not supported */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Sense travels with each CHECK CONDITION (autosense): nothing is pending. */
	scsi_build_sense(p, SCSI_SENSE_NO_SENSE, SCSI_ASC_NO_ADDITIONAL_SENSE);
	cmd_reply(cmd, p, sizeof(p), cmd->cdb[4]);
}

static void disk_test_unit_ready(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	(void)d;
	cmd_good(cmd);
}

static void disk_prevent_allow(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	(void)d;
	/* The medium is not removable (RMB 0), so there is no removal to prevent. */
	if (cmd->cdb[4] & 0x03)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	cmd_good(cmd);
}

static void disk_report_luns(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	static const uint16_t lun0;

	(void)d;
	scsi_cmd_report_luns(cmd, &lun0, 1);
}

/* ---- mode pages ------------------------------------------------------------------ */

/* One mode page as the PC field asks for it; 0 if the page does not exist. */
static unsigned disk_mode_page(const struct scsi_disk *d, uint8_t page, unsigned pc, uint8_t *p)
{
	switch (page) {
	case SCSI_MODE_PAGE_CACHING:
		memset(p, 0, 20);
		p[0] = SCSI_MODE_PAGE_CACHING;
		p[1] = 18;
		if (pc == SCSI_PC_CHANGEABLE)
			p[2] = 0x04;		/* only WCE can change */
		else if (pc == SCSI_PC_DEFAULT ? d->default_wce : d->wce)
			p[2] = 0x04;		/* WCE; RCD 0: reads may come from the cache */
		return 20;
	case SCSI_MODE_PAGE_CONTROL:
		memset(p, 0, 12);
		p[0] = SCSI_MODE_PAGE_CONTROL;
		p[1] = 10;
		if (pc != SCSI_PC_CHANGEABLE)
			p[3] = 0x10;		/* queue algorithm modifier 1: unrestricted reordering */
		return 12;
	}
	return 0;
}

static void disk_mode_sense(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool ten = cdb[0] == SCSI_MODE_SENSE_10;
	unsigned hdr = ten ? 8 : 4, pc = cdb[2] >> 6, page = cdb[2] & 0x3f, len;
	bool dbd = cdb[1] & 0x08, llbaa = ten && (cdb[1] & 0x10);
	uint8_t p[128] = { 0 }, devspec;

	if (cdb[1] & ~(ten ? 0x18 : 0x08))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (pc == SCSI_PC_SAVED)	/* the pages cannot be saved (PS 0) */
		return cmd_illegal(cmd, SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
	if (cdb[3] != 0 && cdb[3] != SCSI_MODE_SUBPAGE_ALL)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (page != SCSI_MODE_PAGE_ALL && page != SCSI_MODE_PAGE_CACHING && page != SCSI_MODE_PAGE_CONTROL)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);

	len = hdr;
	if (!dbd && llbaa) {
		if (pc != SCSI_PC_CHANGEABLE) {
			put_be64(p + len, d->blocks);
			put_be32(p + len + 12, d->block_size);
		}
		len += 16;
	} else if (!dbd) {
		if (pc != SCSI_PC_CHANGEABLE) {
			put_be32(p + len, d->blocks > 0xffffffffULL ? 0xffffffffU : (uint32_t)d->blocks);
			put_be32(p + len + 4, d->block_size & 0xffffff);
		}
		len += 8;
	}
	if (page == SCSI_MODE_PAGE_ALL) {
		len += disk_mode_page(d, SCSI_MODE_PAGE_CACHING, pc, p + len);
		len += disk_mode_page(d, SCSI_MODE_PAGE_CONTROL, pc, p + len);
	} else {
		len += disk_mode_page(d, (uint8_t)page, pc, p + len);
	}
	/* WP when read-only; DPOFUA: FUA is honoured, so sd uses it instead of flushes. */
	devspec = (d->readonly ? 0x80 : 0) | 0x10;
	if (ten) {
		put_be16(p, (uint16_t)(len - 2));
		p[3] = devspec;
		p[4] = llbaa && !dbd ? 0x01 : 0;	/* LONGLBA */
		put_be16(p + 6, (uint16_t)(dbd ? 0 : llbaa ? 16 : 8));
	} else {
		p[0] = (uint8_t)(len - 1);
		p[2] = devspec;
		p[3] = dbd ? 0 : 8;
	}
	cmd_reply(cmd, p, len, ten ? get_be16(cdb + 7) : cdb[4]);
}

static void disk_submit(struct scsi_disk *d, struct scsi_cmd *cmd);

static void disk_mode_select(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool ten = cdb[0] == SCSI_MODE_SELECT_10;
	unsigned hdr = ten ? 8 : 4, plen = ten ? get_be16(cdb + 7) : cdb[4], bdl, off;
	uint8_t p[SCSI_DISK_MODE_SELECT_MAX];
	bool wce = d->wce;

	if (cdb[1] & ~0x11)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (cdb[1] & 0x01)		/* SP: nothing can be saved */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (plen == 0)
		return cmd_good(cmd);
	if (plen > cmd_out_len(cmd))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (plen < hdr || plen > sizeof(p))
		return cmd_illegal(cmd, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* One copy, then checks and use: the guest cannot change it in between. */
	iov_to_buf(cmd->iov, cmd->iovcnt, 0, p, plen);

	if (p[ten ? 2 : 1] != 0)	/* medium type */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	bdl = ten ? get_be16(p + 6) : p[3];
	if (bdl) {
		bool longlba = ten && (p[4] & 0x01);
		uint64_t nblocks, cur = d->blocks;
		uint32_t blen;

		if (bdl != (longlba ? 16U : 8U))
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
		if (hdr + bdl > plen)
			return cmd_illegal(cmd, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
		if (longlba) {
			nblocks = get_be64(p + hdr);
			blen = get_be32(p + hdr + 12);
		} else {
			nblocks = get_be32(p + hdr);
			blen = get_be24(p + hdr + 5);
			cur = MIN(cur, 0xffffffffULL);
		}
		/* The capacity and block size cannot change; restating them is fine. */
		if ((nblocks && nblocks != cur) || blen != d->block_size)
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	}
	off = hdr + bdl;
	if (off < plen && !(cdb[1] & 0x10))	/* PF 0: vendor-specific pages */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	while (off < plen) {
		uint8_t cur[20], mask[20];
		unsigned len;

		if (plen - off < 2)
			return cmd_illegal(cmd, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
		if (p[off] & 0x40)	/* SPF: there are no subpages */
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
		len = disk_mode_page(d, p[off] & 0x3f, SCSI_PC_CURRENT, cur);
		if (!len || p[off + 1] + 2U != len)
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
		if (off + len > plen)
			return cmd_illegal(cmd, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
		disk_mode_page(d, p[off] & 0x3f, SCSI_PC_CHANGEABLE, mask);
		for (unsigned i = 2; i < len; i++)
			if ((p[off + i] ^ cur[i]) & ~mask[i])
				return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
		if ((p[off] & 0x3f) == SCSI_MODE_PAGE_CACHING)
			wce = p[off + 2] & 0x04;
		off += len;
	}
	cmd->transferred = plen;
	if (d->wce && !wce && !d->readonly) {
		/* Write-through from now on: what the cache acknowledged becomes durable
		 * first, since the initiator will not flush any more. */
		d->wce = false;
		d->inflight++;
		cmd->disk = d;
		cmd->stage = STAGE_FLUSH;
		cmd->blk = (struct blk_req){ .op = BLK_FLUSH };
		return disk_submit(d, cmd);
	}
	d->wce = wce;
	cmd_good(cmd);
}

/* ---- I/O ------------------------------------------------------------------------- */

static void disk_release(struct scsi_cmd *cmd)
{
	free(cmd->iov_copy);
	cmd->iov_copy = NULL;
	free(cmd->buf);
	cmd->buf = NULL;
}

/* The end of a command that went to the back end. */
static void disk_finish(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	disk_release(cmd);
	d->inflight--;
	cmd->done(cmd);
}

static void disk_io_error(struct scsi_disk *d, struct scsi_cmd *cmd, int err, bool write)
{
	static const char *const names[] = { "read", "write", "flush", "discard", "write-zeroes" };

	log_warn_limited(&d->io_error_rl, "scsi disk: %s of %llu bytes at byte %llu failed: %s",
			 names[cmd->blk.op], (unsigned long long)cmd->blk.len, (unsigned long long)cmd->blk.offset,
			 strerror(-err));
	if (err == -ENOSPC || err == -EDQUOT)
		/* The host ran out of room for a thin disk: Linux reports -ENOSPC. */
		cmd_set_check(cmd, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_SPACE_ALLOCATION_FAILED_WRITE_PROTECT);
	else if (err == -ENOMEM)
		cmd_set_busy(cmd);
	else
		cmd_set_check(cmd, SCSI_SENSE_MEDIUM_ERROR,
			      write ? SCSI_ASC_WRITE_ERROR : SCSI_ASC_UNRECOVERED_READ_ERROR);
}

static void disk_blk_done(struct blk_req *req, int64_t result);

static void disk_submit(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	int r;

	cmd->blk.done = disk_blk_done;
	cmd->blk.opaque = cmd;
	r = blk_submit(d->blk, &cmd->blk);
	if (r < 0)	/* not queued: complete it here, as the back end would have */
		disk_blk_done(&cmd->blk, r);
}

/*
 * Points the request at the first `bytes` of the initiator's buffer. The vector is
 * copied only when its last piece must be shortened. False when the back end cannot
 * take the buffer as it is (O_DIRECT alignment, too many pieces).
 */
static bool disk_map_iov(struct scsi_disk *d, struct scsi_cmd *cmd, uint64_t bytes)
{
	uint64_t left = bytes;
	size_t last = 0;
	unsigned n;

	for (n = 0; left && n < cmd->iovcnt; n++) {
		const struct iovec *v = &cmd->iov[n];

		last = (size_t)MIN((uint64_t)v->iov_len, left);
		if (d->align > 1 && last && ((uintptr_t)v->iov_base % d->align || last % d->align))
			return false;
		left -= last;
	}
	if (n > SCSI_DISK_MAX_IOV)
		return false;
	cmd->blk.iovcnt = n;
	if (last == cmd->iov[n - 1].iov_len) {
		cmd->blk.iov = cmd->iov;
		return true;
	}
	cmd->iov_copy = malloc(n * sizeof(*cmd->iov_copy));
	if (!cmd->iov_copy)
		return false;	/* the bounce buffer is the other way */
	memcpy(cmd->iov_copy, cmd->iov, n * sizeof(*cmd->iov_copy));
	cmd->iov_copy[n - 1].iov_len = last;
	cmd->blk.iov = cmd->iov_copy;
	return true;
}

static void *disk_alloc(const struct scsi_disk *d, size_t len)
{
	void *p;

	return posix_memalign(&p, d->align > 4096 ? d->align : 4096, len ? len : 1) ? NULL : p;
}

void scsi_disk_rw(struct scsi_disk *d, struct scsi_cmd *cmd, bool write, uint64_t lba, uint32_t n,
		    bool fua)
{
	uint64_t bytes = (uint64_t)n * d->block_size;

	if (write && d->readonly)
		return cmd_fail(cmd, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	if ((d->max_xfer_blocks && n > d->max_xfer_blocks) ||
	    bytes > (write ? cmd_out_len(cmd) : cmd_in_len(cmd)))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!disk_range_ok(d, lba, n))
		return cmd_illegal(cmd, SCSI_ASC_LBA_OUT_OF_RANGE);
	if (n == 0)
		return cmd_good(cmd);

	cmd->blk = (struct blk_req){
		.op = write ? BLK_WRITE : BLK_READ,
		.offset = lba * d->block_size,
		.len = bytes,
		/* Write-through: every write is durable when it completes. */
		.fua = write && (fua || !d->wce),
	};
	if ((d->align > 1 && (cmd->blk.offset % d->align || bytes % d->align)) || !disk_map_iov(d, cmd, bytes)) {
		cmd->buf = disk_alloc(d, bytes);
		if (!cmd->buf) {
			disk_release(cmd);
			cmd_set_busy(cmd);
			return cmd_good(cmd);
		}
		if (write)
			iov_to_buf(cmd->iov, cmd->iovcnt, 0, cmd->buf, bytes);
		cmd->bounce_iov = (struct iovec){ .iov_base = cmd->buf, .iov_len = bytes };
		cmd->blk.iov = &cmd->bounce_iov;
		cmd->blk.iovcnt = 1;
	}
	d->inflight++;
	cmd->disk = d;
	cmd->stage = STAGE_RW;
	disk_submit(d, cmd);
}

/* LBA and transfer length of the 10-, 12- and 16-byte READ/WRITE/VERIFY layouts. */
void scsi_cdb_lba_len(const uint8_t *cdb, uint64_t *lba, uint32_t *n)
{
	switch (cdb[0] >> 5) {
	case 1:		/* 10 bytes */
		*lba = get_be32(cdb + 2);
		*n = get_be16(cdb + 7);
		break;
	case 5:		/* 12 bytes */
		*lba = get_be32(cdb + 2);
		*n = get_be32(cdb + 6);
		break;
	default:	/* 16 bytes */
		*lba = get_be64(cdb + 2);
		*n = get_be32(cdb + 10);
		break;
	}
}

static void disk_read_write_6(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;

	if (cdb[1] & 0xe0)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* A transfer length of 0 means 256 blocks in the 6-byte commands. */
	scsi_disk_rw(d, cmd, cdb[0] == SCSI_WRITE_6, get_be24(cdb + 1) & 0x1fffff, cdb[4] ? cdb[4] : 256,
		false);
}

static void disk_read_write(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint64_t lba;
	uint32_t n;

	if (cdb[1] & 0xe0)		/* RDPROTECT/WRPROTECT: no protection information */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	scsi_cdb_lba_len(cdb, &lba, &n);
	/* DPO is a caching hint and needs nothing; FUA maps to the back end's. */
	scsi_disk_rw(d, cmd, cdb[0] == SCSI_WRITE_10 || cdb[0] == SCSI_WRITE_12 || cdb[0] == SCSI_WRITE_16,
		lba, n, cdb[1] & 0x08);
}

static void disk_verify(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint64_t lba;
	uint32_t n;

	/* Only the medium check (BYTCHK 0), which a file always passes. */
	if (cdb[1] & 0xe6)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	scsi_cdb_lba_len(cdb, &lba, &n);
	if (!disk_range_ok(d, lba, n))
		return cmd_illegal(cmd, SCSI_ASC_LBA_OUT_OF_RANGE);
	cmd_good(cmd);
}

static void disk_flush(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	d->inflight++;
	cmd->disk = d;
	cmd->stage = STAGE_FLUSH;
	cmd->blk = (struct blk_req){ .op = BLK_FLUSH };
	disk_submit(d, cmd);
}

static void disk_synchronize_cache(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint64_t lba;
	uint32_t n;

	/* IMMED is accepted but GOOD still waits for the flush; SYNC_NV is obsolete. */
	if (cdb[1] & ~0x06)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	scsi_cdb_lba_len(cdb, &lba, &n);
	if (!disk_range_ok(d, lba, n))
		return cmd_illegal(cmd, SCSI_ASC_LBA_OUT_OF_RANGE);
	if (d->readonly)
		return cmd_good(cmd);	/* nothing can be dirty */
	/* The whole file: fdatasync has no range, and a range changes nothing for sd. */
	disk_flush(d, cmd);
}

static void disk_start_stop(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t b4 = cmd->cdb[4];

	/*
	 * The disk is always ready: STOP does not stop it. A stop without NO_FLUSH
	 * still writes the cache out, as SBC asks before a power-down.
	 */
	if ((b4 >> 4) == 0 && !(b4 & 0x01) && !(b4 & 0x04) && !d->readonly)
		return disk_flush(d, cmd);
	cmd_good(cmd);
}

/* After a discard or zeroing: with WCE off it must be durable before GOOD. */
static void disk_settle(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	if (d->wce)
		return disk_finish(d, cmd);
	cmd->stage = STAGE_SETTLE;
	cmd->blk = (struct blk_req){ .op = BLK_FLUSH };
	disk_submit(d, cmd);
}

/* WRITE SAME by writing: fills a chunk with the block (or zeroes) and writes it out. */
static void disk_ws_write_next(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint64_t len = MIN(cmd->end - cmd->pos, (uint64_t)cmd->chunk);

	cmd->bounce_iov = (struct iovec){ .iov_base = cmd->buf, .iov_len = len };
	cmd->blk = (struct blk_req){
		.op = BLK_WRITE, .offset = cmd->pos, .len = len,
		.iov = &cmd->bounce_iov, .iovcnt = 1, .fua = !d->wce,
	};
	cmd->stage = STAGE_WS_WRITE;
	disk_submit(d, cmd);
}

static void disk_ws_write_start(struct scsi_disk *d, struct scsi_cmd *cmd, bool zero)
{
	uint32_t chunk = (uint32_t)MIN(cmd->end - cmd->pos, (uint64_t)SCSI_DISK_WS_CHUNK / d->block_size * d->block_size);
	uint8_t *p = disk_alloc(d, chunk);

	if (!p) {
		cmd_set_busy(cmd);
		return disk_finish(d, cmd);
	}
	for (uint32_t off = 0; off < chunk; off += d->block_size) {
		if (zero)
			memset(p + off, 0, d->block_size);
		else
			memcpy(p + off, cmd->buf, d->block_size);
	}
	free(cmd->buf);
	cmd->buf = p;
	cmd->chunk = chunk;
	disk_ws_write_next(d, cmd);
}

static void disk_ws_fill(struct scsi_disk *d, struct scsi_cmd *cmd, enum blk_op op)
{
	cmd->blk = (struct blk_req){ .op = op, .offset = cmd->pos, .len = cmd->end - cmd->pos };
	cmd->stage = op == BLK_DISCARD ? STAGE_WS_DISCARD : STAGE_WS_ZEROES;
	disk_submit(d, cmd);
}

static void disk_write_same(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool ws16 = cdb[0] == SCSI_WRITE_SAME_16;
	bool unmap = cdb[1] & 0x08, ndob = ws16 && (cdb[1] & 0x01), zero = true;
	uint64_t lba;
	uint32_t n;

	/* WRPROTECT, ANCHOR, and PBDATA/LBDATA (obsolete in 16) are not supported. */
	if (cdb[1] & (ws16 ? 0xf6 : 0xf7))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (ws16) {
		lba = get_be64(cdb + 2);
		n = get_be32(cdb + 10);
	} else {
		lba = get_be32(cdb + 2);
		n = get_be16(cdb + 7);
	}
	if (d->readonly)
		return cmd_fail(cmd, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* WSNZ: 0 ("to the end of the medium") is refused, as VPD B0 says. */
	if (n == 0 || n > d->max_ws_blocks || (!ndob && cmd_out_len(cmd) < d->block_size))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!disk_range_ok(d, lba, n))
		return cmd_illegal(cmd, SCSI_ASC_LBA_OUT_OF_RANGE);

	if (!ndob) {
		uint8_t *p = disk_alloc(d, d->block_size);

		if (!p) {
			cmd->status = SCSI_STATUS_BUSY;
			return cmd_good(cmd);
		}
		iov_to_buf(cmd->iov, cmd->iovcnt, 0, p, d->block_size);
		for (uint32_t i = 0; i < d->block_size && zero; i++)
			zero = !p[i];
		cmd->buf = p;
		cmd->transferred = d->block_size;
	}
	d->inflight++;
	cmd->disk = d;
	cmd->pos = lba * d->block_size;
	cmd->end = cmd->pos + (uint64_t)n * d->block_size;
	/*
	 * UNMAP lets the blocks go when what they would read back afterwards (zeroes,
	 * LBPRZ) is the block asked for; zeroes without it stay allocated.
	 */
	if (zero && unmap && d->discard)
		disk_ws_fill(d, cmd, BLK_DISCARD);
	else if (zero && !d->no_write_zeroes)
		disk_ws_fill(d, cmd, BLK_WRITE_ZEROES);
	else
		disk_ws_write_start(d, cmd, zero);
}

/* One descriptor after the other, so that a single request is all a command needs. */
static void disk_unmap_next(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	while (cmd->pos < cmd->end) {
		const uint8_t *desc = (const uint8_t *)cmd->buf + 8 + 16 * cmd->pos++;
		uint32_t n = get_be32(desc + 8);

		if (!n)
			continue;
		cmd->blk = (struct blk_req){
			.op = BLK_DISCARD,
			.offset = get_be64(desc) * d->block_size,
			.len = (uint64_t)n * d->block_size,
		};
		cmd->stage = STAGE_UNMAP;
		return disk_submit(d, cmd);
	}
	disk_settle(d, cmd);
}

static void disk_unmap(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint32_t plen = get_be16(cdb + 7), copy, bddl, ndesc;
	uint64_t total = 0;
	uint8_t *p;

	if (cdb[1])			/* ANCHOR and reserved bits */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (d->readonly)
		return cmd_fail(cmd, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	if (!d->discard)		/* LBPU 0: the command is not there */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	if (plen == 0)
		return cmd_good(cmd);
	if (plen > cmd_out_len(cmd))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (plen < 8)
		return cmd_illegal(cmd, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	copy = MIN(plen, 8U + 16U * SCSI_DISK_MAX_UNMAP_DESC);
	p = malloc(copy);
	if (!p) {
		cmd_set_busy(cmd);
		return cmd_good(cmd);
	}
	/* One copy, checked whole before anything is discarded. */
	iov_to_buf(cmd->iov, cmd->iovcnt, 0, p, copy);
	cmd->buf = p;
	bddl = get_be16(p + 2);
	if (bddl > plen - 8) {
		disk_release(cmd);
		return cmd_illegal(cmd, SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	}
	ndesc = bddl / 16;		/* an incomplete last descriptor is ignored */
	if (ndesc > SCSI_DISK_MAX_UNMAP_DESC) {
		disk_release(cmd);
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	}
	for (uint32_t i = 0; i < ndesc; i++) {
		uint64_t lba = get_be64(p + 8 + 16 * i);
		uint32_t n = get_be32(p + 8 + 16 * i + 8);

		if (lba > d->blocks || n > d->blocks - lba) {
			disk_release(cmd);
			return cmd_illegal(cmd, SCSI_ASC_LBA_OUT_OF_RANGE);
		}
		total += n;
	}
	if (total > d->max_unmap_blocks) {
		disk_release(cmd);
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
	}
	d->inflight++;
	cmd->disk = d;
	cmd->transferred = plen;
	cmd->pos = 0;
	cmd->end = ndesc;
	disk_unmap_next(d, cmd);
}

static bool disk_unsupported(int64_t result)
{
	return result == -EOPNOTSUPP || result == -EINVAL || result == -ENOSYS;
}

static void disk_blk_done(struct blk_req *req, int64_t result)
{
	struct scsi_cmd *cmd = req->opaque;
	struct scsi_disk *d = cmd->disk;

	switch ((enum scsi_disk_stage)cmd->stage) {
	case STAGE_RW:
		if (result >= 0 && (uint64_t)result != req->len)
			result = -EIO;
		if (result < 0) {
			disk_io_error(d, cmd, (int)result, req->op == BLK_WRITE);
			break;
		}
		if (req->op == BLK_READ && cmd->buf)
			iov_from_buf(cmd->iov, cmd->iovcnt, 0, cmd->buf, req->len);
		cmd->transferred = (uint32_t)req->len;
		break;
	case STAGE_WS_DISCARD:
	case STAGE_WS_ZEROES:
		/* The file system cannot: fall back to zeroing, then to writing zeroes. */
		if (disk_unsupported(result) && cmd->stage == STAGE_WS_DISCARD)
			return disk_ws_fill(d, cmd, BLK_WRITE_ZEROES);
		if (disk_unsupported(result)) {
			d->no_write_zeroes = true;
			return disk_ws_write_start(d, cmd, true);
		}
		if (result < 0) {
			disk_io_error(d, cmd, (int)result, true);
			break;
		}
		return disk_settle(d, cmd);
	case STAGE_WS_WRITE:
		if (result >= 0 && (uint64_t)result != req->len)
			result = -EIO;
		if (result < 0) {
			disk_io_error(d, cmd, (int)result, true);
			break;
		}
		cmd->pos += req->len;
		if (cmd->pos < cmd->end)
			return disk_ws_write_next(d, cmd);
		break;
	case STAGE_UNMAP:
		if (result < 0) {
			disk_io_error(d, cmd, (int)result, true);
			break;
		}
		return disk_unmap_next(d, cmd);
	case STAGE_FLUSH:
	case STAGE_SETTLE:
		if (result < 0)
			disk_io_error(d, cmd, (int)result, true);
		break;
	}
	disk_finish(d, cmd);
}

/* ---- dispatch -------------------------------------------------------------------- */

typedef void scsi_disk_fn(struct scsi_disk *d, struct scsi_cmd *cmd);

static const struct {
	uint8_t len;		/* CDB bytes */
	scsi_disk_fn *fn;
} scsi_disk_ops[256] = {
	[SCSI_TEST_UNIT_READY]		= { 6, disk_test_unit_ready },
	[SCSI_REQUEST_SENSE]		= { 6, disk_request_sense },
	[SCSI_READ_6]			= { 6, disk_read_write_6 },
	[SCSI_WRITE_6]			= { 6, disk_read_write_6 },
	[SCSI_INQUIRY]			= { 6, scsi_disk_inquiry },
	[SCSI_MODE_SELECT_6]		= { 6, disk_mode_select },
	[SCSI_MODE_SENSE_6]		= { 6, disk_mode_sense },
	[SCSI_START_STOP_UNIT]		= { 6, disk_start_stop },
	[SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL] = { 6, disk_prevent_allow },
	[SCSI_READ_CAPACITY_10]		= { 10, disk_read_capacity_10 },
	[SCSI_READ_10]			= { 10, disk_read_write },
	[SCSI_WRITE_10]			= { 10, disk_read_write },
	[SCSI_VERIFY_10]		= { 10, disk_verify },
	[SCSI_SYNCHRONIZE_CACHE_10]	= { 10, disk_synchronize_cache },
	[SCSI_WRITE_SAME_10]		= { 10, disk_write_same },
	[SCSI_UNMAP]			= { 10, disk_unmap },
	[SCSI_MODE_SELECT_10]		= { 10, disk_mode_select },
	[SCSI_MODE_SENSE_10]		= { 10, disk_mode_sense },
	[SCSI_READ_16]			= { 16, disk_read_write },
	[SCSI_WRITE_16]			= { 16, disk_read_write },
	[SCSI_VERIFY_16]		= { 16, disk_verify },
	[SCSI_SYNCHRONIZE_CACHE_16]	= { 16, disk_synchronize_cache },
	[SCSI_WRITE_SAME_16]		= { 16, disk_write_same },
	[SCSI_SERVICE_ACTION_IN_16]	= { 16, disk_service_action_in },
	[SCSI_REPORT_LUNS]		= { 12, disk_report_luns },
	[SCSI_READ_12]			= { 12, disk_read_write },
	[SCSI_WRITE_12]			= { 12, disk_read_write },
	[SCSI_VERIFY_12]		= { 12, disk_verify },
};

/* The CDB is long enough and its control byte asks for nothing we lack. */
bool scsi_cmd_cdb_ok(struct scsi_cmd *cmd, unsigned len)
{
	if (cmd->cdb_len < len || cmd->cdb_len > sizeof(cmd->cdb)) {
		cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		return false;
	}
	if (cmd->cdb[len - 1] & 0x04) {	/* NACA: NormACA is 0 */
		cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		return false;
	}
	return true;
}

void scsi_disk_execute(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t op = cmd->cdb[0];

	if (d->cd)
		return scsi_cd_execute(d, cmd);
	cmd_begin(cmd);
	if (cmd->cdb_len == 0 || !scsi_disk_ops[op].fn)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	if (!scsi_cmd_cdb_ok(cmd, scsi_disk_ops[op].len))
		return;
	scsi_disk_ops[op].fn(d, cmd);
}

unsigned scsi_disk_inflight(const struct scsi_disk *d)
{
	return d->inflight;
}

/* ---- target-level helpers -------------------------------------------------------- */

void scsi_cmd_no_lun(struct scsi_cmd *cmd)
{
	uint8_t p[96];

	cmd_begin(cmd);
	switch (cmd->cdb_len ? cmd->cdb[0] : 0xff) {
	case SCSI_INQUIRY:
		if (!scsi_cmd_cdb_ok(cmd, 6))
			return;
		if (cmd->cdb[1] & 0xfe || (!(cmd->cdb[1] & 0x01) && cmd->cdb[2]))
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		if (cmd->cdb[1] & 0x01)		/* no pages for a LUN that is not there */
			break;
		scsi_inquiry_standard(p, SCSI_TYPE_NO_LUN);
		return cmd_reply(cmd, p, 96, get_be16(cmd->cdb + 3));
	case SCSI_REQUEST_SENSE:
		if (!scsi_cmd_cdb_ok(cmd, 6))
			return;
		if (cmd->cdb[1] & 0x01)
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		/* SPC-4: the sense data, with GOOD status, says why. */
		scsi_build_sense(p, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LOGICAL_UNIT_NOT_SUPPORTED);
		return cmd_reply(cmd, p, SCSI_SENSE_FIXED_LEN, cmd->cdb[4]);
	}
	cmd_illegal(cmd, SCSI_ASC_LOGICAL_UNIT_NOT_SUPPORTED);
}

void scsi_cmd_report_luns(struct scsi_cmd *cmd, const uint16_t *luns, unsigned n)
{
	const uint8_t *cdb = cmd->cdb;
	uint32_t alloc, len;
	uint8_t *p;

	cmd_begin(cmd);
	if (!scsi_cmd_cdb_ok(cmd, 12))
		return;
	switch (cdb[2]) {		/* SELECT REPORT */
	case 0x00:			/* all LUNs but well-known ones */
	case 0x02:			/* all */
		break;
	case 0x01:			/* well-known LUNs only: there are none */
		n = 0;
		break;
	default:			/* administrative LUNs: none either, and no such select */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	}
	alloc = get_be32(cdb + 6);
	n = MIN(n, 16384U);		/* all the single-level LUNs there are */
	len = 8 + 8 * n;
	p = calloc(1, len);
	if (!p) {
		cmd_set_busy(cmd);
		return cmd_good(cmd);
	}
	put_be32(p, 8 * n);
	for (unsigned i = 0; i < n; i++) {
		uint16_t lun = luns[i] & 0x3fff;

		/* Peripheral device addressing below 256, flat space addressing above. */
		p[8 + 8 * i] = lun < 256 ? 0 : (uint8_t)(0x40 | lun >> 8);
		p[8 + 8 * i + 1] = (uint8_t)lun;
	}
	iov_from_buf(cmd->iov, cmd->iovcnt, 0, p, MIN(MIN(len, alloc), cmd_in_len(cmd)));
	cmd->transferred = MIN(MIN(len, alloc), cmd_in_len(cmd));
	free(p);
	cmd_good(cmd);
}

void scsi_cmd_unit_attention(struct scsi_cmd *cmd, uint8_t asc, uint8_t ascq)
{
	cmd_begin(cmd);
	cmd_fail(cmd, SCSI_SENSE_UNIT_ATTENTION, (uint16_t)(asc << 8 | ascq));
}

/* ---- lifetime -------------------------------------------------------------------- */

struct scsi_disk *scsi_disk_new(struct blk *b, const struct scsi_disk_config *cfg)
{
	const struct blk_info *info;
	struct scsi_disk *d;

	if (cfg->cdrom)
		return scsi_cd_new(b, cfg);
	info = blk_info(b);
	if (info->logical_block < 512 || info->size / info->logical_block == 0) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->blk = b;
	d->owns_blk = cfg->owns_backend;
	d->block_size = info->logical_block;
	d->blocks = info->size / info->logical_block;
	while (d->phys_exp < 15 && (uint64_t)info->logical_block << (d->phys_exp + 1) <= info->physical_block)
		d->phys_exp++;
	d->readonly = cfg->readonly || info->readonly;
	d->discard = info->discard && !d->readonly;
	d->rotational = info->rotational;
	d->wce = d->default_wce = cfg->write_cache;
	d->align = blk_dma_alignment(b);
	d->naa_id = cfg->naa_id;
	if (cfg->max_transfer) {
		uint32_t m = cfg->max_transfer / d->block_size;

		d->max_xfer_blocks = m ? m : 1;
	}
	/* No optimal transfer length, as on Hyper-V: sd would take it for io_opt, and
	 * mke2fs would record it as a RAID stripe width. */
	d->opt_xfer_blocks = 0;
	d->max_ws_blocks = (uint32_t)MIN(SCSI_DISK_LBP_BYTES / d->block_size, 0xffffffffULL);
	d->max_unmap_blocks = d->discard ? d->max_ws_blocks : 0;
	if (cfg->serial && cfg->serial[0]) {
		size_t i;

		/* VPD fields are printable ASCII; anything else would confuse the guest's tools. */
		for (i = 0; i < SCSI_DISK_SERIAL_MAX && cfg->serial[i]; i++)
			d->serial[i] = cfg->serial[i] >= 0x20 && cfg->serial[i] < 0x7f ? cfg->serial[i] : '_';
	} else {
		snprintf(d->serial, sizeof(d->serial), "%016llx", (unsigned long long)d->naa_id);
	}
	return d;
}

void scsi_disk_free(struct scsi_disk *d)
{
	if (d && d->owns_blk)
		blk_close(d->blk);
	free(d);
}

/* A CD drive may have no medium, hence no back end. */
void scsi_disk_plug(struct scsi_disk *d)
{
	if (d->blk)
		blk_plug(d->blk);
}

void scsi_disk_unplug(struct scsi_disk *d)
{
	if (d->blk)
		blk_unplug(d->blk);
}

void scsi_disk_drain(struct scsi_disk *d)
{
	if (d->blk)
		blk_drain(d->blk);
}
