/* SPDX-License-Identifier: MIT */
/* The vstor protocol between a StorVSC guest driver and the host's storage controller. */
#ifndef HVKVM_STORVSP_PROTO_H
#define HVKVM_STORVSP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define STORVSC_SCSI_CLASS	"ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"

/* Protocol versions, major << 8 | minor. */
#define VMSTOR_PROTO_VERSION_WIN6	0x0200
#define VMSTOR_PROTO_VERSION_WIN7	0x0402
#define VMSTOR_PROTO_VERSION_WIN8	0x0501
#define VMSTOR_PROTO_VERSION_WIN8_1	0x0600
#define VMSTOR_PROTO_VERSION_WIN10	0x0602

enum vstor_operation {
	VSTOR_OPERATION_COMPLETE_IO = 1,
	VSTOR_OPERATION_REMOVE_DEVICE = 2,
	VSTOR_OPERATION_EXECUTE_SRB = 3,
	VSTOR_OPERATION_RESET_LUN = 4,
	VSTOR_OPERATION_RESET_ADAPTER = 5,
	VSTOR_OPERATION_RESET_BUS = 6,
	VSTOR_OPERATION_BEGIN_INITIALIZATION = 7,
	VSTOR_OPERATION_END_INITIALIZATION = 8,
	VSTOR_OPERATION_QUERY_PROTOCOL_VERSION = 9,
	VSTOR_OPERATION_QUERY_PROPERTIES = 10,
	VSTOR_OPERATION_ENUMERATE_BUS = 11,
	VSTOR_OPERATION_FCHBA_DATA = 12,
	VSTOR_OPERATION_CREATE_SUB_CHANNELS = 13,
};

#define VSTOR_REQUEST_COMPLETION_FLAG	0x1

/* NTSTATUS values in vstor_packet.status */
#define VSTOR_STATUS_SUCCESS			0x00000000u
#define VSTOR_STATUS_BUFFER_OVERFLOW		0x80000005u
#define VSTOR_STATUS_INVALID_PARAMETER		0xc000000du
#define VSTOR_STATUS_INVALID_DEVICE_REQUEST	0xc0000010u
#define VSTOR_STATUS_REVISION_MISMATCH		0xc0000059u
#define VSTOR_STATUS_DEVICE_DOES_NOT_EXIST	0xc00000c0u
#define VSTOR_STATUS_INVALID_DEVICE_STATE	0xc0000184u
#define VSTOR_STATUS_IO_DEVICE_ERROR		0xc0000185u

/* SRB status (low 6 bits) and flags */
#define SRB_STATUS_SUCCESS		0x01
#define SRB_STATUS_ERROR		0x04
#define SRB_STATUS_BUSY			0x05
#define SRB_STATUS_INVALID_REQUEST	0x06
#define SRB_STATUS_DATA_OVERRUN		0x12
#define SRB_STATUS_INVALID_LUN		0x20
#define SRB_STATUS_AUTOSENSE_VALID	0x80

#define VMSCSI_SENSE_BUFFER_SIZE	0x14	/* from Windows 8 */
#define VMSCSI_SENSE_BUFFER_SIZE_WIN7	0x12
#define VSTOR_DATA_IN			1	/* vmscsi_request.data_in */

struct vmscsi_request {
	uint16_t length;
	uint8_t srb_status;
	uint8_t scsi_status;
	uint8_t port_number;
	uint8_t path_id;
	uint8_t target_id;
	uint8_t lun;
	uint8_t cdb_length;
	uint8_t sense_info_length;
	uint8_t data_in;
	uint8_t reserved;
	uint32_t data_transfer_length;
	union {
		uint8_t cdb[16];
		uint8_t sense_data[VMSCSI_SENSE_BUFFER_SIZE];
	};
	/* The Windows 8 extension: */
	uint16_t reserve;
	uint8_t queue_tag;
	uint8_t queue_action;
	uint32_t srb_flags;
	uint32_t time_out_value;
	uint32_t queue_sort_key;
} __attribute__((packed));

struct vmstorage_channel_properties {
	uint32_t reserved;
	uint16_t max_channel_cnt;	/* sub-channels the host can make */
	uint16_t reserved1;
	uint32_t flags;
	uint32_t max_transfer_bytes;
	uint64_t reserved2;
} __attribute__((packed));

#define STORAGE_CHANNEL_SUPPORTS_MULTI_CHANNEL 0x1

struct vmstorage_protocol_version {
	uint16_t major_minor;
	uint16_t revision;
} __attribute__((packed));

struct vstor_packet {
	uint32_t operation;
	uint32_t flags;
	uint32_t status;
	union {
		struct vmscsi_request vm_srb;
		struct vmstorage_channel_properties properties;
		struct vmstorage_protocol_version version;
		uint16_t sub_channel_count;
		uint8_t raw[52];
	};
} __attribute__((packed));

/* Before Windows 8 the request ended at the Windows 8 extension. */
#define VSTOR_PACKET_SIZE_WIN7	48
#define VSTOR_PACKET_SIZE	64

_Static_assert(sizeof(struct vmscsi_request) == 52, "vmscsi_request");
_Static_assert(offsetof(struct vmscsi_request, data_transfer_length) == 12, "data_transfer_length");
_Static_assert(offsetof(struct vmscsi_request, cdb) == 16, "cdb");
_Static_assert(offsetof(struct vmscsi_request, reserve) == 36, "win8 extension");
_Static_assert(sizeof(struct vmstorage_channel_properties) == 24, "channel properties");
_Static_assert(sizeof(struct vstor_packet) == VSTOR_PACKET_SIZE, "vstor_packet");
_Static_assert(offsetof(struct vstor_packet, vm_srb) == 12, "vstor_packet union");

#endif
