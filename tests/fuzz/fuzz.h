/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer targets share: a reader that turns the fuzzer's bytes into
 * fields (reading past the end gives zeroes, so every input is a valid one), the
 * input formats of each target (fuzz-seeds writes them too), and a check that
 * aborts, so that a broken invariant is a crash the fuzzer keeps.
 *
 * Every target builds what it fuzzes from scratch for each input, or resets it, so
 * that an input does the same thing whenever it runs.
 */
#ifndef HVKVM_FUZZ_H
#define HVKVM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline size_t fz_bytes(struct fz *f, void *dst, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(dst, f->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	f->p += k;
	f->n -= k;
	return k;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v;

	fz_bytes(f, &v, 2);
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v;

	fz_bytes(f, &v, 4);
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v;

	fz_bytes(f, &v, 8);
	return v;
}

/* Abort with a message: the fuzzer records the input as a crash. The message goes
 * to file descriptor 2, which fuzz_quiet_logs() leaves alone. */
#define FZ_CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			dprintf(2, "fuzz check failed at %s:%d: %s: ", __FILE__, \
				__LINE__, #cond);				\
			dprintf(2, __VA_ARGS__);				\
			dprintf(2, "\n");					\
			abort();						\
		}								\
	} while (0)

struct vg;
struct vg_chan;
/* The simulated guest (tests/guest/vmbus_guest.h) pumped, ram bytes of RAM, nvp VPs
 * with SIMP, SIEFP and every SINT on (any SINT the input names works). */
void fuzz_guest_init(struct vg *g, uint64_t ram, unsigned nvp);
/* vmbus_connect and vmbus_request_offers: INITIATE_CONTACT 5.3, then REQUESTOFFERS,
 * each settled (the offers reach g->on_msg). */
void fuzz_guest_connect(struct vg *g);
/* Channel k's rings: 64 KiB a channel from 1 MiB. */
#define FZ_RING_GPA(k)		(0x100000ull + (uint64_t)(k) * 0x10000ull)
/* From the input: any value in one field of either ring's control page of an open
 * channel, then a signal. */
void fuzz_ring_ctl(struct vg_chan *c, struct fz *in);


/* Devices on channels the harness opens, as their drivers have them after vmbus_open
 * (fuzz_ic, fuzz_synth_input, fuzz_kvp, fuzz_vss). */
struct fz_chans {
	struct vg *g;
	struct vg_chan *c;	/* n channels; channel k's rings at FZ_RING_GPA(k) */
	unsigned n, ring_pages;
};
/* The guest (fuzz_guest_init, FZ_VS_NVP VPs) whose on_msg gives the first n devices'
 * offers to chans in the order the devices were added; chans zeroed. Add the
 * devices, then fz_chans_connect(). */
void fz_chans_init(struct fz_chans *fc, struct vg *g, struct vg_chan *chans, unsigned n, uint64_t ram,
		   unsigned ring_pages);
/* fuzz_guest_connect, then every channel opened (checked). */
void fz_chans_connect(struct fz_chans *fc);
/* u8 from the input: one of the channels. */
struct vg_chan *fz_chan(struct fz_chans *fc, struct fz *in);
/* Channel c's GPADL and OPENCHANNEL, if it is closed. */
void fz_chan_open(struct fz_chans *fc, struct vg_chan *c);
/* From the input: u16 type, u16 flags, [u8 trans id if trans,] u16 len (% max), bytes:
 * an in-band-sized packet put in c's ring, and a signal, if c is open. */
void fz_chan_packet(struct fz_chans *fc, struct vg_chan *c, struct fz *in, bool trans, uint16_t max);
/*
 * An IC's guest (KV_OP_ANSWER): the host's next message on c, answered in place as
 * hv_utils does (a negotiation with framework 3.0 and the message version
 * versions[how & 3]; a status of 0, fail_status or from the input), then edited,
 * its trans_id and length changed as the input says.
 */
void fz_ic_answer(struct fz_chans *fc, struct vg_chan *c, struct fz *in, const uint16_t versions[4][2],
		  uint32_t fail_status);
/* hvkvm's log lines go nowhere unless HVKVM_FUZZ_LOG is set: the fuzzer prints its
 * own, and sanitizer reports go to the real stderr either way. */
void fuzz_quiet_logs(void);

