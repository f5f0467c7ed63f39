/* SPDX-License-Identifier: MIT */
/*
 * The VM's configuration: one model with two front ends, the command line (cli.c) and
 * a JSON file (config_json.c). Both hand every setting to config_set(), so a key is
 * validated by one function whichever way it arrived, and the messages differ only in
 * how they name it ("--disk lun=x" or "vm.json: disks[1].lun").
 */
#ifndef HVKVM_CONFIG_H
#define HVKVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "console.h"
#include "hv.h"
#include "hv_features.h"
#include "log.h"
#include "netvsp.h"
#include "scsi_disk.h"
#include "storvsp.h"
#include "vnc.h"

#define CONFIG_DEFAULT_MEMORY	(512ull << 20)
#define CONFIG_MIN_MEMORY	(32ull << 20)
#define CONFIG_MAX_MEMORY	(1ull << 40)
#define CONFIG_MAX_CPUS		254	/* xAPIC IDs 0..253; the I/O APIC and broadcast take the rest */
#define CONFIG_MAX_CONTROLLERS	8	/* SCSI controllers (VMBus devices) */
#define CONFIG_MAX_LUNS		STORVSP_MAX_LUNS	/* per controller */
#define CONFIG_SERIAL_MAX	SCSI_DISK_SERIAL_MAX	/* a SCSI unit serial number */
/* --firmware uefi: Debian's OVMF (package ovmf), and the template of a new variable store. */
#define CONFIG_FIRMWARE_UEFI		"/usr/share/OVMF/OVMF_CODE_4M.fd"
#define CONFIG_FIRMWARE_VARS_TEMPLATE	"/usr/share/OVMF/OVMF_VARS_4M.fd"
#define CONFIG_FIRMWARE_BLOCK		4096u		/* a flash erase block */
#define CONFIG_FIRMWARE_MAX		(16u << 20)	/* both flash images, below 4 GiB */
#define CONFIG_OPTION_ROM_MIN		512		/* one image's first block */
#define CONFIG_OPTION_ROM_MAX		(16ll << 20)	/* the largest PCI expansion ROM */
#define CONFIG_PATH_MAX		4095	/* PATH_MAX without the NUL */
#define CONFIG_CMDLINE_MAX	65535	/* BOOT_CMDLINE_MAX without the NUL; the kernel may allow less */
#define CONFIG_NAME_MAX		63	/* a DNS label: usable as a host name and a systemd instance */
#define CONFIG_SOCKET_PATH_MAX	107	/* sizeof(sockaddr_un.sun_path) without the NUL */
/* --vsock's path leaves room for "_<port>" (11 characters) in a socket path. */
#define CONFIG_VSOCK_PATH_MAX	(CONFIG_SOCKET_PATH_MAX - 11)
#define CONFIG_MAX_KVP		64	/* host keys given to the guest (--kvp) */
#define CONFIG_MAX_NETS		64	/* Windows Server 2019 Hyper-V's per-VM limit of synthetic NICs */
#define CONFIG_NET_ID_MAX	32
#define CONFIG_TAP_NAME_MAX	15	/* IFNAMSIZ - 1 */
#define CONFIG_NET_MTU_MIN	NETVSP_MIN_MTU	/* ETH_MIN_MTU: hv_netvsc's min_mtu */
#define CONFIG_NET_MTU_MAX	NETVSP_MAX_MTU	/* frames of 9216 bytes, as Hyper-V's */
#define CONFIG_NET_MTU_DEFAULT	1500

enum disk_cache {
	DISK_CACHE_WRITEBACK,
	DISK_CACHE_NONE,
};

/* An image's format; AUTO: from its signature together with its name (.vhd, .vhdx). */
enum disk_format {
	DISK_FORMAT_AUTO,
	DISK_FORMAT_RAW,
	DISK_FORMAT_VHD,
	DISK_FORMAT_VHDX,
};

struct disk_config {
	char *path;
	enum disk_format format;
	char *serial;			/* NULL: made from the path */
	bool readonly;
	enum disk_cache cache;
	unsigned controller;
	unsigned lun;			/* UINT32_MAX until config_add_disk picks the first free one */
};

struct net_config {
	char *id;			/* stable name for the API and hot-unplug; "net<N>" unless given */
	char *tap;			/* host tap interface */
	bool has_mac;			/* false: the device uses config_net_mac() */
	uint8_t mac[6];
	unsigned mtu;			/* CONFIG_NET_MTU_MIN..MAX; default 1500 */
};

/* A key the host gives the guest in KVP pool 0 (external) once its daemon answers. */
struct kvp_config {
	char *key;			/* ic_kvp_check_key() */
	char *value;			/* ic_kvp_check_value() */
};

