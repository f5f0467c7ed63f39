/* SPDX-License-Identifier: MIT */
/* The PC's small ports, driven through the port bus the way a guest's in/out would. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "pc_ports.h"
#include "platform.h"
#include "testutil.h"

struct events {
	unsigned reset, poweroff, other;
};

static void record_event(void *ctx, enum machine_event ev)
{
	struct events *e = ctx;

	if (ev == MACHINE_RESET)
		e->reset++;
	else if (ev == MACHINE_POWEROFF)
		e->poweroff++;
	else
		e->other++;
}

static struct io_bus bus;
static struct events ev;
static struct pc_ports *pp;

static void setup(void)
{
	memset(&ev, 0, sizeof(ev));
	io_bus_init(&bus, "port");
	pp = pc_ports_new((struct machine_ctl){ record_event, &ev });
	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(pc_ports_register(pp, &bus), 0);
}

static void teardown(void)
{
	pc_ports_free(pp);
	pp = NULL;
}

static uint64_t in(uint16_t port, unsigned size)
{
	uint64_t v = 0;

	ck_assert(io_bus_access(&bus, port, &v, size, false));
	return v;
}

static void out(uint16_t port, uint64_t v, unsigned size)
{
	ck_assert(io_bus_access(&bus, port, &v, size, true));
}

#define inb(p)		in(p, 1)
#define inw(p)		in(p, 2)
#define inl(p)		in(p, 4)
#define outb(v, p)	out(p, v, 1)
#define outw(v, p)	out(p, v, 2)
#define outl(v, p)	out(p, v, 4)

START_TEST(registered_ports)
{
	const struct io_range *r;

	ck_assert_uint_eq(bus.n, 4);
	r = io_bus_find(&bus, 0xcf8, 4);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->base, PC_PCI_CONFIG_PORT);
	ck_assert_uint_eq(r->len, 8);
	ck_assert_ptr_eq(r->ops, &pc_pci_ops);
	ck_assert_ptr_eq(io_bus_find(&bus, 0xcff, 1), r);
	ck_assert_ptr_null(io_bus_find(&bus, 0xd00, 1));
	ck_assert_ptr_null(io_bus_find(&bus, 0xcf7, 1));
	ck_assert_ptr_eq(io_bus_find(&bus, 0x92, 1)->ops, &pc_port_a_ops);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x64, 1)->ops, &pc_kbd_ops);
	ck_assert_ptr_eq(io_bus_find(&bus, 0x80, 1)->ops, &pc_post_ops);
	ck_assert_ptr_null(io_bus_find(&bus, 0x60, 1));	/* no 8042 data port */
	/* A second registration on the same bus collides. */
	ck_assert_int_ne(pc_ports_register(pp, &bus), 0);
}
END_TEST

/* arch/x86/pci/direct.c: pci_check_type1() and a config read of a missing device. */
START_TEST(pci_type1_probe)
{
	uint32_t tmp;

	outb(0x01, 0xcfb);
	tmp = (uint32_t)inl(0xcf8);
	ck_assert_uint_eq(tmp, 0);
	outl(0x80000000u, 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x80000000u);
	/* pci_conf1_read(bus 0, dev 0, fn 0, reg 0, len 4/2/1): nothing there. */
	outl(0x80000000u, 0xcf8);
	ck_assert_uint_eq(inl(0xcfc), 0xffffffffu);
	outl(0x80000000u | (3 << 11), 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x80001800u);
	ck_assert_uint_eq(inw(0xcfc), 0xffff);
	ck_assert_uint_eq(inw(0xcfe), 0xffff);
	ck_assert_uint_eq(inb(0xcfc), 0xff);
	ck_assert_uint_eq(inb(0xcfd), 0xff);
	ck_assert_uint_eq(inb(0xcfe), 0xff);
	ck_assert_uint_eq(inb(0xcff), 0xff);
	/* Data writes go nowhere. */
	outl(0x12345678, 0xcfc);
	outb(0x12, 0xcff);
	ck_assert_uint_eq(inl(0xcfc), 0xffffffffu);
	ck_assert_uint_eq(inl(0xcf8), 0x80001800u);
	/* outl(tmp, 0xCF8) restores the address. */
	outl(tmp, 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0);
	ck_assert_uint_eq(inb(0xcf9), 0);	/* the reset register was never touched */
	ck_assert_uint_eq(ev.reset + ev.poweroff + ev.other, 0);
}
END_TEST

