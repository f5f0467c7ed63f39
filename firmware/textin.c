/* SPDX-License-Identifier: MIT */
/* The text input protocols on synthkbdc (textin.h). */
#include "textin.h"

#include <eficonex.h>

static EFI_GUID in_guid = EFI_SIMPLE_TEXT_INPUT_PROTOCOL_GUID;
static EFI_GUID inex_guid = EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL_GUID;

struct notify {
	BOOLEAN used;
	EFI_KEY_DATA key;
	EFI_KEY_NOTIFY_FUNCTION fn;
};

struct textin {
	SIMPLE_INPUT_INTERFACE in;		/* first: This of SimpleTextIn */
	EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL inex;
	EFI_HANDLE controller;
	EFI_EVENT timer;
	struct synthkbdc kbd;
	BOOLEAN in_installed, inex_installed;
	BOOLEAN shut;
	UINT32 shift;				/* EFI_*_PRESSED */
	EFI_KEY_TOGGLE_STATE toggle;		/* EFI_*_LOCK_ACTIVE */
	unsigned head, count;
	EFI_KEY_DATA q[TEXTIN_QUEUE];
	struct notify notifies[TEXTIN_NOTIFIES];
	UINT64 dropped;
};

#define FROM_EX(p)	((struct textin *)((UINT8 *)(p) - __builtin_offsetof(struct textin, inex)))

/* Set 1 make codes 0x00..0x39 of a US layout: unshifted and shifted. */
static const char plain[0x3a] =
	"\0\0" "1234567890-=" "\0\0" "qwertyuiop[]" "\0\0" "asdfghjkl;'`" "\0\\" "zxcvbnm,./" "\0*\0 ";
static const char shifted[0x3a] =
	"\0\0" "!@#$%^&*()_+" "\0\0" "QWERTYUIOP{}" "\0\0" "ASDFGHJKL:\"~" "\0|" "ZXCVBNM<>?" "\0*\0 ";

/* The navigation block: E0-prefixed codes, or the keypad's without Num Lock. */
static UINT16 nav_scan(UINT16 c)
{
	switch (c) {
	case 0x47: return SCAN_HOME;
	case 0x48: return SCAN_UP;
	case 0x49: return SCAN_PAGE_UP;
	case 0x4b: return SCAN_LEFT;
	case 0x4d: return SCAN_RIGHT;
	case 0x4f: return SCAN_END;
	case 0x50: return SCAN_DOWN;
	case 0x51: return SCAN_PAGE_DOWN;
	case 0x52: return SCAN_INSERT;
	case 0x53: return SCAN_DELETE;
	default: return SCAN_NULL;
	}
}

