/*
 * linux-bench: the Linux baseline for Vectra's benchmark figures.
 *
 * Runs as /init of an initramfs booted by scripts/bench-linux under QEMU TCG
 * with -icount shift=0,align=off,sleep=off. In that mode the guest TSC
 * advances by exactly one per guest instruction (plus any virtual time the
 * clock is warped forward while the CPU idles), so every rdtsc delta below is
 * a deterministic instruction count: unit=insn.
 *
 * Each figure is printed as one line:
 *     bench linux_<name> unit=insn median=<n> p99=<n> min=<n> n=<iterations>
 * after a warm-up, with the cost of an empty measurement (itself reported as
 * linux_rdtsc_overhead) subtracted from every sample. The line
 * "linux-bench: done" ends a complete run; "linux-bench: error: ..." reports
 * a failure. As PID 1 the program then resets the machine (QEMU runs with
 * -no-reboot, so it exits).
 *
 * Run as an ordinary process on a host it prints the same lines with
 * unit=tsc (TSC ticks, not instructions) and does not reboot: a smoke test.
 *
 * The program to exec is /bin/linux-tiny, or $LINUX_BENCH_TINY when set. The
 * arguments are ignored: as /init they are the kernel command-line words the
 * kernel did not recognise (nokaslr, say). One exception, run on the host by
 * scripts/bench-linux: `linux-bench --make-disk PATH` writes the block
 * benchmark's disk image (disk_word below) and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <malloc.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/*
 * Measured iterations per figure; each figure first runs a tenth as many to
 * warm up, except the ping-pongs, whose warm-up is long enough to reach the
 * scheduler's steady state (see bench_pipe). The whole run is about 3 G
 * guest instructions, some 10 s of TCG.
 */
enum {
	N_OVERHEAD = 10000,
	N_GETPPID = 100000,
	N_PINGPONG = 20000,
	WARM_PINGPONG = 5000,
	N_SPAWN = 2000,
	N_FAULT = 20000,
	N_SIGSEGV = 20000,
	ECHO_MAX = 4096,
};

static uint64_t boot_tsc;
static const char *unit = "insn";
static const char *tiny_path = "/bin/linux-tiny";
static uint64_t overhead;

/* lfence on both sides keeps rdtsc from moving across the measured code. */
static inline uint64_t tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static void finish(int status);

static void fail(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	printf("linux-bench: error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (err != 0)
		printf(" (%s)", strerror(err));
	printf("\n");
	finish(1);
}

static void finish(int status)
{
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_AUTOBOOT);
		for (;;)
			pause();
	}
	exit(status);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts s[0..n) and prints one figure line. */
static void report(const char *name, uint64_t *s, size_t n)
{
	size_t p99 = (n * 99 + 99) / 100; /* nearest rank: ceil(0.99 n) */

	qsort(s, n, sizeof *s, cmp_u64);
	printf("bench linux_%s unit=%s median=%llu p99=%llu min=%llu n=%zu\n", name, unit,
	       (unsigned long long)s[n / 2], (unsigned long long)s[p99 - 1],
	       (unsigned long long)s[0], n);
	fflush(stdout);
}

static uint64_t *samples(size_t n)
{
	uint64_t *s = calloc(n, sizeof *s);
	if (!s)
		fail("out of memory for %zu samples", n);
	return s;
}

/* Raw delta minus the empty-measurement cost (never below zero). */
static uint64_t net(uint64_t t0, uint64_t t1)
{
	uint64_t d = t1 - t0;
	return d > overhead ? d - overhead : 0;
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		fail("sched_setaffinity");
}

static void bench_overhead(void)
{
	uint64_t *s = samples(N_OVERHEAD);

	for (size_t i = 0; i < N_OVERHEAD; i++) {
		uint64_t t0 = tsc();
		uint64_t t1 = tsc();
		s[i] = t1 - t0;
	}
	report("rdtsc_overhead", s, N_OVERHEAD); /* sorts: s[0] is the minimum */
	overhead = s[0];
	free(s);
}

static void bench_getppid(void)
{
	uint64_t *s = samples(N_GETPPID);

	for (size_t i = 0; i < N_GETPPID / 10; i++)
		syscall(SYS_getppid);
	for (size_t i = 0; i < N_GETPPID; i++) {
		uint64_t t0 = tsc();
		syscall(SYS_getppid); /* raw: no libc wrapper logic or cache */
		uint64_t t1 = tsc();
		s[i] = net(t0, t1);
	}
	report("getppid", s, N_GETPPID);
	free(s);
}

