/* SPDX-License-Identifier: MIT */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
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

_Static_assert(NET_OFFLOAD_CSUM == TUN_F_CSUM && NET_OFFLOAD_TSO4 == TUN_F_TSO4 &&
	       NET_OFFLOAD_TSO6 == TUN_F_TSO6 && NET_OFFLOAD_TSO_ECN == TUN_F_TSO_ECN,
	       "NET_OFFLOAD_* are TUNSETOFFLOAD's flags");

static struct tap *tap_of(struct net_backend *be)
{
	return (struct tap *)be;	/* its first member */
}

static ssize_t tap_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	ssize_t r = writev(be->fd, iov, iovcnt);

	return r < 0 ? -errno : r;
}

static ssize_t tap_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	ssize_t r = readv(be->fd, iov, iovcnt);

	return r < 0 ? -errno : r;
}

static int tap_set_offload(struct net_backend *be, unsigned flags)
{
	if (tap_of(be)->is_tap && ioctl(be->fd, TUNSETOFFLOAD, (unsigned long)flags) < 0)
		return -errno;
	be->offload = flags;
	return 0;
}

static void tap_close(struct net_backend *be)
{
	if (be->fd >= 0)
		close(be->fd);
	free(tap_of(be));
}

static const struct net_backend_ops tap_ops = {
	.send = tap_send,
	.recv = tap_recv,
	.set_offload = tap_set_offload,
	.close = tap_close,
};

static struct tap *tap_alloc(void)
{
	struct tap *t = calloc(1, sizeof(*t));

	if (t) {
		t->be.ops = &tap_ops;
		t->be.name = t->name;
		t->be.fd = -1;
	}
	return t;
}

int tap_open(struct net_backend **out, const char *name, unsigned mtu, char *err, size_t errlen)
{
	struct ifreq ifr;
	bool existed;
	int vnet = NET_VNET_HDR_LEN, r;
	struct tap *t;

	*out = NULL;
	if (!*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/') || strchr(name, ' ')) {
		snprintf(err, errlen, "not a valid interface name (1 to %d characters)", IF_NAMESIZE - 1);
		return -EINVAL;
	}
	existed = if_nametoindex(name) != 0;
	t = tap_alloc();
	if (!t) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	t->be.fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->be.fd < 0) {
		r = -errno;
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(-r));
		free(t);
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(t->be.fd, TUNSETIFF, &ifr) < 0) {
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
	if (ioctl(t->be.fd, TUNSETVNETHDRSZ, &vnet) < 0 || ioctl(t->be.fd, TUNSETOFFLOAD, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "setting up its virtio-net header: %s", strerror(-r));
		goto fail;
	}
	if (t->created && (r = tap_configure(t->name, mtu)) < 0) {
		snprintf(err, errlen, "setting its MTU to %u and bringing it up: %s", mtu,
			 strerror(-r));
		goto fail;
	}
	*out = &t->be;
	return 0;
fail:
	tap_close(&t->be);
	return r;
}

struct net_backend *tap_open_fd(int fd)
{
	struct tap *t = tap_alloc();

	if (!t) {
		close(fd);
		return NULL;
	}
	t->be.fd = fd;
	snprintf(t->name, sizeof(t->name), "fd%d", fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return &t->be;
}
