/* SPDX-License-Identifier: MIT */
#include "machine.h"
#include "aml.h"
#include "hv.h"
#include "blk_file.h"
#include "blk_img.h"
#include "blk_iso.h"
#include "ic.h"
#include "ic_fcopy.h"
#include "input.h"
#include "netvsp.h"
#include "tap.h"
#include "storvsp.h"
#include "synth_kbd.h"
#include "synth_mouse.h"
#include "synth_video.h"
#include "vnc.h"
#include "vsock_unix.h"
#include "log.h"
#include "vm.h"
#include "vmbus.h"
#include "pc_firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void machine_vmbus_reset(struct vm *vm, void *opaque)
{
	(void)vm;
	vmbus_reset(opaque);
}

static uint64_t machine_ref_time(void *ctx)
{
	return hv_reference_time(ctx);
}

static void machine_pause_ics(struct vm *vm, void *opaque)
{
	struct machine *m = opaque;

	(void)vm;
	ic_pause(m->ic_shutdown);
	ic_pause(m->ic_heartbeat);
	ic_pause(m->ic_timesync);
	ic_pause(m->ic_kvp);
	ic_pause(m->ic_fcopy);
	ic_pause(m->ic_vss);
}

static void machine_resume_ics(struct vm *vm, void *opaque)
{
	struct machine *m = opaque;

	(void)vm;
	ic_resume(m->ic_shutdown);
	ic_resume(m->ic_heartbeat);
	ic_resume(m->ic_timesync);
	ic_resume(m->ic_kvp);
	ic_resume(m->ic_fcopy);
	ic_resume(m->ic_vss);
}

/* After VMBus's own reset hook closed the channels: a guest that restarts has nothing
 * frozen, whatever the VSS IC knew of the last boot. */
static void machine_vss_reset(struct vm *vm, void *opaque)
{
	(void)vm;
	ic_vss_reset(opaque);
}

/* The frame buffer outlives its driver's channel, not the machine. */
static void machine_video_reset(struct vm *vm, void *opaque)
{
	(void)vm;
	synth_video_reset(opaque);
}

/* The guest's KVP daemon is there: give it the host's keys (--kvp). */
static void machine_kvp_negotiated(void *opaque, struct ic *ic)
{
	struct machine *m = opaque;

	for (unsigned i = 0; i < m->cfg->nkvp; i++) {
		int r = ic_kvp_set(ic, IC_KVP_POOL_EXTERNAL, m->cfg->kvp[i].key, m->cfg->kvp[i].value, NULL, NULL);

		if (r < 0)
			log_warn("KVP IC: cannot give the guest key \"%s\": %s", m->cfg->kvp[i].key, strerror(-r));
	}
}

void machine_kvp_attach(struct machine *m)
{
	ic_set_negotiated_notify(m->ic_kvp, machine_kvp_negotiated, m);
}

/*
 * As Hyper-V describes the bus: a module device (ACPI0004) whose _CRS holds the MMIO
 * windows VMBus devices may use, and the VMBus device under it. The VMBus device needs
 * a _CRS of its own for Linux to take it; x86 guests ignore its interrupt.
 */
