#ifndef _GNU_SOURCE
#error "_GNU_SOURCE must come from cSettings in Package.swift, never from the public header"
#endif

/* Raw C loops for export-bench: the physical limit the store is measured against, the readers that
   look for gaps, the baselines' flips, whole-process runs and mount namespaces full of processes.
   Nothing in the product calls these. */

#include "CExportBenchLoops.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

extern char **environ;

uint64_t cx_bench_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

long long cx_bench_filesystem_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long long)(unsigned long)info.f_type;
}

int cx_bench_raw_switch(int dirfd, const char *first, const char *second, int iterations, int durable, int marker,
                        uint64_t *nanoseconds) {
    char marker_name[64];
    for (int i = 0; i < iterations; i++) {
        /* current names `first` before even iterations and `second` before odd ones. */
        const char *to = (i % 2 == 0) ? second : first;
        const char *from = (i % 2 == 0) ? first : second;
        uint64_t start = cx_bench_now();
        if (symlinkat(to, dirfd, ".next-bench") != 0) return -1;
        if (marker) {
            snprintf(marker_name, sizeof marker_name, ".retired-%019llu-bench%d", (unsigned long long)start, i);
            if (symlinkat(from, dirfd, marker_name) != 0) return -1;
        }
        if (syscall(SYS_renameat2, dirfd, ".next-bench", dirfd, "current", RENAME_EXCHANGE) != 0) return -1;
        if (renameat(dirfd, ".next-bench", dirfd, "previous") != 0) return -1;
        if (durable && fsync(dirfd) != 0) return -1;
        nanoseconds[i] = cx_bench_now() - start;
    }
    return 0;
}