/* A sparse temp file of `bytes`, unlinked, reachable as /proc/self/fd/N (path). */
int fuzz_temp_file(uint64_t bytes, char *path, size_t pathlen);

struct vm_config;
/* Print cfg as --print-config does; that text must load (config_load_json) to a
 * configuration that prints the same. */
void fuzz_config_roundtrip(const struct vm_config *cfg);

/* ---- input formats ------------------------------------------------------------------
 * Each input is a sequence of operations: an op byte (taken modulo the count) and its
 * fields, read with the fz_* functions in the order listed.
 */

/* fuzz_hvsock: VMBus sockets, the guest connecting and the host. */
enum {
	HS_OP_CONNECT,		/* u32 guest port, u32 host port, u8 mangle: TL_CONNECT_REQUEST */
	HS_OP_OPEN,		/* u8 chan */
	HS_OP_PACKET,		/* u8 chan, u16 type, u32 pkt_type, u32 data_size, u16 len, bytes */
	HS_OP_CONSUME,		/* u8 chan */
	HS_OP_CLOSE,		/* u8 chan: CLOSECHANNEL and the GPADL's teardown */
	HS_OP_RELEASE,		/* u8 chan: RELID_RELEASED */
	HS_OP_RING_CTL,		/* u8 chan, then fuzz_ring_ctl's fields */
	HS_OP_HOST_SEND,	/* u8 conn, u16 len */
	HS_OP_HOST_SHUTDOWN,	/* u8 conn */
	HS_OP_HOST_CLOSE,	/* u8 conn */
	HS_OP_HOST_STALL,	/* u8 conn, u8 on: the back end takes no guest bytes while on */
	HS_OP_HOST_CONNECT,	/* u32 guest port */
	HS_OP_REFUSE,		/* u8 on: the back end refuses guest connects while on */
	HS_OP_COUNT
};

/* fuzz_vmbus_server: the channel-management protocol against a bus with devices. */
enum {
	VS_OP_POST,		/* u8 conn (0: 1, 1: 4, else itself), u8 len, bytes: HvPostMessage */
	VS_OP_WRITE_MEM,	/* u32 gpa (mod RAM), u8 len, bytes */
	VS_OP_SIGNAL,		/* u16 relid, u8 how (0 fast, 1 slow, 2 legacy event + int page bit) */
	VS_OP_GUEST_SEND,	/* u16 relid, u16 type, u16 flags, u8 len, bytes: a packet in its ring */
	VS_OP_GUEST_RECV,	/* u16 relid: read every packet the host wrote */
	VS_OP_DEVICE,		/* u8 dev, u8 action (0 sub-channel u8, 1 send u8 len, 2 remove, 3 add) */
	VS_OP_RESET,		/* vmbus_reset */
	VS_OP_RING_CTL,		/* u16 relid, u8 field (ring << 2 | index), u32 value */
	VS_OP_COUNT
};
#define FZ_VS_RAM		(2u << 20)
#define FZ_VS_NVP		2

/* fuzz_vmbus_ring: two rings in heap memory, one read and one written by the host.
 * Header: u8 inbound data pages, u8 outbound data pages (each % 8 + 1), then five u32
 * of each control page (write, read, mask, pending, features). */
enum {
	VR_OP_GUEST_RAW,	/* u16 offset, u8 len, bytes into the inbound data */
	VR_OP_CTL,		/* u8 field (ring << 3 | index % 5), u32 value */
	VR_OP_GUEST_SEND,	/* u16 type, u16 flags, u16 len: a well-formed packet */
	VR_OP_RECV,		/* u16 buffer size */
	VR_OP_RECV_DONE,
	VR_OP_SEND,		/* u8 count (% 4 + 1), u16 len each */
	VR_OP_GUEST_RECV,	/* the guest reads the outbound ring */
	VR_OP_MASK,		/* u8 (0 mask, 1 unmask, 2 empty) */
	VR_OP_COUNT
};

/* fuzz_gpadl: GPADL messages, then host views of them. Header: u8 guest memory layout. */
enum {
	GP_OP_HEADER,		/* u8 len, bytes: a GPADL_HEADER message */
	GP_OP_BODY,		/* u8 len, bytes: a GPADL_BODY message */
	GP_OP_VIEW,		/* u32 id, u32 first, u32 count */
	GP_OP_REMOVE,		/* u32 id */
	GP_OP_VIEW_PAGES,	/* u8 count (% 33), u64 pfn each: gmem_view_pages */
	GP_OP_ACCESS,		/* u64 gpa, u16 len: gmem_ptr, gmem_read, gmem_write */
	GP_OP_COUNT
};
enum { GP_MEM_ONE, GP_MEM_PC, GP_MEM_HIGH_NOFD, GP_MEM_HIGH_FD, GP_MEM_COUNT };

