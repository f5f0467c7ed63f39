/* SPDX-License-Identifier: MIT */
/* The configuration model: defaults, value syntax, MAC addresses. The keys and their
 * checks are in config_keys.c, the JSON file in config_json.c. */
#include "config.h"
#include "option_rom.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = CONFIG_DEFAULT_MEMORY;
	cfg->cpus = 1;
	cfg->serial = CONSOLE_STDIO;
	cfg->shutdown_timeout = 90;
	cfg->log_level = LOG_INFO;
	hv_features_default(&cfg->hv);
	cfg->on_crash = HV_CRASH_EXIT;
	cfg->seccomp = true;
}

void config_disk_init(struct disk_config *d)
{
	memset(d, 0, sizeof(*d));
	d->lun = UINT32_MAX;
}

void config_disk_free(struct disk_config *d)
{
	free(d->path);
	free(d->serial);
	memset(d, 0, sizeof(*d));
}

void config_net_init(struct net_config *n)
{
	memset(n, 0, sizeof(*n));
	n->mtu = CONFIG_NET_MTU_DEFAULT;
}

void config_net_free(struct net_config *n)
{
	free(n->id);
	free(n->tap);
	memset(n, 0, sizeof(*n));
}

void config_free(struct vm_config *cfg)
{
	free(cfg->name);
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->cmdline);
	free(cfg->firmware);
	free(cfg->firmware_vars);
	free(cfg->option_rom);
	free(cfg->serial_path);
	free(cfg->api_socket);
	free(cfg->vsock_path);
	free(cfg->cdrom_path);
	free(cfg->vnc);
	free(cfg->vnc_password_file);
	for (unsigned i = 0; i < cfg->ndisks; i++)
		config_disk_free(&cfg->disks[i]);
	free(cfg->disks);
	for (unsigned i = 0; i < cfg->nnets; i++)
		config_net_free(&cfg->nets[i]);
	free(cfg->nets);
	for (unsigned i = 0; i < cfg->nkvp; i++) {
		free(cfg->kvp[i].key);
		free(cfg->kvp[i].value);
	}
	free(cfg->kvp);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- value syntax ---------------------------------------------------------------- */

int config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1ull << 20;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (!strcmp(end, "iB") || !strcmp(end, "B"))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

void config_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct { char unit; unsigned shift; } units[] = {
		{ 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 },
	};

	for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t u = 1ull << units[i].shift;

		if (bytes && bytes % u == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(bytes / u), units[i].unit);
			return;
		}
	}
	/* Below a KiB or not a multiple of one: never a valid memory size anyway. */
	snprintf(buf, len, "%lluK", (unsigned long long)(bytes >> 10));
}

int config_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int config_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	bool zero = true;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (unsigned i = 0; i < 6; i++) {
		int hi = util_hex_digit(s[3 * i]), lo = util_hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
		zero &= m[i] == 0;
	}
	if (zero || (m[0] & 1))
		return -EADDRNOTAVAIL;
	memcpy(mac, m, 6);
	return 0;
}

void config_format_mac(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

void config_default_mac(const char *seed, unsigned index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (const char *s = seed ? seed : ""; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	/* The seed ends at its NUL and the index is always four bytes: no two
	 * (seed, index) pairs hash the same input. */
	for (unsigned k = 0; k < 5; k++)
		h = (h ^ (k ? (uint8_t)(index >> (8 * (k - 1))) : 0)) * 0x100000001b3ull;
	/* FNV mixes its last bytes poorly into the low bits: MurmurHash3's finalizer. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	for (unsigned k = 0; k < 6; k++)
		mac[k] = (uint8_t)(h >> (8 * k));
	mac[0] = (mac[0] & 0xfc) | 0x02;	/* unicast, locally administered */
}

void config_net_mac(const struct vm_config *cfg, unsigned i, uint8_t mac[6])
{
	const struct net_config *n = &cfg->nets[i];

	if (n->has_mac)
		memcpy(mac, n->mac, 6);
	else if (cfg->name)
		config_default_mac(cfg->name, i, mac);
	else
		config_default_mac(n->tap, 0, mac);
}

static bool net_id_taken(const struct vm_config *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->nnets; i++)
		if (cfg->nets[i].id && !strcmp(cfg->nets[i].id, id))
			return true;
	return false;
}

/* Bytes in the regular file at path, or -errno. */
static long long file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return (long long)st.st_size;
}

/* A PCI expansion ROM image the firmware would find images in (option_rom.h); the
 * machine checks it again when it loads it. */
static int config_check_option_rom(const char *path, char *err, size_t errlen)
{
	struct option_rom_info info;
	char why[256];
	uint8_t *rom = NULL;
	size_t len;
	int r;

	r = util_read_file(path, CONFIG_OPTION_ROM_MAX, &rom, &len, why, sizeof(why));
	if (r == -EFBIG || (r == 0 && len < CONFIG_OPTION_ROM_MIN))
		snprintf(why, sizeof(why), "not a PCI expansion ROM (512 bytes to 16 MiB)");
	else if (r == 0 && option_rom_parse(rom, len, &info, why, sizeof(why)) == 0) {
		free(rom);
		return 0;
	}
	snprintf(err, errlen, "--option-rom %s: %s", path, why);
	free(rom);
	return -1;
}

/*
 * The firmware's two flash images end at 4 GiB, the variable store right below the
 * code, within CONFIG_FIRMWARE_MAX bytes; each a whole number of erase blocks. A
 * variable store has the template's size: the firmware was built for that layout.
 */
