/*
 * QEMU connection-handoff NIC: PCI, MSI-X and netdev glue.
 *
 * The device logic is the firmware library in nic_fw_model/ (nfw_*), which
 * knows nothing of QEMU.  This file gives it a thread to run on (the NIC's
 * processor) and turns its callbacks into QEMU calls:
 *
 *   vCPU thread   MMIO -> nfw_mmio_read/write (atomics only) -> kick
 *   main loop     netdev receive -> rx queue -> kick
 *                 bottom half: frames out (qemu_send_packet), msix_notify
 *   NIC thread    nfw_rx_frame(), nfw_run(); DMA with pci_dma_rw()
 *
 * The NIC thread never takes the BQL: what needs it (sending frames,
 * interrupts, flushing the netdev queue) is handed to the bottom half.
 * Lock order is BQL, then fw_lock, then lock.  A doorbell never waits for
 * the firmware; only reset and unrealize do, and the firmware holds
 * fw_lock only while it runs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qapi/error.h"
#include "exec/memory.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "sysemu/dma.h"
#include "qom/object.h"

#include "../handoff_if/chw_abi.h"
#include "../nic_fw_model/nfw.h"

#define TYPE_HANDOFF_NIC "handoff-nic"
OBJECT_DECLARE_SIMPLE_TYPE(HandoffNicState, HANDOFF_NIC)

/* Frames between the main loop and the NIC thread. */
#define HANDOFF_NIC_RXQ_LEN 512
#define HANDOFF_NIC_TXQ_LEN 4096

typedef struct HandoffNicFrame {
    QSIMPLEQ_ENTRY(HandoffNicFrame) next;
    size_t len;
    uint8_t data[];
} HandoffNicFrame;

typedef QSIMPLEQ_HEAD(, HandoffNicFrame) HandoffNicFrameQ;

struct HandoffNicState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    NICState *nic;
    NICConf conf;
    uint32_t nic_mem_mb;
    uint32_t max_conns;

    struct nfw *fw;
    QemuThread thread;
    QemuMutex fw_lock;          /* held while the firmware runs */
    QemuMutex lock;             /* the fields below */
    QemuCond kick_cond;         /* NIC thread waits for work */
    QemuCond txq_cond;          /* NIC thread waits for txq room */
    bool kicked;
    bool stopping;
    bool resetting;             /* reset waits for fw_lock: don't block */
    HandoffNicFrameQ rxq;       /* wire -> firmware */
    unsigned rxq_len;
    bool rx_flush;              /* netdev queued frames: flush later */
    HandoffNicFrameQ txq;       /* firmware -> wire */
    unsigned txq_len;

    uint32_t irq_pending;       /* vectors for the bottom half (atomic) */
    QEMUBH *bh;
};

static void handoff_nic_kick(HandoffNicState *s)
{
    qemu_mutex_lock(&s->lock);
    s->kicked = true;
    qemu_cond_signal(&s->kick_cond);
    qemu_mutex_unlock(&s->lock);
}

/* ---- firmware callbacks (NIC thread) ------------------------------------ */

/*
 * The NIC may only touch guest RAM: a descriptor that points at MMIO, at
 * a hole or past the end of memory is refused, never followed.
 */
static bool handoff_nic_dma_ok(HandoffNicState *s, uint64_t addr,
                               size_t len, bool is_write)
{
    AddressSpace *as = pci_get_address_space(&s->parent_obj);

    if (addr + len < addr) {
        return false;
    }
    RCU_READ_LOCK_GUARD();
    while (len) {
        hwaddr xlat, plen = len;
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &plen,
                                                   is_write,
                                                   MEMTXATTRS_UNSPECIFIED);

        if (!memory_region_is_ram(mr) || (is_write && mr->readonly) ||
            plen == 0) {
            return false;
        }
        addr += plen;
        len -= MIN(len, plen);
    }
    return true;
}

static bool handoff_nic_dma_valid(void *opaque, uint64_t addr, size_t len)
{
    HandoffNicState *s = opaque;

    return handoff_nic_dma_ok(s, addr, len, true);
}

static int handoff_nic_dma_read(void *opaque, uint64_t addr, void *buf,
                                size_t len)
{
    HandoffNicState *s = opaque;

    if (!handoff_nic_dma_ok(s, addr, len, false)) {
        return -1;
    }
    return pci_dma_read(&s->parent_obj, addr, buf, len) == MEMTX_OK ? 0 : -1;
}

static int handoff_nic_dma_write(void *opaque, uint64_t addr,
                                 const void *buf, size_t len)
{
    HandoffNicState *s = opaque;

    if (!handoff_nic_dma_ok(s, addr, len, true)) {
        return -1;
    }
    return pci_dma_write(&s->parent_obj, addr, buf, len) == MEMTX_OK ? 0 : -1;
}