/* fuzz_hypercall. Header: u16 feature mask. */
enum {
	HC_OP_WRITE_MEM,	/* u16 offset into the first RAM region, u8 len, bytes */
	HC_OP_REGS,		/* u8 vp | long mode << 7, u64 rax rbx rcx rdx rsi rdi r8 */
	HC_OP_CALL,		/* u8 vp, u64 control, u64 in, u64 out */
	HC_OP_WRMSR,		/* u8 vp, u16 msr (0x40000000 + % 0x200), u64 value */
	HC_OP_RDMSR,		/* u8 vp, u16 msr */
	HC_OP_COUNT
};
#define FZ_HC_NVP		3

/* fuzz_scsi_disk. Header: u8 config (bit 0 read-only, 1 write cache, 2 cache=none disk,
 * 3 no serial, 4 a CD/DVD drive instead of a disk, 5 the drive starts empty), u32 max
 * transfer (% 2 MiB). */
enum {
	SD_OP_CMD,		/* u8 target (0 disk, 1 no LUN, 2 REPORT LUNS u8 n, 3 unit attention),
				 * u8 CDB length, 16 bytes CDB, u8 data in, u32 data length (% 4 MiB),
				 * u8 pieces (% 9), u32 each (% 1 MiB + 1), then out-data bytes */
	SD_OP_WAIT,		/* complete every command in flight */
	SD_OP_MEDIUM,		/* CD/DVD drive: u8 what (% 4: eject, insert medium A, forced eject,
				 * insert medium B); every command completes first */
	SD_OP_COUNT
};
#define FZ_SD_DISK_BYTES	(1u << 20)
#define FZ_SD_MAX_INFLIGHT	8
#define FZ_SD_CD_BYTES		(96u * 2048)

/* fuzz_storvsp: a vstor channel the harness opened. Header: u8 flags. */
#define SV_F_NEGOTIATE		0x01	/* the harness negotiates vstor (WIN10) first */
#define SV_F_CONSUME		0x02	/* the guest reads completions after each op */
#define SV_F_LUN1		0x04	/* a second, read-only disk at LUN 1 */
#define SV_F_WIN8		0x08	/* negotiate WIN8 instead of WIN10 */
enum {
	SV_OP_PACKET,		/* u8 chan, u16 type, u16 flags, u64 trans id, u32 byte count,
				 * u32 byte offset, u8 pfns (% 65), u64 each, u8 len, bytes */
	SV_OP_RAW,		/* u8 chan, u8 len, bytes written at the write index, u32 index */
	SV_OP_RING_CTL,		/* u8 chan, u8 field (ring << 2 | index), u32 value */
	SV_OP_CONSUME,		/* u8 chan: the guest reads its completions */
	SV_OP_WRITE_MEM,	/* u32 gpa (mod RAM), u8 len, bytes */
	SV_OP_CLOSE,		/* u8 chan: CLOSECHANNEL */
	SV_OP_OPEN,		/* u8 chan: GPADL and OPENCHANNEL */
	SV_OP_COUNT
};
#define FZ_SV_RAM		(4u << 20)
#define FZ_SV_DATA_GPA		0x200000u	/* where seeds put data buffers */
#define FZ_SV_RING_PAGES	4		/* data pages per direction */
#define FZ_SV_MAX_CHAN		4		/* the primary and 3 sub-channels */

/* fuzz_ic: the shutdown, heartbeat and time sync ICs (channels 0, 1, 2), opened. */
enum {
	IC_OP_PACKET,		/* u8 chan, u16 type, u16 flags, u16 len (% 2032), bytes */
	IC_OP_RING_CTL,		/* u8 chan, u8 field (ring << 2 | index), u32 value */
	IC_OP_CONSUME,		/* u8 chan: the guest reads what the host sent */
	IC_OP_HOST,		/* u8 (0 shutdown, 1 restart, 2 time sync, 3 heartbeat state) */
	IC_OP_CLOSE,		/* u8 chan */
	IC_OP_OPEN,		/* u8 chan */
	IC_OP_COUNT
};
/* fuzz_kvp: u8 selector. sel & 3 == 2: channel mode, then ops; else the KVP message as
 * the guest answered it (after the IC header), for GET_IP_INFO (bit 0) or ENUMERATE of
 * pool (sel >> 2) % 5. */
