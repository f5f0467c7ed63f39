/* SPDX-License-Identifier: MIT */
/*
 * A guest's KVP, as Linux's hv_utils and hv_kvp_daemon answer: the version negotiation
 * (the first of Linux's own versions the host offers), then each request in place,
 * with the host's trans_id and the host's packet length. Pools live in memory; pool 2
 * is the daemon's ten intrinsic keys. For the KVP unit tests, on the simulated guest.
 */
#ifndef HVKVM_TEST_KVP_GUEST_H
#define HVKVM_TEST_KVP_GUEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmbus_guest.h"

#define KG_RECORDS	32
#define KG_PKT		16384

/* Offsets in a packet from the host (descriptor of 16 bytes, pipe header, IC header). */
#define KG_IC		(16 + 8)		/* the IC header */
#define KG_BODY		(KG_IC + 20)		/* the message */
#define KG_FLAGS	(KG_IC + 17)
#define KG_STATUS	(KG_IC + 12)
#define KG_MSGTYPE	(KG_IC + 4)
#define KG_MSGSIZE	(KG_IC + 10)

#define KG_AUTO_MAC	"00:15:5D:00:00:01"
/* The device_id of the guest's one interface (NIC 0's VMBus instance) */
#define KG_DEVICE_ID	"{3d6e4c00-8a1f-4b3e-9c55-68766b6d6e65}"

struct kg_record {
	uint16_t key[256], value[1024];		/* UTF-16 with NUL */
	unsigned key_units, value_units;	/* NUL not counted */
};

struct kvp_guest {
	struct vg_chan *c;
	struct kg_record pools[5][KG_RECORDS];
	unsigned count[5];
	char fqdn[64];
	/* the message version the guest picks (0: 4.0, Linux's) */
	uint16_t msg_major;
	/* SET_IP_INFO: the last request as the daemon reads it (ASCII), how many came, and
	 * the status answered for the adapter KG_DEVICE_ID (others get GUID_NOTFOUND, as
	 * hv_kvp_daemon answers when no interface has that device_id) */
	struct {
		char adapter[129], ip[1024], subnet[1024], gateway[512], dns[1024];
		uint8_t family, dhcp;
		unsigned count;
		uint32_t status;
	} setip;
	/* the daemon thread */
	pthread_t thread;
	atomic_bool stop;
	atomic_uint served;
	bool running;
};

void kvp_guest_init(struct kvp_guest *kg, struct vg_chan *c);
/* The next packet from the host (waiting up to ms): its length, or -1. */
int kvp_guest_read(struct kvp_guest *kg, uint8_t *pkt, unsigned ms);
/* Answer the negotiation in pkt as Linux does: 3.0 framework, 4.0 messages. */
void kvp_guest_negotiate(struct kvp_guest *kg, uint8_t *pkt, int len);
/* What hv_kvp_daemon makes of request pkt, written in place (flags, status, body). */
void kvp_guest_process(struct kvp_guest *kg, uint8_t *pkt, int len);
/* Send pkt (descriptor included) back with its trans_id, as hv_utils does. */
void kvp_guest_send(struct kvp_guest *kg, const uint8_t *pkt, int len);
/* Read, process and answer one message; false if none came within ms. */
bool kvp_guest_serve(struct kvp_guest *kg, unsigned ms);
/* A thread that serves until stopped (the test's thread then talks to the host). */
void kvp_guest_start(struct kvp_guest *kg);
void kvp_guest_stop(struct kvp_guest *kg);

/* UTF-8 into units (NUL added): the count without it. */
unsigned kg_utf16(const char *s, uint16_t *out, unsigned max);

#endif
