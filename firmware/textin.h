/* SPDX-License-Identifier: MIT */
/*
 * EFI_SIMPLE_TEXT_INPUT_PROTOCOL and EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL on Hyper-V's
 * synthetic keyboard, over synthkbdc. A periodic timer takes the host's key events
 * from the channel and turns scan code set 1 into EFI keys: letters, digits and
 * punctuation of a US layout with Shift and Caps Lock, Ctrl with a letter as its
 * control character, Enter, Backspace, Tab, Esc, F1..F12, the arrows and the
 * navigation block (E0-prefixed, or the keypad without Num Lock), the keypad digits
 * with Num Lock. WaitForKey and WaitForKeyEx poll the channel too. Built with gnu-efi
 * (GNU_EFI_USE_MS_ABI).
 */
#ifndef HVKVM_FW_TEXTIN_H
#define HVKVM_FW_TEXTIN_H

#include <efi.h>
#include <efilib.h>

#include "synthkbdc.h"
#include "vmbusc.h"

#define TEXTIN_TIMEOUT_US	5000000u	/* opening and the protocol request */
#define TEXTIN_TIMER_100NS	100000u		/* the poll timer's period: 10 ms */
#define TEXTIN_QUEUE		32		/* keys waiting to be read */
#define TEXTIN_NOTIFIES		8		/* RegisterKeyNotify registrations */

struct textin;

/*
 * Opens the synthetic keyboard channel (offer, on bus, which is connected), agrees
 * on the protocol, starts the poll timer and installs both protocols on controller.
 * EFI_SUCCESS with *out, or the failure with everything undone (EFI_DEVICE_ERROR when
 * the device refuses or does not answer).
 */
EFI_STATUS textin_start(EFI_HANDLE controller, struct vmbusc *bus, const struct vmbusc_offer *offer,
			struct textin **out);
/* Uninstalls both protocols (EFI_ACCESS_DENIED if someone still holds them), closes
 * the events and the channel, frees everything. Before the bus's vmbusc_unload. */
EFI_STATUS textin_stop(struct textin *t);
/* At ExitBootServices, before vmbusc_unload: the protocols stop using the channel
 * (no more keys); nothing is freed, closed or uninstalled. */
void textin_shutdown(struct textin *t);
/* The poll timer's work, for callers that poll. */
void textin_poll(struct textin *t);

/* One event in scan code set 1 (synthkbdc_key) to an EFI key, with the modifier and
 * lock state st (EFI_*_PRESSED bits, EFI_*_LOCK_ACTIVE bits) updated by it. TRUE with
 * *key for a press that gives a key; FALSE for a release, a modifier, or a key with
 * no EFI meaning. */
BOOLEAN textin_translate(const struct synthkbdc_key *k, UINT32 *shift, EFI_KEY_TOGGLE_STATE *toggle,
			 EFI_INPUT_KEY *key);

#endif
