#ifndef C_EXPORT_BENCH_LOOPS_H
#define C_EXPORT_BENCH_LOOPS_H

#include <stdint.h>

/* Benchmark loops (bench_loops.c), for export-bench only: raw baselines, readers, whole processes.
   Nothing in the product links this target. */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t cx_bench_now(void);
/* statfs(2)'s f_type of the filesystem holding `path`, or -1 and errno. */
long long cx_bench_filesystem_type(const char *path);
/* `iterations` flips of `dirfd/current` between `first` (its value at the start) and `second`: symlinkat of
   `.next-bench`, [symlinkat of a retirement marker], renameat2(RENAME_EXCHANGE) with `current`, renameat over
   `previous`, [fsync of the directory]. Per-iteration nanoseconds go to `nanoseconds`. 0, or -1 and errno. */
int cx_bench_raw_switch(int dirfd, const char *first, const char *second, int iterations, int durable, int marker,
                        uint64_t *nanoseconds);
/* mkdirat `directory`, `entries` × symlinkat(`<target_prefix>/entry-<i>`), one fsync of it. Total nanoseconds. */
int cx_bench_raw_publish(int parentfd, const char *directory, const char *target_prefix, int entries,
                         uint64_t *nanoseconds);

/* The raw union republish: mkdirat `staging` and `staging/<set>`, linkat of each of `kept` from
   `previous/<set>` (never following), symlinkat of each of `added` to `<added_prefix>/<entry>`, fsync of the set
   and of `staging`, renameat `staging` to `final`, fsync of `parentfd`, then the flip (symlinkat `.raw-next`
   naming `final`, renameat over `.raw-current`, fsync of `parentfd`). No manifest. Total nanoseconds. */
int cx_bench_raw_union(int parentfd, const char *previous, const char *staging, const char *final,
                       const char *set, const char *const *kept, int kept_count, const char *const *added,
                       int added_count, const char *added_prefix, uint64_t *nanoseconds);

/* What the reader threads saw: lookups through `current`, failed ones, set passes and mixed passes. */
typedef struct {
    uint64_t lookups;
    uint64_t failures;
    uint64_t passes;
    uint64_t mixed;
} cx_bench_reader_result;
typedef struct cx_bench_readers cx_bench_readers;
/* Starts `threads` readers of `rootfd/<name>/current/<set>/<entry>` until they made `target_lookups` together:
   each pass stats every entry by full path, then opens the set once and readlinks every entry relative to it,
   a mixed pass being one that sees targets below both `source_a/` and `source_b/`. */
cx_bench_readers *cx_bench_readers_start(int rootfd, const char *name, const char *set, const char *const *entries,
                                         int entry_count, const char *source_a, const char *source_b, int threads,
                                         uint64_t target_lookups);
int cx_bench_readers_finished(const cx_bench_readers *readers);
/* Tells the readers to stop after their current pass (for a run that ends when the writer is done). */
void cx_bench_readers_stop(cx_bench_readers *readers);
/* Joins the readers, sums their results into `total` and frees them. */
void cx_bench_readers_join(cx_bench_readers *readers, cx_bench_reader_result *total);
/* The snapd RFC's flip: each entry of `setfd` rewritten in place (symlinkat + renameat) to `<source>/<entry>`. */
int cx_bench_flip_per_file(int setfd, const char *const *entries, int entry_count, const char *source);
/* `rm -f current && ln -s <generation> current` relative to `namefd`. */
int cx_bench_flip_unlink_symlink(int namefd, const char *generation);

/* posix_spawn + wait4: wall time from spawn to reap, the child's peak RSS, its exit status (128 + signal).
   stdout and stderr go to `output` (NULL: /dev/null). */
int cx_bench_run(const char *path, char *const argv[], const char *output, uint64_t *wall_ns, long *max_rss_kib,
                 int *status);
/* Forks a process group leader that enters a new mount namespace (private), bind-mounts `source` on `target`
   there and forks `processes - 1` members that sleep. Returns the leader's pid, or -1 and errno. */
int cx_bench_namespace_spawn(const char *source, const char *target, int processes);
/* SIGKILLs the group of a namespace leader and reaps all of it. */
void cx_bench_namespace_kill(int leader);

/* Item 9's baselines. Walks `root/<name>/<generation>/.manifest.json` (names and generations that do not start
   with '.', directories by d_type) with openat, reads each whole with 1 MiB reads, closes it: the raw cost of
   reading every generation's manifest. Files and bytes read. 0, or -1 and errno. */
int cx_bench_raw_manifest_walk(const char *root, uint64_t *nanoseconds, long long *files, long long *bytes);
/* Time to readlinkat `<snapMountDir>/<snap>/current` of every snap directory (the listing before it not timed). */
int cx_bench_raw_current_links(const char *snapMountDir, uint64_t *nanoseconds, long long *links);
/* open + read whole (1 MiB reads) + close of each of `paths`, in order. 0, or -1 and errno. */
int cx_bench_read_files(const char *const *paths, int count, uint64_t *nanoseconds, long long *bytes);
/* Forks an organizer (a process group leader) that enters a private mount namespace, mounts a tmpfs on `farm`
   and bind-mounts `farm/src` on `farm/m<i>` for i < `mounts`, then forks `namespaces` children that each
   unshare(CLONE_NEWNS) (inheriting those mounts) and bind-mount `sources[i % source_count]` on `farm/held`,
   then sleep. Their pids go to `pids`. Returns the organizer's pid (cx_bench_namespace_kill ends all of it; the
   namespaces, and so their mounts, go with their last process), or -1 and errno. */
int cx_bench_mount_farm_start(const char *farm, int mounts, const char *const *sources, int source_count,
                              int namespaces, int *pids);

#endif
