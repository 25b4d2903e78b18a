#ifndef _GNU_SOURCE
#error "_GNU_SOURCE must come from cSettings in Package.swift, never from the public header"
#endif

#include "CExportShims.h"

#include <fcntl.h>
#include <stdio.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int cx_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

const unsigned int CX_RENAME_NOREPLACE = RENAME_NOREPLACE;
const unsigned int CX_RENAME_EXCHANGE = RENAME_EXCHANGE;

const int CX_O_DIRECTORY = O_DIRECTORY;
const int CX_O_NOFOLLOW = O_NOFOLLOW;
const int CX_O_CLOEXEC = O_CLOEXEC;
const int CX_O_NONBLOCK = O_NONBLOCK;
const int CX_O_NOCTTY = O_NOCTTY;
const int CX_AT_SYMLINK_NOFOLLOW = AT_SYMLINK_NOFOLLOW;
const int CX_AT_REMOVEDIR = AT_REMOVEDIR;
const int CX_AT_EMPTY_PATH = AT_EMPTY_PATH;

int cx_syncfs(int fd) { return syncfs(fd); }

long cx_getdents64(int fd, void *buffer, unsigned long count) {
    return syscall(SYS_getdents64, fd, buffer, count);
}
const unsigned char CX_DT_DIR = DT_DIR;
const unsigned char CX_DT_LNK = DT_LNK;
const unsigned char CX_DT_REG = DT_REG;
const unsigned char CX_DT_UNKNOWN = DT_UNKNOWN;

int cx_flock(int fd, int operation) { return flock(fd, operation); }
const int CX_LOCK_EX = LOCK_EX;
const int CX_LOCK_SH = LOCK_SH;
const int CX_LOCK_NB = LOCK_NB;

int cx_openat(int dirfd, const char *path, int flags, unsigned int mode) {
    return openat(dirfd, path, flags, (mode_t)mode);
}

int cx_mount_id(int fd, uint64_t *id) {
    struct statx buffer;
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &buffer) != 0) return -1;
    if (!(buffer.stx_mask & STATX_MNT_ID)) {
        errno = ENOSYS;
        return -1;
    }
    *id = buffer.stx_mnt_id;
    return 0;
}

int cx_handle_mount_id(int fd, int *id) {
    /* Room for any handle (MAX_HANDLE_SZ is 128): only the mount id is wanted. */
    union {
        struct file_handle handle;
        unsigned char bytes[sizeof(struct file_handle) + 128];
    } buffer;
    buffer.handle.handle_bytes = 128;
    int mount = -1;
    if (name_to_handle_at(fd, "", &buffer.handle, &mount, AT_EMPTY_PATH) != 0 && errno != EOVERFLOW) return -1;
    /* EOVERFLOW: the filesystem cannot encode this handle, but the kernel still reports the mount id. */
    if (mount < 0) {
        errno = EOPNOTSUPP;
        return -1;
    }
    *id = mount;
    return 0;
}

int cx_set_mtime(int fd, long long seconds, long nanoseconds) {
    struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, {.tv_sec = seconds, .tv_nsec = nanoseconds}};
    return futimens(fd, times);
}

int cx_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int cx_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data);
}

int cx_umount2(const char *target, int flags) { return umount2(target, flags); }

const unsigned long CX_MS_BIND = MS_BIND;
const unsigned long CX_MS_REMOUNT = MS_REMOUNT;
const unsigned long CX_MS_RDONLY = MS_RDONLY;
const unsigned long CX_MS_NODEV = MS_NODEV;
const unsigned long CX_MS_NOEXEC = MS_NOEXEC;
const unsigned long CX_MS_NOSUID = MS_NOSUID;
const int CX_MNT_DETACH = MNT_DETACH;
