/* SPDX-License-Identifier: MIT */
/*
 * A CD/DVD drive (MMC-6) on the SCSI disk model: peripheral type 05h, a removable
 * medium that is a read-only block back end with 2048-byte blocks, or none. The
 * medium's state as the guest sees it:
 *
 *   - no medium, or the tray opened by the guest (START STOP UNIT LoEj): NOT READY,
 *     MEDIUM NOT PRESENT for every command that needs the medium;
 *   - a medium that arrived (the host inserted it, or the guest closed the tray on
 *     it): one UNIT ATTENTION, NOT READY TO READY CHANGE (28/00), then ready;
 *   - every arrival and removal is also a media event for GET EVENT STATUS
 *     NOTIFICATION (polled), which is how Linux and Windows notice a change.
 *
 * The guest's PREVENT ALLOW MEDIUM REMOVAL keeps its own eject from happening and the
 * host's too unless the host forces it.
 */
#include "scsi_disk_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CD_BLOCK		2048U
#define CD_MAX_BYTES		(80ULL * 60 * 75 * CD_BLOCK)	/* an 80-minute CD; larger media are DVDs */
#define CD_LEAD_IN		150	/* MSF addresses count the 2-second pregap */
#define CD_SPEED_1X		176	/* kB/s */

#define MMC_PROFILE_NONE	0x0000
#define MMC_PROFILE_CD_ROM	0x0008
#define MMC_PROFILE_DVD_ROM	0x0010

#define MMC_FEATURE_PROFILE_LIST 0x0000
#define MMC_FEATURE_CORE	0x0001
#define MMC_FEATURE_MORPHING	0x0002
#define MMC_FEATURE_REMOVABLE	0x0003
#define MMC_FEATURE_RANDOM_READ	0x0010
#define MMC_FEATURE_DVD_READ	0x001f

#define GESN_CLASS_MEDIA	4
#define GESN_NEA		0x80	/* no event available (of the classes asked for) */
#define MEC_NO_CHANGE		0
#define MEC_EJECT_REQUEST	1
#define MEC_NEW_MEDIA		2
#define MEC_MEDIA_REMOVAL	3
#define MS_TRAY_OPEN		0x01
#define MS_MEDIA_PRESENT	0x02

static bool cd_ready(const struct scsi_disk *d)
{
	return d->blk && !d->tray_open;
}

static bool cd_is_dvd(const struct scsi_disk *d)
{
	return (uint64_t)d->blocks * CD_BLOCK > CD_MAX_BYTES;
}

static void cd_not_ready(struct scsi_cmd *cmd)
{
	cmd_fail(cmd, SCSI_SENSE_NOT_READY, SCSI_ASC_MEDIUM_NOT_PRESENT);
}

/* The medium d->blk (or none) is what the commands now see. */
static void cd_set_medium(struct scsi_disk *d, struct blk *b)
{
	d->blk = b;
	d->blocks = b ? blk_info(b)->size / CD_BLOCK : 0;
	d->align = b ? blk_dma_alignment(b) : 1;
}

static bool cd_medium_ok(const struct blk *b)
{
	const struct blk_info *info = blk_info(b);

	return info->logical_block == CD_BLOCK && info->size >= CD_BLOCK && info->size % CD_BLOCK == 0 &&
	       info->size / CD_BLOCK <= 0xffffffffULL;
}

struct scsi_disk *scsi_cd_new(struct blk *b, const struct scsi_disk_config *cfg)
{
	struct scsi_disk *d;