enum {
	KV_OP_HOST,		/* u8 what (0 enumerate, 1 set, 2 delete, 3 ip info), u8 pool,
				 * u32 index, u8 key, u8 value (texts) */
	KV_OP_ANSWER,		/* u8 how, u8 edits, [u32 status], edits x (u16 offset, u8 byte),
				 * [u64 trans_id], [u16 length]: the guest answers in place */
	KV_OP_PACKET,		/* u16 type, u16 flags, u8 trans_id, u16 len (% 8192), bytes */
	KV_OP_RING_CTL,		/* u8 field (ring << 2 | index), u32 value */
	KV_OP_CLOSE,
	KV_OP_OPEN,
	KV_OP_COUNT
};

/* fuzz_fcopy: u8 selector. sel & 1: channel mode, then ops; else u8 operation (% 5),
 * then the guest's answer to it (after the IC header), for ic_fcopy_check_answer(). */
enum {
	FC_OP_HOST,		/* u8 what (0-1 copy: u16 size, u8 flags (% 4), u8 names (dir, name
				 * of FZ_FC_NAMES); 2 abort the last copy) */
	FC_OP_ANSWER,		/* as KV_OP_ANSWER: the guest answers in place */
	FC_OP_PACKET,		/* u16 type, u16 flags, u8 trans_id, u16 len (% 8192), bytes */
	FC_OP_RING_CTL,		/* u8 field (ring << 2 | index), u32 value */
	FC_OP_FILE,		/* u16 size: the host file is cut or grown to it */
	FC_OP_CLOSE,
	FC_OP_OPEN,
	FC_OP_COUNT
};
#define FZ_FC_NAMES		4
/* fuzz_vss: u8 selector. sel & 1: channel mode, then ops; else a FREEZE (bit 1 clear) or
 * THAW answer's body as the guest sent it (after the IC header). */
enum {
	FV_OP_HOST,		/* u8 what (0 freeze, 1 thaw, 2 reset, 3 pause or resume, 4 request
				 * timeout 1 ns or the kind's), u8 hold (odd: 1 ns, even: 1 hour) */
	FV_OP_ANSWER,		/* as KV_OP_ANSWER */
	FV_OP_PACKET,		/* as KV_OP_PACKET */
	FV_OP_RING_CTL,		/* u8 field (ring << 2 | index), u32 value */
	FV_OP_CLOSE,
	FV_OP_OPEN,
	FV_OP_COUNT
};
/* fuzz_synth_input: the synthetic keyboard (channel 0) and mouse (channel 1), opened. */
enum {
	SI_OP_PACKET,		/* u8 chan, u16 type, u16 flags, u16 len (% 2032), bytes */
	SI_OP_RING_CTL,		/* u8 chan, u8 field (ring << 2 | index), u32 value */
	SI_OP_CONSUME,		/* u8 chan: the guest reads what the host sent */
	SI_OP_KEY,		/* u32 keysym, u8 down */
	SI_OP_POINTER,		/* u8 buttons, u16 x, u16 y, u16 wheel */
	SI_OP_CLOSE,		/* u8 chan */
	SI_OP_OPEN,		/* u8 chan */
	SI_OP_COUNT
};
#define FZ_SI_RAM		(2u << 20)
#define FZ_SI_RING_PAGES	3
#define SI_FUZZ_MAX		2048
/* fuzz_synth_video: the synthetic video device on an opened channel, and a front end
 * reading what it shows. */
enum {
	VID_OP_PACKET,		/* u16 type, u16 flags, u16 len (% VID_FUZZ_MAX - 16), bytes */
	VID_OP_RING_CTL,		/* u8 field (ring << 2 | index), u32 value */
	VID_OP_CONSUME,		/* the guest reads what the host sent */
	VID_OP_LOOK,		/* a front end reads the mode, the pixels, the pointer, the dirty box */
	VID_OP_LISTEN,		/* u8 on: a front end listens, or stops */
	VID_OP_CLOSE,
	VID_OP_OPEN,
	VID_OP_COUNT
};
#define FZ_VID_RAM		(2u << 20)
#define FZ_VID_RING_PAGES	8
#define VID_FUZZ_MAX		8192