static int config_check_firmware(const struct vm_config *cfg, char *err, size_t errlen)
{
	long long code, vars, tmpl;

	if (!cfg->firmware) {
		if (cfg->firmware_vars || cfg->option_rom) {
			snprintf(err, errlen, "%s needs --firmware",
				 cfg->firmware_vars ? "--firmware-vars" : "--option-rom");
			return -1;
		}
		return 0;
	}
	if (cfg->option_rom && config_check_option_rom(cfg->option_rom, err, errlen) < 0)
		return -1;
	code = file_size(cfg->firmware);
	if (code < 0 || code == 0 || code % CONFIG_FIRMWARE_BLOCK) {
		snprintf(err, errlen, "--firmware %s: %s", cfg->firmware,
			 code < 0 && code != -EINVAL ? strerror((int)-code) :
			 "not a flash image (a regular file, a non-zero multiple of 4 KiB)");
		return -1;
	}
	tmpl = file_size(CONFIG_FIRMWARE_VARS_TEMPLATE);
	if (tmpl <= 0 || tmpl % CONFIG_FIRMWARE_BLOCK) {
		snprintf(err, errlen, "--firmware: the variable store template %s: %s",
			 CONFIG_FIRMWARE_VARS_TEMPLATE, tmpl < 0 && tmpl != -EINVAL ? strerror((int)-tmpl) :
			 "not a flash image");
		return -1;
	}
	vars = cfg->firmware_vars ? file_size(cfg->firmware_vars) : -ENOENT;
	if (vars == -ENOENT)
		vars = tmpl;	/* made from the template */
	if (vars < 0) {
		snprintf(err, errlen, "--firmware-vars %s: %s", cfg->firmware_vars,
			 vars == -EINVAL ? "not a regular file" : strerror((int)-vars));
		return -1;
	}
	if (vars != tmpl) {
		snprintf(err, errlen, "--firmware-vars %s: %lld bytes, but a variable store is %lld (%s)",
			 cfg->firmware_vars, vars, tmpl, CONFIG_FIRMWARE_VARS_TEMPLATE);
		return -1;
	}
	if (code + vars > CONFIG_FIRMWARE_MAX) {
		snprintf(err, errlen, "--firmware %s: with its variable store more than %u MiB of flash",
			 cfg->firmware, CONFIG_FIRMWARE_MAX >> 20);
		return -1;
	}
	return 0;
}

int config_check_boot(const struct vm_config *cfg, char *err, size_t errlen)
{
	char list[16] = "";

	if (!cfg->nboot)
		return 0;
	for (unsigned i = 0; i < cfg->nboot; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
			 config_boot_dev_name(cfg->boot[i]));
	if (cfg->kernel || !cfg->firmware) {
		snprintf(err, errlen, "--boot %s: orders the firmware's boot devices, but %s", list,
			 cfg->kernel ? "--kernel starts the kernel without them" : "there is no --firmware");
		return -1;
	}
	for (unsigned i = 0; i < cfg->nboot; i++) {
		if (cfg->boot[i] == CONFIG_BOOT_CDROM && !cfg->cdrom) {
			snprintf(err, errlen, "--boot %s: there is no CD/DVD drive (--cdrom)", list);
			return -1;
		}
		if (cfg->boot[i] == CONFIG_BOOT_DISK && !cfg->ndisks) {
			snprintf(err, errlen, "--boot %s: there is no disk (--disk)", list);
			return -1;
		}
	}
	if (cfg->no_option_rom) {
		snprintf(err, errlen, "--boot %s: the firmware reaches the VM's disks only through hvkvm's "
			 "UEFI driver, and --option-rom is none", list);
		return -1;
	}
	return 0;
}

int config_finish(struct vm_config *cfg, char *err, size_t errlen)
{
	const char *rule = config_rule_vnc(cfg);

	if (rule) {
		if (cfg->vnc)
			snprintf(err, errlen, "--vnc %s: %s", cfg->vnc, rule);
		else
			snprintf(err, errlen, "%s", rule);
		return -1;
	}
	if (config_check_firmware(cfg, err, errlen) < 0)
		return -1;
	if (config_check_boot(cfg, err, errlen) < 0)
		return -1;
	if (!cfg->cmdline && !(cfg->cmdline = strdup("console=ttyS0")))
		goto nomem;
	/* vapic's synthetic APIC MSRs work only with the guest's APIC in x2APIC mode: offered
	 * unasked only to a Linux kernel hvkvm boots (x2APIC on a Hyper-V CPUID) without
	 * nox2apic, never to an unknown system behind firmware, which may stay in xAPIC mode. */
	if (hv_has(&cfg->hv, HV_FEAT_VAPIC) && !(cfg->hv.named & (1u << HV_FEAT_VAPIC)) &&
	    (!cfg->kernel || strstr(cfg->cmdline, "nox2apic")))
		cfg->hv.mask &= ~(1u << HV_FEAT_VAPIC);
	/* A NIC without an id is "net<its position>", or the next number nobody took. */
	for (unsigned i = 0; i < cfg->nnets; i++) {
		char id[16];

		if (cfg->nets[i].id)
			continue;
		for (unsigned n = i;; n++) {
			snprintf(id, sizeof(id), "net%u", n);
			if (!net_id_taken(cfg, id))
				break;
		}
		if (!(cfg->nets[i].id = strdup(id)))
			goto nomem;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	return -1;
}