	if (b && !cd_medium_ok(b)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cd = true;
	d->owns_blk = cfg->owns_backend;
	d->block_size = CD_BLOCK;
	d->readonly = true;
	d->rotational = true;
	d->naa_id = cfg->naa_id;
	if (cfg->max_transfer) {
		uint32_t m = cfg->max_transfer / CD_BLOCK;

		d->max_xfer_blocks = m ? m : 1;
	}
	if (cfg->serial && cfg->serial[0]) {
		size_t i;

		for (i = 0; i < SCSI_DISK_SERIAL_MAX && cfg->serial[i]; i++)
			d->serial[i] = cfg->serial[i] >= 0x20 && cfg->serial[i] < 0x7f ? cfg->serial[i] : '_';
	} else {
		snprintf(d->serial, sizeof(d->serial), "%016llx", (unsigned long long)d->naa_id);
	}
	cd_set_medium(d, b);
	return d;
}

int scsi_disk_change_medium(struct scsi_disk *d, struct blk *b, bool force)
{
	if (!d->cd || (b && !cd_medium_ok(b)))
		return -EINVAL;
	if (d->blk && d->locked && !d->tray_open && !force) {
		/* Ask the guest to let go (an eject request event), as a drive's button does. */
		d->media_event = MEC_EJECT_REQUEST;
		return -EBUSY;
	}
	if (b && b == d->blk) {
		/* The same medium again: it is a new arrival for the guest, nothing closes. */
		d->tray_open = false;
		if (force)
			d->locked = false;
		d->unit_attention = true;
		d->media_event = MEC_NEW_MEDIA;
		return 0;
	}
	if (d->blk) {
		blk_drain(d->blk);
		if (d->owns_blk)
			blk_close(d->blk);
		cd_set_medium(d, NULL);
		d->unit_attention = false;
		d->media_event = MEC_MEDIA_REMOVAL;
	}
	d->tray_open = false;
	if (force)
		d->locked = false;
	if (b) {
		cd_set_medium(d, b);
		d->unit_attention = true;
		d->media_event = MEC_NEW_MEDIA;
	}
	return 0;
}

bool scsi_disk_cd_state(const struct scsi_disk *d, struct scsi_cd_state *st)
{
	if (!d->cd)
		return false;
	*st = (struct scsi_cd_state){ .medium = d->blk != NULL, .tray_open = d->tray_open, .locked = d->locked };
	return true;
}

/* ---- simple commands --------------------------------------------------------------- */

static void cd_test_unit_ready(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	if (!cd_ready(d))
		return cd_not_ready(cmd);
	cmd_good(cmd);
}

static void cd_request_sense(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t p[SCSI_SENSE_FIXED_LEN];

	if (cmd->cdb[1] & 0x01)		/* DESC */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* A pending unit attention is reported (and cleared) here; otherwise the state. */
	if (d->unit_attention) {
		d->unit_attention = false;
		scsi_build_sense(p, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_NOT_READY_TO_READY_CHANGE);
	} else if (!cd_ready(d)) {
		scsi_build_sense(p, SCSI_SENSE_NOT_READY, SCSI_ASC_MEDIUM_NOT_PRESENT);
	} else {
		scsi_build_sense(p, SCSI_SENSE_NO_SENSE, SCSI_ASC_NO_ADDITIONAL_SENSE);
	}
	cmd_reply(cmd, p, sizeof(p), cmd->cdb[4]);
}

static void cd_read_capacity(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t p[8];

	if (!(cmd->cdb[8] & 0x01) && get_be32(cmd->cdb + 2))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!cd_ready(d))
		return cd_not_ready(cmd);
	put_be32(p, (uint32_t)(d->blocks - 1));
	put_be32(p + 4, CD_BLOCK);
	cmd_reply(cmd, p, sizeof(p), sizeof(p));
}

static void cd_read(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;

	/* READ (10), (12), (16): DPO and FUA are hints for a read-only medium; the
	 * protection and reserved bits are not. */
	if (cmd->cdb[1] & 0xe7)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!cd_ready(d))
		return cd_not_ready(cmd);
	scsi_cdb_lba_len(cmd->cdb, &lba, &n);
	scsi_disk_rw(d, cmd, false, lba, n, false);
}

