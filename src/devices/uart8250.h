/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (COM1: ports 0x3F8-0x3FF, IRQ 4 on a PC), as Linux's 8250 driver
 * and its autoconfig probe use it. Output goes to a character back end (or nowhere);
 * transmission takes no simulated time, but a full host buffer holds the guest off
 * with THR-not-empty instead of losing bytes.
 *
 * Port accesses come from vCPU threads and may race; the host side runs on the
 * event-loop thread. The interrupt line is driven with the UART's lock held, so
 * irq->set_level must not call back into the UART.
 */
#ifndef HVKVM_UART8250_H
#define HVKVM_UART8250_H

#include "platform.h"

struct loop;
struct chardev;
struct uart8250;

#define UART8250_COM1_BASE	0x3f8
#define UART8250_COM1_IRQ	4
#define UART8250_NR_PORTS	8

/*
 * con may be NULL: the UART still behaves as one and discards its output. The UART
 * attaches itself as con's frontend; free the UART before closing con. Call from
 * the loop thread or any other thread; the loop need not be running yet.
 */
struct uart8250 *uart8250_new(struct loop *loop, struct irq_line irq, struct chardev *con);

/* Register with: io_bus_register(bus, UART8250_COM1_BASE, UART8250_NR_PORTS,
 * &uart8250_io_ops, uart, "com1"). */
extern const struct io_ops uart8250_io_ops;

/* Guest reboot: registers to power-on values; queued output is kept. */
void uart8250_reset(struct uart8250 *u);

/* Flushes pending output first. The vCPUs must no longer run. NULL is ok. */
void uart8250_free(struct uart8250 *u);

#endif
