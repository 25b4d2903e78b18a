#ifndef C_EXPORT_SHIMS_H
#define C_EXPORT_SHIMS_H

#include <stdint.h>

/* What Swift's Glibc module does not expose. Each function is a thin wrapper that returns what the
   syscall returns and leaves errno set; Swift's syscall layer (Syscalls.swift) is the only caller. */

/* renameat2(2) through syscall(SYS_renameat2, ...): glibc's wrapper needs _GNU_SOURCE in every includer. */
int cx_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
extern const unsigned int CX_RENAME_NOREPLACE;
extern const unsigned int CX_RENAME_EXCHANGE;

/* open(2) flags and *at(2) flags, so Swift never guesses their values. */
extern const int CX_O_DIRECTORY;
extern const int CX_O_NOFOLLOW;
extern const int CX_O_CLOEXEC;
extern const int CX_O_NONBLOCK;
extern const int CX_O_NOCTTY;
extern const int CX_AT_SYMLINK_NOFOLLOW;
extern const int CX_AT_REMOVEDIR;
extern const int CX_AT_EMPTY_PATH;

int cx_syncfs(int fd);

/* getdents64(2) through syscall(SYS_getdents64, ...): up to `count` bytes of `struct linux_dirent64` records
   (d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name NUL-terminated) from the directory `fd`'s position.
   Returns the bytes filled, 0 at the end, or -1 and errno. */
long cx_getdents64(int fd, void *buffer, unsigned long count);
extern const unsigned char CX_DT_DIR;
extern const unsigned char CX_DT_LNK;
extern const unsigned char CX_DT_REG;
extern const unsigned char CX_DT_UNKNOWN;
int cx_flock(int fd, int operation);
extern const int CX_LOCK_EX;
extern const int CX_LOCK_SH;
extern const int CX_LOCK_NB;
int cx_openat(int dirfd, const char *path, int flags, unsigned int mode);

/* statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID): the id of the mount fd is on (Linux 5.8+); -1 with errno
   ENOSYS where the kernel does not report it. Two directories of one filesystem on different mounts (a bind
   mount) have the same st_dev but different mount ids. */
int cx_mount_id(int fd, uint64_t *id);

/* name_to_handle_at(fd, "", handle, &id, AT_EMPTY_PATH) (Linux 2.6.39+) for its mount id only: the same id as
   statx's STATX_MNT_ID and mountinfo's first field. Also succeeds where the filesystem cannot encode a handle
   (EOVERFLOW still reports the id); -1 with errno where the kernel reports no id (EOPNOTSUPP: a filesystem
   without file handles; ENOSYS). */
int cx_handle_mount_id(int fd, int *id);

/* futimens(2) setting only the modification time (the access time UTIME_OMIT). */
int cx_set_mtime(int fd, long long seconds, long nanoseconds);

/* pidfd_open(2) (Linux 5.3+): a descriptor that polls readable when the process exits; -1 with errno ENOSYS on
   older kernels. Glibc 2.36 has a wrapper, older ones do not: called through syscall(2). */
int cx_pidfd_open(int pid);

/* Mounts, for the consumer side (mount-tools). */
int cx_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
int cx_umount2(const char *target, int flags);
extern const unsigned long CX_MS_BIND;
extern const unsigned long CX_MS_REMOUNT;
extern const unsigned long CX_MS_RDONLY;
extern const unsigned long CX_MS_NODEV;
extern const unsigned long CX_MS_NOEXEC;
extern const unsigned long CX_MS_NOSUID;
extern const int CX_MNT_DETACH;

#endif