static void handoff_nic_raise_irq(void *opaque, unsigned int vector)
{
    HandoffNicState *s = opaque;

    qatomic_or(&s->irq_pending, 1u << vector);
    qemu_bh_schedule(s->bh);
}

static void handoff_nic_tx_frame(void *opaque, const void *frame, size_t len)
{
    HandoffNicState *s = opaque;
    HandoffNicFrame *f = g_malloc(sizeof(*f) + len);

    f->len = len;
    memcpy(f->data, frame, len);
    qemu_mutex_lock(&s->lock);
    while (s->txq_len >= HANDOFF_NIC_TXQ_LEN && !s->stopping &&
           !s->resetting) {
        qemu_bh_schedule(s->bh);
        qemu_cond_wait(&s->txq_cond, &s->lock);
    }
    QSIMPLEQ_INSERT_TAIL(&s->txq, f, next);
    s->txq_len++;
    qemu_mutex_unlock(&s->lock);
    qemu_bh_schedule(s->bh);
}

static uint64_t handoff_nic_now_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void handoff_nic_log(void *opaque, const char *msg)
{
    qemu_log_mask(LOG_GUEST_ERROR, "handoff-nic: %s\n", msg);
}

static const struct nfw_ops handoff_nic_fw_ops = {
    .dma_read = handoff_nic_dma_read,
    .dma_write = handoff_nic_dma_write,
    .dma_ok = handoff_nic_dma_valid,
    .raise_irq = handoff_nic_raise_irq,
    .tx_frame = handoff_nic_tx_frame,
    .now_ns = handoff_nic_now_ns,
    .log = handoff_nic_log,
};

/* ---- the NIC thread ----------------------------------------------------- */

/* Offer queued wire frames to the firmware until it has no RX buffer. */
static unsigned handoff_nic_feed_rx(HandoffNicState *s)
{
    unsigned fed = 0;

    for (;;) {
        HandoffNicFrame *f;

        qemu_mutex_lock(&s->lock);
        f = QSIMPLEQ_FIRST(&s->rxq);
        qemu_mutex_unlock(&s->lock);
        if (!f || !nfw_rx_frame(s->fw, f->data, f->len)) {
            return fed;
        }
        qemu_mutex_lock(&s->lock);
        QSIMPLEQ_REMOVE_HEAD(&s->rxq, next);
        s->rxq_len--;
        qemu_mutex_unlock(&s->lock);
        g_free(f);
        fed++;
    }
}

/*
 * The NIC's processor: serve doorbells and frames when kicked, and the
 * offloaded connections' timers when they fall due.
 */
static void *handoff_nic_thread(void *opaque)
{
    HandoffNicState *s = opaque;

    rcu_register_thread();
    for (;;) {
        unsigned fed = 0;
        unsigned ret;
        uint64_t deadline;

        qemu_mutex_lock(&s->fw_lock);
        deadline = nfw_next_deadline_ns(s->fw);
        qemu_mutex_unlock(&s->fw_lock);

        qemu_mutex_lock(&s->lock);
        while (!s->kicked && !s->stopping) {
            int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

            if (deadline != UINT64_MAX && now >= (int64_t)deadline) {
                break;
            }
            if (deadline == UINT64_MAX) {
                qemu_cond_wait(&s->kick_cond, &s->lock);
            } else {
                /* ms granularity is all TCP's timers need */
                qemu_cond_timedwait(&s->kick_cond, &s->lock,
                                    MAX(1, (deadline - now) / SCALE_MS));
            }
        }
        s->kicked = false;
        qemu_mutex_unlock(&s->lock);
        if (s->stopping) {
            break;
        }

        qemu_mutex_lock(&s->fw_lock);
        nfw_timer(s->fw);
        do {
            fed += handoff_nic_feed_rx(s);
            ret = nfw_run(s->fw);
        } while (ret & (NFW_RUN_AGAIN | NFW_RUN_RX_READY) &&
                 !qatomic_read(&s->stopping));
        qemu_mutex_unlock(&s->fw_lock);

        /* room again: let the netdev deliver what it held back */
        if (fed && qatomic_read(&s->rx_flush)) {
            qemu_bh_schedule(s->bh);
        }
    }
    rcu_unregister_thread();
    return NULL;
}

/* ---- main loop: bottom half and netdev ---------------------------------- */

