/* SPDX-License-Identifier: MIT */
/*
 * Test-only: the few boot services and gnu-efi library calls firmware/scsi_pt.c uses,
 * in a native process: a handle database (install, uninstall, open, close) and pool
 * allocation over malloc, so the EFI glue can be driven by a unit test.
 */
#ifndef HVKVM_TEST_EFI_TEST_FAKE_H
#define HVKVM_TEST_EFI_TEST_FAKE_H

#include <efi.h>
#include <efilib.h>

#define FAKE_MAX_PROTOS	32

struct fake_proto {
	EFI_HANDLE handle;
	EFI_GUID guid;
	VOID *iface;
	BOOLEAN in_use;		/* held BY_DRIVER by a consumer: uninstall is refused */
};

#define FAKE_MAX_EVENTS	16

struct fake_event {
	BOOLEAN used;
	UINT32 type;
	EFI_TPL tpl;
	EFI_EVENT_NOTIFY fn;
	VOID *ctx;
	BOOLEAN signaled;
	EFI_TIMER_DELAY timer_type;
	UINT64 period;		/* 100 ns units */
};

struct fake_efi {
	struct fake_event events[FAKE_MAX_EVENTS];
	unsigned events_open;
	EFI_TPL tpl;		/* now */
	EFI_TPL max_tpl;	/* the highest raised to */
	struct fake_proto protos[FAKE_MAX_PROTOS];
	unsigned nprotos;
	unsigned handles;	/* made so far */
	unsigned child_opens, child_closes;	/* BY_CHILD_CONTROLLER */
	EFI_HANDLE child_of_agent;		/* the last child an open named */
	long pools;		/* allocated less freed */
};

extern struct fake_efi fake;

/* Fresh state and BS pointing at the fake boot services. */
void fake_efi_reset(void);
/* The interface of guid on handle, or NULL. */
VOID *fake_find(EFI_HANDLE handle, const EFI_GUID *guid);
void fake_set_in_use(EFI_HANDLE handle, const EFI_GUID *guid, BOOLEAN in_use);

/* Runs an event's notification function, as the firmware does when a timer fires
 * or a wait event is checked. */
void fake_fire(EFI_EVENT e);
/* CheckEvent: runs a wait event's notification function unless it is signalled;
 * TRUE (and the event cleared) when it is signalled then. */
BOOLEAN fake_check(EFI_EVENT e);
struct fake_event *fake_event(EFI_EVENT e);

#endif
