// Linux I/O calls that Swift's Glibc module does not expose (epoll, eventfd, timerfd) and the variadic
// ioctls Swift cannot call directly. Part of libc: nothing extra to link.
#ifndef FLOORLINK_CLINUXIO_SHIM_H
#define FLOORLINK_CLINUXIO_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <spawn.h>
#include <termios.h>
#include <time.h>

/// prctl(PR_SET_NAME): names the calling thread (15 bytes at most), as `top -H`, `ps -L` and /proc/PID/task/TID/comm
/// show it. (pthread_setname_np is declared only under _GNU_SOURCE; prctl is variadic, which Swift cannot call.)
static inline int floorlink_thread_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
/// ioctl(fd, TIOCEXCL): refuse further opens of this tty by non-root processes.
static inline int floorlink_tty_set_exclusive(int fd) { return ioctl(fd, TIOCEXCL); }
/// ioctl(fd, TIOCOUTQ): bytes still waiting in the output queue.
static inline int floorlink_tty_output_queue(int fd, int *count) { return ioctl(fd, TIOCOUTQ, count); }
/// ioctl(master, TIOCGPTN): the N of a pseudo-terminal's /dev/pts/N (thread-safe, unlike ptsname's static buffer).
static inline int floorlink_pty_number(int master, unsigned int *number) { return ioctl(master, TIOCGPTN, number); }
/// The epoll_data fd of an event, without touching the packed union from Swift.
static inline int floorlink_epoll_event_fd(const struct epoll_event *event) { return event->data.fd; }
static inline unsigned int floorlink_epoll_event_mask(const struct epoll_event *event) { return event->events; }
static inline int floorlink_epoll_ctl(int epfd, int op, int fd, unsigned int events) {
    struct epoll_event event = { .events = events, .data = { .fd = fd } };
    return epoll_ctl(epfd, op, fd, &event);
}

/// timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK): a timer the I/O loop waits on like any descriptor.
static inline int floorlink_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK); }
/// timerfd_settime(fd, TFD_TIMER_ABSTIME, …): fire once at the CLOCK_MONOTONIC instant `seconds`.`nanoseconds`
/// (an instant already past fires at once; never 0.0, which would disarm the timer).
static inline int floorlink_timerfd_fire_at(int fd, long long seconds, long nanoseconds) {
    struct itimerspec value = { .it_interval = { 0, 0 }, .it_value = { (time_t)seconds, nanoseconds } };
    if (value.it_value.tv_sec <= 0 && value.it_value.tv_nsec <= 0) { value.it_value.tv_sec = 0; value.it_value.tv_nsec = 1; }
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &value, 0);
}

/// accept4(2) with SOCK_CLOEXEC | SOCK_NONBLOCK, atomically: setting FD_CLOEXEC after accept() leaves a window in
/// which a concurrently spawned child inherits the connection and holds it open. (accept4 is declared only under
/// _GNU_SOURCE, which Swift's Glibc module is built without; the symbol is in every glibc since 2.10.)
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
static inline int floorlink_accept_cloexec(int fd) { return accept4(fd, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK); }

/// Pseudo-terminal allocation (declared only under _XOPEN_SOURCE; in every glibc): the tests' kernel ptys.
extern int posix_openpt(int flags);
extern int grantpt(int fd);
extern int unlockpt(int fd);
extern char *ptsname(int fd);

/// A posix_spawn file action closing every descriptor from `from` up (declared only under _GNU_SOURCE; in glibc
/// since 2.34): the processes the tests start hold 0, 1 and 2 only.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
#endif
