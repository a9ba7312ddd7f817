#pragma once
// Inlining hints for the per-value steps of the parse: small steps called once per value are forced inline into the
// loops that call them (GCC and clang otherwise leave some as calls); slow and error paths stay out of line.

#if defined(__GNUC__) || defined(__clang__)
#define QURABLE_WEBHOOKS_INLINE __attribute__((always_inline)) inline
#define QURABLE_WEBHOOKS_NOINLINE __attribute__((noinline))
#define QURABLE_WEBHOOKS_COLD __attribute__((noinline, cold))
#else
#define QURABLE_WEBHOOKS_INLINE inline
#define QURABLE_WEBHOOKS_NOINLINE
#define QURABLE_WEBHOOKS_COLD
#endif

// Where the decoder cuts its per-member code (decoder.hpp): the member-index dispatch of a struct, and the decoding of
// one member by its C++ type and rules. GCC is fastest with the dispatch left to its own choice (it inlines it) and
// each member decoded inline; clang, which does not inline the dispatch, is fastest with the dispatch inline and one
// shared out-of-line function per (type, rules), so that a struct's loop stays small (docs/performance.md).
#if defined(__clang__)
#define QURABLE_WEBHOOKS_DECODE_INDEX_INLINE QURABLE_WEBHOOKS_INLINE
#define QURABLE_WEBHOOKS_DECODE_MEMBER_INLINE QURABLE_WEBHOOKS_NOINLINE
#else
#define QURABLE_WEBHOOKS_DECODE_INDEX_INLINE inline
#define QURABLE_WEBHOOKS_DECODE_MEMBER_INLINE QURABLE_WEBHOOKS_INLINE
#endif