#define FZ_IC_COUNT		3
#define FZ_IC_RAM		(2u << 20)
#define FZ_IC_RING_PAGES	3
#define IC_FUZZ_MAX		2048

/* fuzz_netvsp: the synthetic NIC (a primary and FZ_NV_MAX_CHAN - 1 sub-channels) with a
 * socketpair for its tap. Header: u8 flags. */
#define NV_F_NEGOTIATE		0x01	/* the harness runs NVSP 6.1 up to working buffers */
#define NV_F_RNDIS_INIT		0x02	/* and RNDIS INITIALIZE */
#define NV_F_CONSUME		0x04	/* the guest reads the rings (completing receives) after each op */
#define NV_F_SUBCHAN		0x08	/* the harness asks for a sub-channel and opens it */
#define NV_F_JUMBO		0x10	/* the NIC allows MTU 9000 */
enum {
	NV_OP_NVSP,		/* u8 chan, u16 flags, u64 trans id, u8 len, bytes: an in-band packet */
	NV_OP_RNDIS,		/* u8 chan, u32 section index, u32 section size, u32 channel type,
				 * u8 ranges (% 5), each u32 gpa and u16 byte count: SEND_RNDIS_PKT,
				 * GPA direct if there are ranges */
	NV_OP_SECTION,		/* u16 section (% 16), u16 offset (% 6144), u16 len, bytes into the send buffer */
	NV_OP_PACKET,		/* u8 chan, u16 type, u16 flags, u64 trans id, u8 range count, u32 byte
				 * count, u32 byte offset, u8 pfns (% 65), u64 each, u8 len, bytes */
	NV_OP_WRITE_MEM,	/* u32 gpa (mod RAM), u16 len, bytes */
	NV_OP_RING_CTL,		/* u8 chan, u8 field (ring << 2 | index), u32 value */
	NV_OP_CONSUME,		/* u8 chan, u8 complete: the guest reads the ring, completing receives */
	NV_OP_TAP,		/* u16 len (% 9300), bytes: a datagram from the tap (virtio-net header, frame) */
	NV_OP_LINK,		/* u8 up */
	NV_OP_CLOSE,		/* u8 chan */
	NV_OP_OPEN,		/* u8 chan */
	NV_OP_COUNT
};
#define FZ_NV_RAM		(4u << 20)
#define FZ_NV_MAX_CHAN		2
#define FZ_NV_RING_PAGES	4
#define FZ_NV_RECV_GPA		0x200000u
#define FZ_NV_RECV_PAGES	64
#define FZ_NV_SEND_GPA		0x240000u
#define FZ_NV_SEND_PAGES	16	/* 10 sections of 6144 bytes */
#define FZ_NV_DATA_GPA		0x300000u	/* where seeds put RNDIS messages and frames */
#define FZ_NV_TAP_MAX		9300

/* fuzz_packet: one VMBus packet as the ring reader copies it. Header: u8 max ranges
 * (% 70), u16 max pages (% 600), u32 max bytes, u16 iovecs (% FZ_PK_MAX_IOV + 1), u8 bit 0
 * no transfer page set, u16 its id, u16 its bytes (% FZ_PK_XFER_MAX + 1), u32 offset and
 * u16 length of a walk over the result; then the packet, the rest of the input (at most
 * FZ_PK_MAX bytes). */
#define FZ_PK_MAX		16384
#define FZ_PK_MAX_IOV		640
#define FZ_PK_XFER_MAX		16384

/* fuzz_rndis: RNDIS control messages to one device. Header: u8 flags (bit 0 jumbo
 * frames, 1 NDIS 6.1, 2-4 queues - 1, 5 link down, 6 no LSO, 7 no RSC); then each
 * message: u16 len (% 4161), bytes. */

/* fuzz_jsonrpc: what a client writes to the management socket, all of it, then the end
 * of its output (lines of JSON-RPC requests, a last line without its newline). */
#define FZ_JR_MAX_MSG		4096	/* the server's message limit in the harness */

/* fuzz_cli: the words of a command line, each ended by a NUL. */

