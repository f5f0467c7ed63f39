/* SPDX-License-Identifier: MIT */
/*
 * EFI_EXT_SCSI_PASS_THRU_PROTOCOL on hvkvm's StorVSC controllers (gnu-efi has no
 * header for it: the declarations follow the UEFI specification, "Extended SCSI
 * Pass Thru Protocol"), and the driver's entry points that put one on a child handle
 * per controller. Built with gnu-efi (GNU_EFI_USE_MS_ABI).
 */
#ifndef HVKVM_FW_SCSI_PT_H
#define HVKVM_FW_SCSI_PT_H

#include <efi.h>
#include <efilib.h>

#include "vmbusc.h"

/* ---- the protocol, as the UEFI specification defines it ---- */

#define EFI_EXT_SCSI_PASS_THRU_PROTOCOL_GUID \
	{ 0x143b7632, 0xb81b, 0x4cb7, { 0xab, 0xd3, 0xb6, 0x25, 0xa5, 0xb9, 0xbf, 0xfe } }

#define TARGET_MAX_BYTES	0x10

#define EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_PHYSICAL	0x0001
#define EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_LOGICAL	0x0002
#define EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_NONBLOCKIO	0x0004

typedef struct {
	UINT32 AdapterId;
	UINT32 Attributes;
	UINT32 IoAlign;
} EFI_EXT_SCSI_PASS_THRU_MODE;

#define EFI_EXT_SCSI_DATA_DIRECTION_READ		0
#define EFI_EXT_SCSI_DATA_DIRECTION_WRITE		1
#define EFI_EXT_SCSI_DATA_DIRECTION_BIDIRECTIONAL	2

#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OK			0x00
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_TIMEOUT_COMMAND	0x09
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_TIMEOUT		0x0b
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_MESSAGE_REJECT		0x0d
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_BUS_RESET		0x0e
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_PARITY_ERROR		0x0f
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_REQUEST_SENSE_FAILED	0x10
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_SELECTION_TIMEOUT	0x11
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_DATA_OVERRUN_UNDERRUN	0x12
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_BUS_FREE		0x13
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_PHASE_ERROR		0x14
#define EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OTHER			0x7f

#define EFI_EXT_SCSI_STATUS_TARGET_GOOD			0x00
#define EFI_EXT_SCSI_STATUS_TARGET_CHECK_CONDITION	0x02

typedef struct {
	UINT64 Timeout;			/* 100 ns units; 0: wait as long as it takes */
	VOID *InDataBuffer;
	VOID *OutDataBuffer;
	VOID *SenseData;
	VOID *Cdb;
	UINT32 InTransferLength;
	UINT32 OutTransferLength;
	UINT8 CdbLength;
	UINT8 DataDirection;
	UINT8 HostAdapterStatus;
	UINT8 TargetStatus;
	UINT8 SenseDataLength;
} EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET;

typedef struct _EFI_EXT_SCSI_PASS_THRU_PROTOCOL EFI_EXT_SCSI_PASS_THRU_PROTOCOL;

typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_PASSTHRU)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This,
							    UINT8 *Target, UINT64 Lun,
							    EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET *Packet,
							    EFI_EVENT Event);
typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_GET_NEXT_TARGET_LUN)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This,
								       UINT8 **Target, UINT64 *Lun);
typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_BUILD_DEVICE_PATH)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This,
								     UINT8 *Target, UINT64 Lun,
								     EFI_DEVICE_PATH **DevicePath);
typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_GET_TARGET_LUN)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This,
								  EFI_DEVICE_PATH *DevicePath, UINT8 **Target,
								  UINT64 *Lun);
typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_RESET_CHANNEL)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This);
typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_RESET_TARGET_LUN)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This,
								    UINT8 *Target, UINT64 Lun);
typedef EFI_STATUS (EFIAPI *EFI_EXT_SCSI_PASS_THRU_GET_NEXT_TARGET)(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *This,
								   UINT8 **Target);