static void handoff_nic_bh(void *opaque)
{
    HandoffNicState *s = opaque;
    PCIDevice *pdev = &s->parent_obj;
    HandoffNicFrameQ out = QSIMPLEQ_HEAD_INITIALIZER(out);
    HandoffNicFrame *f;
    uint32_t irqs;
    bool flush;
    unsigned v;

    qemu_mutex_lock(&s->lock);
    QSIMPLEQ_CONCAT(&out, &s->txq);
    s->txq_len = 0;
    qemu_cond_broadcast(&s->txq_cond);
    flush = s->rx_flush && s->rxq_len < HANDOFF_NIC_RXQ_LEN;
    if (flush) {
        s->rx_flush = false;
    }
    qemu_mutex_unlock(&s->lock);

    while ((f = QSIMPLEQ_FIRST(&out))) {
        QSIMPLEQ_REMOVE_HEAD(&out, next);
        qemu_send_packet(qemu_get_queue(s->nic), f->data, f->len);
        g_free(f);
    }

    irqs = qatomic_xchg(&s->irq_pending, 0);
    for (v = 0; v < CHW_NUM_VECTORS; v++) {
        if ((irqs & (1u << v)) && msix_enabled(pdev)) {
            msix_notify(pdev, v);
        }
    }

    if (flush) {
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
}

static bool handoff_nic_can_receive(NetClientState *nc)
{
    HandoffNicState *s = qemu_get_nic_opaque(nc);
    bool room;

    qemu_mutex_lock(&s->lock);
    room = s->rxq_len < HANDOFF_NIC_RXQ_LEN;
    if (!room) {
        s->rx_flush = true;
    }
    qemu_mutex_unlock(&s->lock);
    return room;
}

static ssize_t handoff_nic_receive(NetClientState *nc, const uint8_t *buf,
                                   size_t size)
{
    HandoffNicState *s = qemu_get_nic_opaque(nc);
    HandoffNicFrame *f;

    if (!handoff_nic_can_receive(nc)) {
        return 0;       /* the net layer queues it until we flush */
    }
    f = g_malloc(sizeof(*f) + size);
    f->len = size;
    memcpy(f->data, buf, size);
    qemu_mutex_lock(&s->lock);
    QSIMPLEQ_INSERT_TAIL(&s->rxq, f, next);
    s->rxq_len++;
    s->kicked = true;
    qemu_cond_signal(&s->kick_cond);
    qemu_mutex_unlock(&s->lock);
    return size;
}

static void handoff_nic_set_link_status(NetClientState *nc)
{
    HandoffNicState *s = qemu_get_nic_opaque(nc);

    if (nfw_set_link(s->fw, !nc->link_down)) {
        handoff_nic_kick(s);
    }
}

static NetClientInfo handoff_nic_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = handoff_nic_can_receive,
    .receive = handoff_nic_receive,
    .link_status_changed = handoff_nic_set_link_status,
};

/* ---- MMIO (vCPU threads) ------------------------------------------------ */

static uint64_t handoff_nic_mmio_read(void *opaque, hwaddr addr,
                                      unsigned size)
{
    HandoffNicState *s = opaque;

    return nfw_mmio_read(s->fw, addr, size);
}

static void handoff_nic_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                   unsigned size)
{
    HandoffNicState *s = opaque;

    if (nfw_mmio_write(s->fw, addr, val, size)) {
        handoff_nic_kick(s);
    }
}

static const MemoryRegionOps handoff_nic_mmio_ops = {
    .read = handoff_nic_mmio_read,
    .write = handoff_nic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
};

/* ---- device lifecycle ---------------------------------------------------- */

static void handoff_nic_drop_frames(HandoffNicFrameQ *q)
{
    HandoffNicFrame *f;

    while ((f = QSIMPLEQ_FIRST(q))) {
        QSIMPLEQ_REMOVE_HEAD(q, next);
        g_free(f);
    }
}