static void cd_write(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	(void)d;
	cmd_fail(cmd, SCSI_SENSE_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
}

static void cd_verify(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint64_t lba;
	uint32_t n;

	if (cmd->cdb[1] & 0xe6)		/* BYTCHK: nothing to compare with */
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!cd_ready(d))
		return cd_not_ready(cmd);
	scsi_cdb_lba_len(cmd->cdb, &lba, &n);
	if (!disk_range_ok(d, lba, n))
		return cmd_illegal(cmd, SCSI_ASC_LBA_OUT_OF_RANGE);
	cmd_good(cmd);
}

static void cd_synchronize_cache(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	(void)d;
	/* Nothing is ever written: there is nothing to write out. */
	cmd_good(cmd);
}

static void cd_prevent_allow(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	/* Bit 0 prevents; bit 1 (persistent prevent) is not supported. */
	if (cmd->cdb[4] & 0xfe)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	d->locked = cmd->cdb[4] & 0x01;
	cmd_good(cmd);
}

static void cd_start_stop(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t b4 = cmd->cdb[4];
	bool start = b4 & 0x01, loej = b4 & 0x02;

	if (cmd->cdb[1] & 0xfe || b4 & 0x0c)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* A power condition, or no LoEj: nothing moves. */
	if ((b4 >> 4) || !loej)
		return cmd_good(cmd);
	if (!start) {
		if (d->tray_open)
			return cmd_good(cmd);
		if (d->locked)
			return cmd_fail(cmd, d->blk ? SCSI_SENSE_ILLEGAL_REQUEST : SCSI_SENSE_NOT_READY,
					SCSI_ASC_MEDIUM_REMOVAL_PREVENTED);
		d->tray_open = true;
		d->unit_attention = false;
		if (d->blk)
			d->media_event = MEC_MEDIA_REMOVAL;
		return cmd_good(cmd);
	}
	if (d->tray_open) {
		d->tray_open = false;
		if (d->blk)
			d->media_event = MEC_NEW_MEDIA;
		/* The guest closed the tray itself: it knows, no unit attention. */
	}
	cmd_good(cmd);
}

static void cd_set_cd_speed(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	(void)d;
	/* Any speed is as good as another for a file. */
	if (cmd->cdb[1] & 0xfc)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	cmd_good(cmd);
}

static void cd_mechanism_status(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t p[8] = { 0 };

	if (d->tray_open)
		p[1] = 0x10;		/* door open */
	/* Not a changer: no slots, no slot table. */
	cmd_reply(cmd, p, sizeof(p), get_be16(cmd->cdb + 8));
}

/* ---- READ TOC/PMA/ATIP, READ DISC INFORMATION ----------------------------------- */

static void cd_put_addr(uint8_t *p, uint32_t lba, bool msf)
{
	if (msf) {
		uint64_t l = (uint64_t)lba + CD_LEAD_IN;

		p[0] = 0;
		/* Minutes saturate at 255 on media longer than MSF can address. */
		p[1] = l / (60 * 75) > 255 ? 255 : (uint8_t)(l / (60 * 75));
		p[2] = (uint8_t)((l / 75) % 60);
		p[3] = (uint8_t)(l % 75);
	} else {
		put_be32(p, lba);
	}
}

static void cd_read_toc(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool msf = cdb[1] & 0x02;
	unsigned format = cdb[2] & 0x0f, track = cdb[6], len;
	uint8_t p[32] = { 0 };

	if (cdb[1] & ~0x02)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* The format's old place (the control byte's vendor bits), for old initiators. */
	if (!format)
		format = cdb[9] >> 6;
	if (!cd_ready(d))
		return cd_not_ready(cmd);
	switch (format) {
	case 0:			/* TOC: one data track, then the lead-out */
		if (track > 1 && track != 0xaa)
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		p[2] = 1;	/* first track */
		p[3] = 1;	/* last track */
		len = 4;
		if (track <= 1) {
			p[len + 1] = 0x14;	/* ADR 1, control: data track, copy permitted */
			p[len + 2] = 1;
			cd_put_addr(p + len + 4, 0, msf);
			len += 8;
		}
		p[len + 1] = 0x14;
		p[len + 2] = 0xaa;	/* lead-out */
		cd_put_addr(p + len + 4, (uint32_t)d->blocks, msf);
		len += 8;
		break;
	case 1:			/* session information: one session, its first track at 0 */
		p[2] = 1;
		p[3] = 1;
		p[5] = 0x14;
		p[6] = 1;
		cd_put_addr(p + 8, 0, msf);
		len = 12;
		break;
	default:
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	}
	put_be16(p, (uint16_t)(len - 2));
	cmd_reply(cmd, p, len, get_be16(cdb + 7));
}

