/* SPDX-License-Identifier: MIT */
/*
 * EFI_EXT_SCSI_PASS_THRU_PROTOCOL over storvscc (scsi_pt.h). Blocking only: each
 * PassThru sends one SRB through the controller's bounce buffer and polls its
 * completion (the firmware's ScsiBus and ScsiDisk then never pass an event). One
 * target (0) with the LUNs the controller reports; a LUN that came later is found
 * when the host's ENUMERATE_BUS asks for a new look.
 */
#include "scsi_pt.h"

#include "storvscc.h"

#define SCSI_PT_SIG		0x5450534876484b48ull	/* "HKHvHSPT" */

struct scsi_pt {
	UINT64 sig;
	EFI_EXT_SCSI_PASS_THRU_PROTOCOL proto;	/* what the firmware holds */
	EFI_EXT_SCSI_PASS_THRU_MODE mode;
	struct storvscc sc;
	struct vmbusc *bus;
	EFI_HANDLE driver, controller, child;
	EFI_DEVICE_PATH *path;
	void *bounce;
	BOOLEAN chan_open;
	BOOLEAN abandoned;		/* left to the bus's UNLOAD (scsi_pt_shutdown_all) */
	BOOLEAN busy;			/* a request is being polled: no second one from a callback */
	BOOLEAN installed_dp, installed_pt, opened_parent;
	struct scsi_pt *next;
};

static EFI_GUID ext_scsi_pt_guid = EFI_EXT_SCSI_PASS_THRU_PROTOCOL_GUID;
/* hvkvm's StorVSC instance f8b3781a-1e82-4818-a1c3-63d806ec15bb (wire order), its first
 * byte plus the controller's number. */
static const UINT8 hvkvm_storvsc_instance[16] = { 0x1a, 0x78, 0xb3, 0xf8, 0x82, 0x1e, 0x18, 0x48,
						  0xa1, 0xc3, 0x63, 0xd8, 0x06, 0xec, 0x15, 0xbb };
static struct scsi_pt *started;

static struct scsi_pt *pt_of(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this)
{
	struct scsi_pt *pt;

	if (!this)
		return NULL;
	pt = (struct scsi_pt *)((UINT8 *)this - __builtin_offsetof(struct scsi_pt, proto));
	return pt->sig == SCSI_PT_SIG ? pt : NULL;
}

/* The 16-byte target: 0 is the only one; all 0xFF asks for the first. */
static BOOLEAN target_is(const UINT8 *t, UINT8 v)
{
	for (unsigned i = 0; i < TARGET_MAX_BYTES; i++)
		if (t[i] != v)
			return FALSE;
	return TRUE;
}

/* A new look at the LUNs if the host asked for one (its ENUMERATE_BUS may be waiting
 * in the ring: nothing else reads it between requests). */
static void refresh_luns(struct scsi_pt *pt)
{
	if (!pt->chan_open || pt->busy || storvscc_poll(&pt->sc) < 0)
		return;
	if (pt->sc.rescan) {
		pt->busy = TRUE;
		storvscc_discover(&pt->sc, SCSI_PT_TIMEOUT_US);
		pt->busy = FALSE;
	}
}

static BOOLEAN lun_known(struct scsi_pt *pt, UINT64 lun)
{
	if (lun >= STORVSCC_MAX_LUNS)
		return FALSE;
	if (!storvscc_has_lun(&pt->sc, (unsigned)lun))
		refresh_luns(pt);
	return storvscc_has_lun(&pt->sc, (unsigned)lun);
}

static EFI_STATUS status_of(int r)
{
	switch (r) {
	case 0:
		return EFI_SUCCESS;
	case VMBUSC_ETIMEDOUT:
		return EFI_TIMEOUT;
	case VMBUSC_EAGAIN:
		return EFI_NOT_READY;
	case VMBUSC_EINVAL:
		return EFI_INVALID_PARAMETER;
	default:
		return EFI_DEVICE_ERROR;
	}
}

