/* cpu-samples.bin's layout (docs/session-format.md, "CPU samples"): the one definition the CPU
 * sampler (collector/record/probe_cpu.c) writes with and the one reader (collector/analysis/samples.c,
 * used by the blocked profile and the reports) reads with.
 *
 * Little-endian. A header: the magic (8 bytes), u32 hz, u32 record_size. Then records of
 * record_size bytes (SAMPLES_RECORD as written; a reader accepts longer ones and skips the rest):
 * u64 ts (CLOCK_MONOTONIC ns), u32 pid, u32 tid, u32 stack (line of cpu-stacks.txt), u32 flags. */
#ifndef LOOPSCOPE_COLLECTOR_SAMPLES_FORMAT_H
#define LOOPSCOPE_COLLECTOR_SAMPLES_FORMAT_H

#define SAMPLES_MAGIC "LSSAMPL1"
#define SAMPLES_MAGIC_LEN 8
#define SAMPLES_HEADER 16 /* magic, hz, record_size */
#define SAMPLES_HZ_AT 8
#define SAMPLES_RECORD_SIZE_AT 12
#define SAMPLES_RECORD 24 /* ts, pid, tid, stack, flags */

#define SAMPLE_USTACK_LOST 1u /* flags: the user stack was lost */
#define SAMPLE_KSTACK_LOST 2u /* flags: the kernel stack was lost */

#endif
