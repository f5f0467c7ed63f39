/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "console.h"
#include "io.h"
#include "loop.h"
#include "testutil.h"
#include "uart8250.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

/* ---- helpers --------------------------------------------------------------- */

struct irq_rec {
	pthread_mutex_t m;
	int level;
	int calls;
	int redundant;		/* reports that were not transitions */
	int rises;
};

static struct irq_rec rec = { .m = PTHREAD_MUTEX_INITIALIZER };

static void rec_set_level(void *ctx, unsigned gsi, int level)
{
	struct irq_rec *r = ctx;

	ck_assert_uint_eq(gsi, UART8250_COM1_IRQ);
	pthread_mutex_lock(&r->m);
	if (level == r->level)
		r->redundant++;
	if (level)
		r->rises++;
	r->level = level;
	r->calls++;
	pthread_mutex_unlock(&r->m);
}

static int rec_level(void)
{
	int l;

	pthread_mutex_lock(&rec.m);
	l = rec.level;
	pthread_mutex_unlock(&rec.m);
	return l;
}

static struct irq_line rec_line(void)
{
	return (struct irq_line){ .set_level = rec_set_level, .ctx = &rec,
				  .gsi = UART8250_COM1_IRQ };
}

static uint8_t in8(struct uart8250 *u, unsigned off)
{
	return (uint8_t)uart8250_io_ops.read(u, off, 1);
}

static void out8(struct uart8250 *u, unsigned off, uint8_t v)
{
	uart8250_io_ops.write(u, off, v, 1);
}

static struct loop *loop;
static struct test_loop loop_thread;

static void noop_fn(void *opaque)
{
	(void)opaque;
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	memset(&rec.level, 0, sizeof(rec) - offsetof(struct irq_rec, level));
	loop = loop_new();
	ck_assert_ptr_nonnull(loop);
	loop_thread = (struct test_loop){ .loop = loop };
}

static void teardown(void)
{
	test_loop_stop(&loop_thread);
	loop_free(loop);
}

/* Bring the UART to what Linux's driver sets up: 115200 8N1, FIFOs on. */
static void uart_linux_setup(struct uart8250 *u, uint8_t fcr)
{
	out8(u, LCR, 0x80);
	out8(u, DLL, 1);
	out8(u, DLM, 0);
	out8(u, LCR, 0x03);
	out8(u, FCR, fcr);
	out8(u, MCR, 0x0b);	/* DTR RTS OUT2 */
}

/* ---- register model -------------------------------------------------------- */

START_TEST(test_reset_values)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(in8(u, IER), 0x00);
	ck_assert_uint_eq(in8(u, IIR), 0x01);
	ck_assert_uint_eq(in8(u, LCR), 0x00);
	ck_assert_uint_eq(in8(u, MCR), 0x00);
	ck_assert_uint_eq(in8(u, LSR), 0x60);
	ck_assert_uint_eq(in8(u, MSR), 0xb0);
	ck_assert_int_eq(rec.calls, 0);
	uart8250_free(u);
}
END_TEST

START_TEST(test_dlab_and_scratch)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	out8(u, IER, 0x05);
	out8(u, LCR, 0x83);
	out8(u, DLL, 0x34);
	out8(u, DLM, 0x12);
	ck_assert_uint_eq(in8(u, DLL), 0x34);
	ck_assert_uint_eq(in8(u, DLM), 0x12);
	ck_assert_uint_eq(in8(u, LCR), 0x83);
	ck_assert_uint_eq((uint16_t)uart8250_io_ops.read(u, DLL, 2), 0x1234);
	out8(u, LCR, 0x03);
	ck_assert_uint_eq(in8(u, IER), 0x05);	/* untouched by the DLM write */
	ck_assert_uint_eq(in8(u, LSR) & 0x01, 0);	/* the DLL write sent nothing */
	out8(u, LCR, 0x83);
	ck_assert_uint_eq(in8(u, DLL), 0x34);	/* latch kept across DLAB */
	out8(u, LCR, 0x03);

	for (unsigned v = 0; v < 256; v += 0x55) {
		out8(u, SCR, (uint8_t)v);
		ck_assert_uint_eq(in8(u, SCR), v);
	}
	/* Writes to the status registers are ignored. */
	out8(u, LSR, 0x00);
	ck_assert_uint_eq(in8(u, LSR), 0x60);
	out8(u, MSR, 0x00);
	ck_assert_uint_eq(in8(u, MSR), 0xb0);
	uart8250_free(u);
}
END_TEST