/* The adapter's part of an SRB's outcome; the target's is TargetStatus. */
static UINT8 adapter_status(const struct storvscc_srb *r)
{
	switch (r->srb_status & 0x3f) {
	case SRB_STATUS_SUCCESS:
		return EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OK;
	case SRB_STATUS_ERROR:
	case SRB_STATUS_INVALID_REQUEST:
	case SRB_STATUS_BUSY:
		/* the target answered: its status says what happened */
		return r->scsi_status ? EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OK : EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OTHER;
	case SRB_STATUS_INVALID_LUN:
		return EFI_EXT_SCSI_STATUS_HOST_ADAPTER_SELECTION_TIMEOUT;
	case SRB_STATUS_DATA_OVERRUN:
		return EFI_EXT_SCSI_STATUS_HOST_ADAPTER_DATA_OVERRUN_UNDERRUN;
	default:
		return EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OTHER;
	}
}

static EFI_STATUS EFIAPI pt_passthru(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this, UINT8 *target, UINT64 lun,
				     EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET *pkt, EFI_EVENT event)
{
	struct scsi_pt *pt = pt_of(this);
	struct storvscc_srb r;
	UINT64 tmo_us;
	UINT32 *len;
	void *data;
	uint8_t dir;
	int rc;

	(void)event;	/* blocking only: the specification has the event ignored then */
	if (!pt || !target || !pkt || !pkt->Cdb || pkt->CdbLength == 0 || pkt->CdbLength > sizeof(r.cdb))
		return EFI_INVALID_PARAMETER;
	if (pkt->DataDirection == EFI_EXT_SCSI_DATA_DIRECTION_BIDIRECTIONAL)
		return EFI_UNSUPPORTED;
	if (pkt->DataDirection != EFI_EXT_SCSI_DATA_DIRECTION_READ &&
	    pkt->DataDirection != EFI_EXT_SCSI_DATA_DIRECTION_WRITE)
		return EFI_INVALID_PARAMETER;
	if (pt->busy)
		return EFI_NOT_READY;
	if (!target_is(target, 0) || !lun_known(pt, lun))
		return EFI_INVALID_PARAMETER;
	if (!pt->chan_open)
		return EFI_DEVICE_ERROR;

	if (pkt->DataDirection == EFI_EXT_SCSI_DATA_DIRECTION_READ) {
		len = &pkt->InTransferLength;
		data = pkt->InDataBuffer;
		dir = STORVSCC_DIR_IN;
	} else {
		len = &pkt->OutTransferLength;
		data = pkt->OutDataBuffer;
		dir = STORVSCC_DIR_OUT;
	}
	if (!*len)
		dir = STORVSCC_DIR_NONE;
	else if (!data)
		return EFI_INVALID_PARAMETER;
	storvscc_srb_init(&r, (uint8_t)lun, pkt->Cdb, pkt->CdbLength, dir, data, *len);
	/* 100 ns units to microseconds, rounded up; 0 stays "as long as it takes" */
	tmo_us = pkt->Timeout ? (pkt->Timeout + 9) / 10 : 0;
	if (tmo_us > 0xffffffffu)
		tmo_us = 0xffffffffu;

	pt->busy = TRUE;
	rc = storvscc_execute(&pt->sc, &r, (uint32_t)tmo_us);
	pt->busy = FALSE;
	if (rc == STORVSCC_E2BIG) {
		*len = r.transferred;	/* the most one request can move */
		return EFI_BAD_BUFFER_SIZE;
	}
	if (rc < 0) {
		*len = 0;
		pkt->SenseDataLength = 0;
		pkt->HostAdapterStatus = rc == VMBUSC_ETIMEDOUT ? EFI_EXT_SCSI_STATUS_HOST_ADAPTER_TIMEOUT_COMMAND
								: EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OTHER;
		return status_of(rc);
	}
	/* The command ran: a CHECK CONDITION is the target's answer, not a failure here. */
	*len = r.transferred;
	if (pkt->DataDirection == EFI_EXT_SCSI_DATA_DIRECTION_READ)
		pkt->OutTransferLength = 0;
	else
		pkt->InTransferLength = 0;
	pkt->TargetStatus = r.scsi_status;
	pkt->HostAdapterStatus = adapter_status(&r);
	if (pkt->SenseData && pkt->SenseDataLength) {
		UINT8 n = r.sense_len < pkt->SenseDataLength ? r.sense_len : pkt->SenseDataLength;

		CopyMem(pkt->SenseData, r.sense, n);
		pkt->SenseDataLength = n;
	} else {
		pkt->SenseDataLength = 0;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI pt_get_next_target_lun(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this, UINT8 **target,
						UINT64 *lun)
{
	struct scsi_pt *pt = pt_of(this);
	unsigned i;

	if (!pt || !target || !*target || !lun)
		return EFI_INVALID_PARAMETER;
	if (target_is(*target, 0xff)) {
		refresh_luns(pt);
		if (!pt->sc.nluns)
			return EFI_NOT_FOUND;
		SetMem(*target, TARGET_MAX_BYTES, 0);
		*lun = pt->sc.luns[0];
		return EFI_SUCCESS;
	}
	if (!target_is(*target, 0) || *lun >= STORVSCC_MAX_LUNS)
		return EFI_INVALID_PARAMETER;
	for (i = 0; i < pt->sc.nluns && pt->sc.luns[i] != *lun; i++)
		;
	if (i == pt->sc.nluns)
		return EFI_INVALID_PARAMETER;	/* not one this returned */
	if (i + 1 == pt->sc.nluns)
		return EFI_NOT_FOUND;
	*lun = pt->sc.luns[i + 1];
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI pt_build_device_path(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this, UINT8 *target, UINT64 lun,
					      EFI_DEVICE_PATH **path)
{
	struct scsi_pt *pt = pt_of(this);
	SCSI_DEVICE_PATH *node;

	if (!pt || !target || !path)
		return EFI_INVALID_PARAMETER;
	if (!target_is(target, 0) || !lun_known(pt, lun))
		return EFI_NOT_FOUND;
	node = AllocateZeroPool(sizeof(*node));
	if (!node)
		return EFI_OUT_OF_RESOURCES;
	node->Header.Type = MESSAGING_DEVICE_PATH;
	node->Header.SubType = MSG_SCSI_DP;
	SetDevicePathNodeLength(&node->Header, sizeof(*node));
	node->Pun = 0;
	node->Lun = (UINT16)lun;
	*path = (EFI_DEVICE_PATH *)node;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI pt_get_target_lun(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this, EFI_DEVICE_PATH *path,
					   UINT8 **target, UINT64 *lun)
{
	struct scsi_pt *pt = pt_of(this);
	SCSI_DEVICE_PATH node;

	if (!pt || !path || !target || !*target || !lun)
		return EFI_INVALID_PARAMETER;
	if (DevicePathType(path) != MESSAGING_DEVICE_PATH || DevicePathSubType(path) != MSG_SCSI_DP ||
	    DevicePathNodeLength(path) != sizeof(node))
		return EFI_UNSUPPORTED;
	CopyMem(&node, path, sizeof(node));
	if (node.Pun != 0 || !lun_known(pt, node.Lun))
		return EFI_NOT_FOUND;
	SetMem(*target, TARGET_MAX_BYTES, 0);
	*lun = node.Lun;
	return EFI_SUCCESS;
}

static int reset(struct scsi_pt *pt, uint32_t op)
{
	int r;

	pt->busy = TRUE;
	r = storvscc_reset(&pt->sc, op, SCSI_PT_TIMEOUT_US);
	pt->busy = FALSE;
	return r;
}

static EFI_STATUS EFIAPI pt_reset_channel(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this)
{
	struct scsi_pt *pt = pt_of(this);

	if (!pt)
		return EFI_INVALID_PARAMETER;
	if (!pt->chan_open)
		return EFI_DEVICE_ERROR;
	if (pt->busy)
		return EFI_NOT_READY;
	return reset(pt, VSTOR_OPERATION_RESET_ADAPTER) ? EFI_DEVICE_ERROR : EFI_SUCCESS;
}

static EFI_STATUS EFIAPI pt_reset_target_lun(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this, UINT8 *target, UINT64 lun)
{
	struct scsi_pt *pt = pt_of(this);

	if (!pt || !target)
		return EFI_INVALID_PARAMETER;
	if (!target_is(target, 0) || !lun_known(pt, lun))
		return EFI_INVALID_PARAMETER;
	if (!pt->chan_open)
		return EFI_DEVICE_ERROR;
	if (pt->busy)
		return EFI_NOT_READY;
	return reset(pt, VSTOR_OPERATION_RESET_LUN) ? EFI_DEVICE_ERROR : EFI_SUCCESS;
}

static EFI_STATUS EFIAPI pt_get_next_target(EFI_EXT_SCSI_PASS_THRU_PROTOCOL *this, UINT8 **target)
{
	struct scsi_pt *pt = pt_of(this);

	if (!pt || !target || !*target)
		return EFI_INVALID_PARAMETER;
	if (target_is(*target, 0xff)) {
		SetMem(*target, TARGET_MAX_BYTES, 0);
		return EFI_SUCCESS;
	}
	return target_is(*target, 0) ? EFI_NOT_FOUND : EFI_INVALID_PARAMETER;
}

/* Everything scsi_pt_start did, undone in reverse. */
static EFI_STATUS undo(struct scsi_pt *pt)
{
	EFI_STATUS s;

	if (pt->installed_pt) {
		s = BS->UninstallProtocolInterface(pt->child, &ext_scsi_pt_guid, &pt->proto);
		if (EFI_ERROR(s))
			return s;
		pt->installed_pt = FALSE;
	}
	if (pt->opened_parent) {
		BS->CloseProtocol(pt->controller, &PciIoProtocol, pt->driver, pt->child);
		pt->opened_parent = FALSE;
	}
	if (pt->installed_dp) {
		s = BS->UninstallProtocolInterface(pt->child, &DevicePathProtocol, pt->path);
		if (EFI_ERROR(s))
			return s;
		pt->installed_dp = FALSE;
	}
	if (pt->chan_open) {
		storvscc_close(&pt->sc, SCSI_PT_TIMEOUT_US);
		pt->chan_open = FALSE;
	}
	if (pt->bounce && !pt->abandoned) {
		pt->bus->host->free_pages(pt->bus->host->ctx, pt->bounce, SCSI_PT_BOUNCE_PAGES);
		pt->bounce = NULL;
	}
	if (pt->path) {
		FreePool(pt->path);
		pt->path = NULL;
	}
	return EFI_SUCCESS;
}

unsigned scsi_pt_ctrl_number(const struct vmbus_guid *instance, unsigned index)
{
	UINT8 n = (UINT8)(instance->b[0] - hvkvm_storvsc_instance[0]);
	BOOLEAN same = TRUE;

	for (unsigned i = 1; i < 16; i++)
		same = same && instance->b[i] == hvkvm_storvsc_instance[i];
	if (same && n < SCSI_PT_OTHER_CTRL)
		return n;
	return SCSI_PT_OTHER_CTRL + (index & (SCSI_PT_MAX_CTRL_NUMBER - SCSI_PT_OTHER_CTRL));
}

EFI_STATUS scsi_pt_start(EFI_HANDLE driver, EFI_HANDLE controller, EFI_DEVICE_PATH *parent, struct vmbusc *bus,
			 const struct vmbusc_offer *offer, unsigned index, struct scsi_pt **out, EFI_HANDLE *child)
{
	PCI_DEVICE_PATH node;
	struct scsi_pt *pt;
	uint64_t gpa = 0;
	VOID *iface;
	EFI_STATUS s;
	int r;

	if (!parent || !bus || !bus->host || !offer || !out)
		return EFI_INVALID_PARAMETER;
	pt = AllocateZeroPool(sizeof(*pt));
	if (!pt)
		return EFI_OUT_OF_RESOURCES;
	pt->sig = SCSI_PT_SIG;
	pt->bus = bus;
	pt->driver = driver;
	pt->controller = controller;

	/* the channel: rings, initialisation, LUNs */
	pt->bounce = bus->host->alloc_pages(bus->host->ctx, SCSI_PT_BOUNCE_PAGES, &gpa);
	if (!pt->bounce) {
		s = EFI_OUT_OF_RESOURCES;
		goto fail;
	}
	r = storvscc_open(&pt->sc, bus, offer, pt->bounce, gpa, SCSI_PT_BOUNCE_PAGES * 4096u, SCSI_PT_TIMEOUT_US);
	if (r < 0) {
		s = r == VMBUSC_ENOMEM ? EFI_OUT_OF_RESOURCES : EFI_DEVICE_ERROR;
		goto fail;
	}
	pt->chan_open = TRUE;
	r = storvscc_discover(&pt->sc, SCSI_PT_TIMEOUT_US);
	if (r < 0) {
		s = EFI_DEVICE_ERROR;
		goto fail;
	}

	/* the child: parent + Pci(controller's number, 0) */
	ZeroMem(&node, sizeof(node));
	node.Header.Type = HARDWARE_DEVICE_PATH;
	node.Header.SubType = HW_PCI_DP;
	SetDevicePathNodeLength(&node.Header, sizeof(node));
	node.Device = (UINT8)scsi_pt_ctrl_number(&offer->if_instance, index);
	node.Function = 0;
	pt->path = AppendDevicePathNode(parent, (EFI_DEVICE_PATH *)&node);
	if (!pt->path) {
		s = EFI_OUT_OF_RESOURCES;
		goto fail;
	}

	pt->mode.AdapterId = 0xffffffffu;	/* no initiator on the bus */
	pt->mode.Attributes = EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_PHYSICAL | EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_LOGICAL;
	pt->mode.IoAlign = 1;			/* the bounce buffer takes any buffer */
	pt->proto.Mode = &pt->mode;
	pt->proto.PassThru = pt_passthru;
	pt->proto.GetNextTargetLun = pt_get_next_target_lun;
	pt->proto.BuildDevicePath = pt_build_device_path;
	pt->proto.GetTargetLun = pt_get_target_lun;
	pt->proto.ResetChannel = pt_reset_channel;
	pt->proto.ResetTargetLun = pt_reset_target_lun;
	pt->proto.GetNextTarget = pt_get_next_target;

	pt->child = NULL;
	s = BS->InstallProtocolInterface(&pt->child, &DevicePathProtocol, EFI_NATIVE_INTERFACE, pt->path);
	if (EFI_ERROR(s))
		goto fail;
	pt->installed_dp = TRUE;
	if (driver) {
		s = BS->OpenProtocol(controller, &PciIoProtocol, &iface, driver, pt->child,
				     EFI_OPEN_PROTOCOL_BY_CHILD_CONTROLLER);
		if (EFI_ERROR(s))
			goto fail;
		pt->opened_parent = TRUE;
	}
	s = BS->InstallProtocolInterface(&pt->child, &ext_scsi_pt_guid, EFI_NATIVE_INTERFACE, &pt->proto);
	if (EFI_ERROR(s))
		goto fail;
	pt->installed_pt = TRUE;

	pt->next = started;
	started = pt;
	*out = pt;
	if (child)
		*child = pt->child;
	return EFI_SUCCESS;

fail:
	undo(pt);
	pt->sig = 0;
	FreePool(pt);
	return s;
}

EFI_STATUS scsi_pt_stop(struct scsi_pt *pt)
{
	struct scsi_pt **p;
	EFI_STATUS s;

	if (!pt || pt->sig != SCSI_PT_SIG)
		return EFI_INVALID_PARAMETER;
	s = undo(pt);
	if (EFI_ERROR(s))
		return s == EFI_ACCESS_DENIED ? s : EFI_DEVICE_ERROR;
	for (p = &started; *p; p = &(*p)->next) {
		if (*p == pt) {
			*p = pt->next;
			break;
		}
	}
	pt->sig = 0;
	FreePool(pt);
	return EFI_SUCCESS;
}

void scsi_pt_shutdown_all(void)
{
	/* Nothing is sent or freed here: closing a channel would give its ring pages back
	 * to the firmware inside ExitBootServices. The UNLOAD that follows closes every
	 * channel and drops every GPADL on the host's side. */
	for (struct scsi_pt *pt = started; pt; pt = pt->next) {
		pt->chan_open = FALSE;
		pt->abandoned = TRUE;
		pt->sc.broken = true;
	}
}
