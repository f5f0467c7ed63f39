/* SPDX-License-Identifier: MIT */
/*
 * firmware/scsi_pt.c, the driver's EFI_EXT_SCSI_PASS_THRU_PROTOCOL, compiled natively
 * against gnu-efi's headers with test-only boot services (efi_test_fake.c), over
 * storvscc and the test-only vmbusc (vmbusc_test_shim.c), against hvkvm's real
 * storvsp (the storvsp fixture: LUN 0 16 MiB, LUNs 1 and 2 1 MiB, 2 read-only).
 */
#include "efi_test_fake.h"
#include "scsi_pt.h"

#include "storvscc.h"
#include "vmbusc_test_shim.h"

static struct vmbusc bus;
static struct scsi_pt *pt;
static EFI_HANDLE child;
static EFI_EXT_SCSI_PASS_THRU_PROTOCOL *proto;
static EFI_GUID pt_guid = EFI_EXT_SCSI_PASS_THRU_PROTOCOL_GUID;
static char controller_handle, driver_handle;

/* PciRoot(0)/Pci(3,0): the option ROM function's path */
static const UINT8 parent_path[] = {
	0x02, 0x01, 0x0c, 0x00, 0xd0, 0x41, 0x03, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x01, 0x06, 0x00, 0x00, 0x03,
	0x7f, 0xff, 0x04, 0x00,
};

static void pt_start(void)
{
	guest_connect();
	shim_bus(&bus);
	fake_efi_reset();
	ck_assert_uint_eq(scsi_pt_start(&driver_handle, &controller_handle, (EFI_DEVICE_PATH *)parent_path, &bus,
					&bus.offers[0], 0, &pt, &child),
			  EFI_SUCCESS);
	ck_assert_ptr_nonnull(child);
	proto = fake_find(child, &pt_guid);
	ck_assert_ptr_nonnull(proto);
}

static UINT8 tgt0[TARGET_MAX_BYTES];

static EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET packet(UINT8 *cdb, UINT8 cdb_len, BOOLEAN write, void *buf,
							 UINT32 len, void *sense, UINT8 sense_len)
{
	EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET p;

	memset(&p, 0, sizeof(p));
	p.Timeout = 50000000;	/* 5 s */
	p.Cdb = cdb;
	p.CdbLength = cdb_len;
	p.DataDirection = write ? EFI_EXT_SCSI_DATA_DIRECTION_WRITE : EFI_EXT_SCSI_DATA_DIRECTION_READ;
	if (write) {
		p.OutDataBuffer = buf;
		p.OutTransferLength = len;
	} else {
		p.InDataBuffer = buf;
		p.InTransferLength = len;
	}
	p.SenseData = sense;
	p.SenseDataLength = sense_len;
	return p;
}

START_TEST(test_ctrl_number)
{
	struct vmbus_guid g;

	/* hvkvm's controllers: its StorVSC instance, the first byte plus the number */
	ck_assert_int_eq(vmbus_guid_parse("f8b3781a-1e82-4818-a1c3-63d806ec15bb", &g), 0);
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 3), 0);
	g.b[0] += 1;
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 0), 1);
	g.b[0] += 2;
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 0), 3);
	g.b[0] = 0x1a + SCSI_PT_OTHER_CTRL;	/* past hvkvm's numbers: another host's */
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 2), SCSI_PT_OTHER_CTRL + 2);
	g.b[0] = 0x19;				/* below the base: wraps, not a number */
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 0), SCSI_PT_OTHER_CTRL);
	/* another pattern: by the offer's position, never a number hvkvm names */
	ck_assert_int_eq(vmbus_guid_parse("f8b3781a-1e82-4818-a1c3-63d806ec15bc", &g), 0);
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 0), SCSI_PT_OTHER_CTRL);
	ck_assert_uint_eq(scsi_pt_ctrl_number(&g, 3), SCSI_PT_OTHER_CTRL + 3);
	ck_assert_uint_le(scsi_pt_ctrl_number(&g, 1000), SCSI_PT_MAX_CTRL_NUMBER);
}
END_TEST