/* The probe in Linux's drivers/tty/serial/8250/8250_port.c, step by step. */
START_TEST(test_linux_autoconfig)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);
	uint8_t save_ier, save_mcr, save_lcr, iir;
	int count;

	/* IER existence test */
	save_ier = in8(u, IER);
	out8(u, IER, 0);
	ck_assert_uint_eq(in8(u, IER) & 0x0f, 0);
	out8(u, IER, 0x0f);
	ck_assert_uint_eq(in8(u, IER) & 0x0f, 0x0f);
	out8(u, IER, save_ier);

	/* loopback test: RTS -> CTS, OUT2 -> DCD */
	save_mcr = in8(u, MCR);
	save_lcr = in8(u, LCR);
	out8(u, MCR, 0x10 | 0x0a);
	ck_assert_uint_eq(in8(u, MSR) & 0xf0, 0x90);
	out8(u, MCR, save_mcr);

	/* EFR write with LCR = 0xbf, then FIFO detection */
	out8(u, LCR, 0xbf);
	out8(u, 2, 0);
	out8(u, LCR, 0);
	out8(u, FCR, 0x01);
	iir = in8(u, IIR);
	ck_assert_uint_eq(iir >> 6, 3);		/* 16550A */

	/* 16550A variant probes (CONFIG_SERIAL_8250_16550A_VARIANTS) must all fail. */
	out8(u, LCR, 0x80);
	ck_assert_uint_ne(in8(u, 2), 0);	/* no EFR under DLAB */
	out8(u, LCR, 0xbf);
	ck_assert_uint_ne(in8(u, 2), 0);	/* no EFR under 0xbf */
	out8(u, LCR, 0);
	{
		uint8_t s1 = in8(u, MCR), s2;

		out8(u, LCR, 0xe0);
		s2 = in8(u, 2);
		out8(u, LCR, 0);
		out8(u, MCR, s1 ^ 0x10);
		out8(u, LCR, 0xe0);
		ck_assert_uint_eq((in8(u, 2) ^ s1) & 0x10, (s2 ^ s1) & 0x10); /* no NatSemi */
		out8(u, LCR, 0);
		out8(u, MCR, s1);
	}
	out8(u, FCR, 0x21);
	ck_assert_uint_eq(in8(u, IIR) >> 5, 6);	/* no 64-byte FIFO (not a 16750) */
	out8(u, FCR, 0x01);
	out8(u, IER, 0x40);
	ck_assert_uint_eq(in8(u, IER) & 0x40, 0);	/* no XScale UUE bit */
	out8(u, IER, 0);

	/* size_fifo(): loopback at divisor 1, 256 bytes out, count what came back */
	out8(u, FCR, 0x07);
	out8(u, MCR, 0x10);
	out8(u, LCR, 0x80);
	out8(u, DLL, 1);
	out8(u, DLM, 0);
	out8(u, LCR, 0x03);
	for (count = 0; count < 256; count++)
		out8(u, THR, (uint8_t)count);
	for (count = 0; (in8(u, LSR) & 0x01) && count < 256; count++)
		ck_assert_uint_eq(in8(u, RBR), count);
	ck_assert_int_eq(count, 16);
	out8(u, MCR, save_mcr);
	out8(u, LCR, save_lcr);

	/* reset part of autoconfig */
	out8(u, FCR, 0x01);
	out8(u, FCR, 0x07);
	out8(u, FCR, 0);
	in8(u, RBR);
	out8(u, IER, 0);

	/* serial8250_do_startup(): THRE must re-assert after the IER toggle */
	uart_linux_setup(u, 0x81);
	out8(u, IER, 0x02);
	ck_assert_uint_eq(in8(u, IIR), 0xc2);
	out8(u, IER, 0);
	out8(u, IER, 0x02);
	ck_assert_uint_eq(in8(u, IIR), 0xc2);
	out8(u, IER, 0);
	/* TXEN test: THRI on, LSR.TEMT with a pending interrupt */
	out8(u, IER, 0x02);
	ck_assert_uint_eq(in8(u, LSR) & 0x60, 0x60);
	ck_assert_uint_eq(in8(u, IIR) & 0x01, 0);
	out8(u, IER, 0);
	ck_assert_int_eq(rec.redundant, 0);
	uart8250_free(u);
}
END_TEST