static pid_t xfork(void)
{
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		fail("waitpid (%s)", what);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = 0;
		fail("%s child ended with status 0x%x", what, st);
	}
}

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		fail("write fd %d", fd);
}

static void xread(int fd, void *buf, size_t len)
{
	if (read(fd, buf, len) != (ssize_t)len)
		fail("read fd %d", fd);
}

/* A pipe may hand a large message over in pieces: read until len bytes. */
static void xread_all(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r <= 0)
			fail("read fd %d", fd);
		got += (size_t)r;
	}
}

/*
 * Pipe round trip: the parent writes one byte into to_child, the child reads
 * it and writes one byte back into to_parent, the parent reads it.
 *
 * All three ping-pongs have two modes under CFS. For up to a thousand or so
 * round trips after the fork the woken process may preempt the waker at once
 * (wakeup preemption: its vruntime lags by more than the 1 ms wakeup
 * granularity); once the vruntimes have converged the woken process waits
 * until the waker blocks, which costs 2,000-3,500 more instructions per round
 * trip and lasts (with the granularity raised to 100 ms every round trip
 * costs that). The warm-up of WARM_PINGPONG round trips puts every sample in
 * that steady state.
 */
static void bench_pipe(const char *name, size_t len)
{
	int to_child[2], to_parent[2];
	size_t total = N_PINGPONG + WARM_PINGPONG;
	uint64_t *s = samples(N_PINGPONG);
	static char buf[ECHO_MAX];

	if (pipe(to_child) || pipe(to_parent))
		fail("pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		for (size_t i = 0; i < total; i++) {
			xread_all(to_child[0], buf, len);
			xwrite(to_parent[1], buf, len);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	memset(buf, 'x', len);
	for (size_t i = 0; i < total; i++) {
		uint64_t t0 = tsc();
		xwrite(to_child[1], buf, len);
		xread_all(to_parent[0], buf, len);
		uint64_t t1 = tsc();
		if (i >= total - N_PINGPONG)
			s[i - (total - N_PINGPONG)] = net(t0, t1);
	}
	reap(pid, "pipe");
	close(to_child[1]);
	close(to_parent[0]);
	report(name, s, N_PINGPONG);
	free(s);
}

/* Eventfd round trip: one eventfd per direction, write 1 then read it back. */
static void bench_eventfd(void)
{
	int to_child = eventfd(0, 0), to_parent = eventfd(0, 0);
	size_t total = N_PINGPONG + WARM_PINGPONG;
	uint64_t *s = samples(N_PINGPONG);
	uint64_t v = 1;

	if (to_child < 0 || to_parent < 0)
		fail("eventfd");
	pid_t pid = xfork();
	if (pid == 0) {
		for (size_t i = 0; i < total; i++) {
			xread(to_child, &v, sizeof v);
			v = 1;
			xwrite(to_parent, &v, sizeof v);
		}
		_exit(0);
	}
	for (size_t i = 0; i < total; i++) {
		uint64_t t0 = tsc();
		v = 1;
		xwrite(to_child, &v, sizeof v);
		xread(to_parent, &v, sizeof v);
		uint64_t t1 = tsc();
		if (i >= total - N_PINGPONG)
			s[i - (total - N_PINGPONG)] = net(t0, t1);
	}
	reap(pid, "eventfd");
	close(to_child);
	close(to_parent);
	report("eventfd_rtt", s, N_PINGPONG);
	free(s);
}

/* Shared (not private) futex ops: the words live in a MAP_SHARED mapping. */
static void futex_wait(uint32_t *word, uint32_t val)
{
	if (syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0) != 0 && errno != EAGAIN &&
	    errno != EINTR)
		fail("futex wait");
}

static void futex_wake(uint32_t *word)
{
	if (syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0)
		fail("futex wake");
}

/* Posts sequence number seq into word and wakes its waiter. */
static void futex_post(uint32_t *word, uint32_t seq)
{
	__atomic_store_n(word, seq, __ATOMIC_RELEASE);
	futex_wake(word);
}

/* Sleeps until word holds seq. */
static void futex_await(uint32_t *word, uint32_t seq)
{
	uint32_t v;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != seq)
		futex_wait(word, v);
}

/*
 * Futex round trip: the parent posts i into word 0 and waits for i in word 1;
 * the child waits for i in word 0 and posts it into word 1.
 */