static void cd_read_disc_information(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t p[34] = { 0 };

	/* Data type 0 (standard disc information) only; the others are for BD media. */
	if (cmd->cdb[1] & 0xff)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (!cd_ready(d))
		return cd_not_ready(cmd);
	put_be16(p, sizeof(p) - 2);
	p[2] = 0x0e;		/* last session complete, disc finalized */
	p[3] = 1;		/* first track */
	p[4] = 1;		/* sessions */
	p[5] = 1;		/* first track of the last session */
	p[6] = 1;		/* last track of the last session */
	p[7] = 0x20;		/* URU: unrestricted use */
	p[8] = 0x00;		/* disc type: CD-DA or CD-ROM (DVD: the same) */
	/* Last possible lead-out: not applicable (FFh FFh FFh FFh). */
	memset(p + 20, 0xff, 4);
	cmd_reply(cmd, p, sizeof(p), get_be16(cmd->cdb + 7));
}

/* ---- GET CONFIGURATION ---------------------------------------------------------- */

static uint16_t cd_profile(const struct scsi_disk *d)
{
	if (!cd_ready(d))
		return MMC_PROFILE_NONE;
	return cd_is_dvd(d) ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
}

/* One feature descriptor at p; its length (0: no such feature). */
static unsigned cd_feature(const struct scsi_disk *d, uint16_t code, uint8_t *p, bool *current)
{
	uint16_t profile = cd_profile(d);

	memset(p, 0, 12);
	put_be16(p, code);
	switch (code) {
	case MMC_FEATURE_PROFILE_LIST:
		*current = true;
		p[2] = 0x03;			/* version 0, persistent, current */
		p[3] = 8;
		put_be16(p + 4, MMC_PROFILE_DVD_ROM);
		p[6] = profile == MMC_PROFILE_DVD_ROM;
		put_be16(p + 8, MMC_PROFILE_CD_ROM);
		p[10] = profile == MMC_PROFILE_CD_ROM;
		return 12;
	case MMC_FEATURE_CORE:
		*current = true;
		p[2] = 0x08 | 0x03;		/* version 2, persistent, current */
		p[3] = 8;
		put_be32(p + 4, 1);		/* physical interface: SCSI */
		p[8] = 0x01;			/* DBE */
		return 12;
	case MMC_FEATURE_MORPHING:
		*current = true;
		p[2] = 0x04 | 0x03;		/* version 1, persistent, current */
		p[3] = 4;
		p[4] = 0x02;			/* OCEvent: GESN operational changes; polled only */
		return 8;
	case MMC_FEATURE_REMOVABLE:
		*current = true;
		p[2] = 0x08 | 0x03;		/* version 2 */
		p[3] = 4;
		/* Tray, Load, Eject, no prevent jumper (Pvnt Jmpr 1), Lock. */
		p[4] = 0x20 | 0x10 | 0x08 | 0x04 | 0x01;
		return 8;
	case MMC_FEATURE_RANDOM_READ:
		*current = profile != MMC_PROFILE_NONE;
		p[2] = *current ? 0x01 : 0;	/* version 0 */
		p[3] = 8;
		put_be32(p + 4, CD_BLOCK);
		put_be16(p + 8, 1);		/* blocking */
		return 12;
	case MMC_FEATURE_DVD_READ:
		*current = profile == MMC_PROFILE_DVD_ROM;
		p[2] = *current ? 0x01 : 0;	/* version 0 */
		p[3] = 0;
		return 4;
	}
	return 0;
}

