/* SPDX-License-Identifier: MIT */
/*
 * hvkvm's UEFI boot service driver, as the firmware loads it from the expansion ROM of
 * hvkvm's option ROM function (src/devices/option_rom.h; packed by scripts/mkefirom).
 *
 * It says on COM1 that it was loaded and installs a driver binding that takes the
 * option ROM function (by its IDs). Its Start sets the Hyper-V partition and VP 0's
 * SynIC up (hv_efi.c), connects to VMBus (vmbusc.c) and lists the offers on COM1; the
 * connection stays up until the firmware's boot services end, for SCSI pass-through on
 * each StorVSC controller (scsi_pt.c), graphics output on the synthetic video device
 * (gop.c) and text input on the synthetic keyboard (textin.c), the latter two made
 * consoles of the firmware. Then it sends UNLOAD, undoes the Hyper-V set-up, and writes the
 * function's hide register, so that the OS it boots finds the bus, the SynIC and the
 * PCI bus as a fresh machine has them. Lines go straight to the 16550 at 0x3F8 (8 data
 * bits): the driver runs while the firmware enumerates PCI, before its consoles are
 * connected.
 *
 * Built with gnu-efi (GNU_EFI_USE_MS_ABI: every function the firmware calls is EFIAPI).
 */
#include <efi.h>
#include <efilib.h>

#include "gop.h"
#include "hv_efi.h"
#include "scsi_pt.h"
#include "textin.h"
#include "vmbusc.h"

#define ROM_VENDOR		0x1414
#define ROM_DEVICE		0xb007
#define ROM_HIDE_REG		0x40
#define ROM_HIDE_MAGIC		0x45444948u	/* "HIDE" */

#define COM1			0x3f8
#define UART_LCR		3
#define UART_LCR_WLEN8		0x03	/* 8 data bits */
#define UART_LCR_DLAB		0x80	/* 0x3F8/0x3F9 are the divisor latch */
#define UART_LSR		5
#define UART_LSR_THRE		0x20

/* Bounds of the VMBus waits: connecting at Start, UNLOAD at ExitBootServices. */
#define CONNECT_TIMEOUT_US	(5u * 1000 * 1000)
#define UNLOAD_TIMEOUT_US	(1u * 1000 * 1000)

/* StorVSC controllers given SCSI pass-through (hvkvm offers at most this many). */
#define MAX_CTRL		4

/* Where the synthetic video device's VRAM goes: inside the VMBus MMIO window below
 * 4 GiB (0xC0000000-0xFEC00000 on hvkvm), above the 32-bit PCI aperture of the
 * firmware (it ends at 0xFC000000), below the I/O APIC; page-aligned. Its size is the
 * device's offer (mmio_megabytes: 16 on hvkvm). The firmware's page tables map the
 * whole address space 1:1, so the address is also the pointer. */
#define VRAM_GPA		0xFD000000ull
#define VRAM_SIZE		(16ull << 20)

static EFI_PCI_IO_PROTOCOL *rom_fn;	/* the function to hide at ExitBootServices */
static EFI_EVENT ebs_event;
static struct scsi_pt *pts[MAX_CTRL];
static EFI_HANDLE pt_children[MAX_CTRL];
static struct gop *screen;		/* EFI_GRAPHICS_OUTPUT_PROTOCOL on the function */
static struct textin *keyboard;		/* EFI_SIMPLE_TEXT_INPUT(_EX)_PROTOCOL on it */
static BOOLEAN con_in_dev, con_out_dev;	/* the console device GUIDs installed on it */

/* edk2's console device tags (MdeModulePkg.dec: gEfiConsoleInDeviceGuid,
 * gEfiConsoleOutDeviceGuid): a handle carrying one, with SimpleTextIn or SimpleTextOut,
 * is taken by the console splitter as a console of the firmware (ConIn / ConOut). */