int cx_bench_raw_publish(int parentfd, const char *directory, const char *target_prefix, int entries,
                         uint64_t *nanoseconds) {
    char target[4096];
    char entry[32];
    uint64_t start = cx_bench_now();
    if (mkdirat(parentfd, directory, 0755) != 0) return -1;
    int fd = openat(parentfd, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    for (int i = 0; i < entries; i++) {
        snprintf(entry, sizeof entry, "entry-%d", i);
        snprintf(target, sizeof target, "%s/entry-%d", target_prefix, i);
        if (symlinkat(target, fd, entry) != 0) {
            close(fd);
            return -1;
        }
    }
    int result = fsync(fd);
    close(fd);
    *nanoseconds = cx_bench_now() - start;
    return result;
}

int cx_bench_raw_union(int parentfd, const char *previous, const char *staging, const char *final,
                       const char *set, const char *const *kept, int kept_count, const char *const *added,
                       int added_count, const char *added_prefix, uint64_t *nanoseconds) {
    char target[4096];
    char path[4096];
    uint64_t start = cx_bench_now();
    snprintf(path, sizeof path, "%s/%s", previous, set);
    int old = openat(parentfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (old < 0) return -1;
    if (mkdirat(parentfd, staging, 0755) != 0) return close(old), -1;
    int gen = openat(parentfd, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (gen < 0) return close(old), -1;
    if (mkdirat(gen, set, 0755) != 0) return close(old), close(gen), -1;
    int fd = openat(gen, set, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int result = fd < 0 ? -1 : 0;
    for (int i = 0; result == 0 && i < kept_count; i++) {
        if (linkat(old, kept[i], fd, kept[i], 0) != 0) result = -1;
    }
    for (int i = 0; result == 0 && i < added_count; i++) {
        snprintf(target, sizeof target, "%s/%s", added_prefix, added[i]);
        if (symlinkat(target, fd, added[i]) != 0) result = -1;
    }
    if (result == 0 && (fsync(fd) != 0 || fsync(gen) != 0)) result = -1;
    if (result == 0 && renameat(parentfd, staging, parentfd, final) != 0) result = -1;
    if (result == 0 && fsync(parentfd) != 0) result = -1;
    /* The flip the union's switch makes: a link to the new generation renamed over the old one, then fsync. */
    if (result == 0 && symlinkat(final, parentfd, ".raw-next") != 0) result = -1;
    if (result == 0 && renameat(parentfd, ".raw-next", parentfd, ".raw-current") != 0) result = -1;
    if (result == 0 && fsync(parentfd) != 0) result = -1;
    if (fd >= 0) close(fd);
    close(gen);
    close(old);
    *nanoseconds = cx_bench_now() - start;
    return result;
}

/* ---- readers ---- */

struct cx_bench_readers {
    int rootfd;
    char *set_path;      /* <name>/current/<set> */
    char **paths;        /* <name>/current/<set>/<entry> */
    char **entries;
    int entry_count;
    char *source_a;
    char *source_b;
    uint64_t target_lookups;
    int thread_count;
    pthread_t *threads;
    cx_bench_reader_result *results;
    atomic_uint_fast64_t total_lookups;
    atomic_int finished;
};

struct reader_arg {
    struct cx_bench_readers *shared;
    int index;
};

static char *join(const char *a, const char *b) {
    size_t length = strlen(a) + strlen(b) + 2;
    char *result = malloc(length);
    if (result) snprintf(result, length, "%s/%s", a, b);
    return result;
}

static void *reader_main(void *raw) {
    struct reader_arg *arg = raw;
    struct cx_bench_readers *shared = arg->shared;
    cx_bench_reader_result *result = &shared->results[arg->index];
    size_t length_a = strlen(shared->source_a);
    size_t length_b = strlen(shared->source_b);
    char target[4096];
    struct stat st;
    while (!atomic_load(&shared->finished)) {
        /* A link-farm consumer: every lookup is a full path through `current`, following every link. */
        for (int i = 0; i < shared->entry_count; i++) {
            result->lookups++;
            if (fstatat(shared->rootfd, shared->paths[i], &st, 0) != 0) result->failures++;
        }
        /* A bind-mounting consumer: open the set through `current` once, then read every entry relative to it. */
        result->lookups++;
        result->passes++;
        int fd = openat(shared->rootfd, shared->set_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            result->failures++;
        } else {
            int seen_a = 0, seen_b = 0;
            for (int i = 0; i < shared->entry_count; i++) {
                ssize_t n = readlinkat(fd, shared->entries[i], target, sizeof target - 1);
                if (n < 0) {
                    result->failures++;
                    continue;
                }
                target[n] = 0;
                if ((size_t)n > length_a && strncmp(target, shared->source_a, length_a) == 0 && target[length_a] == '/')
                    seen_a = 1;
                if ((size_t)n > length_b && strncmp(target, shared->source_b, length_b) == 0 && target[length_b] == '/')
                    seen_b = 1;
            }
            close(fd);
            if (seen_a && seen_b) result->mixed++;
        }
        uint64_t done = atomic_fetch_add(&shared->total_lookups, (uint64_t)shared->entry_count + 1);
        if (done + (uint64_t)shared->entry_count + 1 >= shared->target_lookups) atomic_store(&shared->finished, 1);
    }
    free(arg);
    return NULL;
}

cx_bench_readers *cx_bench_readers_start(int rootfd, const char *name, const char *set, const char *const *entries,
                                         int entry_count, const char *source_a, const char *source_b, int threads,
                                         uint64_t target_lookups) {
    struct cx_bench_readers *shared = calloc(1, sizeof *shared);
    if (!shared) return NULL;
    shared->rootfd = rootfd;
    char *name_current = join(name, "current");
    shared->set_path = join(name_current, set);
    free(name_current);
    shared->paths = calloc((size_t)entry_count, sizeof(char *));
    shared->entries = calloc((size_t)entry_count, sizeof(char *));
    for (int i = 0; i < entry_count; i++) {
        shared->entries[i] = strdup(entries[i]);
        shared->paths[i] = join(shared->set_path, entries[i]);
    }
    shared->entry_count = entry_count;
    shared->source_a = strdup(source_a);
    shared->source_b = strdup(source_b);
    shared->target_lookups = target_lookups;
    shared->thread_count = threads;
    shared->threads = calloc((size_t)threads, sizeof(pthread_t));
    shared->results = calloc((size_t)threads, sizeof(cx_bench_reader_result));
    atomic_init(&shared->total_lookups, 0);
    atomic_init(&shared->finished, 0);
    for (int i = 0; i < threads; i++) {
        struct reader_arg *arg = malloc(sizeof *arg);
        arg->shared = shared;
        arg->index = i;
        pthread_create(&shared->threads[i], NULL, reader_main, arg);
    }
    return shared;
}

void cx_bench_readers_stop(cx_bench_readers *readers) { atomic_store(&readers->finished, 1); }

int cx_bench_readers_finished(const cx_bench_readers *readers) {
    return atomic_load(&((struct cx_bench_readers *)readers)->finished);
}

void cx_bench_readers_join(cx_bench_readers *readers, cx_bench_reader_result *total) {
    memset(total, 0, sizeof *total);
    for (int i = 0; i < readers->thread_count; i++) {
        pthread_join(readers->threads[i], NULL);
        total->lookups += readers->results[i].lookups;
        total->failures += readers->results[i].failures;
        total->passes += readers->results[i].passes;
        total->mixed += readers->results[i].mixed;
    }
    for (int i = 0; i < readers->entry_count; i++) {
        free(readers->paths[i]);
        free(readers->entries[i]);
    }
    free(readers->paths);
    free(readers->entries);
    free(readers->set_path);
    free(readers->source_a);
    free(readers->source_b);
    free(readers->threads);
    free(readers->results);
    free(readers);
}

int cx_bench_flip_per_file(int setfd, const char *const *entries, int entry_count, const char *source) {
    char target[4096];
    for (int i = 0; i < entry_count; i++) {
        snprintf(target, sizeof target, "%s/%s", source, entries[i]);
        if (symlinkat(target, setfd, ".rewrite-bench") != 0) return -1;
        if (renameat(setfd, ".rewrite-bench", setfd, entries[i]) != 0) return -1;
    }
    return 0;
}

int cx_bench_flip_unlink_symlink(int namefd, const char *generation) {
    if (unlinkat(namefd, "current", 0) != 0 && errno != ENOENT) return -1;
    return symlinkat(generation, namefd, "current");
}

/* ---- whole processes ---- */

int cx_bench_run(const char *path, char *const argv[], const char *output, uint64_t *wall_ns, long *max_rss_kib,
                 int *status) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const char *sink = output ? output : "/dev/null";
    posix_spawn_file_actions_addopen(&actions, 1, sink, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid;
    uint64_t start = cx_bench_now();
    int error = posix_spawn(&pid, path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
        errno = error;
        return -1;
    }
    struct rusage usage;
    int raw_status;
    pid_t waited;
    do {
        waited = wait4(pid, &raw_status, 0, &usage);
    } while (waited < 0 && errno == EINTR);
    *wall_ns = cx_bench_now() - start;
    if (waited < 0) return -1;
    *max_rss_kib = usage.ru_maxrss;
    *status = WIFEXITED(raw_status) ? WEXITSTATUS(raw_status) : 128 + WTERMSIG(raw_status);
    return 0;
}

/* ---- mount namespaces full of processes ---- */

int cx_bench_namespace_spawn(const char *source, const char *target, int processes) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return -1;
    /* Orphaned members of a namespace's group are reparented to this process, so it can reap them all. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t leader = fork();
    if (leader < 0) {
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    if (leader == 0) {
        /* Only async-signal-safe calls from here on: the parent has threads. */
        char status = 0;
        setpgid(0, 0);
        if (unshare(CLONE_NEWNS) != 0) status = 1;
        if (!status && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) status = 2;
        if (!status && mount(source, target, NULL, MS_BIND, NULL) != 0) status = 3;
        for (int i = 1; !status && i < processes; i++) {
            pid_t member = fork();
            if (member == 0) {
                for (;;) pause();
            }
            if (member < 0) status = 4;
        }
        if (write(ready[1], &status, 1) != 1) _exit(1);
        if (status) _exit(status);
        for (;;) pause();
    }
    close(ready[1]);
    char status = 9;
    ssize_t n;
    do {
        n = read(ready[0], &status, 1);
    } while (n < 0 && errno == EINTR);
    close(ready[0]);
    if (n != 1 || status != 0) {
        cx_bench_namespace_kill(leader);
        errno = n == 1 ? (status == 1 || status == 2 || status == 3 ? EPERM : EAGAIN) : EIO;
        return -1;
    }
    return leader;
}

void cx_bench_namespace_kill(int leader) {
    kill(-leader, SIGKILL);
    kill(leader, SIGKILL);
    int status;
    while (waitpid(-leader, &status, 0) > 0 || errno == EINTR) {
    }
}

/* ---- item 9: a host with many snaps ---- */

#include <dirent.h>

/* Reads the whole of `fd` into `buffer` (`size` bytes at a time); bytes read, or -1. */
static long long read_whole(int fd, char *buffer, size_t size) {
    long long total = 0;
    for (;;) {
        ssize_t n = read(fd, buffer, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return total;
        total += n;
    }
}

int cx_bench_raw_manifest_walk(const char *root, uint64_t *nanoseconds, long long *files, long long *bytes) {
    static char buffer[1 << 20];
    uint64_t start = cx_bench_now();
    *files = 0;
    *bytes = 0;
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -1;
    DIR *names = fdopendir(rootfd);
    if (!names) {
        close(rootfd);
        return -1;
    }
    struct dirent *name;
    int failed = 0;
    while (!failed && (name = readdir(names))) {
        if (name->d_name[0] == '.' || name->d_type != DT_DIR) continue;
        int namefd = openat(rootfd, name->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (namefd < 0) {
            failed = 1;
            break;
        }
        DIR *generations = fdopendir(namefd);
        if (!generations) {
            close(namefd);
            failed = 1;
            break;
        }
        struct dirent *generation;
        while ((generation = readdir(generations))) {
            if (generation->d_name[0] == '.' || generation->d_type != DT_DIR) continue;
            char path[512];
            snprintf(path, sizeof path, "%s/.manifest.json", generation->d_name);
            int fd = openat(namefd, path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue; /* not a generation */
            long long n = read_whole(fd, buffer, sizeof buffer);
            close(fd);
            if (n < 0) {
                failed = 1;
                break;
            }
            *files += 1;
            *bytes += n;
        }
        closedir(generations);
    }
    closedir(names);
    *nanoseconds = cx_bench_now() - start;
    return failed ? -1 : 0;
}

int cx_bench_raw_current_links(const char *snapMountDir, uint64_t *nanoseconds, long long *links) {
    /* The listing is not timed: only the one readlinkat per snap that a refresh with nothing to do cannot skip. */
    static char names[8192][256];
    int count = 0;
    *links = 0;
    int dirfd = open(snapMountDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return -1;
    int listfd = dup(dirfd);
    DIR *entries = listfd < 0 ? NULL : fdopendir(listfd);
    if (!entries) {
        if (listfd >= 0) close(listfd);
        close(dirfd);
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir(entries)) && count < 8192) {
        if (entry->d_name[0] == '.' || entry->d_type != DT_DIR || strlen(entry->d_name) > 240) continue;
        snprintf(names[count], sizeof names[count], "%s/current", entry->d_name);
        count++;
    }
    closedir(entries);
    char target[4096];
    uint64_t start = cx_bench_now();
    for (int i = 0; i < count; i++) {
        if (readlinkat(dirfd, names[i], target, sizeof target) > 0) *links += 1;
    }
    *nanoseconds = cx_bench_now() - start;
    close(dirfd);
    return 0;
}

int cx_bench_read_files(const char *const *paths, int count, uint64_t *nanoseconds, long long *bytes) {
    static char buffer[1 << 20];
    uint64_t start = cx_bench_now();
    *bytes = 0;
    for (int i = 0; i < count; i++) {
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        long long n = read_whole(fd, buffer, sizeof buffer);
        close(fd);
        if (n < 0) return -1;
        *bytes += n;
    }
    *nanoseconds = cx_bench_now() - start;
    return 0;
}

/* Writes the decimal digits of `value` (≥ 0) after `prefix` into `out`: async-signal-safe. */
static void decimal_path(char *out, size_t size, const char *prefix, int value) {
    size_t length = strlen(prefix);
    if (length + 12 > size) {
        out[0] = 0;
        return;
    }
    memcpy(out, prefix, length);
    char digits[12];
    int count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (count > 0) out[length++] = digits[--count];
    out[length] = 0;
}

static int write_int(int fd, int value) {
    ssize_t n;
    do {
        n = write(fd, &value, sizeof value);
    } while (n < 0 && errno == EINTR);
    return n == sizeof value ? 0 : -1;
}

static int read_int(int fd, int *value) {
    size_t got = 0;
    while (got < sizeof *value) {
        ssize_t n = read(fd, (char *)value + got, sizeof *value - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    return 0;
}

int cx_bench_mount_farm_start(const char *farm, int mounts, const char *const *sources, int source_count,
                              int namespaces, int *pids) {
    /* Every path is made before fork: the organizer only makes async-signal-safe calls. */
    size_t farm_length = strlen(farm);
    if (farm_length > 400 || source_count < 1) {
        errno = EINVAL;
        return -1;
    }
    char bind_source[512], target[512], prefix[512];
    memcpy(bind_source, farm, farm_length);
    memcpy(bind_source + farm_length, "/src", 5);
    memcpy(target, farm, farm_length);
    memcpy(target + farm_length, "/held", 6);
    memcpy(prefix, farm, farm_length);
    memcpy(prefix + farm_length, "/m", 3);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return -1;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t organizer = fork();
    if (organizer < 0) {
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    if (organizer == 0) {
        close(ready[0]);
        setpgid(0, 0);
        int step = 0;
        if (unshare(CLONE_NEWNS) != 0) step = -1;
        if (!step && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) step = -2;
        if (!step && mount("bench-farm", farm, "tmpfs", 0, "mode=0755") != 0) step = -3;
        if (!step && mkdir(bind_source, 0755) != 0) step = -4;
        if (!step && mkdir(target, 0755) != 0) step = -4;
        char point[512];
        for (int i = 0; !step && i < mounts; i++) {
            decimal_path(point, sizeof point, prefix, i);
            if (mkdir(point, 0755) != 0 || mount(bind_source, point, NULL, MS_BIND, NULL) != 0) step = -5;
        }
        if (write_int(ready[1], step) != 0 || step) _exit(1);
        for (int i = 0; i < namespaces; i++) {
            pid_t child = fork();
            if (child < 0) {
                write_int(ready[1], -6);
                _exit(1);
            }
            if (child == 0) {
                int status = getpid();
                if (unshare(CLONE_NEWNS) != 0) status = -7;
                if (status > 0 && mount(sources[i % source_count], target, NULL, MS_BIND, NULL) != 0) status = -8;
                write_int(ready[1], status);
                close(ready[1]);
                for (;;) pause();
            }
        }
        close(ready[1]);
        for (;;) pause();
    }
    close(ready[1]);
    int step = 0;
    int failed = read_int(ready[0], &step) != 0 || step != 0;
    for (int i = 0; !failed && i < namespaces; i++) {
        int value = 0;
        if (read_int(ready[0], &value) != 0 || value <= 0) {
            step = value;
            failed = 1;
            break;
        }
        pids[i] = value;
    }
    close(ready[0]);
    if (failed) {
        cx_bench_namespace_kill(organizer);
        errno = step == -1 || step == -2 || step == -3 || step == -7 || step == -8 ? EPERM : EIO;
        if (step == -5) errno = ENOSPC;
        return -1;
    }
    return organizer;
}
