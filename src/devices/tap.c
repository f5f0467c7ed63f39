/* SPDX-License-Identifier: MIT */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Settings of an interface only a creator may change: its MTU, and up. */
static int tap_configure(const char *name, unsigned mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
			r = -errno;
	}
	if (r == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(s);
	return r;
}

int tap_open(struct tap *t, const char *name, unsigned mtu, char *err, size_t errlen)
{
	struct ifreq ifr;
	bool existed;
	int vnet = TAP_VNET_HDR_LEN, r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/') || strchr(name, ' ')) {
		snprintf(err, errlen, "not a valid interface name (1 to %d characters)", IF_NAMESIZE - 1);
		return -EINVAL;
	}
	existed = if_nametoindex(name) != 0;
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(-r));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		if ((r == -EPERM || r == -EACCES) && !existed)
			snprintf(err, errlen,
				 "no such tap interface, and hvkvm may not create one (it needs CAP_NET_ADMIN); "
				 "create it with: ip tuntap add dev %s mode tap user $USER vnet_hdr", name);
		else if (r == -EPERM || r == -EACCES)
			snprintf(err, errlen, "permission denied (the tap belongs to another user)");
		else if (r == -EBUSY)
			snprintf(err, errlen, "in use by another process");
		else if (r == -EINVAL && existed)
			snprintf(err, errlen, "exists but is not a single-queue tap interface");
		else
			snprintf(err, errlen, "%s", strerror(-r));
		goto fail;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->is_tap = true;
	t->created = !existed;
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &vnet) < 0 || ioctl(t->fd, TUNSETOFFLOAD, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "setting up its virtio-net header: %s", strerror(-r));
		goto fail;
	}
	if (t->created && (r = tap_configure(t->name, mtu)) < 0) {
		snprintf(err, errlen, "setting its MTU to %u and bringing it up: %s", mtu,
			 strerror(-r));
		goto fail;
	}
	return 0;
fail:
	close(t->fd);
	t->fd = -1;
	return r;
}

void tap_open_fd(struct tap *t, int fd)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "fd%d", fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int tap_set_offload(struct tap *t, unsigned flags)
{
	if (t->is_tap && ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)flags) < 0)
		return -errno;
	t->offload = flags;
	return 0;
}