static void bench_futex(void)
{
	size_t total = N_PINGPONG + WARM_PINGPONG;
	uint64_t *s = samples(N_PINGPONG);
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (w == MAP_FAILED)
		fail("mmap shared futex page");
	w[0] = w[1] = 0;
	pid_t pid = xfork();
	if (pid == 0) {
		for (uint32_t i = 1; i <= total; i++) {
			futex_await(&w[0], i);
			futex_post(&w[1], i);
		}
		_exit(0);
	}
	for (uint32_t i = 1; i <= total; i++) {
		uint64_t t0 = tsc();
		futex_post(&w[0], i);
		futex_await(&w[1], i);
		uint64_t t1 = tsc();
		if (i > total - N_PINGPONG)
			s[i - 1 - (total - N_PINGPONG)] = net(t0, t1);
	}
	reap(pid, "futex");
	munmap(w, 4096);
	report("futex_rtt", s, N_PINGPONG);
	free(s);
}

/*
 * The kernel's own part of the boot: the printk timestamp of "Run /init as
 * init process", in nanoseconds of the kernel's clock, which reads zero until
 * the kernel calibrates the TSC early in setup_arch and counts TSC ticks from
 * there. With the icount TSC at 1 GHz a nanosecond is one instruction (to
 * the calibration error, a few parts per million, and the microsecond
 * resolution of the log). The decompressor and the firmware before it are
 * not included: boot_to_init minus this is their share. Returns 0 if the
 * message is not found.
 */
static uint64_t kernel_to_init(void)
{
	size_t size = 1 << 20; /* the log buffer holds at most this much */
	char *buf = malloc(size);
	unsigned long sec = 0, usec = 0;
	uint64_t ns = 0;

	if (!buf)
		fail("out of memory for the kernel log");
	int len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, (int)size - 1);
	if (len >= 0) {
		buf[len] = 0;
		char *m = strstr(buf, "] Run /init as init process");
		while (m && m > buf && m[-1] != '[')
			m--;
		if (m && sscanf(m, "%lu.%lu", &sec, &usec) == 2)
			ns = (uint64_t)sec * 1000000000u + (uint64_t)usec * 1000u;
	}
	free(buf); /* returned to the kernel: fork copies no more than it must */
	return ns;
}

/* fork, exec the tiny program in the child, wait for it in the parent. */
static void bench_fork_exec(void)
{
	size_t total = N_SPAWN + N_SPAWN / 10;
	uint64_t *s = samples(N_SPAWN);
	char *argv[] = {(char *)tiny_path, NULL};

	for (size_t i = 0; i < total; i++) {
		uint64_t t0 = tsc();
		pid_t pid = fork();
		if (pid == 0) {
			execve(tiny_path, argv, environ);
			printf("linux-bench: error: execve %s: %s\n", tiny_path, strerror(errno));
			fflush(stdout);
			_exit(127);
		}
		if (pid < 0)
			fail("fork");
		reap(pid, "fork+exec");
		uint64_t t1 = tsc();
		if (i >= total - N_SPAWN)
			s[i - (total - N_SPAWN)] = net(t0, t1);
	}
	report("fork_exec_wait", s, N_SPAWN);
	free(s);
}

/* posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK) + exec) of path, then
 * wait. */
static void bench_posix_spawn_of(const char *name, const char *tiny_path)
{
	size_t total = N_SPAWN + N_SPAWN / 10;
	uint64_t *s = samples(N_SPAWN);
	char *argv[] = {(char *)tiny_path, NULL};

	for (size_t i = 0; i < total; i++) {
		pid_t pid;
		uint64_t t0 = tsc();
		int err = posix_spawn(&pid, tiny_path, NULL, NULL, argv, environ);
		if (err != 0) {
			errno = err;
			fail("posix_spawn %s", tiny_path);
		}
		reap(pid, "posix_spawn");
		uint64_t t1 = tsc();
		if (i >= total - N_SPAWN)
			s[i - (total - N_SPAWN)] = net(t0, t1);
	}
	report(name, s, N_SPAWN);
	free(s);
}

static void bench_posix_spawn(void)
{
	bench_posix_spawn_of("posix_spawn_wait", tiny_path);
	/* the 8 MiB program of kbench's spawn_8m (linux-big), when present */
	const char *big = getenv("LINUX_BENCH_BIG") ? getenv("LINUX_BENCH_BIG") : "/bin/linux-big";
	if (access(big, X_OK) == 0)
		bench_posix_spawn_of("posix_spawn_8m_wait", big);
}

/*
 * Minor page fault: the first write to each page of a fresh private anonymous
 * mapping (allocate a zeroed page, map it). Transparent huge pages are turned
 * off for the region so every 4 KiB page faults on its own.
 */
