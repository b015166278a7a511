/* payload: the 16-byte binary header at the start of every benchmark message.
 *
 * It fits in 16 bytes so a 16-byte benchmark message is all header. Layout,
 * every multi-byte field little-endian:
 *
 *   byte  0      magic/version: high nibble PAYLOAD_MAGIC (0xB), low nibble
 *                PAYLOAD_VERSION (1), so 0xB1
 *   bytes 1-2    run tag: low 16 bits of the 64-bit run id (tells this run's
 *                messages from a previous run's retained or queued ones)
 *   bytes 3-5    publisher index, uint24 (< PAYLOAD_MAX_PUBLISHERS)
 *   bytes 6-9    sequence number, uint32, per publisher, starting at 0
 *   bytes 10-15  send timestamp: low 48 bits of a nanosecond clock
 *
 * Bytes past the header are a fixed, deterministic filler (see payload_init),
 * so the content of a message never depends on anything but its header.
 *
 * The 48-bit timestamp wraps every 2^48 ns (about 78.2 hours). Latency is taken
 * as the difference modulo 2^48 (payload_latency_ns), which is exact whatever
 * the absolute clock values, as long as the true |latency| < 2^47 ns (~39 h). */
#ifndef MB_PAYLOAD_H
#define MB_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PAYLOAD_HEADER_SIZE 16u                     /* bytes; smallest valid payload */
#define PAYLOAD_MAGIC 0xBu                          /* high nibble of byte 0 */
#define PAYLOAD_VERSION 1u                          /* low nibble of byte 0 */
#define PAYLOAD_MAGIC_BYTE ((PAYLOAD_MAGIC << 4) | PAYLOAD_VERSION)   /* 0xB1 */
#define PAYLOAD_MAX_PUBLISHERS (UINT32_C(1) << 24)  /* publisher index is a uint24 */
#define PAYLOAD_TS_BITS 48                          /* timestamp width in bits */
#define PAYLOAD_TS_MASK ((UINT64_C(1) << PAYLOAD_TS_BITS) - 1)

/* The decoded header. */
struct payload_header {
    uint16_t run_tag;    /* payload_run_tag(run id) */
    uint32_t pub_index;  /* publisher index, < PAYLOAD_MAX_PUBLISHERS */
    uint32_t seq;        /* sequence number within this publisher's stream */
    uint64_t ts_ns48;    /* send time, low 48 bits of a ns clock */
};

/* The 16-bit run tag carried in every message: the low 16 bits of run_id. */
uint16_t payload_run_tag(uint64_t run_id);

/* Write the 16-byte header h to buf[0..15]; the caller guarantees 16 bytes of
 * room. Fields wider than their slot are truncated: pub_index to its low 24
 * bits (callers keep it < PAYLOAD_MAX_PUBLISHERS), ts_ns48 to its low 48. */
void payload_encode(uint8_t *buf, const struct payload_header *h);

/* Fill a whole message buffer of size bytes once, before the first send: the
 * header (run tag of run_id, pub_index, seq 0, timestamp 0) followed by the
 * filler pattern (byte at offset i >= 16 is 'a' + (i - 16) % 26). size should be
 * >= PAYLOAD_HEADER_SIZE; a smaller buffer gets only the first size bytes of
 * the header (such a message decodes as foreign). No allocation. */
void payload_init(uint8_t *buf, size_t size, uint64_t run_id, uint32_t pub_index);

/* Hot path, once per message: overwrite only the sequence number (bytes 6-9)
 * and the send timestamp (bytes 10-15, low 48 bits of ts_ns, in ns) of a buffer
 * already set up by payload_init. buf must hold >= PAYLOAD_HEADER_SIZE bytes.
 * No allocation; two unaligned stores (8 + 2 bytes) on little-endian hosts. */
static inline void payload_stamp(uint8_t *buf, uint32_t seq, uint64_t ts_ns)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t lo = (uint64_t)seq | (ts_ns << 32);   /* bytes 6-13: seq, ts bytes 0-3 */
    uint16_t hi = (uint16_t)(ts_ns >> 32);          /* bytes 14-15: ts bytes 4-5 */
    memcpy(buf + 6, &lo, sizeof lo);
    memcpy(buf + 14, &hi, sizeof hi);
#else
    for (int i = 0; i < 4; i++)
        buf[6 + i] = (uint8_t)(seq >> (8 * i));
    for (int i = 0; i < 6; i++)
        buf[10 + i] = (uint8_t)(ts_ns >> (8 * i));
#endif
}

/* Parse the header of a received message of len bytes into *out. Returns 0 for
 * a valid header, -1 for foreign data: len < PAYLOAD_HEADER_SIZE, wrong magic
 * nibble or wrong version nibble. Never reads past buf[len - 1]; *out is written
 * only on success. Does not check the run tag (the caller compares it). */
int payload_decode(const uint8_t *buf, size_t len, struct payload_header *out);

/* One-way latency in ns from a receive time now_ns (any width, same clock as
 * the sender's) and a received 48-bit send stamp ts_ns48: (now - ts) modulo
 * 2^48, sign-extended from 48 bits. The low 48 bits of both clocks differ by the
 * true latency modulo 2^48 however often the 48-bit stamp has wrapped (every
 * ~78.2 h), so the result is exact whenever the true latency lies in
 * [-2^47, 2^47) ns, about +-39 h. A receive clock slightly behind the sender's
 * (cross-host skew) gives a small negative value instead of a huge positive one;
 * the caller decides how to count it. */
int64_t payload_latency_ns(uint64_t now_ns, uint64_t ts_ns48);

#endif