static void cd_get_configuration(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	static const uint16_t features[] = {
		MMC_FEATURE_PROFILE_LIST, MMC_FEATURE_CORE, MMC_FEATURE_MORPHING, MMC_FEATURE_REMOVABLE,
		MMC_FEATURE_RANDOM_READ, MMC_FEATURE_DVD_READ,
	};
	const uint8_t *cdb = cmd->cdb;
	unsigned rt = cdb[1] & 0x03, start = get_be16(cdb + 2), len = 8;
	uint8_t p[8 + 6 * 12];

	if (cdb[1] & 0xfc || rt == 3)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	memset(p, 0, 8);
	put_be16(p + 6, cd_profile(d));
	for (unsigned i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		bool current = false;
		unsigned n;

		if (rt == 2 ? features[i] != start : features[i] < start)
			continue;
		n = cd_feature(d, features[i], p + len, &current);
		if (rt == 1 && !current)
			continue;
		len += n;
	}
	put_be32(p, len - 4);
	cmd_reply(cmd, p, len, get_be16(cdb + 7));
}

/* ---- GET EVENT STATUS NOTIFICATION ---------------------------------------------- */

static void cd_get_event_status(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	uint8_t p[8] = { 0 };
	unsigned len = 4;

	/* Polled only: the asynchronous mode is not supported. */
	if (!(cdb[1] & 0x01) || cdb[1] & 0xfe)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	p[3] = 1 << GESN_CLASS_MEDIA;	/* supported event classes */
	if (cdb[4] & (1 << GESN_CLASS_MEDIA)) {
		p[2] = GESN_CLASS_MEDIA;
		p[4] = MEC_NO_CHANGE;
		if (d->media_event) {
			p[4] = d->media_event;
			d->media_event = 0;
		}
		p[5] = d->tray_open ? MS_TRAY_OPEN : d->blk ? MS_MEDIA_PRESENT : 0;
		len = 8;
	} else {
		p[2] = GESN_NEA;
	}
	put_be16(p, (uint16_t)(len - 4));
	cmd_reply(cmd, p, len, get_be16(cdb + 7));
}

/* ---- MODE SENSE ------------------------------------------------------------------ */

static unsigned cd_mode_page(const struct scsi_disk *d, uint8_t page, unsigned pc, uint8_t *p)
{
	switch (page) {
	case SCSI_MODE_PAGE_READ_ERROR_RECOVERY:
		memset(p, 0, 12);
		p[0] = page;
		p[1] = 10;
		return 12;
	case SCSI_MODE_PAGE_MM_CAPABILITIES:
		memset(p, 0, 22);
		p[0] = page;
		p[1] = 20;
		if (pc == SCSI_PC_CHANGEABLE)
			return 22;	/* nothing can be changed */
		p[2] = 0x08 | 0x02 | 0x01;	/* reads DVD-ROM, CD-RW, CD-R media */
		p[3] = 0;			/* writes nothing */
		p[4] = 0x40 | 0x10;		/* multi-session, mode 2 form 1 */
		p[5] = 0;
		p[6] = 0x20 | 0x08 | 0x01;	/* tray, eject, lock */
		if (d->locked)
			p[6] |= 0x02;		/* lock state */
		put_be16(p + 8, 50 * CD_SPEED_1X);	/* maximum read speed (obsolete) */
		put_be16(p + 12, 2048);		/* buffer, KiB */
		put_be16(p + 14, 50 * CD_SPEED_1X);	/* current read speed (obsolete) */
		return 22;
	}
	return 0;
}