START_TEST(test_start_and_paths)
{
	const UINT8 *dp;
	EFI_DEVICE_PATH *node;
	UINT8 *t, target[TARGET_MAX_BYTES];
	UINT64 lun;

	pt_start();
	ck_assert_uint_eq(proto->Mode->AdapterId, 0xffffffffu);
	ck_assert_uint_eq(proto->Mode->Attributes,
			  EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_PHYSICAL | EFI_EXT_SCSI_PASS_THRU_ATTRIBUTES_LOGICAL);
	ck_assert_uint_eq(proto->Mode->IoAlign, 1);
	ck_assert_uint_eq(fake.child_opens, 1);
	ck_assert_ptr_eq(fake.child_of_agent, child);
	ck_assert_uint_eq(shim_stats.opens, 1);
	ck_assert_uint_eq(shim_stats.pages_out, SCSI_PT_BOUNCE_PAGES);

	/* the parent's nodes, then Pci(0x0,0x0) (hvkvm's controller 0), then the end */
	dp = fake_find(child, &gEfiDevicePathProtocolGuid);
	ck_assert_ptr_nonnull(dp);
	ck_assert_mem_eq(dp, parent_path, 18);
	dp += 18;
	ck_assert_uint_eq(dp[0], HARDWARE_DEVICE_PATH);
	ck_assert_uint_eq(dp[1], HW_PCI_DP);
	ck_assert_uint_eq(dp[2] | dp[3] << 8, 6);
	ck_assert_uint_eq(dp[4], 0);	/* function */
	ck_assert_uint_eq(dp[5], 0);	/* device: the controller's number */
	ck_assert_uint_eq(dp[6], 0x7f);
	ck_assert_uint_eq(dp[7], 0xff);

	/* the one target, its LUNs in order */
	memset(target, 0xff, sizeof(target));
	t = target;
	ck_assert_uint_eq(proto->GetNextTarget(proto, &t), EFI_SUCCESS);
	ck_assert_mem_eq(target, tgt0, TARGET_MAX_BYTES);
	ck_assert_uint_eq(proto->GetNextTarget(proto, &t), EFI_NOT_FOUND);
	target[3] = 1;
	ck_assert_uint_eq(proto->GetNextTarget(proto, &t), EFI_INVALID_PARAMETER);
	memset(target, 0xff, sizeof(target));
	lun = 99;
	ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_SUCCESS);
	ck_assert_mem_eq(target, tgt0, TARGET_MAX_BYTES);
	ck_assert_uint_eq(lun, 0);
	ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_SUCCESS);
	ck_assert_uint_eq(lun, 1);
	ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_SUCCESS);
	ck_assert_uint_eq(lun, 2);
	ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_NOT_FOUND);
	lun = 7;
	ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_INVALID_PARAMETER);

	/* Scsi(0,2) and back */
	ck_assert_uint_eq(proto->BuildDevicePath(proto, tgt0, 2, &node), EFI_SUCCESS);
	ck_assert_uint_eq(node->Type, MESSAGING_DEVICE_PATH);
	ck_assert_uint_eq(node->SubType, MSG_SCSI_DP);
	ck_assert_uint_eq(DevicePathNodeLength(node), 8);
	ck_assert_uint_eq(((SCSI_DEVICE_PATH *)node)->Pun, 0);
	ck_assert_uint_eq(((SCSI_DEVICE_PATH *)node)->Lun, 2);
	memset(target, 0xaa, sizeof(target));
	lun = 0;
	ck_assert_uint_eq(proto->GetTargetLun(proto, node, &t, &lun), EFI_SUCCESS);
	ck_assert_mem_eq(target, tgt0, TARGET_MAX_BYTES);
	ck_assert_uint_eq(lun, 2);
	((SCSI_DEVICE_PATH *)node)->Lun = 7;
	ck_assert_uint_eq(proto->GetTargetLun(proto, node, &t, &lun), EFI_NOT_FOUND);
	node->SubType = MSG_USB_DP;
	ck_assert_uint_eq(proto->GetTargetLun(proto, node, &t, &lun), EFI_UNSUPPORTED);
	FreePool(node);
	ck_assert_uint_eq(proto->BuildDevicePath(proto, tgt0, 7, &node), EFI_NOT_FOUND);
	target[0] = 1;
	ck_assert_uint_eq(proto->BuildDevicePath(proto, target, 0, &node), EFI_NOT_FOUND);

	ck_assert_uint_eq(proto->ResetChannel(proto), EFI_SUCCESS);
	ck_assert_uint_eq(proto->ResetTargetLun(proto, tgt0, 1), EFI_SUCCESS);
	ck_assert_uint_eq(proto->ResetTargetLun(proto, tgt0, 9), EFI_INVALID_PARAMETER);

	/* in use by the firmware's ScsiBus: stop is refused and nothing is lost */
	fake_set_in_use(child, &pt_guid, TRUE);
	ck_assert_uint_eq(scsi_pt_stop(pt), EFI_ACCESS_DENIED);
	ck_assert_ptr_eq(fake_find(child, &pt_guid), proto);
	ck_assert_uint_eq(shim_stats.closes, 0);
	fake_set_in_use(child, &pt_guid, FALSE);
	ck_assert_uint_eq(scsi_pt_stop(pt), EFI_SUCCESS);
	ck_assert_uint_eq(fake.nprotos, 0);
	ck_assert_uint_eq(fake.child_closes, 1);
	ck_assert_uint_eq(shim_stats.closes, 1);
	ck_assert_uint_eq(shim_stats.pages_out, 0);
	ck_assert_int_eq(fake.pools, 0);
}
END_TEST