START_TEST(test_fcr_bits)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	ck_assert_uint_eq(in8(u, IIR), 0x01);
	out8(u, FCR, 0xc1);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);
	/* other bits are ignored without the enable bit */
	out8(u, FCR, 0xc0);
	ck_assert_uint_eq(in8(u, IIR), 0x01);
	uart8250_free(u);
}
END_TEST

/* ---- interrupts ------------------------------------------------------------ */

START_TEST(test_thre_interrupt)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	out8(u, FCR, 0x01);
	out8(u, IER, 0x02);
	/* pending, but OUT2 gates the line */
	ck_assert_int_eq(rec.calls, 0);
	ck_assert_uint_eq(in8(u, LSR) & 0x60, 0x60);
	out8(u, MCR, 0x08);
	ck_assert_int_eq(rec_level(), 1);
	ck_assert_int_eq(rec.calls, 1);

	/* reading IIR when it shows THRE clears it */
	ck_assert_uint_eq(in8(u, IIR), 0xc2);
	ck_assert_int_eq(rec_level(), 0);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);

	/* writing THR: THR becomes empty again at once -> pending again */
	out8(u, THR, 'a');
	ck_assert_int_eq(rec_level(), 1);
	out8(u, THR, 'b');	/* still pending: no report */
	ck_assert_int_eq(rec.calls, 3);

	/* disabling THRI drops the line, re-enabling while empty raises it */
	out8(u, IER, 0);
	ck_assert_int_eq(rec_level(), 0);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);
	out8(u, IER, 0x02);
	ck_assert_int_eq(rec_level(), 1);
	/* rewriting IER with THRI already set does not re-arm an acknowledged THRE */
	ck_assert_uint_eq(in8(u, IIR), 0xc2);
	out8(u, IER, 0x02);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);

	/* OUT2 and loopback gate an active source */
	out8(u, IER, 0);
	out8(u, IER, 0x02);
	ck_assert_int_eq(rec_level(), 1);
	out8(u, MCR, 0x00);
	ck_assert_int_eq(rec_level(), 0);
	out8(u, MCR, 0x18);
	ck_assert_int_eq(rec_level(), 0);
	ck_assert_uint_eq(in8(u, IIR) & 0x0f, 0x02);	/* still visible in IIR */
	out8(u, IER, 0);
	out8(u, IER, 0x02);
	out8(u, MCR, 0x08);
	ck_assert_int_eq(rec_level(), 1);

	/* reset drops everything */
	uart8250_reset(u);
	ck_assert_int_eq(rec_level(), 0);
	ck_assert_uint_eq(in8(u, IIR), 0x01);
	ck_assert_int_eq(rec.redundant, 0);
	uart8250_free(u);
}
END_TEST

START_TEST(test_iir_priorities)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	out8(u, LCR, 0x03);
	out8(u, FCR, 0x01);	/* trigger level 1 */
	out8(u, MCR, 0x10);	/* loopback: MSR inputs drop -> deltas */
	for (int i = 0; i < 17; i++)
		out8(u, THR, (uint8_t)('A' + i));	/* 16 fit, the 17th overruns */
	out8(u, IER, 0x0f);
	ck_assert_uint_eq(in8(u, IIR), 0xc6);	/* line status */
	ck_assert_uint_eq(in8(u, LSR) & 0x63, 0x63);	/* DR OE THRE TEMT */
	ck_assert_uint_eq(in8(u, LSR) & 0x02, 0);	/* OE cleared by the read */
	ck_assert_uint_eq(in8(u, IIR), 0xc4);	/* data */
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(in8(u, RBR), 'A' + i);
	ck_assert_uint_eq(in8(u, LSR) & 0x01, 0);
	ck_assert_uint_eq(in8(u, IIR), 0xc2);	/* THRE, acknowledged by this read */
	ck_assert_uint_eq(in8(u, IIR), 0xc0);	/* modem status */
	ck_assert_uint_eq(in8(u, MSR), 0x0b);	/* DCTS DDSR DDCD, all inputs off */
	ck_assert_uint_eq(in8(u, IIR), 0xc1);
	/* loopback with OUT2 set: the interrupt pin stays gated */
	out8(u, MCR, 0x18);
	ck_assert_uint_eq(in8(u, IIR), 0xc0);	/* DCD rose */
	ck_assert_int_eq(rec.calls, 0);
	uart8250_free(u);
}
END_TEST

