/*
 * insn_count.c - a QEMU TCG plugin that counts the guest's instructions
 * and reports the running count each time the guest executes a marker.
 *
 * The guest cannot hand a plugin a value (QEMU 7.2 plugins read no
 * registers), so a benchmark phase is delimited by an instruction the
 * guest executes on purpose: the Bochs magic breakpoint, xchg %bx,%bx
 * (66 87 db), which nothing else in a Linux guest uses and which QEMU
 * executes as a harmless register swap.  Each time it runs, one line goes
 * to the output:
 *
 *   insn_mark SEQ total T kernel K user U
 *
 * SEQ counts markers from 1; T = K + U instructions executed so far, the
 * marker included.  The host subtracts two lines to get a phase's cost.
 *
 * Counting is one inline add per translation block (cheap enough to leave
 * the guest's speed almost untouched), so a block cut short by a fault is
 * counted in full: an over-count of a few instructions per fault.  On the
 * marker itself the count is exact: its block's instructions after the
 * marker have been added but not executed, and are subtracted.  Inline
 * adds are not atomic: run with -smp 1.
 *
 * Kernel or user: by the block's address, x86-64's upper canonical half
 * being the kernel's.
 *
 * Arguments: out=FILE (default: QEMU's log, see -D).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const uint8_t marker[] = { 0x66, 0x87, 0xdb };	/* xchg %bx,%bx */

static uint64_t kernel_insns;
static uint64_t user_insns;
static uint64_t marks;
static FILE *out;

static bool is_kernel(uint64_t vaddr)
{
    return vaddr >> 63;
}

/*
 * userdata packs what the callback needs to make the count exact: how
 * many instructions follow the marker in its block, and whose counter the
 * block adds to.
 */
static void *mark_udata(size_t trailing, bool kernel)
{
    return (void *)(uintptr_t)(trailing << 1 | kernel);
}

static void report(const char *line)
{
    if (out) {
        fputs(line, out);
        fflush(out);            /* the host may read it while we run */
    } else {
        qemu_plugin_outs(line);
    }
}

static void on_marker(unsigned int vcpu_index, void *udata)
{
    uintptr_t v = (uintptr_t)udata;
    uint64_t trailing = v >> 1;
    uint64_t k = kernel_insns, u = user_insns;
    char line[128];

    if (v & 1) {
        k -= trailing;
    } else {
        u -= trailing;
    }
    snprintf(line, sizeof(line),
             "insn_mark %" PRIu64 " total %" PRIu64 " kernel %" PRIu64
             " user %" PRIu64 "\n", ++marks, k + u, k, u);
    report(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    bool kernel = is_kernel(qemu_plugin_tb_vaddr(tb));
    size_t i;

    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
                                             kernel ? &kernel_insns
                                                    : &user_insns, n);
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

        if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
            !memcmp(qemu_plugin_insn_data(insn), marker, sizeof(marker))) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
                                                   QEMU_PLUGIN_CB_NO_REGS,
                                                   mark_udata(n - i - 1,
                                                              kernel));
        }
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *p)
{
    char line[128];

    snprintf(line, sizeof(line),
             "insn_exit total %" PRIu64 " kernel %" PRIu64 " user %" PRIu64
             "\n", kernel_insns + user_insns, kernel_insns, user_insns);
    report(line);
    if (out) {
        fclose(out);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info,
                                           int argc, char **argv)
{
    int i;

    if (strcmp(info->target_name, "x86_64") != 0) {
        fprintf(stderr, "insn_count: x86_64 guests only (kernel/user split)\n");
        return -1;
    }
    if (info->system_emulation && info->system.max_vcpus > 1) {
        fprintf(stderr, "insn_count: counts are exact with -smp 1 only\n");
        return -1;
    }
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out = fopen(argv[i] + 4, "w");
            if (!out) {
                perror(argv[i] + 4);
                return -1;
            }
        } else {
            fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