START_TEST(test_passthru)
{
	UINT8 cdb[16], sense[8];
	UINT8 *raw = malloc(64 * BS + 1), *buf = raw + 1;	/* not even 2-byte aligned */
	UINT8 *back = malloc(64 * BS);
	EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET p;
	UINT8 tgt1[TARGET_MAX_BYTES] = { 1 };

	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(back);
	pt_start();
	/* INQUIRY */
	p = packet(cdb, (UINT8)cdb_inquiry(cdb, 36), FALSE, buf, 36, sense, sizeof(sense));
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.InTransferLength, 36);
	ck_assert_uint_eq(p.HostAdapterStatus, EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OK);
	ck_assert_uint_eq(p.TargetStatus, EFI_EXT_SCSI_STATUS_TARGET_GOOD);
	ck_assert_uint_eq(p.SenseDataLength, 0);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_mem_eq(buf + 8, "Msft    ", 8);

	/* WRITE(10) then READ(10) of 32 KiB from an unaligned buffer */
	for (unsigned i = 0; i < 64 * BS; i++)
		buf[i] = (UINT8)(i * 13 + 1);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, true, 1000, 64), TRUE, buf, 64 * BS, sense, sizeof(sense));
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.OutTransferLength, 64 * BS);
	ck_assert_uint_eq(p.TargetStatus, 0);
	check_file(&disks[0], 1000ull * BS, buf, 64 * BS);
	memset(back, 0, 64 * BS);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 1000, 64), FALSE, back, 64 * BS, sense, sizeof(sense));
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.InTransferLength, 64 * BS);
	ck_assert_mem_eq(back, buf, 64 * BS);

	/* CHECK CONDITION: the transport succeeded; sense clipped to the caller's 8 bytes */
	memset(sense, 0, sizeof(sense));
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, DISK_SMALL / BS, 1), FALSE, buf, BS, sense, sizeof(sense));
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 1, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.TargetStatus, EFI_EXT_SCSI_STATUS_TARGET_CHECK_CONDITION);
	ck_assert_uint_eq(p.HostAdapterStatus, EFI_EXT_SCSI_STATUS_HOST_ADAPTER_OK);
	ck_assert_uint_eq(p.InTransferLength, 0);
	ck_assert_uint_eq(p.SenseDataLength, 8);
	ck_assert_uint_eq(sense[0] & 0x7f, 0x70);
	ck_assert_uint_eq(sense[2] & 0xf, SCSI_SENSE_ILLEGAL_REQUEST);
	/* no sense buffer: none written */
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, DISK_SMALL / BS, 1), FALSE, buf, BS, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 1, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.SenseDataLength, 0);

	/* the maximum: refused whole, the maximum written back */
	free(raw);
	raw = malloc(SCSI_PT_BOUNCE_PAGES * 4096 + BS);
	ck_assert_ptr_nonnull(raw);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, SCSI_PT_BOUNCE_PAGES * 8 + 1), FALSE, raw,
		   SCSI_PT_BOUNCE_PAGES * 4096 + BS, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_BAD_BUFFER_SIZE);
	ck_assert_uint_eq(p.InTransferLength, SCSI_PT_BOUNCE_PAGES * 4096);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, SCSI_PT_BOUNCE_PAGES * 8), FALSE, raw,
		   SCSI_PT_BOUNCE_PAGES * 4096, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.InTransferLength, SCSI_PT_BOUNCE_PAGES * 4096);
	ck_assert_uint_eq(raw[4097], pattern(4097, 0x00));

	/* what the caller gets wrong */
	p = packet(cdb, (UINT8)cdb_tur(cdb), FALSE, NULL, 0, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.TargetStatus, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 7, &p, NULL), EFI_INVALID_PARAMETER);	/* no LUN 7 */
	ck_assert_uint_eq(proto->PassThru(proto, tgt1, 0, &p, NULL), EFI_INVALID_PARAMETER);
	p.DataDirection = EFI_EXT_SCSI_DATA_DIRECTION_BIDIRECTIONAL;
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_UNSUPPORTED);
	p = packet(cdb, 17, FALSE, NULL, 0, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_INVALID_PARAMETER);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, 1), FALSE, NULL, BS, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_INVALID_PARAMETER);
	ck_assert_uint_eq(scsi_pt_stop(pt), EFI_SUCCESS);
	free(raw);
	free(back);
}
END_TEST