START_TEST(pci_address_reserved_bits)
{
	outl(0xffffffffu, 0xcf8);
	/* Bits 30:24 reserved, 1:0 hardwired to zero. */
	ck_assert_uint_eq(inl(0xcf8), 0x80fffffcu);
	ck_assert_uint_eq(inw(0xcf8), 0xfffc);
	ck_assert_uint_eq(inw(0xcfa), 0x80ff);
	ck_assert_uint_eq(inb(0xcf8), 0xfc);
	ck_assert_uint_eq(inb(0xcfa), 0xff);
	ck_assert_uint_eq(inb(0xcfb), 0x80);
	/* Partial writes merge into the rest. */
	outw(0xabcd, 0xcfa);
	ck_assert_uint_eq(inl(0xcf8), 0x80cdfffcu);
	outb(0x13, 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x80cdff10u);
	outb(0x7f, 0xcfb);
	ck_assert_uint_eq(inl(0xcf8), 0x00cdff10u);
	outw(0x1234, 0xcf8);
	ck_assert_uint_eq(inl(0xcf8), 0x00cd1234u);
	/* A byte at 0xCF9 is the reset register, not address bits 15:8. */
	outb(0x00, 0xcf9);
	ck_assert_uint_eq(inl(0xcf8), 0x00cd1234u);
	ck_assert_uint_eq(ev.reset, 0);
}
END_TEST

START_TEST(reset_control_06)
{
	outb(0x06, 0xcf9);
	ck_assert_uint_eq(ev.reset, 1);
	ck_assert_uint_eq(ev.poweroff, 0);
	/* The config address is a separate register. */
	ck_assert_uint_eq(inl(0xcf8), 0);
}
END_TEST

START_TEST(reset_control_02_alone)
{
	outb(0x02, 0xcf9);
	ck_assert_uint_eq(ev.reset, 0);
	ck_assert_uint_eq(inb(0xcf9), 0x02);
	outb(0x00, 0xcf9);
	ck_assert_uint_eq(inb(0xcf9), 0x00);
	ck_assert_uint_eq(ev.reset, 0);
	/* Word and dword accesses at 0xCF8 do not reach the reset register. */
	outl(0x06060606u, 0xcf8);
	outw(0x0606, 0xcf9);
	ck_assert_uint_eq(ev.reset, 0);
}
END_TEST

/* Linux's reboot=pci (BOOT_CF9_FORCE): read, request a hard reset, then do it. */
START_TEST(reset_control_linux_sequence)
{
	uint8_t cf9 = (uint8_t)(inb(0xcf9) & ~0x0e);

	outb(cf9 | 2, 0xcf9);
	ck_assert_uint_eq(ev.reset, 0);
	outb(cf9 | 0x0e, 0xcf9);
	ck_assert_uint_eq(ev.reset, 1);
}
END_TEST

START_TEST(reset_control_06_twice)
{
	/* RST_CPU is edge-triggered: a second 1 without a 0 in between is no new edge. */
	outb(0x06, 0xcf9);
	outb(0x06, 0xcf9);
	ck_assert_uint_eq(ev.reset, 1);
	/* After clearing it, a new edge resets again. */
	outb(0x02, 0xcf9);
	outb(0x06, 0xcf9);
	ck_assert_uint_eq(ev.reset, 2);
}
END_TEST

START_TEST(port_a)
{
	ck_assert_uint_eq(inb(0x92), 0x02);	/* A20 on, no reset */
	outb(0x00, 0x92);
	ck_assert_uint_eq(inb(0x92), 0x02);	/* A20 cannot be turned off */
	outb(0x02, 0x92);
	ck_assert_uint_eq(ev.reset, 0);
	outb(0x03, 0x92);
	ck_assert_uint_eq(ev.reset, 1);
	ck_assert_uint_eq(inb(0x92), 0x03);
	/* Still 1: no edge. */
	outb(0x01, 0x92);
	ck_assert_uint_eq(ev.reset, 1);
	ck_assert_uint_eq(inb(0x92), 0x03);
	outb(0x00, 0x92);
	ck_assert_uint_eq(inb(0x92), 0x02);
	ck_assert_uint_eq(ev.reset, 1);
	outb(0x01, 0x92);
	ck_assert_uint_eq(ev.reset, 2);
	/* Other bits are not kept. */
	outb(0xfc, 0x92);
	ck_assert_uint_eq(inb(0x92), 0x02);
	ck_assert_uint_eq(ev.reset, 2);
	ck_assert_uint_eq(ev.poweroff, 0);
}
END_TEST

