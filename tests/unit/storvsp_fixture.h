/* SPDX-License-Identifier: MIT */
/*
 * What the storvsp tests share: the fixture, the guest-side helpers and the
 * checks (tests/unit/storvsp_fixture.c); each test_storvsp_*.c holds one topic.
 */
#ifndef HVKVM_TEST_STORVSP_FIXTURE_H
#define HVKVM_TEST_STORVSP_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_file.h"
#include "guid.h"
#include "loop.h"
#include "scsi.h"
#include "storvsp.h"
#include "storvsp_proto.h"
#include "testutil.h"
#include "vmbus.h"
#include "vmbus_guest.h"
#include "vmbus_internal.h"

#define NVP		2
#define RAM_SIZE	(64ull << 20)
#define MAX_SUB		3
#define BS		512u
#define DISK0_BYTES	(16u << 20)
#define DISK_SMALL	(1u << 20)
#define PAGE		VG_PAGE
#define MAX_PAGES	(STORVSP_MAX_TRANSFER / PAGE + 1)	/* Linux's sg_tablesize */
#define INFLIGHT_MAX	1024	/* storvsp's per-channel limit */

/* Guest RAM: rings from 1 MiB, 512 KiB a slot; data buffers from 16 MiB. */
#define RING_GPA(slot)	(VG_RAM_START + (uint64_t)(slot) * 0x80000ull)
#define RING_SLOTS	24
#define RING_UP		32	/* pages each way, with their control page: 128 KiB as Linux */
#define RING_DN		32
#define BUF_A		0x1000000ull
#define BUF_B		0x1400000ull
#define BUF_C		0x1800000ull
#define BUF_BIG		0x2000000ull	/* 8 MiB for 2 MiB transfers and floods */

#define RQST_INIT	0xfffffffffffffffdull	/* VMBUS_RQST_INIT */
#define RQST_RESET	0xfffffffffffffffcull	/* VMBUS_RQST_RESET */
#define COMP_REQ	VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED
#define DESC		16u

/* vmscsi_request.data_in */
#define DIR_OUT		0
#define DIR_IN		1
#define DIR_NONE	2

_Static_assert(RING_GPA(RING_SLOTS) <= BUF_A, "rings below the buffers");

struct disk {
	int fd;
	char path[64];
	struct blk *blk;	/* the controller's while attached */
};

extern struct vg g;
extern struct storvsp *sv;
extern struct disk disks[5];
extern struct vmbus_msg_offer_channel offers[8];
extern unsigned pkt_size;
extern uint64_t next_trans;
extern uint32_t next_gpadl;
extern unsigned next_slot;

uint8_t pattern(uint64_t off, uint8_t seed);

void disk_make(struct disk *d, uint32_t bytes, uint8_t seed);

struct blk *disk_blk(struct disk *d, bool ro);

extern const struct scsi_disk_config disk_cfg;

void setup(void);

void teardown(void);
TCase *tcase(Suite *s, const char *name);

struct lcall {
	unsigned lun;
	struct disk *d;
	bool ro;
	int r;
};

void lc_attach(void *o);

void lc_detach(void *o);

int attach(unsigned lun, struct disk *d);

int detach(unsigned lun);

/* disks[3] as a CD/DVD drive (read as an ISO image) on LUN 3, attached while the
 * guest runs (storvsp sends ENUMERATE_BUS): 0 or the error. */
int attach_cd(void);

struct probe {
	uint32_t relid;
	bool open, failed;
	bool dev_closed;		/* storvsp's close ran: it let go of the channel */
	unsigned blk_inflight;		/* all disks */
	char stats[512];
};

void lc_probe(void *o);

struct probe probe(uint32_t relid);

unsigned long long stat_of(uint32_t relid, const char *what);

uint8_t *gp(uint64_t gpa, uint64_t len);

void fill(uint64_t gpa, uint32_t len, uint8_t seed);

bool all_bytes(uint64_t gpa, uint32_t len, uint8_t v);

void check_file(struct disk *d, uint64_t off, const uint8_t *data, uint32_t len);

void guest_connect(void);

void chan_open_pages(struct vg_chan *c, const struct vmbus_msg_offer_channel *o, unsigned up, unsigned dn);

void chan_open(struct vg_chan *c, const struct vmbus_msg_offer_channel *o);

struct comp {
	struct vmbus_packet_desc d;
	uint32_t size;			/* payload bytes, padding included */
	struct vstor_packet p;		/* zero-padded */
};

bool comp_read(struct vg_chan *c, struct comp *r, unsigned ms);

void expect_comp_size(struct vg_chan *c, uint64_t trans, unsigned size, struct comp *r);

void expect_comp(struct vg_chan *c, uint64_t trans, struct comp *r);

void expect_nothing(struct vg_chan *c);

void vstor_send(struct vg_chan *c, uint64_t trans, uint32_t op, const void *body, uint32_t blen, unsigned size);

uint32_t vstor_op_size(struct vg_chan *c, uint32_t op, const void *body, uint32_t blen, unsigned size,
			      unsigned reply_size, struct comp *r);

uint32_t vstor_op(struct vg_chan *c, uint32_t op, const void *body, uint32_t blen, struct comp *r);

uint32_t op_version(struct vg_chan *c, uint16_t v, struct comp *r);

uint32_t op_subchannels(struct vg_chan *c, uint16_t n, struct comp *r);

uint32_t op(struct vg_chan *c, uint32_t operation);

struct vmstorage_channel_properties linux_init(struct vg_chan *c);

void ready(struct vg_chan *c);

void srb_init(struct vstor_packet *p, uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir,
		     uint32_t xfer);

unsigned pfns_of(uint64_t gpa, uint32_t len, uint64_t *pfns);

uint64_t srb_send(struct vg_chan *c, const struct vstor_packet *p, uint64_t gpa, uint32_t len);

struct comp scsi_path(struct vg_chan *c, uint8_t path, uint8_t target, uint8_t lun, const uint8_t *cdb,
			     unsigned cdb_len, uint8_t dir, uint64_t gpa, uint32_t len);

struct comp scsi(struct vg_chan *c, uint8_t lun, const uint8_t *cdb, unsigned cdb_len, uint8_t dir,
			uint64_t gpa, uint32_t len);

unsigned cdb_rw10(uint8_t *cdb, bool write, uint32_t lba, uint16_t n);

unsigned cdb_rw16(uint8_t *cdb, bool write, uint64_t lba, uint32_t n);

unsigned cdb_inquiry(uint8_t *cdb, uint16_t alloc);

unsigned cdb_report_luns(uint8_t *cdb, uint32_t alloc);

unsigned cdb_tur(uint8_t *cdb);

struct comp tur(struct vg_chan *c, uint8_t lun);

struct comp rw10(struct vg_chan *c, uint8_t lun, bool write, uint32_t lba, uint16_t n, uint64_t gpa);

void check_good(const struct comp *r, uint32_t xfer);

void check_sense(const struct comp *r, uint8_t srb_status, uint8_t key, uint16_t asc);

void check_refused(const struct comp *r, uint8_t srb_status, uint32_t status);

#endif