START_TEST(test_hotplug_lun)
{
	UINT8 cdb[16], cap[8], sense[20];
	EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET p;
	UINT8 target[TARGET_MAX_BYTES], *t = target;
	UINT64 lun = 0;

	pt_start();
	ck_assert_int_eq(attach_cd(), 0);
	/* LUN 3 was not in the list: the host's ENUMERATE_BUS has a new look taken */
	memset(cdb, 0, sizeof(cdb));
	cdb[0] = 0x25;
	for (unsigned i = 0; i < 3; i++) {
		p = packet(cdb, 10, FALSE, cap, 8, sense, sizeof(sense));
		ck_assert_uint_eq(proto->PassThru(proto, tgt0, 3, &p, NULL), EFI_SUCCESS);
		if (p.TargetStatus == 0)
			break;
		ck_assert_uint_eq(p.TargetStatus, EFI_EXT_SCSI_STATUS_TARGET_CHECK_CONDITION);
		ck_assert_uint_eq(sense[2] & 0xf, 0x6);	/* unit attention: a medium */
	}
	ck_assert_uint_eq(p.TargetStatus, 0);
	ck_assert_uint_eq(get_be32(cap + 4), 2048);
	memset(target, 0xff, sizeof(target));
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_SUCCESS);
		ck_assert_uint_eq(lun, i);
	}
	ck_assert_uint_eq(proto->GetNextTargetLun(proto, &t, &lun), EFI_NOT_FOUND);
	ck_assert_uint_eq(scsi_pt_stop(pt), EFI_SUCCESS);
}
END_TEST

static bool drop_hook(void *ctx, struct vmbusc_packet *p, uint8_t *buf)
{
	(void)buf;
	if (p->type == VM_PKT_COMP)
		(*(unsigned *)ctx)++;
	return p->type != VM_PKT_COMP;
}

/* A second request from a callback while the first is polled for. */
static EFI_STATUS nested_status = EFI_SUCCESS;
static unsigned nested_calls;

static bool nested_hook(void *ctx, struct vmbusc_packet *p, uint8_t *buf)
{
	UINT8 cdb[16];
	EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET q = packet(cdb, (UINT8)cdb_tur(cdb), FALSE, NULL, 0, NULL, 0);

	(void)ctx, (void)p, (void)buf;
	nested_calls++;
	nested_status = proto->PassThru(proto, tgt0, 0, &q, NULL);
	return true;
}

START_TEST(test_nested)
{
	UINT8 cdb[16], buf[BS];
	EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET p;

	pt_start();
	shim_set_hook(nested_hook, NULL);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, 1), FALSE, buf, BS, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);
	ck_assert_uint_eq(p.InTransferLength, BS);
	ck_assert_uint_ge(nested_calls, 1);
	ck_assert_uint_eq(nested_status, EFI_NOT_READY);
	nested_calls = 0;
	ck_assert_uint_eq(proto->ResetChannel(proto), EFI_SUCCESS);
	ck_assert_uint_ge(nested_calls, 1);
	ck_assert_uint_eq(nested_status, EFI_NOT_READY);
	shim_set_hook(NULL, NULL);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, 1), FALSE, buf, BS, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_SUCCESS);	/* not stuck busy */
	ck_assert_uint_eq(scsi_pt_stop(pt), EFI_SUCCESS);
}
END_TEST