struct _EFI_EXT_SCSI_PASS_THRU_PROTOCOL {
	EFI_EXT_SCSI_PASS_THRU_MODE *Mode;
	EFI_EXT_SCSI_PASS_THRU_PASSTHRU PassThru;
	EFI_EXT_SCSI_PASS_THRU_GET_NEXT_TARGET_LUN GetNextTargetLun;
	EFI_EXT_SCSI_PASS_THRU_BUILD_DEVICE_PATH BuildDevicePath;
	EFI_EXT_SCSI_PASS_THRU_GET_TARGET_LUN GetTargetLun;
	EFI_EXT_SCSI_PASS_THRU_RESET_CHANNEL ResetChannel;
	EFI_EXT_SCSI_PASS_THRU_RESET_TARGET_LUN ResetTargetLun;
	EFI_EXT_SCSI_PASS_THRU_GET_NEXT_TARGET GetNextTarget;
};

/* ---- hvkvm's driver ---- */

/*
 * A controller's child is named by its number N as Pci(N,0) under the driver's PCI
 * function: the form OVMF's QemuBootOrderLib translates from hvkvm's fw_cfg
 * "bootorder" (/pci@i0cf8/pci-bridge@SLOT/scsi@N/channel@0/disk@0,LUN), so --boot can
 * name each LUN of each controller. N is the number hvkvm gave the controller (its
 * instance GUID is hvkvm's StorVSC instance with N added to the first byte), or for an
 * instance of another pattern SCSI_PT_OTHER_CTRL + (index, the offer's position among
 * StorVSC offers), which hvkvm never names. At most SCSI_PT_MAX_CTRL_NUMBER (a PCI
 * device number).
 */
#define SCSI_PT_OTHER_CTRL	16u
#define SCSI_PT_MAX_CTRL_NUMBER	31u
unsigned scsi_pt_ctrl_number(const struct vmbus_guid *instance, unsigned index);

#define SCSI_PT_BOUNCE_PAGES	64		/* 256 KiB: the largest request */
#define SCSI_PT_TIMEOUT_US	5000000u	/* opening, initialisation, discovery, resets */

struct scsi_pt;

/*
 * One StorVSC controller (offer, on bus, which is connected): opens its channel,
 * initialises it, lists its LUNs, and installs EFI_EXT_SCSI_PASS_THRU_PROTOCOL and
 * a device path (parent + Pci(N,0), above) on a new child handle; index is the
 * offer's position among StorVSC offers. driver
 * (the DriverBindingHandle) and controller, when driver is not NULL: the child
 * opens the controller's PCI I/O BY_CHILD_CONTROLLER, so the firmware sees the
 * relation. EFI_SUCCESS with *out (and *child, if not NULL), or the failure with
 * everything undone.
 */
EFI_STATUS scsi_pt_start(EFI_HANDLE driver, EFI_HANDLE controller, EFI_DEVICE_PATH *parent, struct vmbusc *bus,
			 const struct vmbusc_offer *offer, unsigned index, struct scsi_pt **out, EFI_HANDLE *child);

/*
 * DriverBinding.Stop for the child: uninstalls the protocols (EFI_ACCESS_DENIED if
 * someone still holds them: disconnect the child first), closes the channel, frees
 * everything. Before the bus's vmbusc_unload.
 */
EFI_STATUS scsi_pt_stop(struct scsi_pt *pt);

/*
 * At ExitBootServices, before vmbusc_unload: every controller still started stops
 * using its channel (PassThru fails with EFI_DEVICE_ERROR afterwards). Nothing is
 * sent, freed or uninstalled, since the memory map must not change there: the UNLOAD
 * closes the channels and drops their GPADLs on the host's side. A later
 * scsi_pt_stop frees only the handle's own pool, not the channel or bounce pages.
 */
void scsi_pt_shutdown_all(void);

#endif