START_TEST(test_msr_loopback)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	out8(u, MCR, 0x10);
	ck_assert_uint_eq(in8(u, MSR), 0x0b);
	ck_assert_uint_eq(in8(u, MSR), 0x00);
	out8(u, MCR, 0x11);	/* DTR -> DSR */
	ck_assert_uint_eq(in8(u, MSR), 0x22);
	out8(u, MCR, 0x12);	/* RTS -> CTS */
	ck_assert_uint_eq(in8(u, MSR), 0x13);
	out8(u, MCR, 0x14);	/* OUT1 -> RI; rising edge of RI is no event */
	ck_assert_uint_eq(in8(u, MSR), 0x41);
	out8(u, MCR, 0x10);	/* RI trailing edge */
	ck_assert_uint_eq(in8(u, MSR), 0x04);
	out8(u, MCR, 0x18);	/* OUT2 -> DCD */
	ck_assert_uint_eq(in8(u, MSR), 0x88);
	out8(u, MCR, 0x1f);
	ck_assert_uint_eq(in8(u, MSR) & 0xf0, 0xf0);
	/* leaving loopback: CTS DSR DCD from the always-present peer */
	out8(u, MCR, 0x00);
	ck_assert_uint_eq(in8(u, MSR), 0xb4);
	ck_assert_uint_eq(in8(u, MCR), 0x00);
	out8(u, MCR, 0xff);
	ck_assert_uint_eq(in8(u, MCR), 0x1f);	/* no AFE or higher bits */
	uart8250_free(u);
}
END_TEST

START_TEST(test_overrun_no_fifo)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	out8(u, LCR, 0x03);
	out8(u, MCR, 0x10);
	out8(u, THR, 'x');
	ck_assert_uint_eq(in8(u, LSR), 0x61);
	out8(u, THR, 'y');
	ck_assert_uint_eq(in8(u, LSR), 0x63);	/* OE */
	ck_assert_uint_eq(in8(u, LSR), 0x61);
	ck_assert_uint_eq(in8(u, RBR), 'y');	/* the holding register was overwritten */
	ck_assert_uint_eq(in8(u, LSR), 0x60);
	/* 5-bit words lose their top bits */
	out8(u, LCR, 0x00);
	out8(u, THR, 0xff);
	ck_assert_uint_eq(in8(u, RBR), 0x1f);
	uart8250_free(u);
}
END_TEST

START_TEST(test_reset_keeps_latch)
{
	struct uart8250 *u = uart8250_new(loop, rec_line(), NULL);

	uart_linux_setup(u, 0xc7);
	out8(u, SCR, 0x5a);
	out8(u, IER, 0x0f);
	out8(u, LCR, 0x1b);
	uart8250_reset(u);
	ck_assert_uint_eq(in8(u, IER), 0);
	ck_assert_uint_eq(in8(u, IIR), 0x01);
	ck_assert_uint_eq(in8(u, LCR), 0);
	ck_assert_uint_eq(in8(u, MCR), 0);
	ck_assert_uint_eq(in8(u, LSR), 0x60);
	ck_assert_uint_eq(in8(u, MSR), 0xb0);
	ck_assert_uint_eq(in8(u, SCR), 0x5a);
	out8(u, LCR, 0x80);
	ck_assert_uint_eq(in8(u, DLL), 1);
	uart8250_free(u);
}
END_TEST

/* ---- console paths --------------------------------------------------------- */