BOOLEAN textin_translate(const struct synthkbdc_key *k, UINT32 *shift, EFI_KEY_TOGGLE_STATE *toggle,
			 EFI_INPUT_KEY *key)
{
	UINT32 bit = 0;
	UINT16 c = k->code;
	BOOLEAN e0 = k->prefix == 0xe0;

	key->ScanCode = SCAN_NULL;
	key->UnicodeChar = CHAR_NULL;
	if (k->unicode) {
		if (!k->down || !c)
			return FALSE;
		key->UnicodeChar = c;
		return TRUE;
	}
	if (k->prefix == 0xe1)
		return FALSE;	/* Pause */
	/* Modifiers, pressed or released. */
	switch (c) {
	case 0x2a: bit = e0 ? 0 : EFI_LEFT_SHIFT_PRESSED; break;	/* E0 2A: a fake shift */
	case 0x36: bit = e0 ? 0 : EFI_RIGHT_SHIFT_PRESSED; break;
	case 0x1d: bit = e0 ? EFI_RIGHT_CONTROL_PRESSED : EFI_LEFT_CONTROL_PRESSED; break;
	case 0x38: bit = e0 ? EFI_RIGHT_ALT_PRESSED : EFI_LEFT_ALT_PRESSED; break;
	case 0x5b: bit = e0 ? EFI_LEFT_LOGO_PRESSED : 0; break;
	case 0x5c: bit = e0 ? EFI_RIGHT_LOGO_PRESSED : 0; break;
	case 0x5d: bit = e0 ? EFI_MENU_KEY_PRESSED : 0; break;
	default: break;
	}
	if (bit || (e0 && (c == 0x2a || c == 0x36))) {
		if (k->down)
			*shift |= bit;
		else
			*shift &= ~bit;
		return FALSE;
	}
	if (!k->down)
		return FALSE;
	if (!e0) {
		switch (c) {
		case 0x3a: *toggle ^= EFI_CAPS_LOCK_ACTIVE; return FALSE;
		case 0x45: *toggle ^= EFI_NUM_LOCK_ACTIVE; return FALSE;
		case 0x46: *toggle ^= EFI_SCROLL_LOCK_ACTIVE; return FALSE;
		default: break;
		}
	}
	if (e0) {
		if (c == 0x1c) {
			key->UnicodeChar = CHAR_CARRIAGE_RETURN;	/* keypad Enter */
			return TRUE;
		}
		if (c == 0x35) {
			key->UnicodeChar = '/';				/* keypad / */
			return TRUE;
		}
		key->ScanCode = nav_scan(c);
		return key->ScanCode != SCAN_NULL;
	}
	switch (c) {
	case 0x01: key->ScanCode = SCAN_ESC; return TRUE;
	case 0x0e: key->UnicodeChar = CHAR_BACKSPACE; return TRUE;
	case 0x0f: key->UnicodeChar = CHAR_TAB; return TRUE;
	case 0x1c: key->UnicodeChar = CHAR_CARRIAGE_RETURN; return TRUE;
	case 0x57: key->ScanCode = SCAN_F11; return TRUE;
	case 0x58: key->ScanCode = SCAN_F12; return TRUE;
	case 0x4a: key->UnicodeChar = '-'; return TRUE;		/* keypad */
	case 0x4e: key->UnicodeChar = '+'; return TRUE;
	default: break;
	}
	if (c >= 0x3b && c <= 0x44) {
		key->ScanCode = (UINT16)(SCAN_F1 + (c - 0x3b));
		return TRUE;
	}
	if (c >= 0x47 && c <= 0x53) {
		static const char pad[0x0d] = "789-456+1230.";

		if (*toggle & EFI_NUM_LOCK_ACTIVE) {
			key->UnicodeChar = (CHAR16)pad[c - 0x47];
			return TRUE;
		}
		key->ScanCode = nav_scan(c);
		return key->ScanCode != SCAN_NULL;
	}
	if (c < sizeof(plain) && plain[c]) {
		BOOLEAN sh = (*shift & (EFI_LEFT_SHIFT_PRESSED | EFI_RIGHT_SHIFT_PRESSED)) != 0;
		char ch = sh ? shifted[c] : plain[c];

		/* Caps Lock inverts Shift for letters alone. */
		if (*toggle & EFI_CAPS_LOCK_ACTIVE) {
			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			else if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
		}
		/* Ctrl with a letter: its control character, as firmware consoles give it. */
		if (*shift & (EFI_LEFT_CONTROL_PRESSED | EFI_RIGHT_CONTROL_PRESSED)) {
			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 1);
			else if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 1);
		}
		key->UnicodeChar = (CHAR16)(UINT8)ch;
		return TRUE;
	}
	return FALSE;
}

static BOOLEAN notify_matches(const EFI_KEY_DATA *reg, const EFI_KEY_DATA *k)
{
	if (reg->Key.ScanCode != k->Key.ScanCode || reg->Key.UnicodeChar != k->Key.UnicodeChar)
		return FALSE;
	if ((reg->KeyState.KeyShiftState & EFI_SHIFT_STATE_VALID) &&
	    reg->KeyState.KeyShiftState != k->KeyState.KeyShiftState)
		return FALSE;
	if ((reg->KeyState.KeyToggleState & EFI_TOGGLE_STATE_VALID) &&
	    reg->KeyState.KeyToggleState != k->KeyState.KeyToggleState)
		return FALSE;
	return TRUE;
}

/* Takes the channel's events into the key queue at TPL_NOTIFY; the registered
 * notifications of the keys taken are put in fns (up to max) for the caller to run. */