static void bench_page_fault(void)
{
	size_t warm = N_FAULT / 10, total = N_FAULT + warm, len = total * 4096;
	uint64_t *s = samples(N_FAULT);
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap %zu bytes", len);
	if (madvise((void *)p, len, MADV_NOHUGEPAGE) != 0)
		fail("madvise MADV_NOHUGEPAGE");
	for (size_t i = 0; i < total; i++) {
		uint64_t t0 = tsc();
		p[i * 4096] = 1;
		uint64_t t1 = tsc();
		if (i >= warm)
			s[i - warm] = net(t0, t1);
	}
	munmap((void *)p, len);
	report("page_fault", s, N_FAULT);
	free(s);
}

/*
 * SIGSEGV to handler, the counterpart of Vectra's fault_to_supervisor: the
 * TSC is read, then a load from a PROT_NONE page faults; the sample ends
 * with the TSC read as the handler's first statement (the kernel's fault
 * path, the signal frame, the handler's entry). The handler then moves the
 * saved RIP past the load (not measured, nor is the sigreturn).
 */
static volatile uint64_t t_handler;
extern const char fault_load[], fault_resume[];

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	t_handler = tsc();
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	if (uc->uc_mcontext.gregs[REG_RIP] != (greg_t)fault_load)
		_exit(3); /* a fault we did not plan: never continue */
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)fault_resume;
}

static void bench_sigsegv(void)
{
	size_t warm = N_SIGSEGV / 10, total = N_SIGSEGV + warm;
	uint64_t *s = samples(N_SIGSEGV);
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};

	if (page == MAP_FAILED)
		fail("mmap PROT_NONE page");
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0)
		fail("sigaction SIGSEGV");
	for (size_t i = 0; i < total; i++) {
		t_handler = 0;
		uint64_t t0 = tsc();
		__asm__ volatile("fault_load: movb (%0), %%al\n"
				 "fault_resume:"
				 : : "r"(page) : "rax", "memory");
		if (t_handler == 0) {
			errno = 0;
			fail("the load from a PROT_NONE page did not fault");
		}
		if (i >= warm)
			s[i - warm] = net(t0, t_handler);
	}
	signal(SIGSEGV, SIG_DFL);
	munmap(page, 4096);
	report("sigsegv_to_handler", s, N_SIGSEGV);
	free(s);
}

/* One byte of data with room for one descriptor beside it. */
struct fd_msg {
	char c;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh;
};

static void fd_msg_init(struct fd_msg *m)
{
	m->c = 'f';
	m->iov = (struct iovec){&m->c, 1};
	m->mh = (struct msghdr){.msg_iov = &m->iov, .msg_iovlen = 1, .msg_control = m->u.buf,
				.msg_controllen = sizeof m->u.buf};
}

/* Sends fd over the socket with SCM_RIGHTS. */
static void send_fd(int sock, int fd)
{
	struct fd_msg m;

	fd_msg_init(&m);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m.mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(sock, &m.mh, 0) != 1)
		fail("sendmsg SCM_RIGHTS");
}