START_TEST(test_timeout_and_shutdown)
{
	UINT8 cdb[16], buf[BS];
	EFI_EXT_SCSI_PASS_THRU_SCSI_REQUEST_PACKET p;
	unsigned dropped = 0, sends;

	pt_start();
	shim_set_hook(drop_hook, &dropped);
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, 1), FALSE, buf, BS, NULL, 0);
	p.Timeout = 2000000;	/* 200 ms */
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_TIMEOUT);
	ck_assert_uint_eq(p.HostAdapterStatus, EFI_EXT_SCSI_STATUS_HOST_ADAPTER_TIMEOUT_COMMAND);
	ck_assert_uint_eq(p.InTransferLength, 0);
	ck_assert_uint_eq(dropped, 1);
	shim_set_hook(NULL, NULL);
	/* the bounce buffer may still be the host's: nothing more goes */
	p = packet(cdb, (UINT8)cdb_rw10(cdb, false, 0, 1), FALSE, buf, BS, NULL, 0);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_DEVICE_ERROR);
	ck_assert_uint_eq(proto->ResetChannel(proto), EFI_DEVICE_ERROR);
	/* ExitBootServices: nothing sent (the UNLOAD closes the channel), nothing
	 * uninstalled or freed */
	sends = shim_stats.sends + shim_stats.sends_gpa;
	scsi_pt_shutdown_all();
	ck_assert_uint_eq(shim_stats.closes, 0);
	ck_assert_uint_eq(shim_stats.sends + shim_stats.sends_gpa, sends);
	ck_assert_ptr_eq(fake_find(child, &pt_guid), proto);
	ck_assert_uint_eq(shim_stats.pages_out, SCSI_PT_BOUNCE_PAGES);
	ck_assert_uint_eq(proto->PassThru(proto, tgt0, 0, &p, NULL), EFI_DEVICE_ERROR);
	ck_assert_uint_eq(proto->ResetChannel(proto), EFI_DEVICE_ERROR);
	scsi_pt_shutdown_all();
	/* a stop after it frees the handle's own memory, and leaves channel and bounce
	 * pages to the UNLOAD */
	ck_assert_uint_eq(scsi_pt_stop(pt), EFI_SUCCESS);
	ck_assert_uint_eq(shim_stats.closes, 0);
	ck_assert_uint_eq(shim_stats.pages_out, SCSI_PT_BOUNCE_PAGES);
	ck_assert_int_eq(fake.pools, 0);
	ck_assert_uint_eq(fake.nprotos, 0);
}
END_TEST

START_TEST(test_start_fails_clean)
{
	guest_connect();
	shim_bus(&bus);
	fake_efi_reset();
	/* a host that never answers: nothing left behind */
	{
		unsigned dropped = 0;

		shim_set_hook(drop_hook, &dropped);
		ck_assert_uint_eq(scsi_pt_start(&driver_handle, &controller_handle, (EFI_DEVICE_PATH *)parent_path,
						&bus, &bus.offers[0], 0, &pt, &child),
				  EFI_DEVICE_ERROR);
		ck_assert_uint_eq(dropped, 1);
	}
	ck_assert_uint_eq(fake.nprotos, 0);
	ck_assert_uint_eq(shim_stats.opens, 1);
	ck_assert_uint_eq(shim_stats.closes, 1);
	ck_assert_uint_eq(shim_stats.pages_out, 0);
	ck_assert_int_eq(fake.pools, 0);
	ck_assert_uint_eq(scsi_pt_start(&driver_handle, &controller_handle, NULL, &bus, &bus.offers[0], 0, &pt, &child),
			  EFI_INVALID_PARAMETER);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scsi_pt");
	TCase *tc;

	tc = tcase(s, "scsi_pt");
	tcase_add_test(tc, test_ctrl_number);
	tcase_add_test(tc, test_start_and_paths);
	tcase_add_test(tc, test_passthru);
	tcase_add_test(tc, test_hotplug_lun);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_timeout_and_shutdown);
	tcase_add_test(tc, test_start_fails_clean);
	return test_main(s);
}
