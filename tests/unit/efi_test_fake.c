/* SPDX-License-Identifier: MIT */
/* Test-only boot services and gnu-efi library calls (efi_test_fake.h). */
#include "efi_test_fake.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct fake_efi fake;
EFI_BOOT_SERVICES *BS;
EFI_GUID gEfiDevicePathProtocolGuid = { 0x09576e91, 0x6d3f, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } };
EFI_GUID gEfiPciIoProtocolGuid = { 0x4cf5b200, 0x68b8, 0x4ca5, { 0x9e, 0xec, 0xb2, 0x3e, 0x3f, 0x50, 0x02, 0x9a } };
static EFI_BOOT_SERVICES fake_bs;
static char handle_space[64];

static struct fake_proto *lookup(EFI_HANDLE handle, const EFI_GUID *guid)
{
	for (unsigned i = 0; i < fake.nprotos; i++)
		if (fake.protos[i].handle == handle && !memcmp(&fake.protos[i].guid, guid, sizeof(*guid)))
			return &fake.protos[i];
	return NULL;
}

static EFI_STATUS EFIAPI fake_install(EFI_HANDLE *handle, EFI_GUID *guid, EFI_INTERFACE_TYPE type, VOID *iface)
{
	if (!handle || !guid || type != EFI_NATIVE_INTERFACE)
		return EFI_INVALID_PARAMETER;
	if (!*handle) {
		if (fake.handles >= sizeof(handle_space))
			return EFI_OUT_OF_RESOURCES;
		*handle = &handle_space[fake.handles++];
	}
	if (lookup(*handle, guid))
		return EFI_INVALID_PARAMETER;
	if (fake.nprotos >= FAKE_MAX_PROTOS)
		return EFI_OUT_OF_RESOURCES;
	fake.protos[fake.nprotos++] = (struct fake_proto){ .handle = *handle, .guid = *guid, .iface = iface };
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_uninstall(EFI_HANDLE handle, EFI_GUID *guid, VOID *iface)
{
	struct fake_proto *p = lookup(handle, guid);

	if (!p || p->iface != iface)
		return EFI_NOT_FOUND;
	if (p->in_use)
		return EFI_ACCESS_DENIED;
	*p = fake.protos[--fake.nprotos];
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_open(EFI_HANDLE handle, EFI_GUID *guid, VOID **iface, EFI_HANDLE agent,
				   EFI_HANDLE controller, UINT32 attributes)
{
	(void)handle, (void)guid;
	if (!agent || !controller || attributes != EFI_OPEN_PROTOCOL_BY_CHILD_CONTROLLER)
		return EFI_INVALID_PARAMETER;
	if (iface)
		*iface = NULL;
	fake.child_opens++;
	fake.child_of_agent = controller;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_close(EFI_HANDLE handle, EFI_GUID *guid, EFI_HANDLE agent, EFI_HANDLE controller)
{
	(void)handle, (void)guid, (void)agent;
	if (controller != fake.child_of_agent)
		return EFI_NOT_FOUND;
	fake.child_closes++;
	return EFI_SUCCESS;
}

/* ---- events and TPL ---- */

static EFI_STATUS EFIAPI fake_create_event(UINT32 type, EFI_TPL tpl, EFI_EVENT_NOTIFY fn, VOID *ctx, EFI_EVENT *e)
{
	if (!e || ((type & (EVT_NOTIFY_WAIT | EVT_NOTIFY_SIGNAL)) && !fn))
		return EFI_INVALID_PARAMETER;
	if (tpl != TPL_CALLBACK && tpl != TPL_NOTIFY && tpl != TPL_APPLICATION)
		return EFI_INVALID_PARAMETER;
	for (unsigned i = 0; i < FAKE_MAX_EVENTS; i++)
		if (!fake.events[i].used) {
			fake.events[i] = (struct fake_event){ .used = TRUE, .type = type, .tpl = tpl, .fn = fn, .ctx = ctx };
			fake.events_open++;
			*e = &fake.events[i];
			return EFI_SUCCESS;
		}
	return EFI_OUT_OF_RESOURCES;
}

struct fake_event *fake_event(EFI_EVENT e)
{
	struct fake_event *f = e;

	ck_assert_ptr_nonnull(f);
	ck_assert(f >= fake.events && f < fake.events + FAKE_MAX_EVENTS && f->used);
	return f;
}

static EFI_STATUS EFIAPI fake_set_timer(EFI_EVENT e, EFI_TIMER_DELAY type, UINT64 period)
{
	struct fake_event *f = fake_event(e);

	if (!(f->type & EVT_TIMER))
		return EFI_INVALID_PARAMETER;
	f->timer_type = type;
	f->period = period;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_close_event(EFI_EVENT e)
{
	struct fake_event *f = fake_event(e);

	f->used = FALSE;
	fake.events_open--;
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI fake_signal_event(EFI_EVENT e)
{
	fake_event(e)->signaled = TRUE;
	return EFI_SUCCESS;
}

static EFI_TPL EFIAPI fake_raise_tpl(EFI_TPL tpl)
{
	EFI_TPL old = fake.tpl;

	ck_assert_uint_ge(tpl, old);
	fake.tpl = tpl;
	if (tpl > fake.max_tpl)
		fake.max_tpl = tpl;
	return old;
}

static VOID EFIAPI fake_restore_tpl(EFI_TPL tpl)
{
	ck_assert_uint_le(tpl, fake.tpl);
	fake.tpl = tpl;
}

void fake_fire(EFI_EVENT e)
{
	struct fake_event *f = fake_event(e);
	EFI_TPL old = fake_raise_tpl(f->tpl);

	f->fn(e, f->ctx);
	fake_restore_tpl(old);
}

BOOLEAN fake_check(EFI_EVENT e)
{
	struct fake_event *f = fake_event(e);

	if (!f->signaled && (f->type & EVT_NOTIFY_WAIT))
		fake_fire(e);
	if (!f->signaled)
		return FALSE;
	f->signaled = FALSE;
	return TRUE;
}

void fake_efi_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	memset(&fake_bs, 0, sizeof(fake_bs));
	fake_bs.InstallProtocolInterface = fake_install;
	fake_bs.UninstallProtocolInterface = fake_uninstall;
	fake_bs.OpenProtocol = fake_open;
	fake_bs.CloseProtocol = fake_close;
	fake_bs.CreateEvent = fake_create_event;
	fake_bs.SetTimer = fake_set_timer;
	fake_bs.CloseEvent = fake_close_event;
	fake_bs.SignalEvent = fake_signal_event;
	fake_bs.RaiseTPL = fake_raise_tpl;
	fake_bs.RestoreTPL = fake_restore_tpl;
	fake.tpl = TPL_APPLICATION;
	BS = &fake_bs;
}

VOID *fake_find(EFI_HANDLE handle, const EFI_GUID *guid)
{
	struct fake_proto *p = lookup(handle, guid);

	return p ? p->iface : NULL;
}

void fake_set_in_use(EFI_HANDLE handle, const EFI_GUID *guid, BOOLEAN in_use)
{
	struct fake_proto *p = lookup(handle, guid);

	if (p)
		p->in_use = in_use;
}

/* ---- gnu-efi's library ---- */

VOID ZeroMem(VOID *buf, UINTN size)
{
	memset(buf, 0, size);
}

VOID SetMem(VOID *buf, UINTN size, UINT8 value)
{
	memset(buf, value, size);
}

VOID CopyMem(VOID *dest, CONST VOID *src, UINTN len)
{
	memmove(dest, src, len);
}

VOID *AllocateZeroPool(UINTN size)
{
	VOID *p = calloc(1, size);

	if (p)
		fake.pools++;
	return p;
}

VOID FreePool(VOID *p)
{
	if (p)
		fake.pools--;
	free(p);
}

static UINTN path_size(const EFI_DEVICE_PATH *p)
{
	const UINT8 *start = (const UINT8 *)p;

	while (!IsDevicePathEndType(p))
		p = NextDevicePathNode(p);
	return (UINTN)((const UINT8 *)p - start);
}

/* Src1 without its end, Src2's first node, an end node. */
EFI_DEVICE_PATH *AppendDevicePathNode(EFI_DEVICE_PATH *src1, EFI_DEVICE_PATH *src2)
{
	UINTN a = path_size(src1), b = DevicePathNodeLength(src2);
	UINT8 *p = AllocateZeroPool(a + b + 4);
	EFI_DEVICE_PATH *end;

	if (!p)
		return NULL;
	memcpy(p, src1, a);
	memcpy(p + a, src2, b);
	end = (EFI_DEVICE_PATH *)(p + a + b);
	SetDevicePathEndNode(end);
	return (EFI_DEVICE_PATH *)p;
}