static void cd_mode_sense(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	const uint8_t *cdb = cmd->cdb;
	bool ten = cdb[0] == SCSI_MODE_SENSE_10;
	unsigned hdr = ten ? 8 : 4, pc = cdb[2] >> 6, page = cdb[2] & 0x3f, len;
	uint8_t p[64] = { 0 };

	if (cdb[1] & ~(ten ? 0x18 : 0x08))
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (pc == SCSI_PC_SAVED)
		return cmd_illegal(cmd, SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
	if (cdb[3] != 0 && cdb[3] != SCSI_MODE_SUBPAGE_ALL)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	len = hdr;
	/* MMC drives have no block descriptors; none is returned whatever DBD says. */
	if (page == SCSI_MODE_PAGE_ALL) {
		len += cd_mode_page(d, SCSI_MODE_PAGE_READ_ERROR_RECOVERY, pc, p + len);
		len += cd_mode_page(d, SCSI_MODE_PAGE_MM_CAPABILITIES, pc, p + len);
	} else {
		unsigned n = cd_mode_page(d, (uint8_t)page, pc, p + len);

		if (!n)
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		len += n;
	}
	if (ten)
		put_be16(p, (uint16_t)(len - 2));
	else
		p[0] = (uint8_t)(len - 1);
	cmd_reply(cmd, p, len, ten ? get_be16(cdb + 7) : cdb[4]);
}

/* ---- READ DVD STRUCTURE ------------------------------------------------------------ */

#define DVD_STRUCT_PHYSICAL	0x00
#define DVD_STRUCT_COPYRIGHT	0x01
#define DVD_STRUCT_MANUFACTURING 0x04
#define DVD_STRUCT_LIST		0xff
#define DVD_START_SECTOR	0x030000	/* the first physical sector of a DVD-ROM's data area */

static void cd_read_dvd_structure(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	static const struct {
		uint8_t format;
		uint16_t len;		/* with the 4-byte header */
	} formats[] = {
		{ DVD_STRUCT_PHYSICAL, 2048 + 4 },
		{ DVD_STRUCT_COPYRIGHT, 4 + 4 },
		{ DVD_STRUCT_MANUFACTURING, 2048 + 4 },
	};
	const uint8_t *cdb = cmd->cdb;
	unsigned format = cdb[7], layer = cdb[6], len = 0;
	uint8_t *p;

	/* Media type 0 (DVD), no AGID; the address field means nothing for these formats. */
	if (cdb[1] & 0x0f || cdb[10] & 0xc0)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
	if (format != DVD_STRUCT_LIST) {
		for (unsigned i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			if (formats[i].format == format)
				len = formats[i].len;
		if (!len || layer)
			return cmd_illegal(cmd, SCSI_ASC_INVALID_FIELD_IN_CDB);
		if (!cd_ready(d))
			return cd_not_ready(cmd);
		if (!cd_is_dvd(d))
			return cmd_illegal(cmd, SCSI_ASC_CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT);
	} else {
		len = 4 + 4 * (unsigned)(sizeof(formats) / sizeof(formats[0]));
	}
	p = calloc(1, len);
	if (!p) {
		cmd_set_busy(cmd);
		return cmd_good(cmd);
	}
	switch (format) {
	case DVD_STRUCT_PHYSICAL:
		p[4] = 0x01;		/* book type DVD-ROM, part version 1 */
		p[5] = 0x0f;		/* 120 mm, maximum rate not specified */
		p[6] = 0x01;		/* one layer, parallel track path, read-only layer */
		put_be32(p + 8, DVD_START_SECTOR);
		put_be32(p + 12, (uint32_t)(DVD_START_SECTOR + d->blocks - 1));
		break;
	case DVD_STRUCT_LIST:
		for (unsigned i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			p[4 + 4 * i] = formats[i].format;
			p[5 + 4 * i] = 0x40;	/* readable, not writable */
			put_be16(p + 6 + 4 * i, formats[i].len);
		}
		break;
	}
	put_be16(p, (uint16_t)(len - 2));
	cmd_reply(cmd, p, len, get_be16(cdb + 8));
	free(p);
}

/* ---- dispatch -------------------------------------------------------------------- */

static void cd_report_luns(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	static const uint16_t lun0;

	(void)d;
	scsi_cmd_report_luns(cmd, &lun0, 1);
}

typedef void scsi_cd_fn(struct scsi_disk *d, struct scsi_cmd *cmd);

static const struct {
	uint8_t len;		/* CDB bytes */
	bool no_ua;		/* runs with a unit attention pending (SPC-4 5.14, MMC-6 4.1.6) */
	scsi_cd_fn *fn;
} scsi_cd_ops[256] = {
	[SCSI_TEST_UNIT_READY]		= { 6, false, cd_test_unit_ready },
	[SCSI_REQUEST_SENSE]		= { 6, true, cd_request_sense },
	[SCSI_INQUIRY]			= { 6, true, scsi_disk_inquiry },
	[SCSI_MODE_SENSE_6]		= { 6, false, cd_mode_sense },
	[SCSI_START_STOP_UNIT]		= { 6, false, cd_start_stop },
	[SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL] = { 6, false, cd_prevent_allow },
	[SCSI_READ_CAPACITY_10]		= { 10, false, cd_read_capacity },
	[SCSI_READ_10]			= { 10, false, cd_read },
	[SCSI_WRITE_6]			= { 6, false, cd_write },
	[SCSI_WRITE_10]			= { 10, false, cd_write },
	[SCSI_VERIFY_10]		= { 10, false, cd_verify },
	[SCSI_SYNCHRONIZE_CACHE_10]	= { 10, false, cd_synchronize_cache },
	[SCSI_WRITE_SAME_10]		= { 10, false, cd_write },
	[SCSI_UNMAP]			= { 10, false, cd_write },
	[SCSI_READ_TOC_PMA_ATIP]	= { 10, false, cd_read_toc },
	[SCSI_GET_CONFIGURATION]	= { 10, true, cd_get_configuration },
	[SCSI_GET_EVENT_STATUS_NOTIFICATION] = { 10, true, cd_get_event_status },
	[SCSI_READ_DISC_INFORMATION]	= { 10, false, cd_read_disc_information },
	[SCSI_MODE_SENSE_10]		= { 10, false, cd_mode_sense },
	[SCSI_READ_16]			= { 16, false, cd_read },
	[SCSI_WRITE_16]			= { 16, false, cd_write },
	[SCSI_WRITE_SAME_16]		= { 16, false, cd_write },
	[SCSI_REPORT_LUNS]		= { 12, true, cd_report_luns },
	[SCSI_READ_12]			= { 12, false, cd_read },
	[SCSI_WRITE_12]			= { 12, false, cd_write },
	[SCSI_READ_DVD_STRUCTURE]	= { 12, false, cd_read_dvd_structure },
	[SCSI_SET_CD_SPEED]		= { 12, false, cd_set_cd_speed },
	[SCSI_MECHANISM_STATUS]		= { 12, false, cd_mechanism_status },
};

void scsi_cd_execute(struct scsi_disk *d, struct scsi_cmd *cmd)
{
	uint8_t op = cmd->cdb[0];

	cmd_begin(cmd);
	if (cmd->cdb_len == 0 || !scsi_cd_ops[op].fn)
		return cmd_illegal(cmd, SCSI_ASC_INVALID_COMMAND_OPERATION_CODE);
	if (!scsi_cmd_cdb_ok(cmd, scsi_cd_ops[op].len))
		return;
	if (d->unit_attention && !scsi_cd_ops[op].no_ua) {
		d->unit_attention = false;
		return cmd_fail(cmd, SCSI_SENSE_UNIT_ATTENTION, SCSI_ASC_NOT_READY_TO_READY_CHANGE);
	}
	scsi_cd_ops[op].fn(d, cmd);
}