START_TEST(test_no_console_discards)
{
	struct console *con;
	struct uart8250 *u;

	ck_assert_int_eq(console_open(&con, loop, CONSOLE_NONE, NULL, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	for (int i = 0; i < 200000; i++) {
		out8(u, THR, 'z');
		ck_assert_uint_eq(in8(u, LSR) & 0x60, 0x60);
	}
	uart8250_free(u);
	console_close(con);
}
END_TEST

static ssize_t read_full(int fd, void *buf, size_t len, unsigned timeout_ms)
{
	size_t got = 0;
	uint64_t end = test_now_ms() + timeout_ms;

	while (got < len && test_now_ms() < end) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
		else
			usleep(500);
	}
	return (ssize_t)got;
}

START_TEST(test_tx_to_fd)
{
	struct console *con;
	struct uart8250 *u;
	const char msg[] = "Linux version 6.1\r\nlogin: ";
	char buf[64] = { 0 };
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&con, loop, -1, p[1], 0, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	uart_linux_setup(u, 0x81);
	for (size_t i = 0; i < sizeof(msg) - 1; i++) {
		ck_assert(in8(u, LSR) & 0x20);
		out8(u, THR, (uint8_t)msg[i]);
	}
	ck_assert_int_eq(read_full(p[0], buf, sizeof(msg) - 1, 2000), (ssize_t)sizeof(msg) - 1);
	ck_assert_str_eq(buf, msg);
	/* free flushes what is still queued, even with the loop stopped */
	out8(u, THR, '!');
	test_loop_stop(&loop_thread);
	uart8250_free(u);
	console_close(con);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], '!');
	close(p[0]);
	close(p[1]);
}
END_TEST

struct reader {
	int fd;
	size_t want, got;
	bool bad;
	bool go;		/* atomic */
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[4096];

	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	while (r->got < r->want) {
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n <= 0) {
			if (n < 0 && errno == EAGAIN) {
				usleep(200);
				continue;
			}
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(r->got + (size_t)i))
				r->bad = true;
		r->got += (size_t)n;
	}
	return NULL;
}