static unsigned take_keys(struct textin *t, EFI_KEY_NOTIFY_FUNCTION *fns, EFI_KEY_DATA *keys, unsigned max)
{
	struct synthkbdc_key k;
	EFI_KEY_DATA d;
	UINT8 leds_before = t->toggle;
	unsigned n = 0;

	if (t->shut || t->kbd.broken)
		return 0;
	synthkbdc_poll(&t->kbd);
	while (synthkbdc_next(&t->kbd, &k)) {
		if (!textin_translate(&k, &t->shift, &t->toggle, &d.Key))
			continue;
		d.KeyState.KeyShiftState = EFI_SHIFT_STATE_VALID | t->shift;
		d.KeyState.KeyToggleState = EFI_TOGGLE_STATE_VALID | t->toggle;
		for (unsigned i = 0; i < TEXTIN_NOTIFIES; i++)
			if (t->notifies[i].used && notify_matches(&t->notifies[i].key, &d) && n < max) {
				fns[n] = t->notifies[i].fn;
				keys[n++] = d;
			}
		if (t->count == TEXTIN_QUEUE) {
			t->dropped++;
			continue;
		}
		t->q[(t->head + t->count) % TEXTIN_QUEUE] = d;
		t->count++;
	}
	if (t->toggle != leds_before)
		synthkbdc_set_leds(&t->kbd, (UINT16)((t->toggle & EFI_SCROLL_LOCK_ACTIVE ? SYNTH_KBD_LED_SCROLL_LOCK : 0) |
						      (t->toggle & EFI_NUM_LOCK_ACTIVE ? SYNTH_KBD_LED_NUM_LOCK : 0) |
						      (t->toggle & EFI_CAPS_LOCK_ACTIVE ? SYNTH_KBD_LED_CAPS_LOCK : 0)));
	return n;
}

void textin_poll(struct textin *t)
{
	EFI_KEY_NOTIFY_FUNCTION fns[TEXTIN_NOTIFIES];
	EFI_KEY_DATA keys[TEXTIN_NOTIFIES];
	EFI_TPL old = BS->RaiseTPL(TPL_NOTIFY);
	unsigned n = take_keys(t, fns, keys, TEXTIN_NOTIFIES);

	BS->RestoreTPL(old);
	for (unsigned i = 0; i < n; i++)
		fns[i](&keys[i]);
}

static VOID EFIAPI timer_fn(EFI_EVENT e, VOID *ctx)
{
	(void)e;
	textin_poll(ctx);
}

/* WaitForKey(Ex): signalled while a key waits. */
static VOID EFIAPI wait_fn(EFI_EVENT e, VOID *ctx)
{
	struct textin *t = ctx;
	EFI_TPL old = BS->RaiseTPL(TPL_NOTIFY);
	BOOLEAN ready;

	take_keys(t, NULL, NULL, 0);
	ready = t->count > 0;
	BS->RestoreTPL(old);
	if (ready)
		BS->SignalEvent(e);
}

static EFI_STATUS read_key(struct textin *t, EFI_KEY_DATA *d)
{
	EFI_TPL old = BS->RaiseTPL(TPL_NOTIFY);
	EFI_STATUS s = EFI_NOT_READY;

	take_keys(t, NULL, NULL, 0);
	if (t->count) {
		*d = t->q[t->head];
		t->head = (t->head + 1) % TEXTIN_QUEUE;
		t->count--;
		s = EFI_SUCCESS;
	} else if (t->shut || t->kbd.broken) {
		s = EFI_DEVICE_ERROR;
	}
	BS->RestoreTPL(old);
	return s;
}

static EFI_STATUS reset_common(struct textin *t)
{
	EFI_TPL old = BS->RaiseTPL(TPL_NOTIFY);

	take_keys(t, NULL, NULL, 0);
	t->head = t->count = 0;
	BS->RestoreTPL(old);
	return t->shut || t->kbd.broken ? EFI_DEVICE_ERROR : EFI_SUCCESS;
}