/* --boot: the devices the firmware tries, in this order (each at most once). */
enum config_boot_dev {
	CONFIG_BOOT_CDROM = 1,		/* the CD/DVD drive (--cdrom) */
	CONFIG_BOOT_DISK,		/* every --disk, in the order they were given */
};
#define CONFIG_BOOT_MAX		2

struct vm_config {
	char *name;			/* NULL: unnamed */
	char *kernel;
	char *initrd;
	char *cmdline;
	char *firmware;			/* --firmware: the UEFI code flash image; NULL: boot the kernel directly */
	char *firmware_vars;		/* its variable store, this VM's own copy; NULL: a template's copy in memory */
	char *option_rom;		/* --option-rom: a PCI expansion ROM image for the firmware; NULL: none */
	bool no_option_rom;		/* --option-rom none: not even hvkvm's UEFI driver */
	uint64_t memory;		/* bytes */
	unsigned cpus;
	enum console_kind serial;
	char *serial_path;		/* CONSOLE_FILE */
	bool no_reboot;
	unsigned shutdown_timeout;	/* seconds before a graceful stop turns hard */
	enum log_level log_level;
	struct hv_features hv;		/* mask 0: a plain PC without Hyper-V */
	enum hv_crash_action on_crash;
	bool stats;			/* print counters at exit */
	char *api_socket;		/* NULL: no management socket */
	char *vsock_path;		/* --vsock path=PATH; NULL: no VMBus sockets */
	bool cdrom;			/* --cdrom: a CD/DVD drive on SCSI controller 0 */
	char *cdrom_path;		/* its ISO image; NULL: the drive is empty */
	bool seccomp;			/* default true */
	char *vnc;			/* as given; NULL: no VNC server */
	struct vnc_addr vnc_addr;	/* vnc, parsed */
	char *vnc_password_file;	/* NULL: no password */
	struct disk_config *disks;
	unsigned ndisks;
	struct net_config *nets;
	unsigned nnets;
	struct kvp_config *kvp;
	unsigned nkvp;
	enum config_boot_dev boot[CONFIG_BOOT_MAX];	/* --boot; nboot 0: the firmware's own order */
	unsigned nboot;
};

void config_init(struct vm_config *cfg);
void config_free(struct vm_config *cfg);

/* ---- setting one key ------------------------------------------------------------- */

enum config_val_type {
	CONFIG_V_ARG,		/* a command-line word: every key parses it from text */
	CONFIG_V_STRING,	/* a JSON string */
	CONFIG_V_INT,		/* a JSON integer */
	CONFIG_V_BOOL,		/* a JSON boolean, or a command-line flag (true) */
	CONFIG_V_OTHER,		/* null, a fraction, an object, an array: never a valid value */
};

struct config_val {
	enum config_val_type type;
	const char *s;		/* ARG, STRING */
	int64_t i;		/* INT */
	bool b;			/* BOOL */
};

/* How a front end names the value in a message: "<where>: <problem>[, got <got>]". */
struct config_err {
	char *buf;
	size_t len;
	const char *where;	/* "--memory 12X", "--disk lun=x", "vm.json: disks[1].lun" */
	const char *got;	/* JSON: the value as written; NULL on the command line, whose
				 * where already shows it */
	bool json;
	const char *expect;	/* config_set's: what the key takes, e.g. "an integer 0-63" */
};

enum config_scope {
	CONFIG_SCOPE_VM,	/* obj: struct vm_config */
	CONFIG_SCOPE_DISK,	/* obj: struct disk_config */
	CONFIG_SCOPE_NET,	/* obj: struct net_config */
};

/* Validate v for key and store it in obj; 0, or -1 with the message in e. A string
 * replaces any earlier value. */
int config_set(struct config_err *e, enum config_scope scope, void *obj, const char *key,
	       const struct config_val *v);
/* The i-th key of a scope, NULL past the last: the JSON schema, in --print-config's
 * order. VM scope includes "disks" and "nets", whose values are arrays of DISK and NET
 * objects (the JSON front end handles them; config_set refuses them). */
const char *config_key_name(enum config_scope scope, unsigned i);

void config_disk_init(struct disk_config *d);
void config_disk_free(struct disk_config *d);
void config_net_init(struct net_config *n);
void config_net_free(struct net_config *n);
/* Check a device against itself and the ones before it (required keys, LUN and name
 * clashes), pick its defaults, and append it. On success *d belongs to cfg; on error
 * it is freed. e->where names the whole device. */
int config_add_disk(struct config_err *e, struct vm_config *cfg, struct disk_config *d);
int config_add_net(struct config_err *e, struct vm_config *cfg, struct net_config *n);
/* A host key (copied): a key given again takes the new value. 0, or -1 with the
 * message in e. */
int config_add_kvp(struct config_err *e, struct vm_config *cfg, const char *key, const char *value);