/* A host that stops reading holds the guest off via THRE; nothing is lost. */
START_TEST(test_tx_backpressure)
{
	const size_t total = 256 * 1024;
	struct reader rd = { .want = total };
	struct console *con;
	struct uart8250 *u;
	pthread_t th;
	size_t sent = 0;
	bool saw_busy = false;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	rd.fd = p[0];
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&con, loop, -1, p[1], 0, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	uart_linux_setup(u, 0x81);
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &rd), 0);

	/* Fill until the UART reports busy, with nobody reading. */
	while (sent < total && (in8(u, LSR) & 0x20))
		out8(u, THR, pattern(sent++));
	ck_assert_uint_lt(sent, total);
	ck_assert_uint_eq(in8(u, LSR) & 0x60, 0);	/* THRE and TEMT both clear */
	out8(u, IER, 0x02);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);	/* no THRE interrupt while busy */
	ck_assert_int_eq(rec_level(), 0);

	__atomic_store_n(&rd.go, true, __ATOMIC_RELEASE);
	ck_assert(WAIT_UNTIL(rec_level() == 1, 5000));
	ck_assert_uint_eq(in8(u, IIR), 0xc2);
	ck_assert_uint_eq(in8(u, LSR) & 0x60, 0x60);
	out8(u, IER, 0);

	while (sent < total) {
		if (in8(u, LSR) & 0x20)
			out8(u, THR, pattern(sent++));
		else
			saw_busy = true;
	}
	(void)saw_busy;
	pthread_join(th, NULL);
	ck_assert(!rd.bad);
	ck_assert_uint_eq(rd.got, total);
	ck_assert_int_eq(rec.redundant, 0);
	uart8250_free(u);
	console_close(con);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_rx_trigger_and_timeout)
{
	struct console *con;
	struct uart8250 *u;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&con, loop, p[0], -1, 0, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	uart_linux_setup(u, 0x81);	/* trigger at 8 */
	/* 300 baud: a 133 ms timeout, long enough to look at IIR before it fires */
	out8(u, LCR, 0x83);
	out8(u, DLL, 0x80);
	out8(u, DLM, 0x01);
	out8(u, LCR, 0x03);
	out8(u, IER, 0x01);

	/* fewer than the trigger level: a character timeout, not "data available" */
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	ck_assert(WAIT_UNTIL((in8(u, LSR) & 0x01), 2000));
	ck_assert(WAIT_UNTIL(rec_level() == 1, 2000));
	ck_assert_uint_eq(in8(u, IIR), 0xcc);
	ck_assert_uint_eq(in8(u, RBR), 'a');
	/* a read restarts the timeout */
	ck_assert_uint_eq(in8(u, IIR), 0xc1);
	ck_assert(WAIT_UNTIL(in8(u, IIR) == 0xcc, 2000));
	ck_assert_uint_eq(in8(u, RBR), 'b');
	ck_assert_uint_eq(in8(u, RBR), 'c');
	ck_assert_uint_eq(in8(u, LSR) & 0x01, 0);
	ck_assert(WAIT_UNTIL(rec_level() == 0, 5000));
	usleep(5000);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);	/* no timeout with an empty FIFO */

	/* at the trigger level: data available at once */
	ck_assert_int_eq(write(p[1], "0123456789", 10), 10);
	ck_assert(WAIT_UNTIL(rec_level() == 1, 2000));
	ck_assert_uint_eq(in8(u, IIR), 0xc4);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(in8(u, RBR), '0' + i);
	ck_assert_uint_eq(in8(u, IIR), 0xc1);

	/* trigger 14: 13 bytes time out, the 14th triggers */
	out8(u, FCR, 0xc1);
	ck_assert_int_eq(write(p[1], "ABCDEFGHIJKLM", 13), 13);
	ck_assert(WAIT_UNTIL(in8(u, IIR) == 0xcc, 2000));
	ck_assert_int_eq(write(p[1], "N", 1), 1);
	ck_assert(WAIT_UNTIL(in8(u, IIR) == 0xc4, 2000));
	for (int i = 0; i < 14; i++)
		ck_assert_uint_eq(in8(u, RBR), 'A' + i);

	/* FIFOs off: every byte is "data available" */
	out8(u, FCR, 0x00);
	ck_assert_int_eq(write(p[1], "z", 1), 1);
	ck_assert(WAIT_UNTIL(in8(u, IIR) == 0x04, 2000));
	ck_assert_uint_eq(in8(u, RBR), 'z');
	ck_assert_uint_eq(in8(u, IIR), 0x01);
	ck_assert_int_eq(rec.redundant, 0);

	uart8250_free(u);
	console_close(con);
	close(p[0]);
	close(p[1]);
}
END_TEST

struct writer {
	int fd;
	size_t len;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t buf[8192];
	size_t off = 0;

	while (off < w->len) {
		size_t n = w->len - off < sizeof(buf) ? w->len - off : sizeof(buf);
		ssize_t r;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		r = write(w->fd, buf, n);
		if (r <= 0)
			break;
		off += (size_t)r;
		if ((size_t)r < n)	/* partial: resend the rest next round */
			continue;
	}
	return NULL;
}

/* A 100 KiB paste into a guest that reads slowly: the FIFO fills, the console
 * stops reading the pipe, and every byte arrives in order without an overrun. */
START_TEST(test_rx_flow_control)
{
	const size_t total = 100 * 1024;
	struct writer w = { .len = total };
	struct console *con;
	struct uart8250 *u;
	pthread_t th;
	size_t got = 0;
	int p[2], pending = 0;

	ck_assert_int_eq(pipe(p), 0);
	w.fd = p[1];
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&con, loop, p[0], -1, 0, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	uart_linux_setup(u, 0xc7);
	ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);

	/* Let the pipe fill: the FIFO takes 16 bytes, the rest must stay in the pipe. */
	ck_assert(WAIT_UNTIL(ioctl(p[0], FIONREAD, &pending) == 0 && pending >= 4096, 5000));
	usleep(20 * 1000);
	ck_assert_int_eq(ioctl(p[0], FIONREAD, &pending), 0);
	ck_assert_int_ge(pending, 4096);
	ck_assert_uint_eq(in8(u, LSR) & 0x03, 0x01);	/* DR, no OE */

	while (got < total) {
		uint64_t end = test_now_ms() + 5000;
		uint8_t lsr;

		while (!((lsr = in8(u, LSR)) & 0x01) && test_now_ms() < end)
			usleep(20);	/* let the loop thread refill the FIFO */
		ck_assert_msg(lsr & 0x01, "stalled after %zu bytes", got);
		ck_assert_uint_eq(lsr & 0x1e, 0);
		ck_assert_uint_eq(in8(u, RBR), pattern(got));
		got++;
	}
	pthread_join(th, NULL);
	usleep(20 * 1000);
	ck_assert_uint_eq(in8(u, LSR) & 0x03, 0);
	uart8250_free(u);
	console_close(con);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Loopback takes the console off the receiver: input waits until it ends. */