START_TEST(kbd_reset)
{
	static const uint8_t harmless[] = { 0x00, 0x20, 0x60, 0xaa, 0xad, 0xae, 0xd1, 0xdd, 0xdf,
					    0xf0, 0xfd, 0xff };

	ck_assert_uint_eq(inb(0x64), 0);
	for (unsigned i = 0; i < sizeof(harmless); i++)
		outb(harmless[i], 0x64);
	ck_assert_uint_eq(ev.reset, 0);
	ck_assert_uint_eq(inb(0x64), 0);
	outb(0xfe, 0x64);
	ck_assert_uint_eq(ev.reset, 1);
	ck_assert_uint_eq(inb(0x64), 0);
	outb(0xfe, 0x64);
	ck_assert_uint_eq(ev.reset, 2);
	ck_assert_uint_eq(ev.poweroff, 0);
}
END_TEST

START_TEST(post_port)
{
	outb(0x55, 0x80);
	outb(0xaa, 0x80);
	ck_assert_uint_eq(inb(0x80), 0xff);
	ck_assert_uint_eq(ev.reset + ev.poweroff + ev.other, 0);
}
END_TEST

START_TEST(reset_clears_state)
{
	outl(0x80001234u, 0xcf8);
	outb(0x02, 0xcf9);
	outb(0x01, 0x92);
	ck_assert_uint_eq(ev.reset, 1);
	ck_assert_uint_eq(inl(0xcf8), 0x80001234u);
	ck_assert_uint_eq(inb(0xcf9), 0x02);
	ck_assert_uint_eq(inb(0x92), 0x03);

	pc_ports_reset(pp);
	ck_assert_uint_eq(inl(0xcf8), 0);
	ck_assert_uint_eq(inb(0xcf9), 0);
	ck_assert_uint_eq(inb(0x92), 0x02);
	ck_assert_uint_eq(ev.reset, 1);
	/* After the reset, setting the fast-reset bit is a new edge. */
	outb(0x01, 0x92);
	ck_assert_uint_eq(ev.reset, 2);
}
END_TEST

START_TEST(no_event_handler)
{
	struct pc_ports *p = pc_ports_new((struct machine_ctl){ NULL, NULL });
	struct io_bus b;
	uint8_t v = 0x06;

	ck_assert_ptr_nonnull(p);
	io_bus_init(&b, "port");
	ck_assert_int_eq(pc_ports_register(p, &b), 0);
	ck_assert(io_bus_access(&b, 0xcf9, &v, 1, true));
	v = 0xfe;
	ck_assert(io_bus_access(&b, 0x64, &v, 1, true));
	v = 0x01;
	ck_assert(io_bus_access(&b, 0x92, &v, 1, true));
	v = 0;
	ck_assert(io_bus_access(&b, 0x92, &v, 1, false));
	ck_assert_uint_eq(v, 0x03);
	pc_ports_free(p);
	pc_ports_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pc_ports");
	TCase *tc = tcase_create("ports");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, registered_ports);
	tcase_add_test(tc, pci_type1_probe);
	tcase_add_test(tc, pci_address_reserved_bits);
	tcase_add_test(tc, reset_control_06);
	tcase_add_test(tc, reset_control_02_alone);
	tcase_add_test(tc, reset_control_linux_sequence);
	tcase_add_test(tc, reset_control_06_twice);
	tcase_add_test(tc, port_a);
	tcase_add_test(tc, kbd_reset);
	tcase_add_test(tc, post_port);
	tcase_add_test(tc, reset_clears_state);
	tcase_add_test(tc, no_event_handler);
	suite_add_tcase(s, tc);

	return test_main(s);
}