/* Defaults that depend on the whole configuration, once both front ends are done:
 * the kernel command line and NIC ids. 0 or -1 with a message. */
int config_finish(struct vm_config *cfg, char *err, size_t errlen);

/* ---- one rule per setting ------------------------------------------------------- */

/*
 * The rules config_set() applies, for the other places a setting arrives (the
 * management methods): NULL if the value keeps the rule, else the rule as a phrase
 * ("an integer 68-9202") that the caller prefixes with its own name for the setting.
 * The limits are the owning device's (netvsp, storvsp, scsi_disk).
 */
const char *config_rule_name(const char *s);
const char *config_rule_net_id(const char *s);
const char *config_rule_net_tap(const char *s);
const char *config_rule_net_mtu(int64_t mtu);
const char *config_rule_disk_serial(const char *s);
const char *config_rule_disk_cache(const char *s);
const char *config_rule_disk_format(const char *s);
/* The format a name keeping config_rule_disk_format() stands for, and back. */
enum disk_format config_disk_format(const char *s);
const char *config_disk_format_name(enum disk_format f);
const char *config_rule_disk_controller(int64_t controller);
const char *config_rule_disk_lun(int64_t lun);
/* Why path cannot be a CD/DVD drive's medium (missing, unreadable, not whole 2048-byte
 * sectors), written into buf, with errno saying it too (EINVAL for the size); NULL if it
 * can. */
#define CONFIG_CDROM_SECTOR	2048
const char *config_check_cdrom(const char *path, char *buf, size_t len);
/* --boot's list ("cdrom,disk"): the devices into out[], their number into *n; NULL,
 * or the rule that s breaks. */
const char *config_parse_boot(const char *s, enum config_boot_dev out[CONFIG_BOOT_MAX], unsigned *n);
/* The name of a --boot device ("cdrom", "disk"). */
const char *config_boot_dev_name(enum config_boot_dev d);
/* --boot orders what the firmware boots from (config_finish): there must be a firmware
 * (not --kernel), every device named, and hvkvm's driver to reach them. 0, or -1 with
 * the message in err. */
int config_check_boot(const struct vm_config *cfg, char *err, size_t errlen);
/* The LUN of controller 0 the CD/DVD drive gets: the lowest no --disk took (CONFIG_MAX_LUNS:
 * none is left). The one rule for it: machine_add_cdrom attaches the drive there and
 * the firmware's boot order names it there. */
unsigned config_cdrom_lun(const struct vm_config *cfg);
/* --vnc's address and password together (config_finish): NULL, or the rule; a rule
 * about the address is to be prefixed with it. */
const char *config_rule_vnc(const struct vm_config *cfg);
/* The characters of names and ids (--name, a NIC's id): letters, digits, '.', '_', '-'. */
bool config_name_chars(const char *s);

/* ---- value syntax ---------------------------------------------------------------- */

/* "512M", "2G", "1048576K", "1T"; a bare number means MiB as in QEMU's -m. */
int config_parse_size(const char *s, uint64_t *out);
/* Decimal integer in [min, max]: -EINVAL if not a number, -ERANGE if outside. */
int config_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
/* "52:54:00:12:34:56" (either case): -EINVAL for the syntax, -EADDRNOTAVAIL for a
 * multicast or all-zero address, which a NIC cannot have. */
int config_parse_mac(const char *s, uint8_t mac[6]);
void config_format_mac(const uint8_t mac[6], char buf[18]);
/* "512M", "2G": the largest unit that is exact. */
void config_format_size(uint64_t bytes, char *buf, size_t len);

/*
 * A locally administered unicast MAC that is a pure function of (seed, index), so a VM
 * keeps its MACs across restarts without storing them. Seeds are hashed whole; a NULL
 * seed is the empty string.
 */
void config_default_mac(const char *seed, unsigned index, uint8_t mac[6]);
/* The MAC NIC i shows the guest: its mac= if given; otherwise derived from the VM's
 * name and the NIC's position, or without a name from the tap's name alone. */
void config_net_mac(const struct vm_config *cfg, unsigned i, uint8_t mac[6]);

/* ---- the JSON front end (config_json.c) ------------------------------------------ */

/* Add the settings of a JSON file to cfg (config_init'ed); name prefixes messages.
 * 0, or -1 with one line in err naming the file, and the key or line:column. */
/* Control characters in a message become '?': it stays one line. */
void config_msg_printable(char *msg);

int config_load_file(struct vm_config *cfg, const char *path, char *err, size_t errlen);
int config_load_json(struct vm_config *cfg, const char *name, const char *text, size_t len,
		     char *err, size_t errlen);
/* Every setting as JSON that config_load_file reads back to the same configuration. */
int config_print_json(const struct vm_config *cfg, FILE *out);

#endif