/* fuzz_net_csum: u16 csum_start, u16 csum_offset, u8 slack (the length given is the
 * frame's minus slack % 4, or plus 1 when slack is 4), u8 cuts (% FZ_NC_MAX_CUTS), u16
 * each (a place to cut, % the frame's length + 1), then the frame: the rest. */
#define FZ_NC_MAX_CUTS		8

/* fuzz_vhdx: one VHDX structure to its parser (src/backends/vhdx.c). u8 kind (% 6),
 * u8 flags (bit 0: the target puts right the structure's CRC-32C, so that mutations
 * get past it), then by kind:
 *   HEADER   u64 file size, the header (zero-padded to 4 KiB)
 *   REGION   u64 file size, u32 log offset, u32 log length, the table (to 64 KiB)
 *   METADATA u32 region length (64 KiB + % 1 MiB), u16 table bytes, the table (to 64
 *            KiB), then the items at 64 KiB: the rest
 *   LOCATOR  the parent locator item: the rest
 *   BAT      u8 block size shift (% 9 + 20), u8 bit 0 4096-byte sectors, bit 1 a parent,
 *            u32 virtual size in sectors (% FZ_VX_MAX_SECTORS + 1), u64 file size,
 *            the entries (zero-padded)
 *   LOG      u8 sectors (% 64 + 1), 16 bytes log GUID, the log (zero-padded) */
enum { FZ_VX_HEADER, FZ_VX_REGION, FZ_VX_METADATA, FZ_VX_LOCATOR, FZ_VX_BAT, FZ_VX_LOG, FZ_VX_KINDS };
#define FZ_VX_MAX_SECTORS	(1u << 24)

/* fuzz_vhd: one VHD structure to its parser (src/backends/vhd.c). u8 kind (% 3), u8
 * flags (bit 0: the target puts right the checksum), then by kind:
 *   FOOTER   u64 file size, the footer (to 512 bytes)
 *   DYNAMIC  u64 file size, u64 disk size, u64 header offset, the header (to 1024)
 *   BAT      u8 block size shift (% 17 + 12), u16 entries, u64 disk size, u64 file
 *            size, u32 BAT offset, u32 header offset, the entries (big-endian) */
enum { FZ_VHD_FOOTER, FZ_VHD_DYNAMIC, FZ_VHD_BAT, FZ_VHD_KINDS };

/* fuzz_fw_cfg: the firmware configuration device on the port bus, with guest RAM of
 * FZ_CF_LOW bytes at 0 and FZ_CF_HIGH at 4 GiB, numbered items and a read-only and a
 * writable file. */
enum {
	CF_OP_WRITE_MEM,	/* u16 offset (% low RAM), u8 len, bytes */
	CF_OP_OUT,		/* u8 port (% 12 from 0x510), u8 size (1 << % 3), u32 value */
	CF_OP_IN,		/* u8 port, u8 size */
	CF_OP_DMA,		/* u8 where (0 low RAM u16, 1 high RAM u16, else u64 raw), u32
				 * control, u32 length, u64 address: a request written there
				 * (if RAM) and started through both halves of the register */
	CF_OP_RESET,
	CF_OP_COUNT
};
#define FZ_CF_LOW		(64u << 10)
#define FZ_CF_HIGH		(16u << 10)
/* fuzz_pflash: the firmware flash (src/devices/pflash.c) behind a simulated KVM slot.
 * Header: u8 config (bit 0 read-only, bits 1-2 blocks - 1), then operations. */
enum {
	PF_OP_CMD,		/* u16 offset, u8 byte: a one-byte write (a command, or data) */
	PF_OP_WRITE,		/* u16 offset, u8 size (1 << % 4), u64 value */
	PF_OP_READ,		/* u16 offset, u8 size (1 << % 4) */
	PF_OP_RESET,		/* pflash_reset */
	PF_OP_FAULT,		/* u8: bit 0 the store fails from now on, bit 1 the next slot
				 * the flash adds is refused */
	PF_OP_COUNT
};

/* fuzz_boot_image: a kernel image to the Linux loader (boot_load_kernel,
 * src/machine/boot.c). u8 guest RAM (one of FZ_BI_RAM, % FZ_BI_RAMS), then the
 * image: the rest. */
#define FZ_BI_RAM		{ 1u << 20, 2u << 20, (4u << 20) + 4096, 32u << 20 }
#define FZ_BI_RAMS		4

#endif
