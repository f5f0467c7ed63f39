/* SPDX-License-Identifier: MIT */
/*
 * The whole machine: the VM, the PC board, the Hyper-V partition, VMBus and its
 * devices. This is where the layers are put together; each of them knows only the
 * ones below it.
 */
#ifndef HVKVM_MACHINE_H
#define HVKVM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "boot.h"
#include "config.h"
#include "pc.h"

struct vm;
struct hv;
struct vmbus;
struct ic;
struct storvsp;
struct netvsp;
struct synth_kbd;
struct synth_mouse;
struct input;
struct gmem_devmem;
struct synth_video;
struct vnc;
struct vsock_unix;

/* A disk on a SCSI controller, as the guest was given it. */
struct machine_disk {
	char *path;			/* NULL: no disk on this LUN */
	char *serial;
	bool readonly;
	enum disk_cache cache;
	enum disk_format format;	/* as opened: never AUTO */
	const char *subformat;		/* "fixed", "dynamic", "differencing"; NULL for raw */
	uint64_t size;			/* bytes the guest sees */
	char *parent;			/* a differencing image's parent, as opened */
};

/* The CD/DVD drive (--cdrom), on controller 0. */
struct machine_cdrom {
	bool present;			/* there is a drive */
	unsigned controller, lun;
	char *path;			/* its medium; NULL: empty */
	uint64_t size;			/* the medium's bytes */
};

/* A network adapter, as the guest was given it. */
struct machine_net {
	char *id;			/* NULL: a free slot */
	char *tap;
	uint8_t mac[6];
	unsigned mtu;
	struct netvsp *dev;
};

struct machine {
	const struct vm_config *cfg;
	struct boot_files files;	/* the kernel and initrd, loaded again at each boot */
	struct vm *vm;
	struct pc pc;
	struct hv *hv;			/* NULL with --hv off */
	struct vmbus *vmbus;		/* NULL without the SynIC */
	struct ic *ic_shutdown, *ic_heartbeat, *ic_timesync, *ic_kvp, *ic_vss;
	struct ic *ic_fcopy;		/* file copy (Guest Services) */
	/* The synthetic keyboard and mouse, offered with VMBus as Hyper-V does, and what
	 * front ends feed them through (input.h). */
	struct synth_kbd *kbd;
	struct synth_mouse *mouse;
	struct input *input;		/* NULL without VMBus; loop thread */
	/* The synthetic video device and its VRAM, which the guest places in the VMBus
	 * MMIO window; front ends read the screen through synth_video.h. */
	struct gmem_devmem *vram;
	struct synth_video *video;	/* NULL without VMBus; loop thread */
	struct vnc *vnc;		/* --vnc; NULL without; loop thread */
	struct vsock_unix *vsock;	/* --vsock; NULL without; loop thread */
	struct storvsp *storvsp[CONFIG_MAX_CONTROLLERS];
	struct machine_net nets[CONFIG_MAX_NETS];				/* loop thread */
	struct machine_disk disks[CONFIG_MAX_CONTROLLERS][CONFIG_MAX_LUNS];	/* loop thread */
	struct machine_cdrom cdrom;	/* loop thread */
};

/* Build everything; returns 0 or a vm_exit_code after saying why. */
int machine_create(struct machine *m, const struct vm_config *cfg);
/* Boot and run until the machine stops; returns the process exit status. */
int machine_run(struct machine *m);
void machine_destroy(struct machine *m);

/* Ask the guest to shut down: the shutdown IC if the guest has one, and the ACPI
 * power button. */
void machine_request_shutdown(struct machine *m);

/*
 * Give the guest a disk d (its controller is created if needed; a running guest is
 * told to rescan), or take LUN lun of controller away. Loop thread (or before the
 * VM starts). Return 0, or -errno with the reason in err, which the caller prefixes
 * with how it names the disk: -EBUSY the LUN is taken, -ENOENT no disk there, -ENODEV
 * no VMBus, or what opening the image returned. d's settings keep config_rule_*().
 */
int machine_attach_disk(struct machine *m, const struct disk_config *d, char *err, size_t errlen);
int machine_detach_disk(struct machine *m, unsigned controller, unsigned lun, char *err, size_t errlen);
/* Whether a disk or the CD/DVD drive is on that LUN. */
bool machine_lun_taken(const struct machine *m, unsigned controller, unsigned lun);
/*
 * The CD/DVD drive: machine_add_cdrom puts it on controller 0 at config_cdrom_lun(m->cfg),
 * the LUN that the firmware's boot order names for it (-EBUSY: a disk is there), with
 * the ISO image path (NULL: empty). machine_cdrom_change puts path in it (NULL:
 * ejects; a medium in the drive is replaced): -ENODEV no drive, -EBUSY the guest locked
 * the medium and force is false, or what opening the image returned (-EINVAL: not whole
 * 2048-byte sectors); the reason in err.
 */
int machine_add_cdrom(struct machine *m, const char *path, char *err, size_t errlen);
int machine_cdrom_change(struct machine *m, const char *path, bool force, char *err, size_t errlen);
/* At start, on VMBus: m->cfg's disks at their LUNs, then its CD/DVD drive. 0, or the exit
 * code (VM_EXIT_USAGE, VM_EXIT_ERROR) after logging why. */
int machine_attach_storage(struct machine *m);
/* A network adapter on the running machine (nc->id NULL: the first free netN); the
 * guest sees a new NIC offered. 0, or a negative errno after writing the reason in
 * err, which the caller prefixes with how it names the adapter. nc's settings keep
 * config_rule_*(). */
int machine_attach_net(struct machine *m, const struct net_config *nc, char *err, size_t errlen);
/* Rescind it: the guest's driver lets go of the NIC, the tap is closed. */
int machine_detach_net(struct machine *m, const char *id, char *err, size_t errlen);
struct machine_net *machine_find_net(struct machine *m, const char *id);
void machine_print_stats(struct machine *m, FILE *out);
/* Set the configuration's KVP keys (--kvp) in the guest's pool 0 each time its KVP
 * driver and daemon agree on a version (machine_create does this). */
void machine_kvp_attach(struct machine *m);

#endif
