/* The two hashes of the kernel's dictionary encoding (encode.c), inline where they are used. */
#ifndef ANALYZER_HASH_H
#define ANALYZER_HASH_H

#include "kernel.h"

static inline uint64_t load4(const unsigned char *at) {
    uint32_t word;
    memcpy(&word, at, 4);
    return word;
}

/* The 0..7 bytes as one word, by loads of fixed size (overlapping where needed), not a call to
   memcpy of `length` bytes: for a given length, equal words are equal bytes. */
static inline uint64_t short_word(const unsigned char *at, Py_ssize_t length) {
    if (length >= 4) return load4(at) | (load4(at + length - 4) << 32);
    if (length == 0) return 0;
    return (uint64_t)at[0] | ((uint64_t)at[length >> 1] << 8) | ((uint64_t)at[length - 1] << 16);
}

/* The values hashed are chosen by whoever sends a request (paths, agents, referers): with a hash
   they can compute, they can choose values that share a slot, and linear probing turns n of
   those into n^2 / 2 probes. Both hashes here take the caller's 128-bit key (analyzer.formats.
   compiled draws one per process from os.urandom), which no one else knows.

   quick_hash, four multiply chains over 32-byte stripes (a long value costs a quarter of one
   chain's latency) started from the key, then a final mix so the low bits (the table's index)
   depend on every byte, is what a field is hashed with first: SipHash costs 15% of a whole
   parse more (measured). But multiply chains have no proof that values cannot be chosen to
   collide whatever the key; so a field whose lookups probe more than PROBE_BUDGET slots a row
   (random values probe under one) is encoded again from its first row under sip_hash,
   SipHash-1-3: the keyed hash CPython (3.11+, for str) and Rust's HashMap use for the same
   reason, one round a word and three to finish. The codes are the same either way (by first
   appearance), and no choice of values costs more than the budget and a second pass. */
static inline uint64_t quick_hash(const uint64_t key[2], const unsigned char *at, Py_ssize_t length) {
    const uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xFF51AFD7ED558CCDull, k3 = 0xC4CEB9FE1A85EC53ull;
    uint64_t a = k1 ^ key[0] ^ (uint64_t)length, b = k2 ^ key[1], c = k3 ^ key[0], d = k1 ^ k2 ^ key[1];
    for (; length >= 32; at += 32, length -= 32) {
        a = (a ^ load8(at)) * k2;
        b = (b ^ load8(at + 8)) * k3;
        c = (c ^ load8(at + 16)) * k1;
        d = (d ^ load8(at + 24)) * k2;
    }
    for (; length >= 8; at += 8, length -= 8) a = (a ^ load8(at)) * k3;
    if (length) b = (b ^ short_word(at, length)) * k1;
    uint64_t hash = a ^ ((b << 21) | (b >> 43)) ^ ((c << 37) | (c >> 27)) ^ ((d << 49) | (d >> 15));
    hash = (hash ^ (hash >> 32)) * k2;
    return hash ^ (hash >> 29);
}

#define ROTATE(x, bits) (((x) << (bits)) | ((x) >> (64 - (bits))))
#define SIP_ROUND                                                                                  \
    do {                                                                                           \
        v0 += v1, v1 = ROTATE(v1, 13), v1 ^= v0, v0 = ROTATE(v0, 32);                            \
        v2 += v3, v3 = ROTATE(v3, 16), v3 ^= v2;                                                   \
        v0 += v3, v3 = ROTATE(v3, 21), v3 ^= v0;                                                   \
        v2 += v1, v1 = ROTATE(v1, 17), v1 ^= v2, v2 = ROTATE(v2, 32);                            \
    } while (0)

static inline uint64_t sip_hash(const uint64_t key[2], const unsigned char *at, Py_ssize_t length) {
    uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
    uint64_t last = (uint64_t)length << 56;
    for (; length >= 8; at += 8, length -= 8) {
        uint64_t word = load8(at);
        v3 ^= word;
        SIP_ROUND;
        v0 ^= word;
    }
    /* the last 0..7 bytes, little-endian, by loads of fixed size (overlapping bytes agree) */
    if (length >= 4)
        last |= load4(at) | (load4(at + length - 4) << (8 * (length - 4)));
    else if (length > 0)
        last |= (uint64_t)at[0] | ((uint64_t)at[length >> 1] << (8 * (length >> 1)))
                | ((uint64_t)at[length - 1] << (8 * (length - 1)));
    v3 ^= last;
    SIP_ROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND;
    SIP_ROUND;
    SIP_ROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

#endif
