/* SPDX-License-Identifier: MIT */
/*
 * 16550A register model, from the PC16550D data sheet. What Linux's probe needs:
 * IER holds only its low nibble, loopback routes MCR to MSR, the IIR's top bits
 * read 11 once FCR enables the FIFOs, and no EFR or 64-byte FIFO shows through.
 */
#include "uart8250.h"
#include "chardev.h"
#include "io.h"
#include "log.h"
#include "loop.h"

#include <pthread.h>
#include <stdlib.h>

enum {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_IIR = 2, UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_IER_ERBFI	0x01	/* received data available / timeout */
#define UART_IER_ETBEI	0x02	/* THR empty */
#define UART_IER_ELSI	0x04	/* receiver line status */
#define UART_IER_EDSSI	0x08	/* modem status */

#define UART_IIR_NONE	0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_CTI	0x0c	/* character timeout */
#define UART_IIR_FIFO	0xc0

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02
#define UART_FCR_CLR_TX	0x04
#define UART_FCR_DMA	0x08
#define UART_FCR_TRIG	0xc0

#define UART_LCR_WLEN	0x03
#define UART_LCR_STOP	0x04
#define UART_LCR_PARITY	0x08
#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_MCR_MASK	0x1f

#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_PE	0x04
#define UART_LSR_FE	0x08
#define UART_LSR_BI	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_LSR_FIFOE	0x80
#define UART_LSR_ERR	(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
#define UART_LSR_CHERR	(UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)	/* per character */

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define UART_FIFO_SIZE	16
#define UART_CLOCK_HZ	1843200u	/* the PC's crystal: divisor 1 = 115200 baud */

struct uart8250 {
	struct loop *loop;
	struct irq_line irq;
	struct chardev *con;
	struct loop_timer *rx_timer;	/* character timeout; armed on the loop thread */

