/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What kind of file an fd refers to, read from the calling task's fd table. */
#ifndef IOTRACE_FD_KIND_BPF_H
#define IOTRACE_FD_KIND_BPF_H

#define IOT_S_IFMT 0170000
#define IOT_S_IFSOCK 0140000
#define IOT_S_IFREG 0100000
#define IOT_S_IFBLK 0060000
#define IOT_S_IFDIR 0040000
#define IOT_S_IFCHR 0020000
#define IOT_S_IFIFO 0010000
#define IOT_O_NONBLOCK 04000
#define IOT_ANON_INODE_FS_MAGIC 0x09041934
#define IOT_AF_UNIX 1
#define IOT_AF_INET 2
#define IOT_AF_INET6 10
#define IOT_SOCK_STREAM 1
#define IOT_SOCK_DGRAM 2

static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The kind of a socket from its address family and type. */
static __always_inline __u8 sock_kind(__u16 family, __u16 type)
{
	if (family == IOT_AF_UNIX)
		return IOT_FD_UNIX;
	if (family == IOT_AF_INET || family == IOT_AF_INET6) {
		if (type == IOT_SOCK_STREAM)
			return IOT_FD_TCP;
		if (type == IOT_SOCK_DGRAM)
			return IOT_FD_UDP;
	}
	return IOT_FD_SOCK_OTHER;
}

/* The kind of a file that is neither a socket nor an anonymous inode, from its i_mode. */
static __always_inline __u8 mode_kind(__u32 mode)
{
	switch (mode & IOT_S_IFMT) {
	case IOT_S_IFREG: return IOT_FD_REG;
	case IOT_S_IFIFO: return IOT_FD_PIPE;
	case IOT_S_IFCHR: return IOT_FD_CHR;
	case IOT_S_IFBLK: return IOT_FD_BLK;
	case IOT_S_IFDIR: return IOT_FD_DIR;
	}
	return IOT_FD_OTHER;
}

static __always_inline __u8 socket_kind(struct file *f)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (!sk)
		return IOT_FD_SOCK_OTHER;
	return sock_kind(BPF_CORE_READ(sk, __sk_common.skc_family), BPF_CORE_READ(sk, sk_type));
}

/*
 * Anonymous inodes (eventfd, epoll, timerfd, ...) share one inode and filesystem; their dentry
 * carries the name given to anon_inode_getfile(), e.g. "[eventfd]". Their i_mode has varied
 * across kernels, so the superblock magic is checked first.
 */
static __always_inline __u8 anon_name_kind(const unsigned char *name)
{
	char n[8] = {};

	bpf_probe_read_kernel(n, sizeof(n), name);
	if (n[0] != '[')
		return IOT_FD_ANON_OTHER;
	/* "[eventfd]" and "[eventpoll]" differ at index 6 */
	if (n[1] == 'e' && n[2] == 'v' && n[6] == 'f')
		return IOT_FD_EVENTFD;
	if (n[1] == 'e' && n[2] == 'v' && n[6] == 'p')
		return IOT_FD_EPOLL;
	if (n[1] == 't' && n[2] == 'i' && n[3] == 'm')
		return IOT_FD_TIMERFD;
	if (n[1] == 's' && n[2] == 'i' && n[3] == 'g')
		return IOT_FD_SIGNALFD;
	if (n[1] == 'i' && n[2] == 'o' && n[3] == '_')
		return IOT_FD_IO_URING;
	return IOT_FD_ANON_OTHER;
}

static __always_inline __u8 anon_kind(struct file *f)
{
	return anon_name_kind(BPF_CORE_READ(f, f_path.dentry, d_name.name));
}

static __always_inline __u8 file_kind(struct file *f, __u8 *nonblock)
{
	struct inode *ino;
	__u32 mode;

	if (!f)
		return IOT_FD_BAD;
	*nonblock = (BPF_CORE_READ(f, f_flags) & IOT_O_NONBLOCK) ? 1 : 0;
	ino = BPF_CORE_READ(f, f_inode);
	if (BPF_CORE_READ(ino, i_sb, s_magic) == IOT_ANON_INODE_FS_MAGIC)
		return anon_kind(f);
	mode = BPF_CORE_READ(ino, i_mode);
	if ((mode & IOT_S_IFMT) == IOT_S_IFSOCK)
		return socket_kind(f);
	return mode_kind(mode);
}

static __always_inline __u8 fd_kind(long fd, __u8 *nonblock)
{
	return file_kind(fd_file(fd), nonblock);
}

/*
 * The kfunc bpf_rdonly_cast exists from Linux 6.2 on. libbpf 1.1 (Debian 12's) resolves every
 * extern of an object at load time, even in programs set not to load and behind a check, so
 * a weak declaration cannot hide it on 6.1: the object is built a second time with
 * IOT_NO_KFUNCS, where fd_kind_btf() is fd_kind(), and probes/ loads that twin's bytes when
 * the running kernel's BTF lacks the kfunc (same maps, programs and globals).
 */
#ifdef IOT_NO_KFUNCS
static __always_inline __u8 fd_kind_btf(long fd, __u8 *nonblock)
{
	return fd_kind(fd, nonblock);
}
#else
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* As socket_kind(), with plain loads: private_data is a void pointer, so it is cast. */
static __always_inline __u8 socket_kind_btf(struct file *f)
{
	struct socket *sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	struct sock *sk = sock->sk;

	if (!sk)
		return IOT_FD_SOCK_OTHER;
	return sock_kind(sk->__sk_common.skc_family, sk->sk_type);
}

/*
 * tp_btf only: the task's BTF pointers can be walked with plain loads instead of one helper
 * call per hop (measured: ~280 ns less per call that takes an fd). Only the fd array slot
 * needs a probe read; the file is then cast to a read-only BTF pointer.
 */
static __always_inline __u8 fd_kind_btf(long fd, __u8 *nonblock)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds;
	struct file *f = NULL;
	struct inode *ino;
	__u32 mode;

	if (fd < 0 || !fdt || fd >= fdt->max_fds)
		return IOT_FD_BAD;
	fds = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return IOT_FD_BAD;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	*nonblock = (f->f_flags & IOT_O_NONBLOCK) ? 1 : 0;
	ino = f->f_inode;
	if (ino->i_sb->s_magic == IOT_ANON_INODE_FS_MAGIC)
		return anon_name_kind(f->f_path.dentry->d_name.name); /* one probe read, not three */
	mode = ino->i_mode;
	if ((mode & IOT_S_IFMT) == IOT_S_IFSOCK)
		return socket_kind_btf(f);
	return mode_kind(mode);
}

#endif /* IOT_NO_KFUNCS */

#endif