START_TEST(test_rx_held_in_loopback)
{
	struct console *con;
	struct uart8250 *u;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&con, loop, p[0], -1, 0, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	uart_linux_setup(u, 0x01);
	out8(u, MCR, 0x10);
	ck_assert_int_eq(write(p[1], "k", 1), 1);
	usleep(20 * 1000);
	ck_assert_uint_eq(in8(u, LSR) & 0x01, 0);
	out8(u, MCR, 0x0b);
	ck_assert(WAIT_UNTIL(in8(u, LSR) & 0x01, 2000));
	ck_assert_uint_eq(in8(u, RBR), 'k');
	uart8250_free(u);
	console_close(con);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* Ctrl-A b on the console: a NUL flagged BI, reported as a line-status interrupt
 * when it reaches the top of the FIFO (Linux turns it into SysRq). */
START_TEST(test_rx_break)
{
	struct console *con;
	struct uart8250 *u;
	int p[2], unread = -1;

	ck_assert_int_eq(pipe(p), 0);
	test_loop_start(&loop_thread);
	ck_assert_int_eq(console_open_fds(&con, loop, p[0], -1, CONSOLE_ESCAPES, NULL, NULL), 0);
	u = uart8250_new(loop, rec_line(), console_chardev(con));
	uart_linux_setup(u, 0x01);	/* trigger 1 */
	out8(u, IER, 0x05);
	ck_assert_int_eq(write(p[1], "a\x01" "bc", 4), 4);
	ck_assert(WAIT_UNTIL(rec_level() == 1, 2000));
	/* all four bytes read, and the loop done handing them to the UART */
	ck_assert(WAIT_UNTIL(ioctl(p[0], FIONREAD, &unread) == 0 && unread == 0, 10000));
	loop_call(loop, noop_fn, NULL);
	ck_assert_uint_eq(in8(u, IIR), 0xc4);
	ck_assert_uint_eq(in8(u, RBR), 'a');
	ck_assert_uint_eq(in8(u, IIR), 0xc6);
	ck_assert_uint_eq(in8(u, LSR), 0x80 | 0x60 | 0x10 | 0x01);
	ck_assert_uint_eq(in8(u, IIR), 0xc4);
	ck_assert_uint_eq(in8(u, RBR), 0x00);
	ck_assert_uint_eq(in8(u, LSR), 0x61);
	ck_assert_uint_eq(in8(u, RBR), 'c');
	ck_assert_uint_eq(in8(u, IIR), 0xc1);
	ck_assert_int_eq(rec_level(), 0);
	uart8250_free(u);
	console_close(con);
	close(p[0]);
	close(p[1]);
}
END_TEST

static Suite *uart_suite(void)
{
	Suite *s = suite_create("uart8250");
	TCase *tc = tcase_create("regs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_values);
	tcase_add_test(tc, test_dlab_and_scratch);
	tcase_add_test(tc, test_linux_autoconfig);
	tcase_add_test(tc, test_fcr_bits);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_iir_priorities);
	tcase_add_test(tc, test_msr_loopback);
	tcase_add_test(tc, test_overrun_no_fifo);
	tcase_add_test(tc, test_reset_keeps_latch);
	suite_add_tcase(s, tc);

	tc = tcase_create("console");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_no_console_discards);
	tcase_add_test(tc, test_tx_to_fd);
	tcase_add_test(tc, test_tx_backpressure);
	tcase_add_test(tc, test_rx_trigger_and_timeout);
	tcase_add_test(tc, test_rx_flow_control);
	tcase_add_test(tc, test_rx_held_in_loopback);
	tcase_add_test(tc, test_rx_break);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_main(uart_suite());
}