	pthread_mutex_t lock;		/* protects everything below */
	uint8_t ier, lcr, mcr, scr;
	uint8_t fcr;			/* enable, DMA mode and trigger bits as written */
	uint16_t dl;			/* divisor latch */
	uint8_t lsr_err;		/* OE, and PE/FE/BI of the character at the top */
	uint8_t msr_delta;		/* MSR bits 3:0 */
	uint8_t msr_in;			/* MSR bits 7:4 last seen, for the deltas */
	uint16_t rx_fifo[UART_FIFO_SIZE];	/* byte | character error bits << 8 */
	unsigned rx_head, rx_count;
	uint8_t rbr_last;
	bool thre_pending;		/* THR-empty interrupt condition */
	bool thr_busy;			/* console said busy: THR reads as full */
	bool timeout_pending;		/* character-timeout indication */
	bool rx_waiting;		/* told the console we have no room */
	bool rx_timer_armed;		/* armed, or a kick is posted */
	uint64_t rx_last_ns;		/* last character in or out of the RX FIFO */
	int irq_level;			/* last level reported */
};

static bool uart_fifo_on(const struct uart8250 *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned uart_rx_cap(const struct uart8250 *u)
{
	return uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static unsigned uart_rx_trigger(const struct uart8250 *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	return levels[u->fcr >> 6];
}

/* Modem inputs as MSR bits 7:4. In loopback they are our own outputs; otherwise
 * there is always a peer: CTS, DSR and DCD are on and the line never rings. */
static uint8_t uart_msr_inputs(const struct uart8250 *u)
{
	uint8_t v = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	if (u->mcr & UART_MCR_RTS)
		v |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		v |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		v |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		v |= UART_MSR_DCD;
	return v;
}

static void uart_update_msr(struct uart8250 *u)
{
	uint8_t in = uart_msr_inputs(u), changed = in ^ u->msr_in;

	if (changed & UART_MSR_CTS)
		u->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr_delta |= UART_MSR_DDSR;
	if ((changed & UART_MSR_RI) && !(in & UART_MSR_RI))
		u->msr_delta |= UART_MSR_TERI;	/* trailing edge only */
	if (changed & UART_MSR_DCD)
		u->msr_delta |= UART_MSR_DDCD;
	u->msr_in = in;
}

static uint8_t uart_lsr(const struct uart8250 *u)
{
	uint8_t v = u->lsr_err;

	if (u->rx_count)
		v |= UART_LSR_DR;
	/* TEMT with THRE: the host buffer is not the guest's shift register. */
	if (!u->thr_busy)
		v |= UART_LSR_THRE | UART_LSR_TEMT;
	if (uart_fifo_on(u)) {
		for (unsigned i = 0; i < u->rx_count; i++) {
			if (u->rx_fifo[(u->rx_head + i) % UART_FIFO_SIZE] >> 8) {
				v |= UART_LSR_FIFOE;
				break;
			}
		}
	}
	return v;
}

/* The highest-priority pending source as IIR bits 3:0. */
static uint8_t uart_iir_source(const struct uart8250 *u)
{
	if ((u->ier & UART_IER_ELSI) && (u->lsr_err & UART_LSR_ERR))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (!uart_fifo_on(u) || u->rx_count >= uart_rx_trigger(u))
			return UART_IIR_RDI;
		if (u->timeout_pending)
			return UART_IIR_CTI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NONE;
}

static void uart_update_irq(struct uart8250 *u)
{
	/* On a PC, OUT2 gates the IRQ driver, and loopback forces the OUT2 pin off. */
	int level = uart_iir_source(u) != UART_IIR_NONE &&
		    (u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/* Four character times at the programmed rate and frame, as the data sheet says. */
static uint64_t uart_timeout_ns(const struct uart8250 *u)
{
	unsigned bits = 1 + 5 + (u->lcr & UART_LCR_WLEN) + 1;
	uint64_t dl = u->dl ? u->dl : 1;

	if (u->lcr & UART_LCR_PARITY)
		bits++;
	if (u->lcr & UART_LCR_STOP)
		bits++;
	return 4ull * bits * dl * 16 * 1000000000ull / UART_CLOCK_HZ;
}

static bool uart_rx_timer_needed(const struct uart8250 *u)
{
	return uart_fifo_on(u) && u->rx_count && !u->timeout_pending;
}

/* Loop thread, lock held. */
static void uart_rx_timer_check(struct uart8250 *u)
{
	uint64_t now, elapsed, timeout;

	u->rx_timer_armed = false;
	if (!uart_rx_timer_needed(u))
		return;
	now = loop_now_ns();
	elapsed = now - u->rx_last_ns;
	timeout = uart_timeout_ns(u);
	if (elapsed >= timeout) {
		u->timeout_pending = true;
		uart_update_irq(u);
		return;
	}
	if (loop_timer_arm(u->rx_timer, timeout - elapsed, 0) == 0)
		u->rx_timer_armed = true;
}

static void uart_rx_timer_fire(void *opaque)
{
	struct uart8250 *u = opaque;

	pthread_mutex_lock(&u->lock);
	uart_rx_timer_check(u);
	pthread_mutex_unlock(&u->lock);
}

/* Any thread, lock held: make sure the timeout timer runs if it has to. */
static void uart_rx_timer_kick(struct uart8250 *u)
{
	if (u->rx_timer_armed || !uart_rx_timer_needed(u) || !u->rx_timer)
		return;
	if (loop_on_thread(u->loop)) {
		uart_rx_timer_check(u);
		return;
	}
	/* Timers belong to the loop thread; a vCPU asks it. */
	u->rx_timer_armed = true;
	if (loop_post(u->loop, uart_rx_timer_fire, u) < 0)
		u->rx_timer_armed = false;
}

/* Lock held: tell the console to send more once a good part of the FIFO is free,
 * not after every byte the guest reads. */
static void uart_rx_maybe_resume(struct uart8250 *u)
{
	if (!u->rx_waiting || (u->mcr & UART_MCR_LOOP))
		return;
	if (u->rx_count > uart_rx_cap(u) / 2)
		return;
	u->rx_waiting = false;
	chardev_rx_ready(u->con);
}

static void uart_rx_latch_top(struct uart8250 *u)
{
	if (u->rx_count)
		u->lsr_err |= (u->rx_fifo[u->rx_head] >> 8) & UART_LSR_CHERR;
}

/* A character arrives at the receiver (from the console or from loopback). */
static void uart_rx_put(struct uart8250 *u, uint8_t byte, uint8_t err)
{
	uint16_t ent = byte | (uint16_t)err << 8;

	u->rx_last_ns = loop_now_ns();
	if (u->rx_count >= uart_rx_cap(u)) {
		/* The FIFO keeps its contents; without FIFOs the holding register is
		 * overwritten. Either way the guest sees OE. */
		u->lsr_err |= UART_LSR_OE;
		if (!uart_fifo_on(u)) {
			u->rx_fifo[u->rx_head] = ent;
			u->lsr_err |= err & UART_LSR_CHERR;
		}
		return;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = ent;
	if (u->rx_count++ == 0)
		uart_rx_latch_top(u);
}

static void uart_rx_clear(struct uart8250 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout_pending = false;
	u->lsr_err &= ~UART_LSR_CHERR;
}

static uint8_t uart_read_rbr(struct uart8250 *u)
{
	if (!u->rx_count)
		return u->rbr_last;
	u->rbr_last = (uint8_t)u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	uart_rx_latch_top(u);
	u->timeout_pending = false;
	u->rx_last_ns = loop_now_ns();
	uart_rx_timer_kick(u);
	uart_rx_maybe_resume(u);
	return u->rbr_last;
}

static void uart_write_thr(struct uart8250 *u, uint8_t val)
{
	uint8_t byte = val & (0xff >> (3 - (u->lcr & UART_LCR_WLEN)));

	if (u->mcr & UART_MCR_LOOP) {
		uart_rx_put(u, byte, 0);
		uart_rx_timer_kick(u);
	} else if (!chardev_write(u->con, &byte, 1)) {
		u->thr_busy = true;
	}
	/* The character left THR at once, unless the host is backed up. */
	u->thre_pending = !u->thr_busy;
}

static void uart_write_fcr(struct uart8250 *u, uint8_t val)
{
	/* Switching the FIFOs on or off empties them. */
	if ((val ^ u->fcr) & UART_FCR_ENABLE)
		uart_rx_clear(u);
	if (!(val & UART_FCR_ENABLE)) {
		u->fcr = 0;
	} else {
		/* Bits 5:4 (a 16750's 64-byte mode) do not exist on a 16550A. */
		u->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIG);
		if (val & UART_FCR_CLR_RX)
			uart_rx_clear(u);
		/* UART_FCR_CLR_TX: our TX FIFO is always empty; what the host
		 * buffered is already "on the wire". */
	}
	uart_rx_timer_kick(u);
	uart_rx_maybe_resume(u);
}

static void uart_write_mcr(struct uart8250 *u, uint8_t val)
{
	uint8_t old = u->mcr;

	u->mcr = val & UART_MCR_MASK;
	uart_update_msr(u);
	if ((old ^ u->mcr) & UART_MCR_LOOP)
		uart_rx_maybe_resume(u);	/* loopback disconnects the console */
}

static uint8_t uart_read_reg(struct uart8250 *u, unsigned off)
{
	uint8_t v, src;

	switch (off) {
	case UART_RBR:
		return (u->lcr & UART_LCR_DLAB) ? (uint8_t)u->dl : uart_read_rbr(u);
	case UART_IER:
		return (u->lcr & UART_LCR_DLAB) ? (uint8_t)(u->dl >> 8) : u->ier;
	case UART_IIR:
		src = uart_iir_source(u);
		/* Reading IIR acknowledges THRE, and only when it is what IIR shows. */
		if (src == UART_IIR_THRI)
			u->thre_pending = false;
		return src | (uart_fifo_on(u) ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = uart_lsr(u);
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		v = u->msr_in | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

static void uart_write_reg(struct uart8250 *u, unsigned off, uint8_t val)
{
	uint8_t old;

	switch (off) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB)
			u->dl = (u->dl & 0xff00) | val;
		else
			uart_write_thr(u, val);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dl = (u->dl & 0x00ff) | (uint16_t)val << 8;
			break;
		}
		old = u->ier;
		u->ier = val & 0x0f;
		/* Enabling THRI while THR is empty raises it, as on the chip; Linux's
		 * startup test relies on it re-arming after a disable. */
		if (!(old & UART_IER_ETBEI) && (u->ier & UART_IER_ETBEI) && !u->thr_busy)
			u->thre_pending = true;
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		uart_write_mcr(u, val);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;	/* LSR and MSR are read-only (factory test writes) */
	}
}

static uint64_t uart_io_read(void *dev, uint64_t off, unsigned size)
{
	struct uart8250 *u = dev;
	uint64_t v = 0;

	pthread_mutex_lock(&u->lock);
	/* A wider access reads consecutive registers, as the ISA bus splits it. */
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = off + i < UART8250_NR_PORTS ? uart_read_reg(u, off + i) : 0xff;

		v |= (uint64_t)b << (8 * i);
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void uart_io_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
	struct uart8250 *u = dev;

	pthread_mutex_lock(&u->lock);
	for (unsigned i = 0; i < size; i++) {
		if (off + i < UART8250_NR_PORTS)
			uart_write_reg(u, off + i, (uint8_t)(val >> (8 * i)));
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

const struct io_ops uart8250_io_ops = {
	.read = uart_io_read,
	.write = uart_io_write,
};

/* ---- console frontend (loop thread) ---------------------------------------- */

static size_t uart_con_rx_room(void *opaque)
{
	struct uart8250 *u = opaque;
	size_t room = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & UART_MCR_LOOP))
		room = uart_rx_cap(u) - u->rx_count;
	if (!room)
		u->rx_waiting = true;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static void uart_con_rx_push(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart8250 *u = opaque;

	pthread_mutex_lock(&u->lock);
	for (size_t i = 0; i < len; i++)
		uart_rx_put(u, buf[i], 0);
	uart_rx_timer_kick(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_con_rx_break(void *opaque)
{
	struct uart8250 *u = opaque;

	pthread_mutex_lock(&u->lock);
	/* A break reads as a NUL character flagged BI. */
	uart_rx_put(u, 0, UART_LSR_BI);
	uart_rx_timer_kick(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static void uart_con_tx_ready(void *opaque)
{
	struct uart8250 *u = opaque;

	pthread_mutex_lock(&u->lock);
	if (u->thr_busy) {
		u->thr_busy = false;
		u->thre_pending = true;
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

static const struct chardev_frontend uart_con_frontend = {
	.rx_room = uart_con_rx_room,
	.rx_push = uart_con_rx_push,
	.rx_break = uart_con_rx_break,
	.tx_ready = uart_con_tx_ready,
};

/* ---- life cycle ------------------------------------------------------------ */

/* Lock held. The master-reset values of the data sheet; the divisor latch and
 * the scratch register keep their contents. */
static void uart_reset_regs(struct uart8250 *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->msr_delta = 0;
	u->msr_in = uart_msr_inputs(u);
	uart_rx_clear(u);
	u->thre_pending = false;
	uart_rx_maybe_resume(u);
	uart_update_irq(u);
}

static void uart_timer_new_fn(void *opaque)
{
	struct uart8250 *u = opaque;

	u->rx_timer = loop_timer_new(u->loop, uart_rx_timer_fire, u);
}

static void uart_timer_free_fn(void *opaque)
{
	struct uart8250 *u = opaque;

	loop_timer_free(u->rx_timer);
	u->rx_timer = NULL;
}

struct uart8250 *uart8250_new(struct loop *loop, struct irq_line irq, struct chardev *con)
{
	struct uart8250 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->loop = loop;
	u->irq = irq;
	u->con = con;
	u->dl = 12;	/* 9600 baud, the BIOS default */
	pthread_mutex_init(&u->lock, NULL);
	loop_call(loop, uart_timer_new_fn, u);
	if (!u->rx_timer) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return NULL;
	}
	pthread_mutex_lock(&u->lock);
	uart_reset_regs(u);
	pthread_mutex_unlock(&u->lock);
	chardev_attach(con, &uart_con_frontend, u);
	return u;
}

void uart8250_reset(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	uart_reset_regs(u);
	pthread_mutex_unlock(&u->lock);
}

void uart8250_free(struct uart8250 *u)
{
	if (!u)
		return;
	chardev_attach(u->con, NULL, NULL);
	chardev_flush(u->con);
	/* On the loop thread, after any timer kick already posted. */
	loop_call(u->loop, uart_timer_free_fn, u);
	pthread_mutex_destroy(&u->lock);
	free(u);
}