static void machine_vmbus_dsdt(struct aml *a, void *opaque)
{
	struct vmbus_mmio_window win[2];
	struct aml_mem_range r[2];

	vmbus_mmio_windows(opaque, &win[0], &win[1]);
	for (unsigned i = 0; i < 2; i++)
		r[i] = (struct aml_mem_range){
			.producer = true, .min_fixed = true, .max_fixed = true,
			.min = win[i].base, .max = win[i].base + win[i].size - 1,
			.length = win[i].size,
		};

	aml_device_begin(a, "VMOD");
	aml_name_string(a, "_HID", "ACPI0004");
	aml_name_int(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_qword_memory(a, &r[0]);
	aml_qword_memory(a, &r[1]);
	aml_end(a);

	aml_device_begin(a, "VMBS");
	aml_name_int(a, "STA", 0x0f);
	aml_name_int(a, "_ADR", 0);
	aml_name_string(a, "_DDN", "VMBUS");
	aml_name_string(a, "_HID", "VMBus");
	aml_name_int(a, "_UID", 0);
	aml_method_begin(a, "_STA", 0, false);
	aml_return(a);
	aml_namestring(a, "STA");
	aml_end(a);
	aml_method_begin(a, "_PS0", 0, false);
	aml_end(a);
	aml_name_int(a, "_PS3", 0);
	aml_name(a, "_CRS");
	aml_resource_template_begin(a);
	aml_irq(a, 1u << 5, AML_IRQ_EDGE);
	aml_end(a);
	aml_end(a);	/* VMBS */
	aml_end(a);	/* VMOD */
}

/* VMBus and its first devices: the integration components, the keyboard and mouse. */
static int machine_create_vmbus(struct machine *m)
{
	struct vm *vm = m->vm;
	int r;

	m->vmbus = vmbus_new(vm->loop, &vm->mem, m->hv, vm->ncpus);
	if (!m->vmbus)
		return -1;
	/* VMBus resets before the partition does, so its last messages are dropped with
	 * the SynIC's state rather than delivered into the next boot. */
	if (pc_add_dsdt_hook(&m->pc, machine_vmbus_dsdt, m->vmbus) < 0 ||
	    vm_add_reset_hook(vm, machine_vmbus_reset, m->vmbus) < 0)
		return -1;
	m->ic_shutdown = ic_shutdown_new(m->vmbus, vm->loop);
	m->ic_heartbeat = ic_heartbeat_new(m->vmbus, vm->loop);
	m->ic_timesync = ic_timesync_new(m->vmbus, vm->loop, machine_ref_time, m->hv);
	m->ic_kvp = ic_kvp_new(m->vmbus, vm->loop);
	m->ic_vss = ic_vss_new(m->vmbus, vm->loop);
	m->ic_fcopy = ic_fcopy_new(m->vmbus, vm->loop);
	if (!m->ic_shutdown || !m->ic_heartbeat || !m->ic_timesync || !m->ic_kvp || !m->ic_vss ||
	    !m->ic_fcopy)
		return -1;
	m->kbd = synth_kbd_new(m->vmbus);
	m->mouse = synth_mouse_new(m->vmbus);
	if (!m->kbd || !m->mouse)
		return -1;
	m->input = input_new(m->kbd, m->mouse);
	if (!m->input)
		return -1;
	r = gmem_devmem_new(&vm->mem, SYNTH_VIDEO_VRAM_SIZE, &m->vram);
	if (r < 0) {
		log_error("synthetic video: cannot allocate %u MiB of VRAM: %s", SYNTH_VIDEO_VRAM_MB, strerror(-r));
		return -1;
	}
	m->video = synth_video_new(m->vmbus, m->vram);
	if (!m->video)
		return -1;
	machine_kvp_attach(m);
	return vm_add_reset_hook(vm, machine_vss_reset, m->ic_vss) < 0 ||
	       vm_add_reset_hook(vm, machine_video_reset, m->video) < 0 ||
	       vm_add_pause_hook(vm, machine_pause_ics, m) < 0 ||
	       vm_add_resume_hook(vm, machine_resume_ics, m) < 0 ? -1 : 0;
}

_Static_assert((int)DISK_FORMAT_AUTO == (int)BLK_FORMAT_AUTO && (int)DISK_FORMAT_RAW == (int)BLK_FORMAT_RAW &&
	       (int)DISK_FORMAT_VHD == (int)BLK_FORMAT_VHD && (int)DISK_FORMAT_VHDX == (int)BLK_FORMAT_VHDX,
	       "the configuration's formats are the back end's");

/* A stable identity for a disk without one given: from its absolute path. */
static uint64_t disk_hash(const char *path)
{
	char real[PATH_MAX];
	const char *s = realpath(path, real) ? real : path;
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

int machine_attach_disk(struct machine *m, const struct disk_config *d, char *err, size_t errlen)
{
	struct vm *vm = m->vm;
	struct scsi_disk_config sc = {
		.readonly = d->readonly,
		.write_cache = d->cache == DISK_CACHE_WRITEBACK,
	};
	struct machine_disk rec = { .readonly = d->readonly, .cache = d->cache };
	uint64_t h;
	char serial[CONFIG_SERIAL_MAX + 1];
	struct blk_image_desc desc;
	struct blk *b;
	int r;

	if (!m->vmbus) {
		snprintf(err, errlen, "disks need VMBus, which needs --hv synic");
		return -ENODEV;
	}
	if (d->controller >= CONFIG_MAX_CONTROLLERS || d->lun >= CONFIG_MAX_LUNS) {
		snprintf(err, errlen, "controller %u LUN %u: out of range", d->controller, d->lun);
		return -EINVAL;
	}
	if (machine_lun_taken(m, d->controller, d->lun)) {
		snprintf(err, errlen, "controller %u LUN %u: %s", d->controller, d->lun, strerror(EBUSY));
		return -EBUSY;
	}
	if (!m->storvsp[d->controller]) {
		/* One sub-channel per vCPU besides the primary: a queue per vCPU. */
		m->storvsp[d->controller] = storvsp_new(m->vmbus, &vm->mem, d->controller, vm->ncpus - 1);
		if (!m->storvsp[d->controller]) {
			snprintf(err, errlen, "cannot create SCSI controller %u", d->controller);
			return -ENOMEM;
		}
	}
	r = blk_image_open(&b, vm->loop, d->path, (enum blk_format)d->format, d->readonly,
			   d->cache == DISK_CACHE_NONE ? BLK_CACHE_NONE : BLK_CACHE_WRITEBACK, &desc, err, errlen);
	if (r < 0)
		return r;
	rec.format = (enum disk_format)desc.format;
	rec.subformat = desc.subformat;
	rec.size = desc.size;
	if (desc.parent && !(rec.parent = strdup(desc.parent))) {
		blk_close(b);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h = disk_hash(d->path);
	snprintf(serial, sizeof(serial), "hvkvm-%014llx", (unsigned long long)(h >> 8));
	sc.serial = d->serial ? d->serial : serial;
	sc.naa_id = h;
	rec.path = strdup(d->path);
	rec.serial = strdup(sc.serial);
	r = rec.path && rec.serial ? storvsp_attach(m->storvsp[d->controller], d->lun, b, &sc) : -ENOMEM;
	if (r < 0) {
		blk_close(b);
		free(rec.path);
		free(rec.serial);
		free(rec.parent);
		snprintf(err, errlen, "controller %u LUN %u: %s", d->controller, d->lun, strerror(-r));
		return r;
	}
	m->disks[d->controller][d->lun] = rec;
	return 0;
}

bool machine_lun_taken(const struct machine *m, unsigned controller, unsigned lun)
{
	if (m->cdrom.present && m->cdrom.controller == controller && m->cdrom.lun == lun)
		return true;
	return controller < CONFIG_MAX_CONTROLLERS && lun < CONFIG_MAX_LUNS && m->disks[controller][lun].path;
}

static int cdrom_open(struct machine *m, const char *path, struct blk **b, char *err, size_t errlen)
{
	char why[160];
	const char *bad = config_check_cdrom(path, why, sizeof(why));

	if (bad) {
		int e = errno;

		snprintf(err, errlen, "%s", bad);
		return e > 0 ? -e : -EINVAL;
	}
	return blk_iso_open(b, m->vm->loop, path, err, errlen);
}

int machine_add_cdrom(struct machine *m, const char *path, char *err, size_t errlen)
{
	struct scsi_disk_config sc = { .cdrom = true };
	struct blk *b = NULL;
	unsigned lun;
	char *copy = NULL;
	int r;

	if (!m->vmbus) {
		snprintf(err, errlen, "the CD/DVD drive needs VMBus, which needs --hv synic");
		return -ENODEV;
	}
	/* The LUN the firmware's boot order names for the drive: the same rule, from the
	 * same configuration, so that the two agree. */
	lun = config_cdrom_lun(m->cfg);
	if (lun >= CONFIG_MAX_LUNS) {
		snprintf(err, errlen, "controller 0 has no free LUN");
		return -EBUSY;
	}
	if (machine_lun_taken(m, 0, lun)) {
		snprintf(err, errlen, "controller 0 LUN %u: %s", lun, strerror(EBUSY));
		return -EBUSY;
	}
	if (!m->storvsp[0]) {
		m->storvsp[0] = storvsp_new(m->vmbus, &m->vm->mem, 0, m->vm->ncpus - 1);
		if (!m->storvsp[0]) {
			snprintf(err, errlen, "cannot create SCSI controller 0");
			return -ENOMEM;
		}
	}
	if (path) {
		r = cdrom_open(m, path, &b, err, errlen);
		if (r < 0)
			return r;
		copy = strdup(path);
		if (!copy) {
			blk_close(b);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	sc.serial = "hvkvm-dvd0";
	sc.naa_id = 0x6d76643000000000ull | lun;
	r = storvsp_attach(m->storvsp[0], lun, b, &sc);
	if (r < 0) {
		blk_close(b);
		free(copy);
		snprintf(err, errlen, "controller 0 LUN %u: %s", lun, strerror(-r));
		return r;
	}
	m->cdrom = (struct machine_cdrom){
		.present = true, .controller = 0, .lun = lun, .path = copy, .size = b ? blk_info(b)->size : 0,
	};
	return 0;
}

int machine_cdrom_change(struct machine *m, const char *path, bool force, char *err, size_t errlen)
{
	struct blk *b = NULL;
	char *copy = NULL;
	uint64_t size = 0;
	int r;

	if (!m->cdrom.present) {
		snprintf(err, errlen, "there is no CD/DVD drive (--cdrom)");
		return -ENODEV;
	}
	if (path) {
		r = cdrom_open(m, path, &b, err, errlen);
		if (r < 0)
			return r;
		size = blk_info(b)->size;
		copy = strdup(path);
		if (!copy) {
			blk_close(b);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	r = storvsp_change_medium(m->storvsp[m->cdrom.controller], m->cdrom.lun, b, force);
	if (r < 0) {
		blk_close(b);
		free(copy);
		snprintf(err, errlen, r == -EBUSY ? "the guest has locked the medium in (force=true ejects it anyway)"
						  : "%s", strerror(-r));
		return r;
	}
	free(m->cdrom.path);
	m->cdrom.path = copy;
	m->cdrom.size = size;
	return 0;
}

int machine_detach_disk(struct machine *m, unsigned controller, unsigned lun, char *err, size_t errlen)
{
	struct machine_disk *rec;
	int r;

	if (controller >= CONFIG_MAX_CONTROLLERS || lun >= CONFIG_MAX_LUNS || !m->disks[controller][lun].path) {
		snprintf(err, errlen, "controller %u LUN %u: no disk there", controller, lun);
		return -ENOENT;
	}
	rec = &m->disks[controller][lun];
	r = storvsp_detach(m->storvsp[controller], lun);
	if (r < 0) {
		snprintf(err, errlen, "controller %u LUN %u: %s", controller, lun, strerror(-r));
		return r;
	}
	free(rec->path);
	free(rec->serial);
	free(rec->parent);
	memset(rec, 0, sizeof(*rec));
	return 0;
}

struct machine_net *machine_find_net(struct machine *m, const char *id)
{
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++)
		if (m->nets[i].id && !strcmp(m->nets[i].id, id))
			return &m->nets[i];
	return NULL;
}

int machine_attach_net(struct machine *m, const struct net_config *nc, char *err, size_t errlen)
{
	struct vm *vm = m->vm;
	struct netvsp_config c = {
		.mtu = nc->mtu,
		/* A queue per vCPU, as many as hv_netvsc uses. */
		.queues = vm->ncpus < NETVSP_MAX_QUEUES ? vm->ncpus : NETVSP_MAX_QUEUES,
	};
	struct machine_net *rec = NULL;
	char idbuf[16];
	const char *id = nc->id;
	struct net_backend *be;
	int r;

	if (!m->vmbus) {
		snprintf(err, errlen, "network adapters need VMBus, which needs --hv synic");
		return -ENODEV;
	}
	/* The slot numbers the adapter's VMBus instance id: the same NIC, the same id. */
	for (unsigned i = 0; i < CONFIG_MAX_NETS && !rec; i++)
		if (!m->nets[i].id)
			rec = &m->nets[i];
	if (!rec) {
		snprintf(err, errlen, "at most %u network adapters", CONFIG_MAX_NETS);
		return -ENOSPC;
	}
	c.index = (unsigned)(rec - m->nets);
	if (!id) {
		snprintf(idbuf, sizeof(idbuf), "net%u", c.index);
		id = idbuf;
	}
	if (machine_find_net(m, id)) {
		snprintf(err, errlen, "id %s: %s", id, strerror(EEXIST));
		return -EEXIST;
	}
	/* As config_net_mac() does for the adapters the VM starts with: those take the
	 * first slots in order, so that their slot is their position. */
	if (nc->has_mac)
		memcpy(c.mac, nc->mac, 6);
	else if (m->cfg->name)
		config_default_mac(m->cfg->name, c.index, c.mac);
	else
		config_default_mac(nc->tap, 0, c.mac);
	r = tap_open(&be, nc->tap, nc->mtu, err, errlen);
	if (r < 0)
		return r;
	rec->id = strdup(id);
	rec->tap = strdup(nc->tap);
	if (rec->id && rec->tap)
		rec->dev = netvsp_new(m->vmbus, vm->loop, &vm->mem, be, &c);
	if (!rec->dev) {
		net_backend_close(be);
		free(rec->id);
		free(rec->tap);
		memset(rec, 0, sizeof(*rec));
		snprintf(err, errlen, "cannot create the network adapter");
		return -ENOMEM;
	}
	memcpy(rec->mac, c.mac, 6);
	rec->mtu = nc->mtu;
	return 0;
}

static void machine_net_free(struct machine_net *rec)
{
	netvsp_free(rec->dev);
	free(rec->id);
	free(rec->tap);
	memset(rec, 0, sizeof(*rec));
}

int machine_detach_net(struct machine *m, const char *id, char *err, size_t errlen)
{
	struct machine_net *rec = machine_find_net(m, id);

	if (!rec) {
		snprintf(err, errlen, "network adapter %s: no such adapter", id);
		return -ENOENT;
	}
	netvsp_remove(rec->dev);
	machine_net_free(rec);
	return 0;
}

static int open_input(const char *opt, const char *path, int *fd)
{
	*fd = -1;
	if (!path)
		return 0;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		log_error("%s %s: %s", opt, path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Linux, loaded directly at every boot, with the ACPI tables the board just wrote. */
static int machine_load_guest(struct vm *vm, struct vcpu_boot_state *st, char *err, size_t errlen,
			      void *opaque)
{
	struct machine *m = opaque;

	if (m->pc.fw) {
		/* The firmware at the reset vector; it finds the kernel in fw_cfg. */
		memset(st, 0, sizeof(*st));
		st->entry = VCPU_ENTRY_RESET;
		return 0;
	}
	return boot_load(&vm->mem, &m->files, m->cfg->cmdline, m->pc.rsdp, st, err, errlen);
}

_Static_assert(CONFIG_MAX_CPUS <= VM_MAX_CPUS, "--cpus allows more vCPUs than a VM has");

/* Last of all: viewers can connect as soon as it listens. */
static int machine_start_vnc(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	struct vnc_config vc = {
		.addr = cfg->vnc_addr,
		.password_file = cfg->vnc_password_file,
		.name = cfg->name,
	};
	char err[512];

	if (!m->video)
		return VM_EXIT_ERROR;
	m->vnc = vnc_new(m->vm->loop, m->video, m->input, &vc, err, sizeof(err));
	if (!m->vnc) {
		log_error("--vnc %s: %s", cfg->vnc, err);
		return VM_EXIT_USAGE;
	}
	return 0;
}

int machine_attach_storage(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	int code = 0;

	for (unsigned i = 0; i < cfg->ndisks && code == 0; i++) {
		char err[512];
		int r = machine_attach_disk(m, &cfg->disks[i], err, sizeof(err));

		if (r < 0) {
			log_error("--disk path=%s: %s", cfg->disks[i].path, err);
			code = r == -ENOMEM ? VM_EXIT_ERROR : VM_EXIT_USAGE;
		}
	}
	if (code == 0 && cfg->cdrom) {
		char err[512];
		int r = machine_add_cdrom(m, cfg->cdrom_path, err, sizeof(err));

		if (r < 0) {
			log_error("--cdrom %s: %s", cfg->cdrom_path ? cfg->cdrom_path : "", err);
			code = r == -ENOMEM ? VM_EXIT_ERROR : VM_EXIT_USAGE;
		}
	}
	return code;
}

int machine_create(struct machine *m, const struct vm_config *cfg)
{
	const struct vm_params params = {
		.cpus = cfg->cpus,
		.memory = cfg->memory,
		.no_reboot = cfg->no_reboot,
		/* Out of the firmware's flash, which ends at 4 GiB. */
		.identity_map_addr = cfg->firmware ? PC_FW_IDENTITY_MAP_ADDR : 0,
	};
	int code;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->files = (struct boot_files){ -1, -1, cfg->kernel, cfg->initrd };
	if (open_input("--kernel", cfg->kernel, &m->files.kernel_fd) < 0 ||
	    open_input("--initrd", cfg->initrd, &m->files.initrd_fd) < 0)
		return VM_EXIT_USAGE;
	code = vm_create(&params, &m->vm);
	if (code == 0) {
		vm_set_loader(m->vm, machine_load_guest, m);
		code = pc_init(&m->pc, m->vm, cfg);
	}
	if (code == 0 && m->pc.fw && cfg->kernel) {
		char err[512];

		if (pc_fw_add_kernel(m->pc.fw->fw_cfg, &m->files, cfg->cmdline, err, sizeof(err)) < 0) {
			log_error("--kernel %s", err);
			code = VM_EXIT_USAGE;
		}
	}
	if (code == 0 && (cfg->ndisks || cfg->nnets || cfg->cdrom) && !hv_has(&cfg->hv, HV_FEAT_SYNIC)) {
		log_error("%s needs VMBus, which needs --hv synic",
			  cfg->ndisks ? "--disk" : cfg->cdrom ? "--cdrom" : "--net");
		code = VM_EXIT_USAGE;
	}
	if (code == 0 && cfg->vsock_path && !hv_has(&cfg->hv, HV_FEAT_SYNIC)) {
		log_error("--vsock needs VMBus, which needs --hv synic");
		code = VM_EXIT_USAGE;
	}
	if (code == 0 && cfg->vnc && !hv_has(&cfg->hv, HV_FEAT_SYNIC)) {
		log_error("--vnc needs the synthetic video device on VMBus, which needs --hv synic");
		code = VM_EXIT_USAGE;
	}
	if (code || !cfg->hv.mask)
		return code;
	m->hv = hv_create_for_vm(m->vm, &cfg->hv);
	if (!m->hv || hv_attach(m->hv, m->vm, cfg->on_crash) < 0) {
		log_error("cannot set up the Hyper-V partition");
		return VM_EXIT_ERROR;
	}
	if (hv_has(&cfg->hv, HV_FEAT_SYNIC) && machine_create_vmbus(m) < 0) {
		log_error("cannot set up VMBus");
		return VM_EXIT_ERROR;
	}
	code = machine_attach_storage(m);
	for (unsigned i = 0; i < cfg->nnets && code == 0; i++) {
		char err[512];
		int r = machine_attach_net(m, &cfg->nets[i], err, sizeof(err));

		if (r < 0) {
			log_error("--net tap=%s: %s", cfg->nets[i].tap, err);
			code = r == -ENOMEM ? VM_EXIT_ERROR : VM_EXIT_USAGE;
		}
	}
	if (code == 0 && cfg->vsock_path) {
		char err[512];

		m->vsock = vsock_unix_new(m->vm->loop, m->vmbus, cfg->vsock_path, err, sizeof(err));
		if (!m->vsock) {
			log_error("--vsock %s", err);
			code = VM_EXIT_USAGE;
		}
	}
	if (code == 0 && cfg->vnc)
		code = machine_start_vnc(m);
	return code;
}

int machine_run(struct machine *m)
{
	int code = vm_start(m->vm);

	if (code)
		return code;
	if (loop_run(m->vm->loop) < 0)
		return VM_EXIT_ERROR;
	return m->vm->exit_code;
}

void machine_destroy(struct machine *m)
{
	if (m->vm)
		vm_stop(m->vm);
	/* The display's front end reads the video device and types into the input. */
	vnc_free(m->vnc);
	/* Devices close their channels through the bus: the bus goes first. */
	vmbus_free(m->vmbus);
	vsock_unix_free(m->vsock);
	for (unsigned i = 0; i < CONFIG_MAX_CONTROLLERS; i++) {
		storvsp_free(m->storvsp[i]);
		for (unsigned l = 0; l < CONFIG_MAX_LUNS; l++) {
			free(m->disks[i][l].path);
			free(m->disks[i][l].serial);
			free(m->disks[i][l].parent);
		}
	}
	free(m->cdrom.path);
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++)
		if (m->nets[i].id)
			machine_net_free(&m->nets[i]);
	ic_free(m->ic_shutdown);
	ic_free(m->ic_heartbeat);
	ic_free(m->ic_timesync);
	ic_free(m->ic_kvp);
	ic_free(m->ic_fcopy);
	ic_free(m->ic_vss);
	input_free(m->input);
	synth_kbd_free(m->kbd);
	synth_mouse_free(m->mouse);
	synth_video_free(m->video);
	gmem_devmem_free(m->vram);
	hv_free(m->hv);
	if (m->pc.vm)
		pc_fini(&m->pc);
	vm_destroy(m->vm);
	if (m->cfg && m->files.kernel_fd >= 0)
		close(m->files.kernel_fd);
	if (m->cfg && m->files.initrd_fd >= 0)
		close(m->files.initrd_fd);
	memset(m, 0, sizeof(*m));
}

void machine_request_shutdown(struct machine *m)
{
	vm_note_shutdown(m->vm);
	if (m->ic_shutdown && ic_shutdown_request(m->ic_shutdown, false))
		return;
	pc_request_shutdown(&m->pc);
}

void machine_print_stats(struct machine *m, FILE *out)
{
	vm_print_stats(m->vm, out);
	if (m->hv)
		hv_print_stats(m->hv, out);
	if (m->vmbus)
		vmbus_print_stats(m->vmbus, out);
	for (unsigned i = 0; i < CONFIG_MAX_CONTROLLERS; i++)
		if (m->storvsp[i])
			storvsp_print_stats(m->storvsp[i], out);
	for (unsigned i = 0; i < CONFIG_MAX_NETS; i++)
		if (m->nets[i].dev)
			netvsp_print_stats(m->nets[i].dev, out);
}