/* Receives one descriptor sent by send_fd: it is in our table on return. */
static int recv_fd(int sock)
{
	struct fd_msg m;
	int fd;

	fd_msg_init(&m);
	if (recvmsg(sock, &m.mh, 0) != 1)
		fail("recvmsg SCM_RIGHTS");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m.mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = 0;
		fail("recvmsg: no descriptor came");
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

/*
 * Descriptor passing, the counterpart of Vectra's cap_transfer: the parent
 * sends a descriptor (of a memfd, as Vectra moves a frame) over a Unix
 * socket pair with SCM_RIGHTS; one way ends when the child's recvmsg has
 * put it in its table (the child reads the TSC there into a shared page);
 * the round trip when the child has sent it back and the parent holds it.
 * Each side closes its received descriptor after the sample (Vectra moves
 * the capability, so nothing is left to close).
 */
static void bench_scm_rights(void)
{
	size_t total = N_PINGPONG + WARM_PINGPONG;
	uint64_t *one = samples(N_PINGPONG), *rtt = samples(N_PINGPONG);
	volatile uint64_t *t_child = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int sv[2], mfd = memfd_create("linux-bench", 0);

	if (t_child == MAP_FAILED || mfd < 0 || ftruncate(mfd, 4096) != 0)
		fail("shared page or memfd");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		fail("socketpair");
	pid_t pid = xfork();
	if (pid == 0) {
		close(sv[0]);
		for (size_t i = 0; i < total; i++) {
			int fd = recv_fd(sv[1]);
			*t_child = tsc();
			send_fd(sv[1], fd);
			close(fd);
		}
		_exit(0);
	}
	close(sv[1]);
	for (size_t i = 0; i < total; i++) {
		uint64_t t0 = tsc();
		send_fd(sv[0], mfd);
		int fd = recv_fd(sv[0]);
		uint64_t t1 = tsc();
		close(fd);
		if (i >= total - N_PINGPONG) {
			one[i - (total - N_PINGPONG)] = net(t0, *t_child);
			rtt[i - (total - N_PINGPONG)] = net(t0, t1);
		}
	}
	reap(pid, "scm_rights");
	close(sv[0]);
	close(mfd);
	munmap((void *)t_child, 4096);
	report("scm_rights", one, N_PINGPONG);
	report("scm_rights_rtt", rtt, N_PINGPONG);
	free(one);
	free(rtt);
}

/* ---- the block device (virtio-blk) -------------------------------------- */

/*
 * The disk: a raw image of DISK_BYTES whose little-endian 64-bit word at byte
 * offset 8k is disk_word(k) (splitmix64's output for counter k), so any read
 * can be checked without a copy of the image. scripts/bench-linux makes it
 * with --make-disk; Vectra's bench reads the same file.
 */
enum {
	DISK_BYTES = 64 << 20,
	BLK_4K = 4096,
	BLK_1M = 1 << 20,
	N_BLK4K = 2000,
	N_BLK1M = 128, /* two passes over the disk */
	SPIN_INSNS = 6, /* instructions per iteration of spin_loop */
};

static uint64_t splitmix64(uint64_t k)
{
	uint64_t z = (k + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t disk_word(uint64_t k)
{
	return splitmix64(k);
}

/* The block the i-th 4 KiB request reads (warm-up included). */
static uint64_t rand_block(uint64_t i)
{
	return splitmix64(((uint64_t)1 << 32) + i) % (DISK_BYTES / BLK_4K);
}

static int make_disk(const char *path)
{
	static uint64_t chunk[BLK_1M / 8];
	FILE *f = fopen(path, "wb");

	if (!f) {
		perror(path);
		return 1;
	}
	for (uint64_t base = 0; base < DISK_BYTES / 8; base += BLK_1M / 8) {
		for (size_t j = 0; j < BLK_1M / 8; j++)
			chunk[j] = disk_word(base + j); /* x86-64: stored little-endian */
		if (fwrite(chunk, 1, sizeof chunk, f) != sizeof chunk) {
			perror(path);
			return 1;
		}
	}
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/* A read of len bytes at byte offset off must hold the disk's words. */
static void check_read(const uint64_t *buf, uint64_t off, size_t len)
{
	for (size_t j = 0; j < len / 8; j++)
		if (buf[j] != disk_word(off / 8 + j)) {
			errno = 0;
			fail("/dev/vda: wrong data at byte %llu (read of %zu at %llu)",
			     (unsigned long long)(off + 8 * j), len, (unsigned long long)off);
		}
}

/*
 * The modules virtio-blk needs (Debian builds virtio, virtio_pci and
 * virtio_blk as modules): scripts/bench-linux puts them in /lib/modules with
 * their load order, dependencies first, in /lib/modules/load (one file name
 * a line). Loaded with finit_module, as modprobe would.
 */
static void load_modules(void)
{
	char name[256], path[300];
	FILE *f = fopen("/lib/modules/load", "r");

	if (!f)
		fail("/lib/modules/load");
	while (fgets(name, sizeof name, f)) {
		name[strcspn(name, "\n")] = 0;
		if (!name[0])
			continue;
		snprintf(path, sizeof path, "/lib/modules/%s", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open %s", path);
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			fail("finit_module %s", path);
		close(fd);
	}
	fclose(f);
}

/*
 * Under icount, a halted CPU does not count instructions but its TSC is
 * moved forward to the next timer (sleep=off), by an amount that depends on
 * when the host's read completes. So while the benchmark waits for the disk,
 * the CPU never halts: a SCHED_IDLE thread runs spin_loop, which stores the
 * TSC and counts its iterations (SPIN_INSNS instructions each). A sample is
 * the TSC delta minus the spinner's instructions in it: the instructions
 * the CPU executed for the request, whatever the host's latency. The
 * spinner's last TSC before the client wakes is when the completion's
 * interrupt arrived.
 */
struct spin {
	volatile uint64_t tsc, count;
};

static struct spin spin;

static void *spin_loop(void *arg)
{
	struct sched_param sp = {0};

	(void)arg;
	if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0)
		fail("sched_setscheduler SCHED_IDLE");
	__asm__ volatile("1: rdtsc\n\t"
			 "shl $32, %%rdx\n\t"
			 "or %%rdx, %%rax\n\t"
			 "mov %%rax, (%0)\n\t"
			 "incq 8(%0)\n\t"
			 "jmp 1b"
			 : : "r"(&spin) : "rax", "rdx", "memory");
	return NULL;
}

/*
 * Instructions of one read, without the spinner's; *irq_to_wake is the
 * instructions from the spinner's last TSC (the interrupt) to pread's
 * return, or 0 if the spinner did not run (the client never slept).
 */
static uint64_t timed_pread(int fd, void *buf, size_t len, uint64_t off, uint64_t *irq_to_wake)
{
	uint64_t c0 = spin.count;
	uint64_t t0 = tsc();
	ssize_t r = pread(fd, buf, len, (off_t)off);
	uint64_t t1 = tsc();
	uint64_t spun = (spin.count - c0) * SPIN_INSNS;

	if (r != (ssize_t)len)
		fail("pread %zu bytes at %llu of /dev/vda returned %zd", len, (unsigned long long)off, r);
	*irq_to_wake = spun ? t1 - spin.tsc : 0;
	if (spun > t1 - t0) {
		errno = 0;
		fail("the spinner ran longer than the read");
	}
	return net(t0, t1 - spun);
}

/*
 * Under TCG the host's read (a thread of QEMU's) races the guest: now and
 * then it completes before the client has gone to sleep, and the client
 * finds its request done without an interrupt-driven wake. On any real
 * disk the client sleeps, and so it will in Vectra's figures, so those
 * samples are left out of the figures and only counted: a sample is a
 * request from pread to its return through the completion's interrupt and
 * the client's wake-up.
 */
/* Requests vda has completed so far (/proc/diskstats' "reads completed"). */
static uint64_t disk_requests(void)
{
	char line[512], name[32];
	unsigned long long reads;
	uint64_t n = 0;
	FILE *f = fopen("/proc/diskstats", "r");

	if (!f)
		fail("/proc/diskstats");
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%*u %*u %31s %llu", name, &reads) == 2 && strcmp(name, "vda") == 0)
			n = reads;
	fclose(f);
	return n;
}

/* Interrupts the disk has raised so far (/proc/interrupts' virtio0 lines). */
static uint64_t disk_irqs(void)
{
	char line[512];
	uint64_t total = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		fail("/proc/interrupts");
	while (fgets(line, sizeof line, f))
		if (strstr(line, "virtio0-req")) {
			char *end = strchr(line, ':');
			total += end ? strtoull(end + 1, NULL, 10) : 0;
		}
	fclose(f);
	return total;
}

struct blk_samples {
	uint64_t *insn, *irq;
	size_t n, fast;
};

static void blk_sample(struct blk_samples *b, uint64_t insn, uint64_t irq)
{
	if (irq == 0) {
		b->fast++;
		return;
	}
	b->insn[b->n] = insn;
	b->irq[b->n++] = irq;
}

static void bench_blk(void)
{
	struct blk_samples r4 = {samples(N_BLK4K), samples(N_BLK4K), 0, 0};
	struct blk_samples r1 = {samples(N_BLK1M), samples(N_BLK1M), 0, 0};
	uint64_t size = 0, irq;
	pthread_t th;

	load_modules();
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, "") != 0)
		fail("mount devtmpfs on /dev");
	if (mount("proc", "/proc", "proc", 0, "") != 0)
		fail("mount proc on /proc");
	int fd = open("/dev/vda", O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		fail("open /dev/vda (is the disk attached?)");
	if (ioctl(fd, BLKGETSIZE64, &size) != 0 || size != DISK_BYTES) {
		errno = 0;
		fail("/dev/vda holds %llu bytes, not %d", (unsigned long long)size, DISK_BYTES);
	}
	uint64_t *buf = mmap(NULL, BLK_1M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail("mmap the read buffer");
	memset(buf, 0, BLK_1M); /* every page present before the first sample */
	if (pthread_create(&th, NULL, spin_loop, NULL) != 0)
		fail("pthread_create (spinner)");

	/* Requests until N samples slept (bounded: a host too fast fails). */
	uint64_t irq0 = disk_irqs(), vreq0 = disk_requests();
	size_t req4 = 0, req1 = 0;
	for (size_t i = 0; r4.n < N_BLK4K; i++) {
		uint64_t off = rand_block(i) * BLK_4K;
		if (i == 10 * N_BLK4K) {
			errno = 0;
			fail("%zu of %zu 4 KiB reads completed before the client slept", r4.fast, i);
		}
		memset(buf, 0, BLK_4K);
		req4++;
		uint64_t d = timed_pread(fd, buf, BLK_4K, off, &irq);
		check_read(buf, off, BLK_4K);
		if (i >= N_BLK4K / 10)
			blk_sample(&r4, d, irq);
	}
	uint64_t irq1 = disk_irqs(), vreq1 = disk_requests();
	for (size_t i = 0; r1.n < N_BLK1M; i++) {
		uint64_t off = (uint64_t)i * BLK_1M % DISK_BYTES;
		if (i == 10 * N_BLK1M) {
			errno = 0;
			fail("%zu of %zu 1 MiB reads completed before the client slept", r1.fast, i);
		}
		buf[0] = buf[BLK_1M / 8 - 1] = 0;
		req1++;
		uint64_t d = timed_pread(fd, buf, BLK_1M, off, &irq);
		check_read(buf, off, BLK_1M);
		if (i >= N_BLK1M / 16)
			blk_sample(&r1, d, irq);
	}
	uint64_t irq2 = disk_irqs(), vreq2 = disk_requests();
	printf("linux-bench: blk: left out (completed before the client slept): "
	       "%zu 4 KiB reads, %zu 1 MiB reads; per read, disk interrupts: 4 KiB %.2f, 1 MiB %.2f; "
	       "virtio requests: 4 KiB %.2f, 1 MiB %.2f\n",
	       r4.fast, r1.fast, (double)(irq1 - irq0) / req4, (double)(irq2 - irq1) / req1,
	       (double)(vreq1 - vreq0) / req4, (double)(vreq2 - vreq1) / req1);
	report("blk_read4k_random", r4.insn, r4.n);
	report("blk_irq_to_wake", r4.irq, r4.n);
	report("blk_read1m_seq", r1.insn, r1.n);
	close(fd);
	free(r4.insn);
	free(r4.irq);
	free(r1.insn);
	free(r1.irq);
	/* the spinner runs until the reboot */
}

/*
 * The network figures (scripts/bench, bench/netpeer.py): the counterparts
 * of user/apps/nettools/bench.c. eth0 (virtio_net, loaded with the disk's modules) gets
 * 10.0.2.15/24 by ioctl, as QEMU's user network would give by DHCP; three
 * and two servers, driven from the host's 127.0.0.1 through hostfwd:
 *
 *   net_udp_rtt          a TFTP read from QEMU's server (10.0.2.2:69): one
 *                        512-byte block's arrival to the next, its ACK sent
 *   net_tcp_accept       TCP port 7001: accept, read to EOF, close; one
 *                        accept to the next
 *   net_tcp_bulk_per_mib TCP port 7002: 17 MiB read (64 KiB reads) to EOF;
 *                        a sample per MiB after the first
 *
 * The counts are netpeer's. Samples are the TSC delta less the spinner's
 * instructions (it runs from bench_blk on), as the disk's are.
 */
enum {
	N_UDP = 2000, WARM_UDP = 200,
	N_CONN = 200, WARM_CONN = 20,
	BULK_MIB = 16,
};

struct mark {
	uint64_t tsc, spun;
};

static struct mark mark_now(void)
{
	struct mark m = {tsc(), spin.count};
	return m;
}

static uint64_t between(struct mark a, struct mark b)
{
	uint64_t spun = (b.spun - a.spun) * SPIN_INSNS;

	if (spun > b.tsc - a.tsc) {
		errno = 0;
		fail("the spinner ran longer than the sample");
	}
	return b.tsc - a.tsc - spun;
}

static void if_set(int fd, unsigned long req, struct ifreq *ifr, const char *what)
{
	if (ioctl(fd, req, ifr) != 0)
		fail("eth0: %s", what);
}

static void eth0_up(void)
{
	struct ifreq ifr;
	struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket");
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "eth0");
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0x0a00020f); /* 10.0.2.15 */
	if_set(fd, SIOCSIFADDR, &ifr, "SIOCSIFADDR");
	a->sin_addr.s_addr = htonl(0xffffff00);
	if_set(fd, SIOCSIFNETMASK, &ifr, "SIOCSIFNETMASK");
	if_set(fd, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if_set(fd, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS");
	close(fd);
}

static int server(int type, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) != 0))
		fail("server on port %d", port);
	return fd;
}

static void bench_net(void)
{
	static char buf[65536];
	uint64_t *su = samples(N_UDP), *sc = samples(N_CONN), *sb = samples(BULK_MIB);
	size_t nu = 0, nc = 0, nb = 0;
	struct mark prev = {0, 0};

	eth0_up();
	/* UDP: a TFTP read from QEMU's server, as user/apps/nettools/bench.c's */
	struct sockaddr_in tftp = {.sin_family = AF_INET, .sin_port = htons(69),
				   .sin_addr.s_addr = htonl(0x0a000202)}; /* 10.0.2.2 */
	static const char rrq[] = "\0\1netbench.bin\0octet";
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u < 0 || connect(u, (struct sockaddr *)&tftp, sizeof tftp) != 0)
		fail("udp socket to 10.0.2.2:69");
	if (write(u, rrq, sizeof rrq) != (ssize_t)sizeof rrq)
		fail("TFTP request");
	for (unsigned block = 1;; block++) {
		ssize_t n = read(u, buf, sizeof buf);
		if (n < 0)
			fail("udp read");
		if (n < 4 || buf[1] != 3 || (unsigned)((uint8_t)buf[2] << 8 | (uint8_t)buf[3]) != (block & 0xffff)) {
			errno = 0;
			fail("TFTP: not block %u (%zd bytes)", block, n);
		}
		struct mark m = mark_now();
		if (block > WARM_UDP + 1 && nu < N_UDP)
			su[nu++] = between(prev, m);
		prev = m;
		char ack[4] = {0, 4, buf[2], buf[3]};
		if (write(u, ack, 4) != 4)
			fail("TFTP ACK");
		if (n < 516)
			break;
	}
	close(u);
	if (nu < N_UDP) {
		errno = 0;
		fail("TFTP: only %zu blocks", nu);
	}
	report("net_udp_rtt", su, nu);
	int lc = server(SOCK_STREAM, 7001), lb = server(SOCK_STREAM, 7002);
	printf("linux-bench: net ready\n");
	for (size_t i = 0; i <= N_CONN + WARM_CONN; i++) {
		int c = accept4(lc, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			fail("accept");
		struct mark m = mark_now();
		if (i > WARM_CONN)
			sc[nc++] = between(prev, m);
		prev = m;
		ssize_t n;
		while ((n = read(c, buf, sizeof buf)) > 0)
			;
		if (n < 0)
			fail("read");
		close(c);
	}
	int c = accept4(lb, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		fail("accept");
	uint64_t got = 0, next = BLK_1M;
	ssize_t n;
	while ((n = read(c, buf, sizeof buf)) > 0) {
		got += (uint64_t)n;
		if (got >= next) {
			struct mark m = mark_now();
			if (next > BLK_1M && nb < BULK_MIB)
				sb[nb++] = between(prev, m);
			prev = m;
			next += BLK_1M;
		}
	}
	if (n < 0 || nb < BULK_MIB)
		fail("the bulk connection carried %llu bytes", (unsigned long long)got);
	close(c);
	report("net_tcp_accept", sc, nc);
	report("net_tcp_bulk_per_mib", sb, nb);
	close(lc);
	close(lb);
	free(su);
	free(sc);
	free(sb);
}

int main(int argc, char **argv)
{
	/* First thing: instructions from machine reset to here (icount TSC). */
	boot_tsc = tsc();

	if (argc == 3 && strcmp(argv[1], "--make-disk") == 0)
		return make_disk(argv[2]);

	if (getenv("LINUX_BENCH_TINY"))
		tiny_path = getenv("LINUX_BENCH_TINY");
	if (getpid() != 1)
		unit = "tsc";
	/*
	 * Serve every larger allocation by mmap and give it back on free, with
	 * no dynamic threshold: freed sample buffers must not stay resident in
	 * the heap, or the fork figures would grow with what ran before them.
	 */
	mallopt(M_MMAP_THRESHOLD, 16384);
	mallopt(M_TRIM_THRESHOLD, 65536);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_to_cpu0();
	printf("linux-bench: start\n");

	if (getpid() == 1) {
		uint64_t boot = boot_tsc, kernel = kernel_to_init();
		report("boot_to_init", &boot, 1);
		if (kernel == 0)
			fail("no \"Run /init\" timestamp in the kernel log");
		report("kernel_to_init", &kernel, 1);
	}

	bench_overhead();
	bench_getppid();
	bench_pipe("pipe_rtt", 1);
	bench_pipe("pipe_rtt_1k", 1024);
	bench_pipe("pipe_rtt_4k", 4096);
	bench_eventfd();
	bench_futex();
	bench_fork_exec();
	bench_posix_spawn();
	bench_page_fault();
	bench_sigsegv();
	bench_scm_rights();
	if (getpid() == 1)
		bench_blk(); /* its spinner thread keeps running */
	if (getpid() == 1)
		bench_net(); /* last: after the spinner has started */

	printf("linux-bench: done\n");
	finish(0);
	return 0;
}