static void handoff_nic_realize(PCIDevice *pdev, Error **errp)
{
    HandoffNicState *s = HANDOFF_NIC(pdev);
    DeviceState *dev = DEVICE(pdev);
    struct nfw_config cfg = {
        .nic_mem_kb = s->nic_mem_mb * 1024,
        .max_conns = s->max_conns,
    };
    unsigned v;

    if (s->nic_mem_mb == 0 || s->nic_mem_mb > 4096) {
        error_setg(errp, "nic-mem-mb must be 1..4096");
        return;
    }
    if (s->max_conns == 0 || s->max_conns >= (1u << CHW_CID_SLOT_BITS)) {
        error_setg(errp, "max-conns must be 1..%u",
                   (1u << CHW_CID_SLOT_BITS) - 1);
        return;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &handoff_nic_mmio_ops, s,
                          "handoff-nic-mmio", CHW_BAR_REGS_SIZE);
    pci_register_bar(pdev, CHW_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);
    if (msix_init_exclusive_bar(pdev, CHW_NUM_VECTORS, CHW_BAR_MSIX, errp)) {
        return;
    }
    for (v = 0; v < CHW_NUM_VECTORS; v++) {
        msix_vector_use(pdev, v);
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    memcpy(cfg.mac, s->conf.macaddr.a, sizeof(cfg.mac));
    s->fw = nfw_create(&cfg, &handoff_nic_fw_ops, s);
    if (!s->fw) {
        msix_uninit_exclusive_bar(pdev);
        error_setg(errp, "cannot allocate the NIC firmware");
        return;
    }

    qemu_mutex_init(&s->fw_lock);
    qemu_mutex_init(&s->lock);
    qemu_cond_init(&s->kick_cond);
    qemu_cond_init(&s->txq_cond);
    QSIMPLEQ_INIT(&s->rxq);
    QSIMPLEQ_INIT(&s->txq);
    s->bh = qemu_bh_new_guarded(handoff_nic_bh, s,
                                &dev->mem_reentrancy_guard);

    s->nic = qemu_new_nic(&handoff_nic_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    nfw_set_link(s->fw, !qemu_get_queue(s->nic)->link_down);

    qemu_thread_create(&s->thread, "handoff-nic", handoff_nic_thread, s,
                       QEMU_THREAD_JOINABLE);
}

static void handoff_nic_exit(PCIDevice *pdev)
{
    HandoffNicState *s = HANDOFF_NIC(pdev);

    qemu_mutex_lock(&s->lock);
    s->stopping = true;
    qemu_cond_broadcast(&s->kick_cond);
    qemu_cond_broadcast(&s->txq_cond);
    qemu_mutex_unlock(&s->lock);
    qemu_thread_join(&s->thread);

    qemu_del_nic(s->nic);
    qemu_bh_delete(s->bh);
    handoff_nic_drop_frames(&s->rxq);
    handoff_nic_drop_frames(&s->txq);
    nfw_destroy(s->fw);
    qemu_cond_destroy(&s->txq_cond);
    qemu_cond_destroy(&s->kick_cond);
    qemu_mutex_destroy(&s->lock);
    qemu_mutex_destroy(&s->fw_lock);
    msix_uninit_exclusive_bar(pdev);
}

/*
 * System reset: stop all DMA now.  The NIC thread may be waiting for the
 * bottom half to drain txq, which cannot run while we hold the BQL: tell
 * it not to wait before taking fw_lock.
 */
static void handoff_nic_reset(DeviceState *dev)
{
    HandoffNicState *s = HANDOFF_NIC(dev);

    qemu_mutex_lock(&s->lock);
    s->resetting = true;
    qemu_cond_broadcast(&s->txq_cond);
    qemu_mutex_unlock(&s->lock);

    qemu_mutex_lock(&s->fw_lock);
    nfw_reset(s->fw);
    qemu_mutex_lock(&s->lock);
    handoff_nic_drop_frames(&s->rxq);
    s->rxq_len = 0;
    handoff_nic_drop_frames(&s->txq);
    s->txq_len = 0;
    s->resetting = false;
    qemu_mutex_unlock(&s->lock);
    qatomic_set(&s->irq_pending, 0);
    qemu_mutex_unlock(&s->fw_lock);
}

static Property handoff_nic_properties[] = {
    DEFINE_NIC_PROPERTIES(HandoffNicState, conf),
    DEFINE_PROP_UINT32("nic-mem-mb", HandoffNicState, nic_mem_mb, 16),
    DEFINE_PROP_UINT32("max-conns", HandoffNicState, max_conns, 1024),
    DEFINE_PROP_END_OF_LIST(),
};

static const VMStateDescription handoff_nic_vmstate = {
    .name = TYPE_HANDOFF_NIC,
    .unmigratable = 1,      /* firmware state is not described */
};

static void handoff_nic_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = handoff_nic_realize;
    k->exit = handoff_nic_exit;
    k->vendor_id = CHW_PCI_VENDOR_ID;
    k->device_id = CHW_PCI_DEVICE_ID;
    k->revision = CHW_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    dc->desc = "Connection-handoff TCP offload NIC";
    dc->reset = handoff_nic_reset;
    dc->vmsd = &handoff_nic_vmstate;
    device_class_set_props(dc, handoff_nic_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo handoff_nic_info = {
    .name = TYPE_HANDOFF_NIC,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(HandoffNicState),
    .class_init = handoff_nic_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void handoff_nic_register_types(void)
{
    type_register_static(&handoff_nic_info);
}

type_init(handoff_nic_register_types)
