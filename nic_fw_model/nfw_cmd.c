// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_cmd.c - the command ring, host to NIC: decode, validate, dispatch.
 *
 * Commands are consumed in order.  NOP, HANDOFF, RESTORE, FORWARD and
 * INFO always answer with CHW_EV_DONE; the others answer only when they
 * fail.  A command is taken only when the event ring has room for its
 * answer and for the news it may release (NFW_EV_RESERVE), so the
 * firmware waits for the host rather than lose an event.  Connection commands: nfw_conn_cmd.c.
 */
#include "nfw_tcp.h"

static const char *nfw_cmd_name(uint8_t op)
{
	switch (op) {
	case CHW_OP_NOP:	return "nop";
	case CHW_OP_HANDOFF:	return "handoff";
	case CHW_OP_RESTORE:	return "restore";
	case CHW_OP_SEND:	return "send";
	case CHW_OP_RECVD:	return "recvd";
	case CHW_OP_CTRL:	return "ctrl";
	case CHW_OP_FORWARD:	return "forward";
	case CHW_OP_POST:	return "post";
	case CHW_OP_INFO:	return "info";
	}
	return "unknown";
}

void nfw_cmd_done(struct nfw *fw, uint32_t idx, uint8_t op, uint8_t status,
		  uint32_t cid, uint32_t val)
{
	struct chw_ev_done ev = {
		.op = CHW_EV_DONE,
		.cmd_op = op,
		.status = status,
		.cid = htole32(cid),
		.cmd_idx = htole32(idx),
		.val = htole32(val),
	};

	if (status != CHW_ST_OK) {
		nfw_stat_add(fw, CHW_STAT_CMD_ERRORS, 1);
		nfw_log(fw, "cmd %u (%s, cid 0x%x) refused: status %u", idx,
			nfw_cmd_name(op), cid, status);
	}
	/* room was checked before the command was taken */
	nfw_ev_post(fw, &ev);
}

static void nfw_cmd_exec(struct nfw *fw, uint32_t idx,
			 const struct chw_msg *m)
{
	switch (m->op) {
	case CHW_OP_NOP:
		nfw_cmd_done(fw, idx, m->op, CHW_ST_OK, CHW_CID_NONE,
			     le32toh(m->cid));
		break;
	case CHW_OP_HANDOFF:
	case CHW_OP_RESTORE:
	case CHW_OP_SEND:
	case CHW_OP_RECVD:
	case CHW_OP_CTRL:
	case CHW_OP_FORWARD:
	case CHW_OP_POST:
	case CHW_OP_INFO:
		nfw_conn_cmd(fw, idx, m);
		break;
	default:
		nfw_cmd_done(fw, idx, m->op, CHW_ST_BAD_OP, le32toh(m->cid), 0);
		break;
	}
}

void nfw_cmd_run(struct nfw *fw)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_CMD];
	bool took = false;

	/* one clock reading for the batch: commands take microseconds */
	fw->now_ms = nfw_now_ms(fw);
	while (ring->size && nfw_ring_pending(ring) &&
	       nfw_ev_space(fw) >= NFW_EV_RESERVE) {
		const struct chw_msg *m = nfw_ring_peek(fw, CHW_RING_CMD,
							ring->head);
		struct chw_msg cmd;

		if (!m) {
			nfw_or(&fw->status_reg, CHW_STATUS_RING_ERR);
			nfw_stat_add(fw, CHW_STAT_RING_ERRORS, 1);
			nfw_ring_disable(ring);
			break;
		}
		memcpy(&cmd, m, sizeof(cmd));
		nfw_stat_add(fw, CHW_STAT_CMDS, 1);
		nfw_cmd_exec(fw, ring->head, &cmd);
		ring->head++;
		took = true;
	}
	if (took)
		nfw_ring_publish_head(ring);
}