static EFI_STATUS EFIAPI in_reset(SIMPLE_INPUT_INTERFACE *This, BOOLEAN ext)
{
	(void)ext;
	return reset_common((struct textin *)This);
}

static EFI_STATUS EFIAPI in_read(SIMPLE_INPUT_INTERFACE *This, EFI_INPUT_KEY *key)
{
	EFI_KEY_DATA d;
	EFI_STATUS s;

	if (!This || !key)
		return EFI_INVALID_PARAMETER;
	/* Keys with no meaning to SimpleTextIn (none here) would be skipped. */
	s = read_key((struct textin *)This, &d);
	if (s == EFI_SUCCESS)
		*key = d.Key;
	return s;
}

static EFI_STATUS EFIAPI ex_reset(EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL *This, BOOLEAN ext)
{
	(void)ext;
	return reset_common(FROM_EX(This));
}

static EFI_STATUS EFIAPI ex_read(EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL *This, EFI_KEY_DATA *d)
{
	if (!This || !d)
		return EFI_INVALID_PARAMETER;
	return read_key(FROM_EX(This), d);
}

static EFI_STATUS EFIAPI ex_set_state(EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL *This, EFI_KEY_TOGGLE_STATE *st)
{
	struct textin *t;
	EFI_TPL old;
	int r = 0;

	if (!This || !st)
		return EFI_INVALID_PARAMETER;
	if (!(*st & EFI_TOGGLE_STATE_VALID))
		return EFI_UNSUPPORTED;
	t = FROM_EX(This);
	old = BS->RaiseTPL(TPL_NOTIFY);
	t->toggle = *st & (EFI_SCROLL_LOCK_ACTIVE | EFI_NUM_LOCK_ACTIVE | EFI_CAPS_LOCK_ACTIVE);
	if (!t->shut)
		r = synthkbdc_set_leds(&t->kbd,
				       (UINT16)((t->toggle & EFI_SCROLL_LOCK_ACTIVE ? SYNTH_KBD_LED_SCROLL_LOCK : 0) |
						(t->toggle & EFI_NUM_LOCK_ACTIVE ? SYNTH_KBD_LED_NUM_LOCK : 0) |
						(t->toggle & EFI_CAPS_LOCK_ACTIVE ? SYNTH_KBD_LED_CAPS_LOCK : 0)));
	BS->RestoreTPL(old);
	return r < 0 ? EFI_DEVICE_ERROR : EFI_SUCCESS;
}

static EFI_STATUS EFIAPI ex_register(EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL *This, EFI_KEY_DATA *d,
				     EFI_KEY_NOTIFY_FUNCTION fn, VOID **handle)
{
	struct textin *t;

	if (!This || !d || !fn || !handle)
		return EFI_INVALID_PARAMETER;
	t = FROM_EX(This);
	/* The same key and function again: the same registration. */
	for (unsigned i = 0; i < TEXTIN_NOTIFIES; i++)
		if (t->notifies[i].used && t->notifies[i].fn == fn && notify_matches(&t->notifies[i].key, d)) {
			*handle = &t->notifies[i];
			return EFI_SUCCESS;
		}
	for (unsigned i = 0; i < TEXTIN_NOTIFIES; i++)
		if (!t->notifies[i].used) {
			t->notifies[i].used = TRUE;
			t->notifies[i].key = *d;
			t->notifies[i].fn = fn;
			*handle = &t->notifies[i];
			return EFI_SUCCESS;
		}
	return EFI_OUT_OF_RESOURCES;
}

static EFI_STATUS EFIAPI ex_unregister(EFI_SIMPLE_TEXT_INPUT_EX_PROTOCOL *This, VOID *handle)
{
	struct textin *t;

	if (!This || !handle)
		return EFI_INVALID_PARAMETER;
	t = FROM_EX(This);
	for (unsigned i = 0; i < TEXTIN_NOTIFIES; i++)
		if (handle == &t->notifies[i] && t->notifies[i].used) {
			t->notifies[i].used = FALSE;
			return EFI_SUCCESS;
		}
	return EFI_INVALID_PARAMETER;
}

