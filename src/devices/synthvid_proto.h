/* SPDX-License-Identifier: MIT */
/*
 * The synthetic video wire format (Linux: hyperv_drm and hyperv_fb, Windows:
 * HyperVideo): each in-band packet is a pipe header, a synthvid header and the
 * message. All little-endian, packed.
 */
#ifndef HVKVM_SYNTHVID_PROTO_H
#define HVKVM_SYNTHVID_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SYNTHVID_CLASS_ID	"da0a7802-e377-4aac-8e77-0558eb1073f8"
#define SYNTHVID_INSTANCE_ID	"5620e0c7-8062-4dce-aeb7-520c7ef76171"

/* (minor << 16) | major */
#define SYNTHVID_VERSION(major, minor)	(((uint32_t)(minor) << 16) | (major))
#define SYNTHVID_VERSION_WIN7		SYNTHVID_VERSION(3, 0)
#define SYNTHVID_VERSION_WIN8		SYNTHVID_VERSION(3, 2)
#define SYNTHVID_VERSION_WINBLUE	SYNTHVID_VERSION(3, 3)
#define SYNTHVID_VERSION_WINTHRESHOLD_M1 SYNTHVID_VERSION(3, 4)
#define SYNTHVID_VERSION_WIN10		SYNTHVID_VERSION(3, 5)

#define SYNTHVID_PIPE_DATA	1

/* Before every message; size counts the bytes after it. */
struct synthvid_pipe_hdr {
	uint32_t type;
	uint32_t size;
} __attribute__((packed));

/* Guests write size as header plus payload, Hyper-V's hosts as the payload: nobody
 * checks it, and the packet's length is what counts. */
struct synthvid_msg_hdr {
	uint32_t type;
	uint32_t size;
} __attribute__((packed));

#define SYNTHVID_ERROR			0
#define SYNTHVID_VERSION_REQUEST	1	/* guest to host */
#define SYNTHVID_VERSION_RESPONSE	2	/* host to guest */
#define SYNTHVID_VRAM_LOCATION		3	/* guest to host */
#define SYNTHVID_VRAM_LOCATION_ACK	4	/* host to guest */
#define SYNTHVID_SITUATION_UPDATE	5	/* guest to host */
#define SYNTHVID_SITUATION_UPDATE_ACK	6	/* host to guest */
#define SYNTHVID_POINTER_POSITION	7	/* guest to host */
#define SYNTHVID_POINTER_SHAPE		8	/* guest to host */
#define SYNTHVID_FEATURE_CHANGE		9	/* host to guest */
#define SYNTHVID_DIRT			10	/* guest to host */
#define SYNTHVID_BIOS_INFO_REQUEST	11	/* guest to host (3.3) */
#define SYNTHVID_BIOS_INFO_RESPONSE	12	/* host to guest */
#define SYNTHVID_RESOLUTION_REQUEST	13	/* guest to host */
#define SYNTHVID_RESOLUTION_RESPONSE	14	/* host to guest */
#define SYNTHVID_CAPABILITY_REQUEST	15	/* guest to host (3.5) */
#define SYNTHVID_CAPABILITY_RESPONSE	16	/* host to guest */

struct synthvid_version_request {
	uint32_t version;
} __attribute__((packed));

#define SYNTHVID_REJECTED			0
#define SYNTHVID_ACCEPTED_WITH_VERSION_EXCHANGE	2

struct synthvid_version_response {
	uint32_t version;
	uint8_t is_accepted;
	uint8_t max_video_outputs;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_version_response) == 6, "version response");

struct synthvid_vram_location {
	uint64_t user_ctx;
	uint8_t is_vram_gpa_specified;
	uint64_t vram_gpa;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_vram_location) == 17, "vram location");

struct synthvid_vram_location_ack {
	uint64_t user_ctx;
} __attribute__((packed));

struct synthvid_video_output {
	uint8_t active;
	uint32_t vram_offset;
	uint8_t depth_bits;
	uint32_t width_pixels;
	uint32_t height_pixels;
	uint32_t pitch_bytes;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_video_output) == 18, "video output");

struct synthvid_situation_update {
	uint64_t user_ctx;
	uint8_t video_output_count;
	struct synthvid_video_output video_output[1];
} __attribute__((packed));
_Static_assert(offsetof(struct synthvid_situation_update, video_output) == 9, "situation update");
_Static_assert(sizeof(struct synthvid_situation_update) == 27, "situation update");

struct synthvid_situation_update_ack {
	uint64_t user_ctx;
} __attribute__((packed));

struct synthvid_pointer_position {
	uint8_t is_visible;
	uint8_t video_output;
	int32_t image_x;
	int32_t image_y;
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_pointer_position) == 10, "pointer position");

#define SYNTHVID_CURSOR_MAX_X		96
#define SYNTHVID_CURSOR_MAX_Y		96
#define SYNTHVID_CURSOR_COMPLETE	0xff	/* part_idx of the last (or only) part */

struct synthvid_pointer_shape {
	uint8_t part_idx;
	uint8_t is_argb;
	uint32_t width;
	uint32_t height;
	uint32_t hot_x;
	uint32_t hot_y;
	/* data follows: ARGB, or an AND mask then an XOR mask of one bit per pixel */
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_pointer_shape) == 18, "pointer shape");

struct synthvid_feature_change {
	uint8_t is_dirt_needed;
	uint8_t is_ptr_pos_needed;
	uint8_t is_ptr_shape_needed;
	uint8_t is_situ_needed;
} __attribute__((packed));

/* Bottom right corner exclusive. */
struct synthvid_rect {
	int32_t x1, y1, x2, y2;
} __attribute__((packed));

struct synthvid_dirt {
	uint8_t video_output;
	uint8_t dirt_count;
	/* struct synthvid_rect rect[dirt_count] follows */
} __attribute__((packed));

struct synthvid_bios_info_response {
	uint32_t stop_device_supported;
	uint8_t reserved[12];
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_bios_info_response) == 16, "bios info response");

struct synthvid_resolution_request {
	uint8_t maximum_resolution_count;
} __attribute__((packed));

#define SYNTHVID_EDID_BLOCK_SIZE	128
#define SYNTHVID_MAX_RESOLUTION_COUNT	64

struct synthvid_resolution {
	uint16_t width;
	uint16_t height;
} __attribute__((packed));

struct synthvid_resolution_response {
	uint8_t edid_block[SYNTHVID_EDID_BLOCK_SIZE];
	uint8_t resolution_count;
	uint8_t default_resolution_index;
	uint8_t is_standard;
	/* struct synthvid_resolution supported_resolution[resolution_count] follows */
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_resolution_response) == 131, "resolution response");

struct synthvid_capability_response {
	uint32_t lock_on_disconnect;	/* bit 0 */
	uint32_t reserved[15];
} __attribute__((packed));
_Static_assert(sizeof(struct synthvid_capability_response) == 64, "capability response");

#endif
