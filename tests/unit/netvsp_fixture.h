/* SPDX-License-Identifier: MIT */
/*
 * What the netvsp tests share: the fixture, the guest-side helpers and the
 * checks (tests/unit/netvsp_fixture.c); each test_netvsp_*.c holds one topic.
 */
#ifndef HVKVM_TEST_NETVSP_FIXTURE_H
#define HVKVM_TEST_NETVSP_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "netvsp.h"
#include "netvsp_proto.h"
#include "rndis_proto.h"
#include "rss.h"
#include "tap.h"
#include "testutil.h"
#include "vmbus_guest.h"

#define RAM		(96ull << 20)
#define RING_GPA(i)	(0x100000ull + (uint64_t)(i) * 0x40000ull)
#define SEND_GPA	0x800000ull
#define SEND_PAGES	255			/* Linux: 170 sections of 6144 bytes */
#define RECV_GPA	0x1000000ull
#define RECV_PAGES	512			/* 2 MiB (Linux: 16 MiB) */
#define CTRL_GPA	0x3000000ull		/* where RNDIS requests are built */
#define DATA_GPA	0x3100000ull		/* frames sent by GPA direct */
#define NO_RESPONSE	0xfffffffffffffffdull	/* VMBUS_RQST_ID_NO_RESPONSE */
#define PAGE		4096u
#define DESC		16u

extern const uint8_t mac[6];
extern const uint8_t peer_mac[6];
extern const uint8_t rss_key[40];

extern struct netvsp *nv;
extern int peer;
extern struct vmbus_msg_offer_channel primary_offer;
extern struct vg_chan ch[NETVSP_MAX_QUEUES];
extern uint64_t next_tid;
extern uint32_t next_req;
extern uint32_t version;
extern uint32_t sec_size, sec_count;
extern uint32_t gpadl_id;

extern struct vg G;

void close_chan(struct vg_chan *c);

void gpadl_teardown(uint32_t relid, uint32_t id);

int write_pkt(struct vg_chan *c, const void *pkt, uint32_t len);

struct lc {
	struct netvsp_config cfg;
	int fd;
	bool up;
	struct netvsp_stats stats;
};

void lc_new(void *o);

void lc_link(void *o);

void lc_stats(void *o);

struct netvsp_stats stats(void);

void set_link(bool up);

void free_nic(void);

void nic_create(unsigned mtu, unsigned queues);

void setup_with(unsigned mtu, unsigned queues);

void setup(void);

void teardown(void);
TCase *netvsp_tcase(Suite *s, const char *name);

void nvsp(struct vg_chan *c, const void *msg, uint32_t len, uint64_t tid);

int next_pkt(struct vg_chan *c, uint8_t *buf);

uint32_t expect_comp(struct vg_chan *c, uint64_t tid, void *out, uint32_t max);

uint32_t comp_status(struct vg_chan *c, uint64_t tid, uint32_t type);

void init_version(uint32_t v, bool ok);

uint32_t send_recv_buf(uint32_t gpadl, uint16_t id, struct nvsp_msg1_send_recv_buf_complete *r);

uint32_t send_send_buf(uint32_t gpadl, uint16_t id, uint32_t *section);

void nvsp_up(uint32_t v, unsigned recv_pages, unsigned dn_pages);

int send_gpa(struct vg_chan *c, uint64_t tid, const uint64_t *gpa, const uint32_t *len, unsigned n,
		    const void *msg, uint32_t mlen);

struct rx_pkt {
	uint64_t tid;
	uint32_t nranges;
	struct vmbus_xfer_page_range r[512];
	uint32_t channel_type;
};

uint8_t *recv_buf(void);

void parse_xfer(const uint8_t *buf, uint32_t len, struct rx_pkt *p);

void complete_rx(struct vg_chan *c, uint64_t tid);

uint32_t rndis_at(uint64_t gpa, const void *msg, uint32_t len, void *reply, uint32_t max);

uint32_t rndis(const void *msg, uint32_t len, void *reply, uint32_t max);

void rndis_init(void);

uint32_t query_in(uint32_t oid, const void *in, uint32_t inlen, void *out, uint32_t *outlen);

uint32_t query(uint32_t oid, void *out, uint32_t *outlen);

uint32_t query32(uint32_t oid);

uint32_t set_oid(uint32_t oid, const void *info, uint32_t len);

uint32_t set_filter(uint32_t filter);

void set_offloads(void);

void nic_up(void);

void put16(uint8_t *p, uint32_t v);

uint32_t get16(const uint8_t *p);

uint64_t sum16(uint64_t s, const uint8_t *p, size_t len);

uint16_t fold(uint64_t s);

uint32_t mk_tcp4(uint8_t *f, const uint8_t *dst, uint32_t saddr, uint32_t daddr, uint16_t sport,
			uint16_t dport, uint32_t payload);

uint32_t mk_udp6(uint8_t *f, const uint8_t *dst, uint32_t payload);

bool l4_valid(const uint8_t *f, uint32_t len, uint32_t l4, uint32_t proto);

void finish_csum(uint8_t *f, uint32_t len, const struct net_vnet_hdr *vh);

uint32_t mk_udp4(uint8_t *f, const uint8_t *dst, uint32_t payload);

struct net_vnet_hdr unfinish(uint8_t *f, uint32_t len);

uint32_t mk_rndis(uint8_t *out, const uint8_t *frame, uint32_t flen, const uint32_t *ppi, unsigned nppi);

uint8_t *send_section(uint32_t i);

uint32_t tx_section(struct vg_chan *c, uint32_t sec, uint32_t len);

int peer_read(struct net_vnet_hdr *vh, uint8_t *f, uint32_t max);

bool peer_idle(void);

void peer_write(uint8_t flags, const uint8_t *f, uint32_t len);

void peer_write_vh(const struct net_vnet_hdr *vh, const uint8_t *f, uint32_t len);

struct rx_frame {
	uint32_t off, len;
	bool has_csum, has_hash, has_id;
	uint32_t csum, hash, id;
	uint8_t data[2048];	/* copied before the section goes back to the host */
};

void parse_rx_range(const struct vmbus_xfer_page_range *r, struct rx_frame *fr);

unsigned rx_frames(struct vg_chan *c, struct rx_frame *fr, unsigned n, bool hold, uint64_t *tids);

#endif