static void close_events(struct textin *t)
{
	if (t->timer)
		BS->CloseEvent(t->timer);
	if (t->in.WaitForKey)
		BS->CloseEvent(t->in.WaitForKey);
	if (t->inex.WaitForKeyEx)
		BS->CloseEvent(t->inex.WaitForKeyEx);
	t->timer = t->in.WaitForKey = t->inex.WaitForKeyEx = NULL;
}

/* The Ex protocol, then the plain one; stops at the first that is held. */
static void uninstall(struct textin *t)
{
	if (t->inex_installed) {
		if (BS->UninstallProtocolInterface(t->controller, &inex_guid, &t->inex) != EFI_SUCCESS)
			return;
		t->inex_installed = FALSE;
	}
	if (t->in_installed && BS->UninstallProtocolInterface(t->controller, &in_guid, &t->in) == EFI_SUCCESS)
		t->in_installed = FALSE;
}

EFI_STATUS textin_start(EFI_HANDLE controller, struct vmbusc *bus, const struct vmbusc_offer *offer,
			struct textin **out)
{
	struct textin *t;
	EFI_STATUS s;

	if (!controller || !bus || !offer || !out)
		return EFI_INVALID_PARAMETER;
	t = AllocateZeroPool(sizeof(*t));
	if (!t)
		return EFI_OUT_OF_RESOURCES;
	t->controller = controller;
	if (synthkbdc_open(&t->kbd, bus, offer, TEXTIN_TIMEOUT_US) < 0) {
		FreePool(t);
		return EFI_DEVICE_ERROR;
	}
	t->in.Reset = in_reset;
	t->in.ReadKeyStroke = in_read;
	t->inex.Reset = ex_reset;
	t->inex.ReadKeyStrokeEx = ex_read;
	t->inex.SetState = ex_set_state;
	t->inex.RegisterKeyNotify = ex_register;
	t->inex.UnregisterKeyNotify = ex_unregister;
	s = BS->CreateEvent(EVT_NOTIFY_WAIT, TPL_NOTIFY, wait_fn, t, &t->in.WaitForKey);
	if (s == EFI_SUCCESS)
		s = BS->CreateEvent(EVT_NOTIFY_WAIT, TPL_NOTIFY, wait_fn, t, &t->inex.WaitForKeyEx);
	if (s == EFI_SUCCESS)
		s = BS->CreateEvent(EVT_TIMER | EVT_NOTIFY_SIGNAL, TPL_CALLBACK, timer_fn, t, &t->timer);
	if (s == EFI_SUCCESS)
		s = BS->SetTimer(t->timer, TimerPeriodic, TEXTIN_TIMER_100NS);
	if (s == EFI_SUCCESS) {
		s = BS->InstallProtocolInterface(&t->controller, &in_guid, EFI_NATIVE_INTERFACE, &t->in);
		t->in_installed = s == EFI_SUCCESS;
	}
	if (s == EFI_SUCCESS) {
		s = BS->InstallProtocolInterface(&t->controller, &inex_guid, EFI_NATIVE_INTERFACE, &t->inex);
		t->inex_installed = s == EFI_SUCCESS;
	}
	if (s != EFI_SUCCESS) {
		uninstall(t);
		close_events(t);
		synthkbdc_close(&t->kbd, TEXTIN_TIMEOUT_US);
		FreePool(t);
		return s;
	}
	*out = t;
	return EFI_SUCCESS;
}

EFI_STATUS textin_stop(struct textin *t)
{
	uninstall(t);
	if (t->in_installed || t->inex_installed) {
		/* One is held: both stay, as they were. */
		if (!t->inex_installed &&
		    BS->InstallProtocolInterface(&t->controller, &inex_guid, EFI_NATIVE_INTERFACE, &t->inex) == EFI_SUCCESS)
			t->inex_installed = TRUE;
		return EFI_ACCESS_DENIED;
	}
	close_events(t);
	if (!t->shut)
		synthkbdc_close(&t->kbd, TEXTIN_TIMEOUT_US);
	FreePool(t);
	return EFI_SUCCESS;
}

void textin_shutdown(struct textin *t)
{
	t->shut = TRUE;
}
