/* payload: header codec; see payload.h for the byte layout. */
#include "payload.h"

#include <string.h>

#define PAYLOAD_TS_HALF (UINT64_C(1) << (PAYLOAD_TS_BITS - 1))

static void payload_put_le(uint8_t *p, uint64_t v, unsigned nbytes)
{
    for (unsigned i = 0; i < nbytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t payload_get_le(const uint8_t *p, unsigned nbytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < nbytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint16_t payload_run_tag(uint64_t run_id)
{
    return (uint16_t)(run_id & 0xFFFFu);
}

void payload_encode(uint8_t *buf, const struct payload_header *h)
{
    buf[0] = (uint8_t)PAYLOAD_MAGIC_BYTE;
    payload_put_le(buf + 1, h->run_tag, 2);
    payload_put_le(buf + 3, h->pub_index & (PAYLOAD_MAX_PUBLISHERS - 1), 3);
    payload_put_le(buf + 6, h->seq, 4);
    payload_put_le(buf + 10, h->ts_ns48 & PAYLOAD_TS_MASK, 6);
}

void payload_init(uint8_t *buf, size_t size, uint64_t run_id, uint32_t pub_index)
{
    uint8_t head[PAYLOAD_HEADER_SIZE];
    struct payload_header h = {
        .run_tag = payload_run_tag(run_id),
        .pub_index = pub_index,
        .seq = 0,
        .ts_ns48 = 0,
    };

    payload_encode(head, &h);
    memcpy(buf, head, size < PAYLOAD_HEADER_SIZE ? size : PAYLOAD_HEADER_SIZE);
    for (size_t i = PAYLOAD_HEADER_SIZE; i < size; i++)
        buf[i] = (uint8_t)('a' + (i - PAYLOAD_HEADER_SIZE) % 26);
}

int payload_decode(const uint8_t *buf, size_t len, struct payload_header *out)
{
    if (len < PAYLOAD_HEADER_SIZE)
        return -1;
    if ((buf[0] >> 4) != PAYLOAD_MAGIC || (buf[0] & 0x0Fu) != PAYLOAD_VERSION)
        return -1;
    out->run_tag = (uint16_t)payload_get_le(buf + 1, 2);
    out->pub_index = (uint32_t)payload_get_le(buf + 3, 3);
    out->seq = (uint32_t)payload_get_le(buf + 6, 4);
    out->ts_ns48 = payload_get_le(buf + 10, 6);
    return 0;
}

int64_t payload_latency_ns(uint64_t now_ns, uint64_t ts_ns48)
{
    uint64_t d = (now_ns - ts_ns48) & PAYLOAD_TS_MASK;

    /* Sign-extend from 48 bits without relying on signed shifts. */
    if (d >= PAYLOAD_TS_HALF)
        return (int64_t)d - (int64_t)(UINT64_C(1) << PAYLOAD_TS_BITS);
    return (int64_t)d;
}