static EFI_GUID con_in_guid = { 0xd3b36f2b, 0xd551, 0x11d4, { 0x9a, 0x46, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };
static EFI_GUID con_out_guid = { 0xd3b36f2c, 0xd551, 0x11d4, { 0x9a, 0x46, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };

/* StorVSC's interface type ba6163d9-04a1-4d29-b605-72e2ffb1dc7f, in wire (EFI GUID)
 * byte order; hvkvm offers its DVD as a LUN of a SCSI controller, not as IDE. */
static const struct vmbus_guid storvsc_class = { { 0xd9, 0x63, 0x61, 0xba, 0xa1, 0x04, 0x29, 0x4d,
						   0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f } };
/* Synthetic video da0a7802-e377-4aac-8e77-0558eb1073f8 and keyboard
 * f912ad6d-2b17-48ea-bd65-f927a61c7684, the same byte order. */
static const struct vmbus_guid synthvid_class = { { 0x02, 0x78, 0x0a, 0xda, 0x77, 0xe3, 0xac, 0x4a,
						    0x8e, 0x77, 0x05, 0x58, 0xeb, 0x10, 0x73, 0xf8 } };
static const struct vmbus_guid synthkbd_class = { { 0x6d, 0xad, 0x12, 0xf9, 0x17, 0x2b, 0xea, 0x48,
						    0xbd, 0x65, 0xf9, 0x27, 0xa6, 0x1c, 0x76, 0x84 } };

static inline void outb(UINT16 port, UINT8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline UINT8 inb(UINT16 port)
{
	UINT8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_puts(const char *s)
{
	/* The firmware sets the UART up when it connects its consoles, after PCI
	 * enumeration: until then it is at its power-on 5 data bits, which would cut
	 * every character to its low 5 bits. 8 bits, the data register in place; the
	 * firmware's own set-up later writes the whole line control register anyway. */
	outb(COM1 + UART_LCR, (UINT8)((inb(COM1 + UART_LCR) & ~UART_LCR_DLAB) | UART_LCR_WLEN8));
	for (; *s; s++) {
		/* A bounded wait: a UART that never drains does not hang the firmware. */
		for (unsigned i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
			;
		outb(COM1, (UINT8)*s);
	}
}

static void serial_hex(UINT64 v, unsigned digits)
{
	char s[17];

	if (digits > 16)
		digits = 16;
	for (unsigned i = 0; i < digits; i++)
		s[i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 0xf];
	s[digits] = 0;
	serial_puts(s);
}

static void serial_dec(UINT64 v)
{
	char s[21];
	unsigned i = sizeof(s) - 1;

	s[i] = 0;
	do {
		s[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	serial_puts(s + i);
}

/* A VMBus GUID as text: its first three fields are little-endian. */
static void serial_guid(const struct vmbus_guid *g)
{
	static const unsigned char order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			serial_puts("-");
		serial_hex(g->b[order[i]], 2);
	}
}

/* Whether pci is the option ROM function. */
static BOOLEAN is_rom_fn(EFI_PCI_IO_PROTOCOL *pci)
{
	UINT32 id = 0;

	if (EFI_ERROR(pci->Pci.Read(pci, EfiPciIoWidthUint32, 0, 1, &id)))
		return FALSE;
	return id == ((UINT32)ROM_DEVICE << 16 | ROM_VENDOR);
}

/* Runs at TPL_NOTIFY inside ExitBootServices: no allocation, no output, no firmware
 * timer; the only wait, for UNLOAD_RESPONSE, polls with a bound. */
static VOID EFIAPI on_exit_boot_services(EFI_EVENT ev, VOID *ctx)
{
	UINT32 magic = ROM_HIDE_MAGIC;

	(void)ev, (void)ctx;
	scsi_pt_shutdown_all();
	if (screen)
		gop_shutdown(screen);
	if (keyboard)
		textin_shutdown(keyboard);
	if (hv_efi_bus) {
		vmbusc_unload(hv_efi_bus, UNLOAD_TIMEOUT_US);
		hv_efi_bus = NULL;
	}
	hv_efi_teardown();
	if (rom_fn)
		rom_fn->Pci.Write(rom_fn, EfiPciIoWidthUint32, ROM_HIDE_REG, 1, &magic);
}

static EFI_STATUS EFIAPI binding_supported(EFI_DRIVER_BINDING_PROTOCOL *this, EFI_HANDLE ctrl,
					   EFI_DEVICE_PATH *rest)
{
	EFI_PCI_IO_PROTOCOL *pci;
	EFI_STATUS st;
	BOOLEAN ours;

	(void)rest;
	st = BS->OpenProtocol(ctrl, &PciIoProtocol, (VOID **)&pci, this->DriverBindingHandle, ctrl,
			      EFI_OPEN_PROTOCOL_BY_DRIVER);
	if (EFI_ERROR(st))
		return st;
	ours = is_rom_fn(pci);
	BS->CloseProtocol(ctrl, &PciIoProtocol, this->DriverBindingHandle, ctrl);
	return ours ? EFI_SUCCESS : EFI_UNSUPPORTED;
}

/* The Hyper-V set-up and the VMBus connection, the offers listed on COM1. A failure
 * leaves the driver without VMBus: the function is still hidden at ExitBootServices. */
static void vmbus_start(void)
{
	static struct vmbusc *bus;
	const char *why = "";
	EFI_STATUS s;
	int r;

	s = hv_efi_init(&why);
	if (EFI_ERROR(s)) {
		serial_puts("hvkvm-vmbus: no Hyper-V: ");
		serial_puts(why);
		serial_puts("\r\n");
		return;
	}
	if (!bus && EFI_ERROR(BS->AllocatePool(EfiBootServicesData, sizeof(*bus), (VOID **)&bus)))
		bus = NULL;
	if (!bus) {
		serial_puts("hvkvm-vmbus: out of memory\r\n");
		hv_efi_teardown();
		return;
	}
	r = vmbusc_connect(bus, hv_efi_host(), CONNECT_TIMEOUT_US);
	if (r != 0) {
		serial_puts(r == VMBUSC_ETIMEDOUT ? "hvkvm-vmbus: VMBus did not answer\r\n"
						  : "hvkvm-vmbus: VMBus refused the connection\r\n");
		if (bus->connected)
			vmbusc_unload(bus, UNLOAD_TIMEOUT_US);
		hv_efi_teardown();
		return;
	}
	serial_puts("hvkvm-vmbus: VMBus ");
	serial_dec(bus->version >> 16);
	serial_puts(".");
	serial_dec(bus->version & 0xffff);
	serial_puts(", ");
	serial_dec(bus->noffers);
	serial_puts(" offers\r\n");
	for (unsigned i = 0; i < bus->noffers; i++) {
		serial_puts("hvkvm-vmbus: offer ");
		serial_guid(&bus->offers[i].if_type);
		serial_puts(" relid ");
		serial_dec(bus->offers[i].child_relid);
		serial_puts("\r\n");
	}
	hv_efi_bus = bus;
}

/* The rest of the serial line that names a device the driver started on offer o: its
 * relid, then, if s is an error, the failure and the line's end (FALSE). TRUE: it
 * started, and the caller ends the line with what it made of it. */
static BOOLEAN start_reported(const struct vmbusc_offer *o, EFI_STATUS s)
{
	serial_puts(" relid ");
	serial_dec(o->child_relid);
	if (!EFI_ERROR(s))
		return TRUE;
	serial_puts(": failed, status 0x");
	serial_hex(s, 16);
	serial_puts("\r\n");
	return FALSE;
}

/* SCSI pass-through on a child of ctrl for each StorVSC offer; the firmware's ScsiBus
 * and ScsiDisk bind to the children when it connects them. */
static void storage_start(EFI_DRIVER_BINDING_PROTOCOL *this, EFI_HANDLE ctrl)
{
	EFI_DEVICE_PATH *parent;
	const struct vmbusc_offer *o;

	if (EFI_ERROR(BS->OpenProtocol(ctrl, &DevicePathProtocol, (VOID **)&parent, this->DriverBindingHandle,
				       ctrl, EFI_OPEN_PROTOCOL_GET_PROTOCOL))) {
		serial_puts("hvkvm-vmbus: the function has no device path: no storage\r\n");
		return;
	}
	for (unsigned i = 0; i < MAX_CTRL && (o = vmbusc_find(hv_efi_bus, &storvsc_class, i)); i++) {
		EFI_STATUS s;

		if (pts[i])
			continue;
		s = scsi_pt_start(this->DriverBindingHandle, ctrl, parent, hv_efi_bus, o, i, &pts[i],
				  &pt_children[i]);
		serial_puts("hvkvm-vmbus: StorVSC controller ");
		serial_dec(i);
		if (!start_reported(o, s)) {
			pts[i] = NULL;
			pt_children[i] = NULL;
			continue;
		}
		serial_puts(": SCSI pass-through\r\n");
	}
}

/* The synthetic video device as EFI graphics output, and the synthetic keyboard as EFI
 * simple text input, both on ctrl (the function's handle: its device path). */
static void console_start(EFI_HANDLE ctrl)
{
	const struct vmbusc_offer *o;
	EFI_STATUS s;

	if (!screen && (o = vmbusc_find(hv_efi_bus, &synthvid_class, 0))) {
		s = gop_start(ctrl, hv_efi_bus, o, VRAM_GPA, (VOID *)(UINTN)VRAM_GPA, VRAM_SIZE, &screen);
		serial_puts("hvkvm-vmbus: synthetic video");
		if (!start_reported(o, s)) {
			screen = NULL;
		} else {
			serial_puts(": graphics output, VRAM at 0x");
			serial_hex(VRAM_GPA, 8);
			serial_puts("\r\n");
		}
	}
	if (!keyboard && (o = vmbusc_find(hv_efi_bus, &synthkbd_class, 0))) {
		s = textin_start(ctrl, hv_efi_bus, o, &keyboard);
		serial_puts("hvkvm-vmbus: synthetic keyboard");
		if (!start_reported(o, s))
			keyboard = NULL;
		else
			serial_puts(": simple text input\r\n");
	}
}

/* Makes the screen and the keyboard consoles of the firmware. Its console splitter takes
 * a handle tagged as a console device; its platform console driver tags only devices
 * named in the ConIn / ConOut variables, which a platform fills with the devices it
 * knows (the firmware's own graphics, serial and PS/2 or USB keyboards), so the driver
 * tags its own handle, as the platform console driver would. The graphics console
 * driver first layers its text output on the graphics output (the first connect); the
 * output tag goes on only once that text output is there, so that the splitter never
 * sees the tag without it. From the entry point, once the driver has started on ctrl
 * (ConnectController: at TPL_CALLBACK or below). */
static void console_attach(EFI_HANDLE ctrl)
{
	VOID *text_out;

	if (keyboard && !con_in_dev &&
	    !EFI_ERROR(BS->InstallProtocolInterface(&ctrl, &con_in_guid, EFI_NATIVE_INTERFACE, NULL)))
		con_in_dev = TRUE;
	if (!screen && !con_in_dev)
		return;
	BS->ConnectController(ctrl, NULL, NULL, FALSE);
	if (screen && !con_out_dev &&
	    !EFI_ERROR(BS->HandleProtocol(ctrl, &TextOutProtocol, &text_out)) &&
	    !EFI_ERROR(BS->InstallProtocolInterface(&ctrl, &con_out_guid, EFI_NATIVE_INTERFACE, NULL))) {
		con_out_dev = TRUE;
		BS->ConnectController(ctrl, NULL, NULL, FALSE);
	}
	serial_puts("hvkvm-vmbus: console:");
	serial_puts(con_out_dev ? " screen" : "");
	serial_puts(con_in_dev ? " keyboard" : "");
	serial_puts(con_out_dev || con_in_dev ? "\r\n" : " none\r\n");
}

/* Undoes console_start and console_attach: the tags first (the splitter lets go), then
 * the protocols (the graphics console with them). EFI_ACCESS_DENIED while someone still
 * holds one of them; what was already stopped stays stopped. */
static EFI_STATUS console_stop(EFI_HANDLE ctrl)
{
	EFI_STATUS s;

	if (con_out_dev && !EFI_ERROR(BS->UninstallProtocolInterface(ctrl, &con_out_guid, NULL)))
		con_out_dev = FALSE;
	if (con_in_dev && !EFI_ERROR(BS->UninstallProtocolInterface(ctrl, &con_in_guid, NULL)))
		con_in_dev = FALSE;
	if (con_out_dev || con_in_dev)
		return EFI_ACCESS_DENIED;
	if (keyboard) {
		s = textin_stop(keyboard);
		if (EFI_ERROR(s))
			return s;
		keyboard = NULL;
	}
	if (screen) {
		s = gop_stop(screen);
		if (EFI_ERROR(s))
			return s;
		screen = NULL;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI binding_start(EFI_DRIVER_BINDING_PROTOCOL *this, EFI_HANDLE ctrl,
				       EFI_DEVICE_PATH *rest)
{
	EFI_PCI_IO_PROTOCOL *pci;
	EFI_STATUS st;

	(void)rest;
	st = BS->OpenProtocol(ctrl, &PciIoProtocol, (VOID **)&pci, this->DriverBindingHandle, ctrl,
			      EFI_OPEN_PROTOCOL_BY_DRIVER);
	if (EFI_ERROR(st))
		return st;
	if (!is_rom_fn(pci)) {
		BS->CloseProtocol(ctrl, &PciIoProtocol, this->DriverBindingHandle, ctrl);
		return EFI_UNSUPPORTED;
	}
	rom_fn = pci;
	serial_puts("hvkvm-vmbus: started on the option ROM function\r\n");
	if (!hv_efi_bus)
		vmbus_start();
	if (hv_efi_bus) {
		storage_start(this, ctrl);
		console_start(ctrl);
	}
	return EFI_SUCCESS;
}

static EFI_STATUS stop_ctrl(unsigned i)
{
	EFI_STATUS s = scsi_pt_stop(pts[i]);

	if (!EFI_ERROR(s)) {
		pts[i] = NULL;
		pt_children[i] = NULL;
	}
	return s;
}

/* The children given (their SCSI pass-through), or with none the controller itself:
 * every child left, then the bus and the Hyper-V set-up, as at ExitBootServices. */
static EFI_STATUS EFIAPI binding_stop(EFI_DRIVER_BINDING_PROTOCOL *this, EFI_HANDLE ctrl,
				      UINTN nchildren, EFI_HANDLE *children)
{
	EFI_STATUS ret = EFI_SUCCESS;

	if (nchildren) {
		for (UINTN c = 0; c < nchildren; c++)
			for (unsigned i = 0; i < MAX_CTRL; i++)
				if (pts[i] && pt_children[i] == children[c] && EFI_ERROR(stop_ctrl(i)))
					ret = EFI_DEVICE_ERROR;
		return ret;
	}
	if (EFI_ERROR(console_stop(ctrl)))
		return EFI_DEVICE_ERROR;
	for (unsigned i = 0; i < MAX_CTRL; i++)
		if (pts[i] && EFI_ERROR(stop_ctrl(i)))
			return EFI_DEVICE_ERROR;
	if (hv_efi_bus) {
		vmbusc_unload(hv_efi_bus, UNLOAD_TIMEOUT_US);
		hv_efi_bus = NULL;
		hv_efi_teardown();
	}
	BS->CloseProtocol(ctrl, &PciIoProtocol, this->DriverBindingHandle, ctrl);
	return EFI_SUCCESS;
}

static EFI_DRIVER_BINDING_PROTOCOL binding = {
	.Supported = binding_supported,
	.Start = binding_start,
	.Stop = binding_stop,
	.Version = 0x10,
};

/* The option ROM function among the PCI I/O handles there are now (its handle in
 * *handle), or NULL. */
static EFI_PCI_IO_PROTOCOL *find_rom_fn(EFI_HANDLE *handle)
{
	EFI_HANDLE *handles = NULL;
	EFI_PCI_IO_PROTOCOL *found = NULL;
	UINTN n = 0;

	if (EFI_ERROR(BS->LocateHandleBuffer(ByProtocol, &PciIoProtocol, NULL, &n, &handles)))
		return NULL;
	for (UINTN i = 0; i < n && !found; i++) {
		EFI_PCI_IO_PROTOCOL *pci;

		if (!EFI_ERROR(BS->HandleProtocol(handles[i], &PciIoProtocol, (VOID **)&pci)) &&
		    is_rom_fn(pci)) {
			found = pci;
			*handle = handles[i];
		}
	}
	BS->FreePool(handles);
	return found;
}

/* gnu-efi's crt0 (its _start is the PE entry point) relocates the image and calls this
 * with the System V calling convention: not EFIAPI. */
EFI_STATUS efi_main(EFI_HANDLE img, EFI_SYSTEM_TABLE *st)
{
	EFI_HANDLE rom_handle = NULL;
	EFI_STATUS s;

	InitializeLib(img, st);
	serial_puts("hvkvm-vmbus: driver loaded from the option ROM\r\n");
	binding.ImageHandle = img;
	binding.DriverBindingHandle = img;
	s = BS->InstallProtocolInterface(&binding.DriverBindingHandle, &DriverBindingProtocol,
					 EFI_NATIVE_INTERFACE, &binding);
	if (EFI_ERROR(s)) {
		serial_puts("hvkvm-vmbus: cannot install the driver binding\r\n");
		return s;
	}
	/* Hidden at ExitBootServices even if the firmware boots before it connects us. */
	rom_fn = find_rom_fn(&rom_handle);
	/* The firmware connects drivers to every device only when it boots from a device:
	 * with a kernel from fw_cfg it starts that first. The bus must be up either way,
	 * so the driver connects itself to the function now. */
	if (rom_fn) {
		EFI_HANDLE drivers[2] = { img, NULL };

		if (EFI_ERROR(BS->ConnectController(rom_handle, drivers, NULL, FALSE)))
			serial_puts("hvkvm-vmbus: cannot connect to the option ROM function\r\n");
		else
			console_attach(rom_handle);
	}
	s = BS->CreateEvent(EVT_SIGNAL_EXIT_BOOT_SERVICES, TPL_NOTIFY, on_exit_boot_services, NULL,
			    &ebs_event);
	if (EFI_ERROR(s))
		serial_puts("hvkvm-vmbus: no ExitBootServices event: the function stays visible\r\n");
	return EFI_SUCCESS;
}
